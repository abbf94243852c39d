"""Reads of award notices: the public verification by code and the applicant's download, each 404 when not allowed."""

from typing import Any

from django.http import Http404

from accounts.models import User
from applications.models import Application, State
from applications.selectors import award_notice_url, get_application
from notices.models import AwardNotice, NoticeStatus, normalise_code
from notices.services import AWARD_STATES

__all__ = ["award_notice_of", "award_notice_url", "find_issued_notice", "get_downloadable_notice", "verification_facts"]

STATUS_LABELS = {"valid": "有效", "clawed_back": "资助已追回"}


def award_notice_of(application: Application) -> AwardNotice | None:
    """The application's notice, or None; uses ``select_related("award_notice")`` when the caller did."""
    if application.state not in AWARD_STATES:
        return None
    try:
        return application.award_notice
    except AwardNotice.DoesNotExist:
        return None


def get_downloadable_notice(user: User, application_pk: int) -> AwardNotice:
    """The done notice of an application the user may see; 404 for missing, not yours, and not ready alike."""
    application = get_application(user, application_pk)
    notice = AwardNotice.objects.filter(application=application, status=NoticeStatus.DONE).first()
    if notice is None or not notice.is_done:
        raise Http404
    notice.application = application
    return notice


def find_issued_notice(code: str) -> AwardNotice | None:
    """The notice with this verification code once a file has been issued, or None (unknown codes are not errors)."""
    code = normalise_code(code)
    if not code:
        return None
    notice = AwardNotice.objects.select_related("application").filter(verification_code=code).exclude(sha256="").first()
    return notice if notice is not None and notice.is_issued else None


def verification_facts(notice: AwardNotice) -> dict[str, Any]:
    """What the public may check about an issued notice: the facts printed on its current file and its SHA-256."""
    facts = notice.facts
    application = notice.application
    clawed_back = application.state == State.CLAWBACK or application.events.filter(name="claw_back").exists()
    status = "clawed_back" if clawed_back else "valid"
    return {
        "code": notice.verification_code,
        "reference": facts.get("reference", ""),
        "organisation": facts["organisation"],
        "uscc": facts["uscc"],
        "program": facts["program"],
        "program_name": facts["program_name"],
        "clause": facts["clause"],
        "call": facts["call"],
        "amount": facts["amount"],
        "amount_in_words": facts["amount_in_words"],
        "awarded_on": facts["awarded_on"],
        "bureau": facts.get("bureau", ""),
        "sha256": notice.sha256,
        "generation": notice.generation,
        "status": status,
        "status_label": STATUS_LABELS[status],
    }
