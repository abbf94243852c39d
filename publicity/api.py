"""Publicity endpoints of the REST API v1 (SPEC §8): open notices, objections, and opening a notice (staff)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ModelSerializer, StrictCharField, error_responses
from core.net import client_ip
from core.parsers import LimitedJSONParser
from core.throttling import ScopedRateThrottle
from programs.models import Call
from publicity import selectors, services
from publicity.error_codes import PublicityErrorCode
from publicity.models import Objection, PublicityEntry, PublicityNotice


class EntrySerializer(ModelSerializer):
    organisation = serializers.CharField(source="organisation_name")
    program = serializers.CharField(source="program_code")

    class Meta:
        model = PublicityEntry
        fields = ("id", "organisation", "program", "program_name", "amount")


class NoticeSerializer(ModelSerializer):
    entries = EntrySerializer(many=True, read_only=True)

    class Meta:
        model = PublicityNotice
        fields = ("id", "call", "title", "starts_on", "ends_on", "provisional", "working_days", "entries")


class ObjectionInputSerializer(serializers.Serializer):
    """Raw input: the service checks it and answers with stable codes (anonymous_refused, phone_invalid, ...)."""

    entry = serializers.IntegerField(required=False, allow_null=True)
    name = StrictCharField(required=False, allow_blank=True, trim_whitespace=True, max_length=200)
    organisation = StrictCharField(required=False, allow_blank=True, max_length=400)
    phone = StrictCharField(required=False, allow_blank=True, max_length=40)
    content = StrictCharField(required=False, allow_blank=True, max_length=20000)
    letter = serializers.FileField(required=False, allow_null=True)


class ObjectionReceiptSerializer(ModelSerializer):
    """What the objector gets back: no identity is echoed."""

    class Meta:
        model = Objection
        fields = ("id", "notice", "entry", "status", "submitted_at")


class PublicityListView(APIView):
    """Notices in their publicity period today, with their entries (public)."""

    permission_classes = [AllowAny]

    @extend_schema(tags=["公示"], responses={200: NoticeSerializer(many=True), **error_responses(403)})
    def get(self, request: Request) -> Response:
        return Response(NoticeSerializer(selectors.current_notices(), many=True).data)


class ObjectionCreateView(APIView):
    """File a real-name objection to an open notice (public; throttled per client)."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "objection"
    parser_classes = [LimitedJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        tags=["公示"],
        request=ObjectionInputSerializer,
        responses={201: ObjectionReceiptSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        notice = get_object_or_404(PublicityNotice, pk=pk)
        serializer = ObjectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            entry = selectors.find_entry(notice, data.get("entry"))
        except ValueError:
            raise serializers.ValidationError(
                {"entry": [serializers.ErrorDetail("所选申报不在本公示中", code=PublicityErrorCode.ENTRY_INVALID)]}
            ) from None
        objection = services.file_objection(
            notice=notice,
            entry=entry,
            name=data.get("name", ""),
            organisation=data.get("organisation", ""),
            phone=data.get("phone", ""),
            content=data.get("content", ""),
            letter=data.get("letter"),
            ip=client_ip(request),
        )
        return Response(ObjectionReceiptSerializer(objection).data, status=status.HTTP_201_CREATED)


class OpenNoticeInputSerializer(serializers.Serializer):
    title = StrictCharField(required=False, allow_blank=True, max_length=200)


class CallPublicityNoticesView(APIView):
    """Open a publicity notice for a call's approved applications (approvers only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["公示"],
        request=OpenNoticeInputSerializer,
        responses={201: NoticeSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, call_id: int) -> Response:
        if not services.may_manage_publicity(request.user):
            raise PermissionDenied
        call = get_object_or_404(Call, pk=call_id)
        serializer = OpenNoticeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = services.open_publicity_notice(
            call=call, actor=request.user, title=serializer.validated_data.get("title", "")
        )
        notice = PublicityNotice.objects.with_entries().get(pk=notice.pk)
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)
