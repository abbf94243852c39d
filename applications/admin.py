"""The review workspace: applications per role, read-only pages with everything the applicant gave, transitions.

Lists are scoped by ``selectors.visible_applications``; the change page is read-only; every state change goes
through ``services.run_transition``, from a per-application button (``staff_views.transition``) or a bulk action.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLES_BY_KEY, user_has_role
from applications import services, staff_views, workflow
from applications.models import Application, ApplicationEvent, Attachment, State
from applications.selectors import visible_applications
from core.money import format_yuan

# A submitted application not accepted, returned or rejected within this many calendar days counts as overdue.
INTAKE_WAITING_DAYS = 10


class OverdueFilter(admin.SimpleListFilter):
    title = _("逾期")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("any", _("全部逾期")),
            ("return", _("补正已过截止日期")),
            ("intake", _("提交超过%(n)d天未受理") % {"n": INTAKE_WAITING_DAYS}),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> QuerySet[Application]:
        return_overdue = Q(state=State.RETURNED, return_due_on__lt=timezone.localdate())
        intake_overdue = Q(
            state=State.SUBMITTED, state_changed_at__lt=timezone.now() - timedelta(days=INTAKE_WAITING_DAYS)
        )
        condition = {"any": return_overdue | intake_overdue, "return": return_overdue, "intake": intake_overdue}.get(
            self.value() or ""
        )
        return queryset if condition is None else queryset.filter(condition)


@dataclass(frozen=True)
class Queue:
    """A work queue (我的待办) of applications: who works it and which applications are in it now."""

    key: str
    label: Promise
    roles: tuple[str, ...]  # accounts.roles keys
    condition: Callable[[Any], Q]  # the user → the applications in the queue (within what the user may see)


def _return_overdue(user: Any) -> Q:
    return Q(state=State.RETURNED, return_due_on__lt=timezone.localdate())


# The queues, in the order the index shows them. Review adds the ones that need its rows (待核实), from
# review/admin.py: it sits above applications.
QUEUES: list[Queue] = [
    Queue("intake", _("待受理"), ("intake",), lambda user: Q(state=State.SUBMITTED)),
    Queue("return_overdue", _("补正逾期"), ("intake",), _return_overdue),
    Queue("approve", _("待审定"), ("approver",), lambda user: Q(state=State.ACCEPTED)),
]
ALL_APPLICATIONS = "all"


def register_queue(queue: Queue, *, before: str | None = None) -> None:
    """Add a queue (idempotent by key), before the queue named ``before`` or at the end."""
    QUEUES[:] = [q for q in QUEUES if q.key != queue.key]
    keys = [q.key for q in QUEUES]
    QUEUES.insert(keys.index(before) if before in keys else len(QUEUES), queue)


def queues_for(user: Any) -> list[Queue]:
    """The queues of the user's roles, in order."""
    return [q for q in QUEUES if any(user_has_role(user, ROLES_BY_KEY[key]) for key in q.roles)]


def queue_url(queue: Queue) -> str:
    return f"{reverse('admin:applications_application_changelist')}?{QueueFilter.parameter_name}={queue.key}"


class QueueFilter(admin.SimpleListFilter):
    """我的待办: the list opens on the first queue of the user's role; 全部申报 clears it."""

    title = _("我的待办")
    parameter_name = "queue"

    def __init__(self, request: HttpRequest, params: dict, model: Any, model_admin: admin.ModelAdmin) -> None:
        super().__init__(request, params, model, model_admin)
        self.queues = {q.key: q for q in queues_for(request.user)}
        self.default = next(iter(self.queues), ALL_APPLICATIONS)
        self.user = request.user

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*((q.key, q.label) for q in queues_for(request.user)), (ALL_APPLICATIONS, _("全部申报"))]

    def value(self) -> str:
        value = super().value()
        return self.default if value in (None, "") else str(value)

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        # No "all" that drops the parameter (that would bring the default back): 全部申报 is a choice of its own.
        for key, label in self.lookup_choices:
            yield {
                "selected": self.value() == str(key),
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Application]) -> QuerySet[Application]:
        value = self.value()
        if value == ALL_APPLICATIONS:
            return queryset
        queue = self.queues.get(value)
        return queryset.none() if queue is None else queryset.filter(queue.condition(self.user))


def is_overdue(application: Application) -> bool:
    if application.state == State.RETURNED:
        return application.return_due_on is not None and application.return_due_on < timezone.localdate()
    if application.state == State.SUBMITTED:
        return application.state_changed_at < timezone.now() - timedelta(days=INTAKE_WAITING_DAYS)
    return False


@dataclass(frozen=True)
class Material:
    """One attachment on the review page: its kind's name, the download URL and how the page can show it."""

    attachment: Attachment
    kind_name: str
    url: str

    @property
    def inline_url(self) -> str:
        return f"{self.url}?inline=1"

    @property
    def shown_as(self) -> str:
        """ "pdf", "image" or "" (download only), from the type sniffed at upload."""
        content_type = self.attachment.content_type
        return "pdf" if content_type == "application/pdf" else "image" if content_type.startswith("image/") else ""


def _compact(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def scans_by_unit(units: list, materials: list[Material]) -> dict[int, list[Material]]:
    """Tie each unit (证书编号 row) to the scans whose file name carries its number, e.g. "CQC-GP-2026-0088 证书.pdf".

    Attachments carry no unit of their own, so the number in the file name is the link; a scan naming no unit
    stays among the application's other materials only.
    """
    keyed = [(unit.pk, _compact(unit.key)) for unit in units if _compact(unit.key or "")]
    found: dict[int, list[Material]] = {}
    for material in materials:
        name = _compact(material.attachment.original_name)
        for pk, key in keyed:
            if key in name:
                found.setdefault(pk, []).append(material)
    return found


def prefetch_roles(request: HttpRequest) -> None:
    """Load the user's groups once, before the first role check, so role checks per row and per action are free."""
    if getattr(request.user, "is_authenticated", False):
        prefetch_related_objects([request.user], "groups")


class EventInline(admin.TabularInline):
    """The event history, oldest first; never edited or deleted."""

    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_state", "to_state", "actor", "comment")
    readonly_fields = fields
    ordering = ("at", "pk")
    verbose_name_plural = _("流转记录")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApplicationEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("操作"))
    def action(self, obj: ApplicationEvent) -> str:
        return obj.label

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Whoever may open the (role-scoped) application may read its history. Django also asks without an object
        # when it builds the inline's queryset: False there would hide every event.
        return request.user.is_staff

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "organisation_name",
        "program_code",
        "state_label",
        "submitted",
        "days_in_state",
        "standard",
        "allocated",
        "score",
    )
    list_display_links = ("reference",)
    list_filter = (
        QueueFilter,
        "call",
        "program",
        "state",
        "program__review_track",
        "organisation__district",
        OverdueFilter,
    )
    search_fields = ("reference", "organisation__name", "organisation__uscc")
    search_help_text = _("按申报编号、单位名称或统一社会信用代码搜索")
    list_select_related = ("organisation", "program", "call")
    show_full_result_count = False
    # Work queues: the longest waiting first.
    ordering = ("state_changed_at", "pk")
    # Review adds its inlines (the verification checklist, expert assignments) from review/admin.py: it sits above
    # applications, which imports no later stage.
    inlines: tuple = (EventInline,)
    actions = ("accept_selected", "return_selected", "reject_selected", "approve_selected")
    change_form_template = "admin/applications/application/change_form.html"
    change_list_template = "admin/applications/application/change_list.html"
    view_on_site = False  # the applicant's page; staff read everything here

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        prefetch_roles(request)
        return visible_applications(request.user).select_related(*self.list_select_related)

    def get_fields(self, request: HttpRequest, obj: Application | None = None) -> list[str]:
        # The change page template shows the application's facts itself; the form carries no fields.
        return []

    # --- columns --------------------------------------------------------------------------------

    @admin.display(description=_("申报单位"), ordering="organisation__name")
    def organisation_name(self, obj: Application) -> str:
        # One line, cut with an ellipsis; the full name on hover and on the application's page.
        return format_html('<span class="org-name" title="{}">{}</span>', obj.organisation.name, obj.organisation.name)

    @admin.display(description=_("提交时间"), ordering="submitted_at")
    def submitted(self, obj: Application) -> str:
        if obj.submitted_at is None:
            return "—"
        return timezone.localtime(obj.submitted_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("资助项目"), ordering="program__code")
    def program_code(self, obj: Application) -> str:
        return format_html('<span title="{}">{}</span>', obj.program.name, obj.program.code)

    @admin.display(description=_("状态"), ordering="state")
    def state_label(self, obj: Application) -> str:
        return format_html('<span class="app-state app-state-{}">{}</span>', obj.state, obj.staff_state_label)

    @admin.display(description=_("标准金额（元）"), ordering="standard_amount")
    def standard(self, obj: Application) -> str:
        return format_yuan(obj.standard_amount)

    @admin.display(description=_("核定金额（元）"), ordering="allocated_amount")
    def allocated(self, obj: Application) -> str:
        return "—" if obj.allocated_amount is None else format_yuan(obj.allocated_amount)

    @admin.display(description=_("本状态天数"), ordering="-state_changed_at")
    def days_in_state(self, obj: Application) -> str:
        days = (timezone.now() - obj.state_changed_at).days
        if is_overdue(obj):
            return format_html('<strong class="portal-overdue" title="{}">{}</strong>', _("逾期"), days)
        return str(days)

    # --- permissions: view for staff roles, no add or delete; editing only through review inlines ---------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """The application itself is read-only; the page may be saved only for a review inline the user may edit."""
        editable = [cls for cls in self.inlines if cls is not EventInline]
        if obj is None or not editable:
            return False
        return any(
            inline.has_change_permission(request, obj) or inline.has_add_permission(request, obj)
            for inline in (cls(self.model, self.admin_site) for cls in editable)
        )

    def save_model(self, request: HttpRequest, obj: Application, form: Any, change: bool) -> None:
        """Never save the application from the form: state and amounts change only through services."""

    def _may_take(self, request: HttpRequest, name: str) -> bool:
        """Whether the user's role takes this step (applications.workflow); the service checks it again per row."""
        return any(user_has_role(request.user, ROLES_BY_KEY[key]) for key in workflow.step(name).roles)

    def has_accept_permission(self, request: HttpRequest) -> bool:
        return self._may_take(request, "accept")

    def has_return_permission(self, request: HttpRequest) -> bool:
        return self._may_take(request, "return")

    def has_reject_permission(self, request: HttpRequest) -> bool:
        return self._may_take(request, "reject")

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return self._may_take(request, "approve")

    # --- bulk actions: the same services per row, each in its own transaction -----------------------

    @admin.action(description=_("受理所选申报"), permissions=["accept"])
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[Application]) -> HttpResponse | None:
        return staff_views.bulk_transition(self, request, queryset, "accept")

    @admin.action(description=_("退回补正所选申报"), permissions=["return"])
    def return_selected(self, request: HttpRequest, queryset: QuerySet[Application]) -> HttpResponse | None:
        return staff_views.bulk_transition(self, request, queryset, "return")

    @admin.action(description=_("对所选申报作出不予资助决定"), permissions=["reject"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Application]) -> HttpResponse | None:
        return staff_views.bulk_transition(self, request, queryset, "reject")

    @admin.action(description=_("审定通过所选申报"), permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Application]) -> HttpResponse | None:
        return staff_views.bulk_transition(self, request, queryset, "approve")

    # --- URLs and the change page ----------------------------------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/attachments/<int:attachment_pk>/",
                wrap(staff_views.download_attachment),
                name="applications_application_attachment",
            ),
            path(
                "<path:object_id>/transition/<slug:name>/",
                wrap(self.transition_view),
                name="applications_application_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        return staff_views.transition(self, request, object_id, name)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        prefetch_roles(request)
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        prefetch_roles(request)
        extra = dict(extra_context or {})
        application = self.get_object(request, object_id)
        if application is not None:
            extra.update(self.review_context(request, application))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def review_context(self, request: HttpRequest, application: Application) -> dict[str, Any]:
        """Everything the applicant gave, the checks, the amounts and the buttons for the change page."""
        prefetch_related_objects(
            [application],
            "units__tier",
            "targets",
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
            "program__form_fields",
            "program__attachment_requirements",
        )
        assessment = services.assess(application)
        form_fields = list(application.program.form_fields.all())
        known = {f.name for f in form_fields}
        form_rows = [(f.label, application.form_data.get(f.name, "")) for f in form_fields]
        form_rows += [(name, value) for name, value in application.form_data.items() if name not in known]
        kind_names = {r.kind: r.name for r in application.program.attachment_requirements.all()}
        attachments = [
            Material(
                attachment=attachment,
                kind_name=kind_names.get(
                    attachment.kind, _("其他材料") if attachment.kind == "other" else attachment.kind
                ),
                url=reverse("admin:applications_application_attachment", args=[application.pk, attachment.pk]),
            )
            for attachment in application.attachments.all()
        ]
        units = list(application.units.all())
        scans = scans_by_unit(units, attachments)
        transitions = [
            (
                name,
                workflow.label(name),
                reverse("admin:applications_application_transition", args=[application.pk, name]),
            )
            for name in staff_views.staff_transitions(application, request.user)
        ]
        return {
            "application": application,
            "organisation": application.organisation,
            "units": [(unit, scans.get(unit.pk, [])) for unit in units],
            "unit_key_label": application.program.unit_key_label or _("编号"),
            "targets": list(application.targets.all()),
            "form_rows": form_rows,
            "attachments": attachments,
            "checks": assessment.checks,
            "assessment": assessment,
            "transitions": transitions,
            # What comes next but is not a button here: where the stage that owns it does it.
            "stage_steps": [
                (step.label, step.where)
                for step in workflow.STEPS
                if not step.person_driven and application.state in step.sources
            ],
            "days_in_state": (timezone.now() - application.state_changed_at).days,
            "is_overdue": is_overdue(application),
        }


admin.site.empty_value_display = "—"
