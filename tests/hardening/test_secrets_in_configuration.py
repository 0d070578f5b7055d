"""Secrets at construction: a non-ASCII key, malformed base URLs and a password
in base_url, for both clients."""

from __future__ import annotations

import pytest

from leapocr_sdk import ConfigurationError

PASTED_KEY = "sk-test\u2013abcdef0123456789"  # an en dash pasted from a web page


def test_a_non_ascii_key_is_refused_without_echoing_it(make_client):
    with pytest.raises(ConfigurationError, match="non-ASCII") as info:
        make_client(api_key=PASTED_KEY, base_url="http://127.0.0.1:9/api/v1")
    text = f"{info.value} {info.value!r}"
    assert "abcdef0123456789" not in text and "\u2013" not in text


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:99999/api/v1",  # port out of range
        "http://127.0.0.1:port/api/v1",  # port not a number
        "http://[::1/api/v1",  # unclosed IPv6 bracket
        "http://127.0.0.1/api\x00/v1",  # NUL
    ],
)
def test_a_malformed_base_url_is_a_configuration_error(make_client, base_url):
    with pytest.raises(ConfigurationError, match="base_url"):
        make_client(base_url=base_url)


def test_a_password_in_base_url_never_shows(make_client):
    client = make_client(base_url="https://user:hunter2@api.example/api/v1")
    assert "hunter2" not in repr(client)
    assert "user:***@api.example" in repr(client)
    with pytest.raises(ConfigurationError) as info:
        make_client(base_url="https://user:hunter2@api.example:99999/api/v1")
    assert "hunter2" not in str(info.value)
