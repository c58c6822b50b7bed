"""The WebSocket protocols: each frames the hub's messages its own way, and nothing else differs."""
