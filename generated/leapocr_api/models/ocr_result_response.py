from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.page_response import PageResponse
    from ..models.pagination_response import PaginationResponse


T = TypeVar("T", bound="OCRResultResponse")


@_attrs_define
class OCRResultResponse:
    """
    Attributes:
        job_id (str | Unset):
        status (JobStatus | Unset): A job's lifecycle state
        file_name (str | Unset):
        model (str | Unset):
        result_format (str | Unset):
        credits_used (int | Unset):
        processed_pages (int | Unset):
        total_pages (int | Unset):
        completed_at (str | Unset):
        pages (list[PageResponse] | Unset):
        pagination (PaginationResponse | Unset):
    """

    job_id: str | Unset = UNSET
    status: JobStatus | Unset = UNSET
    file_name: str | Unset = UNSET
    model: str | Unset = UNSET
    result_format: str | Unset = UNSET
    credits_used: int | Unset = UNSET
    processed_pages: int | Unset = UNSET
    total_pages: int | Unset = UNSET
    completed_at: str | Unset = UNSET
    pages: list[PageResponse] | Unset = UNSET
    pagination: PaginationResponse | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        job_id = self.job_id

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        file_name = self.file_name

        model = self.model

        result_format = self.result_format

        credits_used = self.credits_used

        processed_pages = self.processed_pages

        total_pages = self.total_pages

        completed_at = self.completed_at

        pages: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.pages, Unset):
            pages = []
            for pages_item_data in self.pages:
                pages_item = pages_item_data.to_dict()
                pages.append(pages_item)

        pagination: dict[str, Any] | Unset = UNSET
        if not isinstance(self.pagination, Unset):
            pagination = self.pagination.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if job_id is not UNSET:
            field_dict["job_id"] = job_id
        if status is not UNSET:
            field_dict["status"] = status
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if model is not UNSET:
            field_dict["model"] = model
        if result_format is not UNSET:
            field_dict["result_format"] = result_format
        if credits_used is not UNSET:
            field_dict["credits_used"] = credits_used
        if processed_pages is not UNSET:
            field_dict["processed_pages"] = processed_pages
        if total_pages is not UNSET:
            field_dict["total_pages"] = total_pages
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at
        if pages is not UNSET:
            field_dict["pages"] = pages
        if pagination is not UNSET:
            field_dict["pagination"] = pagination

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.page_response import PageResponse
        from ..models.pagination_response import PaginationResponse

        d = dict(src_dict)
        job_id = d.pop("job_id", UNSET)

        _status = d.pop("status", UNSET)
        status: JobStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = JobStatus(_status)

        file_name = d.pop("file_name", UNSET)

        model = d.pop("model", UNSET)

        result_format = d.pop("result_format", UNSET)

        credits_used = d.pop("credits_used", UNSET)

        processed_pages = d.pop("processed_pages", UNSET)

        total_pages = d.pop("total_pages", UNSET)

        completed_at = d.pop("completed_at", UNSET)

        _pages = d.pop("pages", UNSET)
        pages: list[PageResponse] | Unset = UNSET
        if _pages is not UNSET:
            pages = []
            for pages_item_data in _pages:
                pages_item = PageResponse.from_dict(pages_item_data)

                pages.append(pages_item)

        _pagination = d.pop("pagination", UNSET)
        pagination: PaginationResponse | Unset
        if isinstance(_pagination, Unset):
            pagination = UNSET
        else:
            pagination = PaginationResponse.from_dict(_pagination)

        ocr_result_response = cls(
            job_id=job_id,
            status=status,
            file_name=file_name,
            model=model,
            result_format=result_format,
            credits_used=credits_used,
            processed_pages=processed_pages,
            total_pages=total_pages,
            completed_at=completed_at,
            pages=pages,
            pagination=pagination,
        )

        ocr_result_response.additional_properties = d
        return ocr_result_response

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
