"""The organisation's 开户行联行号 (CNAPS code): 12 digits, checked, snapshot on the payout line."""

import pytest
from django.core.exceptions import ValidationError

from accounts.rules import validate_cnaps


@pytest.mark.parametrize("code", ["104584000003", " 102584000016 ", ""])
def test_valid_cnaps_codes_pass(code):
    assert validate_cnaps(code) == code.strip()


@pytest.mark.parametrize("code", ["10458400000", "1045840000031", "10458400000X", "000584000003", "104000000003"])
def test_other_values_are_refused_with_a_code_and_a_chinese_message(code):
    with pytest.raises(ValidationError) as error:
        validate_cnaps(code)
    assert error.value.code == "cnaps_invalid"
    assert "12位数字" in error.value.messages[0]
