"""The emulator's document downloads (URL jobs): pooled HTTP clients shared by every job."""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

__all__ = ["Downloads"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Downloads:
    """The HTTP clients that fetch URL jobs' documents, shared by every download.

    One pooled client for loopback hosts (proxy variables ignored, as a local test server
    wants) and one for the rest (proxies honoured): a document host is connected to once
    and its connection kept alive for the next document, instead of a new client and
    connection per job. Created on first use, closed with ``close()``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[bool, Any] = {}

    def client(self, host: str) -> Any:
        """The shared client for ``host`` (an ``httpx.Client``)."""
        import httpx  # a dependency of the SDK itself; imported lazily

        from .._tls import tls_context

        trust_env = not _is_loopback(host)
        with self._lock:
            client = self._clients.get(trust_env)
            if client is None:
                client = httpx.Client(
                    timeout=30.0,
                    follow_redirects=True,
                    trust_env=trust_env,
                    verify=tls_context(),
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
                )
                self._clients[trust_env] = client
            return client

    def close(self) -> None:
        """Close both clients (the next download creates them again)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
