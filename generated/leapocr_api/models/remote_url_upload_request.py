from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.result_format import ResultFormat
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.remote_url_upload_request_schema import RemoteURLUploadRequestSchema


T = TypeVar("T", bound="RemoteURLUploadRequest")


@_attrs_define
class RemoteURLUploadRequest:
    """
    Attributes:
        url (str):  Example: https://example.com/document.pdf.
        file_name (str | Unset):  Example: document.pdf.
        format_ (ResultFormat | Unset): Output format of a job. The 2025 value per_page_structured is refused by the
            service since 2026.
        model (str | Unset):  Example: standard-v2.
        instructions (str | Unset):  Example: Extract key information.
        schema (RemoteURLUploadRequestSchema | Unset):
        template_slug (str | Unset):  Example: invoice-template.
        extract_bounding_boxes (bool | Unset): Also locate each block of text on its page Example: False.
        save_as_template (bool | Unset): Save this job's options as a reusable template Example: False.
    """

    url: str
    file_name: str | Unset = UNSET
    format_: ResultFormat | Unset = UNSET
    model: str | Unset = UNSET
    instructions: str | Unset = UNSET
    schema: RemoteURLUploadRequestSchema | Unset = UNSET
    template_slug: str | Unset = UNSET
    extract_bounding_boxes: bool | Unset = UNSET
    save_as_template: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        file_name = self.file_name

        format_: str | Unset = UNSET
        if not isinstance(self.format_, Unset):
            format_ = self.format_.value

        model = self.model

        instructions = self.instructions

        schema: dict[str, Any] | Unset = UNSET
        if not isinstance(self.schema, Unset):
            schema = self.schema.to_dict()

        template_slug = self.template_slug

        extract_bounding_boxes = self.extract_bounding_boxes

        save_as_template = self.save_as_template

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "url": url,
            }
        )
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if format_ is not UNSET:
            field_dict["format"] = format_
        if model is not UNSET:
            field_dict["model"] = model
        if instructions is not UNSET:
            field_dict["instructions"] = instructions
        if schema is not UNSET:
            field_dict["schema"] = schema
        if template_slug is not UNSET:
            field_dict["template_slug"] = template_slug
        if extract_bounding_boxes is not UNSET:
            field_dict["extract_bounding_boxes"] = extract_bounding_boxes
        if save_as_template is not UNSET:
            field_dict["save_as_template"] = save_as_template

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.remote_url_upload_request_schema import (
            RemoteURLUploadRequestSchema,
        )

        d = dict(src_dict)
        url = d.pop("url")

        file_name = d.pop("file_name", UNSET)

        _format_ = d.pop("format", UNSET)
        format_: ResultFormat | Unset
        if isinstance(_format_, Unset):
            format_ = UNSET
        else:
            format_ = ResultFormat(_format_)

        model = d.pop("model", UNSET)

        instructions = d.pop("instructions", UNSET)

        _schema = d.pop("schema", UNSET)
        schema: RemoteURLUploadRequestSchema | Unset
        if isinstance(_schema, Unset):
            schema = UNSET
        else:
            schema = RemoteURLUploadRequestSchema.from_dict(_schema)

        template_slug = d.pop("template_slug", UNSET)

        extract_bounding_boxes = d.pop("extract_bounding_boxes", UNSET)

        save_as_template = d.pop("save_as_template", UNSET)

        remote_url_upload_request = cls(
            url=url,
            file_name=file_name,
            format_=format_,
            model=model,
            instructions=instructions,
            schema=schema,
            template_slug=template_slug,
            extract_bounding_boxes=extract_bounding_boxes,
            save_as_template=save_as_template,
        )

        remote_url_upload_request.additional_properties = d
        return remote_url_upload_request

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
