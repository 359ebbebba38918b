"""The model emulator keeps the Messages requests it received: GET /_local/model/requests (the last 500)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import anthropic
import httpx
import pytest

from localcloud.emulators.model import ModelEmulator
from localcloud.emulators.model.server import KEPT_REQUESTS

SONNET = "claude-sonnet-4-6"
SCENARIO = {"turns": [{"content": [{"type": "text", "text": "Hello."}]}]}


class FakeClock:
    """The local cloud's clock, as the emulator reads it (epoch seconds)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[ModelEmulator]:
    with ModelEmulator(SCENARIO, clock=clock) as emulator:
        yield emulator


def received(emu: ModelEmulator) -> list[dict]:
    answer = httpx.get(f"{emu.url}/_local/model/requests")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    return answer.json()["requests"]


def ask(emu: ModelEmulator, text: str, *, stream: bool = False, user: str = "session-1") -> None:
    with anthropic.Anthropic(base_url=emu.url, api_key="test-key", max_retries=0) as sdk:
        params = {
            "model": SONNET,
            "max_tokens": 64,
            "messages": [{"role": "user", "content": text}],
            "metadata": {"user_id": user},
        }
        if stream:
            with sdk.messages.stream(**params) as events:
                events.get_final_message()
        else:
            sdk.messages.create(**params)


def test_no_request_yet_is_an_empty_list(emu):
    assert received(emu) == []


def test_each_messages_request_is_kept_with_when_it_arrived_by_the_local_clock(emu, clock):
    ask(emu, "first")
    clock.now += 3600  # the local cloud's clock jumped an hour
    ask(emu, "second", stream=True, user="session-2")
    first, second = received(emu)
    assert first["received_at"] == "2026-11-25T12:00:00+00:00"
    assert second["received_at"] == "2026-11-25T13:00:00+00:00"
    assert first["body"]["messages"] == [{"role": "user", "content": "first"}]
    assert first["body"]["metadata"] == {"user_id": "session-1"}
    assert second["body"]["stream"] is True and second["body"]["metadata"] == {"user_id": "session-2"}


def test_a_refused_request_is_kept_too_and_token_counts_are_not(emu):
    unauthenticated = httpx.post(f"{emu.url}/v1/messages", json={"model": SONNET, "max_tokens": 8, "messages": []})
    assert unauthenticated.status_code == 401
    counted = httpx.post(
        f"{emu.url}/v1/messages/count_tokens",
        headers={"x-api-key": "k"},
        json={"model": SONNET, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert counted.status_code == 200
    assert [r["body"]["messages"] for r in received(emu)] == [[]]


def test_only_the_last_500_are_kept_and_clearing_empties_the_list(emu):
    with httpx.Client(base_url=emu.url, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"}) as client:
        for i in range(KEPT_REQUESTS + 3):
            body = {"model": SONNET, "max_tokens": 8, "messages": [{"role": "user", "content": f"n{i}"}]}
            assert client.post("/v1/messages", json=body).status_code == 200
    kept = received(emu)
    assert KEPT_REQUESTS == 500 and len(kept) == 500
    assert kept[0]["body"]["messages"][0]["content"] == "n3"
    assert kept[-1]["body"]["messages"][0]["content"] == f"n{KEPT_REQUESTS + 2}"
    emu.clear_requests()
    assert received(emu) == []


def test_the_list_is_read_only(emu):
    assert httpx.post(f"{emu.url}/_local/model/requests", json={}).status_code == 404
    assert httpx.delete(f"{emu.url}/_local/model/requests").status_code == 405
