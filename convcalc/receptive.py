"""The receptive field: which input positions each position of a tensor sees, exactly.

Along one input dim, position q of the current tensor sees an interval of input positions
(unclipped: padding counts as positions, the usual convention). That pattern is periodic:
q and q + P see intervals ``shift`` apart, where P grows only with transposed convs and
uneven adaptive pools (the denominators of fractional strides). Keeping one period of
intervals makes the receptive field exact for every layer, at a cost of O(P) per layer.

A layer says how it reads its input through its effect's :class:`~convcalc.layers.base.Reach`;
:meth:`Field.advance` applies it. Pure: nothing here knows about reports or torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from math import gcd, lcm

from .arithmetic import adaptive_window
from .layers.base import Reach, Shape
from .records import record

Interval = tuple[int, int] | None  # first and last input position seen; None: sees no input
_MAX_PERIOD = 4096  # beyond this the field is reported as unknown rather than computed slowly


def _hull(a: Interval, b: Interval) -> Interval:
    if a is None or b is None:
        return a if b is None else b
    return min(a[0], b[0]), max(a[1], b[1])


_set = object.__setattr__


@record
class Axis:
    """What each position along one dim sees.

    Periodic (``bounded`` False): ``spans`` for positions 0 … P−1, repeating every P positions
    ``shift`` input positions further on — convs and transposed convs are translation-invariant,
    so padding positions see what the pattern says (the usual unclipped receptive field).
    Bounded: ``spans`` for the ``extent`` real positions only, and positions outside see nothing;
    adaptive pools make an axis bounded, since their windows exist only for outputs 0 … O−1.
    """

    spans: tuple[Interval, ...]
    shift: int
    extent: int
    bounded: bool = False

    def __init__(self, spans: tuple[Interval, ...], shift: int, extent: int, bounded: bool = False) -> None:
        # written out: the walk makes hundreds per network, and this is twice as fast as the generic one
        _set(self, "spans", spans)
        _set(self, "shift", shift)
        _set(self, "extent", extent)
        _set(self, "bounded", bounded)

    def at(self, q: int) -> Interval:
        if self.bounded:
            return self.spans[q] if 0 <= q < len(self.spans) else None
        period = len(self.spans)
        seen = self.spans[q % period]
        offset = q // period * self.shift
        return None if seen is None else (seen[0] + offset, seen[1] + offset)

    def read(self, first: int, step: int, count: int) -> Interval:
        """The hull of what positions first, first + step, … (``count`` of them) see.

        Intervals only move right as positions do (along each residue class of a periodic axis,
        and along a bounded one), so the leftmost start is among the first P terms that see
        anything or the last P (by the sign of ``step``), and likewise the rightmost end.
        """
        if self.bounded:  # only terms on real positions can see anything: at most len(spans) of them
            if count <= 0:
                return None
            last = len(self.spans) - 1
            if step < 0:  # walk the same positions left to right
                first, step = first + (count - 1) * step, -step
            lo_t = max(0, -(-(0 - first) // step))
            hi_t = min(count - 1, (last - first) // step)
            return self._hull_of(first, step, list(range(lo_t, hi_t + 1)))
        period = len(self.spans)
        return self._hull_of(first, step, list(range(count) if count <= 2 * period else (*range(period), *range(count - period, count))))

    def _hull_of(self, first: int, step: int, terms: list[int]) -> Interval:
        seen: Interval = None
        for t in terms:
            seen = _hull(seen, self.at(first + t * step))
        return seen

    @cached_property
    def width(self) -> int:
        """The receptive field: the widest interval any existing position sees."""
        if len(self.spans) == 1 and self.spans[0] is not None and self.extent > 0 and not self.bounded:
            return self.spans[0][1] - self.spans[0][0] + 1
        return max((hi - lo + 1 for lo, hi in filter(None, self.spans[: self.extent])), default=0)

    def _outputs(self, extent: int, period: int, see: Callable[[int], Interval], shift: int) -> Axis | None:
        """A periodic axis from one period of outputs, or, after an adaptive pool, every output."""
        if self.bounded:
            return Axis(tuple(see(o) for o in range(extent)), 0, extent, True) if extent <= _MAX_PERIOD else None
        return Axis(tuple(see(o) for o in range(period)), shift, extent) if period <= _MAX_PERIOD else None

    def window(self, kernel: int, stride: int, dilation: int, pad: int, extent: int) -> Axis | None:
        """Output o reads positions o·S − P + j·D for j < K."""
        if len(self.spans) == 1 and not self.bounded and self.spans[0] is not None and self.shift >= 0:
            # Every position sees [lo + q·shift, hi + q·shift]: output 0 reads q = −P … −P + (K−1)·D.
            lo, hi = self.spans[0]
            return Axis(((lo - pad * self.shift, hi + (dilation * (kernel - 1) - pad) * self.shift),),
                         self.shift * stride, extent)
        period = len(self.spans) // gcd(len(self.spans), stride)
        return self._outputs(extent, period, lambda o: self.read(o * stride - pad, dilation, kernel),
                             self.shift * stride * period // len(self.spans))

    def transposed(self, kernel: int, stride: int, dilation: int, pad: int, extent: int) -> Axis | None:
        """Output o reads input i for each tap j < K with o + P = i·S + j·D."""
        g = gcd(dilation, stride)
        s, d = stride // g, dilation // g

        def see(o: int) -> Interval:
            if (o + pad) % g:
                return None
            j = (o + pad) // g * pow(d, -1, s) % s if s > 1 else 0  # the first tap landing on a whole i
            taps = (kernel - 1 - j) // s + 1 if j < kernel else 0
            return self.read((o + pad - j * dilation) // stride, -d, taps)

        return self._outputs(extent, len(self.spans) * stride, see, self.shift)

    def adaptive(self, size: int, out: int, extent: int) -> Axis | None:
        """torch's window o reads ⌊o·I/O⌋ … ⌈(o+1)·I/O⌉−1; only outputs 0 … O−1 exist."""
        if out > _MAX_PERIOD:
            return None
        spans = []
        for o in range(out):
            first, last = adaptive_window(size, out, o)
            spans.append(self.read(first, 1, last - first + 1))
        return Axis(tuple(spans), 0, extent, True)

    def gather(self, windows: tuple[int, ...], extent: int) -> Axis | None:
        """Output o reads input positions ``windows[2o]`` … ``windows[2o+1]`` (interpolation); only those outputs exist."""
        count = len(windows) // 2
        if count > _MAX_PERIOD:
            return None
        spans = tuple(self.read(windows[2 * o], 1, windows[2 * o + 1] - windows[2 * o] + 1) for o in range(count))
        return Axis(spans, 0, extent, True)

    def dense(self, extent: int = 1) -> Axis:
        """Every output (``extent`` of them) sees every position (a Linear layer over this dim)."""
        return Axis((self.read(0, 1, self.extent),), 0, extent, self.bounded)

    def broadcast(self, gate: Interval) -> Axis:
        """x · gate with the gate broadcast along this dim: every position also sees what the gate
        saw. A global gate (squeeze-and-excitation) sees at least the hull of all of x, so each
        position then sees the same interval."""
        return Axis((_hull(self.read(0, 1, self.extent), gate),), 0, self.extent)

    @staticmethod
    def union(axes: list[Axis]) -> Axis | None:
        """Branches summed or concatenated position by position."""
        extent = axes[0].extent
        first = axes[0]
        single = [a.spans[0] for a in axes if len(a.spans) == 1 and not a.bounded and a.shift == first.shift]
        if len(single) == len(axes) and all(span is not None for span in single):
            # one interval per axis, moving alike: the hull of the intervals (a residual block's add)
            spans = [span for span in single if span is not None]
            return Axis(((min(lo for lo, _ in spans), max(hi for _, hi in spans)),), first.shift, extent)
        if any(a.bounded for a in axes):
            if extent > _MAX_PERIOD:
                return None
            return Axis(tuple(_hull_all(a.at(q) for a in axes) for q in range(extent)), 0, extent, True)
        period = lcm(*(len(a.spans) for a in axes))
        shifts = {a.shift * period // len(a.spans) for a in axes}
        if len(shifts) != 1 or period > _MAX_PERIOD:
            return None
        return Axis(tuple(_hull_all(a.at(q) for a in axes) for q in range(period)), shifts.pop(), extent)


def _hull_all(intervals: Iterable[Interval]) -> Interval:
    seen: Interval = None
    for interval in intervals:
        seen = _hull(seen, interval)
    return seen


def _all_known(axes: list[Axis | None]) -> tuple[Axis, ...] | None:
    """The axes, or None when any of them could not be followed."""
    known = tuple(a for a in axes if a is not None)
    return known if len(known) == len(axes) else None


_MOVES: dict[str, Callable[..., Axis | None]] = {"window": Axis.window, "transposed": Axis.transposed, "adaptive": Axis.adaptive}


def _gather(axis: Axis, *args: int) -> Axis | None:
    return axis.gather(args[:-1], args[-1])


_MOVES["gather"] = _gather
_PLAIN_LAYOUTS: dict[int, tuple[int | None, ...]] = {}


def _plain_layout(n: int) -> tuple[int | None, ...]:
    """Channels, then spatial dims 0 … n−1 in order: the layout the sliding windows need."""
    layout = _PLAIN_LAYOUTS.get(n)
    if layout is None:
        layout = _PLAIN_LAYOUTS[n] = (None, *range(n))
    return layout


@record
class Field:
    """The receptive field along every spatial dim of the network input.

    ``layout`` names, for each dim of the current tensor, the input dim it is (``None`` for
    channels or features), so permuted layouts (ConvNeXt's channels-last Linear) are followed.
    ``mode`` is ``spatial``, ``mixed`` (positions flattened into features) or ``unknown``.
    """

    axes: tuple[Axis, ...]
    layout: tuple[int | None, ...]
    mode: str = "spatial"

    def __init__(self, axes: tuple[Axis, ...], layout: tuple[int | None, ...], mode: str = "spatial") -> None:
        _set(self, "axes", axes)  # written out, as Axis's
        _set(self, "layout", layout)
        _set(self, "mode", mode)

    @staticmethod
    def unknown() -> Field:
        """A tensor whose receptive field cannot be known (it came from work convcalc cannot follow)."""
        return Field((), (), "unknown")

    @staticmethod
    def start(shape: Shape) -> Field:
        n = len(shape) - 1
        return Field(tuple(Axis(((0, 0),), 1, size) for size in shape[1:]), (None, *range(n)))

    def _with(self, axes: list[Axis | None]) -> Field:
        known = _all_known(axes)
        return Field(self.axes, self.layout, "unknown") if known is None else Field(known, self.layout, self.mode)

    def advance(self, reach: Reach, out: Shape) -> Field:
        kind = reach.kind
        if self.mode == "unknown":
            return self
        if kind == "same":  # position to position: so the positions must be the same ones
            return self if self.mode != "spatial" or self._keeps_positions(out) else Field(self.axes, self.layout, "unknown")
        if kind == "flatten":
            return Field(self.axes, (None,) * len(out), "mixed")
        if kind == "global":  # every position pooled into each output; the positions are gone
            return Field(tuple(a.dense() for a in self.axes), (None,) * len(out), "mixed")
        if kind == "permute":
            return Field(self.axes, tuple(self.layout[d] for d in reach.order), self.mode)
        if kind == "dense":  # mixes the last dim: every position, once flattened into it
            if self.mode == "mixed":
                return self._with([a.dense() for a in self.axes])
            last = self.layout[-1]
            return self if last is None else self._with([a.dense(out[-1]) if i == last else a for i, a in enumerate(self.axes)])
        if self.mode != "spatial" or len(reach.dims) != len(self.axes) or self.layout != _plain_layout(len(self.axes)):
            return Field(self.axes, self.layout, "unknown")
        move = _MOVES[kind]
        return self._with([move(a, *dim, extent) for a, dim, extent in zip(self.axes, reach.dims, out[1:])])

    def _keeps_positions(self, out: Shape) -> bool:
        """Whether ``out`` has this tensor's positions: the same rank, and each spatial dim the same size."""
        layout = self.layout
        return len(out) == len(layout) and all(d is None or out[i] == self.axes[d].extent for i, d in enumerate(layout))

    @staticmethod
    def union(fields: list[Field], broadcast: bool = False) -> Field:
        """Joined branches: each output position sees what any branch's position sees. With
        ``broadcast`` the second field is a gate whose size-1 dims spread over the first."""
        first = fields[0]
        if any(f.mode == "unknown" or f.layout != first.layout or len(f.axes) != len(first.axes) for f in fields):
            return Field(first.axes, first.layout, "unknown")
        mode = "mixed" if any(f.mode == "mixed" for f in fields) else "spatial"
        axes: list[Axis | None] = []
        for i, axis in enumerate(first.axes):
            others = [f.axes[i] for f in fields[1:]]
            if broadcast and others[0].extent == 1 < axis.extent:
                axes.append(axis.broadcast(others[0].at(0)))
            else:
                axes.append(Axis.union([axis, *others]))
        known = _all_known(axes)
        return Field(first.axes, first.layout, "unknown") if known is None else Field(known, first.layout, mode)

    @cached_property
    def shown(self) -> tuple[int, ...] | None:
        """The receptive field per spatial dim, or None where it cannot be known (computed once)."""
        return None if self.mode == "unknown" else tuple(a.width for a in self.axes)


