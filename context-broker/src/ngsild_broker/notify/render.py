"""The body of a notification (clause 5.3.1) from outbox rows, in the subscription's
format, attribute selection, @context and language (``lang``, clause 4.15: LanguageProperties
become Properties as in a GET with ``?lang=``); ``showChanges`` adds the previous values."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ..errors import BadRequestData
from ..model.entity import Terms
from ..model.render import (
    VALUE_MEMBER,
    LanguageFilter,
    RenderOptions,
    StoredEntity,
    parse_language_filter,
    render_entity,
)


class RenderCache:
    """Rendered changes by (change, rendering choices): many subscriptions asking the same
    format, attributes and language under the same @context get each change rendered
    once."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._items: OrderedDict[tuple, dict[str, Any]] = OrderedDict()

    def render(self, row: Any, stored: dict[str, Any], terms: Terms) -> dict[str, Any]:
        if not row["seq"]:  # periodic snapshots are not shared
            return render_change(row, stored, terms)
        notification = stored["notification"]
        key = (
            row["seq"], terms, notification.get("format"),
            tuple(notification.get("attributes") or ()), notification.get("sysAttrs"),
            notification.get("showChanges"), stored.get("lang"),
        )
        found = self._items.get(key)
        if found is None:
            found = self._items[key] = render_change(row, stored, terms)
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return found


def notification_body(
    sub_id: str, stored: dict[str, Any], rows: list[Any], terms: Terms,
    cache: RenderCache | None = None,
) -> dict[str, Any]:
    """``{"id", "type": "Notification", "subscriptionId", "notifiedAt", "data"}``."""
    render = cache.render if cache is not None else render_change
    return {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "Notification",
        "subscriptionId": sub_id,
        "notifiedAt": _iso(datetime.now(UTC)),
        "data": [render(row, stored, terms) for row in rows],
    }


def render_change(row: Any, stored: dict[str, Any], terms: Terms) -> dict[str, Any]:
    """One element of ``data``: the entity after the change (for a deletion: id, type and
    ``deletedAt``)."""
    notification = stored["notification"]
    types = [terms.compact(t) for t in row["types"]]
    if row["kind"] == "deleted":
        return {
            "id": row["entity_id"], "type": types[0] if len(types) == 1 else types,
            "deletedAt": _iso(row["changed_at"]),
        }
    attrs = notification.get("attributes")
    options = RenderOptions(
        representation=notification.get("format", "normalized"),
        sys_attrs=notification.get("sysAttrs", False),
        attrs=frozenset(attrs) if attrs else None,
        lang=language_filter(stored.get("lang")),
    )
    entity = StoredEntity(
        id=row["entity_id"], types=list(row["types"]), attrs=row["attrs"] or {}, scope=None,
        created_at=row["changed_at"], modified_at=row["changed_at"],
    )
    body = render_entity(entity, terms, options)
    shows_changes = notification.get("showChanges") and options.representation != "keyValues"
    if shows_changes and row["previous"]:
        _add_previous(body, row["attrs"] or {}, row["previous"], terms, options.lang)
    return body


@lru_cache(maxsize=1024)
def language_filter(lang: str | None) -> LanguageFilter | None:
    """The subscription's ``lang`` as the filter a GET with ``?lang=`` uses; parsed once per
    distinct value, since every notified change of the subscription needs it. ``lang`` is
    validated when the subscription is written; a value stored before that check that does
    not parse is ignored (the map is sent as stored) rather than stopping notifications."""
    if lang is None:
        return None
    try:
        return parse_language_filter(lang)
    except BadRequestData:
        return None


def _add_previous(
    body: dict[str, Any], attrs: dict[str, list], previous: dict[str, list], terms: Terms,
    lang: LanguageFilter | None = None,
) -> None:
    """``previousValue`` (``previousObject``, ``previousLanguageMap``, …) on every instance
    whose value changed (clause 4.5.9 / showChanges). Under a language filter a
    LanguageProperty is sent as a Property, so its previous text in the chosen language is
    ``previousValue``, and only when that text changed."""
    for name, instances in attrs.items():
        rendered = body.get(terms.compact(name))
        if rendered is None or name not in previous:
            continue
        rendered_list = rendered if isinstance(rendered, list) else [rendered]
        before = {i.get("datasetId", ""): i for i in previous[name]}
        for instance, out in zip(instances, rendered_list, strict=False):
            old = before.get(instance.get("datasetId", ""))
            member = VALUE_MEMBER.get(instance.get("type", ""), "value")
            if old is None or member not in old or old[member] == instance.get(member):
                continue
            before_value = old[member]
            if member == "languageMap" and "lang" in out and lang is not None:
                if not before_value:
                    continue
                member, before_value = "value", lang.select(before_value)[1]
                if before_value == out.get("value"):
                    continue
            out["previous" + member[0].upper() + member[1:]] = before_value


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
