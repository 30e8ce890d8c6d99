"""Where benchmark reports go, and the options every broker benchmark takes."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def add_broker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--instance", default="bench")
    parser.add_argument("--broker-url", help="another broker on the instance's database")


def save_report(name: str, report: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>-<UTC time>.json`` and return its path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path
