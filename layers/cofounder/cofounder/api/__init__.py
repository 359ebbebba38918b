"""The HTTP and WebSocket APIs (Powertools resolvers), shared by the handlers and the local cloud."""
