"""Payout list files for the bank/treasury: XLSX (XlsxWriter, constant memory) and CSV (UTF-8 with BOM).

Columns per SPEC §4, then the 申报编号 the bank echoes back in its result file; a totals row ends the list.
Text cells a spreadsheet would read as a formula are neutralised (STACK.md: formula injection).
"""

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal

import xlsxwriter

from core.money import to_chinese_capitals
from payouts.models import PayoutBatch
from payouts.rules import neutralise

HEADERS = (
    "序号",
    "单位名称",
    "统一社会信用代码",
    "开户银行",
    "银行账号",
    "金额（元）",
    "金额大写",
    "项目名称",
    "用途",
    "申报编号",
)
AMOUNT_COLUMN = 5
FIELDS = (
    "position",
    "payee_name",
    "payee_uscc",
    "bank_name",
    "bank_account_number",
    "amount",
    "program_name",
    "purpose",
    "reference",
)


def export_filename(batch: PayoutBatch, fmt: str) -> str:
    """A Chinese file name: 拨付清单_<id>_<title>.<fmt>, without characters file systems refuse."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "_", batch.title).strip("_")[:60]
    return f"拨付清单_{batch.pk}_{title}.{fmt}"


def _rows(batch: PayoutBatch) -> Iterator[tuple[int, str, str, str, str, Decimal, str, str, str]]:
    yield from batch.lines.order_by("position").values_list(*FIELDS).iterator(chunk_size=2000)


def _line_cells(row: tuple) -> list:
    position, name, uscc, bank, account, amount, program, purpose, reference = row
    return [
        position,
        neutralise(name),
        neutralise(uscc),
        neutralise(bank),
        neutralise(account),
        amount,
        to_chinese_capitals(amount),
        neutralise(program),
        neutralise(purpose),
        neutralise(reference),
    ]


def _totals(count: int, total: Decimal) -> list:
    return ["合计", f"共{count}笔", "", "", "", total, to_chinese_capitals(total), "", "", ""]


def write_xlsx(batch: PayoutBatch) -> bytes:
    """Write the batch as an XLSX workbook, row by row (constant memory), and return its bytes."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("拨付清单")
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    bold_money = workbook.add_format({"num_format": "#,##0.00", "bold": True})
    for column, width in enumerate((6, 36, 22, 28, 26, 16, 36, 30, 40, 18)):
        sheet.set_column(column, column, width)
    sheet.write_row(0, 0, HEADERS, bold)
    count, total, row_index = 0, Decimal("0.00"), 0
    for row in _rows(batch):
        row_index += 1
        cells = _line_cells(row)
        for column, value in enumerate(cells):
            if column == AMOUNT_COLUMN:
                sheet.write_number(row_index, column, float(value), money)
            elif column == 0:
                sheet.write_number(row_index, column, value)
            else:
                sheet.write_string(row_index, column, value)
        count += 1
        total += row[5]
    row_index += 1
    for column, value in enumerate(_totals(count, total)):
        if column == AMOUNT_COLUMN:
            sheet.write_number(row_index, column, float(value), bold_money)
        else:
            sheet.write_string(row_index, column, value, bold)
    workbook.close()
    return output.getvalue()


def write_csv(batch: PayoutBatch) -> bytes:
    """Write the batch as CSV in UTF-8 with a BOM (so Excel reads the Chinese) and return its bytes."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    count, total = 0, Decimal("0.00")
    for row in _rows(batch):
        cells = _line_cells(row)
        cells[AMOUNT_COLUMN] = f"{row[5]:.2f}"
        writer.writerow(cells)
        count += 1
        total += row[5]
    totals = _totals(count, total)
    totals[AMOUNT_COLUMN] = f"{total:.2f}"
    writer.writerow(totals)
    return buffer.getvalue().encode("utf-8")
