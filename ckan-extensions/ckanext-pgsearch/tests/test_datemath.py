"""Solr date values and date math resolve to the right UTC instants."""

from datetime import UTC, datetime

import pytest

from ckanext.pgsearch.datemath import DateMathError, parse_solr_date

NOW = datetime(2026, 3, 15, 13, 45, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("NOW", NOW),
        ("NOW-7DAYS", datetime(2026, 3, 8, 13, 45, 30, tzinfo=UTC)),
        ("NOW/DAY", datetime(2026, 3, 15, tzinfo=UTC)),
        ("NOW-1MONTH/MONTH", datetime(2026, 2, 1, tzinfo=UTC)),
        ("NOW+2HOURS", datetime(2026, 3, 15, 15, 45, 30, tzinfo=UTC)),
        ("2023-01-01T00:00:00Z", datetime(2023, 1, 1, tzinfo=UTC)),
        ("2023-01-01T02:00:00+02:00", datetime(2023, 1, 1, tzinfo=UTC)),
        ("2023-01-01", datetime(2023, 1, 1, tzinfo=UTC)),
        ("2023-01-31T00:00:00Z+1MONTH", datetime(2023, 2, 28, tzinfo=UTC)),
    ],
)
def test_solr_dates(value, expected):
    assert parse_solr_date(value, now=NOW) == expected


@pytest.mark.parametrize("value", ["yesterday", "NOW-1FORTNIGHT", "2023-13-45"])
def test_bad_dates_are_errors(value):
    with pytest.raises(DateMathError):
        parse_solr_date(value, now=NOW)
