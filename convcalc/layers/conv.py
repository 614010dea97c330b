"""Convolutions: Conv1d/2d/3d, their transposes, depthwise and depthwise-separable convs.

The Lazy classes (d2l.ai's ``nn.LazyConv2d``) count as their eager class with in_channels from the input.

Counting (DESIGN.md conventions; bias additions are not counted):
  conv:        params Cout·(Cin/g)·Πk (+Cout)   MACs Cout·ΠO·(Cin/g)·Πk   FLOPs 2·MACs
  transposed:  params Cin·(Cout/g)·Πk (+Cout)   MACs Cin·ΠI·(Cout/g)·Πk   FLOPs 2·MACs
FLOPs equal torch.utils.flop_counter.FlopCounterMode for these layers.
"""

from __future__ import annotations

from math import gcd, isqrt, prod

from .. import records
from ..arithmetic import (
    conv_output_size,
    effective_kernel,
    same_padding,
    transposed_formula,
    transposed_output_size,
    window_formula,
)
from ..errors import ShapeError, SpecError
from .base import (
    Backward,
    Effect,
    Grads,
    Leaf,
    Part,
    Primitives,
    Ran,
    Reach,
    Saved,
    Shape,
    Step,
    check_bool,
    expect_channels,
    expect_spatial,
    fmt_shape,
    fmt_sizes,
    freeze,
    int_tuple,
    join_formulas,
    numel,
    optional_size,
    positive_int,
    saving,
    spec,
)
from .lazy import _Lazy
from .steps import AXES, dot, output_steps, window_size
from .window import fit_error, tail_warnings, window_reach

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any, ClassVar

    from .base import Size

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _divisors(a: int, b: int) -> str:
    """The groups that divide both channel counts: the divisors of their gcd."""
    g = gcd(a, b)
    if g > 10**12:
        return f"the divisors of {g}"
    small = [d for d in range(1, isqrt(g) + 1) if g % d == 0]
    return ", ".join(str(d) for d in sorted(set(small + [g // d for d in small])))


def _check_groups(layer: str, groups: int, in_channels: int | None, out_channels: int) -> None:
    for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value is not None and value % groups:
            fits = f"; groups that divide both: {_divisors(in_channels, out_channels)}" if in_channels else ""
            raise SpecError(f"{layer}: groups={groups} does not divide {arg}={value}{fits}")


def _strided_same_hint(kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...]) -> str:
    """Which padding gives TensorFlow's 'same' output ⌈I/S⌉ at this stride (the refusal's one-line hint).

    Odd effective kernel E = D·(K−1)+1: P = (E−1)/2 gives, for every input size I ≥ 1,
    O = ⌊(I + 2P − E)/S⌋ + 1 = ⌊(I − 1)/S⌋ + 1 = ⌈I/S⌉ (write I = q·S + r with 1 ≤ r ≤ S: both sides are q + 1).
    Even E: 2P − E is odd, so a symmetric P gives ⌊(I + 2P − E)/S⌋ + 1; with P = E/2 that is ⌊I/S⌋ + 1,
    which is ⌈I/S⌉ exactly when S does not divide I; with P = E/2 − 1 it is ⌊(I − 2)/S⌋ + 1, which is
    ⌈I/S⌉ exactly when S does not divide I − 1; no symmetric P is right for every I (TensorFlow pads
    E/2 − 1 … E/2 on the left and the odd pixel on the right).
    """
    eff = tuple(effective_kernel(k, d) for k, d in zip(kernel, dilation))

    def shown(values: tuple[int, ...]) -> str:
        return str(values[0]) if all(v == values[0] for v in values) else str(values)

    if all(e % 2 for e in eff):
        return (f"padding={shown(tuple((e - 1) // 2 for e in eff))} gives TensorFlow's 'same' output ⌈I/S⌉ for every input "
                f"(Keras: Conv2D(..., padding=\"same\"))")
    high = tuple(e // 2 for e in eff)
    low = tuple(e // 2 - 1 if e % 2 == 0 else (e - 1) // 2 for e in eff)
    even = shown(tuple(e for e in eff if e % 2 == 0))
    uneven = ("pad unevenly as TensorFlow does (convcalc solve --input I --kernel K --stride S --same says how) or write "
              "Keras' Conv2D(..., padding=\"same\")")
    if len(set(stride)) == 1:
        s = stride[0]
        return (f"with the even kernel {even} no one padding gives TensorFlow's 'same' output ⌈I/S⌉ for every input: "
                f"padding={shown(high)} does when {s} does not divide I, padding={shown(low)} when {s} does not divide I−1; "
                f"for any I {uneven}")
    return f"with the even kernel {even} no one padding gives TensorFlow's 'same' output ⌈I/S⌉ for every input; {uneven}"


class _MacLayer(Leaf):
    """What convolutions share as other tools count them: their MACs, and a bias addition per output element."""

    family: ClassVar[str] = "conv"
    flop_counter: ClassVar[bool] = True
    autocast: ClassVar[str] = "lower"
    bias: bool

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(macs=ran.macs, bias_adds=numel(ran.output_shape) * ran.batch if self.bias else 0)

    def weight_groups(self, shape: Shape) -> int:
        """The groups torch runs it with: FlopCounterMode counts a grouped conv's weight gradient ``groups`` times
        its forward (its rule multiplies all input by all output channels)."""
        groups: int = getattr(self, "groups", 1)
        return groups

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Autograd keeps the input (and the weight, a parameter) whichever gradient is asked. The input's gradient
        is a transposed conv of the output's, the weight's a conv of the input with it: each costs the forward's
        FLOPs. FlopCounterMode counts the first as the forward and the second ``groups`` times the forward."""
        counted = 2 * self.counted_macs(shape, effect.macs)
        torch = (counted if grads.input else 0) + (self.weight_groups(shape) * counted if grads.weights else 0)
        return records.replace(saving(grads, Saved("input", numel(shape)), input_flops=effect.flops,
                                      weight_flops=effect.flops, torch_flops=torch), keeps_weights=grads.any)


@spec
class _ConvNd(_MacLayer):
    """torch.nn.ConvNd: ``in_channels`` may be ``None`` (taken from the input)."""

    inferred: ClassVar[str | None] = "in_channels"
    torch: ClassVar[Any] = "torch.nn:{name}"

    in_channels: int | None
    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] = (1,)
    padding: tuple[int, ...] | str = (0,)  # "same" stays a word: its split depends on the kernel
    dilation: tuple[int, ...] = (1,)
    groups: int = 1
    bias: bool = True
    padding_mode: str = "zeros"

    ndim: ClassVar[int] = 2

    if TYPE_CHECKING:  # the constructor takes torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, in_channels: int | None, out_channels: int, kernel_size: Size, stride: Size = 1,
                     padding: Size | str = 0, dilation: Size = 1, groups: int = 1, bias: bool = True,
                     padding_mode: str = "zeros") -> None: ...

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return not isinstance(module.padding, str)  # (F.conv2d's named padding: a fact the call shows)

    def __post_init__(self) -> None:
        n, nd = self.name, self.ndim
        stride = int_tuple(n, "stride", self.stride, nd, 1)
        padding: tuple[int, ...] | str
        if isinstance(self.padding, str):
            if self.padding not in ("same", "valid"):
                raise SpecError(f"{n}: padding must be an int, a tuple, 'same' or 'valid', got {self.padding!r}")
            if self.padding == "same" and any(s != 1 for s in stride):
                kernel = int_tuple(n, "kernel_size", self.kernel_size, nd, 1, one_for_all=False)
                dilation = int_tuple(n, "dilation", self.dilation, nd, 1)
                raise SpecError(f"{n}: padding='same' needs stride 1 (torch refuses it for strided convolutions), "
                                f"got stride={self.stride!r}; {_strided_same_hint(kernel, dilation, stride)}")
            padding = "same" if self.padding == "same" else (0,) * nd
        else:
            padding = int_tuple(n, "padding", self.padding, nd, 0)
        if self.padding_mode not in _PADDING_MODES:
            raise SpecError(f"{n}: padding_mode must be one of {', '.join(_PADDING_MODES)}, got {self.padding_mode!r}")
        freeze(
            self,
            in_channels=optional_size(n, "in_channels", self.in_channels),
            out_channels=positive_int(n, "out_channels", self.out_channels),
            kernel_size=int_tuple(n, "kernel_size", self.kernel_size, nd, 1, one_for_all=False),
            stride=stride,
            padding=padding,
            dilation=int_tuple(n, "dilation", self.dilation, nd, 1),
            groups=positive_int(n, "groups", self.groups),
            bias=check_bool(n, "bias", self.bias),
        )
        _check_groups(n, self.groups, self.in_channels, self.out_channels)

    def pads(self, spatial: Shape | None = None) -> tuple[tuple[int, int], ...]:
        """(left, right) padding per spatial dim; ``"same"`` puts the odd one on the right, as torch.
        (Torch's padding does not depend on the input's ``spatial`` sizes; TensorFlow's does.)"""
        if isinstance(self.padding, str):  # "same"
            return tuple(same_padding(k, d) for k, d in zip(self.kernel_size, self.dilation))
        return tuple((p, p) for p in self.padding)

    def effect(self, shape: Shape) -> Effect:
        return self.padded_effect(shape, self.pads())

    def padded_effect(self, shape: Shape, pads: tuple[tuple[int, int], ...]) -> Effect:
        """The effect with the (left, right) padding per spatial dim given: this conv's own, or another
        framework's rule that pads unevenly (TensorFlow's 'same' at a stride)."""
        expect_spatial(self, shape, self.ndim)
        cin = expect_channels(self, "in_channels", self.in_channels, shape)
        g = self.groups
        if cin % g:
            raise ShapeError(f"groups={g} does not divide the input's {cin} channels; groups that fit: {_divisors(cin, self.out_channels)}")
        spatial, k, s, d = shape[1:], self.kernel_size, self.stride, self.dilation
        if any(i + l + r < effective_kernel(kk, dd) for i, kk, dd, (l, r) in zip(spatial, k, d, pads)):
            limit = {"reflect": tuple(i - 1 for i in spatial), "circular": spatial}.get(self.padding_mode)
            raise fit_error(k, d, spatial, pads, max_padding=limit)
        if self.padding_mode in ("reflect", "circular"):
            for i, (l, r) in zip(spatial, pads):
                pad = max(l, r)  # "same" with an even kernel pads one more on the right
                if pad >= i if self.padding_mode == "reflect" else pad > i:
                    rule = "smaller than" if self.padding_mode == "reflect" else "at most"
                    raise ShapeError(f"padding_mode={self.padding_mode!r} needs padding {rule} the input size, got padding {pad} on input {fmt_shape(spatial)}")
        out = tuple(conv_output_size(i, kk, ss, l, dd, r) for i, kk, ss, dd, (l, r) in zip(spatial, k, s, d, pads))
        per_group, volume, cout = cin // g, prod(k), self.out_channels
        macs = cout * prod(out) * per_group * volume
        formula = join_formulas([window_formula(i, kk, ss, l, r, dd, o) for i, kk, ss, dd, (l, r), o in zip(spatial, k, s, d, pads, out)])
        return Effect(
            output_shape=(cout, *out),
            weights=cout * per_group * volume,
            biases=cout if self.bias else 0,
            macs=macs,
            flops=2 * macs,
            formula=formula,
            reach=window_reach(k, s, d, tuple(l for l, _ in pads)),
            warnings=tail_warnings(spatial, k, s, tuple(l for l, _ in pads), d, out),
        )

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return self.padded_explain(shape, effect, self.pads())

    def padded_explain(self, shape: Shape, effect: Effect, pads: tuple[tuple[int, int], ...]) -> tuple[Step, ...]:
        """The worked steps with the (left, right) padding per spatial dim given (as :meth:`padded_effect`)."""
        spatial, out = shape[1:], effect.output_shape
        per_dim = [window_size(i, k, s, l, r, d, o) for i, k, s, (l, r), d, o in
                   zip(spatial, self.kernel_size, self.stride, pads, self.dilation, out[1:])]
        pad = "2P" if all(l == r for l, r in pads) else "P_left + P_right"  # uneven: 'same' with an even kernel, TensorFlow's
        rule = (f"O = ⌊(I + {pad} − K)/S⌋ + 1" if all(d == 1 for d in self.dilation)
                else f"O = ⌊(I + {pad} − D·(K−1) − 1)/S⌋ + 1")
        cin, cout, g, k = shape[0], self.out_channels, self.groups, tuple(self.kernel_size)
        cin_g = cin if g == 1 else f"({cin}/{g})"
        sym_k = "·".join(f"k{a[0]}" for a in AXES[len(k)])
        sym_o = "·".join(f"O{a[0]}" for a in AXES[len(k)])
        sym_c = "Cin" if g == 1 else "(Cin/g)"
        products = dot(cout, *out[1:], cin_g, *k)
        return (
            *output_steps(spatial, per_dim, rule, out),
            Step("parameters", f"params = {sym_k}·{sym_c}·Cout{' + Cout' if self.bias else ''}",
                 dot(*k, cin_g, cout) + (f" + {cout}" if self.bias else ""), effect.weights + effect.biases,
                 f"{effect.weights:,} weights, {effect.biases:,} biases"),
            Step("MACs", f"MACs = Cout·{sym_o}·{sym_c}·{sym_k}", products, effect.macs),
            Step("FLOPs", f"FLOPs = 2·Cout·{sym_o}·{sym_c}·{sym_k}", f"2·{products}", effect.flops),
        )


class Conv1d(_ConvNd):
    ndim: ClassVar[int] = 1


class Conv2d(_ConvNd):
    ndim: ClassVar[int] = 2


class Conv3d(_ConvNd):
    ndim: ClassVar[int] = 3


@spec
class _ConvTransposeNd(_MacLayer):
    """torch.nn.ConvTransposeNd (argument order as torch: output_padding, groups, bias, dilation)."""

    inferred: ClassVar[str | None] = "in_channels"
    family: ClassVar[str] = "convtranspose"
    torch: ClassVar[Any] = "torch.nn:{name}"

    in_channels: int | None
    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] = (1,)
    padding: tuple[int, ...] = (0,)
    output_padding: tuple[int, ...] = (0,)
    groups: int = 1
    bias: bool = True
    dilation: tuple[int, ...] = (1,)
    padding_mode: str = "zeros"

    ndim: ClassVar[int] = 2

    if TYPE_CHECKING:  # the constructor takes torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, in_channels: int | None, out_channels: int, kernel_size: Size, stride: Size = 1,
                     padding: Size = 0, output_padding: Size = 0, groups: int = 1, bias: bool = True,
                     dilation: Size = 1, padding_mode: str = "zeros") -> None: ...

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        n, nd = self.name, self.ndim
        if self.padding_mode != "zeros":
            raise SpecError(f"{n}: padding_mode must be 'zeros' (torch supports no other for transposed convs), got {self.padding_mode!r}")
        if isinstance(self.padding, str):
            raise SpecError(f"{n}: padding must be an int or a tuple (torch has no 'same' for transposed convs), got {self.padding!r}")
        freeze(
            self,
            in_channels=optional_size(n, "in_channels", self.in_channels),
            out_channels=positive_int(n, "out_channels", self.out_channels),
            kernel_size=int_tuple(n, "kernel_size", self.kernel_size, nd, 1, one_for_all=False),
            stride=int_tuple(n, "stride", self.stride, nd, 1),
            padding=int_tuple(n, "padding", self.padding, nd, 0),
            output_padding=int_tuple(n, "output_padding", self.output_padding, nd, 0),
            dilation=int_tuple(n, "dilation", self.dilation, nd, 1),
            groups=positive_int(n, "groups", self.groups),
            bias=check_bool(n, "bias", self.bias),
        )
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise SpecError(
                    f"{n}: output_padding={op} must be smaller than stride {s} or dilation {d} "
                    f"(torch's rule); use at most {max(s, d) - 1}"
                )
        _check_groups(n, self.groups, self.in_channels, self.out_channels)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        cin = expect_channels(self, "in_channels", self.in_channels, shape)
        g = self.groups
        if cin % g:
            raise ShapeError(f"groups={g} does not divide the input's {cin} channels; groups that fit: {_divisors(cin, self.out_channels)}")
        spatial = shape[1:]
        dims = list(zip(spatial, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation))
        out = tuple(transposed_output_size(*dim) for dim in dims)
        if any(o < 1 for o in out):
            raise ShapeError(
                f"output size {fmt_shape(out)} is not positive for input {fmt_shape(spatial)}: "
                f"padding {fmt_sizes(self.padding)} removes more than (I−1)·S+D·(K−1)+output_padding+1 adds; use less padding"
            )
        cout, volume = self.out_channels, prod(self.kernel_size)
        macs = cin * prod(spatial) * (cout // g) * volume
        return Effect(
            output_shape=(cout, *out),
            weights=cin * (cout // g) * volume,
            biases=cout if self.bias else 0,
            macs=macs,
            flops=2 * macs,
            formula=join_formulas([transposed_formula(i, k, s, p, op, d, o) for (i, k, s, p, op, d), o in zip(dims, out)]),
            reach=Reach("transposed", tuple((k, s, d, p) for _, k, s, p, _, d in dims)),
        )

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        spatial, out = shape[1:], effect.output_shape
        per_dim = [f"O = ({i} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1 = {transposed_output_size(i, k, s, p, op, d)}"
                   for i, k, s, p, op, d in zip(spatial, self.kernel_size, self.stride, self.padding,
                                                self.output_padding, self.dilation)]
        cin, cout, g, k = shape[0], self.out_channels, self.groups, tuple(self.kernel_size)
        cout_g = cout if g == 1 else f"({cout}/{g})"
        return (
            *output_steps(spatial, per_dim, "O = (I − 1)·S − 2P + D·(K − 1) + output_padding + 1", out),
            Step("parameters", f"params = Cin·Cout·Πk{' + Cout' if self.bias else ''}",
                 dot(cin, cout_g, *k) + (f" + {cout}" if self.bias else ""), effect.weights + effect.biases),
            Step("MACs", "MACs = Cin·ΠI·Cout·Πk", dot(cin, *spatial, cout_g, *k), effect.macs,
                 "each input element meets every kernel weight once"),
            Step("FLOPs", "FLOPs = 2·MACs", value=effect.flops),
        )


class ConvTranspose1d(_ConvTransposeNd):
    ndim: ClassVar[int] = 1


class ConvTranspose2d(_ConvTransposeNd):
    ndim: ClassVar[int] = 2


class ConvTranspose3d(_ConvTransposeNd):
    ndim: ClassVar[int] = 3


@spec
class DepthwiseConv2d(_MacLayer):
    """A depthwise conv: ``Conv2d(C, C·multiplier, k, groups=C)``; each channel is filtered on its own.

    Params Cout·Πk (+Cout); MACs Cout·ΠO·Πk (seed 003: 2·Cout·Oh·Ow·kh·kw FLOPs).
    """

    inferred: ClassVar[str | None] = "channels"

    channels: int | None
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] = (1,)
    padding: tuple[int, ...] | str = (0,)
    multiplier: int = 1
    bias: bool = True
    dilation: tuple[int, ...] = (1,)

    if TYPE_CHECKING:  # the constructor takes torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, channels: int | None, kernel_size: Size, stride: Size = 1, padding: Size | str = 0,
                     multiplier: int = 1, bias: bool = True, dilation: Size = 1) -> None: ...

    def __post_init__(self) -> None:
        freeze(
            self,
            channels=optional_size(self.name, "channels", self.channels),
            multiplier=positive_int(self.name, "multiplier", self.multiplier),
        )
        conv = self.as_conv(self.channels or 1)  # validates kernel, stride, padding, dilation and bias now
        freeze(self, kernel_size=conv.kernel_size, stride=conv.stride, padding=conv.padding, dilation=conv.dilation)

    def as_conv(self, channels: int) -> Conv2d:
        """The equivalent grouped Conv2d (what torch runs)."""
        try:
            return Conv2d(channels, channels * self.multiplier, self.kernel_size, self.stride, self.padding,
                          self.dilation, groups=channels, bias=self.bias)
        except SpecError as error:
            raise SpecError(str(error).replace("Conv2d:", f"{self.name}:", 1)) from None

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, 2)
        return self.as_conv(expect_channels(self, "channels", self.channels, shape)).effect(shape)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("depthwise", f"a Conv2d with groups = channels = {shape[0]}: each channel is filtered on its own"),
                *self.as_conv(shape[0]).explain(shape, effect))

    def torch_equivalent(self) -> Leaf | None:
        return self.as_conv(self.channels) if self.channels is not None else None

    def weight_groups(self, shape: Shape) -> int:
        return shape[0]


@spec
class SeparableConv2d(_MacLayer):
    """Depthwise k×k conv then pointwise 1×1 conv, reported as one unit with both parts visible.

    As Keras' SeparableConv2D, the bias (if any) belongs to the pointwise conv;
    the depthwise conv has none. FLOPs 2·Cin·ΠO·Πk + 2·Cout·ΠO·Cin (seed 003).
    """

    inferred: ClassVar[str | None] = "in_channels"
    family: ClassVar[str] = "separable"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:SeparableConv2d"

    in_channels: int | None
    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] = (1,)
    padding: tuple[int, ...] | str = (0,)
    bias: bool = True
    dilation: tuple[int, ...] = (1,)

    if TYPE_CHECKING:  # the constructor takes torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, in_channels: int | None, out_channels: int, kernel_size: Size, stride: Size = 1,
                     padding: Size | str = 0, bias: bool = True, dilation: Size = 1) -> None: ...

    def __post_init__(self) -> None:
        freeze(
            self,
            in_channels=optional_size(self.name, "in_channels", self.in_channels),
            out_channels=positive_int(self.name, "out_channels", self.out_channels),
            bias=check_bool(self.name, "bias", self.bias),
        )
        depthwise, _ = self.parts(self.in_channels or 1)  # validates the rest now
        freeze(self, kernel_size=depthwise.kernel_size, stride=depthwise.stride, padding=depthwise.padding,
               dilation=depthwise.dilation)

    def parts(self, channels: int) -> tuple[DepthwiseConv2d, Conv2d]:
        """(depthwise, pointwise) as they run."""
        try:
            depthwise = DepthwiseConv2d(channels, self.kernel_size, self.stride, self.padding, bias=False, dilation=self.dilation)
        except SpecError as error:
            raise SpecError(str(error).replace("DepthwiseConv2d:", f"{self.name}:", 1)) from None
        return depthwise, Conv2d(channels, self.out_channels, 1, bias=self.bias)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, 2)
        depthwise, pointwise = self.parts(expect_channels(self, "in_channels", self.in_channels, shape))
        dw = depthwise.effect(shape)
        pw = pointwise.effect(dw.output_shape)
        parts = tuple(
            Part(name, repr(layer), e.output_shape, e.weights, e.biases, e.macs, e.flops, e.formula)
            for name, layer, e in (("depthwise", depthwise, dw), ("pointwise", pointwise, pw))
        )
        return Effect(
            output_shape=pw.output_shape,
            weights=dw.weights + pw.weights,
            biases=dw.biases + pw.biases,
            macs=dw.macs + pw.macs,
            flops=dw.flops + pw.flops,
            formula=dw.formula,
            reach=dw.reach,
            warnings=dw.warnings,
            parts=parts,
            extra_elements=numel(dw.output_shape),  # the depthwise result is a tensor of its own
        )

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """The two convs' backwards: autograd keeps the input and the depthwise result; the depthwise result always
        needs its gradient (something before it, or its own weight, does)."""
        if not grads.any:
            return Backward()
        depthwise, pointwise = self.parts(shape[0])
        dw = depthwise.effect(shape)
        inner = Grads((True,), grads.weights, grads.device)
        first, second = depthwise.backward(shape, dw, grads), pointwise.backward(dw.output_shape,
                                                                                  pointwise.effect(dw.output_shape), inner)
        assert first is not None and second is not None
        return Backward(saved=(Saved("input", numel(shape)), Saved("depthwise", numel(dw.output_shape))),
                        input_flops=first.input_flops + second.input_flops,
                        weight_flops=first.weight_flops + second.weight_flops, torch_flops=first.torch_flops + second.torch_flops,
                        keeps_weights=True)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        steps = [Step("", "depthwise k×k conv, then pointwise 1×1 conv; the unit's figures are their sums")]
        depthwise, pointwise = self.parts(shape[0])
        dw = depthwise.effect(shape)
        for label, part, part_shape, part_effect in (("depthwise", depthwise, shape, dw),
                                                      ("pointwise", pointwise, dw.output_shape, pointwise.effect(dw.output_shape))):
            steps.append(Step(label, repr(part)))
            steps += [records.replace(s, quantity=f"  {s.quantity}" if s.quantity else "")
                      for s in part.explain(part_shape, part_effect)]
        params = effect.weights + effect.biases
        steps.append(Step("total", f"params = {params:,}, MACs = {effect.macs:,}, FLOPs = {effect.flops:,}"))
        return tuple(steps)


@spec
class _LazyConvNd(_Lazy):
    """torch.nn.LazyConvNd: ConvNd without ``in_channels`` (taken from the input's channels)."""

    autocast: ClassVar[str] = "lower"

    family: ClassVar[str] = "conv"
    flop_counter: ClassVar[bool] = True

    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] = (1,)
    padding: tuple[int, ...] | str = (0,)
    dilation: tuple[int, ...] = (1,)
    groups: int = 1
    bias: bool = True
    padding_mode: str = "zeros"

    if TYPE_CHECKING:  # torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, out_channels: int, kernel_size: Size, stride: Size = 1, padding: Size | str = 0,
                     dilation: Size = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros") -> None: ...


class LazyConv1d(_LazyConvNd):
    becomes: ClassVar[type[Leaf]] = Conv1d


class LazyConv2d(_LazyConvNd):
    becomes: ClassVar[type[Leaf]] = Conv2d


class LazyConv3d(_LazyConvNd):
    becomes: ClassVar[type[Leaf]] = Conv3d


@spec
class _LazyConvTransposeNd(_Lazy):
    """torch.nn.LazyConvTransposeNd: ConvTransposeNd without ``in_channels`` (taken from the input's channels)."""

    autocast: ClassVar[str] = "lower"

    family: ClassVar[str] = "convtranspose"
    flop_counter: ClassVar[bool] = True

    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] = (1,)
    padding: tuple[int, ...] = (0,)
    output_padding: tuple[int, ...] = (0,)
    groups: int = 1
    bias: bool = True
    dilation: tuple[int, ...] = (1,)
    padding_mode: str = "zeros"

    if TYPE_CHECKING:  # torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, out_channels: int, kernel_size: Size, stride: Size = 1, padding: Size = 0,
                     output_padding: Size = 0, groups: int = 1, bias: bool = True, dilation: Size = 1,
                     padding_mode: str = "zeros") -> None: ...


class LazyConvTranspose1d(_LazyConvTransposeNd):
    becomes: ClassVar[type[Leaf]] = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeNd):
    becomes: ClassVar[type[Leaf]] = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeNd):
    becomes: ClassVar[type[Leaf]] = ConvTranspose3d
