"""Payout exports (XLSX and CSV) and the payout API: authorization, masking, the whole path over HTTP."""

import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import Organisation
from applications.models import State
from payouts import services
from payouts.exports import HEADERS
from payouts.models import PayoutEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(make_awarded, roles, finance2):
    first = make_awarded("100000.00")
    Organisation.objects.filter(pk=first.organisation_id).update(
        name='=HYPERLINK("x")', bank_account_name='=HYPERLINK("x")'
    )
    second = make_awarded("32000.50")
    draft, _ = services.create_batch(actor=roles["finance"], applications=[first, second])
    return services.approve_batch(batch=draft, actor=finance2)


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_xlsx_export_has_columns_totals_capitals_and_neutralised_cells(batch):
    filename, content = services.export_batch(batch=batch, fmt="xlsx")

    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert filename.startswith(f"拨付清单_{batch.pk}_") and filename.endswith(".xlsx")
    assert tuple(rows[0]) == HEADERS
    assert rows[0][:9] == [
        "序号",
        "单位名称",
        "统一社会信用代码",
        "开户银行",
        "银行账号",
        "金额（元）",
        "金额大写",
        "项目名称",
        "用途",
    ]
    lines = rows[1:-1]
    assert len(lines) == 2
    assert lines[0][1] == '\'=HYPERLINK("x")'
    assert lines[0][5] == 100000.0
    assert lines[1][6] == "人民币叁万贰仟元伍角整"
    totals = rows[-1]
    assert totals[0] == "合计"
    assert Decimal(str(totals[5])) == sum(Decimal(str(line[5])) for line in lines) == Decimal("132000.50")
    assert totals[6] == "人民币壹拾叁万贰仟元伍角整"
    assert PayoutEvent.objects.filter(batch=batch, name="export").count() == 1


def test_csv_export_starts_with_bom_and_neutralises(batch):
    filename, content = services.export_batch(batch=batch, fmt="csv")

    assert filename.endswith(".csv")
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig").splitlines()
    assert text[0].split(",")[:3] == ["序号", "单位名称", "统一社会信用代码"]
    assert text[1].split(",")[1] == '"\'=HYPERLINK(""x"")"'
    assert text[-1].startswith("合计,共2笔,")
    assert ",132000.50,人民币壹拾叁万贰仟元伍角整," in text[-1]


def test_draft_batch_is_not_exported(make_awarded, roles):
    draft, _ = services.create_batch(actor=roles["finance"], applications=[make_awarded()])
    response = client_for(roles["finance"]).get(f"/api/v1/payout-batches/{draft.pk}/export/?format=csv")
    assert response.status_code == 409
    assert response.json()["code"] == "batch_not_approved"


@pytest.mark.parametrize(
    ("role", "list_status", "detail_status", "create_status", "export_status"),
    [
        (None, 403, 403, 403, 403),
        ("owner", 403, 404, 403, 404),
        ("intake", 200, 200, 403, 403),
        ("finance", 200, 200, 201, 200),
    ],
)
def test_payout_api_authorization(
    batch, make_awarded, roles, role, list_status, detail_status, create_status, export_status
):
    other = make_awarded()
    client = client_for(roles[role] if role else None)

    assert client.get("/api/v1/payout-batches/").status_code == list_status
    assert client.get(f"/api/v1/payout-batches/{batch.pk}/").status_code == detail_status
    created = client.post("/api/v1/payout-batches/", {"applications": [other.pk]}, format="json")
    assert created.status_code == create_status
    exported = client.get(f"/api/v1/payout-batches/{batch.pk}/export/?format=xlsx")
    assert exported.status_code == export_status
    results = client.post(
        f"/api/v1/payout-batches/{batch.pk}/results/",
        {"lines": [{"line": batch.lines.first().pk, "status": "failed", "reason": "x"}]},
        format="json",
    )
    assert results.status_code == (200 if role == "finance" else export_status)


def test_intake_sees_masked_accounts_and_finance_full(batch, roles):
    line = batch.lines.order_by("position").first()
    number = line.bank_account_number

    intake = client_for(roles["intake"]).get(f"/api/v1/payout-batches/{batch.pk}/").json()
    finance = client_for(roles["finance"]).get(f"/api/v1/payout-batches/{batch.pk}/").json()

    assert intake["lines"][0]["bank_account_number"] == f"{number[:4]} **** **** {number[-4:]}"
    assert finance["lines"][0]["bank_account_number"] == number


def test_api_path_create_approve_export_and_record(make_awarded, roles, finance2):
    application = make_awarded()
    creator, approver = client_for(roles["finance"]), client_for(finance2)

    created = creator.post("/api/v1/payout-batches/", {"applications": [application.pk]}, format="json")
    batch_id = created.json()["id"]
    own = creator.post(f"/api/v1/payout-batches/{batch_id}/approve/")
    approved = approver.post(f"/api/v1/payout-batches/{batch_id}/approve/")
    exported = approver.get(f"/api/v1/payout-batches/{batch_id}/export/?format=xlsx")
    line_id = created.json()["lines"][0]["id"]
    recorded = creator.post(
        f"/api/v1/payout-batches/{batch_id}/results/",
        {"lines": [{"line": line_id, "status": "paid", "voucher_no": "V1", "paid_on": "2026-05-06"}]},
        format="json",
    )

    assert created.status_code == 201
    assert (own.status_code, own.json()["code"]) == (400, "same_officer")
    assert approved.json()["status"] == "approved"
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "拨付清单" in unquote(exported["Content-Disposition"])
    assert recorded.json()["rows"][0] == {
        "line": line_id,
        "reference": application.reference,
        "status": "paid",
        "changed": True,
    }
    application.refresh_from_db()
    assert application.state == State.DISBURSED


def test_api_nothing_to_pay_lists_skipped(make_application, roles):
    application = make_application("approved")
    response = client_for(roles["finance"]).post(
        "/api/v1/payout-batches/", {"applications": [application.pk]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "nothing_to_pay"
    assert [s["code"] for s in body["skipped"]] == ["not_awarded"]


def test_import_xlsx_result_file_over_api(batch, roles):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["申报编号", "状态", "凭证号", "日期", "失败原因"])
    references = list(batch.lines.order_by("position").values_list("reference", flat=True))
    sheet.append([references[0], "成功", "B-1", "2026-05-06", None])
    sheet.append([references[1], "失败", None, None, "户名不符"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "结果.xlsx"

    response = client_for(roles["finance"]).post(
        f"/api/v1/payout-batches/{batch.pk}/results/", {"file": buffer}, format="multipart"
    )

    assert response.status_code == 200
    assert [r["outcome"] for r in response.json()["rows"]] == ["paid", "failed"]
