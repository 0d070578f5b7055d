"""A base URL without /api/v1 makes every call miss: the 404 says so."""

from __future__ import annotations

import asyncio

import pytest
from pytest_httpserver import HTTPServer

from leapocr_sdk import AsyncLeapOCR, LeapOCR, NotFoundError

NOT_FOUND = {"error": {"code": "NOT_FOUND", "message": "route not found"}}


def test_404_from_a_base_url_without_api_v1_names_the_fix(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ocr/status/job-1").respond_with_json(NOT_FOUND, status=404)
    root = httpserver.url_for("/").rstrip("/")
    with LeapOCR("key", base_url=root) as client, pytest.raises(NotFoundError) as caught:
        client.get_status("job-1")
    assert f"the base URL {root!r} has no /api/v1: did you mean {root + '/api/v1'!r}?" in str(
        caught.value
    )
    assert caught.value.status_code == 404


def test_async_client_gives_the_same_hint(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ocr/result/job-1").respond_with_json(NOT_FOUND, status=404)
    root = httpserver.url_for("/").rstrip("/")

    async def main() -> str:
        async with AsyncLeapOCR("key", base_url=root + "/") as client:
            with pytest.raises(NotFoundError) as caught:
                await client.get_result("job-1")
            return str(caught.value)

    assert "has no /api/v1: did you mean" in asyncio.run(main())


def test_404_from_the_right_base_url_has_no_hint(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/ocr/status/job-1").respond_with_json(NOT_FOUND, status=404)
    base = httpserver.url_for("/api/v1")
    with LeapOCR("key", base_url=base) as client, pytest.raises(NotFoundError) as caught:
        client.get_status("job-1")
    assert "/api/v1" not in str(caught.value)
    assert "route not found" in str(caught.value)
