from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.job_response_metadata import JobResponseMetadata


T = TypeVar("T", bound="JobResponse")


@_attrs_define
class JobResponse:
    """
    Attributes:
        id (str | Unset):
        status (str | Unset):
        file_name (str | Unset):
        file_size (int | Unset):
        processed_pages (int | Unset):
        total_pages (int | Unset):
        credits_used (int | Unset):
        error_message (str | Unset):
        template_id (str | Unset):
        template_name (str | Unset):
        team_id (str | Unset):
        user_id (str | Unset):
        metadata (JobResponseMetadata | Unset):
        created_at (str | Unset):
        updated_at (str | Unset):
        completed_at (str | Unset):
        deleted_at (str | Unset):
    """

    id: str | Unset = UNSET
    status: str | Unset = UNSET
    file_name: str | Unset = UNSET
    file_size: int | Unset = UNSET
    processed_pages: int | Unset = UNSET
    total_pages: int | Unset = UNSET
    credits_used: int | Unset = UNSET
    error_message: str | Unset = UNSET
    template_id: str | Unset = UNSET
    template_name: str | Unset = UNSET
    team_id: str | Unset = UNSET
    user_id: str | Unset = UNSET
    metadata: JobResponseMetadata | Unset = UNSET
    created_at: str | Unset = UNSET
    updated_at: str | Unset = UNSET
    completed_at: str | Unset = UNSET
    deleted_at: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        file_name = self.file_name

        file_size = self.file_size

        processed_pages = self.processed_pages

        total_pages = self.total_pages

        credits_used = self.credits_used

        error_message = self.error_message

        template_id = self.template_id

        template_name = self.template_name

        team_id = self.team_id

        user_id = self.user_id

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        created_at = self.created_at

        updated_at = self.updated_at

        completed_at = self.completed_at

        deleted_at = self.deleted_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if status is not UNSET:
            field_dict["status"] = status
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if file_size is not UNSET:
            field_dict["file_size"] = file_size
        if processed_pages is not UNSET:
            field_dict["processed_pages"] = processed_pages
        if total_pages is not UNSET:
            field_dict["total_pages"] = total_pages
        if credits_used is not UNSET:
            field_dict["credits_used"] = credits_used
        if error_message is not UNSET:
            field_dict["error_message"] = error_message
        if template_id is not UNSET:
            field_dict["template_id"] = template_id
        if template_name is not UNSET:
            field_dict["template_name"] = template_name
        if team_id is not UNSET:
            field_dict["team_id"] = team_id
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if updated_at is not UNSET:
            field_dict["updated_at"] = updated_at
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at
        if deleted_at is not UNSET:
            field_dict["deleted_at"] = deleted_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.job_response_metadata import JobResponseMetadata

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        status = d.pop("status", UNSET)

        file_name = d.pop("file_name", UNSET)

        file_size = d.pop("file_size", UNSET)

        processed_pages = d.pop("processed_pages", UNSET)

        total_pages = d.pop("total_pages", UNSET)

        credits_used = d.pop("credits_used", UNSET)

        error_message = d.pop("error_message", UNSET)

        template_id = d.pop("template_id", UNSET)

        template_name = d.pop("template_name", UNSET)

        team_id = d.pop("team_id", UNSET)

        user_id = d.pop("user_id", UNSET)

        _metadata = d.pop("metadata", UNSET)
        metadata: JobResponseMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = JobResponseMetadata.from_dict(_metadata)

        created_at = d.pop("created_at", UNSET)

        updated_at = d.pop("updated_at", UNSET)

        completed_at = d.pop("completed_at", UNSET)

        deleted_at = d.pop("deleted_at", UNSET)

        job_response = cls(
            id=id,
            status=status,
            file_name=file_name,
            file_size=file_size,
            processed_pages=processed_pages,
            total_pages=total_pages,
            credits_used=credits_used,
            error_message=error_message,
            template_id=template_id,
            template_name=template_name,
            team_id=team_id,
            user_id=user_id,
            metadata=metadata,
            created_at=created_at,
            updated_at=updated_at,
            completed_at=completed_at,
            deleted_at=deleted_at,
        )

        job_response.additional_properties = d
        return job_response

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
