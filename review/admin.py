"""Review in the admin: the verification checklist, expert assignments and the expert's scoring page.

``REVIEW_INLINES`` are added to the application's admin page (``ReviewedApplicationAdmin``). Custom admin URLs
(names under ``admin:``):
``review_verificationcheck_record`` (application_id): the intake officer records the checklist;
``review_expertassignment_assign`` (``?ids=1,2,3``): an approver assigns experts to applications;
``review_expertassignment_review`` (pk): the expert confirms no conflict, reads the application and scores it.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.roles import ADMINISTRATOR, APPROVER, EXPERT, INTAKE, user_has_role
from applications.admin import ApplicationAdmin, Queue, register_queue
from applications.models import Application, State
from applications.selectors import visible_applications
from programs.models import ReviewTrack, VerificationItem
from review import rules, services
from review.forms import AssignExpertsForm, ScoreSheetForm, VerificationChecklistForm
from review.models import ExpertAssignment, ExpertScore, ReturnReasonPreset, ReviewPolicy, VerificationCheck
from review.selectors import get_own_assignment, visible_assignments


def weighted_total(assignment: ExpertAssignment) -> str:
    """The expert's weighted total from the prefetched scores, or — before submission."""
    if assignment.submitted_at is None:
        return "—"
    total = rules.weighted_total(
        rules.CriterionScore(s.score, s.criterion.max_score, s.criterion.weight) for s in assignment.scores.all()
    )
    return f"{total}"


def is_expert_only(user: Any) -> bool:
    """An expert who holds none of the roles that see every assignment."""
    return user_has_role(user, EXPERT) and not any(
        user_has_role(user, role) for role in (APPROVER, INTAKE, ADMINISTRATOR)
    )


def application_admin_url(application: Application) -> str | None:
    try:
        return reverse("admin:applications_application_change", args=[application.pk])
    except NoReverseMatch:
        return None


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VerificationCheckInline(ReadOnlyInline):
    model = VerificationCheck
    fields = ("item", "passed", "note", "checked_by", "checked_at")
    readonly_fields = fields
    verbose_name_plural = _("核实清单")

    def get_queryset(self, request: HttpRequest) -> QuerySet[VerificationCheck]:
        return super().get_queryset(request).select_related("item", "checked_by")


class ExpertAssignmentInline(ReadOnlyInline):
    model = ExpertAssignment
    fields = ("expert", "no_conflict_confirmed_at", "submitted_at", "total")
    readonly_fields = fields
    verbose_name_plural = _("专家评审")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExpertAssignment]:
        queryset = super().get_queryset(request).select_related("expert").prefetch_related("scores__criterion")
        if is_expert_only(request.user):
            queryset = queryset.filter(expert=request.user)
        return queryset

    @admin.display(description=_("加权得分"))
    def total(self, assignment: ExpertAssignment) -> str:
        return weighted_total(assignment)


def _to_verify(user: Any) -> Q:
    """核准制 applications in review with a checklist item not yet recorded as passed."""
    passed = VerificationCheck.objects.filter(application=OuterRef(OuterRef("pk")), passed=True).values("item_id")
    open_item = VerificationItem.objects.filter(program=OuterRef("program")).exclude(pk__in=passed)
    return Q(state=State.ACCEPTED, program__review_track=ReviewTrack.VERIFICATION) & Q(Exists(open_item))


register_queue(Queue("verify", _("待核实"), ("intake",), _to_verify), before="return_overdue")


class ReviewProgressFilter(admin.SimpleListFilter):
    """评审进度: an expert's list opens on what is still to score (待评审)."""

    title = _("评审进度")
    parameter_name = "progress"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("pending", _("待评审")), ("submitted", _("已提交评分")), ("all", _("全部"))]

    def value(self) -> str:
        value = super().value()
        if value in (None, ""):
            return "pending" if is_expert_only(self.request_user) else "all"
        return str(value)

    def __init__(self, request: HttpRequest, params: dict, model: Any, model_admin: admin.ModelAdmin) -> None:
        self.request_user = request.user
        super().__init__(request, params, model, model_admin)

    def choices(self, changelist: Any) -> Any:
        for key, label in self.lookup_choices:
            yield {
                "selected": self.value() == key,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[ExpertAssignment]) -> QuerySet[ExpertAssignment]:
        value = self.value()
        if value == "pending":
            return queryset.filter(submitted_at__isnull=True)
        if value == "submitted":
            return queryset.filter(submitted_at__isnull=False)
        return queryset


# The checklist is shown beside the materials on the application's page (ReviewedApplicationAdmin.review_context).
REVIEW_INLINES: tuple = (ExpertAssignmentInline,)


# The application's page carries the review inlines. Applications sits below review and imports none of it, so
# review registers the application's admin again with its inlines added (dependency inverted, not hidden).
admin.site.unregister(Application)


@admin.register(Application)
class ReviewedApplicationAdmin(ApplicationAdmin):
    inlines = (*ApplicationAdmin.inlines, *REVIEW_INLINES)

    def review_context(self, request: HttpRequest, application: Application) -> dict[str, Any]:
        """The application's page plus the checklist (beside the materials) and the expert panel's figures."""
        context = super().review_context(request, application)
        items = list(application.program.verification_items.order_by("sort_order", "pk"))
        checks = {c.item_id: c for c in application.verification_checks.select_related("checked_by")}
        may_record = user_has_role(request.user, INTAKE) and application.state == State.ACCEPTED
        may_read = may_record or request.user.has_perm("review.view_verificationcheck")
        context.update(
            checklist_rows=[(item, None, None, checks.get(item.pk)) for item in items] if may_read else [],
            checklist_url=(
                reverse("admin:review_verificationcheck_record", args=[application.pk]) if items and may_read else None
            ),
            checklist_editable=may_record,
            panel=None if is_expert_only(request.user) else services.panel_figures(application),
        )
        return context


class ExpertScoreInline(ReadOnlyInline):
    model = ExpertScore
    fields = ("criterion", "score", "comment")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExpertScore]:
        return super().get_queryset(request).select_related("criterion")


@admin.register(ExpertAssignment)
class ExpertAssignmentAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "organisation",
        "program",
        "expert",
        "confirmed",
        "submitted",
        "total",
    )
    list_filter = (ReviewProgressFilter, "application__program")
    search_fields = (
        "application__reference",
        "application__organisation__name",
        "application__organisation__uscc",
        "expert__email",
        "expert__full_name",
    )
    fields = ("application", "expert", "assigned_by", "assigned_at", "no_conflict_confirmed_at", "submitted_at")
    readonly_fields = fields
    inlines = (ExpertScoreInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExpertAssignment]:
        return visible_assignments(request.user).prefetch_related("scores__criterion")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the assign view, which checks affiliations

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # confirmations and scores only through the services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_list_display(self, request: HttpRequest) -> Any:
        # Experts see only their own rows, each with a link to their review page.
        return (*self.list_display, "review_link") if is_expert_only(request.user) else self.list_display

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> Any:
        # An expert opens the review page (confirmation first), never the bare record.
        return None if is_expert_only(request.user) else ("reference",)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if is_expert_only(request.user):
            extra_context = {**(extra_context or {}), "title": _("我的评审任务")}
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        if is_expert_only(request.user):
            return HttpResponseRedirect(reverse("admin:review_expertassignment_review", args=[object_id]))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("assign/", view(self.assign_view), name="review_expertassignment_assign"),
            path("<int:pk>/review/", view(self.review_view), name="review_expertassignment_review"),
            *super().get_urls(),
        ]

    @admin.display(description=_("申报编号"), ordering="application__reference")
    def reference(self, assignment: ExpertAssignment) -> str:
        return assignment.application.reference or "—"

    @admin.display(description=_("申报单位"), ordering="application__organisation__name")
    def organisation(self, assignment: ExpertAssignment) -> str:
        return assignment.application.organisation.name

    @admin.display(description=_("资助项目"))
    def program(self, assignment: ExpertAssignment) -> str:
        return assignment.application.program.code

    @admin.display(description=_("已确认无利益冲突"), boolean=True)
    def confirmed(self, assignment: ExpertAssignment) -> bool:
        return assignment.is_confirmed

    @admin.display(description=_("已提交评分"), boolean=True)
    def submitted(self, assignment: ExpertAssignment) -> bool:
        return assignment.is_submitted

    @admin.display(description=_("加权得分"))
    def total(self, assignment: ExpertAssignment) -> str:
        return weighted_total(assignment)

    @admin.display(description=_("评审"))
    def review_link(self, assignment: ExpertAssignment) -> str:
        url = reverse("admin:review_expertassignment_review", args=[assignment.pk])
        label = _("查看评分") if assignment.is_submitted else _("进入评审")
        return format_html('<a href="{}">{}</a>', url, label)

    # --- the expert's page ----------------------------------------------------------------------------------------

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Confirm no conflict, then read the application and score it (the assigned expert only; 404 otherwise)."""
        assignment = get_own_assignment(request.user, pk)
        application = assignment.application
        criteria = list(application.program.scoring_criteria.order_by("sort_order", "pk"))
        form = None
        if request.method == "POST" and request.POST.get("action") == "confirm":
            services.confirm_no_conflict(assignment=assignment, actor=request.user)
            self.message_user(request, _("已确认无利益冲突，可以查看申报材料并评分"), messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        if request.method == "POST" and request.POST.get("action") == "submit":
            form = ScoreSheetForm(request.POST, criteria=criteria)
            if form.is_valid():
                try:
                    services.submit_scores(assignment=assignment, actor=request.user, scores=form.scores())
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    self.message_user(request, _("评分已提交"), messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:review_expertassignment_changelist"))
        if form is None and assignment.is_confirmed and not assignment.is_submitted:
            form = ScoreSheetForm(criteria=criteria)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("评审：%(ref)s") % {"ref": application.reference},
            "assignment": assignment,
            "application": application,
            "form": form,
        }
        if assignment.is_confirmed:
            # The content is shown only after the declaration of no conflict.
            labels = {f.name: f.label for f in application.program.form_fields.all()}
            context.update(
                form_data=[(labels.get(key, key), value) for key, value in (application.form_data or {}).items()],
                units=application.units.select_related("tier").order_by("position", "pk"),
                targets=application.targets.order_by("position", "pk"),
                attachments=application.attachments.order_by("kind", "uploaded_at"),
                scores=assignment.scores.select_related("criterion"),
                total=weighted_total(assignment),
            )
        return TemplateResponse(request, "admin/review/expertassignment/review.html", context)

    # --- the approver's assignment page ---------------------------------------------------------------------------

    def assign_view(self, request: HttpRequest) -> HttpResponse:
        """Assign experts to the applications in ``?ids=1,2,3`` (approver), reporting each pair's outcome."""
        if not user_has_role(request.user, APPROVER):
            raise PermissionDenied
        ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()]
        applications = list(
            visible_applications(request.user)
            .filter(pk__in=ids)
            .select_related("organisation", "program")
            .prefetch_related("expert_assignments__expert")
            .order_by("pk")
        )
        form = AssignExpertsForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and applications:
            outcomes = services.assign_experts(
                applications=applications, experts=form.cleaned_data["experts"], actor=request.user
            )
            created = sum(1 for o in outcomes if o.status == "created")
            existing = sum(1 for o in outcomes if o.status == "existing")
            self.message_user(
                request,
                _("已分配%(created)s项，已存在%(existing)s项") % {"created": created, "existing": existing},
                messages.SUCCESS,
            )
            for outcome in outcomes:
                if outcome.error is not None:
                    self.message_user(
                        request,
                        f"{outcome.application} · {outcome.expert}：{outcome.error.messages[0]}",
                        messages.ERROR,
                    )
            return HttpResponseRedirect(reverse("admin:review_expertassignment_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("分配评审专家"),
            "applications": applications,
            "form": form,
        }
        return TemplateResponse(request, "admin/review/expertassignment/assign.html", context)


@admin.register(VerificationCheck)
class VerificationCheckAdmin(admin.ModelAdmin):
    list_display = ("application", "item", "passed", "checked_by", "checked_at")
    list_filter = ("passed", "item__program")
    list_select_related = ("application", "item", "checked_by")
    search_fields = ("application__reference", "application__organisation__name", "application__organisation__uscc")
    fields = ("application", "item", "passed", "note", "checked_by", "checked_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the record view, per application

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("record/<int:application_id>/", view(self.record_view), name="review_verificationcheck_record"),
            *super().get_urls(),
        ]

    def record_view(self, request: HttpRequest, application_id: int) -> HttpResponse:
        """Record the verification checklist of one application (intake officer); 404 for what they cannot see.

        Other staff who may read checks (the approver) see the findings read-only: no form, nothing to post.
        """
        may_record = user_has_role(request.user, INTAKE)
        if not may_record and not request.user.has_perm("review.view_verificationcheck"):
            raise PermissionDenied
        if not may_record and request.method == "POST":
            raise PermissionDenied
        application = (
            visible_applications(request.user)
            .select_related("organisation", "program")
            .filter(pk=application_id)
            .first()
        )
        if application is None:
            raise Http404
        items = list(application.program.verification_items.order_by("sort_order", "pk"))
        checks = list(application.verification_checks.select_related("checked_by"))
        form = VerificationChecklistForm(request.POST or None, items=items, checks=checks)
        if request.method == "POST" and may_record and form.is_valid():
            try:
                services.record_verification(application=application, actor=request.user, results=form.results())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, _("核实结果已保存"), messages.SUCCESS)
                return HttpResponseRedirect(application_admin_url(application) or request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("核实清单：%(ref)s") % {"ref": application.reference},
            "application": application,
            "form": form,
            "application_url": application_admin_url(application),
            "readonly": not may_record,
        }
        return TemplateResponse(request, "admin/review/verificationcheck/record.html", context)


@admin.register(ReturnReasonPreset)
class ReturnReasonPresetAdmin(admin.ModelAdmin):
    """The ready-made 退回补正 reasons intake officers tick on the return form; staff edit them here."""

    list_display = ("text", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    search_fields = ("text",)


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(admin.ModelAdmin):
    """Per program: the plain or the per-expert normalised mean for the approval rule."""

    list_display = ("program", "score_mean")
    list_select_related = ("program",)
    autocomplete_fields = ("program",)
