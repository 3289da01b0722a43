"""Small server-rendered SVG charts for the ops pages: no script, no build step. Each chart is
an image with an accessible name (`<title>`) and a one-sentence summary (`<desc>`) referenced by
`aria-labelledby`; the page puts the numbers in a table beside it as well."""

import itertools

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 560, 180
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 28
COLOURS = ("#1f5fa8", "#b3261e", "#2e7d32", "#6a1b9a")  # 4.5:1 or more on white
_ids = itertools.count(1)


def _frame(title, summary, body, height=HEIGHT):
    chart = next(_ids)
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="chart-{chart}-title chart-{chart}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{chart}-title">{escape(title)}</title><desc id="chart-{chart}-desc">{escape(summary)}</desc>'
        f'{body}</svg>'
    )


def _axes(top_value, unit, first_label, last_label):
    plot_bottom, plot_right = HEIGHT - BOTTOM, WIDTH - RIGHT
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{plot_bottom}" stroke="#555"/>',
             f'<line x1="{LEFT}" y1="{plot_bottom}" x2="{plot_right}" y2="{plot_bottom}" stroke="#555"/>']
    for fraction in (0, 0.5, 1):
        y = plot_bottom - fraction * (plot_bottom - TOP)
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.0f}" text-anchor="end" font-size="11" fill="#333">'
                     f'{_number(top_value * fraction)}{escape(unit)}</text>')
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="11" fill="#333">{escape(first_label)}</text>')
    parts.append(f'<text x="{plot_right}" y="{HEIGHT - 8}" text-anchor="end" font-size="11" fill="#333">'
                 f'{escape(last_label)}</text>')
    return "".join(parts)


def _number(value):
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _scale(values):
    top = max([v for v in values if v is not None] or [0])
    return top * 1.1 if top else 1


def line_chart(*, title, summary, series, unit, first_label, last_label):
    """`series`: {name: [(time, value or None), ...]} with the same times; a None is a gap."""
    values = [v for points in series.values() for _, v in points]
    top = _scale(values)
    count = max(len(points) for points in series.values())
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = [_axes(top, unit, first_label, last_label)]
    for (name, points), colour in zip(series.items(), COLOURS):
        path, dots, pen_down = [], [], False
        for index, (_, value) in enumerate(points):
            if value is None:
                pen_down = False
                continue
            x = LEFT + plot_width * (index + 0.5) / count
            y = TOP + plot_height * (1 - value / top)
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
            pen_down = True
        if path:
            body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>{"".join(dots)}')
    legend_x = LEFT + 8
    for (name, _), colour in zip(series.items(), COLOURS):
        body.append(f'<rect x="{legend_x}" y="{TOP + 2}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{legend_x + 14}" y="{TOP + 11}" font-size="11" fill="#222">{escape(name)}</text>')
        legend_x += 14 + 8 * len(name) + 12
    return _frame(title, summary, "".join(body))


def bar_chart(*, title, summary, points, unit, first_label, last_label, colour=COLOURS[1]):
    """`points`: [(time, value), ...], one bar each."""
    top = _scale([v for _, v in points])
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    body = [_axes(top, unit, first_label, last_label)]
    for index, (_, value) in enumerate(points):
        if value:
            height = plot_height * value / top
            body.append(f'<rect x="{LEFT + slot * index + slot * 0.15:.1f}" y="{TOP + plot_height - height:.1f}" '
                        f'width="{slot * 0.7:.1f}" height="{height:.1f}" fill="{colour}"/>')
    return _frame(title, summary, "".join(body))


def labelled_bars(*, title, summary, items):
    """Horizontal bars, one per (label, value)."""
    top = _scale([v for _, v in items])
    row = 26
    height = max(len(items), 1) * row + 8
    body = []
    for index, ((label, value), colour) in enumerate(zip(items, itertools.cycle(COLOURS))):
        y = 4 + index * row
        width = (WIDTH - 200) * value / top
        body.append(f'<text x="0" y="{y + 15}" font-size="12" fill="#222">{escape(label)}</text>'
                    f'<rect x="120" y="{y + 3}" width="{width:.1f}" height="16" fill="{colour}"/>'
                    f'<text x="{124 + width:.1f}" y="{y + 15}" font-size="12" fill="#222">{_number(value)}</text>')
    return _frame(title, summary, "".join(body), height)
