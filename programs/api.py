"""Public catalogue endpoints of SPEC §8: programs and calls."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import AllowAny

from core.api import error_responses
from programs.models import AttachmentRequirement, Call, Program, Tier
from programs.selectors import public_calls, public_programs


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ("code", "name", "amount", "tier_group")


class RequiredAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = AttachmentRequirement
        fields = ("kind", "name", "is_required", "help_text")


class ProgramSerializer(serializers.ModelSerializer):
    tiers = TierSerializer(many=True, read_only=True)
    required_attachments = RequiredAttachmentSerializer(source="attachment_requirements", many=True, read_only=True)
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
            "conditions",
            "materials",
            "contact",
        )


class CallSerializer(serializers.ModelSerializer):
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
    """资助项目目录（无需登录）。"""

    serializer_class = ProgramSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    pagination_class = None
    lookup_field = "code"
    queryset = Program.objects.none()

    def get_queryset(self):
        return public_programs()


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
