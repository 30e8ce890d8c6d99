"""The NGSI-LD scope query language (clause 4.19): parser trees, errors, and the SQL run on the
real database against entities whose scopes are written out below."""

from __future__ import annotations

import asyncio
import json

import pytest
from ngsild_broker.errors import BadRequestData
from ngsild_broker.query.expression_parser import MAX_DEPTH
from ngsild_broker.query.scope_query import (
    MAX_LENGTH,
    MAX_LEVELS,
    MAX_SCOPES,
    ScopeAnd,
    ScopeOr,
    ScopePattern,
    parse_scope_q,
    scope_matches,
    scope_regex,
    scope_to_sql,
)


def pattern(text: str) -> ScopePattern:
    return ScopePattern(tuple(text.strip("/").split("/")))


# ----------------------------------------------------------------------------- parser


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("/Ostfriesland", pattern("/Ostfriesland")),
        ("/Ostfriesland/Emden", pattern("/Ostfriesland/Emden")),
        ("/Ostfriesland/#", ScopePattern(("Ostfriesland", "#"))),
        ("/#", ScopePattern(("#",))),
        ("/Ostfriesland/+/Hafen", ScopePattern(("Ostfriesland", "+", "Hafen"))),
        ("/+", ScopePattern(("+",))),
        ("/+/#", ScopePattern(("+", "#"))),
        ("/Landkreis_Leer/Bad-Zwischenahn", pattern("/Landkreis_Leer/Bad-Zwischenahn")),
        ("/Ostfriesland/Südbrookmerland", pattern("/Ostfriesland/Südbrookmerland")),
        ("/Zone/2026", pattern("/Zone/2026")),
        ("/a;/b", ScopeAnd((pattern("/a"), pattern("/b")))),
        ("/a,/b", ScopeOr((pattern("/a"), pattern("/b")))),
        ("/a|/b", ScopeOr((pattern("/a"), pattern("/b")))),
        ("/a,/b|/c", ScopeOr((pattern("/a"), pattern("/b"), pattern("/c")))),
        # ";" binds tighter than "," and "|"
        ("/a;/b,/c", ScopeOr((ScopeAnd((pattern("/a"), pattern("/b"))), pattern("/c")))),
        ("/a,/b;/c", ScopeOr((pattern("/a"), ScopeAnd((pattern("/b"), pattern("/c")))))),
        ("(/a,/b);/c", ScopeAnd((ScopeOr((pattern("/a"), pattern("/b"))), pattern("/c")))),
        ("((/a))", pattern("/a")),
        (" /a , ( /b ; /c ) ", ScopeOr((pattern("/a"), ScopeAnd((pattern("/b"), pattern("/c")))))),
    ],
)
def test_parse(text: str, tree) -> None:
    assert parse_scope_q(text) == tree


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty
        "   ",
        "Ostfriesland",  # no leading slash
        "Ostfriesland/Emden",
        "/",  # no level
        "/Ostfriesland/",  # trailing slash
        "//Ostfriesland",  # empty level
        "/Ostfriesland//Emden",
        "/Ostfriesland/#/Emden",  # '#' not last
        "/#/#",
        "/Ostfries+land",  # wildcard inside a name
        "/Ostfriesland/Em#den",
        "/Ostfriesland/#x",
        "/Ostfriesland/++",
        "/Ost friesland",  # space inside a scope
        "/Ost.friesland",  # characters outside the scope grammar
        "/Ost'friesland",
        "/Ostfriesland\x00",
        "/a;",  # dangling operators
        ";/a",
        "/a,",
        "/a||/b",
        "/a,,/b",
        "/a;;/b",
        "/a /b",  # missing operator
        "(/a",  # unbalanced parentheses
        "/a)",
        "(/a))",
        "()",
        "(/a;)",
        "/a(/b)",
    ],
)
def test_malformed_is_bad_request(text: str) -> None:
    with pytest.raises(BadRequestData) as raised:
        parse_scope_q(text)
    assert "scopeQ" in raised.value.detail


@pytest.mark.parametrize("value", [None, 5, ["/a"], {"scope": "/a"}])
def test_not_a_string_is_bad_request(value) -> None:
    with pytest.raises(BadRequestData):
        parse_scope_q(value)


def test_limits_are_bad_request_not_recursion() -> None:
    for text in (
        "/a" * (MAX_LENGTH // 2 + 1),  # too long
        "(" * (MAX_DEPTH + 1) + "/a" + ")" * (MAX_DEPTH + 1),  # nested too deeply
        "(" * 10_000,
        ",".join(["/a"] * (MAX_SCOPES + 1)),  # too many scopes
        "/a" * (MAX_LEVELS + 1),  # too many levels
    ):
        with pytest.raises(BadRequestData):
            parse_scope_q(text)
    # ... and just within the limits they parse
    parse_scope_q("(" * MAX_DEPTH + "/a" + ")" * MAX_DEPTH)
    parse_scope_q(",".join(["/a"] * MAX_SCOPES))
    parse_scope_q("/a" * MAX_LEVELS)


def test_error_names_the_position() -> None:
    with pytest.raises(BadRequestData) as raised:
        parse_scope_q("/Ostfriesland/Emden;/Leer/")
    assert "position 26" in raised.value.detail


# ----------------------------------------------------------------------------- SQL text


def test_regex_of_wildcards() -> None:
    assert scope_regex(parse_scope_q("/Ostfriesland/#")) == "^/Ostfriesland(/.*)?$"
    assert scope_regex(parse_scope_q("/#")) == "^/.*$"
    assert scope_regex(parse_scope_q("/a/+/b")) == "^/a/[^/]+/b$"
    assert scope_regex(parse_scope_q("/Bad-Zwischenahn/+")) == "^/Bad\\-Zwischenahn/[^/]+$"


def test_user_text_reaches_sql_only_as_parameters() -> None:
    params: list[object] = []

    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    sql = scope_to_sql(parse_scope_q("(/Ostfriesland/Emden;/Leer/+),/Aurich/#"), bind)
    assert params == ["/Ostfriesland/Emden", "^/Leer/[^/]+$", "^/Aurich(/.*)?$"]
    for name in ("Ostfriesland", "Emden", "Leer", "Aurich"):
        assert name not in sql
    assert sql.count("$") == 3


# ----------------------------------------------------------------------------- semantics

# Entity id -> stored scope (the JSON of the scope column).
FIXTURES: dict[str, object] = {
    "emden": "/Ostfriesland/Emden",
    "emden-hafen": "/Ostfriesland/Emden/Hafen",
    "leer-hafen": ["/Ostfriesland/Leer/Hafen", "/Betreiber/NPorts"],
    "ostfriesland": "/Ostfriesland",
    "ostfrieslandplus": "/OstfrieslandPlus/Emden",  # prefix of a name is not a parent
    "nports": ["/Betreiber/NPorts"],
    "two-regions": ["/Ostfriesland/Emden", "/Emsland/Papenburg"],
    "no-scope": None,
    "empty-list": [],
    "junk": {"not": "a scope"},
    "junk-list": [5, "/Emsland/Meppen"],
}

# scopeQ -> ids it must select (written out by hand, not derived from the implementation).
CASES: list[tuple[str, set[str]]] = [
    ("/Ostfriesland/Emden", {"emden", "two-regions"}),
    ("/Ostfriesland", {"ostfriesland"}),
    ("/Ostfriesland/#",
     {"ostfriesland", "emden", "emden-hafen", "leer-hafen", "two-regions"}),
    ("/Ostfriesland/Emden/#", {"emden", "emden-hafen", "two-regions"}),
    ("/Ostfriesland/+", {"emden", "two-regions"}),
    ("/Ostfriesland/+/Hafen", {"emden-hafen", "leer-hafen"}),
    ("/+/Emden", {"emden", "two-regions", "ostfrieslandplus"}),
    ("/+", {"ostfriesland"}),
    ("/#", set(FIXTURES) - {"no-scope", "empty-list", "junk"}),
    ("/Ostfriesland/Emden;/Emsland/Papenburg", {"two-regions"}),
    ("/Ostfriesland/Emden,/Emsland/Papenburg", {"emden", "two-regions"}),
    ("/Ostfriesland/Emden|/Betreiber/NPorts", {"emden", "two-regions", "leer-hafen", "nports"}),
    ("/Ostfriesland/+/Hafen;/Betreiber/#", {"leer-hafen"}),
    ("(/Ostfriesland/#;/Betreiber/NPorts),/Emsland/Meppen", {"leer-hafen", "junk-list"}),
    ("/Betreiber/NPorts;(/Ostfriesland/Leer/Hafen,/Emsland/#)", {"leer-hafen"}),
    ("/Ostfriesland/Emden;/Nowhere", set()),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_python_semantics(text: str, expected: set[str]) -> None:
    node = parse_scope_q(text)
    assert {eid for eid, scope in FIXTURES.items() if scope_matches(node, scope)} == expected


@pytest.fixture(scope="module")
def db():
    import asyncpg

    from smartregion import credentials
    from smartregion.settings import PlatformSettings

    settings = PlatformSettings(instance="test")
    try:
        dsn = credentials.broker_db_dsn(
            credentials.broker_db_password(settings.secrets_file), "127.0.0.1",
            settings.port("pg_port"),
        )
    except Exception as error:  # no test instance on this machine
        pytest.fail(f"test instance not set up (make test starts it): {error}", pytrace=False)
    loop = asyncio.new_event_loop()

    async def connect():
        return await asyncpg.connect(dsn, timeout=10)

    async def setup(connection):
        await connection.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        await connection.execute("CREATE TEMP TABLE entities_s (LIKE entities INCLUDING DEFAULTS)")
        await connection.executemany(
            "INSERT INTO entities_s (tenant, id, types, attrs, scope) "
            "VALUES ('', $1, $2, '{}', $3)",
            [(eid, ["urn:test:Thing"], scope) for eid, scope in FIXTURES.items()],
        )

    try:
        connection = loop.run_until_complete(connect())
    except (TimeoutError, OSError, asyncpg.CannotConnectNowError) as error:
        loop.close()
        pytest.fail(
            f"broker database not reachable (smartregion up --instance test): {error}",
            pytrace=False,
        )
    loop.run_until_complete(setup(connection))
    yield loop, connection
    loop.run_until_complete(connection.close())
    loop.close()


def run_scope_q(db, text: str) -> set[str]:
    loop, connection = db
    params: list[object] = []

    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    where = scope_to_sql(parse_scope_q(text), bind)
    rows = loop.run_until_complete(
        connection.fetch(f"SELECT id FROM entities_s WHERE {where}", *params)
    )
    return {row["id"] for row in rows}


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_query_on_database(db, text: str, expected: set[str]) -> None:
    assert run_scope_q(db, text) == expected


def test_null_scope_rows_are_stored_as_sql_null(db) -> None:
    # Guards the fixture: "no-scope" must be a NULL column, "junk" a JSON object.
    loop, connection = db
    rows = loop.run_until_complete(connection.fetch(
        "SELECT id, scope IS NULL AS missing, jsonb_typeof(scope) AS kind FROM entities_s"
    ))
    kinds = {row["id"]: (row["missing"], row["kind"]) for row in rows}
    assert kinds["no-scope"] == (True, None)
    assert kinds["junk"] == (False, "object")
    assert kinds["emden"] == (False, "string")


def test_cases_are_not_vacuous() -> None:
    # Besides the deliberate empty case, no case selects nothing or everything.
    for text, expected in CASES[:-1]:
        assert expected and expected != set(FIXTURES), text
