"""API requests, built by the generated layer (``leapocr_sdk._generated``) from ``openapi.yaml``.

The generated endpoint modules own the wire shape of every request: paths (with the job
id percent-encoded), query parameters and JSON bodies. The facade sends what they build
through its own clients, so that retries, timeouts and key handling stay in one place,
and reads the replies itself, because it must accept both wire shapes (docs/wire.md).
The generated package is imported on first use, not at ``import leapocr_sdk``.

``tests/test_generated_golden.py`` pins what these functions take from the generated
modules, so a generator upgrade that changes a request fails loudly.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from typing import TYPE_CHECKING, Any, cast

from . import _contract
from . import _operations as op
from ._steps import Call
from ._validation import FLAGS, SubmitOptions

if TYPE_CHECKING:
    from uuid import UUID


_MODELS = f"{__package__}._generated.models"


def _models_on_demand() -> None:
    """Let one generated model import without the others.

    Every endpoint module imports a model, and importing ``_generated.models.<one>`` runs
    ``models/__init__``, which imports all of them (~20 ms before the first request).
    Registered here without running it, the package loads everything the first time an
    attribute is asked of it, so ``from leapocr_sdk._generated.models import X`` works.
    """
    if _MODELS in sys.modules:
        return
    spec = importlib.util.find_spec(_MODELS)
    if spec is None or spec.loader is None:
        return
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)

    def load_all(name: str) -> Any:
        del package.__dict__["__getattr__"]
        loader.exec_module(package)
        return package.__dict__[name] if name in package.__dict__ else getattr(package, name)

    package.__getattr__ = load_all  # type: ignore[method-assign]
    sys.modules[_MODELS] = package


def _call(operation: op.Operation, kwargs: dict[str, Any]) -> Call:
    return Call(
        name=operation.name,
        method=str(kwargs["method"]).upper(),
        path=str(kwargs["url"]),
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        headers=kwargs.get("headers"),
        idempotent=operation.idempotent,
    )


def _path_id(job_id: str) -> UUID:
    # The generated layer types job ids as UUIDs (the service's format) but only applies
    # quote(str(job_id)); ids are checked by _validation.check_job_id before they get here.
    return cast("UUID", job_id)


def _options(options: SubmitOptions, schema_type: Any) -> dict[str, Any]:
    _models_on_demand()
    from ._generated.models.result_format import ResultFormat
    from ._generated.types import UNSET

    output_type = options.output_type
    return {
        # per_page_structured is not in the 2026 enum: it is added to the body by _body().
        "format_": ResultFormat(output_type.value)
        if output_type is not None and output_type.value in _contract.FORMATS
        else UNSET,
        "model": options.model if options.model is not None else UNSET,
        "instructions": options.instruction if options.instruction is not None else UNSET,
        "schema": schema_type.from_dict(options.schema) if options.schema is not None else UNSET,
        "template_slug": options.template_slug if options.template_slug is not None else UNSET,
        **{flag: True for flag in FLAGS if getattr(options, flag)},  # unset when False
    }


def _with_dropped_format(kwargs: dict[str, Any], options: SubmitOptions) -> dict[str, Any]:
    """Send a format the 2026 contract dropped as given (the caller was warned)."""
    output_type = options.output_type
    if output_type is not None and output_type.value in _contract.DROPPED_FORMATS:
        kwargs["json"] = {**kwargs["json"], "format": output_type.value}
    return kwargs


def submit_url(url: str, file_name: str | None, options: SubmitOptions) -> Call:
    _models_on_demand()
    from ._generated.api.ocr import upload_from_remote_url
    from ._generated.models.remote_url_upload_request import RemoteURLUploadRequest
    from ._generated.models.remote_url_upload_request_schema import (
        RemoteURLUploadRequestSchema,
    )
    from ._generated.types import UNSET

    body = RemoteURLUploadRequest(
        url=url,
        file_name=file_name if file_name is not None else UNSET,
        **_options(options, RemoteURLUploadRequestSchema),
    )
    kwargs = _with_dropped_format(upload_from_remote_url._get_kwargs(body=body), options)
    return _call(op.SUBMIT_URL, kwargs)


def initiate_upload(
    file_name: str, content_type: str, file_size: int, options: SubmitOptions
) -> Call:
    _models_on_demand()
    from ._generated.api.ocr import direct_upload
    from ._generated.models.initiate_direct_upload_request import InitiateDirectUploadRequest
    from ._generated.models.initiate_direct_upload_request_schema import (
        InitiateDirectUploadRequestSchema,
    )

    body = InitiateDirectUploadRequest(
        file_name=file_name,
        content_type=content_type,
        file_size=file_size,
        **_options(options, InitiateDirectUploadRequestSchema),
    )
    kwargs = _with_dropped_format(direct_upload._get_kwargs(body=body), options)
    return _call(op.INITIATE, kwargs)


def complete_upload(job_id: str, etags: list[tuple[int, str]]) -> Call:
    _models_on_demand()
    from ._generated.api.ocr import complete_direct_upload
    from ._generated.models.completed_part import CompletedPart
    from ._generated.models.direct_upload_complete_request import DirectUploadCompleteRequest

    body = DirectUploadCompleteRequest(
        parts=[CompletedPart(etag=etag, part_number=number) for number, etag in etags]
    )
    kwargs = complete_direct_upload._get_kwargs(_path_id(job_id), body=body)
    return _call(op.COMPLETE, kwargs)


@functools.lru_cache(maxsize=128)
def get_status(job_id: str) -> Call:
    # Cached: a job's status is asked again and again, and a ``Call`` is immutable.
    _models_on_demand()
    from ._generated.api.ocr import get_job_status

    return _call(op.STATUS, get_job_status._get_kwargs(_path_id(job_id)))


def get_result(job_id: str, page: int, limit: int) -> Call:
    _models_on_demand()
    from ._generated.api.ocr import get_job_result

    kwargs = get_job_result._get_kwargs(_path_id(job_id), page=page, limit=limit)
    return _call(op.RESULT, kwargs)


def delete_job(job_id: str) -> Call:
    _models_on_demand()
    from ._generated.api.ocr import delete_job as endpoint

    kwargs = endpoint._get_kwargs(_path_id(job_id))
    return _call(op.DELETE, kwargs)


def list_models() -> Call:
    _models_on_demand()
    from ._generated.api.ocr import list_ocr_models

    return _call(op.MODELS, list_ocr_models._get_kwargs())


def health() -> Call:
    _models_on_demand()
    from ._generated.api.health import get_health_status

    return _call(op.HEALTH, get_health_status._get_kwargs())
