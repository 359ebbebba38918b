"""moto 5.2.5 writes the result of a DynamoDB `ADD`/`SET a = a - b` on numbers with `f"{Decimal}"`, which is
scientific notation for small values (`0E-8`), then fails to parse it back (`int("0E-8")`) on the next `ADD`:
a reservation released to exactly zero breaks the next one. Real DynamoDB normalizes numbers. This patch
writes such results in plain notation, as DynamoDB returns them."""

from __future__ import annotations

from decimal import Decimal

import moto
from moto.dynamodb.models.dynamo_type import DynamoType

TESTED_MOTO = "5.2.5"
_applied = False


def _plain(result: DynamoType) -> DynamoType:
    if result.is_number() and "E" in result.value.upper():
        result.value = format(Decimal(result.value), "f")
    return result


def normalize_number_arithmetic() -> None:
    global _applied
    if _applied:
        return
    if moto.__version__ != TESTED_MOTO:
        raise RuntimeError(f"localcloud.moto_numbers is tested with moto {TESTED_MOTO}, not {moto.__version__}")
    add, sub = DynamoType.__add__, DynamoType.__sub__
    DynamoType.__add__ = lambda self, other: _plain(add(self, other))  # type: ignore[method-assign]
    DynamoType.__sub__ = lambda self, other: _plain(sub(self, other))  # type: ignore[method-assign]
    _applied = True
