"""Container health check: ``GET /healthz`` on this container, as the proxy would send it.

Sends the first ``ALLOWED_HOSTS`` name as Host and ``X-Forwarded-Proto: https`` so that the production settings
(ALLOWED_HOSTS, SECURE_SSL_REDIRECT) answer instead of refusing or redirecting. Exit 0 when healthy.
"""

import http.client
import os
import sys

host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost"
port = int(os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[1])
try:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
    response = conn.getresponse()
    body = response.read(500).decode("utf-8", "replace")
except OSError as exc:
    print(f"unhealthy: {exc}")
    sys.exit(1)
print(response.status, body)
sys.exit(0 if response.status == 200 else 1)
