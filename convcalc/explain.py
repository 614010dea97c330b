"""The working: each formula of a layer written out with the numbers substituted.

``explain(cc.Conv2d(3, 10, 5, padding=2), (3, 32, 32))`` gives, among its lines,
``O = ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32``, ``params = 5·5·3·10 + 10 = 760`` and
``FLOPs = 2·10·32·32·3·5·5 = 1,536,000``. The numbers come from the same
analysis as the report; this module only writes them out, one function per
layer family.
"""

from __future__ import annotations

from functools import singledispatch
from math import prod

from .analysis import Row, analyze
from .arithmetic import adaptive_reads, pool_output_size, transposed_output_size, window_formula
from .layers import activation, conv, linear, normalization, pooling, tensor_ops
from .layers.base import Leaf, Shape

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


def explain(layer: Leaf, input_shape: Shape | str, dtype: str = "float32") -> str:
    """The layer's output size, parameters, MACs, FLOPs, activation memory and receptive field for
    one sample, each with its formula and the numbers in, then the counting convention used."""
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
    width = max(len(label) for label, _ in lines) + 2
    text = [f"{row.layer} on input {'×'.join(map(str, shape))}"]
    text += [f"  {label:<{width}}{body}" for label, body in lines]
    text += [f"  note: {n}" for n in report.notes]
    text += [f"  warning: {w}" for w in row.warnings]
    text.append(CONVENTION)
    return "\n".join(text)

