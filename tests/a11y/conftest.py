"""Fixtures of the accessibility tests: axe-core from node_modules, in Debian's Chromium, against the live server.

axe-core is a devDependency in package.json (exact version in package-lock.json); ``npm ci`` at the repository
root installs it. The browser lives for one test, as in tests/e2e: Playwright's sync API keeps an asyncio loop in the
main thread, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for these tests only. With ``A11Y_SCREENSHOTS=1`` every
audited page is also saved as a PNG in test-artifacts/a11y/.
"""

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.browser import TIMEOUT_MS, live_chromium

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "a11y"

# What fails a page: a WCAG 2.0 A/AA rule broken with impact serious or critical. Best-practice rules and minor or
# moderate impacts are reported (in the failure message and in test-artifacts/a11y/<test>.json) but do not fail.
WCAG_TAGS = ("wcag2a", "wcag2aa")
FAILING_IMPACTS = ("serious", "critical")
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Finding:
    page: str
    url: str
    rule: str
    impact: str
    help: str
    tags: list[str]
    targets: list[str]
    why: str = ""

    @property
    def fails(self) -> bool:
        return self.impact in FAILING_IMPACTS and any(tag in WCAG_TAGS for tag in self.tags)

    def line(self) -> str:
        shown = ", ".join(self.targets[:5]) + (f" (+{len(self.targets) - 5})" if len(self.targets) > 5 else "")
        why = f"\n      {self.why}" if self.why else ""
        return f"  - {self.rule} [{self.impact}] {self.help}\n      {shown}{why}"


@dataclass
class Auditor:
    """One Chromium; a browser context per visitor; axe run on each audited page, findings kept for the end."""

    browser: object
    base_url: str
    test_name: str
    findings: list[Finding] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    def open(self, user=None, *, viewport: dict[str, int] = DESKTOP):
        """A fresh page for an anonymous visitor, or signed in as ``user`` (a session cookie, no login form)."""
        context = self.browser.new_context(
            base_url=self.base_url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport
        )
        context.set_default_timeout(TIMEOUT_MS)
        # No favicon request: on in-memory SQLite the live server shares one connection between its threads.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.base_url}])
        return context.new_page()

    def go(self, page, name: str, path: str, *, status: int = 200) -> None:
        response = page.goto(path)
        assert response is not None and response.status == status, f"{name}: {path} answered {response.status}"

    def visit(self, page, name: str, path: str, *, status: int = 200) -> None:
        self.go(page, name, path, status=status)
        self.audit(page, name)

    def audit(self, page, name: str) -> None:
        """Run axe on the page as it is now (after a visit, or after submitting a form)."""
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {
                    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "best-practice"]},
                    resultTypes: ["violations"],
                });
                const found = r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, tags: v.tags,
                    targets: v.nodes.map(n => n.target.join(" ")),
                    why: (v.nodes[0].any[0] || v.nodes[0].all[0] || v.nodes[0].none[0] || {}).message || "",
                }));
                // Ours: axe only marks a dangling aria-describedby "needs review", and a field whose help text or
                // error it names but cannot find is read without them (WCAG 1.3.1, 3.3.1).
                const dangling = [...document.querySelectorAll("[aria-describedby]")].filter(
                    e => e.getAttribute("aria-describedby").split(/\\s+/).some(id => id && !document.getElementById(id))
                );
                if (dangling.length) found.push({
                    id: "portal-describedby-target", impact: "serious", tags: ["wcag2a", "portal"],
                    help: "Every id named in aria-describedby must exist (a field's help text and errors)",
                    targets: dangling.map(e => `#${e.id} → ${e.getAttribute("aria-describedby")}`),
                    why: "",
                });
                return found;
            }"""
        )
        url = page.url.removeprefix(self.base_url)
        label = f"{name} ({url}, {page.viewport_size['width']}px)"
        self.audited.append(label)
        if os.environ.get("A11Y_SCREENSHOTS") == "1":
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.test_name}-{len(self.audited):02d}-{name}")
            page.screenshot(path=str(ARTIFACTS / f"{stem}-{page.viewport_size['width']}.png"), full_page=True)
        self.findings.extend(
            Finding(label, url, v["id"], v["impact"] or "minor", v["help"], v["tags"], v["targets"], v["why"])
            for v in result
        )

    def report(self) -> str:
        lines: list[str] = []
        failing = [f for f in self.findings if f.fails]
        reported = [f for f in self.findings if not f.fails]
        for title, selected in (
            ("Serious or critical WCAG 2 A/AA violations (these fail the test):", failing),
            ("Reported, not failing (best practice, or minor/moderate):", reported),
        ):
            if not selected:
                continue
            lines.append(title)
            for page in dict.fromkeys(f.page for f in selected):
                lines.append(f"{page}:")
                lines.extend(f.line() for f in selected if f.page == page)
        return "\n".join(lines)

    def save(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        data = {"pages": self.audited, "findings": [f.__dict__ | {"fails": f.fails} for f in self.findings]}
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', self.test_name)}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")

    def assert_no_serious_violations(self) -> None:
        self.save()
        if any(f.fails for f in self.findings):
            pytest.fail(f"axe found accessibility violations (of {len(self.audited)} pages audited):\n{self.report()}")


@pytest.fixture
def auditor(request, live_server, transactional_db, monkeypatch, settings) -> Iterator[Auditor]:
    """Chromium with axe-core for this test; staff MFA off; links in documents point at the live server."""
    if not AXE.exists():
        pytest.fail(
            f"axe-core is missing ({AXE.relative_to(ROOT)}): the accessibility tests load it from node_modules. "
            "Run `npm ci` at the repository root (package.json and package-lock.json pin its version)."
        )
    with live_chromium(live_server, monkeypatch, settings) as browser:
        yield Auditor(browser, live_server.url, request.node.name)


@dataclass
class PortalWorld:
    """The demo portal plus what the audited pages need to show something: drafts, a notice, a report."""

    applicant: object
    newcomer: object
    call: object
    program: object
    draft: object
    fields_draft: object
    awarded: object
    notice: object
    verification_code: str


@pytest.fixture
def portal(auditor) -> PortalWorld:
    """``seed_demo --with-samples``, then: applicant1's drafts (with units, an attachment, program fields), an
    open publicity notice of the current call, last year's award paid with its performance report open."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from accounts.models import User
    from allocations.services import start_allocation
    from applications import services
    from applications.models import Application
    from evaluations.services import open_report
    from programs.models import Call, Program
    from publicity.services import open_publicity_notice
    from tests import stages
    from tests.factories import UserFactory

    call_command("seed_demo", "--with-samples", verbosity=0)
    applicant = User.objects.get(email="applicant1@demo.local")
    approver = User.objects.get(email="approver@demo.local")
    call = Call.objects.filter(year__gte=2000).order_by("-year").first()
    certificates = Program.objects.get(code="P8-3")
    declarations = {"truthful": True, "no_duplicate_funding": True, "accept_adjustment": True}
    draft = services.create_application(
        actor=applicant,
        call=call,
        program=certificates,
        data={
            "units": [
                {"key": "CQC-2026-0417", "claim_amount": "45000", "description": "绿色产品认证"},
                {"key": "CQC-2026-0533", "claim_amount": "50000", "description": "低碳产品认证"},
            ],
            "targets": [{"indicator": "认证产品销售额增长", "target": "12", "unit": "%"}],
            "declarations": declarations,
        },
    )
    services.add_attachment(
        application=draft,
        actor=applicant,
        kind="other",
        uploaded_file=SimpleUploadedFile("认证证书.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    )
    fields_program = Program.objects.filter(form_fields__isnull=False).order_by("sort_order").first()
    fields_draft = services.create_application(actor=applicant, call=call, program=fields_program, data={})

    start_allocation(call=call, actor=approver)
    notice = open_publicity_notice(call=call, actor=approver)

    # Last year's award is paid as the payout stage pays: finance1 builds the batch, finance2 approves it, the line is
    # recorded paid (awarded → disbursed), which asks for the performance report.
    awarded = Application.objects.get(organisation=applicant.membership.organisation, call__year=call.year - 1)
    demo_staff = {
        "approver": approver,
        "intake": User.objects.get(email="intake@demo.local"),
        "finance": User.objects.get(email="finance1@demo.local"),
        "finance2": User.objects.get(email="finance2@demo.local"),
    }
    stages.pay([awarded], demo_staff)
    awarded = Application.objects.get(pk=awarded.pk)
    open_report(application=awarded)  # idempotent: the paid line opened it
    return PortalWorld(
        applicant=applicant,
        newcomer=UserFactory(),
        call=call,
        program=certificates,
        draft=draft,
        fields_draft=fields_draft,
        awarded=awarded,
        notice=notice,
        verification_code=awarded.award_notice.verification_code,
    )
