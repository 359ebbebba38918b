"""The agent's tools: one registry; adding a tool is one decorated function (see builtin.py)."""

from cofounder.tools.registry import ToolContext, ToolError, ToolRegistry, ToolResult, registry, tool

__all__ = ["ToolContext", "ToolError", "ToolRegistry", "ToolResult", "registry", "tool"]
