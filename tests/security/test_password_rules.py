"""Sign-up refuses weak passwords (AUTH_PASSWORD_VALIDATORS) in Chinese and creates nothing."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("weak", "code", "message"),
    [
        ("Ab3$efgh", "password_too_short", "密码太短，至少需要 10 个字符。"),
        ("password1234", "password_too_common", "这个密码太常见了。"),
        ("20260101123456", "password_entirely_numeric", "密码只包含数字。"),
        ("zhangsan.portal", "password_too_similar", "密码跟 电子邮箱 太相似了。"),
    ],
)
def test_sign_up_with_a_weak_password_is_refused_in_chinese(client, weak, code, message):
    response = client.post(
        reverse("account_signup"), {"email": "zhangsan.portal@example.cn", "password1": weak, "password2": weak}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["password1"]
    assert [(e.code, e.messages) for e in errors] == [(code, [message])]
    assert message in response.content.decode()
    assert User.objects.count() == 0
    assert EmailAddress.objects.count() == 0
    assert mail.outbox == []


def test_a_password_of_ten_characters_that_is_not_common_is_accepted(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "lisi@example.cn", "password1": "qz7-Lake-harbour", "password2": "qz7-Lake-harbour"},
    )

    assert response.status_code == 302
    assert User.objects.filter(email="lisi@example.cn").exists()
