"""A simulation's comparison as an XLSX workbook (XlsxWriter, constant memory): programs, organisations, lines."""

import io
from decimal import Decimal

import xlsxwriter

from applications.models import State
from simulator.models import Simulation, SimulationLine
from simulator.services import organisation_comparison

PROGRAM_HEADERS = [
    "规则",
    "项目编号",
    "项目名称",
    "申报数",
    "标准金额合计",
    "超数量上限核减",
    "重复编号核减",
    "单位上限核减",
    "年度资助总额",
    "折算系数",
    "核定金额合计",
]
ORGANISATION_HEADERS = ["申报单位", "申报数", "现行核定金额", "候选核定金额", "增减"]
LINE_HEADERS = [
    "序号",
    "申报编号",
    "申报单位",
    "申报状态",
    "现行项目",
    "现行标准金额",
    "现行超数量上限",
    "现行重复编号",
    "现行单位上限核减",
    "现行折算系数",
    "现行核定金额",
    "候选项目",
    "候选标准金额",
    "候选超数量上限",
    "候选重复编号",
    "候选单位上限核减",
    "候选折算系数",
    "候选核定金额",
    "增减",
    "说明",
]


def _neutral(text: str) -> str:
    """A cell starting with = + - @ TAB or CR is prefixed with ' so a spreadsheet never reads it as a formula."""
    return f"'{text}" if text and text[0] in "=+-@\t\r" else text


def _write(sheet: xlsxwriter.worksheet.Worksheet, row: int, values: list, money: object) -> None:
    for column, value in enumerate(values):
        if isinstance(value, Decimal):
            sheet.write_number(row, column, float(value), money)
        elif isinstance(value, int):
            sheet.write_number(row, column, value)
        elif value is None:
            sheet.write_blank(row, column, None)
        else:
            sheet.write_string(row, column, _neutral(str(value)))


def write_xlsx(simulation: Simulation) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})

    sheet = workbook.add_worksheet("项目对比")
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 2, 30)
    sheet.set_column(3, 10, 16)
    sheet.write_row(0, 0, PROGRAM_HEADERS, bold)
    row = 0
    for side, label in (("base", "现行"), ("candidate", "候选")):
        for p in simulation.summary.get(side, []):
            row += 1
            _write(
                sheet,
                row,
                [
                    label,
                    p["code"],
                    p["name"],
                    p["count"],
                    Decimal(p["standard_total"]),
                    Decimal(p["count_cut_total"]),
                    Decimal(p["key_cut_total"]),
                    Decimal(p["org_cut_total"]),
                    None if p["budget"] is None else Decimal(p["budget"]),
                    "足额" if p["factor"] is None else p["factor"],
                    Decimal(p["allocated_total"]),
                ],
                money,
            )

    sheet = workbook.add_worksheet("单位对比")
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 4, 16)
    sheet.write_row(0, 0, ORGANISATION_HEADERS, bold)
    for row, org in enumerate(organisation_comparison(simulation).order_by("delta", "organisation__name"), 1):
        _write(
            sheet,
            row,
            [org["organisation__name"], org["applications"], org["base"], org["candidate"], org["delta"]],
            money,
        )

    sheet = workbook.add_worksheet("申报明细")
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 3, 22)
    sheet.set_column(4, 19, 14)
    sheet.write_row(0, 0, LINE_HEADERS, bold)
    lines = (
        SimulationLine.objects.filter(simulation=simulation)
        .order_by("position")
        .values_list(
            "position",
            "application__reference",
            "organisation__name",
            "state",
            "base_program__code",
            "base_standard",
            "base_count_cut",
            "base_key_cut",
            "base_org_cut",
            "base_factor",
            "base_allocated",
            "candidate_program__code",
            "candidate_standard",
            "candidate_count_cut",
            "candidate_key_cut",
            "candidate_org_cut",
            "candidate_factor",
            "candidate_allocated",
            "delta",
            "note",
        )
    )
    for row, values in enumerate(lines.iterator(chunk_size=2000), 1):
        values = list(values)
        for index in (9, 16):  # factors: blank when funded in full
            values[index] = "足额" if values[index] is None else str(values[index])
        values[1] = values[1] or ""
        values[3] = str(State(values[3]).label)
        values[11] = values[11] or "—"
        _write(sheet, row, values, money)
    workbook.close()
    return output.getvalue()
