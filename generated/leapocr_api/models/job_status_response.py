from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="JobStatusResponse")


@_attrs_define
class JobStatusResponse:
    """
    Attributes:
        id (str | Unset):
        status (JobStatus | Unset): A job's lifecycle state
        file_name (str | Unset):
        result_format (str | Unset):
        processed_pages (int | Unset):
        total_pages (int | Unset):
        processing_time (int | Unset): Total processing time in seconds
        error_message (str | Unset):
        created_at (str | Unset):
        template_name (str | Unset): The template's display name, when the job was created from one
        template_internal (bool | Unset): Whether the template is one of the service's presets
    """

    id: str | Unset = UNSET
    status: JobStatus | Unset = UNSET
    file_name: str | Unset = UNSET
    result_format: str | Unset = UNSET
    processed_pages: int | Unset = UNSET
    total_pages: int | Unset = UNSET
    processing_time: int | Unset = UNSET
    error_message: str | Unset = UNSET
    created_at: str | Unset = UNSET
    template_name: str | Unset = UNSET
    template_internal: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        file_name = self.file_name

        result_format = self.result_format

        processed_pages = self.processed_pages

        total_pages = self.total_pages

        processing_time = self.processing_time

        error_message = self.error_message

        created_at = self.created_at

        template_name = self.template_name

        template_internal = self.template_internal

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
        if template_name is not UNSET:
            field_dict["template_name"] = template_name
        if template_internal is not UNSET:
            field_dict["template_internal"] = template_internal

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id", UNSET)

        _status = d.pop("status", UNSET)
        status: JobStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = JobStatus(_status)

        file_name = d.pop("file_name", UNSET)

        result_format = d.pop("result_format", UNSET)

        processed_pages = d.pop("processed_pages", UNSET)

        total_pages = d.pop("total_pages", UNSET)

        processing_time = d.pop("processing_time", UNSET)

        error_message = d.pop("error_message", UNSET)

        created_at = d.pop("created_at", UNSET)

        template_name = d.pop("template_name", UNSET)

        template_internal = d.pop("template_internal", UNSET)

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
            template_name=template_name,
            template_internal=template_internal,
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
