"""Server-side SVG charts of a simulation (no JavaScript, no CDN): pure functions from numbers to markup."""

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from core.money import to_wan

TODAY, CANDIDATE = "#8c1d18", "#0b57d0"
GAIN, LOSS = "#1a7f37", "#b3261e"


def _wan(value: Decimal) -> str:
    return f"{to_wan(Decimal(value))}元"


def _svg_open(title: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f"<title>{escape(title)}</title>",
    ]


def paired_bars(
    rows: Sequence[tuple[str, Decimal, Decimal]], *, title: str, labels: tuple[str, str], width: int = 560
) -> str:
    """Per category two horizontal bars, today's and the candidate's amount, labelled in 万元; a legend on top."""
    label_width, bar, gap, top = 200, 14, 10, 32
    plot = width - label_width - 100
    maximum = max((max(a, b) for _, a, b in rows), default=Decimal(0)) or Decimal(1)
    group = bar * 2 + gap
    parts = _svg_open(title, width, top + group * len(rows) + 8)
    for index, (name, colour) in enumerate(zip(labels, (TODAY, CANDIDATE), strict=True)):
        x = label_width + index * 120
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="18" font-size="12">{escape(name)}</text>')
    for row, (category, today, candidate) in enumerate(rows):
        y0 = top + row * group
        parts.append(
            f'<text x="{label_width - 8}" y="{y0 + bar}" font-size="12" text-anchor="end" '
            f'dominant-baseline="middle">{escape(category[:15])}</text>'
        )
        for index, (value, colour) in enumerate(((today, TODAY), (candidate, CANDIDATE))):
            length = float(value) / float(maximum) * plot
            y = y0 + index * bar
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 3}" fill="{colour}">'
                f"<title>{escape(category)} · {escape(labels[index])}：{escape(_wan(value))}</title></rect>"
            )
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{y + bar / 2}" font-size="11" '
                f'dominant-baseline="middle">{escape(_wan(value))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def gains_and_losses(rows: Sequence[tuple[str, Decimal]], *, title: str, width: int = 560) -> str:
    """A diverging bar per organisation around a centre line: gains to the right (green), losses to the left (red)."""
    label_width, bar, top = 200, 18, 8
    plot = (width - label_width - 20) / 2
    centre = label_width + plot
    maximum = max((abs(v) for _, v in rows), default=Decimal(0)) or Decimal(1)
    height = top + bar * len(rows) + 8
    parts = _svg_open(title, width, height)
    parts.append(f'<line x1="{centre}" y1="{top}" x2="{centre}" y2="{height - 4}" stroke="#888" stroke-width="1"/>')
    for row, (name, delta) in enumerate(rows):
        y = top + row * bar
        length = float(abs(delta)) / float(maximum) * (plot - 70)
        x = centre if delta >= 0 else centre - length
        colour = GAIN if delta >= 0 else LOSS
        sign = "+" if delta > 0 else ("−" if delta < 0 else "")
        text = f"{sign}{_wan(abs(delta))}"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar / 2}" font-size="12" text-anchor="end" '
            f'dominant-baseline="middle">{escape(name[:15])}</text>'
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 2}" width="{length:.1f}" height="{bar - 5}" fill="{colour}">'
            f"<title>{escape(name)}：{escape(text)}</title></rect>"
        )
        tx = centre + length + 4 if delta >= 0 else centre - length - 4
        anchor = "start" if delta >= 0 else "end"
        parts.append(
            f'<text x="{tx:.1f}" y="{y + bar / 2}" font-size="11" text-anchor="{anchor}" '
            f'dominant-baseline="middle">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
