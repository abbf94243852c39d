"""Award notice endpoints of SPEC §8: public verification by code."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_responses
from notices import selectors
from notices.error_codes import NoticeErrorCode


class AwardNoticeVerificationSerializer(serializers.Serializer):
    code = serializers.CharField(label=_("验证码"))
    reference = serializers.CharField(label=_("申报编号"))
    organisation = serializers.CharField(label=_("申报单位"))
    uscc = serializers.CharField(label=_("统一社会信用代码"))
    program = serializers.CharField(label=_("资助项目代码"))
    program_name = serializers.CharField(label=_("资助项目名称"))
    clause = serializers.CharField(label=_("政策条款"))
    call = serializers.CharField(label=_("申报批次"))
    amount = serializers.DecimalField(label=_("资助金额（元）"), max_digits=14, decimal_places=2, coerce_to_string=True)
    amount_in_words = serializers.CharField(label=_("资助金额（大写）"))
    awarded_on = serializers.DateField(label=_("核准日期"))
    bureau = serializers.CharField(label=_("发文单位"))
    sha256 = serializers.CharField(label=_("文件 SHA-256"))
    generation = serializers.IntegerField(label=_("生成次数"))
    status = serializers.ChoiceField(label=_("状态"), choices=list(selectors.STATUS_LABELS))
    status_label = serializers.CharField(label=_("状态说明"))


class VerifyAwardNoticeView(APIView):
    """Verify an award notice by its code: the facts printed on it and the SHA-256 of its file (public)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["资助通知书"],
        responses={
            200: AwardNoticeVerificationSerializer,
            **error_responses(404),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        notice = selectors.find_issued_notice(code)
        if notice is None:
            raise NotFound(_("未找到该资助通知书"), code=NoticeErrorCode.NOT_FOUND)
        return Response(AwardNoticeVerificationSerializer(selectors.verification_facts(notice)).data)
