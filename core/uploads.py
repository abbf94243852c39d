"""Checks for uploaded files (application materials, report evidence, objection letters): one rule everywhere.

The type is decided by the file's first bytes, never by its name; the size limit is ``FILE_UPLOAD_MAX_BYTES``.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

ALLOWED_UPLOADS = {
    # content type: (magic bytes, suffix)
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
}


@dataclass(frozen=True)
class UploadFacts:
    content_type: str
    suffix: str
    size: int
    sha256: str
    original_name: str


def sanitise_filename(name: str) -> str:
    """Keep the last path part, drop control and reserved characters, cap the length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*;').strip(" .")
    if not name:
        name = "file"
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:110] + dot + suffix[:9]) if dot else name[:120]
    return name


def sniff_content_type(head: bytes) -> str | None:
    """Decide the type from the file's first bytes, never from its name."""
    for content_type, (magic, _suffix) in ALLOWED_UPLOADS.items():
        if head.startswith(magic):
            return content_type
    return None


def inspect_upload(uploaded_file: UploadedFile, *, field: str = "file", default_name: str = "file") -> UploadFacts:
    """Check an upload's size and real type and hash it; the file is left rewound.

    Raise ValidationError on ``field`` with code "file_empty", "file_too_large" or "file_type_not_allowed".
    """

    def refuse(message: str, code: str) -> ValidationError:
        return ValidationError({field: ValidationError(message, code=code)})

    limit = settings.FILE_UPLOAD_MAX_BYTES
    if not uploaded_file.size:
        raise refuse(_("文件是空的，请重新选择"), "file_empty")
    if uploaded_file.size > limit:
        shown = f"{limit // (1024 * 1024)}MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)}KB"
        raise refuse(_("文件超过%(size)s，请压缩后再上传") % {"size": shown}, "file_too_large")
    uploaded_file.seek(0)
    content_type = sniff_content_type(uploaded_file.read(16))
    if content_type is None:
        raise refuse(_("只能上传 PDF、JPG 或 PNG 文件"), "file_type_not_allowed")
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return UploadFacts(
        content_type=content_type,
        suffix=ALLOWED_UPLOADS[content_type][1],
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        original_name=sanitise_filename(uploaded_file.name or default_name),
    )


def stored_content_type(attachment: object) -> str:
    """The content type an attachment was stored with (sniffed at upload); octet-stream when unknown.

    A download is served with this type and ``X-Content-Type-Options: nosniff``, never with a type guessed from the
    file name (a file named ``x.html`` would otherwise be served as HTML).
    """
    content_type = getattr(attachment, "content_type", "") or ""
    return content_type if content_type in ALLOWED_UPLOADS else "application/octet-stream"


def download_response(attachment: object) -> FileResponse:
    """A stored upload as a download (never inline), with its stored type and ``nosniff``; 404 when the file is gone."""
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        stored, as_attachment=True, filename=attachment.original_name, content_type=stored_content_type(attachment)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
