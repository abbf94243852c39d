"""Payout batches in the admin: build (finance), approve (another finance officer), export, record results.

Every change goes through ``payouts/services.py``; the admin forms only collect input. Accounts are masked for
roles that do not pay.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from applications.admin import Queue, register_queue
from applications.models import State
from core.exceptions import Conflict
from core.templatetags.portal_tags import yuan
from payouts import services
from payouts.api import file_response
from payouts.exports import purpose_limit
from payouts.models import LineStatus, PayoutBatch, PayoutEvent, PayoutLine
from payouts.selectors import account_shown_to, may_pay, may_view_payouts
from programs.models import Call, Program


class CreateBatchForm(forms.Form):
    call = forms.ModelChoiceField(
        label=_("申报批次"), queryset=Call.objects.order_by("-year", "-opens_at"), required=False
    )
    program = forms.ModelChoiceField(label=_("资助项目"), queryset=Program.objects.all(), required=False)
    title = forms.CharField(label=_("批次名称"), max_length=200, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("call") and not data.get("program"):
            raise forms.ValidationError(_("请选择申报批次或资助项目"))
        return data


class LineResultForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("结果"), choices=[(LineStatus.PAID, _("已到账")), (LineStatus.FAILED, _("失败"))]
    )
    voucher_no = forms.CharField(label=_("凭证号"), required=False)
    paid_on = forms.DateField(label=_("到账日期"), required=False)
    reason = forms.CharField(label=_("失败原因"), required=False)


IMPORT_REPORT_ROWS = 500  # rows recorded without a problem listed on the report (all problems always are)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("银行结果文件（CSV 或 XLSX）"))


class LineInline(admin.TabularInline):
    """The lines, in seven columns that fit 1366 px: payee and USCC, bank with its 联行号 and account, one result."""

    model = PayoutLine
    extra = 0
    can_delete = False
    fields = ("position", "reference", "payee", "bank", "amount_shown", "status", "result")
    readonly_fields = fields
    classes = ("payout-lines",)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).order_by("position")

    @admin.display(description=_("金额"))
    def amount_shown(self, line: PayoutLine) -> str:
        return yuan(line.amount)

    @admin.display(description=_("收款户名 / 统一社会信用代码"))
    def payee(self, line: PayoutLine) -> str:
        return format_html('{}<br><span class="payout-muted">{}</span>', line.bank_account_name, line.payee_uscc)

    @admin.display(description=_("开户行 / 联行号 / 收款账号"))
    def bank(self, line: PayoutLine) -> str:
        return format_html(
            '{}<br><span class="payout-muted">{} {}</span>',
            line.bank_name,
            line.bank_cnaps or _("（联行号未填）"),
            account_shown_to(self.request_user, line),
        )

    @admin.display(description=_("凭证号 / 到账日期 / 失败原因"))
    def result(self, line: PayoutLine) -> str:
        if line.status == LineStatus.PAID:
            return f"{line.voucher_no}，{line.paid_on.isoformat() if line.paid_on else ''}"
        return line.failure_reason or "—"

    def get_formset(self, request: HttpRequest, obj: object = None, **kwargs: object):
        self.request_user = request.user
        return super().get_formset(request, obj, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_view_payouts(request.user)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


OUTCOME_LABELS = {result.value: result.label for result in services.RowResult}


def event_summary(event: PayoutEvent) -> str:
    """What an event's data says, in a line of Chinese (the raw JSON stays in the database)."""
    data = event.data or {}
    parts = []
    if "line_count" in data:
        parts.append(_("%(n)s笔") % {"n": data["line_count"]})
    if data.get("total"):
        parts.append(_("合计%(amount)s") % {"amount": yuan(Decimal(data["total"]))})
    if data.get("skipped"):
        parts.append(_("未编入%(n)s件") % {"n": len(data["skipped"])})
    if data.get("format"):
        parts.append(str(data["format"]).upper())
    if data.get("reference"):
        parts.append(str(data["reference"]))
    if data.get("voucher_no"):
        parts.append(_("凭证号%(v)s") % {"v": data["voucher_no"]})
    if data.get("paid_on"):
        parts.append(str(data["paid_on"]))
    if data.get("reason"):
        parts.append(str(data["reason"]))
    if data.get("outcomes"):
        parts.append("，".join(f"{OUTCOME_LABELS.get(k, k)}{v}" for k, v in sorted(data["outcomes"].items())))
    if data.get("checksum") and event.name == "approve":
        parts.append(_("校验值%(c)s…") % {"c": str(data["checksum"])[:12]})
    return "；".join(str(p) for p in parts)


class EventInline(admin.TabularInline):
    model = PayoutEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor", "line", "summary")
    readonly_fields = fields

    @admin.display(description=_("操作"))
    def action(self, event: PayoutEvent) -> str:
        return event.label

    @admin.display(description=_("说明"))
    def summary(self, event: PayoutEvent) -> str:
        return event_summary(event)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_view_payouts(request.user)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PayoutBatch)
class PayoutBatchAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "call",
        "status",
        "count_shown",
        "total_shown",
        "created_by",
        "approved_by",
        "approved_at",
    )
    list_filter = ("status", "call")
    search_fields = ("title", "lines__payee_name", "lines__payee_uscc", "lines__reference")
    list_select_related = ("call", "created_by", "approved_by")
    readonly_fields = (
        "call",
        "program",
        "title",
        "status",
        "created_by",
        "created_at",
        "approved_by",
        "approved_at",
        "total_shown",
        "count_shown",
        "checksum",
    )
    fields = readonly_fields  # without it the admin also shows the raw model fields (total_amount as 312000.00)
    inlines = (LineInline, EventInline)
    change_form_template = "admin/payouts/payoutbatch/change_form.html"

    def get_queryset(self, request: HttpRequest):
        # The figures of every state from the lines themselves (one grouped query for the whole list).
        return super().get_queryset(request).annotate(lines_total=Sum("lines__amount"), lines_count=Count("lines"))

    @admin.display(description=_("合计金额"))
    def total_shown(self, batch: PayoutBatch) -> str:
        total = getattr(batch, "lines_total", None)
        return yuan(total if total is not None else batch.total_amount)

    @admin.display(description=_("笔数"))
    def count_shown(self, batch: PayoutBatch) -> str:
        count = getattr(batch, "lines_count", None)
        return _("%(n)s笔") % {"n": count if count is not None else batch.line_count}

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_view_payouts(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_view_payouts(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_pay(request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="payouts_payoutbatch_approve"),
            path("<int:pk>/export/<str:fmt>/", wrap(self.export_view), name="payouts_payoutbatch_export"),
            path("<int:pk>/results/", wrap(self.results_view), name="payouts_payoutbatch_results"),
            *super().get_urls(),
        ]

    def _finance_batch(self, request: HttpRequest, pk: int) -> PayoutBatch:
        if not may_pay(request.user):
            raise PermissionDenied
        return get_object_or_404(PayoutBatch, pk=pk)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:payouts_payoutbatch_change", args=[pk]))

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        if not may_pay(request.user):
            raise PermissionDenied
        form = CreateBatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                batch, skipped = services.create_batch(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages[0])
                for item in (error.params or {}).get("skipped", []):
                    form.add_error(None, f"{item.reference or item.application_id}：{item.message}")
            else:
                self.message_user(request, _("已生成拨付批次，共%d笔。") % batch.lines.count(), messages.SUCCESS)
                for item in skipped:
                    self.message_user(
                        request, f"{item.reference or item.application_id}：{item.message}", messages.WARNING
                    )
                return self._back(batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("生成拨付批次"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/payouts/payoutbatch/create.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        batch = self.get_object(request, object_id)
        if batch is not None and may_pay(request.user):
            extra.update(
                batch=batch,
                may_pay=True,
                import_form=ImportForm(),
                pending_lines=batch.lines.filter(status=LineStatus.PENDING).order_by("position")[:200],
                line_form=LineResultForm(),
                progress=services.batch_progress(batch),
                line_total=batch.lines_total or batch.total_amount,
                line_count=batch.lines_count,
                purpose_limit=purpose_limit(),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._finance_batch(request, pk)
        if request.method == "POST":
            try:
                services.approve_batch(batch=batch, actor=request.user)
                self.message_user(request, _("批次已复核。"), messages.SUCCESS)
            except ValidationError as error:
                self.message_user(request, "；".join(error.messages), messages.ERROR)
            except Conflict as error:
                self.message_user(request, error.message, messages.ERROR)
        return self._back(pk)

    def export_view(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        batch = self._finance_batch(request, pk)
        try:
            filename, content = services.stream_batch(batch=batch, fmt=fmt, actor=request.user)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
            return self._back(pk)
        except Conflict as error:
            self.message_user(request, error.message, messages.ERROR)
            return self._back(pk)
        return file_response(filename, content, fmt)

    def results_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._finance_batch(request, pk)
        if request.method != "POST":
            return self._back(pk)
        try:
            if request.FILES.get("file"):
                outcomes = services.import_bank_results(batch=batch, actor=request.user, file=request.FILES["file"])
                return self._import_report(request, batch, outcomes)
            else:
                form = LineResultForm(request.POST)
                if not form.is_valid():
                    self.message_user(request, _("请填写完整的结果"), messages.ERROR)
                    return self._back(pk)
                data = form.cleaned_data
                line = get_object_or_404(PayoutLine, pk=data.pop("line"), batch=batch)
                _line, changed = services.record_line_result(line=line, actor=request.user, **data)
                self.message_user(request, _("已登记。") if changed else _("结果未变化。"), messages.SUCCESS)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        except Conflict as error:
            self.message_user(request, error.message, messages.ERROR)
        return self._back(pk)

    def _import_report(self, request: HttpRequest, batch: PayoutBatch, outcomes: list) -> HttpResponse:
        """The import's answer: counts per result, then every row to look at, then the rows recorded."""
        counts = dict.fromkeys(services.RowResult, 0)
        for outcome in outcomes:
            counts[services.RowResult(outcome.outcome)] += 1
        problems = [o for o in outcomes if o.is_problem]
        others = [o for o in outcomes if not o.is_problem]
        context = {
            **self.admin_site.each_context(request),
            "title": _("银行结果导入报告"),
            "opts": self.model._meta,
            "original": batch,
            "batch": batch,
            "counts": [(result.label, counts[result], result.value) for result in services.RowResult],
            "problems": problems,
            "others": others[:IMPORT_REPORT_ROWS],
            "others_hidden": max(len(others) - IMPORT_REPORT_ROWS, 0),
            "rows": len(outcomes),
            "progress": services.batch_progress(batch),
        }
        return TemplateResponse(request, "admin/payouts/payoutbatch/import_report.html", context)


def _awaiting_batch(user: object) -> Q:
    """Awarded applications that no live (pending or paid) payout line holds: the maker's next batch."""
    live = PayoutLine.objects.filter(application=OuterRef("pk")).exclude(status=LineStatus.FAILED)
    return Q(state=State.AWARDED) & ~Q(Exists(live))


# 我的待办 of the finance officer who makes batches (待复核批次 is counted from the batches, in dashboard/queues.py).
register_queue(Queue("to_batch", _("待纳入拨付批次"), ("finance",), _awaiting_batch))
