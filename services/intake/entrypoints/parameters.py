"""Query parameters as the OpenAPI document states them, parsed exactly so: an integer is
decimal digits (not `4.0`, `+4`, ` 4 ` or `4_0`, which pydantic's lax mode would take), a day
is `YYYY-MM-DD` (not a timestamp or a date-time), a bound of a period is a date or a
date-time with its offset (domain/periods.py). An optional parameter is absent or a value,
never null."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from services.intake.domain.periods import DATE_PATTERN, DATE_TIME_PATTERN

_INTEGER = re.compile(r"-?[0-9]{1,18}")


def _integer_text(value: Any) -> Any:
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
        raise PydanticCustomError("int_parsing", "应为十进制整数 / must be decimal digits")
    return value


def _day_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            if re.match(DATE_PATTERN, value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        raise PydanticCustomError("date_parsing", "应为日期 YYYY-MM-DD / must be YYYY-MM-DD")
    return value


_DIGITS = BeforeValidator(_integer_text)
# The validator after Query: before it, FastAPI would publish ge/le instead of min/maximum.
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page"), _DIGITS]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip"), _DIGITS]
Day = Annotated[date, BeforeValidator(_day_text)]
PERIOD_BOUND_SCHEMA = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN},
    ]
}
PeriodBound = Annotated[str | SkipJsonSchema[None], WithJsonSchema(PERIOD_BOUND_SCHEMA)]
Text = Annotated[str | SkipJsonSchema[None], Query(min_length=1, max_length=100)]
