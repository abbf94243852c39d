"""统一社会信用代码 (GB 32100-2015) validation and building."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.rules import USCC_ALPHABET, build_uscc, is_valid_uscc, uscc_check_character, validate_uscc

# Published codes of real organisations (national enterprise credit information system).
REAL_CODES = ["914403001922038216", "91440300708461136T", "91350100M000100Y43"]

uscc_bodies = st.builds(
    lambda registry, category, region, rest: registry + category + region + rest,
    st.sampled_from("123456789ANY"),
    st.sampled_from(USCC_ALPHABET),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code) is True
    assert validate_uscc(code) == code


def test_check_character_follows_the_weighted_sum_mod_31() -> None:
    # given the body of 914403001922038216: Σ value × weight = 831, 831 mod 31 = 25, 31 − 25 = 6
    body = "91440300192203821"

    # when
    check = uscc_check_character(body)

    # then
    assert check == "6"


def test_a_check_of_31_becomes_zero() -> None:
    # given a body whose weighted sum is 31: "1" × 1 + "A" (10) × 3, all other characters 0
    body = "1A000000000000000"

    # when / then
    assert uscc_check_character(body) == "0"


def test_surrounding_whitespace_and_lower_case_are_normalised() -> None:
    # given a code typed with spaces and lower case letters
    typed = "  91440300708461136t\n"

    # when
    code = validate_uscc(typed)

    # then
    assert code == "91440300708461136T"


def test_full_width_characters_are_folded() -> None:
    assert validate_uscc("９１４４０３００１９２２０３８２１６") == "914403001922038216"


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91440300192203821",  # 17 characters
        "9144030019220382160",  # 19 characters
        "91440300I92203821X",  # I is not in the alphabet
        "9144030O192203821X",  # O is not in the alphabet
        "91440300192203821S",  # S is not in the alphabet
        "914403 0192203821 ",  # inner space
        "01440300192203821X",  # 0 is not a registry code
        "B1440300192203821X",  # B is not a registry code
        "9144A300192203821X",  # region code must be digits
    ],
)
def test_malformed_codes_raise_invalid_format(code: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)

    assert error.value.code == "uscc_invalid_format"
    assert is_valid_uscc(code) is False


def test_a_wrong_check_character_raises_invalid_check() -> None:
    # given a real code with its last character changed
    code = "914403001922038217"

    # when / then
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)
    assert error.value.code == "uscc_invalid_check"
    assert str(error.value.message) == "统一社会信用代码校验位不正确，请核对后重新输入"


def test_a_non_string_is_invalid_format() -> None:
    with pytest.raises(ValidationError) as error:
        validate_uscc(None)  # type: ignore[arg-type]

    assert error.value.code == "uscc_invalid_format"


def test_build_uscc_appends_the_check_character() -> None:
    assert build_uscc("91440300708461136") == "91440300708461136T"


@pytest.mark.parametrize("body", ["9144030070846113", "01440300708461136", "9144030070846113I", "91A40300708461136"])
def test_build_uscc_refuses_an_invalid_body(body: str) -> None:
    with pytest.raises(ValueError):
        build_uscc(body)


@given(body=uscc_bodies)
def test_any_built_code_validates(body: str) -> None:
    # given any valid 17-character body / when built / then it validates unchanged
    code = build_uscc(body)

    assert len(code) == 18
    assert code[:17] == body
    assert validate_uscc(code) == code


@given(body=uscc_bodies, data=st.data())
def test_changing_the_check_character_invalidates_the_code(body: str, data: st.DataObject) -> None:
    # given a built code and any other check character
    code = build_uscc(body)
    other = data.draw(st.sampled_from([char for char in USCC_ALPHABET if char != code[-1]]))

    # when / then
    with pytest.raises(ValidationError) as error:
        validate_uscc(code[:-1] + other)
    assert error.value.code == "uscc_invalid_check"
