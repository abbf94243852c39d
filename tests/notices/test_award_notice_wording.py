"""The award notice says what happened in publicity: 「公示期内无异议」 only when no objection was filed; a dismissed
objection is said as found groundless (异议不成立). States are reached through the real stages."""

import pytest

from notices.services import award_facts, ensure_award_notice, render_notice_html
from publicity import services as publicity_services
from publicity.models import PublicityEntry
from tests import stages

pytestmark = pytest.mark.django_db


def test_a_notice_without_objection_says_none_was_raised(awarded):
    notice = ensure_award_notice(application_id=awarded.pk)

    html = render_notice_html(notice, award_facts(awarded))

    assert "公示期内无异议" in html and "异议经核查不成立" not in html


def test_a_dismissed_objection_is_said_as_found_groundless(make_application, roles):
    application = make_application("in_publicity")
    entry = PublicityEntry.objects.select_related("notice").get(application_id=application.pk)
    objection = publicity_services.file_objection(
        notice=entry.notice,
        entry=entry,
        name="王某某",
        organisation="深圳市某某有限公司",
        phone="13800138000",
        content="该单位申报的项目与实际情况不符。",
    )
    publicity_services.decide_objection(
        objection=objection, actor=stages.staff(roles)["approver"], uphold=False, reason="经核查，异议不成立"
    )
    stages.end_publicity(entry.notice)
    application.refresh_from_db()
    assert application.state == "awarded"

    facts = award_facts(application)
    html = render_notice_html(ensure_award_notice(application_id=application.pk), facts)

    assert facts["objection_dismissed"] is True
    assert "公示期内收到的异议经核查不成立" in html and "公示期内无异议" not in html
    assert application.events.get(name="confirm").comment == "公示期满，异议经核查不成立"
