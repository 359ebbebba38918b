"""msgspec's validation messages (`Expected `str` of length >= 1`) in words a founder reads next to a field."""

from __future__ import annotations

import re

_TYPES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "null",
    "object": "an object",
    "array": "an array",
    "dict": "an object",
    "list": "an array",
}
_COMPARISONS = {
    ">": "greater than",
    ">=": "at least",
    "<": "less than",
    "<=": "at most",
}


def _kind(spec: str) -> str:
    return " or ".join(_TYPES.get(part.strip(), part.strip()) for part in spec.split("|"))


def _number(text: str) -> str:
    value = float(text)
    return str(int(value)) if value.is_integer() else text


def _length(op: str, size: str) -> str:
    unit = "character" if size == "1" else "characters"
    return f"should have {_COMPARISONS[op]} {size} {unit}"


_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"^Object missing required field `[^`]+`$"), lambda m: "is required"),
    (re.compile(r"^Expected `str` of length (?P<op>[<>]=?) (?P<n>\d+)$"), lambda m: _length(m["op"], m["n"])),
    (re.compile(r"^Expected `str` matching regex '\\\\S'$"), lambda m: "should not be blank"),
    (
        re.compile(r"^Expected `(?:int|float)` (?P<op>[<>]=?) (?P<n>[-\d.e+]+)$"),
        lambda m: f"should be {_COMPARISONS[m['op']]} {_number(m['n'])}",
    ),
    (
        re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$"),
        lambda m: f"should be {_kind(m['want'])}, not {_kind(m['got'])}",
    ),
    (re.compile(r"^Invalid enum value (?P<value>.+)$"), lambda m: f"{m['value']} is not one of the allowed values"),
]


def humane(message: str) -> str:
    """The message without its `- at $.path` suffix, in words where the shape is known."""
    message = message.split(" - at `", 1)[0]
    for pattern, words in _RULES:
        if match := pattern.match(message):
            return words(match)  # type: ignore[operator]
    return message.replace("`", "")
