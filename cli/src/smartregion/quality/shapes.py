"""Where GovData's DCAT-AP.de shape sets are, and the validation profiles made of them.

The shapes and code lists come from GovDataOfficial/DCAT-AP.de-SHACL-Validation, which is
AGPL-3.0 licensed; they are deliberately not copied into this repository. The project keeps them,
merged per GovData validation type, in its shared folder (``conformance/dcat-ap-de``):
``shapes/<profile>.ttl`` and ``vocab/*.rdf|*.ttl``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

UPSTREAM = "https://github.com/GovDataOfficial/DCAT-AP.de-SHACL-Validation"
ENV_VAR = "SMARTREGION_SHACL_DIR"


@dataclass(frozen=True)
class Profile:
    key: str
    filename: str
    label: str


PROFILES: tuple[Profile, ...] = (
    Profile("v30", "v30-de-spec.ttl", "DCAT-AP.de 3.0 (GovData v30_de_spec)"),
    Profile("v20", "v20-de-spec-implr.ttl", "DCAT-AP.de 2.0 + Konventionen (v20_de_spec_implr)"),
    Profile("dashboard", "dashboard-live.ttl", "GovData-Qualitäts-Dashboard (dashboard_live)"),
)
PROFILE_KEYS: tuple[str, ...] = tuple(p.key for p in PROFILES)


class ShapesNotFound(Exception):
    """No folder with the shape sets was found (or a configured one is incomplete)."""


def select_profiles(choice: str) -> list[Profile]:
    """``all`` or one profile key."""
    if choice == "all":
        return list(PROFILES)
    return [p for p in PROFILES if p.key == choice]


def missing_files(folder: Path, profiles: Iterable[Profile]) -> list[Path]:
    wanted = [folder / "shapes" / p.filename for p in profiles] + [folder / "vocab"]
    return [path for path in wanted if not path.exists()]


def locate(candidates: Sequence[Path], profiles: Sequence[Profile]) -> Path:
    """The first candidate folder that holds the profiles' shapes and ``vocab/``."""
    for folder in candidates:
        if folder.is_dir() and not missing_files(folder, profiles):
            return folder
    tried = "\n".join(
        f"  {folder}: "
        + ("fehlt / missing" if not folder.is_dir()
           else "unvollständig / incomplete, missing "
           + ", ".join(str(p.relative_to(folder)) for p in missing_files(folder, profiles)))
        for folder in candidates
    )
    raise ShapesNotFound(
        "DCAT-AP.de-SHACL-Shapes nicht gefunden / SHACL shapes not found. Tried:\n"
        f"{tried}\n"
        f"Point to the folder with --shapes-dir DIR or {ENV_VAR}=DIR; it needs shapes/"
        + ", shapes/".join(p.filename for p in profiles)
        + " and vocab/ (the shape sets of GovData's validation types, from "
        f"{UPSTREAM}, AGPL-3.0)."
    )


def load(folder: Path, profile: Profile) -> Graph:
    graph = Graph()
    graph.parse(folder / "shapes" / profile.filename, format="turtle")
    return graph
