"""HTTP and WebSocket transports."""
