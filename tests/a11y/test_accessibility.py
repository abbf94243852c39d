"""axe-core over the public and the applicant's pages, with realistic data, desktop and phone-sized.

A page fails on a serious or critical violation of a WCAG 2.0 A/AA rule (the tags wcag2a, wcag2aa); best-practice
rules and minor or moderate impacts are reported in the failure message and in test-artifacts/a11y/<test>.json.
One check of ours runs beside axe and fails too: every id an aria-describedby names exists (axe only marks a dangling
one "needs review"; it is how a field's help text and errors reach a screen reader). Forms are also audited after a
refused submission, so that their error summaries and field errors are checked too.
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}

ERRORS = ".error-summary, .errorlist, .error-text, .field-error"


def submit_refused(page, form: str, fill: dict[str, str] | None = None) -> None:
    """Fill some fields, then submit ``form`` skipping the browser's own checks, so that the server's errors show."""
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    page.locator(form).evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.locator(form).locator("[type=submit]").last.click()
    expect(page.locator(ERRORS).first).to_be_visible()


def test_public_pages_have_no_serious_accessibility_violations(auditor, portal):
    page = auditor.open()
    program_path = f"/programs/{portal.program.code}/"
    for name, path in [
        ("home", "/"),
        ("program catalogue", "/programs/"),
        ("program", program_path),
        ("call", f"/programs/calls/{portal.call.pk}/"),
        ("publicity list", "/publicity/"),
        ("publicity notice", f"/publicity/{portal.notice.pk}/"),
        ("award notice verification", f"/verify/{portal.verification_code}/"),
        ("password reset", "/accounts/password/reset/"),
    ]:
        auditor.visit(page, name, path)
    auditor.visit(page, "award notice not found", "/verify/NO-SUCH-CODE/", status=404)

    auditor.go(page, "objection form", f"/publicity/{portal.notice.pk}/")
    submit_refused(page, "main form.form", {"textarea[name=content]": "该企业的认证证书已被撤销。"})
    auditor.audit(page, "objection form with errors")

    auditor.visit(page, "login", "/accounts/login/")
    submit_refused(page, "main form", {"input[name=login]": "applicant1@demo.local", "input[name=password]": "wrong"})
    auditor.audit(page, "login with errors")

    auditor.visit(page, "sign-up", "/accounts/signup/")
    submit_refused(page, "main form", {"input[name=email]": "applicant1@demo.local", "input[name=password1]": "123"})
    auditor.audit(page, "sign-up with errors")

    phone = auditor.open(viewport=PHONE)
    for name, path in [("home", "/"), ("program", program_path), ("notice", f"/publicity/{portal.notice.pk}/")]:
        auditor.visit(phone, name, path)

    auditor.assert_no_serious_violations()


def test_applicant_pages_have_no_serious_accessibility_violations(auditor, portal):
    page = auditor.open(portal.applicant)
    draft, awarded = portal.draft.pk, portal.awarded.pk
    for name, path in [
        ("my applications", "/me/applications/"),
        ("organisation", "/me/organisation/"),
        ("members", "/me/organisation/members/"),
        ("new application", "/me/applications/new/"),
        ("step: units", f"/me/applications/{draft}/edit/units/"),
        ("step: program fields", f"/me/applications/{portal.fields_draft.pk}/edit/fields/"),
        ("step: targets", f"/me/applications/{draft}/edit/targets/"),
        ("step: attachments", f"/me/applications/{draft}/edit/attachments/"),
        ("step: declarations", f"/me/applications/{draft}/edit/declarations/"),
        ("step: review", f"/me/applications/{draft}/edit/review/"),
        ("draft application", f"/me/applications/{draft}/"),
        ("paid application", f"/me/applications/{awarded}/"),
        ("notifications", "/me/applications/notifications/"),
        ("performance report", f"/me/evaluations/{awarded}/report/"),
    ]:
        auditor.visit(page, name, path)

    auditor.go(page, "units step", f"/me/applications/{draft}/edit/units/")
    submit_refused(page, "main form.form", {"input[name$='-claim_amount'] >> nth=0": "九万"})
    auditor.audit(page, "units step with errors")

    auditor.go(page, "performance report", f"/me/evaluations/{awarded}/report/")
    submit_refused(page, "main form.form")
    auditor.audit(page, "performance report with errors")

    newcomer = auditor.open(portal.newcomer)
    auditor.visit(newcomer, "organisation registration", "/me/organisation/register/")
    submit_refused(newcomer, "main form.form", {"input[name=uscc]": "91440300MA5FPC0110"})
    auditor.audit(newcomer, "organisation registration with errors")

    phone = auditor.open(portal.applicant, viewport=PHONE)
    for name, path in [
        ("my applications", "/me/applications/"),
        ("step: units", f"/me/applications/{draft}/edit/units/"),
        ("draft application", f"/me/applications/{draft}/"),
    ]:
        auditor.visit(phone, name, path)

    auditor.assert_no_serious_violations()
