"""The API's 422 messages are words a founder can read next to the field, not msgspec's notation."""

from __future__ import annotations

import pytest

from cofounder.api.error_text import humane


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("Object missing required field `goal`", "is required"),
        ("Expected `str` of length >= 1 - at `$.goal`", "should have at least 1 character"),
        ("Expected `str` of length <= 4000 - at `$.goal`", "should have at most 4000 characters"),
        ("Expected `str` matching regex '\\\\S' - at `$.goal`", "should not be blank"),
        ("Expected `float` > 0.0 - at `$.daily_budget_usd`", "should be greater than 0"),
        ("Expected `float` <= 1000000.0", "should be at most 1000000"),
        ("Expected `int` >= 0", "should be at least 0"),
        ("Expected `float | null`, got `bool` - at `$.x`", "should be a number or null, not a boolean"),
        ("Expected `object`, got `array`", "should be an object, not an array"),
        ("Invalid enum value 'gpt-4' - at `$.model`", "'gpt-4' is not one of the allowed values"),
        ("Some `new` message", "Some new message"),
    ],
)
def test_humane(raw, words):
    assert humane(raw) == words
