"""The SQL builder binds every value and picks the matching operator per field type."""

import pytest

from ckanext.pgsearch.query_parser import QuerySyntaxError, parse_query
from ckanext.pgsearch.sql_builder import SqlBuilder


def compile_(query, resolved=None):
    calls = []

    def resolve(wanted):
        calls.append(list(wanted))
        return [(resolved or {}).get(w, f"'{w[1].lower()}'") for w in wanted]

    result = SqlBuilder().compile([parse_query(query)], resolve)
    return result, calls


def test_other_string_fields_use_indexed_containment_with_bound_json():
    result, calls = compile_('political_geocoding_level:"district"')
    assert result.sql == "(fields @> CAST(:p0 AS jsonb))"
    assert result.params == {"p0": '{"political_geocoding_level": ["district"]}'}
    assert calls == []


def test_hot_fields_use_typed_columns():
    scalar, _ = compile_('organization:"stadt-emden"')
    assert scalar.sql == "(organization = :p0)"
    array, _ = compile_("tags:wasser")
    assert array.sql == "(tags @> ARRAY[CAST(:p0 AS text)])"


def test_catch_all_text_is_normalised_by_postgres_and_ranked():
    result, calls = compile_("Pegelstände", {("plainto_tsquery", "Pegelstände"): "'pegelstand'"})
    assert calls == [[("plainto_tsquery", "Pegelstände")]]
    assert "search_vector @@ CAST(:p0 AS tsquery)" in result.sql
    assert result.rank_tsquery == "('pegelstand')"


def test_stop_word_only_terms_constrain_nothing():
    result, _ = compile_("die", {("plainto_tsquery", "die"): ""})
    assert result.sql == "(TRUE)"
    assert result.rank_tsquery is None


def test_negated_text_is_not_used_for_ranking():
    result, _ = compile_("wasser -luft")
    assert result.rank_tsquery == "('wasser')"
    assert "NOT (search_vector" in result.sql


def test_id_and_name_use_their_columns():
    result, _ = compile_('id:"abc" OR name:"abc"')
    assert "id = :p0" in result.sql and "name = :p1" in result.sql


def test_date_range_uses_timestamp_column():
    result, _ = compile_("metadata_modified:[2023-01-01T00:00:00Z TO *]")
    assert result.sql == "(metadata_modified >= :p0)"
    assert result.params["p0"].year == 2023


def test_numeric_range_casts_safely():
    result, _ = compile_("extras_population:[1000 TO 5000}")
    assert "pgsearch_try_numeric(x) >= :p0" in result.sql
    assert "pgsearch_try_numeric(x) < :p1" in result.sql


def test_user_text_never_reaches_sql_text():
    nasty = "x'); DROP TABLE package; --"
    result, _ = compile_(f'tags:"{nasty}"')
    assert "DROP" not in result.sql


def test_infix_wildcard_on_text_field_is_refused():
    with pytest.raises(QuerySyntaxError, match="prefix"):
        compile_("*wasser")


def test_spatial_filter_on_other_field_is_refused():
    with pytest.raises(QuerySyntaxError, match="unknown field"):
        compile_("{!field f=other}Intersects(ENVELOPE(1, 2, 3, 0))")
