"""Public publicity pages: the list of notices and a notice with its real-name objection form."""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.net import client_ip
from publicity import rules, selectors, services
from publicity.forms import ObjectionForm

# Objections accepted per IP address and hour on the web page (the API has its own DRF throttle "objection").
OBJECTIONS_PER_HOUR = getattr(settings, "PUBLICITY_OBJECTIONS_PER_HOUR", 5)


def _rate_key(request: HttpRequest) -> str:
    return "publicity-objections:" + (rules.hash_ip(client_ip(request), key=settings.SECRET_KEY) or "unknown")


def _rate_limited(request: HttpRequest) -> bool:
    return (cache.get(_rate_key(request)) or 0) >= OBJECTIONS_PER_HOUR


def _count_objection(request: HttpRequest) -> None:
    key = _rate_key(request)
    if cache.add(key, 1, timeout=3600):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=3600)


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """List the notices in their period and the past ones (organisation, program, amount; never objectors)."""
    today = timezone.localdate()
    context = {"current": selectors.current_notices(today), "past": selectors.past_notices(today)[:20], "today": today}
    return render(request, "publicity/list.html", context)


@require_http_methods(["GET", "POST"])
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a notice; while it is open, take real-name objections (5 an hour per IP address)."""
    notice = selectors.get_public_notice(pk)
    is_open = notice.is_open
    form = ObjectionForm(request.POST or None, request.FILES or None, notice=notice)
    limited = False
    if request.method == "POST" and is_open:
        if _rate_limited(request):
            limited = True
            form.is_valid()
            form.add_error(
                None, _("提交过于频繁：同一网络每小时最多提交%(n)d份异议，请稍后再试。") % {"n": OBJECTIONS_PER_HOUR}
            )
        elif form.is_valid():
            data = form.cleaned_data
            try:
                entry = selectors.find_entry(notice, data["entry"])
            except ValueError:
                form.add_error("entry", _("所选申报不在本公示中"))
            else:
                try:
                    services.file_objection(
                        notice=notice,
                        entry=entry,
                        name=data["name"],
                        organisation=data["organisation"],
                        phone=data["phone"],
                        content=data["content"],
                        letter=data["letter"] or None,
                        ip=client_ip(request),
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    _count_objection(request)
                    messages.success(request, _("您的异议已提交，工作人员将依规核查并与您联系。"))
                    return HttpResponseRedirect(notice.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, _("该公示已结束，不再受理异议。"))
        return HttpResponseRedirect(notice.get_absolute_url())
    status = 429 if limited else 200
    return render(request, "publicity/detail.html", {"notice": notice, "form": form, "is_open": is_open}, status=status)
