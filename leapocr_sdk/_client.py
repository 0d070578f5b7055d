"""The two clients: ``AsyncLeapOCR`` (written by hand) and ``LeapOCR`` (generated from it)."""

from ._async_client import AsyncLeapOCR
from ._sync_client import LeapOCR

__all__ = ["AsyncLeapOCR", "LeapOCR"]
