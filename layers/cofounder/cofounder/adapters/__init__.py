"""Adapters: AWS, Redis and Anthropic implementations of the ports (errors translated at this edge)."""
