"""Payout exports (XLSX and CSV) and the payout API: authorization, masking, the whole path over HTTP."""

import csv
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import Organisation
from applications.models import State
from payouts import exports, services
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


def test_xlsx_list_has_header_block_columns_totals_capitals_signatures_and_prints_one_page_wide(batch, finance2):
    filename, content = services.export_batch(batch=batch, fmt="xlsx")

    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert filename.startswith(f"拨付清单_{batch.pk}_") and filename.endswith(".xlsx")
    block = {row[0]: row[2] for row in rows[1:7]}
    assert block["批次编号"] == str(batch.pk)
    assert block["制单人"].startswith(batch.created_by.get_full_name())
    assert block["复核人"].startswith(finance2.get_full_name()) and "复核时间" in block["复核人"]
    assert block["明细校验值（SHA-256）"] == batch.checksum
    assert block["笔数及合计"] == "共2笔，合计132,000.50元（人民币壹拾叁万贰仟元伍角整）"
    heading = next(i for i, row in enumerate(rows) if row[0] == "序号")
    assert tuple(rows[heading]) == HEADERS
    assert rows[heading][:7] == [
        "序号",
        "收款户名",
        "统一社会信用代码",
        "开户行",
        "开户行联行号",
        "收款账号",
        "金额（元）",
    ]
    totals_at = next(i for i, row in enumerate(rows) if row[0] == "合计")
    lines = rows[heading + 1 : totals_at]
    assert len(lines) == 2
    assert lines[0][1] == '\'=HYPERLINK("x")'
    assert lines[0][6] == 100000.0
    assert lines[1][7] == "人民币叁万贰仟元伍角整"
    totals = rows[totals_at]
    assert Decimal(str(totals[6])) == sum(Decimal(str(line[6])) for line in lines) == Decimal("132000.50")
    assert totals[7] == "人民币壹拾叁万贰仟元伍角整"
    signatures = [cell for row in rows[totals_at + 1 :] for cell in row if cell]
    assert any(str(cell).startswith("制单人（签字）") for cell in signatures)
    assert any(str(cell).startswith("复核人（签字）") for cell in signatures)
    assert sheet.page_setup.orientation == "landscape"
    # one page wide (fitToWidth absent means 1), as many pages down as the lines need
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == f"${heading + 1}:${heading + 1}"
    assert PayoutEvent.objects.filter(batch=batch, name="export").count() == 1


def test_bank_file_has_the_banks_columns_short_purpose_and_no_totals_row(batch, settings):
    settings.PAYOUT_PURPOSE_MAX_LENGTH = 12
    Organisation.objects.update(bank_cnaps="104584000003")
    filename, content = services.export_batch(batch=batch, fmt="csv")

    assert filename.startswith(f"银行代发文件_{batch.pk}_") and filename.endswith(".csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["收款户名", "收款账号", "开户行", "开户行联行号", "金额", "用途", "申报编号"]
    assert len(rows) == 3  # the heading and the two lines: no 合计 row to break a bulk upload
    assert rows[1][0] == '\'=HYPERLINK("x")'
    lines = list(batch.lines.order_by("position"))
    assert [row[6] for row in rows[1:]] == [line.reference for line in lines]
    assert [row[4] for row in rows[1:]] == ["100000.00", "32000.50"]
    assert all(len(row[5]) <= 12 for row in rows[1:]) and rows[1][5] == lines[0].purpose[:12]
    # the 联行号 is the one on file when the batch was built (a snapshot, like the account)
    assert [row[3] for row in rows[1:]] == [line.bank_cnaps for line in lines]


def test_streamed_bank_file_is_byte_for_byte_the_expected_file(batch, roles):
    lines = list(batch.lines.order_by("position"))
    expected = "\ufeff收款户名,收款账号,开户行,开户行联行号,金额,用途,申报编号\r\n"
    assert {line.bank_account_name for line in lines} == {'=HYPERLINK("x")'}  # one organisation, a formula
    for line in lines:
        formula = '"\'=HYPERLINK(""x"")"'  # neutralised, then quoted
        cells = (formula, line.bank_account_number, line.bank_name, line.bank_cnaps, f"{line.amount:.2f}")
        expected += ",".join((*cells, line.purpose[:20], line.reference)) + "\r\n"

    response = client_for(roles["finance"]).get(f"/api/v1/payout-batches/{batch.pk}/export/?format=csv")
    streamed = b"".join(response.streaming_content)

    assert streamed.decode("utf-8") == expected
    # a chunk of one row at a time gives the same bytes: rows are never split or joined differently
    assert b"".join(exports.iter_bank_csv(batch, rows_per_chunk=1)) == streamed


def test_result_template_is_prefilled_with_references_and_imports_back(batch, roles):
    filename, content = services.export_batch(batch=batch, fmt="results")

    assert filename.startswith(f"银行结果模板_{batch.pk}_")
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    references = list(batch.lines.order_by("position").values_list("reference", flat=True))
    assert rows[0][:4] == ["申报编号", "收款户名", "金额（元）", "状态"]
    assert [row[0] for row in rows[1:]] == references
    # the bank fills it in: one paid, one returned
    sheet["D2"], sheet["E2"], sheet["F2"] = "已到账", "B-1", "2026-05-06"
    sheet["D3"], sheet["G3"] = "退票", "户名不符"
    filled = io.BytesIO()
    workbook.save(filled)
    filled.seek(0)

    outcomes = services.import_bank_results(batch=batch, actor=roles["finance"], file=filled)

    assert [(o.reference, o.label) for o in outcomes] == [(references[0], "已到账"), (references[1], "拨付失败")]


def test_csv_export_is_streamed_over_the_api(batch, roles):
    response = client_for(roles["finance"]).get(f"/api/v1/payout-batches/{batch.pk}/export/?format=csv")

    assert response.status_code == 200 and response.streaming
    assert response["Cache-Control"] == "no-store"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("收款户名,收款账号")


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
    assert [(r["outcome"], r["result"]) for r in response.json()["rows"]] == [
        ("paid", "已到账"),
        ("failed", "拨付失败"),
    ]
