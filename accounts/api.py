"""Account endpoints of SPEC §8: API tokens and the applicant's organisation."""

from django.contrib.auth import authenticate
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.auth import SecondFactorRefused, check_api_second_factor
from accounts.error_codes import AccountErrorCode
from accounts.models import ApiToken, Organisation
from accounts.tokens import issue_token
from core.api import ModelSerializer, StrictCharField, StrictModelSerializer, error_responses
from core.parsers import LimitedJSONParser


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(label=_("电子邮箱"), max_length=254)
    password = StrictCharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)
    code = StrictCharField(
        label=_("动态验证码"),
        required=False,
        allow_blank=True,
        max_length=10,
        help_text=_("工作人员必填：身份验证器（TOTP）上的6位动态验证码。"),
    )
    name = StrictCharField(
        label=_("令牌名称"),
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("可选：用途，例如使用该令牌的系统或脚本，便于日后查看和撤销。"),
    )


class TokenResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("令牌编号，撤销时使用"))
    token = serializers.CharField(help_text=_("令牌，仅此一次显示；请求时放在 Authorization: Token <令牌> 中"))
    expiry = serializers.DateTimeField(help_text=_("过期时间；过期后须重新获取"))


class ApiTokenSerializer(ModelSerializer):
    current = serializers.SerializerMethodField(help_text=_("是否为本次请求所用的令牌"))

    class Meta:
        model = ApiToken
        fields = ("id", "name", "created", "expiry", "last_used_at", "current")
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        request = self.context.get("request")
        return isinstance(getattr(request, "auth", None), ApiToken) and request.auth.pk == token.pk


ISSUE_DESCRIPTION = (
    "用电子邮箱和密码（工作人员还须提供身份验证器上的动态验证码 code）换取接口令牌，请求时放在请求头 "
    "Authorization: Token <令牌> 中。令牌只在签发时显示一次，服务器只保存其摘要；默认自签发起 12 小时内有效"
    "（API_TOKEN_TTL_HOURS），使用不会延长有效期，过期后请重新获取。"
    "默认每个用户最多保留 10 个令牌，超出时最早的失效（API_TOKEN_LIMIT_PER_USER）。"
    "修改或重置密码、离开申报单位或被移出工作人员角色组时，该用户的全部令牌立即失效；也可以通过 "
    "/api/v1/auth/tokens/ 查看和撤销。连续输错密码会被暂时锁定。"
)


class TokenView(APIView):
    """Exchange an email address and password (staff: and a TOTP code) for an API token; login lockout applies."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "token"

    @extend_schema(
        tags=["认证"],
        summary="获取接口令牌",
        description=ISSUE_DESCRIPTION,
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # request= is required: django-axes counts failures per username and address from it.
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"].strip().lower(),
            password=serializer.validated_data["password"],
        )
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                {
                    "code": AccountErrorCode.LOCKED_OUT,
                    "detail": str(_("登录失败次数过多，该账号已被暂时锁定，请15分钟后再试。")),
                    "fields": {},
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None or not user.is_active:
            return Response(
                {"code": AccountErrorCode.INVALID_CREDENTIALS, "detail": str(_("邮箱或密码不正确")), "fields": {}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            mfa_verified = check_api_second_factor(user, serializer.validated_data.get("code", ""))
        except SecondFactorRefused as refused:
            fields = {refused.field: [refused.message]} if refused.field else {}
            return Response({"code": refused.code, "detail": refused.message, "fields": fields}, status=refused.status)
        token, key = issue_token(user=user, name=serializer.validated_data.get("name", ""), mfa_verified=mfa_verified)
        return Response(TokenResponseSerializer({"id": token.pk, "token": key, "expiry": token.expiry}).data)


class TokenListView(APIView):
    """The requesting user's API tokens (never their keys)."""

    @extend_schema(
        tags=["认证"], summary="我的接口令牌", responses={200: ApiTokenSerializer(many=True), **error_responses(403)}
    )
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user=request.user)
        return Response(ApiTokenSerializer(tokens, many=True, context={"request": request}).data)


class TokenDetailView(APIView):
    """Revoke one of the requesting user's API tokens (also the one in use: that is signing out)."""

    @extend_schema(tags=["认证"], summary="撤销接口令牌", responses={204: None, **error_responses(403, 404)})
    def delete(self, request: Request, pk: int) -> Response:
        deleted, _per_model = ApiToken.objects.filter(user=request.user, pk=pk).delete()
        if not deleted:
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganisationSerializer(StrictModelSerializer):
    org_type_label = serializers.CharField(source="get_org_type_display", read_only=True)
    district_label = serializers.CharField(source="get_district_display", read_only=True)

    class Meta:
        model = Organisation
        fields = (
            "uscc",
            "name",
            "org_type",
            "org_type_label",
            "founded_on",
            "district",
            "district_label",
            "registered_address",
            "legal_representative",
            "contact_person",
            "contact_phone",
            "contact_email",
            "bank_name",
            "bank_account_number",
            "bank_account_name",
            "bank_cnaps",
            "created_at",
            "updated_at",
        )
        # The registration fields are written once, by POST (OrganisationRegistrationSerializer).
        read_only_fields = (*services.REGISTRATION_FIELDS, "created_at", "updated_at")


class OrganisationRegistrationSerializer(OrganisationSerializer):
    class Meta(OrganisationSerializer.Meta):
        read_only_fields = ("created_at", "updated_at")
        extra_kwargs = {"uscc": {"validators": []}}


class OrganisationView(APIView):
    """The requesting user's organisation: read it, change it, or register one (POST)."""

    permission_classes = [IsAuthenticated]
    # JSON only: in form data DRF reads an empty optional field as "not sent", so PATCH name="" answered 200 and
    # silently kept the old name.
    parser_classes = [LimitedJSONParser]

    def _organisation(self, request: Request) -> Organisation:
        membership = getattr(request.user, "membership", None)
        if membership is None:
            raise Http404
        return membership.organisation

    @extend_schema(tags=["申报单位"], responses={200: OrganisationSerializer, **error_responses(403, 404)})
    def get(self, request: Request) -> Response:
        return Response(OrganisationSerializer(self._organisation(request)).data)

    @extend_schema(
        tags=["申报单位"],
        request=OrganisationSerializer,
        responses={200: OrganisationSerializer, **error_responses(400, 403, 404)},
        summary="修改单位信息",
        description=(
            "统一社会信用代码、单位类型、成立日期登记后不能修改，如有错误请联系主管部门更正：提交与现有值不同的值时"
            "返回 400，code 为 uscc_immutable（统一社会信用代码）或 registration_field_locked（单位类型、成立日期），"
            "什么也不保存；提交与现有值相同的值不算修改。"
        ),
    )
    def patch(self, request: Request) -> Response:
        organisation = self._organisation(request)
        serializer = OrganisationSerializer(organisation, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)  # also refuses a body that is not an object
        # Read-only in the serializer, which would drop them: the service refuses a change instead.
        sent = {name: request.data[name] for name in services.REGISTRATION_FIELDS if name in request.data}
        organisation = services.update_organisation(
            organisation=organisation, actor=request.user, data={**serializer.validated_data, **sent}
        )
        return Response(OrganisationSerializer(organisation).data)

    @extend_schema(
        tags=["申报单位"],
        request=OrganisationRegistrationSerializer,
        responses={201: OrganisationSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = OrganisationRegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation = services.register_organisation(actor=request.user, uscc=data.pop("uscc"), **data)
        return Response(OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)
