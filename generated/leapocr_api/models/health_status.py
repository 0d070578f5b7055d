from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.health_status_checks import HealthStatusChecks
    from ..models.health_summary import HealthSummary


T = TypeVar("T", bound="HealthStatus")


@_attrs_define
class HealthStatus:
    """
    Attributes:
        status (str | Unset):  Example: healthy.
        service (str | Unset):  Example: api.
        version (str | Unset):
        timestamp (datetime.datetime | Unset):
        checks (HealthStatusChecks | Unset):
        summary (HealthSummary | Unset):
    """

    status: str | Unset = UNSET
    service: str | Unset = UNSET
    version: str | Unset = UNSET
    timestamp: datetime.datetime | Unset = UNSET
    checks: HealthStatusChecks | Unset = UNSET
    summary: HealthSummary | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        service = self.service

        version = self.version

        timestamp: str | Unset = UNSET
        if not isinstance(self.timestamp, Unset):
            timestamp = self.timestamp.isoformat()

        checks: dict[str, Any] | Unset = UNSET
        if not isinstance(self.checks, Unset):
            checks = self.checks.to_dict()

        summary: dict[str, Any] | Unset = UNSET
        if not isinstance(self.summary, Unset):
            summary = self.summary.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if service is not UNSET:
            field_dict["service"] = service
        if version is not UNSET:
            field_dict["version"] = version
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp
        if checks is not UNSET:
            field_dict["checks"] = checks
        if summary is not UNSET:
            field_dict["summary"] = summary

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.health_status_checks import HealthStatusChecks
        from ..models.health_summary import HealthSummary

        d = dict(src_dict)
        status = d.pop("status", UNSET)

        service = d.pop("service", UNSET)

        version = d.pop("version", UNSET)

        _timestamp = d.pop("timestamp", UNSET)
        timestamp: datetime.datetime | Unset
        if isinstance(_timestamp, Unset):
            timestamp = UNSET
        else:
            timestamp = datetime.datetime.fromisoformat(_timestamp)

        _checks = d.pop("checks", UNSET)
        checks: HealthStatusChecks | Unset
        if isinstance(_checks, Unset):
            checks = UNSET
        else:
            checks = HealthStatusChecks.from_dict(_checks)

        _summary = d.pop("summary", UNSET)
        summary: HealthSummary | Unset
        if isinstance(_summary, Unset):
            summary = UNSET
        else:
            summary = HealthSummary.from_dict(_summary)

        health_status = cls(
            status=status,
            service=service,
            version=version,
            timestamp=timestamp,
            checks=checks,
            summary=summary,
        )

        health_status.additional_properties = d
        return health_status

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
