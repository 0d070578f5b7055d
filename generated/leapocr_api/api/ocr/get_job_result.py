from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.ocr_result_response import OCRResultResponse
from ...models.ocr_status_response import OCRStatusResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    job_id: UUID,
    *,
    page: int | Unset = 1,
    limit: int | Unset = 100,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["page"] = page

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/ocr/result/{job_id}".format(
            job_id=quote(str(job_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | OCRResultResponse | OCRStatusResponse | None:
    if response.status_code == 200:
        response_200 = OCRResultResponse.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = OCRStatusResponse.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | OCRResultResponse | OCRStatusResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    limit: int | Unset = 100,
) -> Response[ErrorResponse | OCRResultResponse | OCRStatusResponse]:
    """Get a job's result, one page of pages at a time

     200 with the result pages once the job is finished; 202 with the job's status while it is still
    pending or processing.

    Args:
        job_id (UUID):
        page (int | Unset):  Default: 1.
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | OCRResultResponse | OCRStatusResponse]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        page=page,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    limit: int | Unset = 100,
) -> ErrorResponse | OCRResultResponse | OCRStatusResponse | None:
    """Get a job's result, one page of pages at a time

     200 with the result pages once the job is finished; 202 with the job's status while it is still
    pending or processing.

    Args:
        job_id (UUID):
        page (int | Unset):  Default: 1.
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | OCRResultResponse | OCRStatusResponse
    """

    return sync_detailed(
        job_id=job_id,
        client=client,
        page=page,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    limit: int | Unset = 100,
) -> Response[ErrorResponse | OCRResultResponse | OCRStatusResponse]:
    """Get a job's result, one page of pages at a time

     200 with the result pages once the job is finished; 202 with the job's status while it is still
    pending or processing.

    Args:
        job_id (UUID):
        page (int | Unset):  Default: 1.
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | OCRResultResponse | OCRStatusResponse]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
        page=page,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 1,
    limit: int | Unset = 100,
) -> ErrorResponse | OCRResultResponse | OCRStatusResponse | None:
    """Get a job's result, one page of pages at a time

     200 with the result pages once the job is finished; 202 with the job's status while it is still
    pending or processing.

    Args:
        job_id (UUID):
        page (int | Unset):  Default: 1.
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | OCRResultResponse | OCRStatusResponse
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            client=client,
            page=page,
            limit=limit,
        )
    ).parsed
