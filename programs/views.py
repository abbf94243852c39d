from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from programs import policies
from programs.models import Call, Direction, MaterialTemplate, Program
from programs.selectors import call_with_programs, public_calls, public_program, public_programs


def apply_link(request: HttpRequest, call: Call, program: Program) -> dict[str, str] | None:
    """The 「申报本项目」 button of a program in an open call: where it goes and what it says; None when no button.

    Logged in with an organisation: 新建申报 with the call and program chosen. Logged out: the login page, coming
    back there afterwards. Logged in without an organisation: registering one first. Staff apply for no one.
    """
    if not call.is_open:
        return None
    new_url = reverse("applications:new") + "?" + urlencode({"call": call.pk, "program": program.code})
    user = request.user
    if not user.is_authenticated:
        login = reverse("account_login") + "?" + urlencode({"next": new_url})
        return {"url": login, "label": _("登录后申报本项目")}
    if user.is_staff:
        return None
    if user.organisation is None:
        return {"url": reverse("accounts:home"), "label": _("登记单位后申报")}
    return {"url": new_url, "label": _("申报本项目")}


def _template_links(program: Program) -> dict[str, str]:
    return {
        MaterialTemplate.COMMITMENT: reverse("notices:commitment", args=[program.code]),
        "checklist": reverse("notices:checklist", args=[program.code]),
    }


def program_list(request: HttpRequest) -> HttpResponse:
    """The catalogue of funding items, grouped by direction."""
    programs = list(public_programs())
    groups = [
        (label, [p for p in programs if p.direction == value])
        for value, label in Direction.choices
        if any(p.direction == value for p in programs)
    ]
    return render(request, "programs/program_list.html", {"groups": groups, "program_count": len(programs)})


def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One program: conditions, the amount rule in words, caps, materials, clause and contact."""
    program = public_program(code)
    calls = list(public_calls().filter(programs=program))
    for call in calls:
        call.apply = apply_link(request, call, program)
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "calls": calls,
            "templates": _template_links(program),
            "policy": policies.POLICIES_BY_SLUG[policies.OPERATING_RULES],
        },
    )


def program_guide(request: HttpRequest, code: str) -> HttpResponse:
    """The 办事指南 of one program: conditions, amounts, caps, materials with templates, process, contact, basis."""
    program = public_program(code)
    calls = list(public_calls().filter(programs=program))
    for call in calls:
        call.apply = apply_link(request, call, program)
    return render(
        request,
        "programs/guide.html",
        {
            "program": program,
            "calls": calls,
            "templates": _template_links(program),
            "policy": policies.POLICIES_BY_SLUG[policies.OPERATING_RULES],
        },
    )


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One call: its window, and the table of the programs it covers (budget, amount rule, caps, deadline)."""
    call, rows = call_with_programs(pk)
    for row in rows:
        row["apply"] = apply_link(request, call, row["program"])
    return render(
        request,
        "programs/call_detail.html",
        {"call": call, "rows": rows, "policy": policies.POLICIES_BY_SLUG[policies.OPERATING_RULES]},
    )


def call_guide(request: HttpRequest, pk: int) -> HttpResponse:
    """The 办事指南 of one call: its window and process, and per program the conditions, amounts and materials."""
    call, rows = call_with_programs(pk)
    for row in rows:
        row["apply"] = apply_link(request, call, row["program"])
        row["templates"] = _template_links(row["program"])
    return render(
        request,
        "programs/call_guide.html",
        {
            "call": call,
            "rows": rows,
            "policy": policies.POLICIES_BY_SLUG[policies.OPERATING_RULES],
        },
    )


def faq(request: HttpRequest) -> HttpResponse:
    """常见问题."""
    return render(
        request,
        "programs/faq.html",
        {"policy": policies.POLICIES_BY_SLUG[policies.OPERATING_RULES], "verify_url": reverse("notices:verify_index")},
    )


def policy_list(request: HttpRequest) -> HttpResponse:
    """The policy texts the portal serves."""
    return render(request, "programs/policy_list.html", {"policies": policies.POLICIES})


def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One policy text as a page, with its headings anchored."""
    policy = policies.POLICIES_BY_SLUG.get(slug)
    if policy is None:
        raise Http404
    return render(
        request, "programs/policy_detail.html", {"policy": policy, "blocks": policies.policy_blocks(policy.slug)}
    )


def policy_download(request: HttpRequest, slug: str) -> HttpResponse:
    """One policy text as its original plain-text file (UTF-8)."""
    policy = policies.POLICIES_BY_SLUG.get(slug)
    if policy is None:
        raise Http404
    response = HttpResponse(policies.policy_text(policy), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{policy.short_title}.txt")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def home(request: HttpRequest) -> HttpResponse:
    """The public home page: open calls with the time left, then upcoming ones."""
    now = timezone.now()
    calls = list(public_calls().filter(closes_at__gt=now).order_by("closes_at"))
    return render(
        request,
        "core/home.html",
        {
            "open_calls": [c for c in calls if c.opens_at <= now],
            "upcoming_calls": [c for c in calls if c.opens_at > now],
        },
    )
