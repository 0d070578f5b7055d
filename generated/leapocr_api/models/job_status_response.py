from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="JobStatusResponse")


@_attrs_define
class JobStatusResponse:
    """
    Attributes:
        id (str | Unset):
        status (str | Unset): pending, processing, completed, partially_done or failed
        file_name (str | Unset):
        result_format (str | Unset):
        processed_pages (int | Unset):
        total_pages (int | Unset):
        processing_time (int | Unset): Total processing time in seconds
        error_message (str | Unset):
        created_at (str | Unset):
    """

    id: str | Unset = UNSET
    status: str | Unset = UNSET
    file_name: str | Unset = UNSET
    result_format: str | Unset = UNSET
    processed_pages: int | Unset = UNSET
    total_pages: int | Unset = UNSET
    processing_time: int | Unset = UNSET
    error_message: str | Unset = UNSET
    created_at: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        file_name = self.file_name

        result_format = self.result_format

        processed_pages = self.processed_pages

        total_pages = self.total_pages

        processing_time = self.processing_time

        error_message = self.error_message

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if status is not UNSET:
            field_dict["status"] = status
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if result_format is not UNSET:
            field_dict["result_format"] = result_format
        if processed_pages is not UNSET:
            field_dict["processed_pages"] = processed_pages
        if total_pages is not UNSET:
            field_dict["total_pages"] = total_pages
        if processing_time is not UNSET:
            field_dict["processing_time"] = processing_time
        if error_message is not UNSET:
            field_dict["error_message"] = error_message
        if created_at is not UNSET:
            field_dict["created_at"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id", UNSET)

        status = d.pop("status", UNSET)

        file_name = d.pop("file_name", UNSET)

        result_format = d.pop("result_format", UNSET)

        processed_pages = d.pop("processed_pages", UNSET)

        total_pages = d.pop("total_pages", UNSET)

        processing_time = d.pop("processing_time", UNSET)

        error_message = d.pop("error_message", UNSET)

        created_at = d.pop("created_at", UNSET)

        job_status_response = cls(
            id=id,
            status=status,
            file_name=file_name,
            result_format=result_format,
            processed_pages=processed_pages,
            total_pages=total_pages,
            processing_time=processing_time,
            error_message=error_message,
            created_at=created_at,
        )

        job_status_response.additional_properties = d
        return job_status_response

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
