"""Charts as server-rendered SVG: no chart library, no script, nothing from a CDN, readable
without JavaScript and allowed by our CSP (presentation attributes, no ``style``)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 240, 56, 48, 16
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2")


def _ticks(top: float) -> list[float]:
    return [top * i / 4 for i in range(5)]


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
              title: str, unit: str = "", stacked: bool = False) -> Markup:
    """Grouped (or stacked) bars: ``series`` is ``[(name, values per label), …]``.

    The SVG has ``role="img"`` and a ``<title>``; a ``<table>`` fallback lives in the page."""
    n = max(len(labels), 1)
    totals = [sum(v[i] for _, v in series) for i in range(len(labels))] if stacked else \
        [max((v[i] for _, v in series), default=0) for i in range(len(labels))]
    top = max([*totals, 0]) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / n
    groups = 1 if stacked else max(len(series), 1)
    bar_w = max(slot * 0.8 / groups, 1)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for tick in _ticks(top):
        y = PAD_TOP + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{PAD_LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#e5e7eb"/><text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end" font-size="11" fill="#4b5563">'
                     f'{escape(_fmt(tick))}{escape(unit)}</text>')
    for i, label in enumerate(labels):
        base = PAD_TOP + plot_h
        for j, (name, values) in enumerate(series):
            h = plot_h * values[i] / top
            x = PAD_LEFT + slot * i + slot * 0.1 + (0 if stacked else j * bar_w)
            parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                         f'<title>{escape(name)} {escape(label)}: {escape(_fmt(values[i]))}'
                         f'</title></rect>')
            if stacked:
                base -= h
        parts.append(f'<text x="{PAD_LEFT + slot * (i + 0.5):.1f}" y="{HEIGHT - PAD_BOTTOM + 16}"'
                     f' text-anchor="middle" font-size="11" fill="#374151">'
                     f'{escape(label)}</text>')
    for j, (name, _values) in enumerate(series):
        x = PAD_LEFT + j * 150
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" '
                     f'fill="{PALETTE[j % len(PALETTE)]}"/><text x="{x + 14}" y="{HEIGHT - 9}" '
                     f'font-size="11" fill="#374151">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text piece above went through escape()


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.2f}"
