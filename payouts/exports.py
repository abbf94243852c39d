"""The files of an approved payout batch: the 拨付清单 for people, the bank's upload file, the result-file template.

- 拨付清单 (XLSX, XlsxWriter in constant memory): a header block (batch number, title, maker, checker, approval
  time, checksum, count and total), one row per line with the amount in capitals, a totals row and signature
  lines; printed landscape on A4, one page wide, the column headings repeated on every page.
- Bank upload file (CSV, UTF-8 with BOM): 收款户名, 收款账号, 开户行, 开户行联行号, 金额, 用途 (cut to
  ``settings.PAYOUT_PURPOSE_MAX_LENGTH``), 申报编号 as the reference the bank echoes back; no totals row, nothing
  but the heading and the lines, streamed row by row in constant memory.
- Result-file template (XLSX): each line's 申报编号 pre-filled, with the columns the import reads (状态, 凭证号,
  到账日期, 失败原因) for the bank or the clerk to fill in.

Text cells a spreadsheet would read as a formula are neutralised (STACK.md: formula injection).
"""

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any

import xlsxwriter
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.csv import FORMULA_PREFIXES, neutralise, neutralise_sql
from core.money import format_yuan, to_chinese_capitals
from payouts.models import PayoutBatch
from payouts.rules import bank_purpose, bank_purpose_sql

# The 拨付清单 for people.
HEADERS = (
    "序号",
    "收款户名",
    "统一社会信用代码",
    "开户行",
    "开户行联行号",
    "收款账号",
    "金额（元）",
    "金额大写",
    "用途",
    "申报编号",
)
AMOUNT_COLUMN = 6
LIST_FIELDS = (
    "position",
    "bank_account_name",
    "payee_uscc",
    "bank_name",
    "bank_cnaps",
    "bank_account_number",
    "amount",
    "purpose",
    "reference",
)
LIST_WIDTHS = (5, 30, 20, 24, 14, 22, 14, 30, 28, 16)
SIGNATURES = ("制单人（签字）：", "复核人（签字）：", "财务负责人（签字）：", "日期：")

# The bank's upload file.
BANK_HEADERS = ("收款户名", "收款账号", "开户行", "开户行联行号", "金额", "用途", "申报编号")
BANK_FIELDS = ("bank_account_name", "bank_account_number", "bank_name", "bank_cnaps", "amount", "purpose", "reference")

# The result-file template (the import's own column names).
RESULT_HEADERS = ("申报编号", "收款户名", "金额（元）", "状态", "凭证号", "到账日期", "失败原因")
RESULT_HINT = "状态填“已到账”或“失败”（也可写 成功、到账、已支付；退票、退回）；到账日期如 2026-05-06。"

FILE_PREFIXES = {"xlsx": "拨付清单", "csv": "银行代发文件", "results": "银行结果模板"}
FILE_EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "results": "xlsx"}


def export_filename(batch: PayoutBatch, fmt: str) -> str:
    """A Chinese file name: <kind>_<id>_<title>.<ext>, without characters file systems refuse."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "_", batch.title).strip("_")[:60]
    return f"{FILE_PREFIXES[fmt]}_{batch.pk}_{title}.{FILE_EXTENSIONS[fmt]}"


@lru_cache(maxsize=4096)
def capitals(amount: Decimal) -> str:
    """金额大写, computed once per distinct amount (awards repeat: unit amounts, caps)."""
    return to_chinese_capitals(amount)


def purpose_limit() -> int:
    return int(getattr(settings, "PAYOUT_PURPOSE_MAX_LENGTH", 20))


def _rows(batch: PayoutBatch, fields: tuple[str, ...]) -> Iterator[tuple]:
    yield from batch.lines.order_by("position").values_list(*fields).iterator(chunk_size=2000)


def _person(user: object) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.email


def _moment(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def header_block(batch: PayoutBatch) -> list[tuple[str, str]]:
    """The (label, value) pairs above the lines: who made and checked the batch, when, and its checksum."""
    return [
        ("批次编号", str(batch.pk)),
        ("批次名称", batch.title),
        ("制单人", f"{_person(batch.created_by)}（{_moment(batch.created_at)}）"),
        ("复核人", f"{_person(batch.approved_by)}（复核时间 {_moment(batch.approved_at)}）"),
        ("明细校验值（SHA-256）", batch.checksum),
        (
            "笔数及合计",
            f"共{batch.line_count}笔，合计{format_yuan(batch.total_amount)}元（{capitals(batch.total_amount)}）",
        ),
    ]


def write_xlsx(batch: PayoutBatch) -> bytes:
    """Write the 拨付清单 of an approved batch (header block, lines, totals, signature lines) and return its bytes."""
    batch = PayoutBatch.objects.select_related("created_by", "approved_by").get(pk=batch.pk)
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("拨付清单")
    title = workbook.add_format({"bold": True, "font_size": 15})
    label = workbook.add_format({"bold": True})
    heading = workbook.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF4", "text_wrap": True})
    text = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    number = workbook.add_format({"border": 1, "valign": "top"})
    money = workbook.add_format({"num_format": "#,##0.00", "border": 1, "valign": "top"})
    bold_money = workbook.add_format({"num_format": "#,##0.00", "bold": True, "border": 1})
    bold_text = workbook.add_format({"bold": True, "border": 1})
    for column, width in enumerate(LIST_WIDTHS):
        sheet.set_column(column, column, width)
    # Printing: landscape A4, one page wide (as many pages down as needed), headings repeated, pages numbered.
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    sheet.write_string(0, 0, "质量品牌领域专项资金拨付清单", title)
    row_index = 1
    for name, value in header_block(batch):
        sheet.write_string(row_index, 0, name, label)
        sheet.write_string(row_index, 2, neutralise(value))
        row_index += 1
    row_index += 1
    heading_row = row_index
    sheet.repeat_rows(heading_row)
    sheet.write_row(heading_row, 0, HEADERS, heading)
    count, total = 0, Decimal("0.00")
    for row in _rows(batch, LIST_FIELDS):
        row_index += 1
        position, name, uscc, bank, cnaps, account, amount, purpose, reference = row
        sheet.write_number(row_index, 0, position, number)
        for column, value in ((1, name), (2, uscc), (3, bank), (4, cnaps), (5, account)):
            sheet.write_string(row_index, column, neutralise(value), text)
        sheet.write_number(row_index, AMOUNT_COLUMN, float(amount), money)
        sheet.write_string(row_index, 7, capitals(amount), text)
        sheet.write_string(row_index, 8, neutralise(purpose), text)
        sheet.write_string(row_index, 9, neutralise(reference), text)
        count += 1
        total += amount
    row_index += 1
    sheet.write_string(row_index, 0, "合计", bold_text)
    sheet.write_string(row_index, 1, f"共{count}笔", bold_text)
    for column in (2, 3, 4, 5, 8, 9):
        sheet.write_blank(row_index, column, None, bold_text)
    sheet.write_number(row_index, AMOUNT_COLUMN, float(total), bold_money)
    sheet.write_string(row_index, 7, capitals(total), bold_text)
    row_index += 3
    for column, name in zip((0, 3, 6, 8), SIGNATURES, strict=True):
        sheet.write_string(row_index, column, name + "＿＿＿＿＿＿", label)
    workbook.close()
    return output.getvalue()


def iter_bank_csv(batch: PayoutBatch, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """Yield the bank's upload file in UTF-8 with a BOM, a chunk of rows at a time (constant memory).

    On PostgreSQL the database writes each chunk of lines (``bank_csv_sql``); elsewhere Python does
    (``iter_bank_csv_in_python``). The bytes are the same.
    """
    if connection.vendor == "postgresql":
        return iter_bank_csv_in_database(batch, rows_per_chunk)
    return iter_bank_csv_in_python(batch, rows_per_chunk)


def _heading() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(BANK_HEADERS)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def bank_csv_sql(batch_id: int, limit: int) -> str:
    """``COPY`` of the batch's lines, in position order, as ``iter_bank_csv_in_python`` writes them but each ended by
    LF (``iter_bank_csv_in_database`` makes it CR LF). The rules are the Python ones in SQL, built next to each
    (``core.csv.neutralise_sql``, ``payouts.rules.bank_purpose_sql``); COPY's CSV quoting is ``csv.writer``'s
    (``core.csv.CSV_QUOTED_CHARACTERS``); the amount is numeric(·, 2) text, always with two decimals, as
    ``f"{amount:.2f}"`` writes it. The 用途 is worked out once per distinct purpose (a batch's lines share a few),
    then joined to the lines: the regular expression per line was most of the time.
    """
    cells = {field: neutralise_sql(f"line.{field}") for field in BANK_FIELDS}
    cells["amount"] = "line.amount"
    cells["purpose"] = "purposes.cell"
    columns = ", ".join(cells[field] for field in BANK_FIELDS)
    batch = int(batch_id)
    cell = neutralise_sql(bank_purpose_sql("purpose", limit))
    return (
        f"COPY (SELECT {columns} FROM payouts_payoutline line "  # noqa: S608 (constants and an integer)
        f"JOIN (SELECT purpose, {cell} AS cell FROM payouts_payoutline WHERE batch_id = {batch} GROUP BY purpose) "
        f"purposes ON purposes.purpose = line.purpose "
        f"WHERE line.batch_id = {batch} ORDER BY line.position) TO STDOUT WITH (FORMAT csv)"
    )


def iter_bank_csv_in_database(batch: PayoutBatch, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """``iter_bank_csv`` on PostgreSQL: ``bank_csv_sql``'s rows, each LF made CR LF, ``rows_per_chunk`` at a time.

    COPY sends one message per row, each ended by its LF; an LF inside a field is quoted and stays as it is, as
    ``csv.writer`` leaves it. So a chunk with as many LFs as rows has its LFs replaced at once; another chunk has
    each row's last byte replaced. The connection is busy with the COPY until the file is read to its end or the
    iterator closed (which cancels it).
    """
    yield _heading()
    rows_per_chunk = max(int(rows_per_chunk), 1)
    with connection.cursor() as cursor, cursor.cursor.copy(bank_csv_sql(batch.pk, purpose_limit())) as copy:
        rows: list[Any] = []
        for row in copy:
            rows.append(row)
            if len(rows) >= rows_per_chunk:
                yield _crlf(rows)
                rows = []
        if rows:
            yield _crlf(rows)


def _crlf(rows: list[Any]) -> bytes:
    chunk = b"".join(rows)
    if chunk.count(b"\n") == len(rows):
        return chunk.replace(b"\n", b"\r\n")
    return b"".join(bytes(row[:-1]) + b"\r\n" for row in rows)


def iter_bank_csv_in_python(batch: PayoutBatch, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """``iter_bank_csv`` written by Python (SQLite, and the reference the PostgreSQL file is tested against).

    The rows come from a server-side cursor; each chunk is written by one ``writerows`` into a reused buffer, and
    the formula check is done inline (``core.csv.neutralise``'s rule): the per-row calls were most of the time.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    limit = purpose_limit()
    yield _heading()
    prefixes = FORMULA_PREFIXES

    def safe(value: str | None) -> str:
        if not value:
            return ""
        return "'" + value if value.startswith(prefixes) else value

    chunk: list[tuple[str, ...]] = []
    for name, account, bank, cnaps, amount, purpose, reference in _rows(batch, BANK_FIELDS):
        chunk.append(
            (
                safe(name),
                safe(account),
                safe(bank),
                safe(cnaps),
                f"{amount:.2f}",
                safe(bank_purpose(purpose, limit)),
                safe(reference),
            )
        )
        if len(chunk) >= rows_per_chunk:
            yield _written(buffer, writer, chunk)
            chunk = []
    if chunk:
        yield _written(buffer, writer, chunk)


def _written(buffer: io.StringIO, writer: Any, rows: list[tuple[str, ...]]) -> bytes:
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_csv(batch: PayoutBatch) -> bytes:
    """The bank's upload file as bytes (``iter_bank_csv`` joined)."""
    return b"".join(iter_bank_csv(batch))


def write_result_template(batch: PayoutBatch) -> bytes:
    """An XLSX the bank (or the clerk) fills in and the import reads: each line's 申报编号, payee and amount."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("银行结果")
    heading = workbook.add_format({"bold": True, "bg_color": "#E8EEF4"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "@"})
    for column, width in enumerate((16, 30, 14, 10, 20, 12, 24)):
        sheet.set_column(column, column, width, day if column == 5 else None)
    sheet.write_row(0, 0, RESULT_HEADERS, heading)
    row_index = 0
    for reference, name, amount in _rows(batch, ("reference", "bank_account_name", "amount")):
        row_index += 1  # noqa: SIM113 (the row of the sheet, not a count)
        sheet.write_string(row_index, 0, neutralise(reference))
        sheet.write_string(row_index, 1, neutralise(name))
        sheet.write_number(row_index, 2, float(amount), money)
    notes = workbook.add_worksheet("填写说明")  # a sheet of its own: the import reads the first sheet only
    notes.set_column(0, 0, 100)
    notes.write_string(0, 0, RESULT_HINT)
    notes.write_string(1, 0, "请勿修改“申报编号”列；导入时逐行报告结果，编号不在本批次的行不会登记。")
    workbook.close()
    return output.getvalue()
