"""Cofounder: the agent runtime's domain, services and adapters (the shared Lambda layer)."""
