"""Every table-like output as one document value, and the one function that writes it in each format.

A builder turns what was computed into a :class:`Document`: :func:`summary` (the report's table),
:func:`verification` (``verify``), :func:`breakdown` and :func:`comparison` (``summary --breakdown``
and ``--compare``), :func:`listing` (``models``, ``solve``), :func:`layer_card` (``convcalc layer``);
:meth:`convcalc.working.Working.document` builds the worked formulas' (``--explain``).
:func:`render` is the only place a format is chosen: a grid or labelled steps for the terminal,
Markdown, LaTeX and HTML, the document's own rows for CSV, its data for JSON.

A document holds values, not text: a count is an ``int`` (``62,378,344``, or ``62.38 M`` with
``human``), a shape :class:`Dims`, a figure held to torch's :class:`Checked`, a missing figure
``None``; :func:`render` writes them with the format's glyphs (LaTeX gets ASCII ones). Grids are
drawn by :mod:`convcalc.tables`; nothing here imports more than the standard library.
"""

from __future__ import annotations

import io

from .errors import SpecError
from .layout import order, shown
from .records import field, record
from .tables import FORMATS, GRIDS, grid, latex

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any, TypeAlias

    from .report import Report, Row
    from .torch_bridge.verify import Check, VerifyReport
    from .training import Fit

    #: A piece of a document's text: a string as it is, a count, a shape, a glyph, a figure held to
    #: torch's, ``None`` for a missing figure, or a tuple of pieces written one after another.
    Text: TypeAlias = "str | int | Dims | Axes | Mark | Checked | tuple[Text, ...] | None"
    #: A CSV header and its rows.
    Csv: TypeAlias = "tuple[Sequence[object], Iterable[Sequence[object]]]"

# --- the document ------------------------------------------------------------------------------


def inputs_in(report: Report) -> Text:
    """A report's inputs: its one input as :func:`input_in` shows it, or each Input (``3×32×32, mask=1×32×32:bool``)."""
    if not report.inputs:
        return input_in(report.input_shape, report.layout)
    parts: list[Text] = []
    for i, one in enumerate(report.inputs):
        parts += [", " if i else "", f"{one.name}=" if one.name else "", shape_in(one.shape, report.layout),
                  f":{one.dtype}" if one.dtype else ""]
    return tuple(parts)


@record
class Grid:
    """Rows of cells under headers; ``numeric`` columns align right. ``beneath`` names a column of
    sentences: a terminal table writes them under the grid, each after its row's first cell, where
    the terminal has the width for them; a document keeps them in the grid."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Text, ...], ...]
    numeric: tuple[bool, ...]
    beneath: int | None = None


@record
class Steps:
    """Labelled lines: a quantity and its working, one line or several (the explain, the layer card);
    ``notes`` go under them, indented with them in a terminal."""

    items: tuple[tuple[Text, tuple[Text, ...]], ...]
    notes: tuple[Text, ...] = ()


@record
class Document:
    """One table-like output: a title, a body (a :class:`Grid` or :class:`Steps`), lines beneath,
    and the CSV and JSON it is written as. ``csv`` and ``data`` are made when asked for (a report's
    JSON costs every row's profile terms, and most outputs are terminal tables); a :class:`Steps`
    body's CSV is its own (quantity, working) lines unless ``csv`` is given."""

    title: Text
    body: Grid | Steps
    data: Callable[[], object] = field(repr=False, compare=False)
    footer: tuple[Text, ...] = ()
    csv: Callable[[], Csv] | None = field(default=None, repr=False, compare=False)


@record
class Dims:
    """A shape, written ``96×55×55`` (``96x55x55`` in LaTeX)."""

    sizes: tuple[int, ...]

    def text(self, style: _Style) -> str:
        return style.glyphs.times.join(map(str, self.sizes))


@record
class Axes:
    """The order a layout writes a shape in, ``H×W×C`` (``HxWxC`` in LaTeX)."""

    names: tuple[str, ...]

    def text(self, style: _Style) -> str:
        return style.glyphs.times.join(self.names)


def shape_in(shape: Sequence[int], layout: str) -> Dims:
    """A channels-first shape as ``layout`` shows it (:func:`convcalc.layout.shown`)."""
    return Dims(shown(tuple(shape), layout))


def input_in(shape: Sequence[int], layout: str) -> Text:
    """A report's input as its layout shows it, the order named where it is not channels first:
    ``32×32×3 (H×W×C)``; ``3×32×32`` as always for ``chw``."""
    if layout == "chw":
        return Dims(tuple(shape))
    return (shape_in(shape, layout), " (", Axes(tuple(order(layout, len(shape)).split("×"))), ")")


@record
class Mark:
    """A glyph by its name in :class:`_Glyphs`: ``part`` (before a composite layer's piece),
    ``ok`` or ``wrong`` (a verdict)."""

    name: str

    def text(self, style: _Style) -> str:
        return getattr(style.glyphs, self.name)


PART, OK, WRONG = Mark("part"), Mark("ok"), Mark("wrong")


@record
class Checked:
    """convcalc's figure beside torch's: ``760 ✓``, ``760 ≠ 750 ✗``, or ``760`` where torch has no
    figure to hold it to (``theirs`` None)."""

    ours: Text
    theirs: Text

    def text(self, style: _Style) -> str:
        ours, g = _text(self.ours, style), style.glyphs
        if self.theirs is None:
            return ours
        if self.ours == self.theirs:
            return ours + g.agrees
        return f"{ours}{g.differs}{_text(self.theirs, style)}{g.disagrees}"


# --- the one renderer --------------------------------------------------------------------------


@record
class _Glyphs:
    """The marks a table uses; LaTeX gets ASCII ones, which compile under any engine."""

    times: str
    none: str
    part: str
    ok: str
    wrong: str
    differs: str
    agrees: str  # after a figure torch agrees with
    disagrees: str  # after one it does not


_UNICODE = _Glyphs("×", "—", "↳ ", "✓", "✗", " ≠ ", " ✓", " ✗")
_ASCII = _Glyphs("x", "--", "- ", "yes", "NO", " vs torch ", "", "")


@record
class _Style:
    """How a document's values are written: the glyphs, and counts rounded (``human``) or not."""

    glyphs: _Glyphs
    human: bool


def _text(piece: Text, style: _Style) -> str:
    if isinstance(piece, str):
        return piece
    if piece is None:
        return style.glyphs.none
    if isinstance(piece, int):
        return count(piece, style.human)
    if isinstance(piece, tuple):
        return "".join(_text(p, style) for p in piece)
    return piece.text(style)


def render(document: Document, fmt: str = "table", human: bool = False) -> str:
    """``document`` in one of :data:`FORMATS`; ``human`` rounds the counts of the table formats."""
    if fmt == "json":
        import json  # csv and json load only for the formats that need them: a table is the common case

        return json.dumps(document.data(), indent=2, ensure_ascii=False)
    if fmt == "csv":
        return csv_text(*(document.csv() if document.csv is not None else _step_lines(document.body)))
    if fmt not in GRIDS:
        raise SpecError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    style = _Style(_ASCII if fmt == "latex" else _UNICODE, human)
    if isinstance(document.body, Grid):
        return _grid(document, document.body, fmt, style)
    return _steps(document, document.body, fmt, style)


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A header line and one line per row, as the csv module writes them."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _step_lines(body: Grid | Steps) -> Csv:
    if not isinstance(body, Steps):
        raise TypeError("a grid document gives its own CSV")
    plain = _Style(_UNICODE, False)
    return ("quantity", "working"), [(_text(q, plain), _text(w, plain)) for q, lines in body.items for w in lines]


def _grid(document: Document, body: Grid, fmt: str, style: _Style) -> str:
    """The grid with its title above and lines below: as they are for the terminal, bold title and
    hard line breaks for Markdown; HTML and LaTeX get the bare grid, to drop into a page."""
    columns = list(range(len(body.headers)))
    footer = [_text(line, style) for line in document.footer]
    if fmt == "table" and body.beneath is not None:
        columns = [i for i in columns if i != body.beneath]
        footer[:0] = [f"{_text(row[0], style)}: {_text(row[body.beneath], style)}" for row in body.rows]
    shown = grid([[_text(row[i], style) for i in columns] for row in body.rows], [body.headers[i] for i in columns],
                 fmt, [body.numeric[i] for i in columns])
    if fmt in ("html", "latex"):
        return shown
    title = _text(document.title, style)
    if fmt == "table":
        parts = [title, shown, "\n".join(footer)]
    else:
        parts = [f"**{title}**" if title else "", shown, "  \n".join(footer)]
    return "\n\n".join(part for part in parts if part)


def html_parts(document: Document) -> tuple[str, str, list[str]]:
    """A grid document's title, its HTML table and the lines beneath it, for a page that lays them out itself
    (``convcalc web``); the same text the terminal table has around its grid."""
    style = _Style(_UNICODE, False)
    if not isinstance(document.body, Grid):
        raise TypeError("html_parts takes a document whose body is a Grid")
    return _text(document.title, style), _grid(document, document.body, "html", style), [
        _text(line, style) for line in document.footer]


def _steps(document: Document, body: Steps, fmt: str, style: _Style) -> str:
    """Each quantity with its working: aligned text, a Markdown list, a LaTeX description list or an
    HTML ``<dl>``, the title above and the notes and lines beneath."""
    title = _text(document.title, style)
    items = [(_text(q, style), [_text(w, style) for w in lines]) for q, lines in body.items]
    notes = [_text(n, style) for n in body.notes]
    footer = [_text(line, style) for line in document.footer]
    if fmt == "table":
        width = max((len(q) for q, _ in items), default=0) + 2
        text = [title, *(f"  {q if i == 0 else '':<{width}}{w}" for q, lines in items for i, w in enumerate(lines))]
        return "\n".join([*text, *(f"  {n}" for n in notes), *footer])
    if fmt == "markdown":
        text = [f"**{title}**", "", *(f"- {q}: " + "  \n  ".join(f"`{w}`" for w in lines) for q, lines in items)]
        return "\n".join([*text, "", *(f"*{n}*  " for n in notes), *(f"*{line}*" for line in footer)])
    if fmt == "latex":
        text = [rf"\paragraph{{{latex(title, prose=True)}}}", r"\begin{description}",
                *(rf"  \item[{latex(q, prose=True)}] " + r" \\ ".join(latex(w, prose=True) for w in lines)
                  for q, lines in items)]
        return "\n".join([*text, r"\end{description}", *(latex(n, prose=True) + r"\\" for n in notes),
                          *(latex(line, prose=True) for line in footer)])
    from html import escape

    shown = "".join(f"<dt>{escape(q)}</dt>" + "".join(f"<dd>{escape(w)}</dd>" for w in lines) for q, lines in items)
    extra = "".join(f"<p>{escape(n)}</p>" for n in notes)
    tail = "".join(f"<p><em>{escape(line)}</em></p>" for line in footer)
    return f"<p><strong>{escape(title)}</strong></p>\n<dl>{shown}</dl>\n{extra}{tail}"


# --- numbers -----------------------------------------------------------------------------------


def count(n: int, human: bool = False) -> str:
    """``62378344`` -> ``62,378,344``, or ``62.38 M`` when ``human``."""
    if not human or abs(n) < 1000:
        return f"{n:,}"
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)  # pragma: no cover - unreachable


def nbytes(n: int) -> str:
    """``249513376`` -> ``237.95 MiB`` (binary units, as memory is sold to programmers)."""
    value, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            break
        value /= 1024
    return f"{n} B" if unit == "B" else f"{value:.2f} {unit}"


def _plain(value: object, layout: str = "chw") -> object:
    """A figure as CSV writes it: shapes ``3x224x224`` (in ``layout``), missing ones empty."""
    if value is None:
        return ""
    return "x".join(map(str, shown(value, layout))) if isinstance(value, tuple) else value


# --- the report ----------------------------------------------------------------------------------

HEADERS = ("#", "path", "layer", "output", "params", "MACs", "FLOPs", "RF")
_NUMERIC = (True, False, False, False, True, True, True, False)
_CSV_KEYS = ("index", "path", "kind", "depth", "layer", "input_shape", "output_shape", "params", "weights", "biases",
             "macs", "flops", "activation_bytes", "receptive_field", "formula", "warnings")


def summary(report: Report) -> Document:
    """The per-layer table with totals; its CSV has one line per row (no totals line: sum the
    columns), its JSON is :meth:`Report.to_dict`."""
    rows: list[tuple[Text, ...]] = []
    b, layout = report.batch, report.layout
    for r in report.rows:
        rf = None if r.receptive_field is None else Dims(r.receptive_field)
        layer = r.layer + (f" (shared with #{r.shared_with})" if r.shared_with else "")
        rows.append((str(r.index), r.path, layer, shape_in(r.output_shape, layout), r.params, r.macs, r.flops, rf))
        for p in r.parts:  # a composite leaf shows its pieces beneath it, already in its sums
            rows.append(("", (PART, p.name), p.layer, shape_in(p.output_shape, layout), p.weights + p.biases, p.macs * b,
                         p.flops * b, ""))
    t = report.totals
    rows.append(("", "", "total", "", t.params, t.macs, t.flops, ""))
    footer: list[Text] = [
        ("parameters   ", t.params, f" ({nbytes(t.param_bytes)} as {report.dtype})")
        + ((", plus ", t.buffers, " buffers") if t.buffers else ())
        + (("; trainable ", t.trainable_params, ", non-trainable ", t.params - t.trainable_params)
           if t.trainable_params != t.params else ()),  # as Keras' summary counts them (moving statistics, frozen weights)
        ("MACs         ", t.macs, "   FLOPs ", t.flops, f"   (batch {b})"),
        f"activations  {nbytes(t.activation_bytes)} (input {nbytes(t.input_bytes)} included)",
    ]
    footer += _closing(report)
    return Document(
        title=(report.model or "network", ": input", "s " if len(report.inputs) > 1 else " ", inputs_in(report),
               f", batch {b}, {report.dtype}" if report.batched else f", given whole, {report.dtype}"),
        body=Grid(HEADERS, tuple(rows), _NUMERIC), footer=tuple(footer),
        csv=lambda: (_CSV_KEYS, (_csv_row(r, layout) for r in report.rows)), data=report.to_dict)


TRAIN_HEADERS = ("#", "path", "layer", "output", "params", "FLOPs", "∂input FLOPs", "∂weights FLOPs", "saved")
_TRAIN_NUMERIC = (True, False, False, False, True, True, True, True, False)
_TRAIN_CSV_KEYS = ("index", "path", "kind", "depth", "layer", "input_shape", "output_shape", "params", "flops",
                   "backward_flops", "grad_input_flops", "grad_weight_flops", "saved_bytes", "warnings")


def training(report: Report) -> Document:
    """A training report's table: per row its forward FLOPs, the FLOPs of its input's and its weights' gradients and
    the bytes autograd saves for it (each tensor at the first row that saves it); then the memory of one step, and
    how its peak is made (:mod:`convcalc.training`)."""
    from .training import OPTIMIZERS

    training, t, found = report.training, report.totals, report.train_peak
    assert training is not None and found is not None
    b, layout = report.batch, report.layout
    rows: list[tuple[Text, ...]] = []
    for r in report.rows:
        tr = r.trained
        saved: Text = "" if tr is None else nbytes(tr.saved_bytes) if tr.modelled else "?"
        layer = r.layer + (f" (shared with #{r.shared_with})" if r.shared_with else "")
        frozen = tr is not None and r.params and not tr.trainable and not r.shared_with
        rows.append((str(r.index), r.path, layer + (" (frozen)" if frozen else ""), shape_in(r.output_shape, layout), r.params,
                     r.flops, 0 if tr is None else tr.input_flops, 0 if tr is None else tr.weight_flops, saved))
    backward = t.backward_flops or 0
    rows.append(("", "", "total", "", t.params, t.flops, sum(r.trained.input_flops for r in report.rows if r.trained),
                 sum(r.trained.weight_flops for r in report.rows if r.trained), nbytes(t.saved_activation_bytes or 0)))
    made, state = OPTIMIZERS[training.optimizer]
    kept = " and ".join(name for name, shaped in state if shaped)
    scalars = " and ".join(name for name, shaped in state if not shaped)
    what = (f"{kept} per parameter" if kept else "nothing") + (f", a {scalars} scalar per tensor" if scalars else "")
    weights_dtype = report.dtype
    held = _frozen_by_training(report) + t.params - t.trainable_params
    footer: list[Text] = [
        ("parameters         ", t.params, f" ({nbytes(t.param_bytes)} as {weights_dtype})")
        + ((", plus ", t.buffers, " buffers") if t.buffers else ())
        + (("; trainable ", t.params - held, ", frozen ", held) if held else ()),
        f"gradients          {nbytes(t.gradient_bytes or 0)} (of the trainable parameters, {weights_dtype})",
        f"optimizer state    {nbytes(t.optimizer_bytes or 0)} ({training.optimizer}: {what}; {made})",
        f"saved activations  {nbytes(t.saved_activation_bytes or 0)} (the tensors autograd keeps for the backward, each once"
        + (f"; {training.amp} activations" if training.amp else "") + f"; {training.device} kernels)",
        f"peak of one step   {nbytes(found.peak)} = {nbytes(found.start)} live at the start of the backward (parameters, "
        f"buffers, optimizer state, saved activations, the output and its gradient) + {nbytes(found.transient)} "
        f"largest transient (at {found.where})",
        ("FLOPs              forward ", t.flops, " + backward ", backward, " = ", t.flops + backward, f"   (batch {b})"),
    ]
    footer += _closing(report)
    return Document(
        title=(report.model or "network", ": training step, input", "s " if len(report.inputs) > 1 else " ", inputs_in(report),
               f", batch {b}, {report.dtype}", f", {training.optimizer}" + (f", autocast {training.amp}" if training.amp else "")),
        body=Grid(TRAIN_HEADERS, tuple(rows), _TRAIN_NUMERIC), footer=tuple(footer),
        csv=lambda: (_TRAIN_CSV_KEYS, (_train_csv_row(r, layout) for r in report.rows)), data=report.to_dict)


def _closing(report: Report) -> list[Text]:
    """The lines a summary ends with: the batch that fits (where asked), the notes, the warnings."""
    lines: list[Text] = [_fit_line(report.fit)] if report.fit is not None else []
    return lines + [f"note: {n}" for n in report.notes] + [f"warning: {w}" for w in report.warnings]


def _frozen_by_training(report: Report) -> int:
    """Parameters frozen for the training step (``trainable=False``, ``freeze``) beyond those the report already
    counts as non-trainable."""
    rows = [r for r in report.rows if r.trained is not None and not r.shared_with]
    return sum(r.params - r.frozen - r.trained.trainable for r in rows if r.trained is not None)


def _fit_line(fit: Fit) -> str:
    what = "a training step" if fit.train else "inference"
    if fit.batch == 0:
        return (f"fit                not even batch 1 fits {nbytes(fit.memory)} for {what}: its peak is "
                f"{nbytes(fit.next_peak_bytes)}")
    return (f"fit                batch {fit.batch:,} is the largest whose peak fits {nbytes(fit.memory)} for {what}: "
            f"{nbytes(fit.peak_bytes or 0)} at {fit.batch:,}, {nbytes(fit.next_peak_bytes)} at {fit.batch + 1:,}")


def _train_csv_row(r: Row, layout: str = "chw") -> list[object]:
    return _csv_row(r, layout, _TRAIN_CSV_KEYS)


def _csv_row(r: Row, layout: str = "chw", keys: tuple[str, ...] = _CSV_KEYS) -> list[object]:
    """A row as CSV writes it, its shapes in ``layout`` (the receptive field has no channels)."""
    d = r.to_dict()
    for key in ("input_shape", "output_shape"):
        d[key] = "x".join(map(str, shown(tuple(d[key]), layout)))
    for key in ("receptive_field",):
        d[key] = "" if d[key] is None else "x".join(map(str, d[key]))
    d["warnings"] = "; ".join(d["warnings"])
    return [d.get(k, "") for k in keys]


def layer_card(report: Report) -> Document:
    """One layer's figures, a line each (``convcalc layer``)."""
    r, t = report.rows[0], report.totals
    window = r.window()
    items: tuple[tuple[Text, Text], ...] = (
        ("output shape", shape_in(r.output_shape, report.layout)),
        *((("padding", _pads(window[0])), ("stride", Dims(window[1]))) if window else ()),
        ("neurons", (r.neurons, " (output elements)")),
        ("parameters", (r.params, " (", r.params - r.frozen, " trainable + ", r.frozen, " non-trainable, as Keras counts them)")
         if r.frozen else (r.params, " (", r.weights, " weights + ", r.biases, " biases)")),
        ("MACs", r.macs),
        ("FLOPs", (r.flops, *((" (", r.flops_with_bias, " with the ", r.bias_adds, " bias additions)") if r.bias_adds else ()))),
        ("activation bytes", (r.activation_bytes, " (with the input: ", t.activation_bytes, ")")),
        ("inference peak", None if t.inference_peak_bytes is None else (
            t.inference_peak_bytes, " bytes (", t.peak_activation_bytes, " live at once + ", t.param_bytes + t.buffers * report.dtype_bytes,
            " of parameters and buffers)")),
        ("receptive field", Dims(r.receptive_field) if r.receptive_field else None),
    )
    footer = tuple(f"note: {n}" for n in report.notes) + tuple(f"warning: {w}" for w in report.warnings)
    return Document(title=(r.layer, " on input ", inputs_in(report)),
                    body=Steps(tuple((q, (v,)) for q, v in items)), footer=footer, data=report.to_dict)


def _pads(pads: tuple[tuple[int, int], ...]) -> Text:
    """Padding per dim as a student writes it: ``2×2``, or ``(1+2)×(1+2)`` for before+after when they differ."""
    if all(a == b for a, b in pads):
        return Dims(tuple(a for a, _ in pads))
    return "×".join(f"({a}+{b})" for a, b in pads)


def listing(rows: Sequence[Mapping[str, str | int]], plain: bool = False) -> Document:
    """A plain list of records (the zoo listing, the paddings that fit): a column per key, whole
    numbers as counts (``plain``: as they are) and aligned right, as the first record has them."""
    headers = tuple(rows[0]) if rows else ()
    numeric = tuple(isinstance(v, int) for v in rows[0].values()) if rows else ()
    cells = tuple(tuple(str(v) if plain or not isinstance(v, int) else v for v in r.values()) for r in rows)
    return Document(title="", body=Grid(headers, cells, numeric),
                    csv=lambda: (headers, [[r.get(h) for h in headers] for r in rows]), data=lambda: rows)


# --- verify --------------------------------------------------------------------------------------

_VERIFY_HEADERS = ("#", "path", "kind", "output", "params", "FLOPs (conv, linear)", "ok")
_VERIFY_NUMERIC = (True, False, False, False, True, True, False)
_VERIFY_CSV = ("index", "path", "kind", "ok", "output_shape", "torch_output_shape", "params", "torch_params",
               "flops", "torch_flops")


def _checked(check: Check, layout: str = "chw") -> Checked:
    def value(v: object) -> Text:
        return shape_in(v, layout) if isinstance(v, tuple) else v if v is None or isinstance(v, int) else str(v)

    return Checked(value(check.ours), value(check.theirs))


def verification(v: VerifyReport) -> Document:
    """convcalc's rows beside torch's (a :class:`~convcalc.torch_bridge.verify.VerifyReport`'s data;
    nothing here imports torch)."""
    rows: list[tuple[Text, ...]] = [
        (str(r.index), r.path, r.kind, _checked(r.shape, v.layout), _checked(r.params),
         _checked(r.flops) if r.flops.theirs is not None else None, OK if r.ok else WRONG)
        for r in v.rows]
    rows.append(("", "", "total", "", _checked(v.params), _checked(v.flops), OK if v.ok else WRONG))
    wrong = sum(not r.ok for r in v.rows)
    verdict = "all rows agree with torch" if v.ok else f"{wrong} rows disagree with torch"
    footer: tuple[Text, ...] = (("parameters  ", _checked(v.params)),
                                ("FLOPs of conv and linear layers (FlopCounterMode)  ", _checked(v.flops)),
                                f"{'ok' if v.ok else 'MISMATCH'}: {verdict}")
    return Document(
        title=(f"verify {v.model or 'network'}: input ", input_in(v.input_shape, v.layout), f":{v.input_dtype}" if v.input_dtype else "",
               f", batch {v.batch}, on {v.device} (torch {v.torch_version})"),
        body=Grid(_VERIFY_HEADERS, tuple(rows), _VERIFY_NUMERIC), footer=footer,
        csv=lambda: (_VERIFY_CSV, ([r.index, r.path, r.kind, r.ok, *(_plain(x, v.layout) for c in (r.shape, r.params, r.flops)
                                                                               for x in (c.ours, c.theirs))] for r in v.rows)),
        data=v.to_dict)


# --- the breakdown into primitive counts, and the comparison with other tools -----------------


def breakdown(report: Report) -> Document:
    """Per layer: how torch runs it (a module, or the call a forward makes) and its primitive counts."""
    from .layers.base import PRIMITIVES
    from .profiles import PRIMITIVE_HEADERS

    rows: list[tuple[Text, ...]] = [
        (str(r.index), r.path, r.name, r.call, *(getattr(r.primitives, k) for k in PRIMITIVES)) for r in report.rows]
    totals = report.primitives()
    rows.append(("", "", "total", "", *(getattr(totals, k) for k in PRIMITIVES)))
    footer = ("call: module = torch runs the layer as an nn.Module (hooks see it); otherwise the call its forward makes",
              "every other tool's total is a sum of these columns: see --compare")
    return Document(
        title=(report.model or "network", ": primitive counts per layer, input ", input_in(report.input_shape, report.layout),
               f", batch {report.batch}"),
        body=Grid(("#", "path", "layer", "call", *PRIMITIVE_HEADERS), tuple(rows),
                  (True, False, False, False, *(True,) * len(PRIMITIVES))),
        footer=footer,
        csv=lambda: (("index", "path", "kind", "call", *PRIMITIVES),
                     ((r.index, r.path, r.kind, r.call, *(getattr(r.primitives, k) for k in PRIMITIVES))
                      for r in report.rows)),
        data=report.to_dict)


_WHY = "where the difference comes from"


def comparison(report: Report) -> Document:
    """Every profile's total beside the paper figure, the difference in percent, and where it comes
    from (sentences beneath the grid in a terminal, a column in a document)."""
    profiles = report.comparison
    paper = profiles["paper"].total
    keras = report.keras_params()
    t = report.totals
    records: list[dict[str, Text]] = [
        {"profile": name, "total": p.total, "vs paper": _percent(p.difference(paper)), _WHY: p.reason()}
        for name, p in profiles.items()]
    footer: tuple[Text, ...] = (
        ("convcalc: ", t.flops, " FLOPs by its own convention (every add, compare and multiply; see the README)"),
        ("keras: ", keras["total"], " parameters (", keras["trainable"], " trainable, ", keras["non_trainable"],
         " non-trainable: batch-norm running statistics count there); torch: ", t.params),
        "versions: " + "; ".join(f"{name} = {p.version}" for name, p in profiles.items() if name != "paper"),
    )
    if report.training is not None:
        from .profiles import _BACKWARD

        footer = (("training step: torch is FlopCounterMode over the forward and the backward (", profiles["torch"].terms.get(_BACKWARD, 0),
                   " of it the backward: the gradients' conv and matrix products, a grouped conv's weight gradient counted "
                   "groups times its forward); the other tools count the forward alone"), _torchinfo_size_line(report), *footer)
    headers = tuple(records[0])
    # a figure the profile cannot reproduce exactly is shown as about that (its reason says where and why)
    shown = [{**r, "total": r["total"] if p.exact else ("≈", r["total"])} for r, p in zip(records, profiles.values())]
    return Document(
        title=(report.model or "network", ": what each tool prints, input ", input_in(report.input_shape, report.layout),
               f", batch {report.batch}"),
        body=Grid(headers, tuple(tuple(r.values()) for r in shown), (False, True, True, False), beneath=3),
        footer=footer, csv=lambda: (headers, [list(r.values()) for r in records]),
        data=lambda: comparison_dict(report))


def _torchinfo_size_line(report: Report) -> Text:
    """torchinfo's "Estimated Total Size" beside convcalc's peak of a training step, and why they differ."""
    from .profiles import torchinfo_total_size

    size, exact = torchinfo_total_size(report)
    t = report.totals
    return (f"memory: torchinfo's Estimated Total Size {'' if exact else '≈ '}", size, " B (the input, twice the output of "
            "every layer with parameters, the parameters: no gradients, no optimizer state, and outputs charged whether "
            "autograd keeps them or not); convcalc's peak of the step ", t.peak_train_bytes or 0, " B (saved activations ",
            t.saved_activation_bytes or 0, ", gradients ", t.gradient_bytes or 0, ", optimizer state ", t.optimizer_bytes or 0, ")")


def _percent(diff: float | None) -> str:
    """``+0.55%``; a difference too small for two decimals keeps two significant digits (``+0.0013%``)."""
    if diff is None:
        return "—"
    if diff and abs(diff) < 0.01:
        return f"{diff:+.2g}%"
    return f"{diff:+.2f}%"


def comparison_dict(report: Report) -> dict[str, Any]:
    """The comparison as JSON-ready data: each profile's total, difference, reason, terms and traps."""
    profiles = report.comparison
    paper = profiles["paper"].total
    return {
        "model": report.model, "input_shape": list(report.input_shape), "batch": report.batch, "layout": report.layout,
        "profiles": report.profiles(),
        "comparison": {
            name: {"total": p.total, "difference_percent": p.difference(paper), "reason": p.reason(),
                   "recipe": p.recipe, "version": p.version, "terms": p.terms,
                   "traps": [{"what": t.what, "amount": t.amount, "layers": list(t.layers)} for t in p.traps],
                   "exact": p.exact, "not_exact": [{"why": i.why, "layers": list(i.layers)} for i in p.inexact],
                   **({"unknown_layers": list(p.unknown)} if p.unknown else {})}
            for name, p in profiles.items()
        },
        "keras_params": report.keras_params(),
        **({} if report.training is None else {"torchinfo_total_size": _torchinfo_size(report)}),
    }


def _torchinfo_size(report: Report) -> dict[str, Any]:
    from .profiles import torchinfo_total_size

    size, exact = torchinfo_total_size(report)
    return {"bytes": size, "exact": exact, "peak_train_bytes": report.totals.peak_train_bytes}
