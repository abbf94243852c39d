"""Payout endpoints of SPEC §8: batches (list, create, detail), approve, export, results. Writes are finance only.

Other staff roles (intake, approver, administrator) may read batches with the accounts masked; anyone else gets
403 on the list and 404 on a batch.
"""

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, ModelSerializer, StrictCharField, error_responses
from core.parsers import LimitedJSONParser
from payouts import services
from payouts.error_codes import PayoutErrorCode
from payouts.models import PayoutBatch, PayoutLine
from payouts.selectors import account_shown_to, batches_visible_to, get_batch, may_pay, may_view_payouts
from programs.models import Call, Program

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "results": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Row ids are 64-bit (BigAutoField): a larger number is a 400, not an overflow in the database driver.
ROW_ID_MAX = 2**63 - 1


def file_response(filename: str, content: Iterator[bytes], fmt: str) -> StreamingHttpResponse:
    """Stream an export to the browser (the CSV row by row), as a download with its Chinese name; never cached."""
    response = StreamingHttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PayoutLineSerializer(ModelSerializer):
    application = serializers.IntegerField(source="application_id")
    bank_account_number = serializers.SerializerMethodField()

    class Meta:
        model = PayoutLine
        fields = (
            "id",
            "position",
            "application",
            "reference",
            "amount",
            "payee_name",
            "payee_uscc",
            "bank_name",
            "bank_account_number",
            "bank_account_name",
            "program_name",
            "purpose",
            "status",
            "voucher_no",
            "paid_on",
            "failure_reason",
            "recorded_at",
        )

    @extend_schema_field(serializers.CharField())
    def get_bank_account_number(self, line: PayoutLine) -> str:
        return account_shown_to(self.context["request"].user, line)


class PayoutBatchSerializer(ModelSerializer):
    created_by = serializers.CharField(source="created_by.get_full_name")
    approved_by = serializers.CharField(source="approved_by.get_full_name", default=None, allow_null=True)

    class Meta:
        model = PayoutBatch
        fields = (
            "id",
            "call",
            "program",
            "title",
            "status",
            "created_by",
            "created_at",
            "approved_by",
            "approved_at",
            "total_amount",
            "line_count",
            "checksum",
        )


class PayoutBatchDetailSerializer(PayoutBatchSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(PayoutBatchSerializer.Meta):
        fields = (*PayoutBatchSerializer.Meta.fields, "lines")

    @extend_schema_field(PayoutLineSerializer(many=True))
    def get_lines(self, batch: PayoutBatch) -> list[dict[str, Any]]:
        lines = batch.lines.order_by("position")
        return PayoutLineSerializer(lines, many=True, context=self.context).data


class CreateBatchSerializer(serializers.Serializer):
    call = serializers.PrimaryKeyRelatedField(queryset=Call.objects.all(), required=False, allow_null=True)
    program = serializers.SlugRelatedField(
        slug_field="code", queryset=Program.objects.all(), required=False, allow_null=True
    )
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ROW_ID_MAX), required=False, allow_null=True
    )
    title = StrictCharField(required=False, allow_blank=True, max_length=200)


class LineResultSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=ROW_ID_MAX)
    status = serializers.ChoiceField(choices=["paid", "failed"])
    voucher_no = StrictCharField(required=False, allow_blank=True, default="")
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = StrictCharField(required=False, allow_blank=True, default="")


class ResultsSerializer(serializers.Serializer):
    lines = LineResultSerializer(many=True, required=False)
    file = serializers.FileField(required=False)


class SkippedApplicationSerializer(serializers.Serializer):
    application = serializers.IntegerField(min_value=1, max_value=ROW_ID_MAX)
    reference = serializers.CharField()
    code = serializers.CharField()
    detail = serializers.CharField()


class PayoutBatchCreatedSerializer(PayoutBatchDetailSerializer):
    skipped = SkippedApplicationSerializer(many=True, read_only=True, help_text="未编入本批次的申报及原因")

    class Meta(PayoutBatchDetailSerializer.Meta):
        fields = (*PayoutBatchDetailSerializer.Meta.fields, "skipped")


class NothingToPayErrorSerializer(ErrorSerializer):
    """The error body, plus why each selected application was left out when none could be paid."""

    skipped = SkippedApplicationSerializer(many=True, required=False, help_text="code 为 nothing_to_pay 时列出")


class ResultRowSerializer(serializers.Serializer):
    """One line's outcome: per line (``line``, ``status``, ``changed``) or per row of a bank file (``row``, ...)."""

    row = serializers.IntegerField(required=False, help_text="银行结果文件的行号")
    line = serializers.IntegerField(required=False, min_value=1, max_value=ROW_ID_MAX)
    reference = serializers.CharField(allow_blank=True)
    status = serializers.CharField(required=False)
    changed = serializers.BooleanField(required=False)
    outcome = serializers.CharField(required=False, help_text="paid、failed、unchanged、unknown_reference 或 error")
    result = serializers.CharField(required=False, help_text="结果（中文）：已到账、拨付失败、编号不在本批次……")
    code = serializers.CharField(required=False, allow_blank=True)
    detail = serializers.CharField(required=False, allow_blank=True)


class ResultsResponseSerializer(serializers.Serializer):
    rows = ResultRowSerializer(many=True)


def _require_finance(request: Request) -> None:
    if not may_pay(request.user):
        raise PermissionDenied


def _skipped(skipped: list[services.Skipped]) -> list[dict[str, Any]]:
    return [
        {"application": s.application_id, "reference": s.reference, "code": s.code, "detail": s.message}
        for s in skipped
    ]


class PayoutBatchesView(APIView):
    """List payout batches (staff roles) or build one from awarded applications (finance)."""

    @extend_schema(tags=["资金拨付"], responses={200: PayoutBatchSerializer(many=True), **error_responses(403)})
    def get(self, request: Request) -> Response:
        if not may_view_payouts(request.user):
            raise PermissionDenied
        batches = batches_visible_to(request.user)[:200]
        return Response(PayoutBatchSerializer(batches, many=True).data)

    @extend_schema(
        tags=["资金拨付"],
        request=CreateBatchSerializer,
        responses={
            201: PayoutBatchCreatedSerializer,
            **error_responses(400, body=NothingToPayErrorSerializer),
            **error_responses(403),
        },
    )
    def post(self, request: Request) -> Response:
        _require_finance(request)
        body = CreateBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            batch, skipped = services.create_batch(
                actor=request.user,
                applications=data.get("applications"),
                call=data.get("call"),
                program=data.get("program"),
                title=data.get("title", ""),
            )
        except ValidationError as error:
            if error.code == PayoutErrorCode.NOTHING_TO_PAY:
                return Response(
                    {
                        "code": PayoutErrorCode.NOTHING_TO_PAY,
                        "detail": error.messages[0],
                        "fields": {},
                        "skipped": _skipped(error.params["skipped"]),
                    },
                    status=status.HTTP_400_BAD_REQUEST,
                )
            raise
        batch = batches_visible_to(request.user).get(pk=batch.pk)
        payload = PayoutBatchDetailSerializer(batch, context={"request": request}).data
        return Response({**payload, "skipped": _skipped(skipped)}, status=status.HTTP_201_CREATED)


class PayoutBatchDetailView(APIView):
    @extend_schema(tags=["资金拨付"], responses={200: PayoutBatchDetailSerializer, **error_responses(403, 404)})
    def get(self, request: Request, pk: int) -> Response:
        batch = get_batch(request.user, pk)
        return Response(PayoutBatchDetailSerializer(batch, context={"request": request}).data)


class ApproveBatchView(APIView):
    @extend_schema(
        tags=["资金拨付"], request=None, responses={200: PayoutBatchSerializer, **error_responses(400, 403, 404, 409)}
    )
    def post(self, request: Request, pk: int) -> Response:
        batch = get_batch(request.user, pk)
        _require_finance(request)
        batch = services.approve_batch(batch=batch, actor=request.user)
        return Response(PayoutBatchSerializer(batches_visible_to(request.user).get(pk=batch.pk)).data)


class IgnoreFormatNegotiation(DefaultContentNegotiation):
    """``?format=xlsx|csv`` names the file format here, not a DRF renderer."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


class ExportBatchView(APIView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        tags=["资金拨付"],
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["xlsx", "csv", "results"],
                description="xlsx：拨付清单；csv：银行代发文件；results：银行结果文件模板",
            )
        ],
        responses={(200, "application/octet-stream"): bytes, **error_responses(400, 403, 404, 409)},
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        batch = get_batch(request.user, pk)
        _require_finance(request)
        fmt = request.query_params.get("format", "xlsx")
        filename, content = services.stream_batch(batch=batch, fmt=fmt, actor=request.user)
        return file_response(filename, content, fmt)


class BatchResultsView(APIView):
    parser_classes = [LimitedJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        tags=["资金拨付"],
        request=ResultsSerializer,
        responses={200: ResultsResponseSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        batch = get_batch(request.user, pk)
        _require_finance(request)
        body = ResultsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data.get("file"):
            outcomes = services.import_bank_results(batch=batch, actor=request.user, file=body.validated_data["file"])
            rows = [
                {
                    "row": o.row,
                    "reference": o.reference,
                    "outcome": o.outcome,
                    "result": o.label,
                    "code": o.code,
                    "detail": o.detail,
                }
                for o in outcomes
            ]
            return Response({"rows": rows})
        items = body.validated_data.get("lines") or []
        if not items:
            raise ValidationError(_("请提交逐笔结果或银行结果文件"), code=PayoutErrorCode.RESULTS_REQUIRED)
        rows = []
        for item in items:
            line = get_object_or_404(PayoutLine, pk=item["line"], batch=batch)
            line, changed = services.record_line_result(
                line=line,
                actor=request.user,
                status=item["status"],
                voucher_no=item["voucher_no"],
                paid_on=item["paid_on"],
                reason=item["reason"],
            )
            rows.append({"line": line.pk, "reference": line.reference, "status": line.status, "changed": changed})
        return Response({"rows": rows})
