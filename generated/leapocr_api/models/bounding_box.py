from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.box_bounds import BoxBounds


T = TypeVar("T", bound="BoundingBox")


@_attrs_define
class BoundingBox:
    """
    Attributes:
        bounds (BoxBounds | Unset): A block's location in pixels
        text (str | Unset): Text of the block
        type_ (str | Unset): paragraph, heading, table, figure, caption, list, footer or header
        metadata (Any | Unset): Optional details (heading level, table structure)
    """

    bounds: BoxBounds | Unset = UNSET
    text: str | Unset = UNSET
    type_: str | Unset = UNSET
    metadata: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bounds: dict[str, Any] | Unset = UNSET
        if not isinstance(self.bounds, Unset):
            bounds = self.bounds.to_dict()

        text = self.text

        type_ = self.type_

        metadata = self.metadata

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if bounds is not UNSET:
            field_dict["bounds"] = bounds
        if text is not UNSET:
            field_dict["text"] = text
        if type_ is not UNSET:
            field_dict["type"] = type_
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.box_bounds import BoxBounds

        d = dict(src_dict)
        _bounds = d.pop("bounds", UNSET)
        bounds: BoxBounds | Unset
        if isinstance(_bounds, Unset):
            bounds = UNSET
        else:
            bounds = BoxBounds.from_dict(_bounds)

        text = d.pop("text", UNSET)

        type_ = d.pop("type", UNSET)

        metadata = d.pop("metadata", UNSET)

        bounding_box = cls(
            bounds=bounds,
            text=text,
            type_=type_,
            metadata=metadata,
        )

        bounding_box.additional_properties = d
        return bounding_box

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
