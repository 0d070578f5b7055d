from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="HealthSummary")


@_attrs_define
class HealthSummary:
    """
    Attributes:
        healthy (int | Unset):
        degraded (int | Unset):
        down (int | Unset):
        total (int | Unset):
    """

    healthy: int | Unset = UNSET
    degraded: int | Unset = UNSET
    down: int | Unset = UNSET
    total: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        healthy = self.healthy

        degraded = self.degraded

        down = self.down

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if healthy is not UNSET:
            field_dict["healthy"] = healthy
        if degraded is not UNSET:
            field_dict["degraded"] = degraded
        if down is not UNSET:
            field_dict["down"] = down
        if total is not UNSET:
            field_dict["total"] = total

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        healthy = d.pop("healthy", UNSET)

        degraded = d.pop("degraded", UNSET)

        down = d.pop("down", UNSET)

        total = d.pop("total", UNSET)

        health_summary = cls(
            healthy=healthy,
            degraded=degraded,
            down=down,
            total=total,
        )

        health_summary.additional_properties = d
        return health_summary

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
