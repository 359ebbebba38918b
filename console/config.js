// Where the console finds the Cofounder APIs. This file is public: never put a secret in it.
// Leave a value empty for its default.
//   apiBase  the HTTP API's base URL. Default: the page's own origin (the local cloud serves the console
//            and the HTTP API on one port; on AWS the CloudFront distribution routes /api/* to the HTTP API).
//   wsUrl    the WebSocket API's URL. Default: ws(s)://<the page's host>:3001 (the local cloud). On AWS set
//            it to the stack's WebSocketUrl output, e.g. "wss://abc123.execute-api.us-east-1.amazonaws.com/live".
export default {
  apiBase: "",
  wsUrl: "",
};
