"""Money formatting: Chinese capitals, yuan with separators, the 万 short form."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import format_yuan, to_chinese_capitals, to_wan

_DIGIT_VALUES = {char: value for value, char in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def parse_capitals(text: str) -> int:
    """Read capitals written by to_chinese_capitals back into fen (test oracle, amounts below 1万亿)."""
    body = text.removeprefix("人民币").removesuffix("整")
    yuan_text, _, fraction_text = body.partition("元") if "元" in body else ("", "", body)
    total = section = number = 0
    for char in yuan_text:
        if char in _DIGIT_VALUES:
            number = _DIGIT_VALUES[char]
        elif char in _SMALL_UNITS:
            section += number * _SMALL_UNITS[char]
            number = 0
        elif char == "万":
            total += (section + number) * 10_000
            section = number = 0
        elif char == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        else:
            raise AssertionError(f"unexpected character {char!r} in {text!r}")
    yuan = total + section + number
    jiao = fen = number = 0
    for char in fraction_text:
        if char in _DIGIT_VALUES:
            number = _DIGIT_VALUES[char]
        elif char == "角":
            jiao, number = number, 0
        elif char == "分":
            fen, number = number, 0
        else:
            raise AssertionError(f"unexpected character {char!r} in {text!r}")
    return yuan * 100 + jiao * 10 + fen


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1000005.10", "人民币壹佰万零伍元壹角整"),
        ("132000", "人民币壹拾叁万贰仟元整"),
        ("132000.00", "人民币壹拾叁万贰仟元整"),
        ("0", "人民币零元整"),
        ("0.00", "人民币零元整"),
        ("0.05", "人民币伍分"),
        ("0.50", "人民币伍角整"),
        ("5.05", "人民币伍元零伍分"),
        ("100000000", "人民币壹亿元整"),
        ("100010000", "人民币壹亿零壹万元整"),
        ("10100000", "人民币壹仟零壹拾万元整"),
        ("3000000", "人民币叁佰万元整"),
        ("1.23", "人民币壹元贰角叁分"),
        ("10", "人民币壹拾元整"),
        ("1001", "人民币壹仟零壹元整"),
        ("100500", "人民币壹拾万零伍佰元整"),
        ("100001000", "人民币壹亿零壹仟元整"),
        ("2000000500", "人民币贰拾亿零伍佰元整"),
        ("999999999999.99", "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_capitals_match_the_financial_writing_rules(amount: str, expected: str) -> None:
    # given an amount in yuan / when written in capitals / then the text is exact
    assert to_chinese_capitals(Decimal(amount)) == expected


def test_capitals_accept_trailing_zero_places() -> None:
    # given zeros past the fen, which carry no value
    amount = Decimal("1.2300")

    # when / then
    assert to_chinese_capitals(amount) == "人民币壹元贰角叁分"


@pytest.mark.parametrize("amount", [Decimal("-0.01"), Decimal("1.234"), Decimal("1000000000000"), Decimal("NaN")])
def test_capitals_refuse_negative_sub_fen_huge_or_nan_amounts(amount: Decimal) -> None:
    with pytest.raises(ValueError):
        to_chinese_capitals(amount)


def test_capitals_refuse_float() -> None:
    with pytest.raises(TypeError):
        to_chinese_capitals(1.5)  # type: ignore[arg-type]


@given(cents=st.integers(min_value=0, max_value=10**14 - 1))
def test_capitals_start_with_renminbi_and_end_with_zheng_exactly_when_fen_is_zero(cents: int) -> None:
    # given any amount below 1万亿 yuan, as a whole number of fen
    amount = Decimal(cents).scaleb(-2)

    # when
    text = to_chinese_capitals(amount)

    # then
    assert text.startswith("人民币")
    assert text.endswith("整") == (cents % 10 == 0)
    assert "零零" not in text


@given(cents=st.integers(min_value=0, max_value=10**14 - 1))
def test_capitals_read_back_to_the_same_amount(cents: int) -> None:
    # given any amount below 1万亿 yuan / when written and read back / then nothing is lost
    assert parse_capitals(to_chinese_capitals(Decimal(cents).scaleb(-2))) == cents


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1320000", "1,320,000.00"),
        ("0", "0.00"),
        ("999.5", "999.50"),
        ("1234567.891", "1,234,567.89"),
        ("0.005", "0.01"),
        ("-50000", "-50,000.00"),
    ],
)
def test_format_yuan_groups_thousands_with_two_decimals(amount: str, expected: str) -> None:
    assert format_yuan(Decimal(amount)) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("3000000", "300万"),
        ("32000", "3.2万"),
        ("5000", "0.5万"),
        ("50000.00", "5万"),
        ("800000", "80万"),
        ("12345.67", "1.234567万"),
        ("0.00", "0万"),
        ("100000000", "10000万"),
    ],
)
def test_to_wan_drops_trailing_zeros(amount: str, expected: str) -> None:
    assert to_wan(Decimal(amount)) == expected
