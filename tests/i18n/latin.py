"""Find Latin words in what a person reads: a page's text (tags, scripts, styles and attributes stripped) or an e-mail.

Codes, numbers and names are allowed: e-mail addresses, URLs, file names, references such as ZLPP-2026-000001 or
SB-…, and the abbreviations on the allow-list (USCC, PDF, API …). Everything else made of two or more Latin letters
is reported with a little context, so that a failing test says where the English is; so is Latin punctuation right
after Chinese text (「请登录.」).
"""

import re
from html.parser import HTMLParser

# Abbreviations and names a Chinese page may carry as they are.
ALLOWED_WORDS = frozenset(
    {
        "USCC",
        "PDF",
        "API",
        "JPG",
        "JPEG",
        "PNG",
        "OFD",
        "DOCX",
        "XLSX",
        "CSV",
        "QR",
        "TOTP",
        "MB",
        "KB",
        "GB",
        "ICP",
        "SHA",
        "IP",
        "ISO",
        "CQC",
        "CNAS",
        "SB",  # the 申报书's check code starts SB-
        "ZLPP",  # application references start ZLPP-
        "certutil",  # commands a reader types to check a file's SHA-256 digest
        "hashfile",
        "sha256sum",
    }
)
# Tokens removed before the word check: addresses, links, file names, references and codes with digits.
CODE_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"https?://\S+"),  # URLs
    re.compile(r"/[\w\-./?=&%#]*"),  # paths (/me/applications/…)
    re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?"),  # host names (portal.example.cn:8111)
    re.compile(r"[\w\-（）()\u4e00-\u9fff]+\.(?:pdf|png|jpe?g|ofd|docx|xlsx|csv|zip|svg|txt)\b", re.IGNORECASE),
    re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b"),  # ZLPP-2026-000001, SB-…, P8-3, GB-32100
    re.compile(r"\b(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{2,}\b"),  # anything holding a digit: USCC values, codes, sizes
    re.compile(r"\b[A-Z0-9]{8,}\b"),  # verification codes, which may happen to hold no digit
]
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A Latin full stop, comma, colon, question or exclamation mark right after Chinese (「请登录.」): Chinese text takes
# full-width punctuation.
LATIN_PUNCTUATION = re.compile(r"[\u4e00-\u9fff]\s*[.,:;!?](?=\s|$|[\u4e00-\u9fff])")


class _TextParser(HTMLParser):
    SKIPPED = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text a reader sees on a page: no tags, scripts, styles or attributes."""
    parser = _TextParser()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def latin_words(text: str) -> list[str]:
    """Each Latin word of ``text`` outside the allowed codes and names, with 20 characters of context."""
    cleaned = text
    for pattern in CODE_PATTERNS:
        cleaned = pattern.sub(" ", cleaned)
    found = []
    for match in LATIN_WORD.finditer(cleaned):
        if match.group() in ALLOWED_WORDS:
            continue
        start, end = max(match.start() - 20, 0), match.end() + 20
        found.append(f"{match.group()!r} in …{cleaned[start:end].strip()}…")
    for match in LATIN_PUNCTUATION.finditer(text):
        start, end = max(match.start() - 20, 0), match.end() + 20
        found.append(f"Latin punctuation {match.group()!r} in …{text[start:end].strip()}…")
    return found
