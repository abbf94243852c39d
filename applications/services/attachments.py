"""Attachments of an application: stored privately after checking kind, size and real content type."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from applications.error_codes import ApplicationErrorCode
from applications.models import EDITABLE_STATES, Application, Attachment
from applications.services.common import field_error, locked, require_member
from core.exceptions import Conflict
from core.uploads import inspect_upload
from programs.selectors import program_config


@transaction.atomic
def add_attachment(*, application: Application, actor: User, kind: str, uploaded_file: UploadedFile) -> Attachment:
    """Store an attachment privately after checking its kind, size and real content type.

    Raise ValidationError "attachment_kind_invalid", "file_too_large", "file_type_not_allowed" or "file_empty";
    Conflict "not_editable" outside draft/returned.
    """
    application = locked(application, related=())  # an upload reads none of the joined rows
    require_member(application, actor)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申报可以上传材料"), code=ApplicationErrorCode.NOT_EDITABLE)
    if kind not in program_config(application.program_id).attachment_kinds:
        raise field_error("kind", _("本项目没有这类材料"), ApplicationErrorCode.ATTACHMENT_KIND_INVALID)
    facts = inspect_upload(uploaded_file)
    attachment = Attachment(
        application=application,
        kind=kind,
        original_name=facts.original_name,
        content_type=facts.content_type,
        size=facts.size,
        sha256=facts.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(f"upload{facts.suffix}", uploaded_file, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def delete_attachment(*, attachment: Attachment, actor: User) -> None:
    application = Application.objects.select_for_update().get(pk=attachment.application_id)
    require_member(application, actor)
    if application.state not in EDITABLE_STATES:
        raise Conflict(_("只有草稿或退回补正的申报可以删除材料"), code=ApplicationErrorCode.NOT_EDITABLE)
    stored = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))
