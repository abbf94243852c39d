"""gunicorn settings for the web container; every value can be overridden from the environment.

Threads, not more processes: most of a request's time is spent waiting for PostgreSQL, and each process holds its
own psycopg pool (DB_POOL_MAX connections), so processes × pool size must stay below PostgreSQL's max_connections.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Uploads of 20 MB over a slow line are buffered by the proxy, so the app sees them quickly.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never takes a replica down on deadline day.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# The proxy is the only client; trust its X-Forwarded-* headers (set FORWARDED_ALLOW_IPS to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-request-id}i)s"'
worker_tmp_dir = "/dev/shm"  # noqa: S108 - heartbeat files on tmpfs, as recommended for containers
