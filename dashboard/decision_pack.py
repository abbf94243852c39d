"""决策材料 (decision pack) for the leadership meeting: one PDF per allocation run of a call.

``pack_facts`` gathers from the records (the run's per-program results and lines, the applications' units and the
cap sweep, the call's other applications, the publicity objections) everything the pack prints, as JSON-ready
values: the same records give the same facts, and the same facts the same PDF. The SHA-256 it prints is taken over
the run's inputs as recorded (per program the budget and what other calls froze; per application the claimed and
standard amounts), so a reader can check that two packs came from the same inputs.
"""

import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ADMINISTRATOR, APPROVER, user_has_role
from allocations.models import AllocationRun
from applications.models import Application, ApplicationUnit, State
from core.money import format_yuan
from notices.services import render_html_to_pdf
from programs.models import ReviewTrack
from programs.rules import (
    REASON_ALREADY_FUNDED,
    REASON_CLAIM_MISSING,
    REASON_ORGANISATION_CAP_REACHED,
    REASON_YEARLY_CAP_REACHED,
)
from publicity.models import Objection, ObjectionStatus, PublicityNotice

TEMPLATE = "pdf/decision_pack.html"

# Why an application of the call is not on the list, and why a unit counted less (codes as in the records).
NOT_FUNDED_REJECTED = "rejected"
NOT_FUNDED_REVOKED = "objection_upheld"
NOT_FUNDED_WITHDRAWN = "withdrawn"
NOT_FUNDED_IN_REVIEW = "not_approved"
NOT_FUNDED_LATE = "approved_after_run"


def reason_labels() -> dict[str, str]:
    return {
        NOT_FUNDED_REJECTED: _("不予资助"),
        NOT_FUNDED_REVOKED: _("公示异议成立，撤销资助"),
        NOT_FUNDED_WITHDRAWN: _("申报单位已撤回"),
        NOT_FUNDED_IN_REVIEW: _("尚未审定（未列入本次分配）"),
        NOT_FUNDED_LATE: _("在本次分配之后审定，未列入本次分配"),
        REASON_YEARLY_CAP_REACHED: _("超过年度数量上限"),
        REASON_ALREADY_FUNDED: _("同一事项已获资助"),
        REASON_CLAIM_MISSING: _("未填写实际发生费用"),
        REASON_ORGANISATION_CAP_REACHED: _("超过单位年度资助总额上限"),
    }


def may_download_pack(user: User | None) -> bool:
    """审定人 and 系统管理员 prepare the leadership meeting; other roles get 404."""
    return user_has_role(user, APPROVER) or user_has_role(user, ADMINISTRATOR)


def _money(value: Decimal | None) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def inputs_digest(run: AllocationRun) -> str:
    """SHA-256 (hex) of the run's recorded inputs, in a canonical JSON form."""
    programs = sorted(
        (r.program.code, _money(r.budget), _money(r.frozen_elsewhere)) for r in run.programs.select_related("program")
    )
    lines = sorted(
        (line.application_id, line.program.code, _money(line.claimed_amount), _money(line.standard_amount))
        for line in run.lines.select_related("program")
    )
    payload = {
        "call": run.call_id,
        "year": run.call.year,
        "programs": [{"program": p, "budget": b, "frozen_elsewhere": f} for p, b, f in programs],
        "applications": [{"application": a, "program": p, "claimed": c, "standard": s} for a, p, c, s in lines],
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _not_funded_code(application: Application, revoked_ids: set[int], listed_ids: set[int]) -> str:
    if application.state == State.REJECTED:
        return NOT_FUNDED_REVOKED if application.pk in revoked_ids else NOT_FUNDED_REJECTED
    if application.state == State.WITHDRAWN:
        return NOT_FUNDED_WITHDRAWN
    if application.state == State.APPROVED and application.pk not in listed_ids:
        return NOT_FUNDED_LATE
    return NOT_FUNDED_IN_REVIEW


def pack_facts(run: AllocationRun) -> dict[str, Any]:
    """Everything the pack prints about a finished run, from the records; equal records give equal facts.

    A fixed number of queries, whatever the number of applications.
    """
    run = AllocationRun.objects.select_related("call", "started_by", "cap_sweep").get(pk=run.pk)
    call = run.call
    labels = reason_labels()
    results = list(run.programs.select_related("program").order_by("program__sort_order", "program__code"))
    lines = list(
        run.lines.select_related("application__organisation", "program").order_by(
            "program__sort_order", "program__code", "application__organisation__name", "application_id"
        )
    )
    listed_ids = {line.application_id for line in lines}
    units: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for application_id, reason_code, key in (
        ApplicationUnit.objects.filter(application_id__in=listed_ids)
        .values_list("application_id", "reason_code", "key")
        .order_by("application_id", "position", "pk")
    ):
        units[application_id].append((reason_code, key))
    swept: dict[int, str] = {}
    if run.cap_sweep_id:
        swept = dict(run.cap_sweep.changes.values_list("application_id", "reason_code"))

    listed = []
    for number, line in enumerate(lines, start=1):
        own = units[line.application_id]
        codes = {code for code, _key in own if code}
        if swept.get(line.application_id) == REASON_ORGANISATION_CAP_REACHED:
            codes.add(REASON_ORGANISATION_CAP_REACHED)
        listed.append(
            {
                "number": number,
                "reference": line.application.reference or "",
                "organisation": line.application.organisation.name,
                "program": line.program.code,
                "program_name": line.program.name,
                "units": f"{sum(1 for code, _key in own if not code)}/{len(own)}",
                "score": (
                    _money(line.application.score)
                    if line.program.review_track == ReviewTrack.EXPERT_REVIEW and line.application.score is not None
                    else ""
                ),
                "caps": [{"code": code, "label": labels.get(code, code)} for code in sorted(codes)],
                "standard": _money(line.standard_amount),
                "amount": _money(line.allocated_amount),
            }
        )

    notices = list(PublicityNotice.objects.filter(call=call).order_by("opened_at", "pk"))
    objections = list(
        Objection.objects.filter(notice__call=call).select_related("entry").order_by("submitted_at", "pk")
    )
    revoked_ids = {o.entry.application_id for o in objections if o.status == ObjectionStatus.UPHELD and o.entry_id}
    others = list(
        Application.objects.filter(call=call)
        .exclude(state=State.DRAFT)
        .exclude(pk__in=listed_ids)
        .select_related("organisation", "program")
        .order_by("program__sort_order", "program__code", "organisation__name", "pk")
    )
    not_funded = []
    for application in others:
        code = _not_funded_code(application, revoked_ids, listed_ids)
        not_funded.append(
            {
                "reference": application.reference or "",
                "organisation": application.organisation.name,
                "program": application.program.code,
                "code": code,
                "label": labels[code],
                "detail": application.decision_reason if code in (NOT_FUNDED_REJECTED, NOT_FUNDED_REVOKED) else "",
            }
        )

    sweep = run.cap_sweep
    finished = timezone.localtime(run.finished_at or run.started_at).replace(microsecond=0)
    return {
        "bureau": str(settings.BUREAU_NAME),
        "call": call.title,
        "year": call.year,
        "run": run.pk,
        "finished_at": finished.isoformat(),
        "started_by": (run.started_by.full_name or run.started_by.email) if run.started_by_id else "",
        "sweep": {"checked": sweep.checked, "changed": sweep.changed} if sweep else None,
        "programs": [
            {
                "program": r.program.code,
                "name": r.program.name,
                "track": str(ReviewTrack(r.program.review_track).label),
                "applications": r.application_count,
                "budget": _money(r.budget),
                "frozen_elsewhere": _money(r.frozen_elsewhere),
                "requested": _money(r.requested_total),
                "standard": _money(r.standard_total),
                "allocated": _money(r.allocated_total),
                "factor": "" if r.fully_funded or r.factor is None else str(r.factor),
                "fully_funded": r.fully_funded,
            }
            for r in results
        ],
        "listed": listed,
        "listed_total": _money(sum((line.allocated_amount for line in lines), Decimal("0"))),
        "not_funded": not_funded,
        "publicity": [
            {"title": n.title, "starts_on": n.starts_on.isoformat(), "ends_on": n.ends_on.isoformat()} for n in notices
        ],
        "objections": [
            {
                "number": number,
                "submitted_on": timezone.localdate(o.submitted_at).isoformat(),
                "subject": (o.entry.organisation_name + " " + o.entry.program_code) if o.entry_id else "",
                "content": o.content,
                "status": str(ObjectionStatus(o.status).label),
                "outcome": o.decision_reason,
            }
            for number, o in enumerate(objections, start=1)
        ],
        "inputs_sha256": inputs_digest(run),
    }


def render_pack_html(facts: dict[str, Any]) -> str:
    def yuan(value: str) -> str:
        return format_yuan(Decimal(value))

    money_keys = ("budget", "frozen_elsewhere", "requested", "standard", "allocated")
    programs = [{**p, **{k: yuan(p[k]) for k in money_keys}} for p in facts["programs"]]
    listed = [{**row, "standard": yuan(row["standard"]), "amount": yuan(row["amount"])} for row in facts["listed"]]
    return render_to_string(
        TEMPLATE,
        {
            "facts": facts,
            "programs": programs,
            "listed": listed,
            "listed_total": yuan(facts["listed_total"]),
            # The PDF's dates come from the run, not the clock: the same records give the same bytes.
            "issued_at": facts["finished_at"],
        },
    )


def render_decision_pack(run: AllocationRun) -> bytes:
    """The pack's PDF for a finished run (WeasyPrint, the portal's CJK font); writes nothing."""
    return render_html_to_pdf(render_pack_html(pack_facts(run)))
