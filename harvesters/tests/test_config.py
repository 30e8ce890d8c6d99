"""The harvest configuration: ``${VAR}`` substitution, checks with the path of the problem,
schedules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from smartregion_harvesters.config import ConfigError, load_config, schedule_interval

GOOD = """
partners:
  landkreis-leer:
    organization: landkreis-leer
    default_license: cc-by/4.0
    schedule: PT6H
    themes: [{match: "radweg", theme: TRAN}]
    sources:
      - {name: geoportal, type: csw, url: "${LEER_CSW:-https://csw.example/csw}"}
      - {name: portal, type: dcat, url: "${PORTAL}"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "harvest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_variables_defaults_and_normalised_codes(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ={"PORTAL": "https://p.example/c.ttl"})
    partner = config.partners["landkreis-leer"]
    assert [s.url for s in partner.sources] == ["https://csw.example/csw",
                                                "https://p.example/c.ttl"]
    assert partner.default_license == "http://dcat-ap.de/def/licenses/cc-by/4.0"
    assert partner.themes[0].theme.endswith("/data-theme/TRAN")


def test_a_missing_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL"):
        load_config(write(tmp_path, GOOD), environ={})


@pytest.mark.parametrize(("bad", "where"), [
    ("theme: TRAN", "theme: NOPE"),
    ("default_license: cc-by/4.0", "default_license: my-own-licence"),
    ("schedule: PT6H", "schedule: sometimes"),
    ("name: portal", "name: geoportal"),
])
def test_errors_name_the_place(tmp_path: Path, bad: str, where: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, GOOD.replace(bad, where)), environ={"PORTAL": "https://x"})
    assert "partners.landkreis-leer" in str(error.value)


def test_schedules() -> None:
    assert schedule_interval("daily") == dt.timedelta(days=1)
    assert schedule_interval("P2DT3H") == dt.timedelta(days=2, hours=3)
    with pytest.raises(ValueError):
        schedule_interval("PT")
