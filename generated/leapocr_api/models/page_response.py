from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.bounding_box import BoundingBox
    from ..models.page_dims import PageDims


T = TypeVar("T", bound="PageResponse")


@_attrs_define
class PageResponse:
    """
    Attributes:
        id (str | Unset):
        page_number (int | Unset):
        result (Any | Unset): A string for markdown; an object for structured formats.
        confidence (float | Unset): Quality score from 0.0 to 1.0, when quality assessment ran
        dimensions (PageDims | Unset): Page dimensions in pixels
        has_bounding_boxes (bool | Unset): Whether bounding boxes were extracted for this page
        bounding_boxes (list[BoundingBox] | Unset): Blocks of the page with their locations, when extracted
    """

    id: str | Unset = UNSET
    page_number: int | Unset = UNSET
    result: Any | Unset = UNSET
    confidence: float | Unset = UNSET
    dimensions: PageDims | Unset = UNSET
    has_bounding_boxes: bool | Unset = UNSET
    bounding_boxes: list[BoundingBox] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        page_number = self.page_number

        result = self.result

        confidence = self.confidence

        dimensions: dict[str, Any] | Unset = UNSET
        if not isinstance(self.dimensions, Unset):
            dimensions = self.dimensions.to_dict()

        has_bounding_boxes = self.has_bounding_boxes

        bounding_boxes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.bounding_boxes, Unset):
            bounding_boxes = []
            for bounding_boxes_item_data in self.bounding_boxes:
                bounding_boxes_item = bounding_boxes_item_data.to_dict()
                bounding_boxes.append(bounding_boxes_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if page_number is not UNSET:
            field_dict["page_number"] = page_number
        if result is not UNSET:
            field_dict["result"] = result
        if confidence is not UNSET:
            field_dict["confidence"] = confidence
        if dimensions is not UNSET:
            field_dict["dimensions"] = dimensions
        if has_bounding_boxes is not UNSET:
            field_dict["has_bounding_boxes"] = has_bounding_boxes
        if bounding_boxes is not UNSET:
            field_dict["bounding_boxes"] = bounding_boxes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.bounding_box import BoundingBox
        from ..models.page_dims import PageDims

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        page_number = d.pop("page_number", UNSET)

        result = d.pop("result", UNSET)

        confidence = d.pop("confidence", UNSET)

        _dimensions = d.pop("dimensions", UNSET)
        dimensions: PageDims | Unset
        if isinstance(_dimensions, Unset):
            dimensions = UNSET
        else:
            dimensions = PageDims.from_dict(_dimensions)

        has_bounding_boxes = d.pop("has_bounding_boxes", UNSET)

        _bounding_boxes = d.pop("bounding_boxes", UNSET)
        bounding_boxes: list[BoundingBox] | Unset = UNSET
        if _bounding_boxes is not UNSET:
            bounding_boxes = []
            for bounding_boxes_item_data in _bounding_boxes:
                bounding_boxes_item = BoundingBox.from_dict(bounding_boxes_item_data)

                bounding_boxes.append(bounding_boxes_item)

        page_response = cls(
            id=id,
            page_number=page_number,
            result=result,
            confidence=confidence,
            dimensions=dimensions,
            has_bounding_boxes=has_bounding_boxes,
            bounding_boxes=bounding_boxes,
        )

        page_response.additional_properties = d
        return page_response

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
