"""Direct (presigned, multipart) upload, exactly like the service."""

from __future__ import annotations

import hashlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.openapi_checks import conform

from .conftest import (
    INVOICE_PAGES,
    TLS,
    assert_error,
    initiate,
    put_parts,
    raw,
    upload,
    wait_result,
)

MIB = 1024 * 1024
DIRECT = {"file_name": "doc.pdf", "content_type": "application/pdf", "file_size": 1000}


def complete(http: httpx.Client, job_id: str, parts: list[dict[str, Any]]) -> httpx.Response:
    return http.post(f"/ocr/uploads/{job_id}/complete", json={"parts": parts})


def test_single_part_upload(emu: LeapOCREmulator, client: httpx.Client, invoice_pdf: bytes) -> None:
    started = initiate(client, len(invoice_pdf))
    assert started["upload_type"] == "multipart"
    assert started["total_chunks"] == 1
    assert started["complete_url"] == f"/api/v1/ocr/uploads/{started['job_id']}/complete"
    [part] = started["parts"]
    assert (part["part_number"], part["start_byte"], part["end_byte"]) == (
        1,
        0,
        len(invoice_pdf) - 1,
    )
    url = urlsplit(part["upload_url"])
    assert f"{url.scheme}://{url.netloc}" == emu.url
    assert url.path == f"/storage/{started['upload_id']}/1"
    assert "X-Signature=" in url.query and "X-Expires=" in url.query

    put = raw("PUT", part["upload_url"], content=invoice_pdf)
    assert put.status_code == 200
    assert put.headers["ETag"] == '"' + hashlib.md5(invoice_pdf).hexdigest() + '"'
    assert emu.get_job(started["job_id"]).status == "pending"

    response = complete(
        client, started["job_id"], [{"part_number": 1, "etag": put.headers["ETag"]}]
    )
    body = conform(response)
    assert body["job_id"] == started["job_id"]
    assert body["status"] == "pending"
    result = wait_result(client, started["job_id"])
    assert [p["result"] for p in result["pages"]] == INVOICE_PAGES
    assert emu.get_job(started["job_id"]).file_bytes == invoice_pdf
    storage_puts = [r for r in emu.requests if r.route == "upload_part"]
    assert len(storage_puts) == 1 and "x-api-key" not in storage_puts[0].headers
    assert emu.key_leaks == 0


def test_multipart_upload_of_55_mib_with_parallel_puts(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    data = make_pdf(["Big document\nInvoice Number: BIG-1"], pad_to=55 * MIB)
    started = initiate(client, len(data))
    parts = started["parts"]
    assert started["chunk_size"] == 5 * MIB
    assert started["total_chunks"] == len(parts) == 11
    assert [p["part_number"] for p in parts] == list(range(1, 12))
    for index, part in enumerate(parts):
        assert part["start_byte"] == index * 5 * MIB
        assert part["end_byte"] == min((index + 1) * 5 * MIB, len(data)) - 1  # inclusive

    def put(part: dict[str, Any]) -> dict[str, Any]:
        chunk = data[part["start_byte"] : part["end_byte"] + 1]
        with httpx.Client(verify=TLS) as storage:
            response = storage.put(part["upload_url"], content=chunk)
        assert response.status_code == 200
        assert response.headers["ETag"] == '"' + hashlib.md5(chunk).hexdigest() + '"'
        return {"part_number": part["part_number"], "etag": response.headers["ETag"]}

    with ThreadPoolExecutor(4) as pool:
        completed = list(pool.map(put, parts))
    conform(complete(client, started["job_id"], completed))
    result = wait_result(client, started["job_id"])
    assert result["pages"][0]["result"] == "Big document\nInvoice Number: BIG-1"
    job = emu.get_job(started["job_id"])
    assert job.file_size == len(data)
    assert (
        job.file_bytes is not None
        and hashlib.md5(job.file_bytes).digest() == hashlib.md5(data).digest()
    )


def test_part_layout_threshold(client: httpx.Client) -> None:
    below = initiate(client, 50 * MIB - 1)
    assert below["total_chunks"] == 1 and below["parts"][0]["end_byte"] == 50 * MIB - 2
    at = initiate(client, 50 * MIB)
    assert at["total_chunks"] == 10 and at["parts"][-1]["end_byte"] == 50 * MIB - 1
    top = initiate(client, 100 * MIB)
    assert top["total_chunks"] == 20


def prepared(client: httpx.Client, parts: int = 1) -> tuple[str, list[dict[str, Any]]]:
    data = make_pdf(["x"], pad_to=50 * MIB + 1) if parts > 1 else make_pdf(["x"])
    started = initiate(client, len(data))
    return started["job_id"], put_parts(data, started)


def test_complete_rejects_bad_part_lists(client: httpx.Client) -> None:
    job_id, parts = prepared(client, parts=11)
    assert len(parts) == 11
    doubly_quoted = [dict(p) for p in parts]
    doubly_quoted[0]["etag"] = f'"{doubly_quoted[0]["etag"]}"'
    wrong = [dict(p) for p in parts]
    wrong[3]["etag"] = '"' + "0" * 32 + '"'
    wrong_unquoted = [{**p, "etag": p["etag"].strip('"')} for p in parts]
    wrong_unquoted[5]["etag"] = "0" * 32
    bad_sets = {
        "missing": parts[:-1],
        "reversed": list(reversed(parts)),
        "duplicate": [*parts[:2], parts[1], *parts[2:]],
        "doubly quoted": doubly_quoted,
        "wrong etag": wrong,
        "wrong unquoted etag": wrong_unquoted,
        "extra part": [*parts, {"part_number": 12, "etag": parts[0]["etag"]}],
    }
    for name, bad in bad_sets.items():
        body = assert_error(complete(client, job_id, bad), 400)
        assert body["error"]["message"], name
    for invalid in ([], [{"part_number": 0, "etag": '"a"'}], [{"part_number": 1, "etag": ""}]):
        assert_error(complete(client, job_id, invalid), 400)
    assert_error(client.post(f"/ocr/uploads/{job_id}/complete", content=b"{not json"), 400)
    conform(complete(client, job_id, parts))


def test_complete_requires_every_part_uploaded(client: httpx.Client) -> None:
    data = make_pdf(["x"])
    started = initiate(client, len(data))
    body = assert_error(
        complete(client, started["job_id"], [{"part_number": 1, "etag": '"abc"'}]), 400
    )
    assert "not uploaded" in body["error"]["message"]


def test_complete_twice_is_idempotent_with_the_same_parts(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    job_id, parts = prepared(client)
    first = conform(complete(client, job_id, parts))
    again = complete(client, job_id, parts)
    assert again.status_code == 200 and conform(again) == first
    other = [{"part_number": 1, "etag": '"' + "f" * 32 + '"'}]
    assert_error(complete(client, job_id, other), 409, "CONFLICT")
    assert emu.get_job(job_id).complete_calls == 3


def test_complete_unknown_and_malformed_job_ids(client: httpx.Client) -> None:
    parts = [{"part_number": 1, "etag": '"a"'}]
    assert_error(complete(client, "6f0e0a52-4a3e-4bd4-a3a4-1f2e3d4c5b6a", parts), 404, "NOT_FOUND")
    assert_error(complete(client, "job_abc123", parts), 400)


def test_complete_of_a_url_job_conflicts(client: httpx.Client) -> None:
    job_id = conform(client.post("/ocr/uploads/url", json={"url": "http://127.0.0.1:1/x.pdf"}))[
        "job_id"
    ]
    assert_error(complete(client, job_id, [{"part_number": 1, "etag": '"a"'}]), 409)


def test_storage_put_with_api_key_is_refused_and_counted(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    data = make_pdf(["x"])
    started = initiate(client, len(data))
    url = started["parts"][0]["upload_url"]
    leaked = raw("PUT", url, content=data, headers={"x-api-key": emu.api_key})
    assert leaked.status_code == 400
    assert b"X-API-Key" in leaked.content
    assert emu.key_leaks == 1
    assert [r.status for r in emu.requests if r.route == "upload_part"] == [400]
    assert raw("PUT", url, content=data).status_code == 200


def test_storage_rejects_tampered_urls_and_wrong_sizes(client: httpx.Client) -> None:
    data = make_pdf(["x"])
    started = initiate(client, len(data))
    url = started["parts"][0]["upload_url"]
    tampered = [
        url.replace("X-Signature=", "X-Signature=0"),
        url.replace("X-Expires=", "X-Expires=9"),
        url.replace("/1?", "/2?"),
        url.split("?")[0],
    ]
    for bad in tampered:
        response = raw("PUT", bad, content=data)
        assert response.status_code == 403, bad
        assert b"<Code>SignatureDoesNotMatch</Code>" in response.content
    assert raw("PUT", url, content=data[:-1]).status_code == 400
    assert raw("PUT", url, content=data + b"x").status_code == 400
    assert raw("PUT", url, content=data).status_code == 200


def test_storage_requires_a_content_length(client: httpx.Client) -> None:
    data = make_pdf(["x"])
    started = initiate(client, len(data))
    response = raw("PUT", started["parts"][0]["upload_url"], content=iter([data]))  # chunked
    assert response.status_code == 411


def test_storage_part_upload_can_be_repeated(client: httpx.Client) -> None:
    data = make_pdf(["x"])
    started = initiate(client, len(data))
    url = started["parts"][0]["upload_url"]
    first = raw("PUT", url, content=data).headers["ETag"]
    assert raw("PUT", url, content=data).headers["ETag"] == first
    conform(complete(client, started["job_id"], [{"part_number": 1, "etag": first}]))
    assert raw("PUT", url, content=data).status_code == 404  # the upload is closed


def test_expired_url_is_refused(emu: LeapOCREmulator, client: httpx.Client) -> None:
    data = make_pdf(["x"])
    emu.faults.issue_expired_urls = True
    started = initiate(client, len(data))
    response = raw("PUT", started["parts"][0]["upload_url"], content=data)
    assert response.status_code == 403
    assert b"<Code>AccessDenied</Code>" in response.content and b"expired" in response.content


def test_url_ttl(make_emu: Any) -> None:
    emulator = make_emu(upload_url_ttl=120)
    with httpx.Client(
        verify=TLS, base_url=emulator.base_url, headers={"X-API-Key": "test-key"}
    ) as http:
        started = initiate(http, 10)
    expires = int(parse_qs(urlsplit(started["parts"][0]["upload_url"]).query)["X-Expires"][0])
    assert 119 <= expires - time.time() <= 121
    stamp = datetime.fromisoformat(started["expires_at"].replace("Z", "+00:00")).timestamp()
    assert abs(stamp - expires) <= 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"file_name": None}, "file_name"),
        ({"content_type": None}, "content_type"),
        ({"file_size": None}, "file_size"),
        ({"file_size": 0}, "file_size"),
        ({"file_size": 1_073_741_825}, "file_size"),
        ({"file_size": "10"}, "file_size"),
        ({"file_size": True}, "file_size"),
        ({"file_name": ""}, "file_name"),
        ({"file_name": "a" * 256}, "file_name"),
        ({"format": "json"}, "format"),
        ({"instructions": "x" * 101}, "instructions"),
        ({"schema": "not an object"}, "schema"),
        ({"template_slug": 5}, "template_slug"),
        ({"content_type": "text/plain"}, "content_type"),
        ({"content_type": "application/octet-stream"}, "content_type"),
        ({"format": "per_page_structured"}, "format"),
        ({"extract_bounding_boxes": "yes"}, "extract_bounding_boxes"),
        ({"save_as_template": 1}, "save_as_template"),
    ],
)
def test_initiate_validation(client: httpx.Client, change: dict[str, Any], field: str) -> None:
    payload = {k: v for k, v in {**DIRECT, **change}.items() if v is not None}
    body = assert_error(client.post("/ocr/uploads/direct", json=payload), 400)
    assert body["details"]["field"] == field


@pytest.mark.parametrize(
    "extra",
    [
        {"instructions": "x", "schema": {"type": "object"}},
        {"instructions": "x", "template_slug": "invoice"},
        {"schema": {"type": "object"}, "template_slug": "invoice"},
    ],
)
def test_at_most_one_of_instructions_schema_template(
    client: httpx.Client, extra: dict[str, Any]
) -> None:
    assert_error(client.post("/ocr/uploads/direct", json={**DIRECT, **extra}), 400)


def test_initiate_defaults_and_non_json(emu: LeapOCREmulator, client: httpx.Client) -> None:
    started = initiate(client, 1000)
    job = emu.get_job(started["job_id"])
    assert (job.model, job.result_format) == ("standard-v2", "markdown")
    assert_error(client.post("/ocr/uploads/direct", content=b"[1, 2]"), 400)
    assert_error(client.post("/ocr/uploads/direct", content=b"garbage"), 400)


def test_upload_of_a_non_pdf_fails_the_job(emu: LeapOCREmulator, client: httpx.Client) -> None:
    job_id = upload(client, b"this is not a PDF at all")
    result = wait_result(client, job_id)
    assert result["status"] == "failed"
    assert result["pages"] == [] and result["credits_used"] == 0
    assert "not a PDF" in result["error_message"]
    status = conform(client.get(f"/ocr/status/{job_id}"))
    assert status["status"] == "failed" and "not a PDF" in status["error_message"]


def test_connections_are_kept_alive(emu: LeapOCREmulator, client: httpx.Client) -> None:
    for _ in range(5):
        client.get("/ocr/models")
    ports = {r.client_port for r in emu.requests}
    assert len(ports) == 1
    response = client.get("/ocr/models")
    assert response.http_version == "HTTP/1.1"
    assert "close" not in response.headers.get("Connection", "")


def test_raw_socket_keep_alive(emu: LeapOCREmulator) -> None:
    with socket.create_connection(("127.0.0.1", emu.port)) as sock:
        request = (
            f"GET /api/v1/ocr/models HTTP/1.1\r\nHost: x\r\nX-API-Key: {emu.api_key}\r\n\r\n"
        ).encode()
        for _ in range(2):
            sock.sendall(request)
            received = b""
            while b"\r\n\r\n" not in received:
                received += sock.recv(65536)
            head, _, rest = received.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            while len(rest) < length:
                rest += sock.recv(65536)
            assert head.startswith(b"HTTP/1.1 200")
