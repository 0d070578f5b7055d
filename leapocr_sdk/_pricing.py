"""What a job will cost, and a batch's credit budget. Pure decisions, plus page counting.

The price of a page is ``_contract.page_price`` (the model's base price and surcharges);
a document's estimate is its pages times that price. ``CreditBudget`` is the budget of
``process_many(max_credits=...)``: credits spent by finished documents plus credits
reserved by documents in flight never pass the limit, as far as the estimates go.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import attrs

from . import _contract
from .types import OutputFormat

if TYPE_CHECKING:
    from ._sources import FileSource
    from ._validation import SubmitOptions

_SINGLE_PAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})


def job_page_price(options: SubmitOptions) -> int | None:
    """Credits a page of a job with ``options`` costs; None when the service alone knows
    (a template's options, a model outside the catalogue)."""
    if options.template_slug is not None:
        return None
    structured = (
        options.output_type in (OutputFormat.STRUCTURED, OutputFormat.PER_PAGE_STRUCTURED)
        or options.schema is not None
        or options.instruction is not None
    )
    return _contract.catalogue_page_price(
        options.model or _contract.DEFAULT_MODEL,
        structured=structured,
        bounding_boxes=options.extract_bounding_boxes,
    )


def count_pages(source: FileSource) -> int | None:
    """Pages of an opened document, counted locally: 1 for a PNG, JPEG or WebP image, a
    PDF's page count when pypdf (the ``pdf`` extra) is installed; None when unknown (a
    TIFF may hold several pages; a PDF without pypdf, or one pypdf cannot read)."""
    if source.content_type in _SINGLE_PAGE_TYPES:
        return 1
    if source.content_type != "application/pdf":
        return None
    try:
        from ._pages import pdf_reader
    except ImportError:  # pragma: no cover - _pages itself needs nothing at import
        return None
    try:
        return len(pdf_reader(source).pages)
    except ImportError:
        return None
    except Exception:  # a damaged PDF: the service will say what it thinks of it
        return None


@attrs.define(eq=False)
class Reservation:
    """Credits held for one document in flight: ``credits`` (None until its page count is
    known) at ``price`` per page (None: priced on the service)."""

    credits: int | None
    price: int | None


class CreditBudget:
    """A batch's ``max_credits``: spent + reserved never passes ``limit``.

    The batch's scheduler asks ``admit`` before it submits a document (with the
    document's estimate, or None when unknown); a document whose estimate is unknown
    goes alone (no other unknown one in flight), and its reservation is filled in by
    ``learn_pages`` once the service reports its page count. ``settle`` turns a
    reservation into what was charged. Thread-safe (status hooks run on worker threads).
    """

    ADMIT = "admit"
    WAIT = "wait"  # an unknown estimate is in flight: try again once something finishes
    REFUSE = "refuse"  # it does not fit: submit nothing more

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self.closed = False
        self._held: list[Reservation] = []
        self._lock = threading.Lock()

    @property
    def reserved(self) -> int:
        """Credits reserved by documents in flight (known estimates only)."""
        with self._lock:
            return self._reserved()

    def _reserved(self) -> int:
        return sum(r.credits for r in self._held if r.credits is not None)

    @property
    def remaining(self) -> int | None:
        """Credits neither spent nor reserved (None: no limit)."""
        if self.limit is None:
            return None
        with self._lock:
            return self.limit - self.spent - self._reserved()

    def is_open(self) -> bool:
        """Whether another document may still be submitted at all."""
        if self.limit is None:
            return True
        with self._lock:
            return not self.closed and self.spent + self._reserved() < self.limit

    def admit(self, estimate: int | None, price: int | None) -> tuple[str, Reservation | None]:
        """Decide on the next document: ``(ADMIT, its reservation)``, ``(WAIT, None)`` or
        ``(REFUSE, None)`` (the budget then closes)."""
        reservation = Reservation(estimate, price)
        if self.limit is None:
            return self.ADMIT, reservation
        with self._lock:
            free = self.limit - self.spent - self._reserved()
            if self.closed or free <= 0:
                self.closed = True
                return self.REFUSE, None
            if estimate is None:
                if any(r.credits is None for r in self._held):
                    return self.WAIT, None
            elif estimate > free:
                self.closed = True
                return self.REFUSE, None
            self._held.append(reservation)
            return self.ADMIT, reservation

    def learn_pages(self, reservation: Reservation | None, pages: int | None) -> None:
        """The service reported the document's page count: reserve pages x price."""
        if reservation is None or pages is None or reservation.price is None:
            return
        with self._lock:
            if reservation.credits is None:
                reservation.credits = pages * reservation.price

    def settle(self, reservation: Reservation | None, charged: int) -> None:
        """The document ended: its reservation becomes the ``charged`` credits."""
        with self._lock:
            if reservation is not None and reservation in self._held:
                self._held.remove(reservation)
            self.spent += charged


def describe_estimate(estimate: int | None) -> str:
    """``12`` or ``unknown``, for summaries."""
    return "unknown" if estimate is None else str(estimate)


def estimate_for(pages: int | None, price: int | None) -> int | None:
    """pages x price, or None if either is unknown."""
    if pages is None or price is None:
        return None
    return pages * price


def positive_pages(value: Any) -> int | None:
    """A page count from a status, or None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None
