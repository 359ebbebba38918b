"""The tool registry: one tools array for every request, and running a call by name.

Three kinds of tool, one registry:
- function tools: a decorated function `fn(ctx, **params)`; its annotated parameters become a msgspec struct,
  which gives the JSON schema the model reads (limits included: `Meta(max_length=...)`) and validates input;
- Anthropic-defined client tools (text editor, memory): the definition carries only type and name (the model
  knows the schema); the handler takes the raw input and checks it itself;
- server tools (web search, web fetch): passed through in the tools array, run by the API, never here.
Every failure is an `is_error` result for the model, never an exception.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

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


class Tool(Protocol):
    name: str
    journaled: bool
    """Its effects reach outside the step's commit (files, commands, memory): it must run once, so its result
    is journaled as it completes and a redelivered step reads it back instead of running it again."""

    def definition(self) -> dict[str, Any]: ...
    def run(self, tool_input: Any, ctx: ToolContext) -> ToolResult: ...


def _render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _guarded(name: str, call: Callable[[], Any]) -> ToolResult:
    try:
        return ToolResult(_render(call()))
    except ToolError as exc:
        return ToolResult(str(exc), is_error=True)
    except Exception as exc:
        return ToolResult(f"{name} failed: {type(exc).__name__}: {exc}", is_error=True)


@dataclass(frozen=True)
class FunctionTool:
    name: str
    description: str
    params: type[msgspec.Struct]
    fn: Callable[..., Any]
    journaled: bool = False

    @classmethod
    def from_function(cls, fn: Callable[..., Any], name: str, journaled: bool = False) -> FunctionTool:
        hints = typing.get_type_hints(fn, include_extras=True)
        fields: list[Any] = []
        for param in list(inspect.signature(fn).parameters.values())[1:]:  # the first one is the context
            if param.default is inspect.Parameter.empty:
                fields.append((param.name, hints[param.name]))
            else:
                fields.append((param.name, hints[param.name], param.default))
        params = msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True)
        return cls(name, inspect.cleandoc(fn.__doc__ or name), params, fn, journaled)

    def input_schema(self) -> dict[str, Any]:
        schema = msgspec.json.schema(self.params)["$defs"][self.name]
        schema.pop("title", None)
        schema.setdefault("required", [])
        return schema

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema()}

    def run(self, tool_input: Any, ctx: ToolContext) -> ToolResult:
        try:
            params = msgspec.convert(tool_input, self.params)
        except msgspec.ValidationError as exc:
            return ToolResult(f"invalid input for {self.name}: {exc}", is_error=True)
        values = {f: getattr(params, f) for f in self.params.__struct_fields__}
        return _guarded(self.name, lambda: self.fn(ctx, **values))


@dataclass(frozen=True)
class _DefinedTool:
    """A tool whose definition is given whole (`spec`: its type, name and options), not built from a schema."""

    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    def definition(self) -> dict[str, Any]:
        return dict(self.spec)


@dataclass(frozen=True)
class AnthropicTool(_DefinedTool):
    """An Anthropic-defined client tool: the model knows its schema; `handler(ctx, tool_input)` checks input."""

    handler: Callable[[ToolContext, dict[str, Any]], Any]
    journaled: bool = True

    def run(self, tool_input: Any, ctx: ToolContext) -> ToolResult:
        if not isinstance(tool_input, dict):
            return ToolResult(f"invalid input for {self.name}: expected an object", is_error=True)
        return _guarded(self.name, lambda: self.handler(ctx, tool_input))


@dataclass(frozen=True)
class ServerTool(_DefinedTool):
    """A server tool (web search, web fetch): offered to the model, run by the API."""

    journaled: bool = False

    def run(self, tool_input: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult(f"{self.name} runs on the API's side; it cannot be called as a client tool", is_error=True)


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def add(self, tool: Tool) -> Tool:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def tool(self, fn: Callable[..., Any] | None = None, *, name: str | None = None, journaled: bool = False) -> Any:
        """Register `fn(ctx, **params)`: its docstring describes it, its annotated params are the schema."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add(FunctionTool.from_function(func, name or func.__name__, journaled))
            return func

        return register(fn) if fn is not None else register

    def anthropic_tool(
        self, spec: Mapping[str, Any], *, journaled: bool = True
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register `handler(ctx, tool_input)` for an Anthropic-defined tool (`spec`: its type, name, options)."""

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.add(AnthropicTool(spec, handler, journaled))
            return handler

        return register

    def server_tool(self, spec: Mapping[str, Any]) -> None:
        self.add(ServerTool(spec))

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def journaled(self, name: str) -> bool:
        tool = self._tools.get(name)
        return tool is not None and tool.journaled

    def definitions(self) -> list[dict[str, Any]]:
        return [t.definition() for t in self._tools.values()]

    def run(self, name: str, tool_input: Any, ctx: ToolContext) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult(f"unknown tool {name!r}; available: {', '.join(self._tools)}", is_error=True)
        return tool.run(tool_input, ctx)


registry = ToolRegistry()
tool = registry.tool
