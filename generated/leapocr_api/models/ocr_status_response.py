from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="OCRStatusResponse")


@_attrs_define
class OCRStatusResponse:
    """
    Attributes:
        job_id (str | Unset):
        status (JobStatus | Unset): A job's lifecycle state
        result_format (str | Unset):
        processed_pages (int | Unset):
        total_pages (int | Unset):
        error_message (str | Unset):
        completed_at (str | Unset):
    """

    job_id: str | Unset = UNSET
    status: JobStatus | Unset = UNSET
    result_format: str | Unset = UNSET
    processed_pages: int | Unset = UNSET
    total_pages: int | Unset = UNSET
    error_message: str | Unset = UNSET
    completed_at: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        job_id = self.job_id

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        result_format = self.result_format

        processed_pages = self.processed_pages

        total_pages = self.total_pages

        error_message = self.error_message

        completed_at = self.completed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if job_id is not UNSET:
            field_dict["job_id"] = job_id
        if status is not UNSET:
            field_dict["status"] = status
        if result_format is not UNSET:
            field_dict["result_format"] = result_format
        if processed_pages is not UNSET:
            field_dict["processed_pages"] = processed_pages
        if total_pages is not UNSET:
            field_dict["total_pages"] = total_pages
        if error_message is not UNSET:
            field_dict["error_message"] = error_message
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        job_id = d.pop("job_id", UNSET)

        _status = d.pop("status", UNSET)
        status: JobStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = JobStatus(_status)

        result_format = d.pop("result_format", UNSET)

        processed_pages = d.pop("processed_pages", UNSET)

        total_pages = d.pop("total_pages", UNSET)

        error_message = d.pop("error_message", UNSET)

        completed_at = d.pop("completed_at", UNSET)

        ocr_status_response = cls(
            job_id=job_id,
            status=status,
            result_format=result_format,
            processed_pages=processed_pages,
            total_pages=total_pages,
            error_message=error_message,
            completed_at=completed_at,
        )

        ocr_status_response.additional_properties = d
        return ocr_status_response

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
