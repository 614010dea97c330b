"""A report as a graph of its layers: the nodes a diagram draws and the data flow between them, and that graph
written as Graphviz (``summary --format dot``) and Mermaid (``--format mermaid``) text.

A node is a report row (a leaf, or a block :meth:`~convcalc.report.Report.at_depth` merged) plus the input;
an edge carries the tensor its source makes, so its label is the source's output shape. A node that reads
two or more tensors is a join (a residual add, a concatenation). The SVG pictures (:mod:`convcalc.drawing`)
lay out this same graph.
"""

from __future__ import annotations

from .layout import dims, order
from .records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .report import Report, Row


@record
class Node:
    """One box of a diagram: ``index`` the row's (0: the input), ``title`` where it sits (its path),
    ``detail`` what it is (``Conv2d 11×11, stride 4 · 34,944 params``), ``shape`` its output as the report's
    layout writes it; ``join`` is True for a node reading several tensors (``title`` then says how: add, cat)."""

    index: int
    title: str
    detail: str
    shape: str
    join: bool = False
    kernel: tuple[tuple[int, ...], tuple[int, ...]] | None = None  # (kernel, stride) of a sliding window
    block: bool = False  # a block :meth:`~convcalc.report.Report.at_depth` merged into one row
    row: Row | None = None  # None for the input


@record
class Graph:
    """The nodes in the order they run (the input first) and the edges ``(from, to)`` between their indices."""

    name: str
    caption: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]

    @property
    def branched(self) -> bool:
        """True where some node reads or feeds more than one other (a residual, an inception module)."""
        return self.first_branch() is not None

    def first_branch(self) -> Node | None:
        """The first node that reads several tensors or feeds several nodes (for an error naming it)."""
        ins: dict[int, int] = {}
        outs: dict[int, int] = {}
        for a, b in self.edges:
            outs[a] = outs.get(a, 0) + 1
            ins[b] = ins.get(b, 0) + 1
        return next((n for n in self.nodes if ins.get(n.index, 0) > 1 or outs.get(n.index, 0) > 1), None)


def kernel(row: Row) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The (kernel, stride) per spatial dim of a row that slides a window (conv, transposed conv, pool)."""
    found = row.sliding()
    return None if found is None else (tuple(d[0] for d in found[1].dims), tuple(d[1] for d in found[1].dims))


def window_text(found: tuple[tuple[int, ...], tuple[int, ...]], short: bool = False) -> str:
    """``11×11, stride 4`` (``11×11 /4`` where ``short``, as the lecture slides label a volume): the stride left out
    where it is 1, written once where it is one number."""
    sizes, strides = found
    text = "×".join(map(str, sizes))
    if any(s != 1 for s in strides):
        text += (" /" if short else ", stride ") + (str(strides[0]) if len(set(strides)) == 1 else "×".join(map(str, strides)))
    return text


def describe(row: Row, found: tuple[tuple[int, ...], tuple[int, ...]] | None) -> str:
    """What a row is, in a few words: its layer type, its window (``found``: :func:`kernel`) or width, and parameters."""
    what = row.name or row.kind
    if found is not None:
        what += " " + window_text(found)
    elif row.spec is not None and row.macs and len(row.output_shape) == 1:  # a fully connected layer: its width
        what += f" → {row.output_shape[0]:,}"
    if row.params:
        what += f" · {row.params:,} params"
    elif row.shared_with is not None:
        what += f" · shares layer {row.shared_with}'s weights"
    return what


def graph(report: Report) -> Graph:
    """The report's rows as a graph (after :meth:`~convcalc.report.Report.at_depth`: its blocks as nodes)."""
    edges = report.edges()
    reads: dict[int, int] = {}
    for _, b in edges:
        reads[b] = reads.get(b, 0) + 1
    layout = report.layout
    nodes = [Node(index=0, title="input", detail="", shape=dims(report.input_shape, layout))]
    windows: dict[tuple[object, tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]] | None] = {}
    leaves = {id(r) for r in report.leaves}
    for r in report.rows:
        join = reads.get(r.index, 0) > 1
        try:  # (a layer and its input decide its window: the 36 bottlenecks of a ResNet stage ask once)
            found = windows[(r.spec, r.input_shape)] if (r.spec, r.input_shape) in windows else windows.setdefault(
                (r.spec, r.input_shape), kernel(r))
        except TypeError:  # a layer holding an unhashable value
            found = kernel(r)
        nodes.append(Node(index=r.index, title=r.path or r.name or r.kind, detail=r.kind if join else describe(r, found),
                          shape=dims(r.output_shape, layout), join=join, kernel=found, block=id(r) not in leaves, row=r))
    name = report.model or "network"
    axes = "" if layout == "chw" else f" ({order(layout, len(report.input_shape))})"
    caption = f"{name} · input {dims(report.input_shape, layout)}{axes} · {report.totals.params:,} params"
    return Graph(name=name, caption=caption, nodes=tuple(nodes), edges=edges)


# --- text for the graph tools --------------------------------------------------------------------------


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: its quote and its entity marker written as entities."""
    return text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


@record
class _Syntax:
    """How a graph language writes the graph: its opening lines (given the name and caption), the input, a join and a
    layer (given ``i``, ``title``, ``detail``, ``shape``), an edge (``a``, ``b``, ``shape``), its closing lines, and
    how a label's text is escaped."""

    opening: tuple[str, ...]
    input: str
    join: str
    layer: str
    edge: str
    closing: tuple[str, ...]
    escape: Callable[[str], str]


_DOT = _Syntax(
    opening=('digraph "{name}" {{', '  graph [rankdir=TB, labelloc=t, fontname="monospace", label="{caption}"];',
             '  node [shape=box, style=rounded, fontname="monospace", fontsize=11];',
             '  edge [fontname="monospace", fontsize=9];'),
    input='  n0 [label="input\\n{shape}", shape=oval];',
    join='  n{i} [label="{detail}", tooltip="{title}", shape=circle];',
    layer='  n{i} [label="{title}\\n{detail}"];',
    edge='  n{a} -> n{b} [label="{shape}"];',
    closing=("}",), escape=_dot_text)
_MERMAID = _Syntax(
    opening=("flowchart TB", "  %% {caption}"),
    input='  n0(["input<br/>{shape}"])',
    join='  n{i}(("{detail}"))',
    layer='  n{i}["{title}<br/>{detail}"]',
    edge='  n{a} -->|"{shape}"| n{b}',
    closing=(), escape=_mermaid_text)


def _written(report: Report, syntax: _Syntax) -> str:
    g = graph(report)
    e = syntax.escape
    shapes = {n.index: e(n.shape) for n in g.nodes}
    lines = [line.format(name=e(g.name), caption=e(g.caption)) for line in syntax.opening]
    for n in g.nodes:
        template = syntax.input if n.index == 0 else syntax.join if n.join else syntax.layer
        lines.append(template.format(i=n.index, title=e(n.title), detail=e(n.detail), shape=shapes[n.index]))
    lines += [syntax.edge.format(a=a, b=b, shape=shapes[a]) for a, b in g.edges]
    return "\n".join([*lines, *syntax.closing])


def to_dot(report: Report) -> str:
    """The graph in Graphviz's DOT language: boxes for layers, circles for joins, shapes on the edges."""
    return _written(report, _DOT)


def to_mermaid(report: Report) -> str:
    """The graph as a Mermaid flowchart (top to bottom): rounded boxes for layers, circles for joins, the input
    a stadium; the shapes on the edges."""
    return _written(report, _MERMAID)
