"""The local stand-ins for API Gateway: the HTTP API, the WebSocket API and its management API."""
