"""``process_many(max_credits=...)``: credits spent plus credits reserved by documents in
flight never pass the budget. The budget's decisions are tested without a server, then a
batch against the emulator, which counts what it charged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import CreditBudgetExceededError, estimate_credits
from leapocr_sdk._pricing import CreditBudget
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

from .models import Receipt, invoice_pdf

FAST = {"poll_interval": 0.02, "timeout": 30}


def test_admits_while_spent_plus_reserved_fits() -> None:
    budget = CreditBudget(10)
    verdict, first = budget.admit(6, 2)
    assert verdict == CreditBudget.ADMIT and budget.reserved == 6 and budget.remaining == 4
    assert budget.admit(6, 2) == (CreditBudget.REFUSE, None)  # 6 + 6 > 10
    assert not budget.is_open()  # refused once: nothing more is submitted
    budget.settle(first, 5)  # charged less than estimated
    assert budget.spent == 5 and budget.reserved == 0 and budget.remaining == 5
    assert budget.admit(1, 1)[0] == CreditBudget.REFUSE  # closed stays closed


def test_an_unknown_estimate_goes_alone_and_is_filled_in_from_its_status() -> None:
    budget = CreditBudget(20)
    verdict, unknown = budget.admit(None, 2)
    assert verdict == CreditBudget.ADMIT and budget.reserved == 0
    assert budget.admit(None, 2) == (CreditBudget.WAIT, None)  # one unknown at a time
    assert budget.admit(4, 2)[0] == CreditBudget.ADMIT  # known ones still fit
    budget.learn_pages(unknown, 5)  # the first status: 5 pages x 2
    assert budget.reserved == 14 and budget.remaining == 6
    budget.learn_pages(unknown, 9)  # learnt once
    assert budget.reserved == 14
    budget.settle(unknown, 10)
    assert budget.spent == 10 and budget.admit(None, 2)[0] == CreditBudget.ADMIT


def test_exactly_full_stops_and_no_limit_admits_everything() -> None:
    budget = CreditBudget(6)
    assert budget.admit(6, 2)[0] == CreditBudget.ADMIT
    assert not budget.is_open()
    unlimited = CreditBudget(None)
    assert all(unlimited.admit(10**6, 1)[0] == CreditBudget.ADMIT for _ in range(5))
    assert unlimited.is_open() and unlimited.remaining is None


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_twenty_structured_documents_never_pass_fifty_credits(
    make_client: Any,
    leapocr_emulator_factory: Any,
    tmp_path: Path,
    concurrency: int,
) -> None:
    emu: LeapOCREmulator = leapocr_emulator_factory(processing_seconds=0.05, credits=1000)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    paths = []
    for number in range(20):
        path = tmp_path / f"invoice-{number}.pdf"
        path.write_bytes(invoice_pdf())  # 3 pages
        paths.append(path)
    each = estimate_credits(3, schema=Receipt)
    assert each == 6
    items = list(
        client.process_many(paths, schema=Receipt, max_credits=50, concurrency=concurrency, **FAST)
    )
    charged = 1000 - (emu.credits or 0)
    assert charged <= 50
    done = [item for item in items if item.ok]
    assert len(done) == 8 and charged == 48 == sum(item.credits for item in done)
    assert all(item.estimated_credits == item.credits == 6 for item in done)
    (refused,) = [item for item in items if not item.ok]
    assert isinstance(refused.error, CreditBudgetExceededError)
    assert refused.error.estimated_credits == 6 and refused.error.remaining == 2
    assert refused.job_id is None
    assert len(emu.jobs) == 8  # the refused document was never sent


def test_a_document_of_unknown_pages_is_counted_from_its_status(
    make_client: Any, leapocr_emulator_factory: Any, httpserver: Any
) -> None:
    """URLs cannot be counted before they are sent: they go one at a time, and the budget
    learns each one's pages from its first status."""
    for name in ("a", "b", "c"):
        httpserver.expect_request(f"/{name}.pdf").respond_with_data(
            make_pdf(["Total Amount: 1", "two"]), content_type="application/pdf"
        )
    emu: LeapOCREmulator = leapocr_emulator_factory(processing_seconds=0.2, credits=1000)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    urls = [httpserver.url_for(f"/{name}.pdf") for name in ("a", "b", "c")]
    items = list(client.process_many(urls, max_credits=3, concurrency=3, **FAST))
    assert 1000 - (emu.credits or 0) <= 4  # the worst case: one unknown document past it
    assert [item.estimated_credits for item in items if item.ok] == [None, None]
    assert len(emu.jobs) == 2  # 2 + 2 credits: the third was not submitted...
    (refused,) = [item for item in items if not item.ok]  # ...and its item says so
    assert isinstance(refused.error, CreditBudgetExceededError)
    assert refused.source == urls[2] and refused.error.estimated_credits is None


def test_a_lost_answer_does_not_leave_the_budget_waiting(
    make_client: Any, leapocr_emulator_factory: Any, httpserver: Any
) -> None:
    """A URL submission whose answer is lost may have created a job: its item is an
    error, its reservation is released (unknown price), and the next URL still goes."""
    for name in ("a", "b"):
        httpserver.expect_request(f"/{name}.pdf").respond_with_data(
            make_pdf(["Total Amount: 1"]), content_type="application/pdf"
        )
    emu: LeapOCREmulator = leapocr_emulator_factory(processing_seconds=0.05, credits=1000)
    emu.faults.drop("submit_url", after_handling=True)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    urls = [httpserver.url_for(f"/{name}.pdf") for name in ("a", "b")]
    items = list(client.process_many(urls, max_credits=100, concurrency=2, **FAST))
    assert [item.ok for item in items] == [False, True]
    assert items[0].error is not None and items[1].source == urls[1]
