"""The working: each formula of a layer written out with the numbers substituted.

``explain(cc.Conv2d(3, 10, 5, padding=2), (3, 32, 32))`` gives, among its lines,
``O = ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32``, ``params = 5·5·3·10 + 10 = 760`` and
``FLOPs = 2·10·32·32·3·5·5 = 1,536,000``. The numbers come from the same
analysis as the report; this module only writes them out, one function per
layer family.
"""

from __future__ import annotations

import csv
import io
import json
from functools import singledispatch
from html import escape
from math import prod
from typing import Any

from .analysis import Report, Row, analyze
from .arithmetic import adaptive_reads, pool_output_size, transposed_output_size, window_formula
from .errors import SpecError
from .layers import activation, conv, linear, normalization, pooling, tensor_ops
from .layers.base import Leaf, Shape
from .records import record

CONVENTION = ("convention: 1 multiply-accumulate (MAC) = 1 multiplication + 1 addition = 2 FLOPs; bias additions "
              "are not counted (the lectures' \"# products\" are MACs); conv and linear FLOPs equal torch's "
              "FlopCounterMode")

Lines = list[tuple[str, str]]
_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _n(value: int) -> str:
    return f"{value:,}"


def _dot(*values: object) -> str:
    return "·".join(str(v) for v in values)


def _size(i: int, k: int, s: int, pl: int, pr: int, d: int, out: int, ceil: bool = False) -> str:
    return "O = " + window_formula(i, k, s, pl, pr, d, out, ceil, spaced=True)


def _output_lines(spatial: Shape, per_dim: list[str], rule: str, out: Shape) -> Lines:
    lines = [("output size", rule)]
    axes = _AXES.get(len(spatial), tuple(f"dim {i}" for i in range(len(spatial))))
    if all(p == per_dim[0] for p in per_dim):
        lines.append(("", f"{per_dim[0]}  ({' and '.join(axes)} alike)" if len(per_dim) > 1 else per_dim[0]))
    else:
        lines += [("", f"{axis}: {text}") for axis, text in zip(axes, per_dim)]
    lines.append(("", "output " + "×".join(map(str, out))))
    return lines


@singledispatch
def working(layer: Leaf, shape: Shape, row: Row) -> Lines:
    """The fallback: what the report says, without a formula of its own."""
    lines: Lines = [("output", f"{'×'.join(map(str, row.output_shape))}  ({row.formula})" if row.formula else
                     "×".join(map(str, row.output_shape)))]
    lines.append(("parameters", f"params = {_n(row.params)}"))
    lines.append(("FLOPs", f"FLOPs = {_n(row.flops)}"))
    return lines


@working.register
def _conv(layer: conv._ConvNd, shape: Shape, row: Row) -> Lines:
    spatial, out = shape[1:], row.output_shape
    pads = layer.pads()
    per_dim = [_size(i, k, s, l, r, d, o) for i, k, s, (l, r), d, o in
               zip(spatial, layer.kernel_size, layer.stride, pads, layer.dilation, out[1:])]  # type: ignore[call-overload]
    rule = "O = ⌊(I + 2P − K)/S⌋ + 1" if all(d == 1 for d in layer.dilation) else "O = ⌊(I + 2P − D·(K−1) − 1)/S⌋ + 1"  # type: ignore[union-attr]
    cin, cout, g, k = shape[0], layer.out_channels, layer.groups, tuple(layer.kernel_size)  # type: ignore[arg-type]
    cin_g = cin if g == 1 else f"({cin}/{g})"
    bias = f" + {cout}" if layer.bias else ""
    symbols_k = "·".join(f"k{a[0]}" for a in _AXES[len(k)])
    symbols_o = "·".join(f"O{a[0]}" for a in _AXES[len(k)])
    cin_sym = "Cin" if g == 1 else "(Cin/g)"
    lines = _output_lines(spatial, per_dim, rule, out)
    lines.append(("parameters", f"params = {symbols_k}·{cin_sym}·Cout{' + Cout' if layer.bias else ''} = "
                                f"{_dot(*k, cin_g, cout)}{bias} = {_n(row.params)}  ({_n(row.weights)} weights, {_n(row.biases)} biases)"))
    lines.append(("MACs", f"MACs = Cout·{symbols_o}·{cin_sym}·{symbols_k} = {_dot(cout, *out[1:], cin_g, *k)} = {_n(row.macs)}"))
    lines.append(("FLOPs", f"FLOPs = 2·Cout·{symbols_o}·{cin_sym}·{symbols_k} = 2·{_dot(cout, *out[1:], cin_g, *k)} = "
                           f"{_n(row.flops)}"))
    return lines


@working.register
def _transposed(layer: conv._ConvTransposeNd, shape: Shape, row: Row) -> Lines:
    spatial, out = shape[1:], row.output_shape
    per_dim = [f"O = ({i} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1 = {transposed_output_size(i, k, s, p, op, d)}"
               for i, k, s, p, op, d in zip(spatial, layer.kernel_size, layer.stride, layer.padding,  # type: ignore[call-overload]
                                            layer.output_padding, layer.dilation)]
    cin, cout, g, k = shape[0], layer.out_channels, layer.groups, tuple(layer.kernel_size)  # type: ignore[arg-type]
    cout_g = cout if g == 1 else f"({cout}/{g})"
    lines = _output_lines(spatial, per_dim, "O = (I − 1)·S − 2P + D·(K − 1) + output_padding + 1", out)
    lines.append(("parameters", f"params = Cin·Cout·Πk{' + Cout' if layer.bias else ''} = {_dot(cin, cout_g, *k)}"
                                f"{f' + {cout}' if layer.bias else ''} = {_n(row.params)}"))
    lines.append(("MACs", f"MACs = Cin·ΠI·Cout·Πk = {_dot(cin, *spatial, cout_g, *k)} = {_n(row.macs)}  "
                          "(each input element meets every kernel weight once)"))
    lines.append(("FLOPs", f"FLOPs = 2·MACs = {_n(row.flops)}"))
    return lines


@working.register
def _depthwise(layer: conv.DepthwiseConv2d, shape: Shape, row: Row) -> Lines:
    inner = working(layer.as_conv(shape[0]), shape, row)
    return [("depthwise", f"a Conv2d with groups = channels = {shape[0]}: each channel is filtered on its own")] + inner


@working.register
def _separable(layer: conv.SeparableConv2d, shape: Shape, row: Row) -> Lines:
    lines: Lines = [("", "depthwise k×k conv, then pointwise 1×1 conv; the unit's figures are their sums")]
    depthwise, pointwise = layer.parts(shape[0])
    mid = depthwise.effect(shape).output_shape
    for label, part, part_shape in (("depthwise", depthwise, shape), ("pointwise", pointwise, mid)):
        part_row = analyze(part, part_shape).rows[0]
        lines.append((label, repr(part)))
        lines += [(f"  {name}" if name else "", text) for name, text in working(part, part_shape, part_row)]
    lines.append(("total", f"params = {_n(row.params)}, MACs = {_n(row.macs)}, FLOPs = {_n(row.flops)}"))
    return lines


@working.register
def _pool(layer: pooling._Pool, shape: Shape, row: Row) -> Lines:
    spatial, out = shape[1:], row.output_shape
    per_dim = [_size(i, k, s, p, p, d, pool_output_size(i, k, s, p, d, layer.ceil_mode), layer.ceil_mode)
               for i, k, s, p, d in zip(spatial, layer.kernel_size, layer.strides, layer.padding, layer.dilations)]
    if layer.ceil_mode:
        per_dim = [p + "  (ceil_mode: a last window may hang over the end, if it starts inside)" for p in per_dim]
    kernel = tuple(layer.kernel_size)
    c = shape[0]
    is_max = isinstance(layer, pooling._MaxPoolNd)
    lines = _output_lines(spatial, per_dim, "O = ⌊(I + 2P − K)/S⌋ + 1 (stride defaults to the kernel size)", out)
    lines.append(("parameters", "params = 0 (pooling learns nothing)"))
    if is_max:
        lines.append(("FLOPs", f"FLOPs = C·ΠO·(Πk − 1) comparisons = {_dot(c, *out[1:])}·({_dot(*kernel)} − 1) = {_n(row.flops)}"))
    else:
        lines.append(("FLOPs", f"FLOPs = C·ΠO·Πk = {_dot(c, *out[1:], *kernel)} = {_n(row.flops)}  "
                               "(Πk − 1 additions and one division per window)"))
    return lines


@working.register
def _adaptive(layer: pooling._AdaptivePoolNd, shape: Shape, row: Row) -> Lines:
    spatial, out = shape[1:], row.output_shape
    lines: Lines = [("output size", f"output {'×'.join(map(str, out))}: window i covers ⌊i·I/O⌋ … ⌈(i+1)·I/O⌉ − 1")]
    reads = [adaptive_reads(i, o) for i, o in zip(spatial, out[1:])]
    lines.append(("", "elements read per dim: I + O − gcd(I, O) = " + ", ".join(f"{r}" for r in reads)))
    if isinstance(layer, pooling._AdaptiveMaxPoolNd):
        lines.append(("FLOPs", f"FLOPs = C·(Πreads − ΠO) comparisons = {shape[0]}·({_dot(*reads)} − {_dot(*out[1:])}) = {_n(row.flops)}"))
    else:
        lines.append(("FLOPs", f"FLOPs = C·Πreads = {_dot(shape[0], *reads)} = {_n(row.flops)}"))
    return lines


@working.register
def _linear(layer: linear.Linear, shape: Shape, row: Row) -> Lines:
    fin, fout = shape[-1], layer.out_features
    positions = prod(shape[:-1])
    at = f"·{positions}" if positions > 1 else ""
    lines: Lines = [("output", f"{'×'.join(map(str, row.output_shape))}  (the last dim {fin} → {fout})")]
    bias = f" + {fout}" if layer.bias else ""
    lines.append(("parameters", f"params = in·out{' + out' if layer.bias else ''} = {fin}·{fout}{bias} = {_n(row.params)}"))
    lines.append(("MACs", f"MACs = in·out{'·positions' if at else ''} = {fin}·{fout}{at} = {_n(row.macs)}"))
    lines.append(("FLOPs", f"FLOPs = 2·MACs = {_n(row.flops)}"))
    return lines


@working.register
def _batch_norm(layer: normalization._BatchNorm, shape: Shape, row: Row) -> Lines:
    c = shape[0]
    return [("output", "×".join(map(str, row.output_shape)) + " (unchanged)"),
            ("parameters", f"params = 2·C = 2·{c} = {_n(row.params)} (γ and β; the running mean and variance are buffers)"),
            ("FLOPs", f"FLOPs = 2·C·ΠI = 2·{_dot(*shape)} = {_n(row.flops)}  "
                      "(a scale and a shift per element)")]


@working.register
def _elementwise(layer: activation._Pointwise, shape: Shape, row: Row) -> Lines:
    return [("output", "×".join(map(str, row.output_shape)) + " (unchanged)"),
            ("parameters", "params = 0"),
            ("FLOPs", f"FLOPs = 1 per element = {_dot(*shape)} = {_n(row.flops)}")]


@working.register
def _flatten(layer: linear.Flatten, shape: Shape, row: Row) -> Lines:
    return [("output", f"{row.formula}: {'×'.join(map(str, row.output_shape))} (a view: no copy, no FLOPs)"),
            ("parameters", "params = 0")]


@working.register
def _reshape(layer: tensor_ops.Reshape, shape: Shape, row: Row) -> Lines:
    return _flatten(layer, shape, row)  # type: ignore[arg-type]


@record
class Working:
    """One layer's worked formulas: a title, (label, formula) lines, notes, warnings, the convention."""

    title: str
    lines: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    report: Report

    def to_dict(self) -> dict[str, Any]:
        steps: list[dict[str, Any]] = []
        for label, body in self.lines:  # an unlabelled line continues the step above it
            if label or not steps:
                steps.append({"quantity": label, "working": [body]})
            else:
                steps[-1]["working"].append(body)
        return {"layer": self.title, "steps": steps, "notes": list(self.notes), "warnings": list(self.warnings),
                "convention": CONVENTION, "report": self.report.to_dict()}

    def render(self, fmt: str = "table") -> str:
        """``table`` (aligned text), ``markdown``, ``latex``, ``html``, ``csv`` or ``json``."""
        steps = self.to_dict()["steps"]
        tail = [f"note: {n}" for n in self.notes] + [f"warning: {w}" for w in self.warnings]
        if fmt == "table":
            width = max(len(label) for label, _ in self.lines) + 2
            text = [self.title, *(f"  {label:<{width}}{body}" for label, body in self.lines)]
            return "\n".join([*text, *(f"  {t}" for t in tail), CONVENTION])
        if fmt == "markdown":
            text = [f"**{self.title}**", ""]
            for step in steps:
                text.append(f"- {step['quantity']}: " + "  \n  ".join(f"`{w}`" for w in step["working"]))
            return "\n".join([*text, "", *(f"*{t}*  " for t in tail), f"*{CONVENTION}*"])
        if fmt == "latex":
            text = [rf"\paragraph{{{_latex(self.title)}}}", r"\begin{description}"]
            for step in steps:
                text.append(rf"  \item[{_latex(step['quantity'])}] " + r" \\ ".join(_latex(w) for w in step["working"]))
            return "\n".join([*text, r"\end{description}", *(_latex(t) + r"\\" for t in tail), _latex(CONVENTION)])
        if fmt == "html":
            items = "".join(f"<dt>{escape(step['quantity'])}</dt>" + "".join(f"<dd>{escape(w)}</dd>" for w in step["working"])
                            for step in steps)
            extra = "".join(f"<p>{escape(t)}</p>" for t in tail)
            return f"<p><strong>{escape(self.title)}</strong></p>\n<dl>{items}</dl>\n{extra}<p><em>{escape(CONVENTION)}</em></p>"
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(("quantity", "working"))
            writer.writerows((step["quantity"], w) for step in steps for w in step["working"])
            return buffer.getvalue()
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        raise SpecError(f"unknown format {fmt!r}; use one of table, markdown, latex, html, csv, json")

    def __str__(self) -> str:
        return self.render("table")


_LATEX = {"⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "·": r"$\cdot$", "−": "$-$",
          "×": r"$\times$", "Π": r"$\Pi$", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$", "→": r"$\to$",
          "√": r"$\surd$", "—": "---", "–": "--", "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$",
          "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _latex(text: str) -> str:
    """Plain LaTeX text for a line of working: specials escaped, the math signs as math (ASCII out)."""
    out = "".join(_LATEX.get(ch, ch) for ch in text).replace("$$", "")  # neighbouring signs share one $…$
    return out.encode("ascii", "replace").decode()


def working_of(layer: Leaf, input_shape: Shape | str, dtype: str = "float32") -> Working:
    """The layer's output size, parameters, MACs, FLOPs, activation memory and receptive field for
    one sample, each with its formula and the numbers in."""
    from .api import resolve

    if not isinstance(layer, Leaf):
        raise TypeError("explain takes one layer; summarize a network instead")
    r = resolve(layer, input_shape)
    report = analyze(r.net, r.shape, dtype=dtype, notes=r.notes)
    row = report.rows[0]
    shape = r.shape
    spec = row.spec or layer
    lines: Lines = working(spec, shape, row)
    t = report.totals
    tensors = [_dot(*p.output_shape) for p in row.parts] or [_dot(*row.output_shape)]
    shown = f"({' + '.join(tensors)})" if len(tensors) > 1 else tensors[0]
    lines.append(("activations", f"{shown} elements · {report.dtype_bytes} bytes = {_n(row.activation_bytes)} "
                                 f"bytes ({dtype})" if row.activation_bytes else "none: a view or in-place, no new tensor"))
    lines.append(("", f"with the input ({_n(t.input_bytes)} bytes): {_n(t.activation_bytes)} bytes"))
    if row.receptive_field:
        lines.append(("receptive field", "×".join(map(str, row.receptive_field)) + " input positions"))
    return Working(f"{row.layer} on input {'×'.join(map(str, shape))}", tuple(lines), report.notes, row.warnings, report)


def explain(layer: Leaf, input_shape: Shape | str, dtype: str = "float32", fmt: str = "table") -> str:
    """The working of :func:`working_of` as text (``fmt`` ``table``), or in any other report format;
    the counting convention comes last."""
    return working_of(layer, input_shape, dtype).render(fmt)
