from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.health_check_details import HealthCheckDetails


T = TypeVar("T", bound="HealthCheck")


@_attrs_define
class HealthCheck:
    """
    Attributes:
        status (str | Unset):
        message (str | Unset):
        response_time (str | Unset):
        details (HealthCheckDetails | Unset):
    """

    status: str | Unset = UNSET
    message: str | Unset = UNSET
    response_time: str | Unset = UNSET
    details: HealthCheckDetails | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        message = self.message

        response_time = self.response_time

        details: dict[str, Any] | Unset = UNSET
        if not isinstance(self.details, Unset):
            details = self.details.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if message is not UNSET:
            field_dict["message"] = message
        if response_time is not UNSET:
            field_dict["response_time"] = response_time
        if details is not UNSET:
            field_dict["details"] = details

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.health_check_details import HealthCheckDetails

        d = dict(src_dict)
        status = d.pop("status", UNSET)

        message = d.pop("message", UNSET)

        response_time = d.pop("response_time", UNSET)

        _details = d.pop("details", UNSET)
        details: HealthCheckDetails | Unset
        if isinstance(_details, Unset):
            details = UNSET
        else:
            details = HealthCheckDetails.from_dict(_details)

        health_check = cls(
            status=status,
            message=message,
            response_time=response_time,
            details=details,
        )

        health_check.additional_properties = d
        return health_check

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
