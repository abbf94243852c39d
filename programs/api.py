"""Public catalogue endpoints of SPEC §8: programs and calls."""

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ModelSerializer, error_responses
from core.uploads import ALLOWED_UPLOADS
from programs.models import AttachmentRequirement, Call, FieldType, FormField, MaterialTemplate, Program, Tier
from programs.selectors import configured_public_programs, public_calls


class TierSerializer(ModelSerializer):
    class Meta:
        model = Tier
        fields = ("code", "name", "amount", "tier_group")


class RequiredAttachmentSerializer(ModelSerializer):
    """A material the program asks for, with what an upload of it must be."""

    label = serializers.CharField(source="name", read_only=True, help_text=_("材料名称（同 name）"))
    required = serializers.BooleanField(source="is_required", read_only=True, help_text=_("提交前必须上传"))
    template = serializers.ChoiceField(
        choices=MaterialTemplate.choices,
        read_only=True,
        help_text=_(
            "配套模板：commitment 为申报承诺书模板（template_url 可下载）；application_form 为系统生成的申报书，"
            "按申报逐份生成，打印签字盖章后上传；空为无模板"
        ),
    )
    template_url = serializers.SerializerMethodField(
        help_text=_("模板下载地址（登录后下载的承诺书按本单位填好名称和信用代码）；无按项目下载的模板时为 null")
    )
    accepted_types = serializers.SerializerMethodField(help_text=_("可上传的文件类型（按文件内容判断）"))
    max_size = serializers.SerializerMethodField(help_text=_("单个文件的大小上限（字节）"))

    class Meta:
        model = AttachmentRequirement
        fields = (
            "kind",
            "name",
            "label",
            "is_required",
            "required",
            "help_text",
            "template",
            "template_url",
            "accepted_types",
            "max_size",
        )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_template_url(self, requirement: AttachmentRequirement) -> str | None:
        if requirement.template != MaterialTemplate.COMMITMENT:
            return None
        program = self.context["programs_by_id"][requirement.program_id]
        path = reverse("notices:commitment", args=[program.code])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_accepted_types(self, requirement: AttachmentRequirement) -> list[str]:
        return list(ALLOWED_UPLOADS)

    @extend_schema_field(OpenApiTypes.INT)
    def get_max_size(self, requirement: AttachmentRequirement) -> int:
        return settings.FILE_UPLOAD_MAX_BYTES


class FormFieldSerializer(ModelSerializer):
    """An extra question of the program's form; its answer goes in the application's ``form_data`` under ``name``."""

    type = serializers.ChoiceField(source="field_type", choices=FieldType.choices, read_only=True)
    type_label = serializers.CharField(source="get_field_type_display", read_only=True)
    required = serializers.BooleanField(source="is_required", read_only=True, help_text=_("提交前必须填写"))
    choices = serializers.ListField(
        source="choice_list", child=serializers.CharField(), read_only=True, help_text=_("单选字段的选项；其他为空")
    )

    class Meta:
        model = FormField
        fields = ("name", "label", "type", "type_label", "choices", "required", "help_text")


class ProgramSerializer(ModelSerializer):
    tiers = TierSerializer(many=True, read_only=True)
    required_attachments = RequiredAttachmentSerializer(source="attachment_requirements", many=True, read_only=True)
    form_fields = FormFieldSerializer(many=True, read_only=True)
    direction_label = serializers.CharField(source="get_direction_display", read_only=True)
    review_track_label = serializers.CharField(source="get_review_track_display", read_only=True)
    amount_rule_text = serializers.CharField(read_only=True)
    caps_text = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Program
        fields = (
            "code",
            "name",
            "clause",
            "direction",
            "direction_label",
            "review_track",
            "review_track_label",
            "applicant_types",
            "amount_rule",
            "amount_rule_text",
            "unit_label",
            "unit_amount",
            "claim_required",
            "max_units_per_year",
            "cap_per_tier_group",
            "funded_once",
            "caps_text",
            "tiers",
            "required_attachments",
            "form_fields",
            "conditions",
            "materials",
            "contact",
        )


class CallSerializer(ModelSerializer):
    programs = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = ("id", "year", "title", "opens_at", "closes_at", "programs", "is_open", "publicity_working_days")

    @extend_schema_field(serializers.BooleanField())
    def get_is_open(self, call: Call) -> bool:
        return call.is_open_at(self.context["now"])


@extend_schema_view(
    list=extend_schema(responses={200: ProgramSerializer(many=True), **error_responses()}),
    retrieve=extend_schema(responses={200: ProgramSerializer, **error_responses(404)}),
)
@extend_schema(tags=["公开"])
class ProgramViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """资助项目目录（无需登录），含各项目的专项信息字段（form_fields）和申报材料要求（required_attachments）。"""

    serializer_class = ProgramSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    pagination_class = None
    lookup_field = "code"
    queryset = Program.objects.none()

    # The tiers, materials and form fields come from the configuration cache (programs.selectors), so the list
    # costs the same few queries however many programs there are.
    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        return self._answer(configured_public_programs(), many=True)

    def retrieve(self, request: Request, *args: object, code: str = "", **kwargs: object) -> Response:
        programs = configured_public_programs(code)
        if not programs:
            raise Http404
        return self._answer(programs[0], many=False)

    def _answer(self, data: object, *, many: bool) -> Response:
        programs = data if many else [data]
        context = {**self.get_serializer_context(), "programs_by_id": {p.pk: p for p in programs}}
        return Response(ProgramSerializer(data, many=many, context=context).data)


@extend_schema_view(
    list=extend_schema(responses={200: CallSerializer(many=True), **error_responses()}),
    retrieve=extend_schema(responses={200: CallSerializer, **error_responses(404)}),
)
@extend_schema(tags=["公开"])
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """申报批次（无需登录）。"""

    serializer_class = CallSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    pagination_class = None
    queryset = Call.objects.none()

    def get_queryset(self):
        return public_calls()

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}
