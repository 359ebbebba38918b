"""Stand-ins for the services outside AWS that the product calls (the Anthropic Messages API)."""
