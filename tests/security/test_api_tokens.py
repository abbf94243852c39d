"""API tokens (django-rest-knox): hashed, expiring, several per user with a name and last use, revocable, and
revoked when the password changes or the user leaves an organisation or a staff group. Issue 13, finding 2."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from knox.crypto import hash_token
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import MembershipFactory, StaffFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

ORGANISATION = "/api/v1/organisation/"


def client_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_the_endpoint_answers_a_named_token_with_its_expiry_and_stores_only_a_digest(password, settings):
    member = MembershipFactory().user
    before = timezone.now()

    response = APIClient().post(
        reverse("api:token"), {"username": member.email, "password": password, "name": "ERP 对接"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "ERP 对接"
    assert token.digest == hash_token(body["token"]) != body["token"]
    assert not ApiToken.objects.filter(digest=body["token"]).exists()
    lifetime = settings.REST_KNOX["TOKEN_TTL"]
    assert before + lifetime <= token.expiry <= timezone.now() + lifetime
    assert body["expiry"].startswith(timezone.localtime(token.expiry).isoformat()[:16])
    assert client_with(body["token"]).get(ORGANISATION).status_code == 200


def test_an_expired_token_is_refused_and_deleted():
    member = MembershipFactory().user
    key = token_for(member)
    ApiToken.objects.filter(user=member).update(expiry=timezone.now() - timedelta(seconds=1))

    response = client_with(key).get(ORGANISATION)

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "authentication_failed"
    assert not ApiToken.objects.filter(user=member).exists()


def test_a_wrong_or_malformed_token_is_refused():
    member = MembershipFactory().user
    key = token_for(member)

    assert client_with(key[:-1] + ("0" if key[-1] != "0" else "1")).get(ORGANISATION).status_code in (401, 403)
    assert client_with("ü" * 64).get(ORGANISATION).status_code in (401, 403)


def test_several_tokens_are_listed_without_keys_and_one_is_revoked():
    member = MembershipFactory().user
    first, second = token_for(member, name="脚本A"), token_for(member, name="脚本B")
    api = client_with(first)

    listed = api.get(reverse("api:token-list")).json()

    assert [t["name"] for t in listed] == ["脚本B", "脚本A"]
    assert [t["current"] for t in listed] == [False, True]
    assert all(first not in str(t) and second not in str(t) for t in listed)
    assert listed[1]["last_used_at"] is not None  # this request used it
    assert api.delete(reverse("api:token-detail", args=[listed[0]["id"]])).status_code == 204
    assert client_with(second).get(ORGANISATION).status_code in (401, 403)
    assert api.get(ORGANISATION).status_code == 200
    # Another user's token cannot be named.
    other = token_for(MembershipFactory().user)
    other_id = ApiToken.objects.get(digest=hash_token(other)).pk
    assert api.delete(reverse("api:token-detail", args=[other_id])).status_code == 404


def test_last_use_is_written_at_most_once_per_interval(settings):
    member = MembershipFactory().user
    api = client_with(token_for(member))
    issued = ApiToken.objects.get(user=member).last_used_at
    assert issued is not None  # the issue counts as a use

    api.get(ORGANISATION)
    assert ApiToken.objects.get(user=member).last_used_at == issued  # within the interval: no write

    earlier = timezone.now() - settings.API_TOKEN_LAST_USE_INTERVAL - timedelta(seconds=1)
    ApiToken.objects.filter(user=member).update(last_used_at=earlier)
    api.get(ORGANISATION)
    assert ApiToken.objects.get(user=member).last_used_at > earlier + timedelta(seconds=1)


def test_only_the_newest_tokens_are_kept(settings):
    member = MembershipFactory().user
    limit = settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]
    keys = [token_for(member, name=str(n)) for n in range(limit + 2)]

    assert ApiToken.objects.filter(user=member).count() == limit
    assert client_with(keys[0]).get(ORGANISATION).status_code in (401, 403)
    assert client_with(keys[-1]).get(ORGANISATION).status_code == 200


def test_a_password_change_revokes_every_token(password):
    member = MembershipFactory().user
    keys = [token_for(member), token_for(member)]
    bystander = MembershipFactory().user
    kept = token_for(bystander)

    member.set_password("another-horse-battery-7")
    member.save()

    assert not ApiToken.objects.filter(user=member).exists()
    assert all(client_with(k).get(ORGANISATION).status_code in (401, 403) for k in keys)
    assert client_with(kept).get(ORGANISATION).status_code == 200


def test_the_password_change_page_revokes_every_token(client, password):
    member = MembershipFactory().user
    token_for(member)
    client.force_login(member)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": "another-horse-battery-7", "password2": "another-horse-battery-7"},
    )

    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=member).exists()


def test_a_password_reset_revokes_every_token(client, password, mailoutbox):
    member = MembershipFactory().user
    token_for(member)
    client.post(reverse("account_reset_password"), {"email": member.email})
    link = next(line for line in mailoutbox[-1].body.splitlines() if "/password/reset/key/" in line).strip()
    path = link[link.index("/accounts/") :]

    form = client.get(path, follow=True)
    client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": "another-horse-battery-7", "password2": "another-horse-battery-7"},
    )

    member.refresh_from_db()
    assert member.check_password("another-horse-battery-7")
    assert not ApiToken.objects.filter(user=member).exists()


def test_saving_a_user_without_a_new_password_keeps_the_tokens():
    member = MembershipFactory().user
    token_for(member)

    member.full_name = "张三"
    member.save()
    member.save(update_fields=["last_login"])

    assert ApiToken.objects.filter(user=member).count() == 1


def test_leaving_the_organisation_revokes_the_tokens():
    membership = MembershipFactory()
    key = token_for(membership.user)

    membership.delete()

    assert client_with(key).get(ORGANISATION).status_code in (401, 403)


def test_moving_to_another_organisation_revokes_the_tokens():
    membership = MembershipFactory()
    token_for(membership.user)

    membership.organisation = MembershipFactory().organisation
    membership.save()

    assert not ApiToken.objects.filter(user=membership.user).exists()


@pytest.mark.parametrize("side", ["user", "group", "clear"])
def test_leaving_a_staff_group_revokes_the_tokens(side):
    group = Group.objects.create(name="财务人员-test")
    staff, colleague = StaffFactory(), StaffFactory()
    for user in (staff, colleague):
        user.groups.add(group)
        token_for(user)

    if side == "user":
        staff.groups.remove(group)
    elif side == "group":
        group.user_set.remove(staff)
    else:
        staff.groups.clear()

    assert not ApiToken.objects.filter(user=staff).exists()
    assert ApiToken.objects.filter(user=colleague).exists()


def test_losing_staff_status_revokes_the_tokens():
    staff = StaffFactory()
    token_for(staff)

    staff.is_staff = False
    staff.save()

    assert not ApiToken.objects.filter(user=staff).exists()
