"""``/healthz``: what the proxy and the container health checks call."""

import socket

import pytest
from django.urls import reverse

from portal.celery import app as celery_app


@pytest.fixture
def closed_port() -> int:
    """A local TCP port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthy_portal_answers_200_with_each_part(client):
    response = client.get(reverse("core:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_unreachable_broker_gives_503_naming_the_broker(client, closed_port, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{closed_port}/0")
    monkeypatch.setattr(celery_app, "_pool", None)  # a new pool for the new URL; the old one comes back after

    response = client.get(reverse("core:healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"
    assert str(closed_port) not in response.content.decode()  # no connection details leak


@pytest.mark.django_db
def test_healthz_needs_no_login_and_refuses_writes(client):
    assert client.post(reverse("core:healthz")).status_code == 405
    assert client.head(reverse("core:healthz")).status_code == 200


def test_the_load_benchmarks_floor_view_is_not_served_without_its_setting(client):
    assert client.get("/load-floor").status_code == 404
