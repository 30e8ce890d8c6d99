"""The NGSI-LD query language: parser trees and errors, and SQL run on the real database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
from ngsild_broker.errors import BadRequestData
from ngsild_broker.query.expression_parser import MAX_DEPTH
from ngsild_broker.query.q_language import (
    MAX_LENGTH,
    MAX_TERMS,
    And,
    Or,
    Path,
    Range,
    Term,
    Value,
    parse_q,
    q_to_sql,
)

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"


def expand(term: str) -> str:
    return term if ":" in term else DEFAULT + term


def num(n: str) -> Value:
    return Value("number", Decimal(n))


def text(s: str) -> Value:
    return Value("string", s)


def attr(name: str, op: str | None = None, *values: Value | Range) -> Term:
    return Term(Path((name,)), op, tuple(values))


# ----------------------------------------------------------------------------- parser


@pytest.mark.parametrize(
    ("q", "tree"),
    [
        ("temperature", attr("temperature")),
        ("!temperature", Term(Path(("temperature",)), negated=True)),
        ("temperature==20", attr("temperature", "==", num("20"))),
        ("t!=-1.5e2", attr("t", "!=", num("-1.5e2"))),
        ("t>1", attr("t", ">", num("1"))),
        ("t>=1", attr("t", ">=", num("1"))),
        ("t<1", attr("t", "<", num("1"))),
        ("t<=1", attr("t", "<=", num("1"))),
        ('name=="Ber \\"lin\\""', attr("name", "==", text('Ber "lin"'))),
        ("name~=^B.*(a|b)$", attr("name", "~=", Value("regex", "^B.*(a|b)$"))),
        ('name!~="x;y"', attr("name", "!~=", Value("regex", "x;y"))),
        ("t==1..5", attr("t", "==", Range(num("1"), num("5")))),
        ('n=="a".."c"', attr("n", "==", Range(text("a"), text("c")))),
        ("t==1,2,3", attr("t", "==", num("1"), num("2"), num("3"))),
        ('n=="a","b"', attr("n", "==", text("a"), text("b"))),
        ("ok==true", attr("ok", "==", Value("boolean", True))),
        ("ok!=false", attr("ok", "!=", Value("boolean", False))),
        ("ref==urn:ngsi-ld:Device:1", attr("ref", "==", text("urn:ngsi-ld:Device:1"))),
        (
            "t.observedAt>2024-05-01T10:00:00Z",
            Term(Path(("t",), "observedAt"), ">",
                 (Value("datetime", "2024-05-01T10:00:00+00:00"),)),
        ),
        ("d==2024-05-01", attr("d", "==", Value("date", "2024-05-01"))),
        ("t.unitCode==\"CEL\"", Term(Path(("t",), "unitCode"), "==", (text("CEL"),))),
        ("t.datasetId==urn:ds:1", Term(Path(("t",), "datasetId"), "==", (text("urn:ds:1"),))),
        ("t.quality==\"good\"", Term(Path(("t", "quality")), "==", (text("good"),))),
        ("a.b.observedAt", Term(Path(("a", "b"), "observedAt"))),
        ("address[city][zip]==1", Term(Path(("address",), None, ("city", "zip")), "==",
                                       (num("1"),))),
        ("a;b|c", Or((And((attr("a"), attr("b"))), attr("c")))),
        ("a|b;c", Or((attr("a"), And((attr("b"), attr("c")))))),
        ("(a|b);c", And((Or((attr("a"), attr("b"))), attr("c")))),
        (" ( a == 1 ) ; b ", And((attr("a", "==", num("1")), attr("b")))),
        ("schema:name", attr("schema:name")),
    ],
)
def test_parse_trees(q, tree):
    assert parse_q(q) == tree


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("(a==1", "unbalanced parentheses"),
        ("a==1)", "unbalanced parentheses"),
        ("((a)", "unbalanced parentheses"),
        ("a;;b", "empty term"),
        (";a", "empty term"),
        ("a|", "empty term"),
        ("()", "empty term"),
        ("a=1", "bad operator"),
        ("a=<1", "bad operator"),
        ("a<>1", "bad operator"),
        ("a===1", "bad operator"),
        ("a==", "missing value"),
        ("a==1 2", "unexpected character"),
        ('a=="open', "unterminated"),
        ("a>1..5", "range needs"),
        ("a<1,2", "value list needs"),
        ("a>true", "cannot be compared"),
        ('a==1.."z"', "range bounds"),
        ("a==12abc", "bad number"),
        ("a==2024-13-01T00:00:00Z", "invalid date"),
        ("a~=(unclosed", "invalid regular expression"),
        ("a~=x(?P<n>y)", "invalid regular expression"),
        ("a~=x(?i)y", "invalid regular expression"),
        ("a[", "unclosed"),
        ("a[]==1", "empty key"),
        ("a[k].b", "'.' after"),
        ("a.observedAt[k]", "no keys"),
        ("a b", "unexpected character"),
        ("!a==1", "non-existence"),
        ("a" * (MAX_LENGTH + 1), "too long"),
        ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), "nested deeper"),
        (";".join(["a"] * (MAX_TERMS + 1)), f"more than {MAX_TERMS} terms"),
        ("a~=" + "(" * 40 + "x" + ")" * 40, "nested too deeply"),
    ],
)
def test_parse_errors(q, message):
    with pytest.raises(BadRequestData, match=re.escape(message)):
        parse_q(q)


def test_error_reports_position():
    with pytest.raises(BadRequestData, match="position 6"):
        parse_q("a==1;b=2")


def test_limits_are_inclusive():
    parse_q("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    parse_q(";".join(["a"] * MAX_TERMS))


@pytest.mark.parametrize(
    "q",
    ["(" * 3000, ")" * 3000, "a==" + '"' * 4000, "a~=" + "\\" * 4000, "[" * 4000,
     "a" + "[k]" * 1300, "a==" + "1." * 2000, "a==" + ".." * 2000, "\x00\udcff",
     "a~=" + "[" * 4000, "a~=" + "(?" * 2000, "a==" + "," * 4000],
)
def test_absurd_input_is_bad_request(q):
    with contextlib.suppress(BadRequestData):  # anything else (or a hang) fails the test
        parse_q(q)


def test_sql_binds_every_name_and_value():
    params: list[object] = []

    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    evil = "x'); DROP TABLE entities; --"
    sql = q_to_sql(parse_q(f'na-me=="{evil}";a.b[k\']==1'), expand, bind)
    assert evil not in sql and "na-me" not in sql and "k'" not in sql
    assert expand("na-me") in params and evil in params and ["k'"] in params


# ----------------------------------------------------------------------------- database

DEVICE1, DEVICE2 = "urn:ngsi-ld:Device:1", "urn:ngsi-ld:Device:2"

# Compact fixtures: attribute name -> instance or list of instances (sub-attributes inline).
FIXTURES: dict[str, dict] = {
    "urn:e1": {
        "temperature": {"type": "Property", "value": 21.5, "unitCode": "CEL",
                        "observedAt": "2024-05-01T10:00:00Z"},
        "name": {"type": "Property", "value": "Alpha"},
        "status": {"type": "Property", "value": True},
        "category": {"type": "VocabProperty", "vocab": "tide"},
        "refDevice": {"type": "Relationship", "object": DEVICE1},
        "address": {"type": "Property", "value": {"city": "Emden", "zip": "26721"}},
    },
    "urn:e2": {
        "temperature": {"type": "Property", "value": 18,
                        "quality": {"type": "Property", "value": "good"}},
        "name": {"type": "Property", "value": "Beta"},
        "status": {"type": "Property", "value": False},
        "refDevice": {"type": "Relationship", "object": [DEVICE1, DEVICE2]},
    },
    "urn:e3": {
        "temperature": {"type": "Property", "value": "warm"},
        "name": {"type": "Property", "value": "alpha2"},
        "tags": {"type": "ListProperty", "valueList": ["a", "b"]},
    },
    "urn:e4": {
        "temperature": [
            {"type": "Property", "value": 5},
            {"type": "Property", "value": 30, "datasetId": "urn:ds:2",
             "observedAt": "2024-05-02T00:00:00+02:00"},
        ],
        "label": {"type": "LanguageProperty", "languageMap": {"de": "Pegel", "en": "Gauge"}},
    },
    "urn:e5": {
        "name": {"type": "Property", "value": "Gamma"},
        "address": {"type": "Property", "value": {"city": "Leer"}},
        "category": {"type": "VocabProperty", "vocab": "river"},
    },
    "urn:e6": {
        "temperature": {"type": "Property", "value": 25,
                        "quality": {"type": "Property", "value": "bad"}},
        "count": {"type": "Property", "value": 3},
    },
    "urn:e7": {
        "temperature": {"type": "Property", "value": 40, "observedAt": "2023-12-31T23:59:59Z"},
        "name": {"type": "Property", "value": 42},
        "count": {"type": "Property", "value": "three"},
    },
    "urn:e8": {
        "temperature": {"type": "Property", "value": {"x": 1}},
        "name": {"type": "Property", "value": "Zeta"},
        "address": {"type": "Property", "value": {"city": {"de": "Köln"}}},
    },
}
MEMBERS = {"type", "value", "object", "vocab", "valueList", "languageMap", "observedAt",
           "unitCode", "datasetId"}


def stored_instance(instance: dict) -> dict:
    out = {}
    for key, value in instance.items():
        if key == "vocab":
            out[key] = expand(value)
        elif key in MEMBERS:
            out[key] = value
        else:
            out[expand(key)] = [stored_instance(i) for i in as_list(value)]
    return out


def as_list(value):
    return value if isinstance(value, list) else [value]


def stored(entity: dict) -> dict:
    return {
        expand(name): [stored_instance(i) for i in as_list(raw)] for name, raw in entity.items()
    }


# Python counterparts of the queries, over the compact fixtures.
def instances(entity: dict, *path: str) -> list[dict]:
    found = as_list(entity.get(path[0], []))
    for name in path[1:]:
        found = [sub for i in found for sub in as_list(i.get(name, []))]
    return found


def elements(instance: dict) -> list:
    if "languageMap" in instance:
        return list(instance["languageMap"].values())
    for key in ("value", "object", "vocab", "valueList"):
        if key in instance:
            return as_list(instance[key])
    return []


def is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def any_elem(attr_name: str, test, *sub: str):
    return lambda e: any(test(x) for i in instances(e, attr_name, *sub) for x in elements(i))


def numeric(attr_name: str, test):
    return any_elem(attr_name, lambda x: is_num(x) and test(x))


def string(attr_name: str, test, *sub: str):
    return any_elem(attr_name, lambda x: isinstance(x, str) and test(x), *sub)


def when(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value)


def observed(attr_name: str, test):
    return lambda e: any(
        "observedAt" in i and test(when(i["observedAt"])) for i in instances(e, attr_name)
    )


def none_equal(attr_name: str, value):
    return lambda e: any(
        elements(i) and not any(x == value and type(x) is type(value) for x in elements(i))
        for i in instances(e, attr_name)
    )


def none_match(attr_name: str, pattern: str):
    return lambda e: any(
        elements(i) and not any(isinstance(x, str) and re.search(pattern, x) for x in elements(i))
        for i in instances(e, attr_name)
    )


def key_path(attr_name: str, keys: list[str], value):
    def test(e):
        for i in instances(e, attr_name):
            current = i.get("value")
            for key in keys:
                current = current.get(key) if isinstance(current, dict) else None
            if current == value:
                return True
        return False
    return test


CASES = [
    ("temperature", lambda e: "temperature" in e),
    ("!temperature", lambda e: "temperature" not in e),
    ("temperature>20", numeric("temperature", lambda x: x > 20)),
    ("temperature>=25", numeric("temperature", lambda x: x >= 25)),
    ("temperature<18.5", numeric("temperature", lambda x: x < 18.5)),
    ("temperature==18", numeric("temperature", lambda x: x == 18)),
    ("temperature==18..25", numeric("temperature", lambda x: 18 <= x <= 25)),
    ("temperature==5,40", numeric("temperature", lambda x: x in (5, 40))),
    ("temperature!=18", none_equal("temperature", 18)),
    ("temperature!=18..25", lambda e: any(
        elements(i) and not any(is_num(x) and 18 <= x <= 25 for x in elements(i))
        for i in instances(e, "temperature"))),
    ('temperature=="warm"', string("temperature", lambda x: x == "warm")),
    ('temperature<"z"', string("temperature", lambda x: x < "z")),
    ('temperature.quality=="good"', string("temperature", lambda x: x == "good", "quality")),
    ("temperature.quality", lambda e: bool(instances(e, "temperature", "quality"))),
    ("temperature.observedAt", observed("temperature", lambda t: True)),
    ("temperature.observedAt>2024-01-01T00:00:00Z",
     observed("temperature", lambda t: t > when("2024-01-01T00:00:00Z"))),
    ("temperature.observedAt<2024-05-01T21:00:00Z",
     observed("temperature", lambda t: t < when("2024-05-01T21:00:00Z"))),
    ("temperature.observedAt==2024-05-01T12:00:00+02:00",
     observed("temperature", lambda t: t == when("2024-05-01T10:00:00Z"))),
    ('temperature.unitCode=="CEL"',
     lambda e: any(i.get("unitCode") == "CEL" for i in instances(e, "temperature"))),
    ("temperature.datasetId==urn:ds:2",
     lambda e: any(i.get("datasetId") == "urn:ds:2" for i in instances(e, "temperature"))),
    ('name=="Alpha"', string("name", lambda x: x == "Alpha")),
    ('name>"B"', string("name", lambda x: x > "B")),
    ("name==42", numeric("name", lambda x: x == 42)),
    ("name~=(?i)^alpha", string("name", lambda x: re.search("(?i)^alpha", x) is not None)),
    ('name~="^[A-G]"', string("name", lambda x: re.search("^[A-G]", x) is not None)),
    ("name!~=^A", none_match("name", "^A")),
    (f"refDevice=={DEVICE1}", any_elem("refDevice", lambda x: x == DEVICE1)),
    (f"refDevice=={DEVICE2}", any_elem("refDevice", lambda x: x == DEVICE2)),
    ("category==tide", any_elem("category", lambda x: x == "tide")),
    (f'category=="{DEFAULT}river"', any_elem("category", lambda x: x == "river")),
    ('address[city]=="Emden"', key_path("address", ["city"], "Emden")),
    ('address[city][de]=="Köln"', key_path("address", ["city", "de"], "Köln")),
    ("address[zip]", lambda e: any("zip" in i["value"] for i in instances(e, "address"))),
    ("status==true", any_elem("status", lambda x: x is True)),
    ("status!=true", none_equal("status", True)),
    ('tags=="b"', any_elem("tags", lambda x: x == "b")),
    ('label=="Gauge"', any_elem("label", lambda x: x == "Gauge")),
    ('label[de]=="Pegel"',
     lambda e: any(i["languageMap"].get("de") == "Pegel" for i in instances(e, "label"))),
    ("count>=3", numeric("count", lambda x: x >= 3)),
    ('(temperature>20|name=="Beta");!count',
     lambda e: (numeric("temperature", lambda x: x > 20)(e)
                or string("name", lambda x: x == "Beta")(e)) and "count" not in e),
    ("temperature==18..25|name~=ta$;count",
     lambda e: numeric("temperature", lambda x: 18 <= x <= 25)(e)
     or (string("name", lambda x: x.endswith("ta"))(e) and "count" in e)),
]


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
        await connection.execute("CREATE TEMP TABLE entities_q (LIKE entities INCLUDING DEFAULTS)")
        await connection.executemany(
            "INSERT INTO entities_q (tenant, id, types, attrs) VALUES ('', $1, $2, $3)",
            [(eid, [DEFAULT + "Thing"], stored(e)) for eid, e in FIXTURES.items()],
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


def run_q(db, q: str) -> set[str]:
    loop, connection = db
    params: list[object] = []

    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    where = q_to_sql(parse_q(q), expand, bind)
    rows = loop.run_until_complete(
        connection.fetch(f"SELECT id FROM entities_q WHERE {where}", *params)
    )
    return {row["id"] for row in rows}


@pytest.mark.parametrize(("q", "predicate"), CASES, ids=[case[0] for case in CASES])
def test_query_on_database(db, q, predicate):
    expected = {eid for eid, entity in FIXTURES.items() if predicate(entity)}
    assert run_q(db, q) == expected


def test_fixtures_make_the_cases_meaningful():
    # Every case selects something and none selects everything (guards against vacuous tests).
    for q, predicate in CASES:
        selected = {eid for eid, entity in FIXTURES.items() if predicate(entity)}
        assert selected and selected != set(FIXTURES), q


def test_mixed_types_raise_no_sql_error(db):
    # Numbers, strings, booleans, objects and datetimes against data of every other type.
    for q in ["temperature>0", 'temperature>"a"', "temperature==true", "name<5",
              "count==1..5", "address>1", "temperature.observedAt>5",
              "name==2024-01-01T00:00:00Z", "label>1", "refDevice>3", "tags[0]==\"a\""]:
        run_q(db, q)
