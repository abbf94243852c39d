"""The payout admin: finance builds, approves and records through the services; intake reads masked accounts."""

import pytest
from django.test import Client

from payouts import services
from payouts.admin import event_summary
from payouts.models import BatchStatus, PayoutBatch, PayoutEvent

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_admin_build_and_approve_by_two_officers(make_awarded, roles, finance2):
    application = make_awarded()  # in a call of its own (its publicity notice held it alone)

    created = client_for(roles["finance"]).post("/admin/payouts/payoutbatch/add/", {"call": application.call_id})
    batch = PayoutBatch.objects.get()
    page = client_for(finance2).get(f"/admin/payouts/payoutbatch/{batch.pk}/change/")
    client_for(finance2).post(f"/admin/payouts/payoutbatch/{batch.pk}/approve/")

    assert created.status_code == 302
    assert page.status_code == 200
    assert "复核通过" in page.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == (BatchStatus.APPROVED, finance2)
    assert batch.lines.get().application == application
    exported = client_for(roles["finance"]).get(f"/admin/payouts/payoutbatch/{batch.pk}/export/csv/")
    assert b"".join(exported.streaming_content).startswith(b"\xef\xbb\xbf")


def test_admin_shows_intake_masked_account_and_refuses_actions(make_awarded, roles, finance2):
    application = make_awarded()
    batch, _ = services.create_batch(actor=roles["finance"], applications=[application])
    number = application.organisation.bank_account_number

    page = client_for(roles["intake"]).get(f"/admin/payouts/payoutbatch/{batch.pk}/change/")
    approve = client_for(roles["intake"]).post(f"/admin/payouts/payoutbatch/{batch.pk}/approve/")

    assert page.status_code == 200
    assert f"{number[:4]} **** **** {number[-4:]}" in page.content.decode()
    assert number not in page.content.decode()
    assert approve.status_code == 403
    assert client_for(roles["intake"]).get("/admin/payouts/payoutbatch/add/").status_code == 403


def test_batch_page_tells_its_history_and_amounts_in_chinese(make_awarded, roles, finance2):
    application = make_awarded()
    batch, _ = services.create_batch(actor=roles["finance"], applications=[application])
    batch = services.approve_batch(batch=batch, actor=finance2)
    amount = batch.lines.get().amount

    response = client_for(finance2).get(f"/admin/payouts/payoutbatch/{batch.pk}/change/")

    events = next(f for f in response.context["inline_admin_formsets"] if f.formset.model is PayoutEvent)
    rows = [(form.original.label, event_summary(form.original)) for form in events]
    shown = f"{amount:,.2f}元"
    assert rows == [("制单", f"1笔；合计{shown}"), ("复核通过", f"1笔；合计{shown}；校验值{batch.checksum[:12]}…")]
    page = response.content.decode()
    assert f"待拨付 {shown}" in page
    assert "line_paid" not in page and '"checksum"' not in page
