"""The YAML configuration: a valid file loads, and every error names file, path and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from smartregion_adapters.config import ConfigError, load_config

VALID = """
broker_url: http://127.0.0.1:1026
token_file: secrets/token
data_dir: state
batch_size: 50
streams:
  - adapter: pegelonline
    partner: stadt-emden
    url: http://127.0.0.1:8800/pegelonline
    interval_seconds: 60
    options: {stations: [emden-neue-seeschleuse]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "adapters.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads_with_paths_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "token").write_text("s3cret\n")
    config = load_config(write(tmp_path, VALID))
    assert config.data_dir == tmp_path / "state"
    assert config.bearer_token() == "s3cret"
    assert config.batch_size == 50
    stream = config.streams[0]
    assert (stream.adapter, stream.interval_seconds) == ("pegelonline", 60)
    assert stream.options == {"stations": ["emden-neue-seeschleuse"]}


@pytest.mark.parametrize(("text", "expected"), [
    (VALID.replace("interval_seconds: 60", "interval_seconds: -1"),
     "streams[0].interval_seconds: Input should be greater than 0"),
    (VALID.replace("    url: http://127.0.0.1:8800/pegelonline\n", ""),
     "streams[0].url: Field required"),
    (VALID.replace("interval_seconds: 60", "intervall: 60"),
     "streams[0].intervall: Extra inputs are not permitted"),
    (VALID.replace("data_dir: state\n", ""), "data_dir: Field required"),
    (VALID + "token: inline\n", "(top): Value error, give either token or token_file"),
    ("broker_url: [unclosed", "not valid YAML"),
    ("- just a list", "expected a mapping at the top, got list"),
])
def test_errors_name_file_path_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_missing_file_and_missing_token_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: cannot read"):
        load_config(tmp_path / "nowhere.yaml")
    config = load_config(write(tmp_path, VALID))
    with pytest.raises(ConfigError, match=r"token_file .*secrets/token"):
        config.bearer_token()
