"""Claude pricing (USD per million tokens) and the exact cost of a call's usage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MILLION = Decimal(1_000_000)
CACHE_WRITE_5M = Decimal("1.25")
CACHE_WRITE_1H = Decimal(2)
CACHE_READ = Decimal("0.1")
LONG_CONTEXT_THRESHOLD = 200_000


class UnknownModelError(ValueError):
    def __init__(self, model: str) -> None:
        super().__init__(f"unknown model {model!r}: choose one of {', '.join(sorted(MODELS))}")
        self.model = model


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per million tokens."""

    input: Decimal
    output: Decimal

    @property
    def cache_write_5m(self) -> Decimal:
        return self.input * CACHE_WRITE_5M

    @property
    def cache_write_1h(self) -> Decimal:
        return self.input * CACHE_WRITE_1H

    @property
    def cache_read(self) -> Decimal:
        return self.input * CACHE_READ


@dataclass(frozen=True, slots=True)
class ModelPrice:
    model_id: str
    base: Rates
    long_context: Rates | None = None
    min_cacheable_tokens: int = 1024

    def rates_for(self, prompt_tokens: int) -> Rates:
        if self.long_context is not None and prompt_tokens > LONG_CONTEXT_THRESHOLD:
            return self.long_context
        return self.base


def _rates(inp: str, out: str) -> Rates:
    return Rates(Decimal(inp), Decimal(out))


_SONNET_LONG = _rates("6", "22.50")
_PRICES = (
    (ModelPrice("claude-opus-4-5-20251101", _rates("5", "25")), ("claude-opus-4-5",)),
    (ModelPrice("claude-opus-4-1-20250805", _rates("15", "75")), ("claude-opus-4-1",)),
    (ModelPrice("claude-opus-4-20250514", _rates("15", "75")), ("claude-opus-4-0", "claude-opus-4")),
    (ModelPrice("claude-sonnet-4-6", _rates("3", "15"), _SONNET_LONG), ()),
    (ModelPrice("claude-sonnet-4-5-20250929", _rates("3", "15"), _SONNET_LONG), ("claude-sonnet-4-5",)),
    (
        ModelPrice("claude-sonnet-4-20250514", _rates("3", "15"), _SONNET_LONG),
        ("claude-sonnet-4-0", "claude-sonnet-4"),
    ),
    (
        ModelPrice("claude-haiku-4-5-20251001", _rates("1", "5"), min_cacheable_tokens=2048),
        ("claude-haiku-4-5",),
    ),
)
MODELS: dict[str, ModelPrice] = {
    name: price for price, aliases in _PRICES for name in (price.model_id, *aliases)
}


def price_of(model: str) -> ModelPrice:
    try:
        return MODELS[model]
    except KeyError:
        raise UnknownModelError(model) from None


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_write_5m_tokens + self.cache_write_1h_tokens + self.cache_read_tokens

    @classmethod
    def from_api(cls, usage: Mapping[str, Any]) -> Usage:
        """Reads an Anthropic `usage` object; cache writes without a 5m/1h split count as 5-minute writes."""

        def count(mapping: Mapping[str, Any] | None, key: str) -> int:
            return int((mapping or {}).get(key) or 0)

        written = count(usage, "cache_creation_input_tokens")
        split = usage.get("cache_creation")
        if split:
            one_hour = count(split, "ephemeral_1h_input_tokens")
            five_min = count(split, "ephemeral_5m_input_tokens")
        else:
            one_hour, five_min = 0, written
        return cls(
            input_tokens=count(usage, "input_tokens"),
            output_tokens=count(usage, "output_tokens"),
            cache_write_5m_tokens=five_min,
            cache_write_1h_tokens=one_hour,
            cache_read_tokens=count(usage, "cache_read_input_tokens"),
        )


def cost_usd(model: str, usage: Usage) -> Decimal:
    """Exact cost in USD (Decimal, no rounding)."""
    rates = price_of(model).rates_for(usage.prompt_tokens)
    total = (
        usage.input_tokens * rates.input
        + usage.output_tokens * rates.output
        + usage.cache_write_5m_tokens * rates.cache_write_5m
        + usage.cache_write_1h_tokens * rates.cache_write_1h
        + usage.cache_read_tokens * rates.cache_read
    )
    return total / MILLION


def worst_case_usd(model: str, prompt_tokens: int, max_tokens: int) -> Decimal:
    """The most a call can cost: every prompt token written to the 5-minute cache, plus max_tokens of output."""
    rates = price_of(model).rates_for(prompt_tokens)
    return (prompt_tokens * max(rates.input, rates.cache_write_5m) + max_tokens * rates.output) / MILLION
