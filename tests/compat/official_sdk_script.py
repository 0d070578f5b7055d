"""Drive the official LeapOCR Python SDK, unchanged, against an emulator.

Run with the python of the environment that has the official SDK installed:
``python official_sdk_script.py BASE_URL API_KEY PDF_PATH DOCUMENT_URL TEMPLATE_SLUG``.
It prints one JSON object with what the SDK returned; ``tests/compat/test_official_sdk.py``
checks it. Standard library and the official SDK only (it runs outside this project's
environment).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import leapocr
from leapocr import ClientConfig, Format, LeapOCR, Model, PollOptions, ProcessOptions

SCHEMA = {"type": "object", "properties": {"key": {"type": "string"}}}


def page_texts(result: Any) -> list[Any]:
    return [page.result for page in result.pages]


async def main(
    base_url: str, api_key: str, pdf_path: str, document_url: str, template_slug: str
) -> dict[str, Any]:
    config = ClientConfig(base_url=base_url, max_retries=0)
    options = ProcessOptions(format=Format.MARKDOWN, model=Model.STANDARD_V2)
    polling = PollOptions(poll_interval=0.05, max_wait=30)
    async with LeapOCR(api_key, config=config) as client:
        healthy = await client.health()
        uploaded = await client.ocr.process_file(pdf_path, options)
        status = await client.ocr.get_job_status(uploaded.job_id)
        file_result = await client.ocr.wait_until_done(uploaded.job_id, polling)
        from_url = await client.ocr.process_url(document_url, options)
        url_result = await client.ocr.wait_until_done(from_url.job_id, polling)
        structured = await client.ocr.process_file(
            pdf_path,
            ProcessOptions(
                format=Format.STRUCTURED,
                model=Model.PRO_V2,
                schema=SCHEMA,
                instructions="Read the key",
            ),
        )
        structured_result = await client.ocr.wait_until_done(structured.job_id, polling)
        templated = await client.ocr.process_url(
            document_url, ProcessOptions(template_slug=template_slug)
        )
        templated_result = await client.ocr.wait_until_done(templated.job_id, polling)
        deleted = await client.ocr.delete_job(uploaded.job_id)
    return {
        "version": leapocr.__version__,
        "healthy": healthy,
        "file_job": uploaded.job_id,
        "first_status": status.status.value,
        "file_status": file_result.status.value,
        "file_pages": page_texts(file_result),
        "file_credits": file_result.credits_used,
        "file_model": file_result.model,
        "url_job": from_url.job_id,
        "url_pages": page_texts(url_result),
        "structured_pages": page_texts(structured_result),
        "structured_credits": structured_result.credits_used,
        "templated_job": templated.job_id,
        "templated_format": templated_result.result_format,
        "templated_pages": page_texts(templated_result),
        "deleted": deleted,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:6]))))
