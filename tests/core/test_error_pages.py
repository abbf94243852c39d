"""The error pages people meet on deadline day are the portal's own, in Chinese, with a way on."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.defaults import server_error

from tests.applications.conftest import *  # noqa: F403
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def test_another_organisations_application_is_a_chinese_404_with_the_way_back(client, make_application, roles):
    application = make_application("draft")
    client.force_login(roles["other"])

    response = client.get(reverse("applications:detail", args=[application.pk]))

    assert response.status_code == 404
    html = page(response)
    assert "找不到这个页面" in html
    assert "其他单位的申报" in html
    assert reverse("accounts:home") in html  # 进入我的申报
    assert "Not Found" not in html
    assert application.reference not in html


def test_an_unknown_address_is_a_chinese_404_for_anyone(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "找不到这个页面" in page(response)
    assert reverse("account_login") in page(response)  # the portal's own layout, with its sign-in link


def test_a_staff_page_the_role_may_not_open_is_a_chinese_403(client):
    call_command("sync_roles", verbosity=0)
    officer = StaffFactory()
    officer.groups.add(Group.objects.get(name="财务人员"))
    client.force_login(officer)

    response = client.get("/admin/axes/accessattempt/")  # login records: superusers only

    assert response.status_code == 403
    assert "您没有进行此操作的权限" in page(response)
    assert reverse("admin:index") in page(response)


def test_an_expired_form_explains_how_to_keep_what_was_typed(roles):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(roles["owner"])

    response = browser.post(reverse("accounts:organisation"), {"name": "改名"})  # no CSRF token: an old page

    assert response.status_code == 403
    html = page(response)
    assert "页面已过期，请重新提交" in html
    assert "复制保存您填写的内容" in html
    assert "CSRF" not in html


def test_the_500_page_needs_neither_a_request_nor_the_database():
    request = RequestFactory().get("/me/applications/")

    with CaptureQueriesContext(connection) as queries:
        response = server_error(request)

    assert response.status_code == 500
    assert "系统暂时出现问题" in page(response)
    assert "/static/css/portal.css" in page(response)
    assert len(queries) == 0


def test_a_malformed_request_is_a_chinese_400(rf):
    from django.core.exceptions import SuspiciousOperation
    from django.views.defaults import bad_request

    response = bad_request(rf.get("/"), SuspiciousOperation("bad host"))

    assert response.status_code == 400
    assert "无法处理这个请求" in page(response)
    assert "bad host" not in page(response)
