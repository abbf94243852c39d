"""The bank file PostgreSQL writes (``payouts.exports.bank_csv_sql``) is byte for byte the file Python writes.

The lines of a draft batch (built through the workflow; a draft's lines may still change) are given adversarial
text: every character ``str.split()`` splits on, quotes, commas, CR and LF, each formula prefix, spaces at both
ends, empty cells, Chinese, and purposes longer than the limit with whitespace around the cut. Every value goes
through every text column, and the files are compared under several purpose limits and chunk sizes.
"""

import csv
import io
import itertools
import sys

import pytest

from core.csv import CSV_QUOTED_CHARACTERS, FORMULA_PREFIXES
from payouts import exports, services
from payouts.models import PayoutLine
from payouts.rules import WHITESPACE, bank_purpose

pytestmark = pytest.mark.django_db

TEXT_FIELDS = ("bank_account_name", "bank_account_number", "bank_name", "bank_cnaps", "purpose", "reference")
SHORTEST = min(PayoutLine._meta.get_field(field).max_length for field in TEXT_FIELDS)  # 联行号: 12

VALUES = [
    "",
    " ",
    "深圳市质量品牌",
    '"',
    '""',
    'a"b',
    "a,b",
    ",",
    "\r",
    "\n",
    "\r\n",
    "a\rb",
    "a\nb",
    "'=1",
    "=SUM(A1)",
    "+86",
    "-1",
    "@x",
    "\t1",
    "\r1",
    "=",
    ' "=1", ',
    "  首尾空格  ",
    "\u3000全角\u3000",
    '中,文"引号',
    '-\n"',
    "\\.",
    "\\",
    "\\N",
    "😀=𠀀",
    *(f"a{c}{c}b{c}" for c in WHITESPACE),
    *(f"{c}x" for c in WHITESPACE),
    "".join(WHITESPACE[:SHORTEST]),
    "".join(WHITESPACE[-SHORTEST:]),
]

# Purposes around a cut: runs of whitespace before, at and after the limit, and a formula prefix behind spaces.
PURPOSES = [
    "2026年质量品牌专项资金 \t\n 拨付资金（第一批）",
    "  =2026年度" + "\u2000\u2001\u2002" + "质量" * 20,
    "一二三四五六" + " " * 5 + "七八九十" + "\x85\xa0" + "甲乙丙丁" * 10,
    " " * 30 + "\r\n" + "-" + "字" * 40,
    "".join(WHITESPACE) + "中" + "".join(WHITESPACE) + "文" + "".join(WHITESPACE),
    'x"' * 100,
    ",\r\n" * 90,
]


def test_the_whitespace_is_what_str_split_splits_on():
    assert set(WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert len(WHITESPACE) == len(set(WHITESPACE))
    assert all(bank_purpose(f"a{c}b", 20) == "a b" for c in WHITESPACE)


def test_the_quoted_characters_are_the_ones_csv_writer_quotes():
    for value in (*VALUES, *map(chr, range(1, 0x3100))):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(("", value))
        quoted = any(c in value for c in CSV_QUOTED_CHARACTERS)
        assert buffer.getvalue() == ("," + ('"' + value.replace('"', '""') + '"' if quoted else value) + "\r\n")


@pytest.fixture
def draft(make_awarded, roles):
    applications = [make_awarded("100000.00"), make_awarded("0.05"), make_awarded("32000.50")]
    batch, _ = services.create_batch(actor=roles["finance"], applications=applications)
    return batch


def same_files(batch):
    python = b"".join(exports.iter_bank_csv_in_python(batch))
    for rows_per_chunk in (1, 2, 500):
        assert b"".join(exports.iter_bank_csv_in_database(batch, rows_per_chunk)) == python
    return python


@pytest.mark.postgres
def test_the_file_postgresql_writes_is_the_file_python_writes(draft, settings):
    lines = list(draft.lines.order_by("position"))
    assert len(lines) == 3
    # Every value in every text column: the values laid out so that each column meets each of them once.
    for shift in range(len(VALUES)):
        for offset, line in enumerate(lines):
            for column, field in enumerate(TEXT_FIELDS):
                value = VALUES[(shift + offset * len(TEXT_FIELDS) + column) % len(VALUES)]
                setattr(line, field, value)
        PayoutLine.objects.bulk_update(lines, TEXT_FIELDS)
        for limit in (20, 1):
            settings.PAYOUT_PURPOSE_MAX_LENGTH = limit
            same_files(draft)
    # The long purposes, cut at every limit from 0 (one character is kept) to past their end.
    for start in range(len(PURPOSES)):
        for offset, line in enumerate(lines):
            line.purpose = PURPOSES[(start + offset) % len(PURPOSES)]
        PayoutLine.objects.bulk_update(lines, ["purpose"])
        for limit in range(0, 45):
            settings.PAYOUT_PURPOSE_MAX_LENGTH = limit
            same_files(draft)
    settings.PAYOUT_PURPOSE_MAX_LENGTH = 20
    PayoutLine.objects.filter(pk=lines[0].pk).update(purpose=PURPOSES[0])
    content = same_files(draft)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert [row[4] for row in rows[1:]] == ["100000.00", "0.05", "32000.50"]
    assert rows[1][5] == "2026年质量品牌专项资金 拨付资金（第"


@pytest.mark.postgres
def test_the_file_keeps_formula_prefixes_neutralised(draft):
    lines = list(draft.lines.order_by("position"))
    for line, prefix in zip(itertools.cycle(lines), FORMULA_PREFIXES, strict=False):
        line.bank_name = prefix + "银行"
        line.save(update_fields=["bank_name"])
        content = same_files(draft)
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        assert "'" + prefix + "银行" in [row[2] for row in rows[1:]]
