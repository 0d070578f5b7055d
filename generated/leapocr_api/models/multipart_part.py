from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MultipartPart")


@_attrs_define
class MultipartPart:
    """
    Attributes:
        part_number (int | Unset):  Example: 1.
        start_byte (int | Unset):  Example: 0.
        end_byte (int | Unset): Last byte of the part, inclusive Example: 5242879.
        upload_url (str | Unset):
    """

    part_number: int | Unset = UNSET
    start_byte: int | Unset = UNSET
    end_byte: int | Unset = UNSET
    upload_url: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        part_number = self.part_number

        start_byte = self.start_byte

        end_byte = self.end_byte

        upload_url = self.upload_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if part_number is not UNSET:
            field_dict["part_number"] = part_number
        if start_byte is not UNSET:
            field_dict["start_byte"] = start_byte
        if end_byte is not UNSET:
            field_dict["end_byte"] = end_byte
        if upload_url is not UNSET:
            field_dict["upload_url"] = upload_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        part_number = d.pop("part_number", UNSET)

        start_byte = d.pop("start_byte", UNSET)

        end_byte = d.pop("end_byte", UNSET)

        upload_url = d.pop("upload_url", UNSET)

        multipart_part = cls(
            part_number=part_number,
            start_byte=start_byte,
            end_byte=end_byte,
            upload_url=upload_url,
        )

        multipart_part.additional_properties = d
        return multipart_part

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
