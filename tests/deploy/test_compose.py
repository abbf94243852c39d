"""The deployment files: docker-compose.yml, the Dockerfile, the proxy and gunicorn configuration.

These machines run no Docker engine, so the files are parsed and their settings checked against what the portal
needs; the container health-check script is run for real against a live server.
"""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("db", "redis", "web", "worker", "beat", "proxy")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command_of(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_every_part_of_the_portal_is_a_service(services):
    assert {"db", "redis", "migrate", "web", "worker", "beat", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_a_health_check_and_restart(services, name):
    service = services[name]
    assert service["restart"] == "unless-stopped"
    health = service["healthcheck"]
    assert health["test"], name
    assert health["interval"] and health["retries"] >= 3


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_the_production_settings_against_the_compose_database_and_broker(services, name):
    service = services[name]
    env = service["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    assert re.fullmatch(r"postgres://portal:\$\{POSTGRES_PASSWORD[^}]*\}@db:5432/portal", env["DATABASE_URL"])
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["BEHIND_PROXY"] == "true"
    assert service["env_file"] == ".env"
    assert service["build"] == "."
    assert service["read_only"] is True
    assert "no-new-privileges:true" in service["security_opt"]


def test_no_password_is_written_into_the_compose_file(services):
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name in APP_SERVICES:
        assert "SECRET_KEY" not in services[name]["environment"], "the secret key comes from .env"


def test_web_serves_gunicorn_behind_the_proxy_only(services):
    web = services["web"]
    assert command_of(web).startswith("gunicorn portal.wsgi:application --config deploy/gunicorn.conf.py")
    assert "ports" not in web, "web is reached through the proxy, never published directly"
    assert web["expose"] == ["8000"]
    proxy = services["proxy"]
    assert sorted(proxy["ports"]) == ["443:443", "80:80"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert "./deploy/nginx/portal.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]


@pytest.mark.parametrize("name", ("web", "worker", "beat"))
def test_app_starts_after_healthy_database_and_broker_and_finished_migrations(services, name):
    depends = services[name]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_runs_once_and_loads_roles_and_programs(services):
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    command = command_of(migrate)
    for step in ("migrate --noinput", "sync_roles", "seed_programs"):
        assert step in command
    assert "seed_demo" not in command


def test_worker_and_exactly_one_beat(services):
    assert command_of(services["worker"]).startswith("celery -A portal worker")
    beats = [name for name, s in services.items() if "command" in s and " beat" in command_of(s)]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "/srv/beat/celerybeat-schedule" in command_of(services["beat"])


def test_data_lives_in_named_volumes(compose, services):
    volumes = set(compose["volumes"])
    assert {"pgdata", "redisdata", "media", "backups"} <= volumes
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "redisdata:/data" in services["redis"]["volumes"]
    assert "--appendonly" in command_of(services["redis"])
    # Web and worker share the media volume: the worker writes award notices the web serves.
    for name in ("web", "worker"):
        assert f"media:{services[name]['environment']['MEDIA_ROOT']}" in services[name]["volumes"]


def test_nightly_backup_service_dumps_the_database_into_its_volume(services):
    backup = services["backup"]
    assert "pg_dump --format=custom" in command_of(backup)
    assert "backups:/backups" in backup["volumes"]
    assert backup["environment"]["PGHOST"] == "db"


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def conf() -> str:
    return (ROOT / "deploy/nginx/portal.conf").read_text(encoding="utf-8")


class TestDockerfile:
    def final_stage(self, dockerfile: str) -> str:
        return dockerfile.rsplit("\nFROM ", 1)[1]

    def test_is_multi_stage_with_a_compiler_free_runtime(self, dockerfile):
        assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
        assert "build-essential" not in self.final_stage(dockerfile)
        assert "--require-hashes" in dockerfile

    def test_runs_as_a_non_root_user(self, dockerfile):
        users = re.findall(r"^USER (\S+)", self.final_stage(dockerfile), re.MULTILINE)
        assert users and users[-1] not in {"root", "0"}

    def test_collects_static_files_at_build_time(self, dockerfile):
        assert "collectstatic --noinput" in dockerfile
        assert "COPY --from=static /app/staticfiles" in self.final_stage(dockerfile)

    def test_runtime_has_the_pdf_libraries_and_fonts_the_makefile_installs(self, dockerfile):
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        packages = re.search(r"^APT_PACKAGES := (.+)$", makefile, re.MULTILINE).group(1).split()
        final = self.final_stage(dockerfile)
        for package in packages:
            assert package in final, package
        assert "fc-cache" in final

    def test_has_a_health_check_and_serves_gunicorn(self, dockerfile):
        assert "HEALTHCHECK" in dockerfile and "deploy/healthcheck.py" in dockerfile
        assert 'CMD ["gunicorn", "portal.wsgi:application", "--config", "deploy/gunicorn.conf.py"]' in dockerfile

    def test_dockerignore_keeps_secrets_and_local_data_out_of_the_image(self):
        ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
        for entry in (".env", ".git", ".venv", "db.sqlite3*", "media"):
            assert entry in ignored


class TestProxy:
    def test_proxies_to_the_web_service_and_redirects_http_to_https(self, conf):
        assert "server web:8000" in conf
        assert "return 301 https://$host$request_uri" in conf
        assert "listen 443 ssl" in conf

    def test_forwarded_headers_are_overwritten_not_appended(self, conf):
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
        assert "$proxy_add_x_forwarded_for" not in conf

    def test_accepts_uploads_a_little_larger_than_the_app_limit(self, conf):
        megabytes = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
        assert megabytes * 1024 * 1024 > settings.FILE_UPLOAD_MAX_BYTES

    def test_rate_limits_the_login_and_token_endpoints(self, conf):
        assert "zone=login" in conf
        for path in ("accounts/login", "admin/login", "api/v1/auth/token"):
            assert path in conf


def test_gunicorn_configuration_loads_and_matches_the_exposed_port(services, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    namespace: dict = {}
    exec((ROOT / "deploy/gunicorn.conf.py").read_text(encoding="utf-8"), namespace)  # noqa: S102 - our own file
    assert namespace["worker_class"] == "gthread"
    assert namespace["workers"] == 3
    assert namespace["bind"].endswith(":" + services["web"]["expose"][0])


@pytest.mark.django_db(transaction=True)
def test_container_health_check_script_passes_against_a_running_portal(live_server):
    port = live_server.url.rsplit(":", 1)[1]
    env = {**os.environ, "GUNICORN_BIND": f"0.0.0.0:{port}", "ALLOWED_HOSTS": "localhost"}
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "deploy/healthcheck.py")], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"database": "ok"' in result.stdout


def test_container_health_check_script_fails_when_nothing_listens():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "GUNICORN_BIND": f"0.0.0.0:{port}"}
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "deploy/healthcheck.py")], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "unhealthy" in result.stdout
