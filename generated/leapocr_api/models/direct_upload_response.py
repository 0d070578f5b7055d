from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.multipart_part import MultipartPart


T = TypeVar("T", bound="DirectUploadResponse")


@_attrs_define
class DirectUploadResponse:
    """
    Attributes:
        job_id (UUID | Unset):
        upload_id (str | Unset):
        upload_type (str | Unset):  Example: multipart.
        chunk_size (int | Unset):  Example: 5242880.
        total_chunks (int | Unset):  Example: 1.
        parts (list[MultipartPart] | Unset):
        complete_url (str | Unset):
        expires_at (datetime.datetime | Unset):
    """

    job_id: UUID | Unset = UNSET
    upload_id: str | Unset = UNSET
    upload_type: str | Unset = UNSET
    chunk_size: int | Unset = UNSET
    total_chunks: int | Unset = UNSET
    parts: list[MultipartPart] | Unset = UNSET
    complete_url: str | Unset = UNSET
    expires_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        job_id: str | Unset = UNSET
        if not isinstance(self.job_id, Unset):
            job_id = str(self.job_id)

        upload_id = self.upload_id

        upload_type = self.upload_type

        chunk_size = self.chunk_size

        total_chunks = self.total_chunks

        parts: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.parts, Unset):
            parts = []
            for parts_item_data in self.parts:
                parts_item = parts_item_data.to_dict()
                parts.append(parts_item)

        complete_url = self.complete_url

        expires_at: str | Unset = UNSET
        if not isinstance(self.expires_at, Unset):
            expires_at = self.expires_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if job_id is not UNSET:
            field_dict["job_id"] = job_id
        if upload_id is not UNSET:
            field_dict["upload_id"] = upload_id
        if upload_type is not UNSET:
            field_dict["upload_type"] = upload_type
        if chunk_size is not UNSET:
            field_dict["chunk_size"] = chunk_size
        if total_chunks is not UNSET:
            field_dict["total_chunks"] = total_chunks
        if parts is not UNSET:
            field_dict["parts"] = parts
        if complete_url is not UNSET:
            field_dict["complete_url"] = complete_url
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.multipart_part import MultipartPart

        d = dict(src_dict)
        _job_id = d.pop("job_id", UNSET)
        job_id: UUID | Unset
        if isinstance(_job_id, Unset):
            job_id = UNSET
        else:
            job_id = UUID(_job_id)

        upload_id = d.pop("upload_id", UNSET)

        upload_type = d.pop("upload_type", UNSET)

        chunk_size = d.pop("chunk_size", UNSET)

        total_chunks = d.pop("total_chunks", UNSET)

        _parts = d.pop("parts", UNSET)
        parts: list[MultipartPart] | Unset = UNSET
        if _parts is not UNSET:
            parts = []
            for parts_item_data in _parts:
                parts_item = MultipartPart.from_dict(parts_item_data)

                parts.append(parts_item)

        complete_url = d.pop("complete_url", UNSET)

        _expires_at = d.pop("expires_at", UNSET)
        expires_at: datetime.datetime | Unset
        if isinstance(_expires_at, Unset):
            expires_at = UNSET
        else:
            expires_at = datetime.datetime.fromisoformat(_expires_at)

        direct_upload_response = cls(
            job_id=job_id,
            upload_id=upload_id,
            upload_type=upload_type,
            chunk_size=chunk_size,
            total_chunks=total_chunks,
            parts=parts,
            complete_url=complete_url,
            expires_at=expires_at,
        )

        direct_upload_response.additional_properties = d
        return direct_upload_response

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
