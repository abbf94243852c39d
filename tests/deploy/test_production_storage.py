"""Production settings: media on private S3-compatible object storage when a bucket is named, else on disk."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, django
django.setup()
from django.core.files.storage import storages
from django.conf import settings
default_storage = storages["default"]
try:
    default_storage.path("x")
    has_path = True
except NotImplementedError:
    has_path = False
print(json.dumps({
    "backend": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "acl": getattr(default_storage, "default_acl", None),
    "overwrite": getattr(default_storage, "file_overwrite", None),
    "endpoint": getattr(default_storage, "endpoint_url", None),
    "location": getattr(default_storage, "location", None),
    "has_path": has_path,
    "behind_proxy": settings.BEHIND_PROXY,
}))
"""


def production(**extra: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "zlpp.example.gov.cn",
        **extra,
    }
    for name in ("AWS_STORAGE_BUCKET_NAME", "BEHIND_PROXY"):
        if name not in extra:
            env.pop(name, None)
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_named_bucket_puts_media_on_private_object_storage():
    probe = production(
        AWS_STORAGE_BUCKET_NAME="zlpp-media",
        AWS_S3_ENDPOINT_URL="https://obs.cn-south-1.myhuaweicloud.com",
        AWS_ACCESS_KEY_ID="key",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert probe["backend"] == "storages.backends.s3.S3Storage"
    assert probe["acl"] == "private"
    assert probe["overwrite"] is False
    assert probe["endpoint"] == "https://obs.cn-south-1.myhuaweicloud.com"
    assert probe["location"] == "media"
    # Award notices then go in as whole objects instead of a local .part file and rename.
    assert probe["has_path"] is False


def test_without_a_bucket_media_stays_on_the_shared_volume():
    probe = production(MEDIA_ROOT="/srv/media")
    assert probe["backend"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert probe["has_path"] is True


def test_proxy_trust_is_off_unless_the_deployment_says_so():
    assert production()["behind_proxy"] is False
    assert production(BEHIND_PROXY="true")["behind_proxy"] is True
