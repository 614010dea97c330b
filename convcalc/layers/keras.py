"""Keras' layers, with Keras' own signatures and argument names, counted as Keras counts them.

Keras writes tensors channels last (H×W×C); convcalc's shapes stay channels first inside, so each
class here reads a C×H×W shape and means what Keras means on the H×W×C one (``channels_last``: a
network that starts with one reads and prints its shapes H×W×C). Their kinds carry the framework
(``keras_conv2d``), apart from torch's.

Keras' rules, held to Keras itself in tests/test_keras.py:

- padding ``'same'`` is TensorFlow's at any stride: output ⌈I/S⌉, total padding
  max((O−1)·S + D·(K−1) + 1 − I, 0), the odd one on the bottom/right (``'causal'`` on a Conv1D: all
  D·(K−1) on the left); ``'valid'``: none, O = ⌊(I − D·(K−1) − 1)/S⌋ + 1;
- a pool's stride defaults to its pool size; AveragePooling 'same' averages the real elements only;
- Conv*Transpose: 'valid' gives I·S + max(K−S, 0), 'same' gives I·S, and with ``output_padding``
  (I−1)·S + K − 2·pad + output_padding (pad ⌊K/2⌋ for 'same', 0 for 'valid');
- Dense acts on the last axis (the channels): on H×W×C it is a 1×1 convolution;
- BatchNormalization holds 4·C parameters: γ and β trainable, the moving mean and variance
  non-trainable (``Effect.frozen``), as Keras' count_params and summary list them;
- ``activation=`` inside a layer is no part of these classes: the activation is a row of its own
  in convcalc's counting (Keras text with ``activation="relu"`` is read as the layer then a ReLU).

Counting follows DESIGN.md: conv and dense FLOPs are 2·MACs (torch's FlopCounterMode agrees on the
torch modules they are built as), pools their comparisons or additions per window (the nominal
window, as for torch's pools), batch norm 2 per element, zero padding nothing.
"""

from __future__ import annotations

from math import prod

from ..arithmetic import effective_kernel, tf_same_padding
from ..errors import ShapeError, SpecError
from ..records import field
from . import conv as _conv
from . import pooling as _pooling
from .base import (
    SAME,
    Effect,
    Leaf,
    Part,
    Primitives,
    Ran,
    Reach,
    Shape,
    Step,
    check_bool,
    check_number,
    dims_text,
    expect_channels,
    expect_spatial,
    fmt_shape,
    freeze,
    int_tuple,
    is_int,
    join_formulas,
    numel,
    optional_size,
    positive_int,
    spec,
)
from .steps import AXES, dot, output_steps
from .window import tail_warnings, window_reach

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any, ClassVar

    from .base import Size

Pads = tuple[tuple[int, int], ...]


# --- Keras' argument rules ---------------------------------------------------------------------


def _padding(layer: str, value: Any, allowed: tuple[str, ...]) -> str:
    """Keras' padding word (any case, as Keras standardises it)."""
    if not isinstance(value, str) or value.lower() not in allowed:
        raise SpecError(f"{layer}: padding must be {' or '.join(repr(a) for a in allowed)}, got {value!r}")
    return value.lower()


def _data_format(layer: str, value: Any) -> None:
    """Keras' data_format: channels last (its default) is the only one these classes read."""
    if value not in (None, "channels_last"):
        raise SpecError(f"{layer}: data_format={value!r} is not read; convcalc's Keras layers are channels last "
                        "(data_format='channels_last', Keras' default); for channels first use torch's layers (nn.Conv2d, …)")


def _activation(layer: str, value: Any) -> None:
    """``activation=`` may only be None or 'linear' on the class: any other activation is a row of its own."""
    if value not in (None, "linear"):
        raise SpecError(f"{layer}: activation={value!r} is counted as a layer of its own (1 FLOP per element); give the "
                        "layer without it and follow it with the activation (cc.ReLU(), …); Keras text with "
                        "activation= is read that way")


def _no_strided_dilation(layer: str, strides: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    if max(strides) > 1 and max(dilation) > 1:
        raise SpecError(f"{layer}: strides={fmt_shape(strides)} with dilation_rate={fmt_shape(dilation)}: Keras refuses "
                        "strides > 1 together with dilation_rate > 1; use one of them")


def keras_pads(padding: str, spatial: Shape, kernel: tuple[int, ...], strides: tuple[int, ...],
               dilation: tuple[int, ...]) -> Pads:
    """(before, after) padding per spatial dim under Keras' rule: none for 'valid', TensorFlow's
    for 'same' (odd pixel after), all D·(K−1) before for 'causal'."""
    if padding == "same":
        return tuple(tf_same_padding(i, k, s, d) for i, k, s, d in zip(spatial, kernel, strides, dilation))
    if padding == "causal":
        return tuple((d * (k - 1), 0) for k, d in zip(kernel, dilation))
    return tuple((0, 0) for _ in spatial)


def padding_steps(padding: str, spatial: Shape, kernel: tuple[int, ...], strides: tuple[int, ...],
                  dilation: tuple[int, ...], pads: Pads) -> list[Step]:
    """The worked padding of a Keras window layer: TensorFlow's 'same' per dim, or none ('valid')."""
    if padding == "valid":
        return [Step("padding", "'valid': no padding")]
    if padding == "causal":
        return [Step("padding", "'causal': D·(K − 1) before, none after", value=", ".join(f"{l}+{r}" for l, r in pads))]
    steps = [Step("padding", "TensorFlow 'same': O = ⌈I/S⌉, total = max((O − 1)·S + D·(K − 1) + 1 − I, 0), "
                             "⌊total/2⌋ before and the rest (the odd one) after")]
    axes = AXES.get(len(spatial), tuple(f"dim {i}" for i in range(len(spatial))))
    lines = []
    for i, k, s, d, (l, r) in zip(spatial, kernel, strides, dilation, pads):
        o = -(-i // s)
        lines.append(f"O = ⌈{i}/{s}⌉ = {o}; total = max(({o} − 1)·{s} + {effective_kernel(k, d)} − {i}, 0) = {l + r}: "
                     f"{l} before, {r} after")
    if all(line == lines[0] for line in lines):
        steps.append(Step("", lines[0], note=f"{' and '.join(axes)} alike" if len(lines) > 1 else ""))
    else:
        steps += [Step("", f"{axis}: {line}") for axis, line in zip(axes, lines)]
    return steps


class _Keras(Leaf):
    """What every Keras layer type shares: its kind's prefix, and channels last."""

    framework: ClassVar[str] = "keras"
    channels_last: ClassVar[bool] = True


# --- convolutions ------------------------------------------------------------------------------


class _KerasWindow(_Keras):
    """Convolutions with Keras' padding words, computed as the torch conv they are with that padding."""

    family: ClassVar[str] = "conv"
    flop_counter: ClassVar[bool] = True
    inferred: ClassVar[str | None] = "in_channels"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasConv"
    ndim: ClassVar[int] = 2
    paddings: ClassVar[tuple[str, ...]] = ("valid", "same")

    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    padding: str
    dilation_rate: tuple[int, ...]
    use_bias: bool
    in_channels: int | None

    def _check_window(self) -> None:
        n, nd = self.name, self.ndim
        freeze(
            self,
            kernel_size=int_tuple(n, "kernel_size", self.kernel_size, nd, 1),
            strides=int_tuple(n, "strides", self.strides, nd, 1),
            dilation_rate=int_tuple(n, "dilation_rate", self.dilation_rate, nd, 1),
            padding=_padding(n, self.padding, self.paddings),
            use_bias=check_bool(n, "use_bias", self.use_bias),
            in_channels=optional_size(n, "in_channels", self.in_channels),
        )

    def conv(self, channels: int) -> _conv._ConvNd:  # pragma: no cover - every conv overrides it
        """The torch conv it computes (no padding: Keras' padding is given per side, :meth:`pads`)."""
        raise NotImplementedError

    def pads(self, spatial: Shape) -> Pads:
        """(before, after) padding per spatial dim for an input of these spatial sizes."""
        return keras_pads(self.padding, spatial, self.kernel_size, self.strides, self.dilation_rate)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        conv = self.conv(expect_channels(self, "in_channels", self.in_channels, shape))
        return conv.padded_effect(shape, self.pads(shape[1:]))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        pads = self.pads(shape[1:])
        return (*padding_steps(self.padding, shape[1:], self.kernel_size, self.strides, self.dilation_rate, pads),
                *self.conv(shape[0]).padded_explain(shape, effect, pads))

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(macs=ran.macs, bias_adds=numel(ran.output_shape) * ran.batch if self.use_bias else 0)

    def torch_equivalent(self) -> Leaf | None:
        """torch's own conv where Keras' padding is one torch has ('valid'; 'same' at stride 1, whose odd
        pixel torch also puts after); else None: a module that pads as TensorFlow does, then convolves."""
        if self.in_channels is None:
            return None
        conv = self.conv(self.in_channels)
        if self.padding == "valid":
            return conv
        if self.padding == "same" and all(s == 1 for s in self.strides):
            return _replace_padding(conv, "same")
        return None


def _replace_padding(conv: _conv._ConvNd, padding: str) -> _conv._ConvNd:
    from ..records import replace

    return replace(conv, padding=padding)


def _check_groups(layer: str, groups: int, filters: int, channels: int | None) -> None:
    if filters % groups:
        raise SpecError(f"{layer}: filters={filters} is not divisible by groups={groups}; Keras needs groups to divide filters")
    if channels is not None and channels % groups:
        raise SpecError(f"{layer}: the {channels} input channels are not divisible by groups={groups}")


@spec
class _KerasConvNd(_KerasWindow):
    """keras.layers.ConvND: ``filters`` outputs, channels last; its input channels come from the input."""

    filters: int
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...] = (1,)
    padding: str = "valid"
    data_format: str | None = None
    dilation_rate: tuple[int, ...] = (1,)
    groups: int = 1
    activation: str | None = None
    use_bias: bool = True
    in_channels: int | None = field(default=None, repr=False)

    if TYPE_CHECKING:  # Keras' forms: an int for every dim, or one per dim
        def __init__(self, filters: int, kernel_size: Size, strides: Size = 1, padding: str = "valid",
                     data_format: str | None = None, dilation_rate: Size = 1, groups: int = 1,
                     activation: str | None = None, use_bias: bool = True, in_channels: int | None = None) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, filters=positive_int(n, "filters", self.filters), groups=positive_int(n, "groups", self.groups))
        self._check_window()
        _data_format(n, self.data_format)
        _activation(n, self.activation)
        _no_strided_dilation(n, self.strides, self.dilation_rate)
        _check_groups(n, self.groups, self.filters, self.in_channels)

    def conv(self, channels: int) -> _conv._ConvNd:
        if channels % self.groups:
            raise ShapeError(f"groups={self.groups} does not divide the input's {channels} channels")
        made: _conv._ConvNd = getattr(_conv, f"Conv{self.ndim}d")(
            channels, self.filters, self.kernel_size, self.strides, 0, self.dilation_rate, self.groups, self.use_bias)
        return made


class Conv1D(_KerasConvNd):
    ndim: ClassVar[int] = 1
    aliases: ClassVar[tuple[str, ...]] = ("Convolution1D",)
    paddings: ClassVar[tuple[str, ...]] = ("valid", "same", "causal")


class Conv2D(_KerasConvNd):
    ndim: ClassVar[int] = 2
    aliases: ClassVar[tuple[str, ...]] = ("Convolution2D",)


class Conv3D(_KerasConvNd):
    ndim: ClassVar[int] = 3
    aliases: ClassVar[tuple[str, ...]] = ("Convolution3D",)


@spec
class DepthwiseConv2D(_KerasWindow):
    """keras.layers.DepthwiseConv2D: each input channel filtered on its own, ``depth_multiplier`` times.

    Params C·M·Πk (+C·M); MACs C·M·ΠO·Πk (a Conv2d with groups = C).
    """

    kernel_size: tuple[int, ...]
    strides: tuple[int, ...] = (1,)
    padding: str = "valid"
    depth_multiplier: int = 1
    data_format: str | None = None
    dilation_rate: tuple[int, ...] = (1,)
    activation: str | None = None
    use_bias: bool = True
    in_channels: int | None = field(default=None, repr=False)

    if TYPE_CHECKING:
        def __init__(self, kernel_size: Size, strides: Size = 1, padding: str = "valid", depth_multiplier: int = 1,
                     data_format: str | None = None, dilation_rate: Size = 1, activation: str | None = None,
                     use_bias: bool = True, in_channels: int | None = None) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, depth_multiplier=positive_int(n, "depth_multiplier", self.depth_multiplier))
        self._check_window()
        _data_format(n, self.data_format)
        _activation(n, self.activation)

    def conv(self, channels: int) -> _conv._ConvNd:
        return _conv.Conv2d(channels, channels * self.depth_multiplier, self.kernel_size, self.strides, 0,
                            self.dilation_rate, groups=channels, bias=self.use_bias)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("depthwise", f"a Conv2d with groups = channels = {shape[0]}, {self.depth_multiplier} filter(s) per "
                                  "channel: each channel is filtered on its own"), *super().explain(shape, effect))


@spec
class SeparableConv2D(_KerasWindow):
    """keras.layers.SeparableConv2D: a depthwise k×k conv (no bias), then a pointwise 1×1 conv (the bias).

    Params C·M·Πk + C·M·filters (+filters); FLOPs are the two convs' (2·MACs each).
    """

    family: ClassVar[str] = "separable"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasSeparableConv"

    filters: int
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...] = (1,)
    padding: str = "valid"
    data_format: str | None = None
    dilation_rate: tuple[int, ...] = (1,)
    depth_multiplier: int = 1
    activation: str | None = None
    use_bias: bool = True
    in_channels: int | None = field(default=None, repr=False)

    if TYPE_CHECKING:
        def __init__(self, filters: int, kernel_size: Size, strides: Size = 1, padding: str = "valid",
                     data_format: str | None = None, dilation_rate: Size = 1, depth_multiplier: int = 1,
                     activation: str | None = None, use_bias: bool = True, in_channels: int | None = None) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, filters=positive_int(n, "filters", self.filters),
               depth_multiplier=positive_int(n, "depth_multiplier", self.depth_multiplier))
        self._check_window()
        _data_format(n, self.data_format)
        _activation(n, self.activation)

    def conv(self, channels: int) -> _conv._ConvNd:
        """The depthwise half (no bias: Keras puts the bias on the pointwise conv)."""
        return _conv.Conv2d(channels, channels * self.depth_multiplier, self.kernel_size, self.strides, 0,
                            self.dilation_rate, groups=channels, bias=False)

    def pointwise(self, channels: int) -> _conv._ConvNd:
        return _conv.Conv2d(channels * self.depth_multiplier, self.filters, 1, bias=self.use_bias)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, 2)
        channels = expect_channels(self, "in_channels", self.in_channels, shape)
        depthwise, pointwise = self.conv(channels), self.pointwise(channels)
        dw = depthwise.padded_effect(shape, self.pads(shape[1:]))
        pw = pointwise.effect(dw.output_shape)
        parts = tuple(Part(name, repr(layer), e.output_shape, e.weights, e.biases, e.macs, e.flops, e.formula)
                      for name, layer, e in (("depthwise", depthwise, dw), ("pointwise", pointwise, pw)))
        return Effect(output_shape=pw.output_shape, weights=dw.weights + pw.weights, biases=pw.biases,
                      macs=dw.macs + pw.macs, flops=dw.flops + pw.flops, formula=dw.formula, reach=dw.reach,
                      warnings=dw.warnings, parts=parts, extra_elements=numel(dw.output_shape))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        from ..records import replace

        pads = self.pads(shape[1:])
        depthwise, pointwise = self.conv(shape[0]), self.pointwise(shape[0])
        dw = depthwise.padded_effect(shape, pads)
        steps = [Step("", "depthwise k×k conv (no bias), then pointwise 1×1 conv; the layer's figures are their sums"),
                 *padding_steps(self.padding, shape[1:], self.kernel_size, self.strides, self.dilation_rate, pads)]
        for label, part, part_steps in (("depthwise", depthwise, depthwise.padded_explain(shape, dw, pads)),
                                        ("pointwise", pointwise, pointwise.explain(dw.output_shape, pointwise.effect(dw.output_shape)))):
            steps.append(Step(label, repr(part)))
            steps += [replace(s, quantity=f"  {s.quantity}" if s.quantity else "") for s in part_steps]
        steps.append(Step("total", f"params = {effect.weights + effect.biases:,}, MACs = {effect.macs:,}, FLOPs = {effect.flops:,}"))
        return tuple(steps)

    def torch_equivalent(self) -> Leaf | None:
        return None


# --- transposed convolutions -------------------------------------------------------------------


class _KerasTransposed(_Keras):
    """keras.layers.ConvNDTranspose; the sizes follow Keras (deconv_output_length), not torch."""

    family: ClassVar[str] = "convtranspose"
    flop_counter: ClassVar[bool] = True
    inferred: ClassVar[str | None] = "in_channels"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasConvTranspose"
    ndim: ClassVar[int] = 2

    filters: int
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    padding: str
    output_padding: tuple[int, ...] | None
    data_format: str | None
    dilation_rate: tuple[int, ...]
    activation: str | None
    use_bias: bool
    in_channels: int | None

    def __post_init__(self) -> None:
        n, nd = self.name, self.ndim
        freeze(
            self,
            filters=positive_int(n, "filters", self.filters),
            kernel_size=int_tuple(n, "kernel_size", self.kernel_size, nd, 1),
            strides=int_tuple(n, "strides", self.strides, nd, 1),
            dilation_rate=int_tuple(n, "dilation_rate", self.dilation_rate, nd, 1),
            padding=_padding(n, self.padding, ("valid", "same")),
            output_padding=None if self.output_padding is None else int_tuple(n, "output_padding", self.output_padding, nd, 0),
            use_bias=check_bool(n, "use_bias", self.use_bias),
            in_channels=optional_size(n, "in_channels", self.in_channels),
        )
        _data_format(n, self.data_format)
        _activation(n, self.activation)
        _no_strided_dilation(n, self.strides, self.dilation_rate)
        if self.output_padding is not None:
            for s, op in zip(self.strides, self.output_padding):
                if op >= s:
                    raise SpecError(f"{n}: output_padding={fmt_shape(self.output_padding)} must be smaller than "
                                    f"strides={fmt_shape(self.strides)} (Keras' rule); use at most {s - 1}")

    @property
    def groups(self) -> int:
        """Keras' transposed convs have no groups (torch's ``groups``, as the other tools' rules ask)."""
        return 1

    def sizes(self, spatial: Shape) -> tuple[tuple[int, int, int], ...]:
        """Per spatial dim: (the full transposed output (I−1)·S + D·(K−1) + 1, the elements cropped before it,
        Keras' output size). What lies past the full output (Keras' 'valid' with K < S) is zeros."""
        out = []
        ops = self.output_padding or (None,) * self.ndim
        for i, k, s, d, op in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, ops):
            kk = effective_kernel(k, d)
            full = (i - 1) * s + kk
            if op is not None:
                pad = kk // 2 if self.padding == "same" else 0
                out.append((full, pad, full - 2 * pad + op))
            elif self.padding == "valid":
                out.append((full, 0, i * s + max(kk - s, 0)))
            else:  # TensorFlow crops the full output to I·S, ⌊(K−S)/2⌋ before (the transpose of its 'same')
                out.append((full, max(kk - s, 0) // 2, i * s))
        return tuple(out)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        cin = expect_channels(self, "in_channels", self.in_channels, shape)
        spatial, cout, volume = shape[1:], self.filters, prod(self.kernel_size)
        sizes = self.sizes(spatial)
        out = tuple(o for _, _, o in sizes)
        if any(o < 1 for o in out):
            raise ShapeError(f"output size {fmt_shape(out)} is not positive for input {fmt_shape(spatial)}")
        macs = cin * prod(spatial) * cout * volume
        return Effect(
            output_shape=(cout, *out), weights=cin * cout * volume, biases=cout if self.use_bias else 0,
            macs=macs, flops=2 * macs, formula=join_formulas([self._formula(i, k, s, d, o) for i, k, s, d, o in
                                                              zip(spatial, self.kernel_size, self.strides, self.dilation_rate, out)]),
            reach=Reach("transposed", tuple((k, s, d, crop) for k, s, d, (_, crop, _) in
                                            zip(self.kernel_size, self.strides, self.dilation_rate, sizes))),
        )

    def _formula(self, i: int, k: int, s: int, d: int, o: int) -> str:
        kk = effective_kernel(k, d)
        if self.output_padding is not None:
            pad = kk // 2 if self.padding == "same" else 0
            op = self.output_padding[0]
            return f"({i}−1)·{s}+{kk}−2·{pad}+{op} = {o}"
        if self.padding == "same":
            return f"{i}·{s} = {o}"
        return f"{i}·{s}+max({kk}−{s}, 0) = {o}"

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        spatial, out = shape[1:], effect.output_shape
        per_dim = [f"O = {self._formula(i, k, s, d, o)}" for i, k, s, d, o in
                   zip(spatial, self.kernel_size, self.strides, self.dilation_rate, out[1:])]
        if self.output_padding is not None:
            rule = "O = (I − 1)·S + D·(K − 1) + 1 − 2·pad + output_padding (pad ⌊K/2⌋ for 'same', 0 for 'valid')"
        elif self.padding == "same":
            rule = "O = I·S (TensorFlow's 'same')"
        else:
            rule = "O = I·S + max(D·(K − 1) + 1 − S, 0) ('valid')"
        cin, cout, k = shape[0], self.filters, tuple(self.kernel_size)
        return (
            *output_steps(spatial, per_dim, rule, out),
            Step("parameters", f"params = Cin·Cout·Πk{' + Cout' if self.use_bias else ''}",
                 dot(cin, cout, *k) + (f" + {cout}" if self.use_bias else ""), effect.weights + effect.biases),
            Step("MACs", "MACs = Cin·ΠI·Cout·Πk", dot(cin, *spatial, cout, *k), effect.macs,
                 "each input element meets every kernel weight once"),
            Step("FLOPs", "FLOPs = 2·MACs", value=effect.flops),
        )

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(macs=ran.macs, bias_adds=numel(ran.output_shape) * ran.batch if self.use_bias else 0)


@spec
class _KerasConvTransposeNd(_KerasTransposed):
    filters: int
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...] = (1,)
    padding: str = "valid"
    output_padding: tuple[int, ...] | None = None
    data_format: str | None = None
    dilation_rate: tuple[int, ...] = (1,)
    activation: str | None = None
    use_bias: bool = True
    in_channels: int | None = field(default=None, repr=False)

    if TYPE_CHECKING:
        def __init__(self, filters: int, kernel_size: Size, strides: Size = 1, padding: str = "valid",
                     output_padding: Size | None = None, data_format: str | None = None, dilation_rate: Size = 1,
                     activation: str | None = None, use_bias: bool = True, in_channels: int | None = None) -> None: ...


class Conv1DTranspose(_KerasConvTransposeNd):
    ndim: ClassVar[int] = 1
    aliases: ClassVar[tuple[str, ...]] = ("Convolution1DTranspose",)


class Conv2DTranspose(_KerasConvTransposeNd):
    ndim: ClassVar[int] = 2
    aliases: ClassVar[tuple[str, ...]] = ("Convolution2DTranspose",)


@spec
class Conv3DTranspose(_KerasTransposed):
    """keras.layers.Conv3DTranspose (Keras puts data_format before output_padding here)."""

    ndim: ClassVar[int] = 3
    aliases: ClassVar[tuple[str, ...]] = ("Convolution3DTranspose",)

    filters: int
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...] = (1,)
    padding: str = "valid"
    data_format: str | None = None
    output_padding: tuple[int, ...] | None = None
    dilation_rate: tuple[int, ...] = (1,)
    activation: str | None = None
    use_bias: bool = True
    in_channels: int | None = field(default=None, repr=False)

    if TYPE_CHECKING:
        def __init__(self, filters: int, kernel_size: Size, strides: Size = 1, padding: str = "valid",
                     data_format: str | None = None, output_padding: Size | None = None, dilation_rate: Size = 1,
                     activation: str | None = None, use_bias: bool = True, in_channels: int | None = None) -> None: ...


# --- dense -------------------------------------------------------------------------------------


@spec
class Dense(_Keras):
    """keras.layers.Dense: ``units`` outputs from the last axis (the channels; the features of a flat input).

    On an H×W×C input it acts at every position, as Keras does (a 1×1 convolution): params C·units
    (+units), MACs ΠH·W·C·units, FLOPs 2·MACs.
    """

    family: ClassVar[str] = "linear"
    flop_counter: ClassVar[bool] = True
    inferred: ClassVar[str | None] = "input_dim"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasDense"

    units: int
    activation: str | None = None
    use_bias: bool = True
    input_dim: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, units=positive_int(n, "units", self.units), use_bias=check_bool(n, "use_bias", self.use_bias),
               input_dim=optional_size(n, "input_dim", self.input_dim))
        _activation(n, self.activation)

    def effect(self, shape: Shape) -> Effect:
        fin = expect_channels(self, "input_dim", self.input_dim, shape)  # Keras' last axis: channels first here
        positions = prod(shape[1:])
        macs = positions * fin * self.units
        return Effect(
            output_shape=(self.units, *shape[1:]), weights=fin * self.units, biases=self.units if self.use_bias else 0,
            macs=macs, flops=2 * macs,
            formula=f"{fin} → {self.units}" + (f" at each of {positions} positions" if positions > 1 else ""),
            reach=Reach("dense") if len(shape) == 1 else SAME,  # on H×W×C each position on its own
        )

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(macs=ran.macs, bias_adds=numel(ran.output_shape) * ran.batch if self.use_bias else 0)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        fin, units, positions = shape[0], self.units, prod(shape[1:])
        at = f"·{positions}" if positions > 1 else ""
        where = "" if positions == 1 else f" at each of the {positions} positions, as Keras applies Dense to the last axis"
        return (Step("output", f"{dims_text(effect.output_shape)}  (the channels {fin} → {units}{where})"),
                Step("parameters", f"params = in·units{' + units' if self.use_bias else ''}",
                     f"{fin}·{units}" + (f" + {units}" if self.use_bias else ""), effect.weights + effect.biases),
                Step("MACs", f"MACs = in·units{'·positions' if at else ''}", f"{fin}·{units}{at}", effect.macs),
                Step("FLOPs", "FLOPs = 2·MACs", value=effect.flops))


# --- pooling -----------------------------------------------------------------------------------


class _KerasPool(_Keras):
    """keras.layers.{Max,Average}PoolingND: the stride defaults to the pool size; 'same' is TensorFlow's."""

    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasPool"
    ndim: ClassVar[int] = 2
    comparisons: ClassVar[bool] = False  # max: Πk − 1 comparisons a window; average: Πk (additions and the division)

    pool_size: tuple[int, ...]
    strides: tuple[int, ...] | None
    padding: str
    data_format: str | None

    def __post_init__(self) -> None:
        n, nd = self.name, self.ndim
        freeze(self, pool_size=int_tuple(n, "pool_size", self.pool_size, nd, 1),
               strides=None if self.strides is None else int_tuple(n, "strides", self.strides, nd, 1),
               padding=_padding(n, self.padding, ("valid", "same")))
        _data_format(n, self.data_format)

    @property
    def stride(self) -> tuple[int, ...]:
        """The stride in use: Keras' default is the pool size."""
        return self.strides if self.strides is not None else self.pool_size

    def pads(self, spatial: Shape) -> Pads:
        return keras_pads(self.padding, spatial, self.pool_size, self.stride, (1,) * self.ndim)

    def window_cost(self) -> int:
        return prod(self.pool_size) - 1 if self.comparisons else prod(self.pool_size)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        spatial, k, s = shape[1:], self.pool_size, self.stride
        pads = self.pads(spatial)
        out = tuple((i + l + r - kk) // ss + 1 for i, kk, ss, (l, r) in zip(spatial, k, s, pads))
        if any(o < 1 for o in out):
            raise ShapeError(f"pool_size {fmt_shape(k)} does not fit input {fmt_shape(spatial)} with padding='valid'; "
                             f"it needs at least {fmt_shape(k)} (or padding='same')")
        from ..arithmetic import window_formula

        return Effect(
            output_shape=(shape[0], *out), flops=shape[0] * prod(out) * self.window_cost(),
            formula=join_formulas([window_formula(i, kk, ss, l, r, 1, o) for i, kk, ss, (l, r), o in zip(spatial, k, s, pads, out)]),
            reach=window_reach(k, s, (1,) * self.ndim, tuple(l for l, _ in pads)),
            warnings=tail_warnings(spatial, k, s, tuple(l for l, _ in pads), (1,) * self.ndim, out),
        )

    def primitives(self, ran: Ran) -> Primitives:
        outputs = numel(ran.output_shape) * ran.batch
        return Primitives(pool_reads=outputs * prod(self.pool_size), pool_inputs=numel(ran.input_shape) * ran.batch,
                          pool_outputs=outputs)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        from .steps import window_size

        spatial, out, c, k = shape[1:], effect.output_shape, shape[0], tuple(self.pool_size)
        pads = self.pads(spatial)
        per_dim = [window_size(i, kk, ss, l, r, 1, o) for i, kk, ss, (l, r), o in zip(spatial, k, self.stride, pads, out[1:])]
        if self.comparisons:
            flops = Step("FLOPs", "FLOPs = C·ΠO·(Πk − 1) comparisons", f"{dot(c, *out[1:])}·({dot(*k)} − 1)", effect.flops)
        else:
            flops = Step("FLOPs", "FLOPs = C·ΠO·Πk", dot(c, *out[1:], *k), effect.flops,
                         "Πk − 1 additions and one division per window" + (
                             " (at the edges 'same' averages the real elements only)" if self.padding == "same" else ""))
        return (*padding_steps(self.padding, spatial, k, self.stride, (1,) * self.ndim, pads),
                *output_steps(spatial, per_dim, "O = ⌊(I + P_before + P_after − K)/S⌋ + 1 (strides default to pool_size)", out),
                Step("parameters", "params = 0 (pooling learns nothing)"), flops)

    def torch_equivalent(self) -> Leaf | None:
        """torch's pool for 'valid' (the same windows); 'same' pads unevenly and averages real elements: a module of its own."""
        if self.padding != "valid":
            return None
        name = f"{'Max' if self.comparisons else 'Avg'}Pool{self.ndim}d"
        made: Leaf = getattr(_pooling, name)(self.pool_size, self.stride)
        return made


@spec
class _MaxPoolingNd(_KerasPool):
    family: ClassVar[str] = "maxpool"
    comparisons: ClassVar[bool] = True

    pool_size: tuple[int, ...] = (2,)
    strides: tuple[int, ...] | None = None
    padding: str = "valid"
    data_format: str | None = None

    if TYPE_CHECKING:
        def __init__(self, pool_size: Size = 2, strides: Size | None = None, padding: str = "valid",
                     data_format: str | None = None) -> None: ...


class MaxPooling1D(_MaxPoolingNd):
    ndim: ClassVar[int] = 1
    aliases: ClassVar[tuple[str, ...]] = ("MaxPool1D",)


class MaxPooling2D(_MaxPoolingNd):
    ndim: ClassVar[int] = 2
    aliases: ClassVar[tuple[str, ...]] = ("MaxPool2D",)


class MaxPooling3D(_MaxPoolingNd):
    ndim: ClassVar[int] = 3
    aliases: ClassVar[tuple[str, ...]] = ("MaxPool3D",)


@spec
class _AveragePoolingNd(_KerasPool):
    family: ClassVar[str] = "avgpool"

    pool_size: tuple[int, ...]
    strides: tuple[int, ...] | None = None
    padding: str = "valid"
    data_format: str | None = None

    if TYPE_CHECKING:
        def __init__(self, pool_size: Size, strides: Size | None = None, padding: str = "valid",
                     data_format: str | None = None) -> None: ...


class AveragePooling1D(_AveragePoolingNd):
    ndim: ClassVar[int] = 1
    aliases: ClassVar[tuple[str, ...]] = ("AvgPool1D",)


class AveragePooling2D(_AveragePoolingNd):
    ndim: ClassVar[int] = 2
    aliases: ClassVar[tuple[str, ...]] = ("AvgPool2D",)


class AveragePooling3D(_AveragePoolingNd):
    ndim: ClassVar[int] = 3
    aliases: ClassVar[tuple[str, ...]] = ("AvgPool3D",)


@spec
class _GlobalPoolingNd(_Keras):
    """keras.layers.Global{Average,Max}PoolingND: one value per channel (C, or 1×1×C with keepdims).

    FLOPs: average C·ΠI (the additions and the division), max C·(ΠI − 1) comparisons.
    """

    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasGlobalPool"
    ndim: ClassVar[int] = 2
    comparisons: ClassVar[bool] = False

    data_format: str | None = None
    keepdims: bool = False

    def __post_init__(self) -> None:
        _data_format(self.name, self.data_format)
        check_bool(self.name, "keepdims", self.keepdims)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        c, spatial = shape[0], shape[1:]
        n = prod(spatial)
        out = (c, *(1,) * self.ndim) if self.keepdims else (c,)
        return Effect(
            output_shape=out, flops=c * (n - 1 if self.comparisons else n),
            formula=f"{'max' if self.comparisons else 'mean'} over {dims_text(spatial)} = {n} positions",
            reach=Reach("adaptive", tuple((i, 1) for i in spatial)) if self.keepdims else Reach("global"),
        )

    def primitives(self, ran: Ran) -> Primitives:
        inputs = numel(ran.input_shape) * ran.batch
        return Primitives(pool_reads=inputs, pool_inputs=inputs, pool_outputs=numel(ran.output_shape) * ran.batch)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        c, spatial = shape[0], shape[1:]
        if self.comparisons:
            flops = Step("FLOPs", "FLOPs = C·(ΠI − 1) comparisons", f"{c}·({dot(*spatial)} − 1)", effect.flops)
        else:
            flops = Step("FLOPs", "FLOPs = C·ΠI", dot(c, *spatial), effect.flops, "the additions and one division per channel")
        return (Step("output", f"{dims_text(effect.output_shape)}  (one value per channel"
                               f"{', the spatial dims kept as 1' if self.keepdims else ''})"),
                Step("parameters", "params = 0 (pooling learns nothing)"), flops)


@spec
class _GlobalMaxPoolingNd(_GlobalPoolingNd):
    family: ClassVar[str] = "adaptivemaxpool"
    comparisons: ClassVar[bool] = True


@spec
class _GlobalAveragePoolingNd(_GlobalPoolingNd):
    family: ClassVar[str] = "adaptiveavgpool"


class GlobalAveragePooling1D(_GlobalAveragePoolingNd):
    ndim: ClassVar[int] = 1
    aliases: ClassVar[tuple[str, ...]] = ("GlobalAvgPool1D",)


class GlobalAveragePooling2D(_GlobalAveragePoolingNd):
    ndim: ClassVar[int] = 2
    aliases: ClassVar[tuple[str, ...]] = ("GlobalAvgPool2D",)


class GlobalAveragePooling3D(_GlobalAveragePoolingNd):
    ndim: ClassVar[int] = 3
    aliases: ClassVar[tuple[str, ...]] = ("GlobalAvgPool3D",)


class GlobalMaxPooling1D(_GlobalMaxPoolingNd):
    ndim: ClassVar[int] = 1
    aliases: ClassVar[tuple[str, ...]] = ("GlobalMaxPool1D",)


class GlobalMaxPooling2D(_GlobalMaxPoolingNd):
    ndim: ClassVar[int] = 2
    aliases: ClassVar[tuple[str, ...]] = ("GlobalMaxPool2D",)


class GlobalMaxPooling3D(_GlobalMaxPoolingNd):
    ndim: ClassVar[int] = 3
    aliases: ClassVar[tuple[str, ...]] = ("GlobalMaxPool3D",)


# --- normalisation -----------------------------------------------------------------------------


@spec
class BatchNormalization(_Keras):
    """keras.layers.BatchNormalization over the channels (axis=-1, Keras' default).

    Parameters as Keras counts them: γ (``scale``) and β (``center``), C each, trainable; the moving mean
    and variance, C each, non-trainable parameters (``Effect.frozen``; torch holds them as buffers, Keras
    as weights). γ and the moving statistics are the row's weights, β its biases. FLOPs 2 per element.
    """

    family: ClassVar[str] = "batchnorm"
    inferred: ClassVar[str | None] = "channels"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasBatchNorm"

    axis: int = -1
    momentum: float = 0.99
    epsilon: float = 0.001
    center: bool = True
    scale: bool = True
    channels: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = self.name
        if not is_int(self.axis) or self.axis != -1:
            raise SpecError(f"{n}: axis={self.axis!r} is not read; convcalc normalises the channels, Keras' axis=-1")
        check_number(n, "momentum", self.momentum)
        check_number(n, "epsilon", self.epsilon)
        check_bool(n, "center", self.center)
        check_bool(n, "scale", self.scale)
        freeze(self, channels=optional_size(n, "channels", self.channels))

    @property
    def affine(self) -> bool:
        """Whether it scales or shifts (torch's ``affine``, as the other tools' rules ask)."""
        return self.scale or self.center

    def effect(self, shape: Shape) -> Effect:
        if len(shape) < 1:
            raise ShapeError(f"expects an input with channels, got {fmt_shape(shape)}")
        c = expect_channels(self, "channels", self.channels, shape)
        return Effect(output_shape=shape, weights=(c if self.scale else 0) + 2 * c, biases=c if self.center else 0,
                      frozen=2 * c, flops=2 * numel(shape), formula="γ·(x−μ)/σ+β: 2 per element")

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(norm_elements=numel(ran.input_shape) * ran.batch)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        c = shape[0]
        trainable = effect.weights + effect.biases - effect.frozen
        parts = [p for p, on in (("γ", self.scale), ("β", self.center)) if on]
        sym = " + ".join(["C"] * len(parts) + ["2·C"])
        return (Step("output", dims_text(effect.output_shape) + " (unchanged)"),
                Step("parameters", f"params = {sym}", " + ".join([str(c)] * len(parts) + [f"2·{c}"]),
                     effect.weights + effect.biases,
                     f"{trainable:,} trainable ({', '.join(parts) or 'none'}), {effect.frozen:,} non-trainable "
                     "(the moving mean and variance, which Keras counts as parameters)"),
                Step("FLOPs", "FLOPs = 2·ΠI", f"2·{dot(*shape)}", effect.flops, "a scale and a shift per element"))


# --- zero padding ------------------------------------------------------------------------------


@spec
class _ZeroPaddingNd(_Keras):
    """keras.layers.ZeroPaddingND: zeros before and after each spatial dim; no parameters, no FLOPs (a copy)."""

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:KerasZeroPad"
    ndim: ClassVar[int] = 2

    padding: Any = 1
    data_format: str | None = None

    def __post_init__(self) -> None:
        n, nd, value = self.name, self.ndim, self.padding
        shapes = "an int, a tuple of (before, after)" if nd == 1 else (
            f"an int, a tuple of {nd} ints, or a tuple of {nd} (before, after) pairs")
        pairs: list[tuple[int, int]]
        if is_int(value):
            pairs = [(value, value)] * nd
        elif isinstance(value, (tuple, list)) and nd == 1 and len(value) == 2 and all(is_int(v) for v in value):
            pairs = [(value[0], value[1])]
        elif isinstance(value, (tuple, list)) and nd > 1 and len(value) == nd and all(is_int(v) for v in value):
            pairs = [(v, v) for v in value]
        elif (isinstance(value, (tuple, list)) and len(value) == nd  # (also the stored form, one pair per dim)
              and all(isinstance(v, (tuple, list)) and len(v) == 2 and all(is_int(x) for x in v) for v in value)):
            pairs = [(v[0], v[1]) for v in value]
        else:
            raise SpecError(f"{n}: padding must be {shapes}, got {value!r}")
        if any(x < 0 for pair in pairs for x in pair):
            raise SpecError(f"{n}: padding must be non-negative, got {value!r}")
        freeze(self, padding=tuple(pairs))
        _data_format(n, self.data_format)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        spatial, pads = shape[1:], self.padding
        out = tuple(i + l + r for i, (l, r) in zip(spatial, pads))
        return Effect(output_shape=(shape[0], *out),
                      formula=join_formulas([f"{l}+{i}+{r} = {o}" for i, (l, r), o in zip(spatial, pads, out)]),
                      reach=window_reach((1,) * self.ndim, (1,) * self.ndim, (1,) * self.ndim, tuple(l for l, _ in pads)))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        axes = AXES.get(self.ndim, ())
        lines = [f"{axis}: {l} + {i} + {r} = {o}" for axis, i, (l, r), o in
                 zip(axes, shape[1:], self.padding, effect.output_shape[1:])]
        return (Step("output size", "O = P_before + I + P_after"), *(Step("", line) for line in lines),
                Step("", "output " + dims_text(effect.output_shape)),
                Step("parameters", "params = 0"), Step("FLOPs", "FLOPs = 0 (zeros are written, nothing is computed)"))


class ZeroPadding1D(_ZeroPaddingNd):
    ndim: ClassVar[int] = 1


class ZeroPadding2D(_ZeroPaddingNd):
    ndim: ClassVar[int] = 2


class ZeroPadding3D(_ZeroPaddingNd):
    ndim: ClassVar[int] = 3
