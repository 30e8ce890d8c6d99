"""``smartregion catalogue init``: the catalogue's structure from schemas/, kept in step.

Creates the five partner organisations and the eight theme groups of
``smartregion_schemas.catalogue`` through CKAN's Action API (stored admin token), and brings
existing ones back to what schemas/ says: only the fields schemas/ owns are compared, only
organisations or groups that differ are written, so a second run writes nothing. Also writes
CKAN's licence register (dcat-ap.de URIs as ids) to ``<data>/ckan/licenses.json``.

The extra fields (district key, political geocoding, EU themes, …) go where the running CKAN
keeps them: as top-level fields when the ckanext-scheming organisation/group schema declares
them, otherwise as ``extras`` (lists JSON-encoded). Both end up as the same group extras in
CKAN's database, so switching the schemas on later needs no migration. Values are read back
from either place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from ckanapi import CKANAPIError, NotAuthorized, NotFound, RemoteCKAN, ValidationError
from smartregion_schemas.catalogue import Partner, Theme, ckan_license_register, partners, themes

from smartregion import credentials
from smartregion.ckan_service import CkanService
from smartregion.process import PlatformError
from smartregion.sample import remote
from smartregion.settings import PlatformSettings

Kind = Literal["organization", "group"]
Action = Literal["created", "updated", "unchanged"]

# Core fields of every CKAN group/organisation; everything else may need to be an extra.
CORE_FIELDS = frozenset({"title", "description"})

API_ERRORS = (CKANAPIError, NotAuthorized, NotFound, ValidationError, requests.RequestException)

ACTIONS: tuple[Action, ...] = ("created", "updated", "unchanged")
LABELS: dict[Action, str] = {
    "created": "neu / created",
    "updated": "aktualisiert / updated",
    "unchanged": "unverändert / unchanged",
}


def organization_values(partner: Partner) -> dict[str, Any]:
    """What schemas/ says an organisation must hold (field names of the scheming schema)."""
    values: dict[str, Any] = {
        "title": partner.title,
        "description": partner.description,
        "short_code": partner.short_code,
        "political_geocoding_uri": list(partner.political_geocoding_uri),
        "political_geocoding_level_uri": partner.political_geocoding_level_uri,
        "contact_email": partner.contact_email,
        "homepage": partner.homepage,
        "publisher_type": partner.publisher_type,
    }
    if partner.district_key:  # the region has none
        values["district_key"] = partner.district_key
    return values


def group_values(theme: Theme) -> dict[str, Any]:
    return {
        "title": theme.title,
        "description": theme.description,
        "eu_themes": theme.eu_theme_uris,
    }


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    name: str
    action: Action
    changed: tuple[str, ...] = ()

    def line(self) -> str:
        what = "Organisation" if self.kind == "organization" else "Gruppe / group"
        detail = f" ({', '.join(self.changed)})" if self.action == "updated" else ""
        return f"  {what} {self.name}: {LABELS[self.action]}{detail}"


@dataclass
class InitReport:
    outcomes: list[Outcome] = field(default_factory=list)
    license_file_changed: bool = False

    def count(self, action: Action, kind: Kind | None = None) -> int:
        return sum(
            1 for o in self.outcomes if o.action == action and (kind is None or o.kind == kind)
        )

    def summary(self) -> str:
        orgs = sum(1 for o in self.outcomes if o.kind == "organization")
        groups = len(self.outcomes) - orgs
        counts = ", ".join(f"{LABELS[a]} {self.count(a)}" for a in ACTIONS)
        return (
            f"Katalogstruktur / catalogue structure ({orgs} Organisationen, {groups} Gruppen): "
            f"{counts}"
        )


# Reading what CKAN holds ---------------------------------------------------------------------


def stored_value(shown: Mapping[str, Any], key: str) -> Any:
    """A field of a shown organisation/group: top-level (scheming) or from ``extras``."""
    if key in shown:
        return shown[key]
    for extra in shown.get("extras") or []:
        if extra.get("key") == key:
            return extra.get("value")
    return None


def _comparable(value: Any, wanted: Any) -> Any:
    """``value`` in the shape of ``wanted``: lists may come back JSON-encoded from extras."""
    if isinstance(wanted, list):
        if value in (None, ""):
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = [value]
        if not isinstance(value, list):
            value = [value]
        return sorted(str(item) for item in value)
    return "" if value is None else str(value)


def differing_fields(shown: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    return [
        key
        for key, value in wanted.items()
        if _comparable(stored_value(shown, key), value) != _comparable(value, value)
    ]


def scheming_fields(ckan: RemoteCKAN, kind: Kind) -> frozenset[str]:
    """Field names of the active ckanext-scheming schema for ``kind``; empty without one."""
    action = f"scheming_{kind}_schema_show"
    try:
        schema = ckan.call_action(action, {"type": kind})
    except NotFound:  # scheming active, but no schema for this type
        return frozenset()
    except CKANAPIError as exc:
        if "Action name not known" in str(exc):  # scheming not loaded
            return frozenset()
        raise _api_error(action, kind, exc) from exc
    except API_ERRORS as exc:
        raise _api_error(action, kind, exc) from exc
    return frozenset(f["field_name"] for f in schema.get("fields", []))


def payload(
    wanted: Mapping[str, Any], schema_fields: frozenset[str], shown_extras: list[dict[str, Any]]
) -> dict[str, Any]:
    """Action API data for ``wanted``: schema fields top-level, the rest as extras.

    Extras that others set (not ours, not schema fields) are kept as they are.
    """
    data: dict[str, Any] = {}
    extras = [
        {"key": e["key"], "value": e["value"]}
        for e in shown_extras
        if e.get("key") not in wanted and e.get("key") not in schema_fields
    ]
    for key, value in wanted.items():
        if key in CORE_FIELDS or key in schema_fields:
            data[key] = value
        else:
            text = json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
            extras.append({"key": key, "value": text})
    data["extras"] = extras
    return data


# Writing -------------------------------------------------------------------------------------


def _api_error(action: str, name: str, exc: Exception) -> PlatformError:
    return PlatformError(
        f"CKAN-API-Fehler / API error: {action} {name}: {type(exc).__name__}: {exc}"
    )


def _call(ckan: RemoteCKAN, action: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = ckan.call_action(action, data)
    except API_ERRORS as exc:
        raise _api_error(action, name, exc) from exc
    return result


def _show(ckan: RemoteCKAN, kind: Kind, name: str) -> dict[str, Any] | None:
    action = f"{kind}_show"
    try:
        result: dict[str, Any] = ckan.call_action(action, {"id": name, "include_datasets": False})
    except NotFound:
        return None
    except API_ERRORS as exc:
        raise _api_error(action, name, exc) from exc
    return result


def ensure(
    ckan: RemoteCKAN, kind: Kind, name: str, wanted: Mapping[str, Any], fields: frozenset[str]
) -> Outcome:
    """Create ``name`` or patch the fields that differ from ``wanted``; report which."""
    shown = _show(ckan, kind, name)
    if shown is None:
        _call(ckan, f"{kind}_create", name, {"name": name, **payload(wanted, fields, [])})
        return Outcome(kind, name, "created")
    changed = differing_fields(shown, wanted)
    if shown.get("state") != "active":  # deleted: the name is taken, bring it back
        changed.append("state")
    if not changed:
        return Outcome(kind, name, "unchanged")
    data = {"id": shown["id"], **payload(wanted, fields, shown.get("extras") or [])}
    if "state" in changed:
        data["state"] = "active"
    _call(ckan, f"{kind}_patch", name, data)
    return Outcome(kind, name, "updated", tuple(changed))


def init_catalogue(ckan: RemoteCKAN, log: Callable[[str], None] | None = None) -> InitReport:
    """Bring the organisations and theme groups of schemas/ into CKAN (idempotent)."""
    report = InitReport()
    org_fields = scheming_fields(ckan, "organization")
    for partner in partners():
        outcome = ensure(
            ckan, "organization", partner.name, organization_values(partner), org_fields
        )
        report.outcomes.append(outcome)
        if log:
            log(outcome.line())
    group_fields = scheming_fields(ckan, "group")
    for theme in themes():
        outcome = ensure(ckan, "group", theme.name, group_values(theme), group_fields)
        report.outcomes.append(outcome)
        if log:
            log(outcome.line())
    return report


def license_register_text() -> str:
    return json.dumps(ckan_license_register(), ensure_ascii=False, indent=1) + "\n"


def write_license_file(settings: PlatformSettings) -> bool:
    """Write CKAN's licence register if it differs; return True if the file changed."""
    path = settings.licenses_file
    text = license_register_text()
    try:
        if path.exists() and path.read_text("utf-8") == text:
            return False
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise PlatformError(
            f"Lizenzliste nicht schreibbar / cannot write the licence register {path}: {exc}"
        ) from exc
    return True


def client(settings: PlatformSettings) -> RemoteCKAN:
    """Action API client with the instance's stored admin token."""
    token_file = settings.api_token_file
    if not token_file.exists():
        raise PlatformError(
            f"Kein API-Token / no API token at {token_file}: start the instance first "
            f"(smartregion up --instance {settings.instance})."
        )
    return remote(settings.ckan_url, credentials.read_token(token_file))


def run(settings: PlatformSettings, log: Callable[[str], None] = print) -> InitReport:
    """The whole ``catalogue init``: licence register, then organisations and groups."""
    license_changed = write_license_file(settings)
    ckan_service = CkanService(settings)
    if license_changed and ckan_service.pid() is not None:  # CKAN reads it at start only
        log("  Lizenzliste geändert, CKAN lädt neu / licence register changed, reloading CKAN")
        ckan_service.ensure_running(reload=True)
    with client(settings) as ckan:
        report = init_catalogue(ckan, log)
    report.license_file_changed = license_changed
    return report
