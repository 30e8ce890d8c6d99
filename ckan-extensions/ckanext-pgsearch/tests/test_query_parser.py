"""The Solr syntax CKAN and its extensions emit parses into the intended tree."""

import pytest

from ckanext.pgsearch.query_ast import Bool, Exists, MatchAll, Range, SpatialIntersects, Term
from ckanext.pgsearch.query_parser import QuerySyntaxError, parse_lenient, parse_query


def test_match_all_and_empty():
    assert parse_query("*:*") == MatchAll()
    assert parse_query("  ") == MatchAll()


def test_ckan_visibility_filter():
    tree = parse_query("+capacity:public  +state:(active OR draft)")
    assert tree == Bool(
        must=(
            Term("capacity", "public"),
            Bool(should=(Term("state", "active"), Term("state", "draft"))),
        )
    )


def test_negation_and_quoted_values():
    assert parse_query("-dataset_type:harvest") == Bool(must_not=(Term("dataset_type", "harvest"),))
    assert parse_query('+site_id:"default"') == Term("site_id", "default", phrase=True)


def test_and_binds_tighter_than_or():
    tree = parse_query("a OR b AND c")
    assert tree == Bool(should=(Term(None, "a"), Bool(must=(Term(None, "b"), Term(None, "c")))))


def test_default_operator_or_keeps_plus_clauses_required():
    tree = parse_query("a +b", default_and=False)
    assert tree == Bool(must=(Term(None, "b"),), should=(Term(None, "a"),))


def test_dcat_modified_since_range():
    tree = parse_query("metadata_modified:[2023-01-01T00:00:00Z TO NOW]")
    assert tree == Range("metadata_modified", "2023-01-01T00:00:00Z", "NOW")


def test_exclusive_and_open_ranges():
    assert parse_query("num:{1 TO *]") == Range("num", "1", None, include_low=False)
    assert parse_query("num:[* TO *]") == Exists("num")
    assert parse_query("num:*") == Exists("num")


def test_spatial_local_params_from_ckanext_spatial():
    tree = parse_query("{!field f=spatial_geom}Intersects(ENVELOPE(7.0, 7.5, 53.5, 53.2))")
    assert tree == SpatialIntersects("spatial_geom", 7.0, 53.2, 7.5, 53.5)


def test_wildcards_escapes_and_boosts():
    assert parse_query("name:pegel*") == Term("name", "pegel*", wildcard=True)
    assert parse_query(r"id:a\:b") == Term("id", "a:b")
    assert parse_query("title:foo^4") == Term("title", "foo")


@pytest.mark.parametrize(
    "query, message",
    [
        ("foo~2", "fuzzy"),
        ("{!frange l=0 u=1}div(1,2)", "Local parameters"),
        ("title:(a", r"expected '\)'"),
        ("_query_:x", "magic fields"),
        ("[a TO b]", "needs a field"),
        ('"open phrase', "unterminated"),
        ("x:[1 2]", "[low TO high]"),
    ],
)
def test_unsupported_syntax_is_refused_with_a_reason(query, message):
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(query)


def test_search_box_text_is_parsed_leniently():
    tree = parse_lenient('Pegel: "neue seeschleuse" [')
    assert tree == Bool(must=(Term(None, "Pegel"), Term(None, "neue seeschleuse", phrase=True)))
