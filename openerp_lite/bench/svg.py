"""Inline SVG charts: horizontal grouped bar charts, nothing else, with no outside resources."""

import math
from html import escape

PALETTE = ('#3465a4', '#f57900', '#73d216', '#cc0000', '#75507b', '#888a85')


def _nice_max(value):
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exponent
        if top >= value:
            return top
    return 10 ** (exponent + 1)


def _fmt(value):
    if value >= 100:
        return '%.0f' % value
    if value >= 10:
        return '%.1f' % value
    return '%.2f' % value


def bar_chart(title, categories, series, unit, log=False, width=660, label_width=190, stack=False):
    """A horizontal grouped bar chart.

    ``categories``: row labels; ``series``: ``[(name, [value or None per category]), ...]``,
    one colour each; ``log``: a logarithmic axis (for values spanning orders of magnitude);
    ``stack``: the series never share a row, so their bars take the same place (one bar a row,
    coloured by series).
    """
    bar, gap = 12, 8
    slots = 1 if stack else len(series)
    group = bar * slots + gap
    top, legend = 34, 22
    height = top + legend + group * len(categories) + 26
    plot = width - label_width - 70
    values = [v for _, vals in series for v in vals if v]
    vmax = max(values) if values else 1.0
    if log:
        vmin = min(values) if values else 1.0
        low = 10 ** math.floor(math.log10(vmin))
        high = 10 ** math.ceil(math.log10(vmax) + 1e-9)
        if high <= low:
            high = low * 10

        def scale(v):
            return plot * (math.log10(max(v, low)) - math.log10(low)) / (math.log10(high) - math.log10(low))

        ticks = [low * 10**i for i in range(int(round(math.log10(high / low))) + 1)]
    else:
        high = _nice_max(vmax)

        def scale(v):
            return plot * v / high

        ticks = [high * i / 4 for i in range(5)]
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
        'font-family="sans-serif" font-size="11" role="img" aria-label="%s">'
        % (width, height, width, height, escape(title))
    ]
    out.append('<text x="4" y="16" font-size="13" font-weight="bold">%s</text>' % escape(title))
    x0 = label_width
    for index, (name, _vals) in enumerate(series):
        lx = x0 + index * 130
        out.append(
            '<rect x="%d" y="%d" width="10" height="10" fill="%s"/>'
            % (lx, top - 8, PALETTE[index % len(PALETTE)])
        )
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 14, top + 1, escape(name)))
    y_plot = top + legend
    bottom = y_plot + group * len(categories)
    for tick in ticks:
        x = x0 + scale(tick)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x, y_plot - 4, x, bottom))
        out.append(
            '<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>' % (x, bottom + 14, _fmt(tick))
        )
    out.append(
        '<text x="%d" y="%d" text-anchor="end" fill="#555">%s</text>' % (width - 4, bottom + 14, escape(unit))
    )
    for row, label in enumerate(categories):
        y = y_plot + row * group
        out.append(
            '<text x="%d" y="%d" text-anchor="end">%s</text>' % (x0 - 6, y + group / 2.0, escape(label))
        )
        for index, (_name, vals) in enumerate(series):
            value = vals[row]
            if value is None:
                continue
            length = max(1.0, scale(value))
            by = y + (0 if stack else index) * bar
            out.append(
                '<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s %s'
                '</title></rect>'
                % (
                    x0,
                    by,
                    length,
                    bar - 2,
                    PALETTE[index % len(PALETTE)],
                    escape(label),
                    _fmt(value),
                    escape(unit),
                )
            )
            out.append(
                '<text x="%.1f" y="%d" fill="#333">%s</text>' % (x0 + length + 3, by + bar - 3, _fmt(value))
            )
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>' % (x0, y_plot - 4, x0, bottom))
    out.append('</svg>')
    return '\n'.join(out)
