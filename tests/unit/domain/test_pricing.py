from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cofounder.domain.pricing import MODELS, UnknownModelError, Usage, cost_usd, price_of, worst_case_usd

M = Decimal(1_000_000)


@pytest.mark.parametrize(
    ("model", "inp", "out"),
    [
        ("claude-opus-4-5", "5", "25"),
        ("claude-opus-4-5-20251101", "5", "25"),
        ("claude-opus-4-1", "15", "75"),
        ("claude-opus-4-1-20250805", "15", "75"),
        ("claude-opus-4-0", "15", "75"),
        ("claude-opus-4-20250514", "15", "75"),
        ("claude-sonnet-4-6", "3", "15"),
        ("claude-sonnet-4-5", "3", "15"),
        ("claude-sonnet-4-5-20250929", "3", "15"),
        ("claude-sonnet-4-0", "3", "15"),
        ("claude-sonnet-4-20250514", "3", "15"),
        ("claude-haiku-4-5", "1", "5"),
        ("claude-haiku-4-5-20251001", "1", "5"),
    ],
)
def test_every_model_and_alias_is_priced(model, inp, out):
    rates = price_of(model).base
    assert rates.input == Decimal(inp)
    assert rates.output == Decimal(out)
    assert rates.cache_write_5m == Decimal(inp) * Decimal("1.25")
    assert rates.cache_write_1h == Decimal(inp) * 2
    assert rates.cache_read == Decimal(inp) / 10


def test_each_usage_field_is_priced_exactly():
    model = "claude-sonnet-4-5"
    assert cost_usd(model, Usage(input_tokens=100_000)) == Decimal("0.3")
    assert cost_usd(model, Usage(output_tokens=1_000_000)) == Decimal("15")
    assert cost_usd(model, Usage(cache_write_5m_tokens=100_000)) == Decimal("0.375")
    assert cost_usd(model, Usage(cache_write_1h_tokens=100_000)) == Decimal("0.6")
    assert cost_usd(model, Usage(cache_read_tokens=100_000)) == Decimal("0.03")
    assert cost_usd(model, Usage(input_tokens=1)) == Decimal("0.000003")
    assert cost_usd("claude-haiku-4-5", Usage(cache_read_tokens=7)) == Decimal("0.0000007")


def test_5m_and_1h_cache_writes_are_priced_separately_from_the_api_usage():
    usage = Usage.from_api(
        {
            "input_tokens": 10,
            "output_tokens": 20,
            "cache_creation_input_tokens": 300,
            "cache_read_input_tokens": 40,
            "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 200},
        }
    )
    assert usage == Usage(10, 20, 100, 200, 40)
    expected = 10 * Decimal(5) + 20 * Decimal(25) + 100 * Decimal("6.25") + 200 * Decimal(10) + 40 * Decimal("0.5")
    expected /= M
    assert cost_usd("claude-opus-4-5", usage) == expected


def test_cache_writes_without_split_count_as_5_minute_writes():
    usage = Usage.from_api({"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 50})
    assert usage.cache_write_5m_tokens == 50
    assert usage.cache_write_1h_tokens == 0


def test_missing_and_null_usage_fields_are_zero():
    assert Usage.from_api({"input_tokens": 5, "cache_read_input_tokens": None}) == Usage(input_tokens=5)


def test_sonnet_long_context_rates_apply_above_200k_prompt_tokens():
    at_limit = Usage(input_tokens=200_000, output_tokens=1000)
    assert cost_usd("claude-sonnet-4-5", at_limit) == (200_000 * Decimal(3) + 1000 * Decimal(15)) / M
    above = Usage(input_tokens=150_000, cache_read_tokens=50_001, output_tokens=1000)
    expected = (150_000 * Decimal(6) + 50_001 * Decimal("0.6") + 1000 * Decimal("22.5")) / M
    assert cost_usd("claude-sonnet-4-0", above) == expected
    # Opus and Haiku have no long-context surcharge
    big = Usage(input_tokens=300_000)
    assert cost_usd("claude-opus-4-5", big) == 300_000 * Decimal(5) / M


def test_unknown_model_is_a_clear_error():
    with pytest.raises(UnknownModelError, match=r"unknown model 'gpt-4'.*claude-sonnet-4-5"):
        price_of("gpt-4")
    with pytest.raises(UnknownModelError):
        cost_usd("claude-2", Usage(input_tokens=1))


def test_worst_case_covers_any_real_usage_of_that_prompt():
    worst = worst_case_usd("claude-sonnet-4-5", 1000, 500)
    assert worst == (1000 * Decimal("3.75") + 500 * Decimal(15)) / M
    assert worst >= cost_usd("claude-sonnet-4-5", Usage(cache_write_5m_tokens=1000, output_tokens=500))


@given(
    model=st.sampled_from(sorted(MODELS)),
    inp=st.integers(0, 400_000),
    out=st.integers(0, 64_000),
    w5=st.integers(0, 100_000),
    w1=st.integers(0, 100_000),
    read=st.integers(0, 100_000),
)
def test_cost_is_exact_additive_and_never_negative(model, inp, out, w5, w1, read):
    usage = Usage(inp, out, w5, w1, read)
    cost = cost_usd(model, usage)
    assert cost >= 0
    rates = price_of(model).rates_for(usage.prompt_tokens)
    parts = inp * rates.input + out * rates.output + w5 * rates.cache_write_5m + w1 * rates.cache_write_1h
    assert cost * M == parts + read * rates.cache_read
