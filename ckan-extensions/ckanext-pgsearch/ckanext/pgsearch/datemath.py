"""Solr date values and date math (``NOW-7DAYS``, ``NOW/DAY``) as UTC datetimes.

ckanext-dcat's ``modified_since`` sends ``metadata_modified:[<date> TO NOW]``;
clients of the API send Solr dates with math. Parsing them here lets the SQL use
real ``timestamptz`` comparisons.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dateutil.parser import ParserError, isoparse
from dateutil.relativedelta import relativedelta

_MATH_RE = re.compile(r"([+-]\d+|/)(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND|MILLI|MILLISECOND)S?")
_UNITS = {
    "YEAR": "years",
    "MONTH": "months",
    "DAY": "days",
    "HOUR": "hours",
    "MINUTE": "minutes",
    "SECOND": "seconds",
}
_ROUND_FIELDS = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]


class DateMathError(ValueError):
    """A date bound could not be understood."""


def parse_solr_date(value: str, *, now: datetime | None = None) -> datetime:
    """Return the UTC instant a Solr date expression denotes."""
    now = now or datetime.now(UTC)
    anchor_text, math = _split_anchor(value)
    if anchor_text == "NOW":
        moment = now
    else:
        try:
            moment = isoparse(anchor_text)
        except (ParserError, ValueError) as error:
            raise DateMathError(f"not a date: {value!r}") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    for operator, unit in _MATH_RE.findall(math):
        if operator == "/":
            moment = _round_down(moment, unit)
        elif unit in ("MILLI", "MILLISECOND"):
            moment += timedelta(milliseconds=int(operator))
        else:
            moment += relativedelta(**{_UNITS[unit]: int(operator)})
    return moment.astimezone(UTC)


def _split_anchor(value: str) -> tuple[str, str]:
    if value.startswith("NOW"):
        anchor, math = "NOW", value[3:]
    else:
        # An ISO date ends at the first date-math operator after the time part.
        match = re.match(r"^(\d{4}-\d{2}-\d{2}(?:T[0-9:.]+)?(?:Z|[+-]\d{2}:?\d{2})?)(.*)$", value)
        if not match:
            raise DateMathError(f"not a date: {value!r}")
        anchor, math = match.group(1), match.group(2)
    if math and _MATH_RE.sub("", math):
        raise DateMathError(f"unsupported date math in {value!r}")
    return anchor, math


def _round_down(moment: datetime, unit: str) -> datetime:
    keep = _ROUND_FIELDS.index(unit) if unit in _ROUND_FIELDS else len(_ROUND_FIELDS)
    replacements = {"microsecond": 0}
    defaults = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0}
    for name in ("month", "day", "hour", "minute", "second")[keep:]:
        replacements[name] = defaults[name]
    return moment.replace(**replacements)
