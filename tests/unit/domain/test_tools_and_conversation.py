import json

import pytest

from cofounder.domain.conversation import build_request, clean_block, decision_blocks, merged
from cofounder.domain.job import Job, Message
from cofounder.tools import ToolContext, ToolError, ToolRegistry, registry
from cofounder.tools import builtin as _builtin  # noqa: F401


def ctx():
    return ToolContext("job", "sess", 0, {"a": "1"}, [])


def test_builtin_tools_have_schemas():
    names = {t["name"]: t for t in registry.definitions()}
    assert set(names) >= {"escalate_to_founder", "update_plan", "save_note", "read_notes", "finish"}
    esc = names["escalate_to_founder"]["input_schema"]
    assert esc["required"] == ["problem", "tried", "recommended_action"]
    assert names["update_plan"]["input_schema"]["properties"]["items"]["type"] == "array"
    assert names["update_plan"]["input_schema"]["properties"]["items"]["maxItems"] == 50  # limits the model reads
    assert names["save_note"]["input_schema"]["properties"]["key"]["maxLength"] == 200
    assert names["read_notes"]["input_schema"] == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_adding_a_tool_is_one_decorated_function():
    reg = ToolRegistry()

    @reg.tool
    def add(ctx: ToolContext, a: int, b: int = 0) -> int:
        """Add two numbers."""
        return a + b

    assert reg.definitions() == [
        {
            "name": "add",
            "description": "Add two numbers.",
            "input_schema": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 0}},
                "required": ["a"],
                "additionalProperties": False,
            },
        }
    ]
    assert reg.run("add", {"a": 2, "b": 3}, ctx()).content == "5"
    with pytest.raises(ValueError, match="already registered"):
        reg.tool(add)


def test_tool_failures_become_is_error_results():
    reg = ToolRegistry()

    @reg.tool
    def boom(ctx: ToolContext) -> str:
        """Fails."""
        raise KeyError("nope")

    result = reg.run("boom", {}, ctx())
    assert result.is_error and "KeyError" in result.content
    expected = {"type": "tool_result", "tool_use_id": "t1", "content": result.content, "is_error": True}
    assert result.block("t1") == expected
    assert reg.run("missing", {}, ctx()).is_error
    bad = registry.run("save_note", {"key": "k"}, ctx())
    assert bad.is_error and "text" in bad.content
    assert registry.run("save_note", {"key": 1, "text": "x"}, ctx()).is_error
    assert registry.run("save_note", {"key": "k", "text": "x", "extra": 1}, ctx()).is_error
    assert registry.run("update_plan", "not an object", ctx()).is_error
    assert registry.run("finish", {"summary": "  "}, ctx()).is_error
    too_long = registry.run("save_note", {"key": "k" * 201, "text": "x"}, ctx())
    assert too_long.is_error and "length <= 200" in too_long.content and "$.key" in too_long.content


def test_anthropic_defined_and_server_tools_share_the_one_tools_array():
    reg = ToolRegistry()
    editor = {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool", "max_characters": 10_000}

    @reg.anthropic_tool(editor)
    def edit(ctx: ToolContext, tool_input: dict) -> str:
        if tool_input.get("command") != "view":
            raise ToolError(f"unknown command {tool_input.get('command')!r}")
        return "viewed"

    reg.server_tool({"type": "web_search_20250305", "name": "web_search", "max_uses": 3})
    assert reg.definitions() == [editor, {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]
    assert reg.run("str_replace_based_edit_tool", {"command": "view", "path": "/"}, ctx()).content == "viewed"
    assert reg.run("str_replace_based_edit_tool", {"command": "rm"}, ctx()).is_error
    assert reg.run("str_replace_based_edit_tool", "view", ctx()).is_error
    assert reg.run("web_search", {"query": "x"}, ctx()).is_error  # run by the API, never by the runtime


def test_builtins_record_their_effects():
    c = ctx()
    c.tool_use_id = "toolu_9"
    assert not registry.run("update_plan", {"items": ["a", " ", "b"]}, c).is_error
    assert registry.run("save_note", {"key": "k", "text": "v"}, c).content == "Saved note 'k'."
    assert json.loads(registry.run("read_notes", {}, c).content) == {"a": "1", "k": "v"}
    registry.run("escalate_to_founder", {"problem": "p", "tried": "t", "recommended_action": "r"}, c)
    registry.run("finish", {"summary": "s"}, c)
    assert c.effects.plan == ["a", "b"]
    assert c.effects.notes == {"k": "v"}
    assert c.effects.escalation.tool_use_id == "toolu_9"
    assert c.effects.summary == "s"


def test_request_caches_the_stable_prefix_and_the_tail():
    job = Job("j", "sess-1", "o", "goal", "claude-sonnet-4-5", 10, "now")
    messages = [
        Message(0, "user", ({"type": "text", "text": "goal"},)),
        Message(1, "assistant", ({"type": "text", "text": "hi"},)),
        Message(2, "user", ({"type": "text", "text": "a"},)),
        Message(3, "user", ({"type": "text", "text": "b"},)),
    ]
    request = build_request(job, messages, registry.definitions(), 1024)
    assert request.system[-1]["cache_control"] == {"type": "ephemeral"}
    assert [m["role"] for m in request.messages] == ["user", "assistant", "user"]
    assert request.messages[-1]["content"][-1] == {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}}
    assert "cache_control" not in request.messages[-1]["content"][0]
    assert "cache_control" not in messages[3].content[0]
    assert request.user_id == "sess-1"
    assert request.estimated_tokens() > 100


def test_merge_and_clean():
    assert merged([]) == []
    block = {"type": "text", "text": "x", "citations": None}
    assert clean_block(block) == {"type": "text", "text": "x"}
    tool = {"type": "tool_use", "id": "t", "name": "n", "input": {"a": 1}, "caller": None}
    assert clean_block(tool) == {"type": "tool_use", "id": "t", "name": "n", "input": {"a": 1}}


def test_decision_goes_back_as_the_escalation_tool_result():
    held = ({"type": "tool_result", "tool_use_id": "a", "content": "ok"},)
    blocks = decision_blocks(held, "esc", "Go", "carefully")
    assert blocks[0] == held[0]
    assert blocks[1]["tool_use_id"] == "esc"
    assert json.loads(blocks[1]["content"]) == {"decision": "Go", "guidance": "carefully"}
    text = decision_blocks((), None, "Stop", None)
    assert text == ({"type": "text", "text": "The founder decided: Stop"},)
