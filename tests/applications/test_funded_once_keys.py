"""A certificate, accreditation or honour key is funded at most once ever (SPEC §3), whoever holds it: a second
organisation claiming a key that another has in a live application counts 0 with ``already_funded``; keys are
compared as people mean them (full-width characters, zero-width spaces, case and spacing folded)."""

import pytest
from django.core.exceptions import ValidationError

from applications import services
from tests.applications.conftest import certificate_units, pdf, valid_data

pytestmark = pytest.mark.django_db


def submitted_with(owner, call, program, key: str):
    application = services.create_application(
        actor=owner, call=call, program=program, data=valid_data(units=[{**certificate_units("50000")[0], "key": key}])
    )
    services.add_attachment(application=application, actor=owner, kind="certificate", uploaded_file=pdf())
    return services.submit_application(application=application, actor=owner)


def draft_with(owner, call, program, key: str):
    return services.create_application(
        actor=owner, call=call, program=program, data=valid_data(units=[{**certificate_units("50000")[0], "key": key}])
    )


@pytest.mark.parametrize(
    "typed",
    ["CQC-GP-2025-0088", "cqc-gp-2025-0088 ", "ＣＱＣ－ＧＰ－２０２５－００８８", "CQC-GP-2025\u200b-0088"],
)
def test_a_key_another_organisation_has_in_a_live_application_counts_zero(typed, roles, open_call, certificate_program):
    submitted_with(roles["owner"], open_call, certificate_program, "CQC-GP-2025-0088")

    second = draft_with(roles["other"], open_call, certificate_program, typed)

    unit = second.units.get()
    assert (unit.counted_amount, unit.reason_code) == (0, "already_funded")
    assert second.standard_amount == 0


def test_the_second_organisation_cannot_submit_the_key(roles, open_call, certificate_program):
    submitted_with(roles["owner"], open_call, certificate_program, "CQC-GP-2025-0088")
    second = draft_with(roles["other"], open_call, certificate_program, "ＣＱＣ－ＧＰ－２０２５－００８８")
    services.add_attachment(application=second, actor=roles["other"], kind="certificate", uploaded_file=pdf())

    with pytest.raises(ValidationError) as refused:
        services.submit_application(application=second, actor=roles["other"])

    assert "already_funded" in {error.code for error in refused.value.error_list}
    second.refresh_from_db()
    assert second.state == "draft"


def test_a_withdrawn_application_frees_its_key(roles, open_call, certificate_program):
    first = submitted_with(roles["owner"], open_call, certificate_program, "CQC-GP-2025-0088")
    services.withdraw_application(application=first, actor=roles["owner"])

    second = draft_with(roles["other"], open_call, certificate_program, "CQC-GP-2025-0088")

    assert second.units.get().reason_code == ""


def test_one_key_typed_twice_in_two_forms_is_one_unit(roles, open_call, certificate_program):
    units = [
        {**certificate_units("50000")[0], "key": "CNCA-123"},
        {**certificate_units("50000")[0], "key": "ＣＮＣＡ－１２３"},
    ]

    with pytest.raises(ValidationError) as refused:
        services.create_application(
            actor=roles["owner"], call=open_call, program=certificate_program, data=valid_data(units=units)
        )

    assert refused.value.error_dict["units"][0].code == "duplicate_unit_key"
