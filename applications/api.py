"""Applications endpoints of SPEC §8: drafts, attachments, transitions and the read body.

Views stay thin: selectors decide what the user may see (404 otherwise), services do every write and
raise coded errors that ``core.api.exception_handler`` renders unchanged.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.roles import ROLES, ROLES_BY_KEY
from applications import selectors, services, workflow
from applications.models import (
    APPLICANT_LABELS,
    Application,
    ApplicationEvent,
    ApplicationUnit,
    Attachment,
    PerformanceTarget,
    State,
    is_member,
)
from core.api import AmountTextField, DateTextField, ModelSerializer, StrictCharField, error_responses
from core.parsers import LimitedJSONParser
from programs.models import Call, Program

TAGS = ["申报"]

ROLE_BY_GROUP = {role.group_name: role for role in ROLES}


def _viewer(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def _is_applicant_view(application: Application, user: Any) -> bool:
    """Members of the applicant see applicant labels; staff see staff labels."""
    return is_member(application, user) or not getattr(user, "is_staff", False)


# --- Read body ---------------------------------------------------------------------------------


class ApplicationUnitSerializer(ModelSerializer):
    # Null for programs without tiers (per unit or fixed amounts).
    tier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = ApplicationUnit
        fields = ("key", "tier", "claim_amount", "issued_on", "description", "counted_amount", "reason_code", "reason")
        read_only_fields = fields


class ApplicationTargetSerializer(ModelSerializer):
    class Meta:
        model = PerformanceTarget
        fields = ("indicator", "target", "unit")
        read_only_fields = fields


class ApplicationDeclarationsSerializer(serializers.Serializer):
    truthful = serializers.BooleanField(source="declaration_truthful", read_only=True, label=_("真实性承诺"))
    no_duplicate_funding = serializers.BooleanField(
        source="declaration_no_duplicate_funding", read_only=True, label=_("不得多头申报承诺")
    )
    accept_adjustment = serializers.BooleanField(
        source="declaration_accept_adjustment", read_only=True, label=_("接受折算调整")
    )


class EligibilityCheckSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True, help_text="E1…E9, M1 (materials), U1 (units): the check's number")
    code = serializers.CharField(read_only=True, help_text="the check's stable code, as a refused submission gives it")
    name = serializers.CharField(read_only=True)
    passed = serializers.BooleanField(read_only=True)
    message = serializers.CharField(read_only=True)


class ApplicationAttachmentSerializer(ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ("id", "kind", "name", "size", "content_type", "sha256", "uploaded_at", "url")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        """The permission-checked download page, never the storage path."""
        path = reverse(
            "applications:attachment", kwargs={"pk": attachment.application_id, "attachment_pk": attachment.pk}
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ApplicationEventSerializer(ModelSerializer):
    label = serializers.SerializerMethodField()
    # Plain strings: the same choices as ``state`` would otherwise appear as three enums in the schema.
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
        fields = ("name", "label", "from_state", "to_state", "actor", "at", "comment")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_label(self, event: ApplicationEvent) -> str:
        return event.applicant_label if self.context.get("applicant_view") else event.label

    @extend_schema_field(serializers.CharField())
    def get_actor(self, event: ApplicationEvent) -> str:
        """Staff see names; the applicant sees only the staff role (or 系统 for scheduled jobs)."""
        actor = event.actor
        if actor is None:
            return _("系统")
        if not self.context.get("applicant_view") or not actor.is_staff:
            return actor.get_full_name()
        held = [ROLE_BY_GROUP[g.name] for g in actor.groups.all() if g.name in ROLE_BY_GROUP]
        step = workflow.BY_NAME.get(event.name)
        preferred = [ROLES_BY_KEY[key] for key in (step.roles if step else ()) if ROLES_BY_KEY[key] in held]
        role = (preferred or held or [None])[0]
        return role.group_name if role is not None else _("工作人员")


class ApplicationBaseSerializer(ModelSerializer):
    """Fields both the list and the detail show; every value here is read without extra queries."""

    call = serializers.PrimaryKeyRelatedField(read_only=True)
    call_title = serializers.CharField(source="call.title", read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    program_name = serializers.CharField(source="program.name", read_only=True)
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    state_label = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()
    award_notice_url = serializers.SerializerMethodField()
    award_notice_code = serializers.SerializerMethodField(
        help_text="资助通知书的验证码；通知书出具前为 null",
    )
    verify_url = serializers.SerializerMethodField(
        help_text="通知书的公开验证地址（与通知书二维码相同）；通知书出具前为 null",
    )

    class Meta:
        model = Application
        fields = (
            "id",
            "reference",
            "call",
            "call_title",
            "program",
            "program_name",
            "organisation",
            "state",
            "state_label",
            "claimed_amount",
            "standard_amount",
            "allocated_amount",
            "return_due_on",
            "available_transitions",
            "submitted_at",
            "created_at",
            "updated_at",
            "award_notice_url",
            "award_notice_code",
            "verify_url",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_state_label(self, application: Application) -> str:
        if _is_applicant_view(application, _viewer(self)):
            return str(APPLICANT_LABELS[application.state])
        return application.staff_state_label

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_transitions(self, application: Application) -> list[str]:
        return services.available_transitions(application, _viewer(self))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_award_notice_url(self, application: Application) -> str | None:
        return selectors.award_notice_url(application, self.context.get("request"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_award_notice_code(self, application: Application) -> str | None:
        verification = selectors.award_notice_verification(application)
        return verification[0] if verification else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_verify_url(self, application: Application) -> str | None:
        verification = selectors.award_notice_verification(application)
        return verification[1] if verification else None


class ApplicationSummarySerializer(ApplicationBaseSerializer):
    unit_count = serializers.IntegerField(read_only=True)

    class Meta(ApplicationBaseSerializer.Meta):
        fields = (*ApplicationBaseSerializer.Meta.fields, "unit_count")
        read_only_fields = fields


class ApplicationSerializer(ApplicationBaseSerializer):
    """The read body of one application (SPEC §8)."""

    units = ApplicationUnitSerializer(many=True, read_only=True)
    targets = ApplicationTargetSerializer(many=True, read_only=True)
    declarations = ApplicationDeclarationsSerializer(source="*", read_only=True)
    form_data = serializers.DictField(read_only=True)
    eligibility = serializers.SerializerMethodField()
    attachments = ApplicationAttachmentSerializer(many=True, read_only=True)
    events = serializers.SerializerMethodField()

    class Meta(ApplicationBaseSerializer.Meta):
        fields = (
            *ApplicationBaseSerializer.Meta.fields,
            "units",
            "form_data",
            "targets",
            "declarations",
            "return_reason",
            "eligibility",
            "attachments",
            "events",
        )
        read_only_fields = fields

    @extend_schema_field(EligibilityCheckSerializer(many=True))
    def get_eligibility(self, application: Application) -> list[dict]:
        known = self.context.get("assessment")
        if known is not None and known[0] == application.pk:
            checks = known[1].checks
        else:
            checks = services.assess(application).checks
        return EligibilityCheckSerializer(checks, many=True).data

    @extend_schema_field(ApplicationEventSerializer(many=True))
    def get_events(self, application: Application) -> list[dict]:
        applicant_view = _is_applicant_view(application, _viewer(self))
        # The applicant's history leaves out the internal steps (approval), as its state label does.
        events = [e for e in application.events.all() if not applicant_view or workflow.applicant_facing(e.name)]
        return ApplicationEventSerializer(
            events, many=True, context={**self.context, "applicant_view": applicant_view}
        ).data


# --- Write bodies: shape and types only; the services judge the content -------------------------


class ApplicationUnitWriteSerializer(serializers.Serializer):
    key = StrictCharField(required=False, allow_blank=True, max_length=100, label=_("编号"))
    tier = StrictCharField(required=False, allow_blank=True, allow_null=True, max_length=40, label=_("档次编号"))
    claim_amount = AmountTextField(required=False, allow_null=True, label=_("申报金额（元）"))
    issued_on = DateTextField(required=False, allow_null=True, allow_blank=True, label=_("取得/发布日期"))
    description = StrictCharField(required=False, allow_blank=True, max_length=300, label=_("说明"))


class ApplicationTargetWriteSerializer(serializers.Serializer):
    indicator = StrictCharField(required=False, allow_blank=True, max_length=200, label=_("指标"))
    target = StrictCharField(required=False, allow_blank=True, max_length=100, label=_("目标值"))
    unit = StrictCharField(required=False, allow_blank=True, max_length=30, label=_("单位"))


class ApplicationDeclarationsWriteSerializer(serializers.Serializer):
    truthful = serializers.BooleanField(required=False, label=_("真实性承诺"))
    no_duplicate_funding = serializers.BooleanField(required=False, label=_("不得多头申报承诺"))
    accept_adjustment = serializers.BooleanField(required=False, label=_("接受折算调整"))


class ApplicationWriteSerializer(serializers.Serializer):
    """The editable part of a draft; every key is optional and only the keys sent are changed."""

    units = ApplicationUnitWriteSerializer(many=True, required=False)
    form_data = serializers.DictField(required=False, label=_("项目专项信息"))
    targets = ApplicationTargetWriteSerializer(many=True, required=False)
    declarations = ApplicationDeclarationsWriteSerializer(required=False)

    def service_data(self) -> dict[str, Any]:
        """The validated body in the shape ``services.update_application`` takes."""
        data = {k: v for k, v in self.validated_data.items() if k in ("units", "form_data", "targets", "declarations")}
        if "units" in data:
            data["units"] = [{**unit, "tier": unit.get("tier") or ""} for unit in data["units"]]
        return data


class ApplicationCreateSerializer(ApplicationWriteSerializer):
    call = serializers.PrimaryKeyRelatedField(queryset=Call.objects.visible(), label=_("申报批次"))
    program = serializers.SlugRelatedField(slug_field="code", queryset=Program.objects.all(), label=_("资助项目"))


class ApplicationAttachmentUploadSerializer(serializers.Serializer):
    kind = StrictCharField(max_length=40, label=_("材料类型"))
    # Empty files reach the service, which refuses them with its own code ("file_empty").
    file = serializers.FileField(allow_empty_file=True, use_url=False, label=_("文件"))


class ApplicationTransitionSerializer(serializers.Serializer):
    name = StrictCharField(max_length=30, help_text="submit, withdraw, accept, return, reject, approve, …")
    comment = StrictCharField(required=False, allow_blank=True, default="", label=_("意见"))
    reason = StrictCharField(required=False, allow_blank=True, label=_("原因"))
    due_on = serializers.DateField(required=False, allow_null=True, label=_("补正截止日期"))


# --- Views --------------------------------------------------------------------------------------


def _load_roles(user: Any) -> None:
    """Fetch a staff user's groups once per request; role checks per row then cost no query."""
    user = getattr(user, "_wrapped", user)  # session auth hands over the middleware's lazy object
    if isinstance(user, User) and user.is_staff:
        prefetch_related_objects([user], "groups")


def _detail_queryset(user: User) -> QuerySet[Application]:
    return selectors.application_detail_queryset(user).prefetch_related("events__actor__groups")


def _read_body(request: Request, pk: int) -> dict:
    application = _detail_queryset(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    return ApplicationSerializer(application, context={"request": request}).data


def _write_body(request: Request, application: Application) -> dict:
    """The answer to a write, built from what the service holds: its row (with organisation, call and program), the
    child rows it read or wrote (``application.written``) and its assessment; only what it did not hold is read.

    The service held the row's lock from its read to its commit, so this is the application as the write left it.
    """
    held = getattr(application, "written", {})
    cache = getattr(application, "_prefetched_objects_cache", {})
    for name, rows in held.items():
        queryset = getattr(application, name).all()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    application._prefetched_objects_cache = cache
    for unit in held.get("units", ()):
        unit.application = application  # the serializer reads nothing of it, but a lazy access must not query
    missing = [
        lookup
        for lookup in (
            Prefetch("units", queryset=ApplicationUnit.objects.select_related("tier")),
            Prefetch("targets"),
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor").order_by("at", "pk")),
        )
        if lookup.prefetch_to not in held
    ]
    if missing:
        prefetch_related_objects([application], *missing)
    events = list(application.events.all())
    if any(e.actor is not None and e.actor.is_staff for e in events):
        prefetch_related_objects([e.actor for e in events if e.actor is not None], "groups")
    context: dict[str, Any] = {"request": request}
    assessment = getattr(application, "latest_assessment", None)
    if assessment is not None:
        context["assessment"] = (application.pk, assessment)
    return ApplicationSerializer(application, context=context).data


class RolesLoadedMixin:
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        _load_roles(request.user)


@extend_schema(tags=TAGS)
class ApplicationListView(RolesLoadedMixin, generics.ListCreateAPIView):
    """The requesting user's applications (GET), or start a draft for the user's organisation (POST)."""

    queryset = Application.objects.none()
    parser_classes = [LimitedJSONParser]

    def get_queryset(self) -> QuerySet[Application]:
        return selectors.applications_for_list(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ApplicationCreateSerializer if self.request.method == "POST" else ApplicationSummarySerializer

    @extend_schema(
        summary="我的申报列表（工作人员：本角色可见的申报）",
        responses={200: ApplicationSummarySerializer(many=True), **error_responses(403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="新建申报草稿",
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.create_application(
            actor=request.user,
            call=serializer.validated_data["call"],
            program=serializer.validated_data["program"],
            data=serializer.service_data(),
        )
        return Response(_write_body(request, application), status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class ApplicationDetailView(RolesLoadedMixin, APIView):
    """One application: read it, change a draft or returned one (PATCH), delete a draft (DELETE)."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(summary="申报详情", responses={200: ApplicationSerializer, **error_responses(403, 404)})
    def get(self, request: Request, pk: int) -> Response:
        return Response(_read_body(request, pk))

    @extend_schema(
        summary="修改草稿或待补正的申报",
        request=ApplicationWriteSerializer,
        responses={200: ApplicationSerializer, **error_responses(400, 403, 404, 409)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        application = selectors.application_to_change(request.user, pk)
        serializer = ApplicationWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        application = services.update_application(
            application=application, actor=request.user, data=serializer.service_data()
        )
        return Response(_write_body(request, application))

    @extend_schema(summary="删除草稿", responses={204: None, **error_responses(403, 404, 409)})
    def delete(self, request: Request, pk: int) -> Response:
        application = selectors.get_application(request.user, pk)
        services.delete_application(application=application, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=TAGS)
class ApplicationAttachmentsView(RolesLoadedMixin, APIView):
    """Upload an attachment (multipart: kind, file); PDF, JPG or PNG, judged by content."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="上传申报材料",
        request=ApplicationAttachmentUploadSerializer,
        responses={201: ApplicationAttachmentSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_to_change(request.user, pk)
        serializer = ApplicationAttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.add_attachment(
            application=application,
            actor=request.user,
            kind=serializer.validated_data["kind"],
            uploaded_file=serializer.validated_data["file"],
        )
        return Response(ApplicationAttachmentSerializer(attachment, context={"request": request}).data, status=201)


@extend_schema(tags=TAGS)
class ApplicationAttachmentDetailView(RolesLoadedMixin, APIView):
    """Delete an attachment of a draft or returned application."""

    @extend_schema(summary="删除申报材料", responses={204: None, **error_responses(403, 404, 409)})
    def delete(self, request: Request, pk: int, attachment_pk: int) -> Response:
        attachment = selectors.get_attachment(request.user, pk, attachment_pk)
        services.delete_attachment(attachment=attachment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=TAGS)
class ApplicationTransitionsView(RolesLoadedMixin, APIView):
    """Take a workflow transition by name; 403 when the role may never take it, 409 when the state forbids it."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        summary="执行流转操作",
        request=ApplicationTransitionSerializer,
        responses={200: ApplicationSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_to_change(request.user, pk)
        serializer = ApplicationTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        name = params.pop("name")
        if name != "return":
            # Only 退回补正 has a due date; the other services do not take one (a stray due_on was a 500).
            params.pop("due_on", None)
        application = services.run_transition(application=application, actor=request.user, name=name, **params)
        return Response(_write_body(request, application))
