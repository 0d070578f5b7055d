from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ModelResponse")


@_attrs_define
class ModelResponse:
    """
    Attributes:
        name (str | Unset):
        display_name (str | Unset):
        description (str | Unset):
        credits_per_page (int | Unset):
        surcharge_per_page (int | Unset):
        priority (int | Unset):
    """

    name: str | Unset = UNSET
    display_name: str | Unset = UNSET
    description: str | Unset = UNSET
    credits_per_page: int | Unset = UNSET
    surcharge_per_page: int | Unset = UNSET
    priority: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        display_name = self.display_name

        description = self.description

        credits_per_page = self.credits_per_page

        surcharge_per_page = self.surcharge_per_page

        priority = self.priority

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if description is not UNSET:
            field_dict["description"] = description
        if credits_per_page is not UNSET:
            field_dict["credits_per_page"] = credits_per_page
        if surcharge_per_page is not UNSET:
            field_dict["surcharge_per_page"] = surcharge_per_page
        if priority is not UNSET:
            field_dict["priority"] = priority

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name", UNSET)

        display_name = d.pop("display_name", UNSET)

        description = d.pop("description", UNSET)

        credits_per_page = d.pop("credits_per_page", UNSET)

        surcharge_per_page = d.pop("surcharge_per_page", UNSET)

        priority = d.pop("priority", UNSET)

        model_response = cls(
            name=name,
            display_name=display_name,
            description=description,
            credits_per_page=credits_per_page,
            surcharge_per_page=surcharge_per_page,
            priority=priority,
        )

        model_response.additional_properties = d
        return model_response

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
