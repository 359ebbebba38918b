"""The model emulator, driven by the real Anthropic SDK over HTTP, and its pure caching functions."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from localcloud.emulators.model import DEFAULT_SCENARIO, ModelEmulator, load_scenario
from localcloud.emulators.model.prompt_cache import (
    Boundary,
    CacheEntry,
    apply_cache_plan,
    complete_usage,
    find_cache_hit,
    min_cacheable_tokens,
    plan_cache,
    prefix_boundaries,
)
from localcloud.emulators.model.scenarios import (
    ScriptedError,
    default_stop_reason,
    parse_scenario,
    reply_content,
    scripted_error_at,
)
from localcloud.emulators.model.streaming import split_chunks, stream_events
from localcloud.emulators.model.tokens import Segment, count_input_tokens, estimate_tokens, prompt_segments

REPO = Path(__file__).resolve().parents[2]
SONNET = "claude-sonnet-4-6"
HAIKU = "claude-haiku-4-5"
FIVE_MIN, ONE_HOUR = 300.0, 3600.0

TOOL_TURN = {
    "content": [
        {"type": "text", "text": "Let me write that down — ünïcode included."},
        {
            "type": "tool_use",
            "name": "save_note",
            "input": {"key": "k", "text": 'a "quoted" line\nand more', "tags": ["x", {"n": 1.5}], "ok": True},
        },
    ]
}


def text_turn(text: str, **extra: Any) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], **extra}


def conversation(assistant_turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Validate demand for a B2B invoicing tool."}]
    for i in range(assistant_turns):
        messages.append({"role": "assistant", "content": f"reply {i}"})
        messages.append({"role": "user", "content": f"continue {i}"})
    return messages


def big_system(tokens: int, ttl: str | None = None) -> list[dict[str, Any]]:
    cache_control = {"type": "ephemeral"} | ({"ttl": ttl} if ttl else {})
    return [{"type": "text", "text": "s" * (tokens * 4), "cache_control": cache_control}]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emu() -> Iterator[ModelEmulator]:
    with ModelEmulator() as emulator:
        yield emulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clocked_emu(clock: FakeClock) -> Iterator[ModelEmulator]:
    with ModelEmulator(clock=clock) as emulator:
        yield emulator


def make_client(emulator: ModelEmulator, max_retries: int = 0, **kwargs: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=emulator.url, api_key="test-key", max_retries=max_retries, **kwargs)


@pytest.fixture
def client(emu: ModelEmulator) -> Iterator[anthropic.Anthropic]:
    with make_client(emu) as sdk:
        yield sdk


def create(sdk: anthropic.Anthropic, assistant_turns: int = 0, **kwargs: Any) -> anthropic.types.Message:
    params: dict[str, Any] = {"model": SONNET, "max_tokens": 1024, "messages": conversation(assistant_turns)}
    return sdk.messages.create(**(params | kwargs))


# ---- HTTP behaviour through the SDK


def test_create_replies_with_the_turn_numbered_by_assistant_messages(
    emu: ModelEmulator, client: anthropic.Anthropic
) -> None:
    emu.set_scenario({"turns": [text_turn("zero"), TOOL_TURN, text_turn("two", stop_reason="max_tokens")]})

    second = create(client, 1, metadata={"user_id": "founder-1"})
    first = create(client, 0)
    third = create(client, 2)

    assert first.content[0].text == "zero"
    assert first.stop_reason == "end_turn"
    assert [block.type for block in second.content] == ["text", "tool_use"]
    assert second.content[1].id == "toolu_emu_001_0"
    assert second.content[1].input == TOOL_TURN["content"][1]["input"]
    assert second.stop_reason == "tool_use"
    assert third.stop_reason == "max_tokens"
    assert first.model == SONNET and first.id.startswith("msg_emu_") and first.type == "message"
    assert emu.requests[0]["metadata"] == {"user_id": "founder-1"}
    assert [len(r["messages"]) for r in emu.requests] == [3, 1, 5]


def test_stream_reconstructs_text_and_tool_input_exactly(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [TOOL_TURN]})
    plain = create(client)

    with client.messages.stream(model=SONNET, max_tokens=1024, messages=conversation(0)) as stream:
        final = stream.get_final_message()

    assert final.content[0].text == TOOL_TURN["content"][0]["text"]
    assert final.content[1].input == TOOL_TURN["content"][1]["input"]
    assert final.content[1].id == plain.content[1].id
    assert final.stop_reason == "tool_use"
    assert final.usage.output_tokens == plain.usage.output_tokens
    assert final.usage.input_tokens == plain.usage.input_tokens
    assert emu.requests[-1]["stream"] is True


def test_stream_event_sequence_matches_the_real_api(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [TOOL_TURN]})
    events = list(client.messages.create(model=SONNET, max_tokens=64, messages=conversation(0), stream=True))
    kinds = [event.type for event in events]

    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert events[0].message.content == [] and events[0].message.usage.output_tokens == 1
    starts = [event for event in events if event.type == "content_block_start"]
    assert [s.content_block.type for s in starts] == ["text", "tool_use"]
    assert starts[1].content_block.input == {}
    deltas = [event.delta for event in events if event.type == "content_block_delta"]
    text_chunks = [d.text for d in deltas if d.type == "text_delta"]
    json_chunks = [d.partial_json for d in deltas if d.type == "input_json_delta"]
    assert len(text_chunks) >= 2 and len([c for c in json_chunks if c]) >= 2
    assert json.loads("".join(json_chunks)) == TOOL_TURN["content"][1]["input"]
    assert kinds.count("content_block_stop") == 2
    assert events[-2].delta.stop_reason == "tool_use"


def test_overloaded_twice_then_success_is_retried_by_the_sdk(emu: ModelEmulator) -> None:
    emu.set_scenario({"turns": [{"error": {"status": 529, "times": 2}}, text_turn("finally")]})
    with make_client(emu, max_retries=2) as sdk:
        reply = create(sdk)

    assert reply.content[0].text == "finally"
    assert len(emu.requests) == 3


def test_overloaded_more_often_than_retries_raises_529(emu: ModelEmulator) -> None:
    emu.set_scenario({"turns": [{"error": {"status": 529, "times": 3, "retry_after": 0.01}}, text_turn("late")]})
    with make_client(emu, max_retries=2) as sdk, pytest.raises(anthropic.InternalServerError) as raised:
        create(sdk)

    assert raised.value.status_code == 529
    assert raised.value.body["error"]["type"] == "overloaded_error"
    assert len(emu.requests) == 3
    with make_client(emu) as sdk:
        assert create(sdk).content[0].text == "late"


def test_rate_limit_with_retry_after_makes_the_sdk_wait(emu: ModelEmulator) -> None:
    emu.set_scenario({"turns": [{"error": {"status": 429, "times": 1, "retry_after": 1}}, text_turn("ok")]})
    with make_client(emu, max_retries=1) as sdk:
        assert create(sdk).content[0].text == "ok"

    first, second = emu.request_times
    assert second - first >= 0.9


def test_error_entries_add_up_in_order_and_count_per_turn(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario(
        {
            "turns": [
                text_turn("zero"),
                {"error": {"status": 500, "times": 1}},
                {"error": {"status": 429, "times": 1, "retry_after": 2}},
                {"error": {"status": 418, "times": 1}},
                text_turn("one"),
            ]
        }
    )
    with pytest.raises(anthropic.InternalServerError) as server_error:
        create(client, 1)
    assert create(client, 0).content[0].text == "zero"
    with pytest.raises(anthropic.RateLimitError) as rate_limited:
        create(client, 1)
    with pytest.raises(anthropic.APIStatusError) as teapot:
        create(client, 1)

    assert server_error.value.body["error"]["type"] == "api_error"
    assert rate_limited.value.response.headers["retry-after"] == "2"
    assert teapot.value.status_code == 418 and teapot.value.body["error"]["type"] == "invalid_request_error"
    assert create(client, 1).content[0].text == "one"

    emu.set_scenario({"turns": [{"error": {"status": 529, "times": 1}}, text_turn("again")]})
    with pytest.raises(anthropic.InternalServerError):
        create(client)
    assert create(client).content[0].text == "again"


def test_missing_credentials_is_an_authentication_error(emu: ModelEmulator) -> None:
    emu.set_scenario({"turns": [text_turn("never")]})
    anonymous = make_client(emu, default_headers={"Authorization": anthropic.Omit()})
    with anonymous, pytest.raises(anthropic.AuthenticationError) as raised:
        create(anonymous)

    assert raised.value.body["error"] == {
        "type": "authentication_error",
        "message": "x-api-key header is required",
    }
    assert emu.requests[0]["model"] == SONNET


def test_x_api_key_header_is_accepted_and_errors_have_the_anthropic_shape(emu: ModelEmulator) -> None:
    emu.set_scenario({"turns": [text_turn("hi")]})
    body = {"model": SONNET, "max_tokens": 5, "messages": conversation(0)}
    with httpx.Client(base_url=emu.url) as http:
        ok = http.post("/v1/messages", json=body, headers={"x-api-key": "k"})
        anonymous = http.post("/v1/messages", json=body)
        missing = http.post("/v1/messages", json={"model": SONNET, "messages": []}, headers={"x-api-key": "k"})
        malformed = http.post("/v1/messages", content=b"{nope", headers={"x-api-key": "k"})
        unknown = http.get("/v1/nothing")
        health = http.get("/health")

    assert ok.status_code == 200 and ok.json()["content"] == [{"type": "text", "text": "hi"}]
    assert ok.headers["content-length"] == str(len(ok.content))
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "error"
    assert anonymous.json()["error"]["type"] == "authentication_error"
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    assert malformed.status_code == 400 and malformed.json()["error"]["type"] == "invalid_request_error"
    assert unknown.status_code == 404 and health.status_code == 200


def test_requests_for_another_host_are_refused(emu: ModelEmulator) -> None:
    emu.set_scenario({"turns": [text_turn("hi")]})
    body = {"model": SONNET, "max_tokens": 5, "messages": conversation(0)}
    with httpx.Client(base_url=emu.url) as http:
        rebound = http.post("/v1/messages", json=body, headers={"x-api-key": "k", "host": f"evil.example:{emu.port}"})
        other_port = http.get("/health", headers={"host": f"localhost:{emu.port + 1}"})
        local = http.get("/health", headers={"host": f"localhost:{emu.port}"})

    assert rebound.status_code == 421 and other_port.status_code == 421
    assert rebound.json()["type"] == "error" and rebound.json()["error"]["type"] == "invalid_request_error"
    assert local.status_code == 200
    assert emu.requests == []


def test_exhausted_scenario_is_a_bad_request(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [text_turn("only")]})
    with pytest.raises(anthropic.BadRequestError, match="scenario has no turn 1"):
        create(client, 1)


def test_streamed_and_json_replies_in_turn_from_one_client(emu: ModelEmulator) -> None:
    emu.set_scenario({"turns": [TOOL_TURN]})
    headers = {"x-api-key": "k", "content-type": "application/json"}
    body = {"model": SONNET, "max_tokens": 5, "messages": conversation(0)}
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        for stream in (True, False, True):
            connection.request("POST", "/v1/messages", json.dumps(body | {"stream": stream}), headers)
            response = connection.getresponse()
            payload = response.read()
            assert response.status == 200
            assert payload.endswith(b'event: message_stop\ndata: {"type": "message_stop"}\n\n') == stream
            framing = "transfer-encoding" if stream else "content-length"
            assert response.getheader(framing) == ("chunked" if stream else str(len(payload)))
    finally:
        connection.close()


def test_count_tokens_uses_the_same_estimate(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [text_turn("hi")]})
    params: dict[str, Any] = {"model": SONNET, "messages": conversation(0), "system": "You are a cofounder."}
    counted = client.messages.count_tokens(**params)
    reply = create(client, **params)

    assert counted.input_tokens == reply.usage.input_tokens == count_input_tokens(params)


def test_too_many_cache_breakpoints_is_a_bad_request(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [text_turn("hi")]})
    block = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4"):
        create(client, system=[block] * 5)


# ---- usage through the SDK


def test_scripted_usage_is_returned_with_missing_fields_filled(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [text_turn("pricey", usage={"input_tokens": 200_000, "output_tokens": 20_000})]})
    usage = create(client).usage

    assert (usage.input_tokens, usage.output_tokens) == (200_000, 20_000)
    assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0
    assert usage.cache_creation.ephemeral_5m_input_tokens == 0


def test_cached_system_prompt_is_written_then_read(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [text_turn("a"), text_turn("b")]})
    system = big_system(2_000)

    first = create(client, 0, system=system).usage
    second = create(client, 1, system=system).usage

    assert first.cache_creation_input_tokens > 0 and first.cache_read_input_tokens == 0
    assert first.cache_creation.ephemeral_5m_input_tokens == first.cache_creation_input_tokens
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert second.input_tokens > first.input_tokens
    assert second.output_tokens == estimate_tokens("b")


def test_prefix_below_the_model_minimum_is_never_cached(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [text_turn("a")]})
    small = big_system(1_500)

    on_haiku = [create(client, model=HAIKU, system=small).usage for _ in range(2)]
    on_sonnet = create(client, system=small).usage

    for usage in on_haiku:
        assert usage.cache_creation_input_tokens == usage.cache_read_input_tokens == 0
        assert usage.input_tokens >= 1_500
    assert on_sonnet.cache_creation_input_tokens >= 1_500


def test_cache_entries_expire_after_their_ttl_and_hits_refresh_it(clocked_emu: ModelEmulator, clock: FakeClock) -> None:
    clocked_emu.set_scenario({"turns": [text_turn("a")]})
    system = big_system(2_000)
    with make_client(clocked_emu) as sdk:
        written = create(sdk, system=system).usage
        clock.now += 299
        refreshed = create(sdk, system=system).usage
        clock.now += 299
        still_live = create(sdk, system=system).usage
        clock.now += 301
        expired = create(sdk, system=system).usage

    assert written.cache_creation_input_tokens > 0
    assert refreshed.cache_read_input_tokens == written.cache_creation_input_tokens
    assert still_live.cache_read_input_tokens == written.cache_creation_input_tokens
    assert expired.cache_read_input_tokens == 0
    assert expired.cache_creation_input_tokens == written.cache_creation_input_tokens


def test_one_hour_and_five_minute_breakpoints_split_cache_creation(
    clocked_emu: ModelEmulator, clock: FakeClock
) -> None:
    clocked_emu.set_scenario({"turns": [text_turn("a")]})
    tools = [
        {
            "name": "save_note",
            "description": "d" * 4_800,
            "input_schema": {"type": "object", "properties": {}},
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    system = big_system(1_000)
    with make_client(clocked_emu) as sdk:
        first = create(sdk, tools=tools, system=system).usage
        clock.now += 600
        later = create(sdk, tools=tools, system=system).usage

    tool_tokens = count_input_tokens({"tools": tools})
    assert first.cache_creation.ephemeral_1h_input_tokens == tool_tokens
    assert first.cache_creation.ephemeral_5m_input_tokens == 1_000
    assert first.cache_creation_input_tokens == tool_tokens + 1_000
    assert later.cache_read_input_tokens == tool_tokens
    assert later.cache_creation.ephemeral_5m_input_tokens == 1_000
    assert later.cache_creation.ephemeral_1h_input_tokens == 0


def test_cache_is_per_model_and_reset_by_set_scenario(emu: ModelEmulator, client: anthropic.Anthropic) -> None:
    emu.set_scenario({"turns": [text_turn("a")]})
    system = big_system(2_100)
    create(client, system=system)

    assert create(client, model="claude-opus-4-7", system=system).usage.cache_read_input_tokens == 0
    assert create(client, system=system).usage.cache_read_input_tokens > 0
    emu.set_scenario({"turns": [text_turn("a")]})
    assert create(client, system=system).usage.cache_read_input_tokens == 0


# ---- pure functions


def boundaries_of(*segments: tuple[int, float | None]) -> list[Boundary]:
    return prefix_boundaries(SONNET, [Segment(f"b{i}", tokens, ttl) for i, (tokens, ttl) in enumerate(segments)])


def test_plan_cache_writes_every_breakpoint_past_the_longest_hit() -> None:
    boundaries = boundaries_of((1_200, ONE_HOUR), (300, None), (600, FIVE_MIN), (50, None))

    first = plan_cache(boundaries, {}, 0.0, 1_024)
    assert (first.cache_read_input_tokens, first.input_tokens) == (0, 50)
    assert (first.ephemeral_1h_input_tokens, first.ephemeral_5m_input_tokens) == (1_200, 900)
    assert set(first.updates) == {boundaries[0].key, boundaries[2].key}

    cache = apply_cache_plan({}, first, 0.0)
    second = plan_cache(boundaries, cache, 10.0, 1_024)
    assert (second.cache_read_input_tokens, second.cache_creation_input_tokens, second.input_tokens) == (
        2_100,
        0,
        50,
    )
    assert second.updates == {boundaries[2].key: CacheEntry(310.0, FIVE_MIN)}

    after_five_minutes = plan_cache(boundaries, cache, 400.0, 1_024)
    assert after_five_minutes.cache_read_input_tokens == 1_200
    assert after_five_minutes.ephemeral_5m_input_tokens == 900


def test_plan_cache_skips_breakpoints_below_the_minimum() -> None:
    boundaries = boundaries_of((500, FIVE_MIN), (400, None))
    plan = plan_cache(boundaries, {}, 0.0, 1_024)

    assert plan.cache_creation_input_tokens == plan.cache_read_input_tokens == 0
    assert plan.input_tokens == 900 and plan.updates == {}
    assert min_cacheable_tokens(HAIKU) == 2_048 and min_cacheable_tokens("claude-opus-4-8") == 1_024


def test_cache_hit_looks_back_from_a_moving_breakpoint() -> None:
    earlier = boundaries_of((2_000, FIVE_MIN))
    cache = apply_cache_plan({}, plan_cache(earlier, {}, 0.0, 1_024), 0.0)
    moved = boundaries_of((2_000, None), (100, None), (100, FIVE_MIN))

    hit = find_cache_hit(moved, cache, 1.0, 1_024)
    plan = plan_cache(moved, cache, 1.0, 1_024)

    assert hit == moved[0]
    assert (plan.cache_read_input_tokens, plan.ephemeral_5m_input_tokens, plan.input_tokens) == (
        2_000,
        200,
        0,
    )
    far = boundaries_of((2_000, None), *[(1, None)] * 25, (1, FIVE_MIN))
    assert find_cache_hit(far, cache, 1.0, 1_024) is None


def test_apply_cache_plan_drops_expired_entries() -> None:
    cache = {"old": CacheEntry(5.0, FIVE_MIN), "live": CacheEntry(50.0, FIVE_MIN)}
    plan = plan_cache([], cache, 10.0, 1_024)

    assert apply_cache_plan(cache, plan, 10.0) == {"live": CacheEntry(50.0, FIVE_MIN)}


def test_prefix_keys_depend_on_model_order_and_content_but_not_cache_control() -> None:
    body = {
        "tools": [{"name": "t", "input_schema": {}}],
        "system": [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello world!"}]}],
    }
    segments = prompt_segments(body)
    plain = prompt_segments(body | {"system": [{"type": "text", "text": "sys"}]})

    assert [s.ttl for s in segments] == [None, ONE_HOUR, None]
    assert [s.tokens for s in segments[1:]] == [1, 3]
    assert [b.key for b in prefix_boundaries(SONNET, segments)] == [b.key for b in prefix_boundaries(SONNET, plain)]
    assert prefix_boundaries(SONNET, segments)[0].key != prefix_boundaries(HAIKU, segments)[0].key
    swapped = prompt_segments(body | {"messages": [{"role": "assistant", "content": "hello world!"}]})
    assert prefix_boundaries(SONNET, swapped)[-1].key != prefix_boundaries(SONNET, segments)[-1].key


def test_complete_usage_fills_fields_and_keeps_the_ttl_split_consistent() -> None:
    assert complete_usage({"input_tokens": 7, "cache_creation_input_tokens": 10}) == {
        "input_tokens": 7,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 10,
        "cache_creation": {"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 0},
    }
    split = complete_usage({"cache_creation": {"ephemeral_1h_input_tokens": 4, "ephemeral_5m_input_tokens": 6}})
    assert split["cache_creation_input_tokens"] == 10
    partial = complete_usage({"cache_creation_input_tokens": 10, "cache_creation": {"ephemeral_1h_input_tokens": 3}})
    assert partial["cache_creation"] == {"ephemeral_5m_input_tokens": 7, "ephemeral_1h_input_tokens": 3}


def test_scripted_errors_replies_and_scenario_parsing() -> None:
    errors = [ScriptedError(529, 2), ScriptedError(429, 1, 1.0)]
    assert [scripted_error_at(errors, n) for n in range(4)] == [errors[0], errors[0], errors[1], None]

    scenario = parse_scenario({"turns": [{"error": {"status": 529}}, {"content": "hi"}, TOOL_TURN]})
    assert scenario.turns[0].errors == (ScriptedError(529, 1),)
    assert scenario.turns[0].content == [{"type": "text", "text": "hi"}]
    content = reply_content(scenario.turns[1], 1)
    assert content[1]["id"] == "toolu_emu_001_0" and "id" not in TOOL_TURN["content"][1]
    assert default_stop_reason(content) == "tool_use" and default_stop_reason(content[:1]) == "end_turn"
    with pytest.raises(ValueError, match="neither"):
        parse_scenario({"turns": [{"text": "?"}]})


def test_stream_events_and_chunking() -> None:
    assert split_chunks("abcde") == ["abc", "de"] and split_chunks("") == []
    message = {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "model": SONNET,
        "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": complete_usage({"input_tokens": 3, "output_tokens": 9}),
    }
    events = list(stream_events(message))
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta"]

    assert deltas[-1] == {"type": "signature_delta", "signature": "sig"}
    assert "".join(d.get("thinking", "") for d in deltas) == "hmm"
    assert events[-2]["usage"]["output_tokens"] == 9 and events[0]["message"]["usage"]["output_tokens"] == 1


def test_default_scenario_is_a_five_turn_founder_session() -> None:
    scenario = parse_scenario(load_scenario(DEFAULT_SCENARIO))
    tools = [next(b for b in turn.content if b["type"] == "tool_use") for turn in scenario.turns]

    assert [t["name"] for t in tools] == [
        "update_plan",
        "save_note",
        "escalate_to_founder",
        "save_note",
        "finish",
    ]
    assert all(turn.content[0]["type"] == "text" for turn in scenario.turns)
    assert len(tools[0]["input"]["items"]) == 3
    assert set(tools[2]["input"]) == {"problem", "tried", "recommended_action"}
    assert scenario.turns[3].usage == {"input_tokens": 200_000, "output_tokens": 20_000}
    assert set(tools[4]["input"]) == {"summary"}


def test_cli_serves_a_scenario_and_stops_on_sigterm(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"turns": [text_turn("from the cli")]}))
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.emulators.model", "--scenario", str(scenario), "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = next(word for word in line.split() if word.startswith("http://"))
        with make_client_for(url) as sdk:
            assert create(sdk).content[0].text == "from the cli"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def make_client_for(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="test-key", max_retries=0)
