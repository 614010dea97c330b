"""A report drawn as SVG, written here as plain text (no renderer, no binary dependency).

Two styles:

- ``volumes`` (a chain): each tensor the network makes is a 3-D box, as the lectures draw AlexNet and VGG. Its
  height shows the spatial size, its depth into the page the width, its thickness the channels, each on a log
  scale so that 3 to 2,048 channels and 7 to 1,024 pixels all read (larger sizes are drawn as the largest). A fully
  connected layer's output is a thin bar. Above each box: the layer that made it with its kernel and stride, and a
  square on the box before it marks that window; beneath it: its shape and the parameter-free layers that follow it
  (ReLU, dropout), which make no box of their own.
- ``graph`` (any network): the layers top to bottom, each a box with its path and what it is; joins (a residual
  add, a concatenation) are circles; each edge starts under its source with the shape it carries. Parallel
  branches sit side by side and a skip path runs beside the branch it skips.

Every label's box is known here (text is set in a monospaced face whose advance is at most :data:`ADVANCE` em),
so the layouts keep labels apart by construction; :attr:`Drawing.labels` lists them for a test to check, and
the test suite also measures them in a real browser. The picture's size follows the network, not its input: box
sizes are capped, so the same network drawn for a 32×32 or a 1024×1024 input has the same frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from .diagram import Graph, Node, graph, window_text
from .errors import SpecError
from .layers.base import numel
from .records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .report import Report

STYLES = ("volumes", "graph")
FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
ADVANCE = 0.62  # em: DejaVu Sans Mono's advance is 0.602 em; a little more keeps estimates on the safe side


@record
class Label:
    """A line of text as drawn: its baseline at ``y``, from ``x`` (``anchor`` start) or centred on ``x``."""

    text: str
    x: float
    y: float
    size: float
    anchor: str = "start"

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the text, from the font's advance, ascent and descent."""
        width = _width(self.text, self.size)
        left = self.x - width / 2 if self.anchor == "middle" else self.x - width if self.anchor == "end" else self.x
        return left, self.y - 0.8 * self.size, left + width, self.y + 0.25 * self.size


@record
class Drawing:
    """An SVG picture of a network: ``svg`` the document, ``labels`` every line of text in it. A notebook shows
    it inline; :meth:`save` writes it."""

    svg: str = field(repr=False)
    style: str
    width: int
    height: int
    labels: tuple[Label, ...] = field(default=(), repr=False)

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path`` (which must end in ``.svg``)."""
        target = Path(path)
        if target.suffix.lower() != ".svg":
            raise SpecError(f"a drawing is written as SVG: give a file name ending in .svg, not {target.name!r}")
        target.write_text(self.svg, encoding="utf-8")
        return target


def draw(report: Report, style: str | None = None) -> Drawing:
    """``report`` drawn in ``style`` (:data:`STYLES`); by default ``volumes`` for a chain of layers and
    ``graph`` where the network branches."""
    g = graph(report)
    if style is None:
        style = "graph" if g.branched else "volumes"
    if style not in STYLES:
        raise SpecError(f"unknown drawing style {style!r}: use {' or '.join(STYLES)}")
    if style == "volumes":
        if g.branched:
            at = g.first_branch()
            where = f"at {at.title}" if at is not None else ""
            raise SpecError(f"{g.name} branches {where}: the volumes style draws a chain of layers; use --style graph "
                            "(style='graph'), or --depth to merge its branches into blocks")
        return _volumes(report, g)
    return _graph(g)


# --- SVG text ------------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _n(value: float) -> str:
    """A coordinate, to a tenth of a pixel (the same drawing gives the same text)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Canvas:
    """The pieces of an SVG document and the labels set on it."""

    def __init__(self) -> None:
        self.shapes: list[str] = []
        self.texts: list[str] = []
        self.labels: list[Label] = []

    def text(self, label: Label, *, weight: str = "normal", fill: str = "#222") -> None:
        self.labels.append(label)
        anchor = "" if label.anchor == "start" else f' text-anchor="{label.anchor}"'
        bold = ' font-weight="bold"' if weight == "bold" else ""
        self.texts.append(f'<text x="{_n(label.x)}" y="{_n(label.y)}" font-size="{_n(label.size)}"{anchor}{bold} '
                          f'fill="{fill}">{_escape(label.text)}</text>')

    def document(self, width: float, height: float, title: str, style: str) -> Drawing:
        w, h = math.ceil(width), math.ceil(height)
        svg = "\n".join([
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="{FONT}">',
            f"<title>{_escape(title)}</title>",
            '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>',
            *self.shapes, *self.texts, "</svg>", ""])
        return Drawing(svg=svg, style=style, width=w, height=h, labels=tuple(self.labels))


def _width(text: str, size: float) -> float:
    return len(text) * ADVANCE * size


# --- colours by what a layer does -------------------------------------------------------------------------------


def _fill(n: Node) -> str:
    """Weighted sums (conv, linear) blue, windows without weights (pools) orange, blocks green, the rest grey."""
    row = n.row
    if row is None:
        return "#ffffff"
    if n.block:
        return "#d9f2d9"
    if row.macs:
        return "#cfe2f3"
    if n.kernel is not None:
        return "#fce5cd"
    return "#eeeeee"


# --- the graph style -----------------------------------------------------------------------------------------

TITLE, DETAIL, SHAPE, CAPTION = 12.0, 11.0, 10.0, 13.0
PAD = 8.0
BOX_H = 38.0
GAP_Y = 30.0  # between ranks: room for the shapes under the boxes
GAP_X = 28.0
LANE = 12.0  # a skip path's distance from what it passes, and from another skip path
MARGIN = 16.0


def _node_width(n: Node) -> float:
    """The room a node takes in its rank: its box, or a join's circle with its path written under it, left of the
    centre line; at least
    twice its shape label (written right of the centre line), so that two nodes' labels never meet."""
    shape = _width(n.shape, SHAPE) + 8
    if n.join:
        return 2 * max(_join_radius(n), 6 + _width(n.title, SHAPE), shape)
    text = max(_width(n.title, TITLE), _width(n.detail, DETAIL) if n.detail else 0)
    return max(text + 2 * PAD, 2 * shape, 60.0)


def _join_radius(n: Node) -> float:
    return max(15.0, _width(n.detail, DETAIL) / 2 + 5)


def _graph(g: Graph) -> Drawing:
    ins: dict[int, list[int]] = {n.index: [] for n in g.nodes}
    outs: dict[int, list[int]] = {n.index: [] for n in g.nodes}
    for a, b in g.edges:
        outs[a].append(b)
        ins[b].append(a)
    nodes = {n.index: n for n in g.nodes}
    rank: dict[int, int] = {}
    for n in g.nodes:
        rank[n.index] = 1 + max((rank[a] for a in ins[n.index]), default=-1)
    widths = {i: _node_width(n) for i, n in nodes.items()}
    slot = max(w for i, w in widths.items() if not nodes[i].join) + GAP_X  # a branch's lane
    by_rank: dict[int, list[int]] = {}
    for i in nodes:
        by_rank.setdefault(rank[i], []).append(i)
    # a long edge (across ranks) passes each rank between as a thin item of that rank: a skip path's lane
    passing: dict[int, list[tuple[int, int]]] = {}
    for a, b in g.edges:
        for r in range(rank[a] + 1, rank[b]):
            passing.setdefault(r, []).append((a, b))

    def skip(a: int, b: int) -> bool:  # an edge from a fork straight to a join further down
        return rank[b] - rank[a] > 1 and len(outs[a]) > 1

    x: dict[int, float] = {}
    lane: dict[tuple[int, int, int], float] = {}  # (from, to, rank) -> x of a long edge there
    for r in range(max(rank.values()) + 1):
        wanted: list[tuple[float, float, object]] = []  # (x wanted, width, item)
        for i in by_rank.get(r, []):
            sources = ins[i]
            if not sources:
                want = 0.0
            elif len(sources) > 1:
                want = sum(x[a] for a in sources) / len(sources)
            else:
                s = sources[0]
                kids = [b for b in outs[s] if not skip(s, b)]
                k = kids.index(i) if i in kids else 0
                want = x[s] + (k - (len(kids) - 1) / 2) * slot
            wanted.append((want, widths[i], i))
        for a, b in passing.get(r, []):
            if (a, b, r - 1) in lane:
                want = lane[(a, b, r - 1)]
            elif skip(a, b):
                kids = [c for c in outs[a] if not skip(a, c)]
                skips = [c for c in outs[a] if skip(a, c)]
                want = x[a] + (len(kids) - 1) / 2 * slot + max(
                    [widths[c] for c in kids] or [widths[a]]) / 2 + LANE + skips.index(b) * LANE
            else:
                want = x[a]
            wanted.append((want, 2.0, (a, b)))
        wanted.sort(key=lambda item: item[0])
        previous: tuple[float, float, bool] | None = None  # the item placed last: its x, width, and whether a node
        for want, w, item in wanted:
            node = isinstance(item, int)
            place = want
            if previous is not None:
                px, pw, pnode = previous
                place = max(want, px + (pw + w) / 2 + (GAP_X if node and pnode else LANE))
            previous = (place, w, node)
            if isinstance(item, int):
                x[item] = place
            else:
                lane[(item[0], item[1], r)] = place  # type: ignore[index]  # (a passing item is an (a, b) pair)

    left = min([x[i] - widths[i] / 2 for i in x] + [v - 1 for v in lane.values()])
    shift = MARGIN - left
    xs = {i: v + shift for i, v in x.items()}
    lanes = {k: v + shift for k, v in lane.items()}
    top = MARGIN + CAPTION + 14

    def y_of(r: int) -> float:
        return top + r * (BOX_H + GAP_Y) + BOX_H / 2

    canvas = _Canvas()
    canvas.text(Label(g.caption, MARGIN, MARGIN + CAPTION, CAPTION), weight="bold")
    height = {i: (2 * _join_radius(nodes[i]) if nodes[i].join else BOX_H) for i in nodes}
    for a, b in g.edges:
        path = " ".join(f"{_n(px)},{_n(py)}" for px, py in _route(a, b, xs, rank, lanes, widths, height, y_of))
        canvas.shapes.append(f'<polyline points="{path}" fill="none" stroke="#555" stroke-width="1.3" '
                             'marker-end="url(#arrow)"/>')
    for i, n in nodes.items():
        cx, cy = xs[i], y_of(rank[i])
        if n.join:
            radius = _join_radius(n)
            canvas.shapes.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(radius)}" fill="#fff2cc" stroke="#7f6000"/>')
            canvas.text(Label(n.detail, cx, cy + 0.35 * DETAIL, DETAIL, "middle"))
            canvas.text(Label(n.title, cx - 6, cy + radius + 4 + SHAPE, SHAPE, "end"), fill="#555")  # (left of its shape)
        else:
            w = _node_width(n)
            rounded = BOX_H / 2 if i == 0 else 6
            canvas.shapes.append(f'<rect x="{_n(cx - w / 2)}" y="{_n(cy - BOX_H / 2)}" width="{_n(w)}" height="{_n(BOX_H)}" '
                                 f'rx="{_n(rounded)}" fill="{_fill(n)}" stroke="#444"/>')
            if n.detail:
                canvas.text(Label(n.title, cx, cy - 3, TITLE, "middle"), weight="bold")
                canvas.text(Label(n.detail, cx, cy + 12, DETAIL, "middle"))
            else:
                canvas.text(Label(n.title, cx, cy + 4, TITLE, "middle"), weight="bold")
        canvas.text(Label(n.shape, cx + 6, cy + height[i] / 2 + 4 + SHAPE, SHAPE), fill="#555")
    right = max([xs[i] + widths[i] / 2 for i in xs] + [v + 2 for v in lanes.values()]
                + [MARGIN + _width(g.caption, CAPTION)])
    bottom = y_of(max(rank.values())) + BOX_H / 2 + GAP_Y
    return canvas.document(right + MARGIN, bottom + MARGIN / 2, g.caption, "graph")


def _route(a: int, b: int, xs: dict[int, float], rank: dict[int, int], lanes: dict[tuple[int, int, int], float],
           widths: dict[int, float], height: dict[int, float], y_of: Callable[[int], float]) -> list[tuple[float, float]]:
    """The corners of edge ``a`` → ``b``, drawn square: down from the source, across beneath its shape label, down into
    the target; an edge across ranks leaves its source by the side, runs down its lane and enters the target by
    the side (a skip path beside the branch it skips)."""
    ya, yb = y_of(rank[a]), y_of(rank[b])
    bottom, top = ya + height[a] / 2, yb - height[b] / 2
    xa, xb = xs[a], xs[b]
    if rank[b] - rank[a] == 1:
        if abs(xa - xb) < 0.5:
            return [(xa, bottom), (xb, top)]
        return [(xa, bottom), (xa, top - 9), (xb, top - 9), (xb, top)]
    path = [(lanes[(a, b, r)], y) for r in range(rank[a] + 1, rank[b]) for y in (y_of(r) - BOX_H / 2 - 8, y_of(r) + BOX_H / 2)]
    first, last = path[0][0], path[-1][0]
    if abs(first - xa) < 0.5:
        start = [(xa, bottom)]
    else:
        side = widths[a] / 2 if first > xa else -widths[a] / 2
        start = [(xa + side, ya), (first, ya)]
    circle = height[b] < BOX_H  # a join: enter it by the side, at its radius
    if abs(last - xb) < 0.5:
        end = [(xb, top)]
    elif circle or abs(last - xb) > widths[b] / 2:
        side = height[b] / 2 if circle else widths[b] / 2
        end = [(last, yb), (xb + (side if last > xb else -side), yb)]
    else:
        end = [(last, top - 9), (xb, top - 9), (xb, top)]
    return start + path + end


# --- the volumes style -------------------------------------------------------------------------------------------

SPATIAL = (12.0, 18.0, 1024)  # a side of n pixels is 12 + 18·log2(n) px, n capped at 1024
CHANNELS = (4.0, 8.0, 4096)  # C channels make a box 4 + 8·log2(C) px thick
VECTOR = (24.0, 14.0, 16384)  # a vector of n features is a bar 24 + 14·log2(n) px tall
SLANT = (0.45, 0.35)  # the depth axis, drawn up and to the right


def _scale(n: int, rule: tuple[float, float, int]) -> float:
    base, per, cap = rule
    return base + per * math.log2(max(1, min(n, cap)))


def _box(shape: tuple[int, ...]) -> tuple[float, float, float]:
    """(thickness, height, depth) in pixels of a tensor's box: channels, height, width (or a bar for a vector)."""
    if len(shape) <= 1:
        n = shape[0] if shape else 1
        return 8.0, _scale(n, VECTOR), 8.0
    c, spatial = shape[0], shape[1:]
    h = spatial[-2] if len(spatial) >= 2 else spatial[0]
    w = spatial[-1] if len(spatial) >= 2 else 1
    return _scale(c, CHANNELS), _scale(h, SPATIAL), _scale(w, SPATIAL)


def _drawn(n: Node) -> bool:
    """A row that makes a box: a weighted sum, a window, or a change in the number of elements. An activation,
    a normalisation or a dropout keeps its input's shape and is written under the box before it instead; a flatten
    or a reshape only rearranges it."""
    row = n.row
    return row is not None and (bool(row.macs) or n.kernel is not None or numel(row.output_shape) != numel(row.input_shape))


def _volumes(report: Report, g: Graph) -> Drawing:
    columns: list[tuple[Node, list[str]]] = [(g.nodes[0], [])]
    for n in g.nodes[1:]:
        assert n.row is not None
        if _drawn(n):
            columns.append((n, []))
        elif n.row.name not in columns[-1][1]:
            columns[-1][1].append(n.row.name or n.row.kind)
    boxes = [_box(n.row.output_shape if n.row is not None else report.input_shape) for n, _ in columns]
    tallest = max(_scale(1 << 30, SPATIAL), _scale(1 << 30, VECTOR)) + _scale(1 << 30, SPATIAL) * SLANT[1]
    lines = []  # per column: (above, above small, below, below small)
    for n, folded in columns:
        if n.row is None:
            lines.append(("input", "", n.shape, ""))
            continue
        what = (n.row.name or n.row.kind) + (" " + window_text(n.kernel, short=True) if n.kernel is not None else "")
        if n.kernel is None and n.row.macs and len(n.row.output_shape) == 1:
            what = "FC " + f"{n.row.output_shape[0]:,}"
        lines.append((what, n.title, n.shape, "+ " + ", ".join(folded) if folded else ""))
    widths = []
    deepest = _scale(1 << 30, SPATIAL) * SLANT[0]  # (a column has room for the deepest box: its input does not widen it)
    for (t, _, d), texts, (n, _) in zip(boxes, lines, columns):
        label = max(_width(texts[0], DETAIL), _width(texts[1], SHAPE), _width(texts[2], DETAIL), _width(texts[3], SHAPE))
        vector = n.row is not None and len(n.row.output_shape) <= 1
        widths.append(max(t + (d * SLANT[0] if vector else deepest), label) + GAP_X)
    canvas = _Canvas()
    caption = g.caption
    canvas.text(Label(caption, MARGIN, MARGIN + CAPTION, CAPTION), weight="bold")
    above = MARGIN + CAPTION + 16 + 2 * DETAIL + 8  # the two lines above the boxes
    mid = above + tallest / 2 + 6
    below = above + tallest + 16
    x = MARGIN
    fronts: list[tuple[float, float, float, float]] = []  # per box: its front face (left, top, right, bottom)
    for (t, h, d), texts, width, (n, _) in zip(boxes, lines, widths, columns):
        cx = x + width / 2
        dx, dy = d * SLANT[0], d * SLANT[1]
        left = cx - (t + dx) / 2
        top = mid - (h - dy) / 2
        fill = _fill(n)
        canvas.shapes.append(_cuboid(left, top, t, h, dx, dy, fill))
        fronts.append((left, top, left + t, top + h))
        canvas.text(Label(texts[0], cx, above - DETAIL - 6, DETAIL, "middle"), weight="bold")
        if texts[1]:
            canvas.text(Label(texts[1], cx, above - 4, SHAPE, "middle"), fill="#555")
        canvas.text(Label(texts[2], cx, below, DETAIL, "middle"))
        if texts[3]:
            canvas.text(Label(texts[3], cx, below + SHAPE + 5, SHAPE, "middle"), fill="#555")
        x += width
    for i, (n, _) in enumerate(columns[1:], start=1):  # the window each layer slides, on the box it reads
        if n.kernel is None or n.row is None:
            continue
        canvas.shapes.append(_window_mark(fronts[i - 1], fronts[i], n.kernel[0], n.row.input_shape))
    return canvas.document(x + MARGIN, below + SHAPE + 5 + MARGIN, caption, "volumes")


def _cuboid(left: float, top: float, t: float, h: float, dx: float, dy: float, fill: str) -> str:
    """A box seen from the front, up and to the right: its front face, top and right side."""
    front = f"{_n(left)},{_n(top)} {_n(left + t)},{_n(top)} {_n(left + t)},{_n(top + h)} {_n(left)},{_n(top + h)}"
    lid = (f"{_n(left)},{_n(top)} {_n(left + dx)},{_n(top - dy)} {_n(left + t + dx)},{_n(top - dy)} "
           f"{_n(left + t)},{_n(top)}")
    side = (f"{_n(left + t)},{_n(top)} {_n(left + t + dx)},{_n(top - dy)} {_n(left + t + dx)},{_n(top + h - dy)} "
            f"{_n(left + t)},{_n(top + h)}")
    return (f'<g stroke="#333" stroke-width="1" stroke-linejoin="round"><polygon points="{side}" fill="{fill}" '
            f'fill-opacity="0.75"/><polygon points="{lid}" fill="{fill}" fill-opacity="0.9"/>'
            f'<polygon points="{front}" fill="{fill}"/></g>')


def _window_mark(src: tuple[float, float, float, float], dst: tuple[float, float, float, float],
                 sizes: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """A square on the box a layer reads, its side the kernel's share of the input's height (at least 4 px), and two
    dashed lines from it to the box the layer makes: the lectures' mark of a convolution's window."""
    left, top, right, bottom = src
    spatial = shape[1:] or (1,)
    side = max(4.0, min(bottom - top, (bottom - top) * sizes[0] / max(1, spatial[0])))
    side = min(side, max(4.0, right - left))
    x0, y0 = right - side, top + (bottom - top) / 3 - side / 2
    target = (dst[0], dst[1] + (dst[3] - dst[1]) / 2)
    return (f'<g stroke="#b45f06" fill="none"><rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(side)}" height="{_n(side)}" '
            f'fill="#f6b26b" fill-opacity="0.6"/><polyline points="{_n(x0 + side)},{_n(y0)} {_n(target[0])},{_n(target[1])} '
            f'{_n(x0 + side)},{_n(y0 + side)}" stroke-dasharray="3,2"/></g>')
