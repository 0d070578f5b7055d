"""The service's prices with surcharges: one catalogue read by ``estimate_credits``, the
models list, and the emulator, whose charge for a job equals ``estimate_credits`` for it."""

from __future__ import annotations

from typing import Any

import pytest

from leapocr_sdk import (
    InsufficientCreditsError,
    Model,
    ModelInfo,
    OutputFormat,
    ValidationError,
    builtin_models,
    estimate_credits,
)
from leapocr_sdk._contract import MAX_CATALOGUE_PAGE_PRICE, MODEL_CATALOGUE, page_price
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

from .models import Invoice, invoice_pdf

FAST = {"poll_interval": 0.02, "timeout": 20}


@pytest.mark.parametrize(
    ("arguments", "credits"),
    [
        ((10,), 10),  # standard-v2 markdown
        ((10, Model.STANDARD_V2, {"schema": Invoice}), 20),
        ((10, Model.PRO_V2, {"schema": Invoice, "extract_bounding_boxes": True}), 50),
        ((10, Model.STANDARD_V1, {"instruction": "Only the totals"}), 30),
    ],
    ids=["standard-v2 markdown", "with a schema", "pro-v2 schema boxes", "v1 instruction"],
)
def test_estimate_credits_matches_the_price_table(arguments: tuple[Any, ...], credits: int) -> None:
    *positional, keywords = arguments if isinstance(arguments[-1], dict) else (*arguments, {})
    assert estimate_credits(*positional, **keywords) == credits


def test_surcharges_count_once_and_bounding_boxes_add_one() -> None:
    schema = {"type": "object"}
    both = estimate_credits(4, Model.PRO_V1, schema=schema, instruction="totals")
    assert both == estimate_credits(4, Model.PRO_V1, schema=schema) == 4 * (3 + 2)
    assert estimate_credits(4, "english-pro-v1", output_type="structured") == 4 * (2 + 2)
    assert estimate_credits(4, Model.STANDARD_V2, extract_bounding_boxes=True) == 8
    assert estimate_credits(0, Model.PRO_V2, schema=schema) == 0
    assert MAX_CATALOGUE_PAGE_PRICE == 3 + 2 + 1


def test_each_model_carries_its_surcharge() -> None:
    assert {m.value: m.surcharge_per_page for m in Model} == {
        "standard-v2": 1,
        "pro-v2": 1,
        "standard-v1": 2,
        "english-pro-v1": 2,
        "pro-v1": 2,
    }
    assert all(
        info.surcharge_per_page == Model(info.name).surcharge_per_page for info in builtin_models()
    )
    for spec in MODEL_CATALOGUE:  # one price rule
        structured = page_price(
            spec.credits_per_page, spec.surcharge_per_page, structured=True, bounding_boxes=False
        )
        assert structured == spec.credits_per_page + spec.surcharge_per_page


@pytest.mark.parametrize(
    "bad",
    [
        {"pages": -1},
        {"pages": 2, "model": "my-custom-model"},
        {"pages": 2, "output_type": "per_page"},
        {"pages": 2, "extract_bounding_boxes": "yes"},
    ],
)
def test_estimate_credits_refuses_bad_input(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        estimate_credits(**bad)


def test_list_models_reads_surcharge_per_page(client: Any) -> None:
    models = {info.name: info for info in client.list_models()}
    assert models["pro-v2"] == ModelInfo(
        "pro-v2", "Pro v2", 3, "Highest quality, handles all cases", surcharge_per_page=1
    )
    assert models["standard-v1"].surcharge_per_page == 2


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"schema": Invoice},
        {"schema": Invoice, "instruction": "Invoice fields", "model": Model.PRO_V1},
        {"instruction": "Only the totals", "model": Model.STANDARD_V1},
        {"extract_bounding_boxes": True, "model": Model.PRO_V2},
        {"schema": Invoice, "extract_bounding_boxes": True, "model": Model.ENGLISH_PRO_V1},
    ],
    ids=["markdown", "schema", "schema+instruction v1", "instruction v1", "boxes", "all"],
)
def test_the_emulator_charges_what_estimate_credits_says(
    client: Any, emu: LeapOCREmulator, options: dict[str, Any]
) -> None:
    before = emu.credits
    assert before is not None
    result = client.process(invoice_pdf(), **options, **FAST)
    expected = estimate_credits(
        3,
        options.get("model", Model.STANDARD_V2),
        schema=options.get("schema"),
        instruction=options.get("instruction"),
        extract_bounding_boxes=options.get("extract_bounding_boxes", False),
    )
    assert result.credits_used == expected
    assert emu.get_job(result.job_id).credits_used == expected
    assert emu.credits == before - expected
    assert result.result_format == (
        OutputFormat.STRUCTURED if "schema" in options else OutputFormat.MARKDOWN
    )


def test_a_balance_of_one_credit_does_not_complete_a_three_page_job(
    leapocr_emulator_factory: Any, make_client: Any
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.05, credits=1)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    with pytest.raises(InsufficientCreditsError) as caught:
        client.process(invoice_pdf(), **FAST)
    assert caught.value.code == "LESS_CREDITS"
    assert "3 pages cost 3 credits" in str(caught.value)
    assert emu.credits == 1  # nothing charged
    (job,) = emu.jobs.values()
    assert job.deleted_at is not None  # the refused upload's job was cleaned up
    # One page is covered.
    result = client.process(make_pdf(["Total Amount: 1"]), **FAST)
    assert result.credits_used == 1 and emu.credits == 0


def test_running_jobs_hold_their_price(leapocr_emulator_factory: Any, make_client: Any) -> None:
    """A second job cannot spend what the first one has reserved."""
    emu = leapocr_emulator_factory(processing_seconds=5, credits=4)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    first = client.process_file(invoice_pdf())  # 3 credits, reserved while it runs
    with pytest.raises(InsufficientCreditsError):
        client.process_file(invoice_pdf())  # 3 more do not fit in the 1 left
    client.delete_job(first.job_id)


def test_a_url_document_it_cannot_cover_fails_with_less_credits(
    leapocr_emulator_factory: Any, make_client: Any, httpserver: Any
) -> None:
    httpserver.expect_request("/invoice.pdf").respond_with_data(
        invoice_pdf(), content_type="application/pdf"
    )
    emu = leapocr_emulator_factory(processing_seconds=0.05, credits=2)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    from leapocr_sdk import JobFailedError

    with pytest.raises(JobFailedError, match="LESS_CREDITS"):
        client.process(httpserver.url_for("/invoice.pdf"), **FAST)
    assert emu.credits == 2
