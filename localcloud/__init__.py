"""The Docker-free local cloud for development, demos and integration tests (never deployed)."""
