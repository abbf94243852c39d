"""The production CSP allows styles and scripts from 'self' only: no template of ours may rely on inline ones.

Chromium silently drops a blocked ``style=""`` attribute or ``<style>`` block, so a page would only look broken
in production. Found this way: the admin index, allocation progress, payout batch, dashboard and verify pages.
"""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> block"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "inline event handler"),
]


# Rendered to PDF by WeasyPrint, never served as a page: its styles must be inline.
NOT_PAGES = {"templates/notices/award_notice.html"}
PDF_FOLDER = "templates/pdf/"


def our_templates() -> list[Path]:
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(
        p
        for folder in folders
        if ".venv" not in folder.parts
        for p in folder.rglob("*.html")
        if str(p.relative_to(ROOT)) not in NOT_PAGES and not str(p.relative_to(ROOT)).startswith(PDF_FOLDER)
    )


def test_templates_carry_no_inline_styles_or_scripts():
    found = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in our_templates()
        for text in [path.read_text(encoding="utf-8")]
        for pattern, what in INLINE
        for m in pattern.finditer(text)
    ]
    assert our_templates(), "no templates found"
    assert found == []


def test_the_production_policy_does_not_allow_inline_code():
    policy = Path(ROOT / "portal/settings/production.py").read_text(encoding="utf-8")
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
