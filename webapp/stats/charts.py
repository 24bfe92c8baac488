"""Charts as SVG drawn on the server by pygal, with no script and no inline style (the CSP forbids
both): pygal's stylesheet is served from our own origin, the SVG goes in the page as it is."""
from __future__ import annotations

import functools
import html
import re
import threading
from collections import OrderedDict

import pygal
from markupsafe import Markup
from pygal.style import Style

STYLE = Style(background="transparent", plot_background="#ffffff", foreground="#1d1d1b",
              foreground_strong="#1d1d1b", foreground_subtle="#767676", opacity="1", opacity_hover="1",
              colors=("#d97706", "#15803d", "#1d4ed8"), font_family="DejaVu Sans, Arial, sans-serif",
              label_font_size=15, major_label_font_size=15, legend_font_size=16, title_font_size=16,
              value_font_size=13)
CONFIG = dict(js=[], disable_xml_declaration=True, style=STYLE, legend_at_bottom=True, legend_at_bottom_columns=2,
              print_values=True, truncate_legend=-1, margin=8, spacing=8)

LABEL_MAX = 22
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_SCRIPT_ELEMENT = re.compile(r"<script[^>]*>.*?</script>", re.S)
_STYLE_ATTRIBUTE = re.compile(r' style="[^"]*"')
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ROOT_ID = re.compile(r' id="(chart-[0-9a-f-]+)"')
_SCRIPT_ID = re.compile(r' id="activate-serie-[0-9]+"')     # used by pygal's script only; repeated per chart
_ROOT = re.compile(r"<svg ")


def _clean(svg: str, label: str) -> tuple[str, str]:
    """(the SVG without script, style or ids, labelled for screen readers; pygal's CSS scoped to the
    `pygal-chart` class every chart carries)."""
    chart_id = _ROOT_ID.search(svg).group(1)
    # the stylesheet's text as the SVG escaped it (`&gt;` for a child combinator)
    css = html.unescape(_STYLE_ELEMENT.search(svg).group(1)).replace(f"#{chart_id}", ".pygal-chart")
    svg = _SCRIPT_ELEMENT.sub("", _STYLE_ELEMENT.sub("", _COMMENT.sub("", svg)))
    svg = _SCRIPT_ID.sub("", _STYLE_ATTRIBUTE.sub("", _ROOT_ID.sub("", svg)))
    svg = svg.replace("<defs></defs>", "").replace("<defs />", "")
    title = label.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    svg = _ROOT.sub(f'<svg role="img" aria-label="{title}" ', svg, count=1)
    return svg, css


def _render(chart, label: str) -> Markup:
    svg, _ = _clean(chart.render(is_unicode=True), label)
    return Markup(svg)


@functools.lru_cache(maxsize=1)
def stylesheet() -> str:
    """pygal's own CSS for our style, made once from a chart of three series; tooltips need a script:
    hidden."""
    chart = pygal.Bar(**CONFIG)
    for n in range(3):
        chart.add(str(n), [1])
    _, css = _clean(chart.render(is_unicode=True), "")
    return css + "\n.pygal-chart .tooltip{display:none}\n"


_DRAWN: OrderedDict = OrderedDict()
_DRAWN_LOCK = threading.Lock()
DRAWN_KEPT = 128


def drawn(key: tuple, draw):
    """Charts drawn once per set of figures (`key` holds when they were computed): drawing costs more
    than reading the figures back from Redis. The last DRAWN_KEPT are kept in this process."""
    with _DRAWN_LOCK:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
    value = draw()
    with _DRAWN_LOCK:
        _DRAWN[key] = value
        while len(_DRAWN) > DRAWN_KEPT:
            _DRAWN.popitem(last=False)
    return value


def rate_bars(title: str, rows, link=None) -> Markup:
    """Horizontal bars of two rates (%) per group: rows are (code, label, notification %, activation %);
    `link(code)` gives the search of a group's accounts, each bar linking there."""
    rows = list(reversed(rows))       # pygal draws the first label at the bottom: the table's order, top down
    # long MEF labels are cut (…) in the picture: the table beside it gives them whole
    chart = pygal.HorizontalBar(range=(0, 100), width=560, height=max(240, 90 + 44 * len(rows)),
                                y_labels=[0, 25, 50, 75, 100], **{**CONFIG, "margin_left": 28, "margin_right": 32})
    chart.title = title
    chart.x_labels = [label if len(label) <= LABEL_MAX else label[:LABEL_MAX - 1] + "…" for _, label, _, _ in rows]
    chart.value_formatter = lambda v: f"{v:.0f} %"

    def values(position):
        out = []
        for code, _, *rates in rows:
            value = {"value": round(rates[position], 1)}
            if link:
                value["xlink"] = {"href": link(code), "target": "_self"}
            out.append(value)
        return out
    chart.add("Notifiés", values(0))
    chart.add("Activés", values(1))
    return _render(chart, title)


def cumulative_lines(title: str, weeks) -> Markup:
    """Cumulative notified and activated accounts at the end of each week (weeks: (label, n, a))."""
    chart = pygal.Line(width=560, height=400, x_label_rotation=45, show_minor_x_labels=False, dots_size=2,
                       **{**CONFIG, "print_values": False})
    chart.title = title
    chart.x_labels = [label for label, _, _ in weeks]
    chart.x_labels_major = chart.x_labels[::4] + chart.x_labels[-1:]
    chart.add("Notifiés", [n for _, n, _ in weeks])
    chart.add("Activés", [a for _, _, a in weeks])
    return _render(chart, title)
