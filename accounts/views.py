"""The applicant's account pages: registering the organisation, its profile and its members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import InvitationForm, OrganisationProfileForm, OrganisationRegistrationForm
from accounts.models import Invitation, Membership
from accounts.selectors import email_is_verified, memberships_of, pending_invitations_for


def apply_service_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where it names one, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def next_url_after_save(request: HttpRequest) -> str:
    """Where the clerk was going when the page saved the form first (a step tab, 上一步, a menu link): the POSTed
    ``next_url`` when it is an address of this site, else ""."""
    url = request.POST.get("next_url", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@require_POST
def keep_alive(request: HttpRequest) -> JsonResponse:
    """Extend the signed-in session (the page's 「继续办理」 before the inactivity timeout); say how long it now lasts.

    The session's age restarts with every request (SESSION_SAVE_EVERY_REQUEST); this one marks it modified too.
    Signed out: 401 with the error body, so that the page can say the session has ended.
    """
    if not request.user.is_authenticated:
        return JsonResponse(
            {"code": "not_authenticated", "detail": _("登录已超时，请重新登录"), "fields": {}}, status=401
        )
    request.session.modified = True
    return JsonResponse({"expires_in": request.session.get_expiry_age()})


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    """Where an applicant lands after signing in: the organisation, or the way to register one."""
    if request.user.is_staff and not hasattr(request.user, "membership"):
        return redirect("admin:index")
    if not hasattr(request.user, "membership"):
        return render(
            request,
            "accounts/no_organisation.html",
            {
                "email_verified": email_is_verified(request.user),
                "invitations": pending_invitations_for(request.user),
            },
        )
    return redirect("applications:dashboard")


@login_required
def register_organisation(request: HttpRequest) -> HttpResponse:
    """Register the applicant's organisation by its USCC (after the email address is verified)."""
    if hasattr(request.user, "membership"):
        messages.info(request, _("您的账号已属于一个申报单位。"))
        return redirect("accounts:organisation")
    if not email_is_verified(request.user):
        messages.warning(request, _("请先验证电子邮箱，再注册申报单位。"))
        return redirect("account_email")
    form = OrganisationRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "uscc"}
        try:
            services.register_organisation(actor=request.user, uscc=form.cleaned_data["uscc"], **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("申报单位注册成功，您是本单位的管理员。"))
            return redirect("accounts:organisation")
    return render(request, "accounts/organisation_register.html", {"form": form})


def _my_membership(request: HttpRequest) -> Membership:
    membership = getattr(request.user, "membership", None)
    if membership is None:
        raise Http404
    return membership


@login_required
def organisation_detail(request: HttpRequest) -> HttpResponse:
    """The organisation's profile and bank account, editable by its members; the registration fields as text."""
    membership = _my_membership(request)
    organisation = membership.organisation
    form = OrganisationProfileForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(
                organisation=organisation,
                actor=request.user,
                data={**form.cleaned_data, **form.registration_values_sent()},
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("单位信息已保存。"))
            return redirect(next_url_after_save(request) or "accounts:organisation")
    return render(
        request,
        "accounts/organisation_detail.html",
        {"form": form, "organisation": organisation, "membership": membership},
    )


@login_required
def members(request: HttpRequest) -> HttpResponse:
    """The organisation's members and pending invitations; administrators invite and remove."""
    membership = _my_membership(request)
    organisation = membership.organisation
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not membership.is_admin:
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation = services.invite_member(organisation=organisation, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request, _("已邀请 %(email)s。请对方登录后在“我的单位”页面接受邀请。") % {"email": invitation.email}
                )
                return redirect("accounts:members")
    return render(
        request,
        "accounts/members.html",
        {
            "organisation": organisation,
            "membership": membership,
            "members": memberships_of(organisation),
            "invitations": organisation.invitations.filter(accepted_at__isnull=True).select_related("invited_by"),
            "form": form,
        },
    )


@login_required
@require_POST
def remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _my_membership(request)
    target = get_object_or_404(Membership, pk=pk, organisation=membership.organisation)
    try:
        services.remove_member(membership=target, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已移除成员 %(user)s。") % {"user": target.user})
    return redirect("accounts:members")


@login_required
@require_POST
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation, token=token, email__iexact=request.user.email)
    try:
        services.accept_invitation(invitation=invitation, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("accounts:home")
    messages.success(request, _("您已加入 %(org)s。") % {"org": invitation.organisation})
    return redirect("accounts:organisation")
