"""Typed items of the live vocabulary (validated when a data file is loaded)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UnitCode(_Frozen):
    """A UN/CEFACT common code (Recommendation 20) with its name and symbol."""

    code: str = Field(pattern=r"^[A-Z0-9]{2,3}$")
    name: str = Field(min_length=1)
    symbol: str = Field(min_length=1)

    @property
    def label(self) -> str:
        """``name (symbol)``, e.g. ``centimetre (cm)``."""
        return f"{self.name} ({self.symbol})"


class AttributeUnit(_Frozen):
    """The unit in which the platform gives one numeric attribute of one entity type."""

    entity_type: str = Field(min_length=1)
    attribute: str = Field(min_length=1)
    unit: UnitCode

    @property
    def code(self) -> str:
        return self.unit.code


class EntityId(_Frozen):
    """The parts of an entity id ``urn:ngsi-ld:<Type>:<partner short code>:<source id>``."""

    entity_type: str
    partner_code: str
    source_id: str = Field(description="as written in the id (percent-encoded)")
