"""Server-side SVG charts (no JavaScript, no CDN): pure functions from numbers to markup."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from core.money import to_wan

PALETTE = ("#8c1d18", "#d9822b", "#0b57d0", "#1a7f37", "#6e40c9", "#00796b", "#c2185b", "#5d4037", "#455a64")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int]


def _scale(value: Decimal | int, maximum: Decimal | int, width: int) -> float:
    return 0.0 if not maximum else float(value) / float(maximum) * width


def _label(value: Decimal | int, money: bool) -> str:
    return f"{to_wan(Decimal(value))}元" if money else str(value)


def bar_chart(
    categories: Sequence[str], series: Sequence[Series], *, title: str, money: bool = True, width: int = 640
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series, a legend on top.

    Values are labelled at the bar end; the longest bar spans the plot. Returns an accessible ``<svg>`` string.
    """
    label_width, bar_height, gap, top = 250, 16, 10, 34
    plot = width - label_width - 90
    maximum = max((v for s in series for v in s.values), default=0)
    group_height = bar_height * len(series) + gap
    height = top + group_height * len(categories) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    x = label_width
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18" font-size="12">{escape(s.name)}</text>')
        x += 16 + 14 * len(s.name) + 20
    for row, category in enumerate(categories):
        y0 = top + row * group_height
        parts.append(
            f'<text x="{label_width - 8}" y="{y0 + group_height / 2}" font-size="12" text-anchor="end" '
            f'dominant-baseline="middle">{escape(category)}</text>'
        )
        for index, s in enumerate(series):
            value = s.values[row]
            bar = _scale(value, maximum, plot)
            y = y0 + index * bar_height
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height - 3}" fill="{colour}">'
                f"<title>{escape(category)} · {escape(s.name)}：{escape(_label(value, money))}</title></rect>"
            )
            parts.append(
                f'<text x="{label_width + bar + 4:.1f}" y="{y + bar_height / 2}" font-size="11" '
                f'dominant-baseline="middle">{escape(_label(value, money))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def funnel_chart(stages: Sequence[tuple[str, int]], *, title: str, width: int = 640) -> str:
    """A centred funnel: each stage a bar as wide as its share of the first stage, with its count."""
    height_each, top = 30, 6
    first = stages[0][1] if stages else 0
    height = top + height_each * len(stages) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    plot = width - 200
    for row, (name, count) in enumerate(stages):
        bar = max(_scale(count, first, plot), 2.0)
        x = 200 + (plot - bar) / 2
        y = top + row * height_each
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{bar:.1f}" height="{height_each - 6}" fill="#b3261e" rx="3"/>')
        parts.append(
            f'<text x="190" y="{y + (height_each - 6) / 2}" font-size="12" text-anchor="end" '
            f'dominant-baseline="middle">{escape(name)}　{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    maximum: Decimal | int | None = None,
    reference: Decimal | None = None,
    reference_label: str = "",
    width: int = 640,
) -> str:
    """Lines over a shared x axis (e.g. days), one per series, with a legend and an optional dashed reference line.

    The y axis runs from 0 to ``maximum`` (the largest value when not given); values are plain numbers (a factor).
    Returns an accessible ``<svg>`` string.
    """
    left, right, top, bottom = 44, 12, 16, 28
    legend_rows = (len(series) + 2) // 3
    height = 220 + legend_rows * 18
    plot_w, plot_h = width - left - right, 220 - top - bottom
    values = [v for s in series for v in s.values]
    top_value = Decimal(maximum if maximum is not None else max(values, default=0)) or Decimal(1)
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: Decimal | int) -> float:
        return top + plot_h - min(float(v) / float(top_value), 1.0) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
    ]
    for fraction in (0, 0.5, 1):
        tick = top_value * Decimal(str(fraction))
        parts.append(
            f'<text x="{left - 4}" y="{y(tick):.1f}" font-size="11" text-anchor="end" '
            f'dominant-baseline="middle">{tick.normalize():f}</text>'
        )
    step = max(1, (count + 5) // 6)
    for i, label in enumerate(labels):
        if i % step == 0 or i == count - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" font-size="11" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if reference is not None:
        parts.append(
            f'<line x1="{left}" y1="{y(reference):.1f}" x2="{left + plot_w}" y2="{y(reference):.1f}" '
            f'stroke="#b3261e" stroke-dasharray="5 4"/>'
        )
        parts.append(
            f'<text x="{left + plot_w}" y="{y(reference) - 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#b3261e">{escape(reference_label)}</text>'
        )
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        if len(s.values) > 1:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(s.values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(s.name)} · {escape(labels[i])}：{v}</title></circle>"
            )
        row, col = divmod(index, 3)
        lx, ly = left + col * (plot_w // 3), 220 + row * 18
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly}" font-size="12">{escape(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
