"""Tool registry: JSON schemas from type hints, input validation, failures become is_error results."""

from __future__ import annotations

import inspect
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

from cofounder.domain.outcomes import EscalationDraft


class ToolError(Exception):
    """Raised by a tool for a failure the model should read and react to."""


@dataclass
class ToolEffects:
    """What built-in tools ask the runtime to persist; applied in the step's single commit."""

    plan: list[str] | None = None
    notes: dict[str, str] = field(default_factory=dict)
    escalation: EscalationDraft | None = None
    summary: str | None = None


@dataclass
class ToolContext:
    job_id: str
    session_id: str
    step: int
    notes: dict[str, str]
    plan: list[str]
    tool_use_id: str = ""
    effects: ToolEffects = field(default_factory=ToolEffects)


@dataclass(frozen=True, slots=True)
class ToolResult:
    content: str
    is_error: bool = False

    def block(self, tool_use_id: str) -> dict[str, Any]:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id, "content": self.content}
        if self.is_error:
            block["is_error"] = True
        return block


_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object"}


def _schema_for(annotation: Any) -> dict[str, Any]:
    description = None
    if get_origin(annotation) is Annotated:
        annotation, *meta = get_args(annotation)
        description = next((m for m in meta if isinstance(m, str)), None)
    origin = get_origin(annotation)
    if origin is list:
        (item,) = get_args(annotation) or (str,)
        schema: dict[str, Any] = {"type": "array", "items": _schema_for(item)}
    elif origin in (typing.Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        schema = _schema_for(inner[0])
    elif annotation in _JSON_TYPES:
        schema = {"type": _JSON_TYPES[annotation]}
    else:
        raise TypeError(f"unsupported tool parameter type {annotation!r}")
    if description:
        schema["description"] = description
    return schema


def _matches(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema["type"]
    if kind == "array":
        return isinstance(value, list) and all(_matches(v, schema["items"]) for v in value)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    python_type = {"string": str, "boolean": bool, "object": dict}[kind]
    return isinstance(value, python_type)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: dict[str, Any]
    fn: Callable[..., Any]

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}

    def validation_error(self, tool_input: Any) -> str | None:
        if not isinstance(tool_input, dict):
            return "the input must be a JSON object"
        properties = self.input_schema["properties"]
        unknown = sorted(set(tool_input) - set(properties))
        if unknown:
            return f"unknown parameter(s): {', '.join(unknown)}"
        missing = [name for name in self.input_schema["required"] if name not in tool_input]
        if missing:
            return f"missing required parameter(s): {', '.join(missing)}"
        for name, value in tool_input.items():
            if not _matches(value, properties[name]):
                return f"parameter {name!r} must be of type {properties[name]['type']}"
        return None


def _render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def tool(self, fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        """Register `fn(ctx, **params)`; its docstring describes it, its annotated params are the schema."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            hints = typing.get_type_hints(func, include_extras=True)
            params = list(inspect.signature(func).parameters.values())[1:]
            schema = {
                "type": "object",
                "properties": {p.name: _schema_for(hints[p.name]) for p in params},
                "required": [p.name for p in params if p.default is inspect.Parameter.empty],
            }
            tool_name = name or func.__name__
            if tool_name in self._tools:
                raise ValueError(f"tool {tool_name!r} is already registered")
            self._tools[tool_name] = Tool(tool_name, inspect.cleandoc(func.__doc__ or tool_name), schema, func)
            return func

        return register(fn) if fn is not None else register

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def definitions(self) -> list[dict[str, Any]]:
        return [t.definition() for t in self._tools.values()]

    def run(self, name: str, tool_input: Any, ctx: ToolContext) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult(f"unknown tool {name!r}; available: {', '.join(self._tools)}", is_error=True)
        problem = tool.validation_error(tool_input)
        if problem:
            return ToolResult(f"invalid input for {name}: {problem}", is_error=True)
        try:
            return ToolResult(_render(tool.fn(ctx, **tool_input)))
        except ToolError as exc:
            return ToolResult(str(exc), is_error=True)
        except Exception as exc:
            return ToolResult(f"{name} failed: {type(exc).__name__}: {exc}", is_error=True)


registry = ToolRegistry()
tool = registry.tool
