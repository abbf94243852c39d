"""Production: every secret from the environment, HTTPS only, Redis and PostgreSQL required."""

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
# The HMAC key of the audit chain: set it apart from SECRET_KEY (rotating SECRET_KEY must not break the chain).
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DEMO_SEED_ALLOWED = False
# Staff always enter the admin with a second factor here; no environment variable turns it off.
STAFF_MFA_REQUIRED = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# Content Security Policy (Django 5.2 has no built-in CSP; a header set by core.middleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
MIDDLEWARE = [*MIDDLEWARE, "core.middleware.ContentSecurityPolicyMiddleware"]

# Media on S3-compatible object storage (Huawei OBS, Aliyun OSS, Tencent COS, MinIO) when a bucket is named;
# otherwise MEDIA_ROOT on a volume shared by the web and worker containers. Objects stay private: downloads
# are streamed through the portal's permission checks, never handed out as public or signed URLs.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES = {
        **STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
                "region_name": env("AWS_S3_REGION_NAME", default=None),
                "access_key": env("AWS_ACCESS_KEY_ID", default=None),
                "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
                "location": env("AWS_LOCATION", default="media"),
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="virtual"),
                "signature_version": "s3v4",
            },
        },
    }
