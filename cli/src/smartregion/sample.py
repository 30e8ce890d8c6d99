"""Load the bundled sample catalogue into CKAN through its Action API.

The loader creates organisations and datasets that are missing (by name) and never updates
existing ones, so whatever an operator or a test changed in the catalogue survives the next
``up``. It talks to CKAN over HTTP with the stored API token, exactly like a harvester would,
which also proves that the token, the web server and the search backend work together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import requests
import yaml
from ckanapi import NotFound, RemoteCKAN
from pydantic import BaseModel, ConfigDict, field_validator

USER_AGENT = "smartregion-sample-loader/0.1"


class Organization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    description: str = ""


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    url: str
    format: str
    description: str = ""


class Extra(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    value: str

    @field_validator("value")
    @classmethod
    def _spatial_is_geojson(cls, value: str, info: Any) -> str:
        if info.data.get("key") == "spatial":
            geometry = json.loads(value)
            if geometry.get("type") not in {"Point", "Polygon", "MultiPolygon"}:
                raise ValueError("spatial must be a GeoJSON Point or (Multi)Polygon")
        return value


class Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    owner_org: str
    notes: str
    license_id: str
    tags: list[str]
    resources: list[Resource]
    extras: list[Extra] = []

    def to_ckan(self) -> dict[str, Any]:
        data = self.model_dump()
        data["tags"] = [{"name": tag} for tag in self.tags]
        data["private"] = False
        return data


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organizations: list[Organization]
    datasets: list[Dataset]


def load_bundled() -> Catalogue:
    """The catalogue shipped as package data (``sample_data/catalogue.yaml``)."""
    text = resources.files("smartregion").joinpath("sample_data/catalogue.yaml").read_text("utf-8")
    return Catalogue.model_validate(yaml.safe_load(text))


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        def count(items: list[str], kind: str) -> int:
            return sum(1 for item in items if item.startswith(kind + ":"))

        new_orgs, new_ds = count(self.created, "organization"), count(self.created, "dataset")
        old_orgs, old_ds = count(self.kept, "organization"), count(self.kept, "dataset")
        return (
            "Beispielkatalog / sample catalogue: "
            f"neu / created {new_orgs} Organisationen, {new_ds} Datensätze; "
            f"vorhanden, unverändert / kept {old_orgs} Organisationen, {old_ds} Datensätze"
        )


def remote(url: str, token: str | None = None) -> RemoteCKAN:
    """A ckanapi client that ignores proxy variables: the platform is on loopback."""
    session = requests.Session()
    session.trust_env = False
    return RemoteCKAN(url, apikey=token, user_agent=USER_AGENT, session=session)


def _exists(ckan: RemoteCKAN, action: str, name: str) -> bool:
    try:
        ckan.call_action(action, {"id": name})
    except NotFound:
        return False
    return True


def load(ckan: RemoteCKAN, catalogue: Catalogue) -> LoadReport:
    """Create the catalogue's missing organisations and datasets; never touch existing ones."""
    report = LoadReport()
    for org in catalogue.organizations:
        if _exists(ckan, "organization_show", org.name):
            report.kept.append(f"organization:{org.name}")
            continue
        ckan.call_action("organization_create", org.model_dump())
        report.created.append(f"organization:{org.name}")
    for dataset in catalogue.datasets:
        if _exists(ckan, "package_show", dataset.name):
            report.kept.append(f"dataset:{dataset.name}")
            continue
        ckan.call_action("package_create", dataset.to_ckan())
        report.created.append(f"dataset:{dataset.name}")
    return report
