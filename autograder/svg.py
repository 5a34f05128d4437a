"""Small charts written directly as SVG, for pages that must open offline and be made fast.

A feedback page for every student of a class must be written in seconds: a matplotlib figure
costs tens of milliseconds to render, this text costs well under one. A chart is a title, two
labelled axes (the y axis linear or logarithmic), lines and points in data coordinates, and a
legend; `data_uri` makes the image an `<img>` can show. Every number drawn may come from a
student's run: NaN, infinities and values far outside the axes are dropped or clipped to the
plot, so no value can break the picture or the page. Text is escaped here.
"""

import base64
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
    "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
"""Okabe and Ito's palette: its colours stay apart for the common colour-vision deficiencies.
Lines also differ by dash and marker, so none is told apart by colour alone."""

Point = tuple[float, float]
PIXEL_LIMIT = 1e4
"""Coordinates are clamped to this many pixels from the origin: a value of 1e300 draws as a
line leaving the plot (clipped), not as a number no renderer handles."""
LABEL_LIMIT = 80


@dataclass(frozen=True)
class Series:
    """One line or set of points in data coordinates; None in `points` breaks the line."""

    label: str
    points: Sequence[Point | None]
    color: str
    dash: str = ""
    """SVG stroke-dasharray, e.g. "6 3"; empty: solid."""
    marker: str = ""
    """"circle", "square", "triangle" or "" (no marks)."""
    line: bool = True
    width: float = 2.0


@dataclass(frozen=True)
class Chart:
    title: str
    x_label: str
    y_label: str
    series: Sequence[Series]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    log_y: bool = False
    backdrop: Sequence[Sequence[Point]] = ()
    """Thin grey lines drawn first (e.g. the contour lines of a loss surface)."""
    backdrop_label: str = ""
    legend_at: str = "upper right"
    width: int = 440
    height: int = 300
    notes: Sequence[str] = field(default_factory=tuple)
    """Short lines printed under the plot (e.g. "2 values above the plot are not shown")."""


MARGIN = {"left": 62, "right": 14, "top": 30, "bottom": 44}
NOTE_HEIGHT = 14


def finite(value: object) -> float | None:
    """A finite float, or None for anything else (NaN, infinities, non-numbers)."""
    if type(value) not in (int, float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _esc(text: str) -> str:
    text = text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 1] + "…"
    return html.escape(text, quote=True)


class _Axes:
    """Maps data coordinates to pixels within the plot area."""

    def __init__(self, chart: Chart):
        self.left, self.top = MARGIN["left"], MARGIN["top"]
        self.right = chart.width - MARGIN["right"]
        self.bottom = chart.height - MARGIN["bottom"] - NOTE_HEIGHT * len(chart.notes)
        self.log_y = chart.log_y
        self.x0, self.x1 = chart.x_range
        self.y0, self.y1 = (math.log10(v) for v in chart.y_range) if chart.log_y \
            else chart.y_range

    def x(self, value: float) -> float:
        pixel = self.left + (value - self.x0) / (self.x1 - self.x0) * (self.right - self.left)
        return max(-PIXEL_LIMIT, min(PIXEL_LIMIT, pixel))

    def y(self, value: float) -> float | None:
        if self.log_y:
            if value <= 0:
                return None
            value = math.log10(value)
        pixel = self.bottom - (value - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)
        return max(-PIXEL_LIMIT, min(PIXEL_LIMIT, pixel))

    def point(self, point: Point | None) -> tuple[float, float] | None:
        if point is None:
            return None
        x, y = finite(point[0]), finite(point[1])
        if x is None or y is None:
            return None
        py = self.y(y)
        return None if py is None else (self.x(x), py)


def _runs(axes: _Axes, points: Iterable[Point | None]) -> list[list[tuple[float, float]]]:
    """Pixel polylines: a point that cannot be drawn breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        pixel = axes.point(point)
        if pixel is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(pixel)
    return [run for run in runs if run]


def _path(runs: list[list[tuple[float, float]]]) -> str:
    return " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in run) for run in runs)


def _marker(kind: str, x: float, y: float, color: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{color}"/>'
    if kind == "triangle":
        return (f'<path d="M{x:.1f},{y - 4.5:.1f} L{x + 4.5:.1f},{y + 3.5:.1f} '
                f'L{x - 4.5:.1f},{y + 3.5:.1f} Z" fill="{color}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>'


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values covering [low, high]."""
    span = high - low
    if not span > 0:
        return [low]
    raw = span / count
    step = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * step:
            step *= multiple
            break
    first = math.ceil(low / step - 1e-9)
    return [round(index * step, 10) for index in range(first, first + count + 3)
            if low - 1e-9 * span <= index * step <= high + 1e-9 * span]


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten within [low, high] (with 2 and 5 between them when fewer than three)."""
    first, last = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    step = max(1, math.ceil((last - first + 1) / 8))
    ticks = [10.0 ** power for power in range(first, last + 1, step)]
    if len(ticks) < 3:
        ticks = sorted(tick for power in range(first - 1, last + 1) for tick in
                       (10.0 ** power, 2 * 10.0 ** power, 5 * 10.0 ** power)
                       if low <= tick <= high)
    return ticks


def _tick_text(value: float, log: bool) -> str:
    if log:
        return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e") \
            if not 1e-3 <= value < 1e4 else f"{value:g}"
    return f"{value:g}"


def render(chart: Chart, clip_id: str = "plot") -> str:
    """The chart as an SVG document."""
    axes = _Axes(chart)
    parts = _opening(chart.width, chart.height, chart.title)
    parts.append(f'<clipPath id="{clip_id}"><rect x="{axes.left}" y="{axes.top}" '
                 f'width="{axes.right - axes.left}" height="{axes.bottom - axes.top}"/></clipPath>')
    # Grid and ticks
    y_ticks = log_ticks(*chart.y_range) if chart.log_y else nice_ticks(*chart.y_range)
    for tick in nice_ticks(*chart.x_range):
        x = axes.x(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{axes.top}" x2="{x:.1f}" y2="{axes.bottom}" '
                     f'stroke="#e6e6e6"/><text x="{x:.1f}" y="{axes.bottom + 14}" '
                     f'text-anchor="middle">{_tick_text(tick, False)}</text>')
    for tick in y_ticks:
        y = axes.y(tick)
        if y is None:
            continue
        parts.append(_y_grid_line(axes.left, axes.right, y, _tick_text(tick, chart.log_y)))
    # Backdrop, series
    body = []
    if chart.backdrop:
        lines = [run for polyline in chart.backdrop for run in _runs(axes, polyline)]
        body.append(f'<path d="{_path(lines)}" fill="none" stroke="#b0b0b0" '
                    'stroke-width="0.8"/>')
    for series in chart.series:
        runs = _runs(axes, series.points)
        if series.line and runs:
            dash = f' stroke-dasharray="{series.dash}"' if series.dash else ""
            body.append(f'<path d="{_path(runs)}" fill="none" stroke="{series.color}" '
                        f'stroke-width="{series.width}"{dash} stroke-linejoin="round"/>')
        if series.marker:
            body.extend(_marker(series.marker, x, y, series.color)
                        for run in runs for x, y in run)
    parts.append(f'<g clip-path="url(#{clip_id})">{"".join(body)}</g>')
    # Frame, title, axis labels, legend, notes
    parts.append(_frame(chart.width, (axes.left, axes.right, axes.top, axes.bottom),
                        chart.title, chart.x_label, chart.y_label))
    parts.append(_legend(chart, axes))
    for index, note in enumerate(chart.notes):
        parts.append(f'<text x="{axes.left}" y="{axes.bottom + 46 + NOTE_HEIGHT * index}" '
                     f'fill="#444444">{_esc(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _opening(width: int, height: int, title: str) -> list[str]:
    """The first elements of an SVG document: its size, title and white background."""
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
            f"<title>{_esc(title)}</title>",
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>']


def _y_grid_line(left: float, right: float, y: float, label: str) -> str:
    """A horizontal grid line across the plot, its tick label left of it."""
    return (f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e6e6e6"/>'
            f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')


def _frame(width: int, box: tuple[float, float, float, float], title: str, x_label: str,
           y_label: str) -> str:
    """The plot's frame (box: left, right, top, bottom), the title above, the axis labels."""
    left, right, top, bottom = box
    middle = (top + bottom) / 2
    return (f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
            'fill="none" stroke="#444444"/>'
            f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="13" '
            f'font-weight="bold">{_esc(title)}</text>'
            f'<text x="{(left + right) / 2:.0f}" y="{bottom + 32}" '
            f'text-anchor="middle">{_esc(x_label)}</text>'
            f'<text x="14" y="{middle:.0f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {middle:.0f})">{_esc(y_label)}</text>')


def _legend(chart: Chart, axes: _Axes) -> str:
    entries = [(series.label, series) for series in chart.series]
    if chart.backdrop_label:
        entries.append((chart.backdrop_label, None))
    if not entries:
        return ""
    box_width = 16 + 34 + 6.2 * max(len(label[:LABEL_LIMIT]) for label, _ in entries)
    box_height = 8 + 16 * len(entries)
    left = axes.left + 8 if chart.legend_at == "upper left" else axes.right - 8 - box_width
    top = axes.top + 8
    parts = [f'<g><rect x="{left:.1f}" y="{top}" width="{box_width:.0f}" '
             f'height="{box_height}" fill="#ffffff" fill-opacity="0.88" stroke="#999999"/>']
    for index, (label, series) in enumerate(entries):
        y = top + 12 + 16 * index
        x = left + 8
        if series is None:
            parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 26}" y2="{y}" stroke="#b0b0b0"/>')
        else:
            if series.line:
                dash = f' stroke-dasharray="{series.dash}"' if series.dash else ""
                parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x + 26:.1f}" y2="{y}" '
                             f'stroke="{series.color}" stroke-width="{series.width}"{dash}/>')
            if series.marker:
                parts.append(_marker(series.marker, x + 13, y, series.color))
        parts.append(f'<text x="{x + 34:.1f}" y="{y + 4}">{_esc(label)}</text>')
    parts.append("</g>")
    return "".join(parts)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def image(svg: str, width: int, height: int, alt: str) -> str:
    """An `<img>` holding an SVG document, with its alternative text."""
    return (f'<img src="{data_uri(svg)}" width="{width}" height="{height}" '
            f'alt="{html.escape(alt, quote=True)}">')


def img(chart: Chart, alt: str, clip_id: str = "plot") -> str:
    """An `<img>` holding the chart, with its alternative text."""
    return image(render(chart, clip_id), chart.width, chart.height, alt)


def bars(title: str, x_label: str, y_label: str, labels: Sequence[str], counts: Sequence[int],
         color: str = OKABE_ITO["blue"], width: int = 560, height: int = 260) -> str:
    """A bar chart (counts per labelled bin) as an SVG document."""
    left, right, top, bottom = MARGIN["left"], width - MARGIN["right"], MARGIN["top"], \
        height - MARGIN["bottom"]
    highest = max(max(counts, default=0), 1)
    ticks = [tick for tick in nice_ticks(0, highest, 5) if float(tick).is_integer()]
    slot = (right - left) / max(len(counts), 1)
    parts = _opening(width, height, title)
    for tick in ticks:
        parts.append(_y_grid_line(left, right, bottom - tick / highest * (bottom - top),
                                  f"{tick:g}"))
    for index, (label, count) in enumerate(zip(labels, counts)):
        x = left + index * slot
        bar = count / highest * (bottom - top)
        parts.append(f'<rect x="{x + 2:.1f}" y="{bottom - bar:.1f}" width="{slot - 4:.1f}" '
                     f'height="{bar:.1f}" fill="{color}"/>')
        if count:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{bottom - bar - 3:.1f}" '
                         f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + slot / 2:.1f}" y="{bottom + 14}" '
                     f'text-anchor="middle">{_esc(label)}</text>')
    parts.append(_frame(width, (left, right, top, bottom), title, x_label, y_label))
    parts.append("</svg>")
    return "".join(parts)
