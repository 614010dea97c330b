"""Resampling layers: Upsample (F.interpolate) and its 2-d shorthands, PixelShuffle / PixelUnshuffle, CenterCrop.

None has parameters or MACs. What convcalc counts as FLOPs (the README's conventions table):

- nearest and nearest-exact upsampling copy one input element per output element: 0 FLOPs;
- linear, bilinear, trilinear and bicubic upsampling make each output element a weighted sum of its
  taps (2, 4, 8 and 16 input elements): taps multiplications and taps − 1 additions, 2·taps − 1 FLOPs per
  output element (3, 7, 15 and 31). The weights depend on the position only, once per row or column,
  and are not counted, as a convolution's index arithmetic is not;
- pixel shuffle and unshuffle move elements (a copy); a centre crop is a view (torchvision slices the
  tensor), or a copy where it pads first.

FlopCounterMode counts 0 for all of them. Output sizes are torch's: ``size`` as given, else
⌊I·scale⌋ per dim (torch multiplies in double precision and truncates).
"""

from __future__ import annotations

import struct
from math import floor

from ..errors import ShapeError, SpecError
from ..records import field, replace
from .base import (
    Effect,
    Leaf,
    Reach,
    Shape,
    Step,
    dims_text,
    expect_spatial,
    fmt_shape,
    freeze,
    int_tuple,
    is_int,
    numel,
    positive_int,
    spec,
)
from .steps import AXES, dot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar

#: The interpolation modes convcalc knows -> (spatial dims torch needs, or 0 for 1 to 3; taps per output element).
MODES = {"nearest": (0, 1), "nearest-exact": (0, 1), "linear": (1, 2), "bilinear": (2, 4), "bicubic": (2, 16),
         "trilinear": (3, 8)}
_NEAREST = ("nearest", "nearest-exact")


def _f32(x: float) -> float:
    """``x`` rounded to single precision, as torch's CPU kernels compute source indices for float tensors."""
    value: float = struct.unpack("f", struct.pack("f", x))[0]
    return value


def _cubic_weights(t: float) -> tuple[float, ...]:
    """torch's cubic convolution coefficients (A = −0.75) for the taps at −1, 0, 1, 2 of a fraction ``t``."""
    a = -0.75

    def near(x: float) -> float:
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: float) -> float:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def source_windows(size: int, out: int, mode: str, align_corners: bool, scale: float | None,
                   two_d: bool = False) -> tuple[tuple[int, int], ...]:
    """Per output position along one dim, the first and last input positions whose weight is not zero.

    torch's rules (aten/src/ATen/native/UpSample.h, and its CPU kernels where they differ: measured in
    tests/test_resample.py): the scale is 1/scale_factor where a scale factor is passed on, else I/O;
    align_corners uses (I−1)/(O−1); a linear-mode dim of unchanged size is copied (bicubic still
    interpolates). nearest reads ⌊o·scale⌋, except on a 2-d input (``two_d``: torch's 2-d kernel), where it
    reads o where O = I and o >> 1 where O = 2I, whatever the scale; nearest-exact
    ⌊(o + ½)·scale⌋ (both capped at I−1); linear modes the two neighbours of scale·(o + ½) − ½ (clamped
    at 0), bicubic the four around it, clamped to the input. A tap whose weight is exactly 0 is left
    out (the output does not depend on it: torch's gradient there is 0).
    """
    if mode in _NEAREST or (out == size and mode != "bicubic"):
        if mode not in _NEAREST:  # torch's CPU kernels copy a linear-mode dim whose size does not change, whatever the scale
            return tuple((o, o) for o in range(out))
        factor = _f32(1.0 / scale) if scale else _f32(_f32(size) / out)
        spans = []
        for o in range(out):
            if two_d and mode == "nearest" and out in (size, 2 * size):  # the 2-d kernel's nearest_idx shortcuts
                at = o if out == size else o >> 1
            else:
                at = floor(_f32(_f32(o) * factor)) if mode == "nearest" else floor(_f32((o + 0.5) * factor))
            i = min(at, size - 1)
            spans.append((i, i))
        return tuple(spans)
    if align_corners:
        factor = _f32(_f32(size - 1) / (out - 1)) if out > 1 else 0.0
    else:
        factor = _f32(1.0 / scale) if scale else _f32(_f32(size) / out)
    spans = []
    for o in range(out):
        if align_corners:
            src = _f32(factor * o)
        elif mode == "bicubic":  # (torch's bicubic kernel rounds the product, then the difference; linear ones once)
            src = _f32(_f32(factor * _f32(o + 0.5)) - 0.5)
        else:
            src = _f32(factor * _f32(o + 0.5) - 0.5)
        if mode == "bicubic":
            first = floor(src)
            weights = _cubic_weights(_f32(src - first))
            taps = [min(max(first - 1 + k, 0), size - 1) for k, w in enumerate(weights) if w != 0]
        else:
            src = max(src, 0.0)
            first = int(src)
            fraction = min(max(_f32(src - first), 0.0), 1.0)
            second = first + (1 if first < size - 1 else 0)
            taps = [i for i, w in ((first, 1.0 - fraction), (second, fraction)) if w != 0] or [first]
        spans.append((min(taps), max(taps)))
    return tuple(spans)


def gather_reach(spans: tuple[tuple[tuple[int, int], ...], ...]) -> Reach:
    """A reach from explicit windows: per spatial dim, each output position's first and last input position."""
    return Reach("gather", tuple(tuple(v for span in dim for v in span) for dim in spans))


#: Taps of torch's antialiasing filters at scale 1 (the triangle of bilinear, the cubic of bicubic).
_AA_TAPS = {"bilinear": 2, "bicubic": 4}


def antialias_taps(size: int, out: int, mode: str, align_corners: bool, scale: float | None) -> tuple[int, ...]:
    """Per output position along one dim, how many input elements torch's antialiased resampling
    (``F.interpolate(..., antialias=True)``: aten's ``_upsample_bilinear2d_aa``, ``_upsample_bicubic2d_aa``)
    weighs: its filter is widened by the scale where it shrinks (support = taps/2 · scale for a scale ≥ 1,
    taps/2 otherwise), around the centre scale·(o + ½), clipped to the input (torch's
    ``_compute_indices_min_size_weights_aa``, float inputs)."""
    if align_corners:
        factor = _f32(_f32(size - 1) / (out - 1)) if out > 1 else 0.0
    else:
        factor = _f32(1.0 / scale) if scale else _f32(_f32(size) / out)
    half = _AA_TAPS[mode] * 0.5
    support = _f32(half * factor) if factor >= 1.0 else half
    taps = []
    for o in range(out):
        centre = _f32(factor * (o + 0.5))
        first = max(int(_f32(centre - support + 0.5)), 0)
        taps.append(min(int(_f32(centre + support + 0.5)), size) - first)
    return tuple(taps)


def antialias_flops(channels: int, spatial: Shape, out: Shape, mode: str, align_corners: bool,
                    scales: tuple[float | None, ...]) -> int:
    """FLOPs of one sample's antialiased resampling of C×H×W to C×Ho×Wo: torch runs it separably, the last dim
    first (C×H×Wo), then the one before (C×Ho×Wo); a dim whose size does not change is skipped. Each output
    of a pass is a weighted sum of its taps: taps products and taps − 1 additions."""
    flops, current = 0, list(spatial)
    for d in reversed(range(len(spatial))):
        if spatial[d] == out[d]:
            continue
        per_line = sum(2 * t - 1 for t in antialias_taps(spatial[d], out[d], mode, align_corners, scales[d]))
        current[d] = out[d]
        flops += channels * per_line * numel(tuple(current[:d] + current[d + 1:]))
    return flops


def _scales(layer: str, value: Any) -> float | tuple[float, ...] | None:
    """``scale_factor`` as torch's nn.Upsample stores it: a float, or a tuple of floats."""
    if value is None:
        return None
    items = value if isinstance(value, (tuple, list)) else (value,)
    if not items or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in items):
        raise SpecError(f"{layer}: scale_factor must be a positive number or a tuple of them, got {value!r}")
    return tuple(float(v) for v in items) if isinstance(value, (tuple, list)) else float(value)


def _sizes(layer: str, value: Any) -> int | tuple[int, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, (tuple, list)) else (value,)
    if not items or not all(is_int(v) and v > 0 for v in items):
        raise SpecError(f"{layer}: size must be a positive int or a tuple of them, got {value!r}")
    return tuple(items) if isinstance(value, (tuple, list)) else value


@spec
class Upsample(Leaf):
    """torch.nn.Upsample / F.interpolate: each spatial dim resized to ``size`` or ⌊I·scale_factor⌋.

    FLOPs: 0 for nearest and nearest-exact (a copy); 2·taps − 1 per output element for the
    interpolating modes (linear 3, bilinear 7, bicubic 31, trilinear 15).
    """

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "upsample"
    torch: ClassVar[Any] = "torch.nn:{name}"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "interpolate": ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"),
        "upsample": ("size", "scale_factor", "mode", "align_corners")}
    aten: ClassVar[tuple[str, ...]] = (
        "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact1d",
        "_upsample_nearest_exact2d", "_upsample_nearest_exact3d", "upsample_linear1d", "upsample_bilinear2d",
        "upsample_bicubic2d", "upsample_trilinear3d")

    size: int | tuple[int, ...] | None = None
    scale_factor: float | tuple[float, ...] | None = None
    mode: str = "nearest"
    align_corners: bool | None = None
    recompute_scale_factor: bool | None = None

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        n = self.name
        size, scale = _sizes(n, self.size), _scales(n, self.scale_factor)
        if size is not None and scale is not None:
            raise SpecError(f"{n}: only one of size or scale_factor should be defined (torch's rule), got size={self.size!r} "
                            f"and scale_factor={self.scale_factor!r}")
        if size is None and scale is None:
            raise SpecError(f"{n}: either size or scale_factor should be defined (torch's rule), e.g. {n}(scale_factor=2)")
        if self.mode not in MODES:
            hint = "; for 'area' use AdaptiveAvgPool2d(size)" if self.mode == "area" else ""
            raise SpecError(f"{n}: mode must be one of {', '.join(map(repr, MODES))}, got {self.mode!r}{hint}")
        if self.align_corners is not None and not isinstance(self.align_corners, bool):
            raise SpecError(f"{n}: align_corners must be True, False or None, got {self.align_corners!r}")
        if self.mode in _NEAREST and self.align_corners is not None:
            raise SpecError(f"{n}: align_corners option can only be set with the interpolating modes: linear | bilinear | "
                            f"bicubic | trilinear (torch's rule), got mode={self.mode!r} with align_corners={self.align_corners!r}")
        if self.recompute_scale_factor is not None and not isinstance(self.recompute_scale_factor, bool):
            raise SpecError(f"{n}: recompute_scale_factor must be True, False or None, got {self.recompute_scale_factor!r}")
        if self.recompute_scale_factor and size is not None:
            raise SpecError(f"{n}: recompute_scale_factor is not meaningful with an explicit size (torch's rule); "
                            "drop it or give scale_factor")
        freeze(self, size=size, scale_factor=scale)

    def _plan(self, shape: Shape) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
        """The output size per spatial dim, and the scale torch's kernel is handed (None: it uses I/O)."""
        spatial, nd = shape[1:], len(shape) - 1
        need, _ = MODES[self.mode]
        dims = ("C×L", "C×H×W", "C×D×H×W")
        if need and nd != need:
            raise ShapeError(f"mode {self.mode!r} needs a {dims[need - 1]} input per sample (torch: {need + 2}-D with the batch), "
                             f"got {fmt_shape(shape)}")
        if not 1 <= nd <= 3:
            raise ShapeError(f"expects a C×L, C×H×W or C×D×H×W input per sample (torch: 3-D to 5-D with the batch), got {fmt_shape(shape)}")
        given = self.size if self.size is not None else self.scale_factor
        if isinstance(given, tuple) and len(given) != nd:
            what = "size" if self.size is not None else "scale_factor"
            raise ShapeError(f"input and {what} must have the same number of spatial dimensions (torch's rule), got input "
                             f"with spatial dimensions {fmt_shape(spatial)} and {what} {given!r}")
        if self.size is not None:
            size = self.size if isinstance(self.size, tuple) else (self.size,) * nd
            return size, (None,) * nd
        scale = self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,) * nd
        out = tuple(int(i * s) for i, s in zip(spatial, scale) if s is not None)  # torch: a double product, truncated
        if any(o < 1 for o in out):
            raise ShapeError(f"input {fmt_shape(spatial)} scaled by {self.scale_factor!r} gives {fmt_shape(out)}: input and output "
                             f"sizes should be greater than 0 (torch's rule); use a larger scale_factor or give size")
        # recompute_scale_factor: torch hands the kernel the output size only, so it uses I/O
        return out, (None,) * nd if self.recompute_scale_factor else tuple(scale)

    @property
    def taps(self) -> int:
        return MODES[self.mode][1]

    def per_output(self) -> int:
        """FLOPs per output element: 0 for a copy, else taps products and taps − 1 additions."""
        return 0 if self.mode in _NEAREST else 2 * self.taps - 1

    def effect(self, shape: Shape) -> Effect:
        out, scales = self._plan(shape)
        spatial = shape[1:]
        corners = bool(self.align_corners)
        if self.mode == "bicubic" and tuple(out) == tuple(spatial):  # torch's bicubic kernel copies a kept size
            windows = tuple(tuple((o, o) for o in range(n)) for n in out)
        else:
            windows = tuple(source_windows(i, o, self.mode, corners, s, two_d=len(spatial) == 2)
                            for i, o, s in zip(spatial, out, scales))
        reach = gather_reach(windows)
        whole = all(n % i == 0 and w == tuple((o // (n // i),) * 2 for o in range(n)) for i, n, w in zip(spatial, out, windows))
        if whole:  # output o reads ⌊o/k⌋ in every dim: a k-wide transposed step, which keeps the field periodic
            reach = Reach("transposed", tuple((n // i, n // i, 1, 0) for i, n in zip(spatial, out)))
        output = (shape[0], *out)
        return Effect(output_shape=output, flops=self.per_output() * numel(output), formula=self._formula(spatial, out),
                      reach=reach)

    def _formula(self, spatial: Shape, out: Shape) -> str:
        if self.size is not None:
            text = f"{fmt_shape(spatial)} → size {fmt_shape(out)}"
        else:
            scale = self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,) * len(spatial)
            per = [f"⌊{i}·{_num(s)}⌋ = {o}" for i, s, o in zip(spatial, scale, out) if s is not None]
            text = per[0] if all(p == per[0] for p in per) else "; ".join(per)
        return f"{text}, {self.mode}" + (", align_corners" if self.align_corners else "")

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        spatial, out = shape[1:], effect.output_shape[1:]
        axes = AXES.get(len(spatial), ())
        if self.size is not None:
            rule = Step("output size", "O = size", note="as given")
            per = [Step("", f"{axis}: O = {o}") for axis, o in zip(axes, out)]
        else:
            scale = self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,) * len(spatial)
            rule = Step("output size", "O = ⌊I·scale_factor⌋", note="torch multiplies in double precision and truncates")
            per = [Step("", f"{axis}: O = ⌊{i}·{_num(s)}⌋ = {o}") for axis, i, s, o in zip(axes, spatial, scale, out)]
        elements = dot(effect.output_shape[0], *out)
        if self.mode in _NEAREST:
            flops = Step("FLOPs", "FLOPs = 0", note=f"{self.mode}: each output copies one input element")
        else:
            flops = Step("FLOPs", f"FLOPs = (2·taps − 1)·C·ΠO = {self.per_output()}·{elements}", value=effect.flops,
                         note=f"{self.mode}: a weighted sum of {self.taps} taps per output element")
        return (rule, *per, Step("", "output " + dims_text(effect.output_shape)), Step("parameters", "params", value=0,
                note="resampling learns nothing"), flops)

    def torch_kwargs(self) -> dict[str, Any]:
        return {"size": self.size, "scale_factor": self.scale_factor, "mode": self.mode, "align_corners": self.align_corners,
                "recompute_scale_factor": self.recompute_scale_factor}

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        """The layer an aten upsample op is: ``upsample_bilinear2d(input, output_size, align_corners, scales)``,
        ``upsample_nearest2d(input, output_size, scales)``; F.interpolate passes either the size or the scales."""
        if op not in cls.aten:
            return None
        mode = next(m for key, m in (("nearest_exact", "nearest-exact"), ("nearest", "nearest"), ("bilinear", "bilinear"),
                                     ("bicubic", "bicubic"), ("trilinear", "trilinear"), ("linear", "linear")) if key in op)
        rest = list(args[1:])
        size = rest.pop(0) if rest else None
        corners = rest.pop(0) if mode not in _NEAREST and rest else None
        scales = [s for item in rest for s in (item if isinstance(item, (list, tuple)) else (item,)) if s is not None]
        if scales:  # the .default overloads name the size torch computed and each dim's scale (scales_h, scales_w)
            values = tuple(float(s) for s in scales)
            scale: Any = values[0] if all(v == values[0] for v in values) else values
            return cls(scale_factor=scale, mode=mode, align_corners=bool(corners) if mode not in _NEAREST else None)
        sizes = tuple(int(s) for s in (size or out_shape[2:]))
        return cls(size=sizes, mode=mode, align_corners=bool(corners) if mode not in _NEAREST else None)


def _num(value: float | None) -> str:
    """``2.0`` -> ``2``: a scale as a person writes it."""
    return "" if value is None else str(int(value)) if float(value).is_integer() else repr(value)


@spec
class UpsamplingNearest2d(Upsample):
    """torch.nn.UpsamplingNearest2d: ``Upsample(size, scale_factor, mode='nearest')`` on C×H×W."""

    saves: ClassVar[str | None] = "nothing"

    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"upsample_nearest": ("size", "scale_factor")}
    aten: ClassVar[tuple[str, ...]] = ()

    size: int | tuple[int, ...] | None = None
    scale_factor: float | tuple[float, ...] | None = None
    mode: str = field(default="nearest", init=False, repr=False)
    align_corners: bool | None = field(default=None, init=False, repr=False)
    recompute_scale_factor: bool | None = field(default=None, init=False, repr=False)

    if TYPE_CHECKING:
        def __init__(self, size: int | tuple[int, ...] | None = None, scale_factor: float | tuple[float, ...] | None = None) -> None: ...

    def torch_kwargs(self) -> dict[str, Any]:
        return {"size": self.size, "scale_factor": self.scale_factor}


@spec
class UpsamplingBilinear2d(UpsamplingNearest2d):
    """torch.nn.UpsamplingBilinear2d: ``Upsample(size, scale_factor, mode='bilinear', align_corners=True)``."""

    saves: ClassVar[str | None] = "nothing"

    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"upsample_bilinear": ("size", "scale_factor")}

    mode: str = field(default="bilinear", init=False, repr=False)
    align_corners: bool | None = field(default=True, init=False, repr=False)


@spec
class PixelShuffle(Leaf):
    """torch.nn.PixelShuffle(r): C·r²×H×W → C×H·r×W·r (ESPCN's sub-pixel convolution); a copy, 0 FLOPs."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:PixelShuffle"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"pixel_shuffle": ("upscale_factor",)}
    aten: ClassVar[tuple[str, ...]] = ("pixel_shuffle",)

    upscale_factor: int

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        freeze(self, upscale_factor=positive_int(self.name, "upscale_factor", self.upscale_factor))

    def effect(self, shape: Shape) -> Effect:
        r = self.upscale_factor
        if len(shape) < 3:
            raise ShapeError(f"expects C×H×W per sample (torch: at least 3-D), got {fmt_shape(shape)}")
        c, spatial = shape[-3], shape[-2:]
        if c % (r * r):
            fit = max(r * r, c // (r * r) * r * r)
            raise ShapeError(f"the {c} channels must be divisible by upscale_factor² = {r}² = {r * r} (torch's rule); "
                             f"use {fit} channels")
        out = (*shape[:-3], c // (r * r), spatial[0] * r, spatial[1] * r)
        step = (r, r, 1, 0)
        return Effect(output_shape=out, formula=f"{c}/{r}² = {c // (r * r)} channels, {fmt_shape(spatial)}·{r} = {fmt_shape(out[-2:])}",
                      reach=Reach("transposed", (step, step)) if len(shape) == 3 else Reach("transposed", ((1, 1, 1, 0),) * (len(shape) - 3) + (step, step)))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        r, c = self.upscale_factor, shape[-3]
        return (Step("output", "C/r² × H·r × W·r", f"{c}/{r * r} × {shape[-2]}·{r} × {shape[-1]}·{r}", dims_text(effect.output_shape)),
                Step("parameters", "params", value=0, note="a rearrangement learns nothing"),
                Step("FLOPs", "FLOPs", value=0, note="each element moves once: a copy, no arithmetic"))

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        return cls(int(args[1])) if op in cls.aten else None


@spec
class PixelUnshuffle(Leaf):
    """torch.nn.PixelUnshuffle(r): C×H·r×W·r → C·r²×H×W, PixelShuffle's inverse; a copy, 0 FLOPs."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:PixelUnshuffle"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"pixel_unshuffle": ("downscale_factor",)}
    aten: ClassVar[tuple[str, ...]] = ("pixel_unshuffle",)

    downscale_factor: int

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        freeze(self, downscale_factor=positive_int(self.name, "downscale_factor", self.downscale_factor))

    def effect(self, shape: Shape) -> Effect:
        r = self.downscale_factor
        if len(shape) < 3:
            raise ShapeError(f"expects C×H×W per sample (torch: at least 3-D), got {fmt_shape(shape)}")
        c, (h, w) = shape[-3], shape[-2:]
        if h % r or w % r:
            raise ShapeError(f"height {h} and width {w} must be divisible by downscale_factor {r} (torch's rule); "
                             f"use {h // r * r or r}×{w // r * r or r}")
        out = (*shape[:-3], c * r * r, h // r, w // r)
        step = (r, r, 1, 0)
        return Effect(output_shape=out, formula=f"{c}·{r}² = {c * r * r} channels, {h}×{w}/{r} = {h // r}×{w // r}",
                      reach=Reach("window", ((1, 1, 1, 0),) * (len(shape) - 3) + (step, step)))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        r, c = self.downscale_factor, shape[-3]
        return (Step("output", "C·r² × H/r × W/r", f"{c}·{r * r} × {shape[-2]}/{r} × {shape[-1]}/{r}", dims_text(effect.output_shape)),
                Step("parameters", "params", value=0, note="a rearrangement learns nothing"),
                Step("FLOPs", "FLOPs", value=0, note="each element moves once: a copy, no arithmetic"))

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        return cls(int(args[1])) if op in cls.aten else None


@spec
class CenterCrop(Leaf):
    """torchvision.transforms.CenterCrop(size) on the last two dims (U-Net's crop before concatenation).

    The offset is round((I − O)/2) per dim (Python's round, as torchvision computes it); a crop larger
    than the input pads with zeros first, (O − I)//2 before and the rest after. A crop is a view
    (no new tensor, 0 FLOPs); a pad copies. Output position o reads input o + offset.
    """

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    #: torchvision's spellings: ``transforms.CenterCrop(392)``, ``T.CenterCrop(392)``
    aliases: ClassVar[tuple[str, ...]] = ("transforms.CenterCrop", "T.CenterCrop", "torchvision.transforms.CenterCrop")

    size: tuple[int, int]

    if TYPE_CHECKING:  # torchvision's forms: one int for a square, or (h, w), or [s]
        def __init__(self, size: int | tuple[int, ...] | list[int]) -> None: ...

    def __post_init__(self) -> None:
        value = self.size
        items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
        if len(items) == 1:
            items = items * 2
        if len(items) != 2 or not all(is_int(v) and v > 0 for v in items):
            raise SpecError(f"{self.name}: size must be a positive int or (height, width), got {value!r}")
        freeze(self, size=items)

    def offsets(self, spatial: tuple[int, int]) -> tuple[int, int]:
        """The first input row and column the crop keeps (negative: zero rows padded before)."""
        top, left = (-((o - i) // 2) if o > i else int(round((i - o) / 2.0)) for i, o in zip(spatial, self.size))
        return top, left

    def effect(self, shape: Shape) -> Effect:
        if len(shape) < 3:
            raise ShapeError(f"crops the last two dims of a C×H×W input per sample, got {fmt_shape(shape)}")
        spatial = (shape[-2], shape[-1])
        top, left = self.offsets(spatial)
        out = (*shape[:-2], *self.size)
        pads = any(o > i for i, o in zip(spatial, self.size))
        keep = ((1, 1, 1, 0),) * (len(shape) - 3)
        per = [f"{i} → {o} from {off}" for i, o, off in zip(spatial, self.size, (top, left))]
        return Effect(output_shape=out, new_tensor=pads, formula=", ".join(per) + (" (zero-padded first)" if pads else ""),
                      reach=Reach("window", (*keep, (1, 1, 1, -top), (1, 1, 1, -left))))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        spatial = (shape[-2], shape[-1])
        offsets = self.offsets(spatial)
        steps = [Step("offset", "top = round((H − h)/2), left = round((W − w)/2)", note="Python's round, as torchvision")]
        for axis, i, o, off in zip(("height", "width"), spatial, self.size, offsets):
            if o > i:
                steps.append(Step("", f"{axis}: {o} > {i}: pad ⌊({o} − {i})/2⌋ = {-off} before, {o - i + off} after"))
            else:
                steps.append(Step("", f"{axis}: round(({i} − {o})/2)", value=off))
        return (*steps, Step("output", "output " + dims_text(effect.output_shape)),
                Step("parameters", "params", value=0, note="a crop learns nothing"),
                Step("FLOPs", "FLOPs", value=0, note="a view of the input (a copy where it pads): no arithmetic"))


@spec
class _MaxUnpoolNd(Leaf):
    """torch.nn.MaxUnpoolNd: each input element back to its place in a (I−1)·S − 2P + K output, zeros elsewhere.

    torch takes the max pool's indices, and optionally an ``output_size``, when it is called; a spec cannot
    hold the indices (they are data), so ``output_size`` is written here, as the forward call would pass it
    (torch's rule: within S of the default size), and ``to_torch`` builds a module that, given no indices,
    puts each element at the first place of its window (same shape, same cost). A copy: 0 FLOPs.
    """

    ndim: ClassVar[int] = 2
    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:MaxUnpool"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] = (0,)
    output_size: tuple[int, ...] | None = None

    if TYPE_CHECKING:
        def __init__(self, kernel_size: int | tuple[int, ...], stride: int | tuple[int, ...] | None = None,
                     padding: int | tuple[int, ...] = 0, output_size: tuple[int, ...] | None = None) -> None: ...

    def at_call(self, inputs: tuple[Shape, ...], output: Shape) -> Leaf:
        """The call's ``output_size`` (torch takes it at call time): the spec holds what the call passed."""
        if inputs and tuple(self.effect(inputs[0]).output_shape) != tuple(output):
            return replace(self, output_size=tuple(output[1:]))
        return self

    def __post_init__(self) -> None:
        n, nd = self.name, self.ndim
        kernel = int_tuple(n, "kernel_size", self.kernel_size, nd, 1)
        stride = kernel if self.stride is None else int_tuple(n, "stride", self.stride, nd, 1)
        out = None
        if self.output_size is not None:
            items = tuple(self.output_size) if isinstance(self.output_size, (tuple, list)) else (self.output_size,)
            out = int_tuple(n, "output_size", items[-nd:] if len(items) == nd + 2 else items, nd, 1)
        freeze(self, kernel_size=kernel, stride=stride, padding=int_tuple(n, "padding", self.padding, nd, 0), output_size=out)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        spatial, k, s, p = shape[1:], self.kernel_size, self.stride or self.kernel_size, self.padding
        default = tuple((i - 1) * ss - 2 * pp + kk for i, kk, ss, pp in zip(spatial, k, s, p))
        out = default
        if self.output_size is not None:
            for d, (o, dflt, ss) in enumerate(zip(self.output_size, default, s)):
                if not dflt - ss < o < dflt + ss:
                    raise ShapeError(f"invalid output_size {fmt_shape(self.output_size)}: dim {d} must be between "
                                     f"{dflt - ss} and {dflt + ss}, exclusive (torch's rule; the default is {fmt_shape(default)})")
            out = self.output_size
        if any(o < 1 for o in out):
            raise ShapeError(f"input {fmt_shape(spatial)} unpools to {fmt_shape(out)}: (I−1)·S − 2P + K must be positive")
        formula = ", ".join(f"({i}−1)·{ss}−2·{pp}+{kk} = {dd}" for i, kk, ss, pp, dd in zip(spatial, k, s, p, default))
        if out != default:
            formula += f"; output_size {fmt_shape(out)}"
        return Effect(output_shape=(shape[0], *out), formula=formula,
                      reach=Reach("transposed", tuple((kk, ss, 1, pp) for kk, ss, pp in zip(k, s, p))))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        per = [Step("", f"{axis}: O = ({i} − 1)·{ss} − 2·{pp} + {kk} = {(i - 1) * ss - 2 * pp + kk}")
               for axis, i, kk, ss, pp in zip(AXES.get(self.ndim, ()), shape[1:], self.kernel_size, self.stride or (), self.padding)]
        return (Step("output size", "O = (I − 1)·S − 2P + K", note="the max pool's size rule, inverted"), *per,
                Step("", "output " + dims_text(effect.output_shape)),
                Step("parameters", "params", value=0, note="unpooling learns nothing"),
                Step("FLOPs", "FLOPs", value=0, note="each element is written to the place its index names: a copy"))

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        return cls(tuple(module.kernel_size), tuple(module.stride), tuple(module.padding))

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        """aten's max_unpool1d/2d (input, indices, output_size) name no kernel: it is read as kernel = stride = ⌊O/I⌋
        (a 2×2 max pool's inverse gives 2) with the output size given; max_unpool3d also names stride and padding."""
        if op not in cls.aten:
            return None
        spatial, out = in_shape[2:], tuple(int(o) for o in out_shape[2:])
        if op == "max_unpool3d" and len(args) > 4:
            stride, padding = tuple(args[3]), tuple(args[4])
            kernel = tuple(o - (i - 1) * s + 2 * p for o, i, s, p in zip(out, spatial, stride, padding))
            return cls(kernel, stride, padding)
        step = tuple(max(o // i, 1) for o, i in zip(out, spatial))
        return cls(step, step, 0, output_size=out)


class MaxUnpool1d(_MaxUnpoolNd):
    ndim: ClassVar[int] = 1
    aten: ClassVar[tuple[str, ...]] = ("max_unpool1d",)
    torch_also: ClassVar[tuple[str, ...]] = ("torch.nn:MaxUnpool1d",)


class MaxUnpool2d(_MaxUnpoolNd):
    ndim: ClassVar[int] = 2
    aten: ClassVar[tuple[str, ...]] = ("max_unpool2d",)
    torch_also: ClassVar[tuple[str, ...]] = ("torch.nn:MaxUnpool2d",)


class MaxUnpool3d(_MaxUnpoolNd):
    ndim: ClassVar[int] = 3
    aten: ClassVar[tuple[str, ...]] = ("max_unpool3d",)
    torch_also: ClassVar[tuple[str, ...]] = ("torch.nn:MaxUnpool3d",)


def _blocks(layer: str, spatial: tuple[int, ...], k: tuple[int, ...], d: tuple[int, ...], p: tuple[int, ...],
            s: tuple[int, ...]) -> tuple[int, ...]:
    """Sliding blocks per dim: ⌊(I + 2P − D·(K − 1) − 1)/S⌋ + 1, as a conv's output size."""
    blocks = tuple((i + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for i, kk, dd, pp, ss in zip(spatial, k, d, p, s))
    if any(b < 1 for b in blocks):
        raise ShapeError(f"kernel {fmt_shape(k)} (dilation {fmt_shape(d)}) does not fit input {fmt_shape(spatial)} with padding "
                         f"{fmt_shape(p)}: no block to take")
    return blocks


@spec
class Unfold(Leaf):
    """torch.nn.Unfold (im2col): C×H×W → (C·Πk)×L, each column one sliding block; a copy, 0 FLOPs."""

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:Unfold"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"unfold": ("kernel_size", "dilation", "padding", "stride")}
    aten: ClassVar[tuple[str, ...]] = ("im2col",)

    kernel_size: tuple[int, ...]
    dilation: tuple[int, ...] = (1,)
    padding: tuple[int, ...] = (0,)
    stride: tuple[int, ...] = (1,)

    if TYPE_CHECKING:
        def __init__(self, kernel_size: int | tuple[int, ...], dilation: int | tuple[int, ...] = 1,
                     padding: int | tuple[int, ...] = 0, stride: int | tuple[int, ...] = 1) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, kernel_size=int_tuple(n, "kernel_size", self.kernel_size, 2, 1),
               dilation=int_tuple(n, "dilation", self.dilation, 2, 1), padding=int_tuple(n, "padding", self.padding, 2, 0),
               stride=int_tuple(n, "stride", self.stride, 2, 1))

    def effect(self, shape: Shape) -> Effect:
        if len(shape) != 3:
            raise ShapeError(f"expects a C×H×W input per sample (torch: 4-D with the batch), got {fmt_shape(shape)}")
        blocks = _blocks(self.name, shape[1:], self.kernel_size, self.dilation, self.padding, self.stride)
        rows, count = shape[0] * self.kernel_size[0] * self.kernel_size[1], blocks[0] * blocks[1]
        return Effect(output_shape=(rows, count), reach=Reach("flatten"),
                      formula=f"{shape[0]}·{dot(*self.kernel_size)} = {rows} rows, {dot(*blocks)} = {count} blocks")

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        blocks = _blocks(self.name, shape[1:], self.kernel_size, self.dilation, self.padding, self.stride)
        return (Step("blocks", "L = Π(⌊(I + 2P − D·(K − 1) − 1)/S⌋ + 1)", dot(*blocks), effect.output_shape[1]),
                Step("output", "C·Πk × L", f"{shape[0]}·{dot(*self.kernel_size)} × {effect.output_shape[1]}", dims_text(effect.output_shape)),
                Step("parameters", "params", value=0), Step("FLOPs", "FLOPs", value=0, note="im2col copies each block: no arithmetic"))

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        return cls(*(tuple(a) for a in args[1:5])) if op in cls.aten else None  # im2col(x, kernel, dilation, padding, stride)


@spec
class Fold(Leaf):
    """torch.nn.Fold (col2im): (C·Πk)×L → C×output_size, each block summed into its place.

    FLOPs: one addition per input element, C·Πk·L (col2im accumulates every block into a zeroed output).
    """

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:Fold"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"fold": ("output_size", "kernel_size", "dilation", "padding", "stride")}
    aten: ClassVar[tuple[str, ...]] = ("col2im",)

    output_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    dilation: tuple[int, ...] = (1,)
    padding: tuple[int, ...] = (0,)
    stride: tuple[int, ...] = (1,)

    if TYPE_CHECKING:
        def __init__(self, output_size: int | tuple[int, ...], kernel_size: int | tuple[int, ...], dilation: int | tuple[int, ...] = 1,
                     padding: int | tuple[int, ...] = 0, stride: int | tuple[int, ...] = 1) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, output_size=int_tuple(n, "output_size", self.output_size, 2, 1),
               kernel_size=int_tuple(n, "kernel_size", self.kernel_size, 2, 1),
               dilation=int_tuple(n, "dilation", self.dilation, 2, 1), padding=int_tuple(n, "padding", self.padding, 2, 0),
               stride=int_tuple(n, "stride", self.stride, 2, 1))

    def effect(self, shape: Shape) -> Effect:
        if len(shape) != 2:
            raise ShapeError(f"expects a (C·Πk)×L input per sample (torch: 3-D with the batch), got {fmt_shape(shape)}")
        k = self.kernel_size[0] * self.kernel_size[1]
        if shape[0] % k:
            raise ShapeError(f"the input's {shape[0]} rows must be divisible by the kernel's {dot(*self.kernel_size)} = {k} "
                             f"(torch's rule); use {max(k, shape[0] // k * k)}")
        blocks = _blocks(self.name, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)
        if shape[1] != blocks[0] * blocks[1]:
            raise ShapeError(f"the input has {shape[1]} blocks but output_size {fmt_shape(self.output_size)} with this kernel, "
                             f"dilation, padding and stride takes {dot(*blocks)} = {blocks[0] * blocks[1]} (torch's rule)")
        return Effect(output_shape=(shape[0] // k, *self.output_size), flops=shape[0] * shape[1], reach=Reach("flatten"),
                      formula=f"{shape[0]}/{k} = {shape[0] // k} channels, {shape[1]} blocks summed into {fmt_shape(self.output_size)}")

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        k = self.kernel_size[0] * self.kernel_size[1]
        return (Step("output", "C·Πk/Πk × output_size", f"{shape[0]}/{k} × {fmt_shape(self.output_size)}", dims_text(effect.output_shape)),
                Step("parameters", "params", value=0),
                Step("FLOPs", "FLOPs = C·Πk·L", dot(*shape), effect.flops, note="one addition per block element (col2im accumulates)"))

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        return cls(*(tuple(a) for a in args[1:6])) if op in cls.aten else None  # col2im(x, output_size, kernel, dilation, padding, stride)


@spec
class Unflatten(Leaf):
    """torch.nn.Unflatten(dim, unflattened_size): one dim split into several (dim counts the batch, as torch's); a view."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:Unflatten"

    dim: int
    unflattened_size: tuple[int, ...]

    if TYPE_CHECKING:
        def __init__(self, dim: int, unflattened_size: tuple[int, ...] | list[int]) -> None: ...

    def __post_init__(self) -> None:
        sizes = tuple(self.unflattened_size) if isinstance(self.unflattened_size, (tuple, list)) else None
        if not sizes or not all(is_int(v) and (v > 0 or v == -1) for v in sizes) or sizes.count(-1) > 1:
            raise SpecError(f"{self.name}: unflattened_size must be positive sizes with at most one -1, got {self.unflattened_size!r}")
        if not is_int(self.dim):
            raise SpecError(f"{self.name}: dim must be an int, got {self.dim!r}")
        freeze(self, unflattened_size=sizes)

    def effect(self, shape: Shape) -> Effect:
        rank = len(shape) + 1
        dim = self.dim + rank if self.dim < 0 else self.dim
        if not 1 <= dim < rank:
            raise ShapeError(f"dim={self.dim} is not a dim of a sample of {fmt_shape(shape)} (dim 0 is the batch); use 1 to {rank - 1}")
        size, sizes = shape[dim - 1], self.unflattened_size
        known = numel(tuple(v for v in sizes if v != -1))
        parts = tuple(size // known if v == -1 else v for v in sizes)
        if numel(parts) != size:
            raise ShapeError(f"unflattened_size {fmt_shape(sizes)} does not multiply to the {size} of dim {self.dim} (input {fmt_shape(shape)})")
        out = (*shape[:dim - 1], *parts, *shape[dim:])
        return Effect(output_shape=out, new_tensor=False, formula=f"{size} → {fmt_shape(parts)}",
                      reach=Reach("flatten") if len(shape) == 1 else Reach())

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", f"{effect.formula}: {dims_text(effect.output_shape)} (a view: no copy, no FLOPs)"),
                Step("parameters", "params = 0"))
