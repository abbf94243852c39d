# syntax=docker/dockerfile:1
# The portal's image: one image for web (gunicorn), worker and beat; the command chooses the role.

# --- Stage 1: build the virtualenv from the locked, hashed requirements --------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
COPY requirements/base.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install --require-hashes -r /tmp/requirements.txt

# --- Stage 2: collect the static files (hashed names, compressed) ------------------------------------------------
FROM python:3.11-slim-bookworm AS static
COPY --from=build /venv /venv
WORKDIR /app
COPY . .
RUN DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    /venv/bin/python manage.py collectstatic --noinput

# --- Stage 3: run time, no compiler, non-root ----------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
# Pango + HarfBuzz subset + Noto CJK for the award-notice PDFs (WeasyPrint), gettext for translations.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-noto-cjk fontconfig gettext \
 && fc-cache -f && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 portal && useradd --uid 1000 --gid portal --no-create-home --shell /usr/sbin/nologin portal \
 && mkdir -p /srv/media /srv/beat && chown portal:portal /srv/media /srv/beat
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production MEDIA_ROOT=/srv/media HOME=/tmp
COPY --from=build /venv /venv
WORKDIR /app
# The code belongs to root and is read-only for the app user; only /srv/media and /srv/beat are writable.
COPY . .
COPY --from=static /app/staticfiles /app/staticfiles
USER portal
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "portal.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
