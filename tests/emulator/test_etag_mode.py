"""The emulator's ETags: a real MD5 by default; a cheap stand-in only when asked for."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.openapi_checks import conform

from .conftest import api_client, assert_error, initiate, put_parts, wait_result

MIB = 1024 * 1024


def _upload_parts(emulator: LeapOCREmulator, data: bytes) -> tuple[str, list[dict[str, Any]]]:
    with api_client(emulator) as http:
        started = initiate(http, len(data))
    return started["job_id"], put_parts(data, started)


def _chunks(data: bytes, count: int) -> list[bytes]:
    size = 5 * MIB
    return [data[i * size : (i + 1) * size] for i in range(count)]


def test_default_etag_is_the_md5_of_each_part(make_emu: Any) -> None:
    emulator = make_emu(processing_seconds=0.05)
    assert emulator.etag_mode == "md5"
    data = make_pdf(["Invoice Number: MD5-1"], pad_to=51 * MIB)  # 11 parts of <= 5 MiB
    _, parts = _upload_parts(emulator, data)
    expected = ['"' + hashlib.md5(c).hexdigest() + '"' for c in _chunks(data, len(parts))]
    assert [p["etag"] for p in parts] == expected


def test_fast_etag_still_refuses_a_wrong_etag_at_complete(make_emu: Any) -> None:
    emulator = make_emu(processing_seconds=0.05, etag_mode="fast")
    data = make_pdf(["Invoice Number: FAST-1"], pad_to=51 * MIB)
    job_id, parts = _upload_parts(emulator, data)
    etags = [p["etag"].strip('"') for p in parts]
    assert all(re.fullmatch(r"[0-9a-f]{32}", etag) for etag in etags)
    chunks = _chunks(data, len(parts))
    assert etags[0] != hashlib.md5(chunks[0]).hexdigest()  # not the MD5: cheaper
    with api_client(emulator) as http:
        # The MD5 a faithful store would have answered is not what this PUT returned.
        wrong = [dict(parts[0], etag=hashlib.md5(chunks[0]).hexdigest()), *parts[1:]]
        response = http.post(f"/ocr/uploads/{job_id}/complete", json={"parts": wrong})
        assert assert_error(response, 400)["details"]["part_number"] == 1
        right = http.post(f"/ocr/uploads/{job_id}/complete", json={"parts": parts})
        conform(right)
        assert right.status_code == 200
        result = wait_result(http, job_id)
    assert result["pages"][0]["result"] == "Invoice Number: FAST-1"


def test_unknown_etag_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="etag_mode"):
        LeapOCREmulator(etag_mode="sha1")  # type: ignore[arg-type]
