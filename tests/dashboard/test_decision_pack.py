"""The decision pack (决策材料) of an allocation run: its facts, its PDF, who may download it, and that the
publicity notice lists exactly its approved entries."""

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from applications import services
from applications.models import State
from dashboard.decision_pack import (
    NOT_FUNDED_IN_REVIEW,
    NOT_FUNDED_REJECTED,
    NOT_FUNDED_WITHDRAWN,
    inputs_digest,
    pack_facts,
    render_decision_pack,
)
from dashboard.models import DecisionPack, PackStatus
from programs.models import ProgramBudget
from programs.rules import REASON_YEARLY_CAP_REACHED
from publicity import services as publicity_services
from publicity.models import PublicityEntry
from tests import stages
from tests.applications.conftest import certificate_units, pdf, valid_data
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def allocated(make_application, open_call, fixed_program, certificate_program, roles):
    """Two fixed 300,000 approvals under a 450,000 budget (factor 0.75); a certificate application of three
    certificates whose third the run's cap sweep cuts (the cap lowered to 2 after approval); one rejected, one
    withdrawn, one still in review; one allocation run.
    """
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("450000"))
    ProgramBudget.objects.create(program=certificate_program, year=open_call.year, amount=Decimal("1000000"))
    first = make_application("approved")
    second = make_application("approved", owner=MembershipFactory().user)
    certificates = make_application(
        "draft",
        program=certificate_program,
        owner=MembershipFactory().user,
        data=valid_data(units=certificate_units("50000", "32000", "60000")),
    )
    services.add_attachment(
        application=certificates, actor=certificates.created_by, kind="certificate", uploaded_file=pdf()
    )
    certificates = stages.walk(certificates, "approved", roles)
    certificate_program.max_units_per_year = 2
    certificate_program.save(update_fields=["max_units_per_year"])
    rejected = make_application("rejected", owner=MembershipFactory().user)
    withdrawn = make_application("withdrawn", owner=MembershipFactory().user)
    in_review = make_application("accepted", owner=MembershipFactory().user)
    run = stages.allocate(open_call, roles)
    return {
        "run": run,
        "approved": [first, second, certificates],
        "rejected": rejected,
        "withdrawn": withdrawn,
        "in_review": in_review,
    }


def test_the_pack_holds_the_budget_factor_list_and_not_funded(allocated, fixed_program, certificate_program):
    facts = pack_facts(allocated["run"])

    by_code = {p["program"]: p for p in facts["programs"]}
    assert by_code[fixed_program.code]["budget"] == "450000.00"
    assert by_code[fixed_program.code]["standard"] == "600000.00"
    assert by_code[fixed_program.code]["factor"] == "0.750000"
    assert by_code[fixed_program.code]["allocated"] == "450000.00"
    assert by_code[certificate_program.code]["fully_funded"] is True
    listed = {(row["organisation"], row["program"]): row for row in facts["listed"]}
    assert len(listed) == 3
    fixed_rows = [row for row in facts["listed"] if row["program"] == fixed_program.code]
    assert [row["amount"] for row in fixed_rows] == ["225000.00", "225000.00"]
    (certificate_row,) = [row for row in facts["listed"] if row["program"] == certificate_program.code]
    assert certificate_row["units"] == "2/3"
    assert certificate_row["amount"] == "82000.00"  # 5万 + 3.2万; the third is past the lowered cap
    assert [cap["code"] for cap in certificate_row["caps"]] == [REASON_YEARLY_CAP_REACHED]
    assert facts["listed_total"] == "532000.00"
    codes = {row["reference"]: row["code"] for row in facts["not_funded"]}
    assert codes == {
        allocated["rejected"].reference: NOT_FUNDED_REJECTED,
        allocated["withdrawn"].reference: NOT_FUNDED_WITHDRAWN,
        allocated["in_review"].reference: NOT_FUNDED_IN_REVIEW,
    }
    assert facts["publicity"] == [] and facts["objections"] == []
    assert re.fullmatch(r"[0-9a-f]{64}", facts["inputs_sha256"])


def test_the_pdf_text_holds_the_runs_figures(allocated, fixed_program):
    facts = pack_facts(allocated["run"])

    text = _text(render_decision_pack(allocated["run"]))

    assert text.startswith("%PDF") is False and "决策材料" in text
    for figure in ("450,000.00", "600,000.00", "0.750000", "225,000.00", "82,000.00", "532,000.00"):
        assert figure in text, figure
    assert facts["inputs_sha256"] in text.replace("\n", "")
    assert allocated["rejected"].reference in text
    assert "yearly_cap_reached" in text


def test_a_regenerated_pack_gives_the_same_facts_and_text(allocated):
    run = allocated["run"]

    first_facts, first_pdf = pack_facts(run), render_decision_pack(run)
    run.refresh_from_db()
    second_facts, second_pdf = pack_facts(run), render_decision_pack(run)

    assert first_facts == second_facts
    assert _text(first_pdf) == _text(second_pdf)
    assert first_pdf == second_pdf


def test_the_inputs_digest_changes_when_a_recorded_input_changes(allocated, fixed_program):
    run = allocated["run"]
    before = inputs_digest(run)

    result = run.programs.get(program=fixed_program)
    result.budget = Decimal("450001.00")
    result.save(update_fields=["budget"])

    assert inputs_digest(run) != before


def test_the_publicity_notice_lists_exactly_the_packs_entries(allocated, open_call, roles):
    facts = pack_facts(allocated["run"])

    notice = publicity_services.open_publicity_notice(call=open_call, actor=roles["approver"])

    entries = set(
        PublicityEntry.objects.filter(notice=notice).values_list("organisation_name", "program_code", "amount")
    )
    listed = {(row["organisation"], row["program"], Decimal(row["amount"])) for row in facts["listed"]}
    assert entries == listed


def test_after_publicity_the_pack_shows_the_objections_and_their_outcomes(allocated, open_call, roles):
    publicity_services.open_publicity_notice(call=open_call, actor=roles["approver"])
    revoked = allocated["approved"][0]
    stages.uphold_objection(revoked, roles, reason="经核查，证书与实际不符，异议成立")

    facts = pack_facts(allocated["run"])
    text = _text(render_decision_pack(allocated["run"]))

    assert len(facts["publicity"]) == 1
    (objection,) = facts["objections"]
    assert objection["status"] == "异议成立"
    assert objection["outcome"] == "经核查，证书与实际不符，异议成立"
    assert revoked.organisation.name in objection["subject"]
    assert "经核查，证书与实际不符，异议成立" in text
    revoked.refresh_from_db()
    assert revoked.state == State.REJECTED


def test_the_pack_reads_a_constant_number_of_queries(make_application, open_call, fixed_program, roles):
    ProgramBudget.objects.create(program=fixed_program, year=open_call.year, amount=Decimal("450000"))
    small_call, large_call = stages.own_call(open_call), stages.own_call(open_call)
    make_application("approved", call=small_call)
    for _ in range(5):
        make_application("approved", call=large_call, owner=MembershipFactory().user)
    make_application("rejected", call=large_call, owner=MembershipFactory().user)
    small, large = stages.allocate(small_call, roles), stages.allocate(large_call, roles)
    pack_facts(small)

    with CaptureQueriesContext(connection) as few:
        pack_facts(small)
    with CaptureQueriesContext(connection) as more:
        pack_facts(large)

    assert len(few) == len(more)


@pytest.mark.parametrize(
    ("role", "status"),
    [("approver", 200), ("administrator", 200), ("intake", 404), ("finance", 404), ("expert", 404), ("owner", 302)],
)
def test_the_pack_downloads_for_the_approver_and_the_administrator_only(client, allocated, roles, role, status):
    client.force_login(roles[role])

    response = client.get(reverse("dashboard:decision_pack", args=[allocated["run"].pk]))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert "attachment" in response["Content-Disposition"]


def test_a_missing_run_is_404(client, roles):
    client.force_login(roles["approver"])

    assert client.get(reverse("dashboard:decision_pack", args=[999999])).status_code == 404


def test_the_run_admin_page_links_the_pack_for_the_approver(client, allocated, roles):
    client.force_login(roles["approver"])

    html = client.get(reverse("admin:allocations_allocationrun_change", args=[allocated["run"].pk])).content.decode()

    assert reverse("dashboard:decision_pack", args=[allocated["run"].pk]) in html
    assert "下载决策材料（PDF）" in html


def _download(response) -> bytes:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def test_the_pack_is_stored_once_per_facts_and_a_new_one_is_made_when_publicity_changes_them(
    client, allocated, open_call, roles
):
    client.force_login(roles["approver"])
    url = reverse("dashboard:decision_pack", args=[allocated["run"].pk])

    first = _download(client.get(url))
    again = _download(client.get(url))
    assert first == again and DecisionPack.objects.count() == 1  # the stored file, not a second rendering
    pack = DecisionPack.objects.get()
    assert pack.status == PackStatus.DONE and pack.facts == pack_facts(allocated["run"])

    publicity_services.open_publicity_notice(call=open_call, actor=roles["approver"])
    stages.uphold_objection(allocated["approved"][0], roles, reason="经核查，异议成立")
    after = _download(client.get(url))

    assert DecisionPack.objects.count() == 2
    assert "经核查，异议成立" in _text(after) and "经核查，异议成立" not in _text(first)


@override_settings(DECISION_PACK_INLINE_MAX=0)
def test_a_large_pack_renders_in_a_job_while_the_approver_watches_its_progress(
    client, allocated, roles, django_capture_on_commit_callbacks
):
    client.force_login(roles["approver"])
    run = allocated["run"]

    with django_capture_on_commit_callbacks() as queued:
        response = client.get(reverse("dashboard:decision_pack", args=[run.pk]))
    pack = DecisionPack.objects.get()
    status_url = reverse("dashboard:decision_pack_status", args=[run.pk, pack.pk])
    assert response.status_code == 302 and response["Location"] == status_url
    assert pack.status == PackStatus.PENDING and len(queued) == 1

    waiting = client.get(status_url).content.decode()
    assert 'http-equiv="refresh"' in waiting and "<progress" in waiting and "排队中" in waiting

    queued[0]()  # the Celery job (eager here), as the worker runs it after the commit
    done = client.get(status_url).content.decode()
    assert 'http-equiv="refresh"' not in done and "已生成" in done
    data = _download(client.get(status_url + "?download=1"))
    assert _text(data) == _text(render_decision_pack(run))


@pytest.mark.parametrize("role", ["intake", "finance", "expert"])
def test_the_progress_page_is_404_for_other_staff_and_for_another_runs_pack(client, allocated, roles, role):
    client.force_login(roles["approver"])
    _download(client.get(reverse("dashboard:decision_pack", args=[allocated["run"].pk])))
    pack = DecisionPack.objects.get()

    client.force_login(roles[role])
    assert client.get(reverse("dashboard:decision_pack_status", args=[allocated["run"].pk, pack.pk])).status_code == 404
    client.force_login(roles["approver"])
    assert client.get(reverse("dashboard:decision_pack_status", args=[999999, pack.pk])).status_code == 404


@override_settings(DECISION_PACK_INLINE_MAX=0)
def test_a_pack_whose_job_was_lost_is_queued_again_when_asked_for(
    client, allocated, roles, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(roles["approver"])
    url = reverse("dashboard:decision_pack", args=[allocated["run"].pk])
    with django_capture_on_commit_callbacks() as first:
        client.get(url)
    with django_capture_on_commit_callbacks() as again:
        client.get(url)
    assert len(first) == 1 and len(again) == 0  # still queued: not queued twice

    DecisionPack.objects.update(requested_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True) as later:
        client.get(url)

    assert len(later) == 1 and DecisionPack.objects.get().status == PackStatus.DONE
