"""The policy texts the portal serves (the legal basis the 办事指南 links to), kept as plain text in the project.

Each text is split into headings and paragraphs for its page; the original file is also offered as a download.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

TEXTS_DIR = Path(__file__).resolve().parent / "policy_texts"

# 一、 二、 … are sections; （一） （二） … are sub-sections (the usual numbering of Chinese official documents).
SECTION = re.compile(r"^[一二三四五六七八九十]+、")
SUBSECTION = re.compile(r"^（[一二三四五六七八九十]+）")
CHAPTER = re.compile(r"^第[一二三四五六七八九十]+章")


@dataclass(frozen=True)
class Policy:
    slug: str
    title: str
    short_title: str
    status: str
    file_name: str


@dataclass(frozen=True)
class Block:
    kind: str  # "h2", "h3" or "p"
    text: str
    anchor: str = ""


POLICIES: tuple[Policy, ...] = (
    Policy(
        slug="operating-rules",
        title=str(_("《深圳市市场监督管理局质量品牌领域专项资金操作规程（征求意见稿）》起草说明")),
        short_title=str(_("操作规程")),
        status=str(
            _(
                "征求意见稿的起草说明，载明九个资助项目、条款和资助标准。正式文件为深市监规〔2023〕2号，"
                "以主管部门发布的正式文本为准。"
            )
        ),
        file_name="operating-rules-draft-explanation.txt",
    ),
    Policy(
        slug="guangdong-measures",
        title=str(_("《广东省全面提升制造业质量品牌水平的若干政策措施（征求意见稿）》")),
        short_title=str(_("广东省若干政策措施")),
        status=str(_("省级政策措施的征求意见稿，载明省级质量奖项的奖励标准，以正式发布文本为准。")),
        file_name="guangdong-quality-brand-measures-draft.txt",
    ),
)
POLICIES_BY_SLUG = {p.slug: p for p in POLICIES}
OPERATING_RULES = "operating-rules"


def policy_text(policy: Policy) -> str:
    """The policy's original text as stored in the project."""
    return (TEXTS_DIR / policy.file_name).read_text(encoding="utf-8")


@functools.cache
def policy_blocks(slug: str) -> tuple[Block, ...]:
    """The policy's text as headings (with anchors) and paragraphs, in order."""
    blocks = []
    for number, raw in enumerate(policy_text(POLICIES_BY_SLUG[slug]).splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if SECTION.match(line) and len(line) <= 40:
            blocks.append(Block("h2", line, f"s{number}"))
        elif (SUBSECTION.match(line) or CHAPTER.match(line)) and len(line) <= 40:
            blocks.append(Block("h3", line, f"s{number}"))
        else:
            blocks.append(Block("p", line))
    return tuple(blocks)
