"""Contains all the data models used in inputs/outputs"""

from .bounding_box import BoundingBox
from .box_bounds import BoxBounds
from .completed_part import CompletedPart
from .direct_upload_complete_request import DirectUploadCompleteRequest
from .direct_upload_complete_response import DirectUploadCompleteResponse
from .direct_upload_response import DirectUploadResponse
from .error_code import ErrorCode
from .error_message import ErrorMessage
from .error_response import ErrorResponse
from .health_check import HealthCheck
from .health_check_details import HealthCheckDetails
from .health_status import HealthStatus
from .health_status_checks import HealthStatusChecks
from .health_summary import HealthSummary
from .initiate_direct_upload_request import InitiateDirectUploadRequest
from .initiate_direct_upload_request_schema import InitiateDirectUploadRequestSchema
from .job_response import JobResponse
from .job_response_metadata import JobResponseMetadata
from .job_status import JobStatus
from .job_status_response import JobStatusResponse
from .model_response import ModelResponse
from .models_list_response import ModelsListResponse
from .multipart_part import MultipartPart
from .ocr_result_response import OCRResultResponse
from .ocr_status_response import OCRStatusResponse
from .page_dims import PageDims
from .page_response import PageResponse
from .pagination_response import PaginationResponse
from .remote_url_upload_request import RemoteURLUploadRequest
from .remote_url_upload_request_schema import RemoteURLUploadRequestSchema
from .remote_url_upload_response import RemoteURLUploadResponse
from .result_format import ResultFormat

__all__ = (
    "BoundingBox",
    "BoxBounds",
    "CompletedPart",
    "DirectUploadCompleteRequest",
    "DirectUploadCompleteResponse",
    "DirectUploadResponse",
    "ErrorCode",
    "ErrorMessage",
    "ErrorResponse",
    "HealthCheck",
    "HealthCheckDetails",
    "HealthStatus",
    "HealthStatusChecks",
    "HealthSummary",
    "InitiateDirectUploadRequest",
    "InitiateDirectUploadRequestSchema",
    "JobResponse",
    "JobResponseMetadata",
    "JobStatus",
    "JobStatusResponse",
    "ModelResponse",
    "ModelsListResponse",
    "MultipartPart",
    "OCRResultResponse",
    "OCRStatusResponse",
    "PageDims",
    "PageResponse",
    "PaginationResponse",
    "RemoteURLUploadRequest",
    "RemoteURLUploadRequestSchema",
    "RemoteURLUploadResponse",
    "ResultFormat",
)
