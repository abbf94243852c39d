"""Which address counts as the client's: only the proxy's word, and only when there is a proxy."""

from django.test import RequestFactory

from core.net import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_proxy_a_forged_forwarded_header_is_ignored(settings):
    settings.BEHIND_PROXY = False
    assert client_ip(request_from("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


def test_behind_the_proxy_the_address_it_saw_counts(settings):
    settings.BEHIND_PROXY = True
    assert client_ip(request_from("172.18.0.5", "203.0.113.7")) == "203.0.113.7"
    # nginx overwrites the header; should another hop append, the entry the last proxy wrote is still the client.
    assert client_ip(request_from("172.18.0.5", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"


def test_behind_the_proxy_without_the_header_falls_back_to_the_socket_address(settings):
    settings.BEHIND_PROXY = True
    assert client_ip(request_from("172.18.0.5")) == "172.18.0.5"
    assert client_ip(request_from("172.18.0.5", "")) == "172.18.0.5"
