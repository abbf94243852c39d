"""Users, applicant organisations (申报单位) and their memberships."""

import datetime as dt
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS
from simple_history.models import HistoricalRecords

from accounts.error_codes import AccountErrorCode
from accounts.rules import validate_cnaps, validate_uscc


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address: an applicant's member or a bureau staff member."""

    email = models.EmailField(_("电子邮箱"), unique=True)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    is_staff = models.BooleanField(
        _("工作人员"), default=False, help_text=_("勾选后可登录管理后台（受理、评审、审定、财务、系统管理）。")
    )
    is_active = models.BooleanField(_("有效"), default=True)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)
    # USCCs of organisations a reviewer is affiliated with (conflict of interest, used by review).
    affiliated_usccs = models.TextField(
        _("关联单位统一社会信用代码"), blank=True, help_text=_("评审专家填写：任职或有利害关系的单位，每行一个。")
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return f"{self.full_name}（{self.email}）" if self.full_name else self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email

    @property
    def organisation(self) -> "Organisation | None":
        membership = getattr(self, "membership", None)
        return membership.organisation if membership else None


class OrganisationType(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    SOCIAL_ORGANISATION = "social_organisation", _("社会团体")
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise", _("民办非企业单位")
    OTHER = "other", _("其他")


class District(models.TextChoices):
    FUTIAN = "futian", _("福田区")
    LUOHU = "luohu", _("罗湖区")
    NANSHAN = "nanshan", _("南山区")
    YANTIAN = "yantian", _("盐田区")
    BAOAN = "baoan", _("宝安区")
    LONGGANG = "longgang", _("龙岗区")
    LONGHUA = "longhua", _("龙华区")
    PINGSHAN = "pingshan", _("坪山区")
    GUANGMING = "guangming", _("光明区")
    DAPENG = "dapeng", _("大鹏新区")
    SHENSHAN = "shenshan", _("深汕特别合作区")
    OUTSIDE = "outside", _("非深圳")


# A Chinese mobile number (11 digits, 1[3-9]…) or a landline with its area code (0755-88888888, 075588888888),
# optionally with an extension (-123); the forms drop spaces and make full-width digits ASCII first.
phone_validator = RegexValidator(
    r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$",
    message=_("请输入手机号（11位，如 13800138000）或带区号的固定电话（如 0755-88888888，分机写在后面如 -123）"),
    code=AccountErrorCode.PHONE_INVALID,
)
bank_account_validator = RegexValidator(
    r"^[0-9]{8,30}$", message=_("银行账号应为8至30位数字，不含空格"), code=AccountErrorCode.BANK_ACCOUNT_INVALID
)


class Organisation(models.Model):
    """An applicant organisation (申报单位), registered once by its 统一社会信用代码."""

    uscc = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        validators=[validate_uscc],
        help_text=_("18位，见营业执照或登记证书；注册后不可修改。"),
        error_messages={"unique": _("该统一社会信用代码已注册，请联系本单位管理员邀请您加入")},
    )
    name = models.CharField(_("单位名称"), max_length=200, help_text=_("与营业执照一致。"))
    org_type = models.CharField(_("单位类型"), max_length=30, choices=OrganisationType.choices)
    founded_on = models.DateField(_("成立日期"), help_text=_("按营业执照填写，例如 2018-05-01；不能晚于今天。"))
    district = models.CharField(_("注册所在区"), max_length=20, choices=District.choices)
    registered_address = models.CharField(_("注册地址"), max_length=300)
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    contact_person = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(
        _("联系电话"),
        max_length=20,
        validators=[phone_validator],
        help_text=_("手机号如 13800138000，或固定电话如 0755-88888888（可加分机 -123）。"),
    )
    contact_email = models.EmailField(_("联系邮箱"))
    bank_name = models.CharField(
        _("开户银行"), max_length=100, blank=True, help_text=_("写到支行，例如 中国银行深圳福田支行。")
    )
    bank_account_number = models.CharField(
        _("银行账号"),
        max_length=30,
        blank=True,
        validators=[bank_account_validator],
        help_text=_("8至30位数字；输入时的空格和横线会自动去掉。"),
    )
    bank_account_name = models.CharField(
        _("账户名称"), max_length=200, blank=True, help_text=_("必须与单位名称完全一致，否则无法拨付。")
    )
    bank_cnaps = models.CharField(
        _("开户行联行号"),
        max_length=12,
        blank=True,
        validators=[validate_cnaps],
        help_text=_("12位数字，即开户行的大额支付系统行号，可向开户行查询。"),
    )
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("申报单位变更记录"), verbose_name_plural=_("申报单位变更记录"))

    class Meta:
        verbose_name = _("申报单位")
        verbose_name_plural = _("申报单位")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Upper("uscc"),
                name="organisation_uscc_unique_ci",
                violation_error_code=AccountErrorCode.USCC_TAKEN,
                violation_error_message=_("该统一社会信用代码已注册，请联系本单位管理员邀请您加入"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_in_shenzhen(self) -> bool:
        return self.district != District.OUTSIDE

    @property
    def has_complete_bank_account(self) -> bool:
        return bool(self.bank_name and self.bank_account_number and self.bank_account_name == self.name)

    @property
    def masked_bank_account(self) -> str:
        number = self.bank_account_number
        if len(number) <= 8:
            return number
        return f"{number[:4]} **** **** {number[-4:]}"


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("管理员")
    HANDLER = "handler", _("经办人")
    FINANCE = "finance", _("财务联系人")


class Membership(models.Model):
    """A user's place in an organisation; a user belongs to at most one organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("用户")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("申报单位")
    )
    role = models.CharField(_("角色"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.HANDLER)
    created_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = _("单位成员")
        ordering = ["organisation", "created_at"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.user} · {self.get_role_display()}"

    @property
    def is_admin(self) -> bool:
        return self.role == MembershipRole.ADMIN


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry() -> datetime:
    return timezone.now() + timedelta(days=7)


class Invitation(models.Model):
    """An organisation administrator's invitation for an email address to join as a member."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("申报单位")
    )
    email = models.EmailField(_("被邀请人邮箱"))
    role = models.CharField(_("角色"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.HANDLER)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("邀请人")
    )
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"), default=_invitation_expiry)
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("成员邀请")
        verbose_name_plural = _("成员邀请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.email}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class SanctionQuerySet(models.QuerySet["Sanction"]):
    def active_on(self, day: dt.date) -> "SanctionQuerySet":
        return self.filter(starts_on__lte=day, ends_on__gt=day, lifted_at__isnull=True)


class Sanction(models.Model):
    """A bar on applying until a date (失信惩戒), e.g. after a failed evaluation or fraud."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sanctions", verbose_name=_("申报单位")
    )
    reason = models.TextField(_("原因"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("截止日期"), help_text=_("在此日期之前不得申报（默认3年）。"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    objects = SanctionQuerySet.as_manager()
    history = HistoricalRecords(verbose_name=_("惩戒变更记录"), verbose_name_plural=_("惩戒变更记录"))

    class Meta:
        verbose_name = _("失信惩戒")
        verbose_name_plural = _("失信惩戒")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="sanction_ends_after_start",
                violation_error_code=AccountErrorCode.SANCTION_DATES_INVALID,
                violation_error_message=_("截止日期必须晚于开始日期"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}：{self.starts_on} 至 {self.ends_on}"


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): stored as a SHA-512 digest, expiring, several per user, each named.

    The key is shown once, when issued (POST /api/v1/auth/token/). Tokens are revoked (deleted) when the user's
    password changes or is reset, and when the user leaves an organisation or a staff group (accounts.signals).
    """

    # A plain id to name a token in the API and the admin; the digest (knox's primary key) stays unique.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True, help_text=_("例如使用该令牌的系统或脚本。"))
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    mfa_verified_at = models.DateTimeField(
        _("动态验证码验证时间"),
        null=True,
        blank=True,
        help_text=_("签发时验证了工作人员的动态验证码（TOTP）；工作人员没有该时间的令牌不能使用。"),
    )

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} · {self.name or self.pk}"
