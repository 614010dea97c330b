"""Tensor layouts as users write shapes: channels first (torch's C×H×W, convcalc's own) or channels
last (Keras' and the quizzes' H×W×C). Reports hold shapes channels first; these convert for reading
a shape the user wrote and for showing one in the user's layout."""

from __future__ import annotations

from .errors import ShapeError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any

    from .layers.base import Shape

#: The layouts a shape may be written in.
LAYOUTS = ("chw", "hwc")
#: How each layout is named to users, by the number of dims (2: a sequence, 3: an image, 4: a volume).
ORDERS = {"chw": {2: "C×L", 3: "C×H×W", 4: "C×D×H×W"}, "hwc": {2: "L×C", 3: "H×W×C", 4: "D×H×W×C"}}


def check_layout(layout: Any) -> str | None:
    """``"chw"``, ``"hwc"`` or None (not given), else a ShapeError naming the choices."""
    if layout is None:
        return None
    if not isinstance(layout, str) or layout.lower() not in LAYOUTS:
        raise ShapeError(f"layout must be chw (channels first, as torch) or hwc (channels last, as Keras), got {layout!r}")
    return layout.lower()


def order(layout: str, ndim: int) -> str:
    """``H×W×C`` for a 3-dim shape in ``hwc``; ``…×C`` where no name is kept for that many dims."""
    return ORDERS[layout].get(ndim, "C×…" if layout == "chw" else "…×C")


def canonical(shape: Shape, layout: str | None) -> Shape:
    """A shape written in ``layout``, channels first (a shape of one dim has no channels to move)."""
    if layout == "hwc" and len(shape) >= 2:
        return (shape[-1], *shape[:-1])
    return tuple(shape)


def shown(shape: Shape, layout: str | None) -> Shape:
    """A channels-first shape as ``layout`` writes it: the inverse of :func:`canonical`."""
    if layout == "hwc" and len(shape) >= 2:
        return (*shape[1:], shape[0])
    return tuple(shape)


def dims(shape: Shape, layout: str | None = None) -> str:
    """A channels-first shape written as ``layout`` shows it: ``32×32×12``."""
    return "×".join(map(str, shown(shape, layout)))


def _answers(report: Any) -> tuple[Any, ...]:
    """What a reading of the input decides: each row's output as the user sees it, and the totals."""
    t = report.totals
    return (tuple(shown(r.output_shape, report.layout) for r in report.rows), t.params, t.macs, t.flops)


def same_answers(first: Any, second: Any) -> bool:
    """Whether two reports (of the two readings of one input) give the user the same answers: every
    row's output shape as each is shown, and the parameters, MACs and FLOPs."""
    return _answers(first) == _answers(second)


def _outcome(report: Any, other: Any) -> str:
    """``gives 128×32×3``, with the totals that differ from the other reading's (and, where the final
    outputs agree, the first row whose output does not)."""
    text = f"gives {dims(report.output_shape, report.layout)}"
    mine, theirs = _answers(report), _answers(other)
    extra = [f"{value:,} {name}" for name, value, alt in zip(("params", "MACs", "FLOPs"), mine[1:], theirs[1:]) if value != alt]
    if mine[0] and mine[0][-1] == theirs[0][-1] and mine[0] != theirs[0]:
        i = next(i for i, (a, b) in enumerate(zip(mine[0], theirs[0])) if a != b)
        extra.insert(0, f"layer {report.rows[i].index} gives {'×'.join(map(str, mine[0][i]))}")
    return text + (f" ({', '.join(extra)})" if extra else "")


def ambiguous(text: str, chw: Any, hwc: Any) -> ShapeError:
    """The error for an input both readings fit with different answers: both named, and how to choose."""
    n = len(chw.input_shape)

    def channels(report: Any) -> str:
        c = report.input_shape[0]
        return f"{c} channel{'' if c == 1 else 's'}"

    return ShapeError(
        f"input {text} can be read two ways and they give different answers: as {order('chw', n)} "
        f"({channels(chw)}) it {_outcome(chw, hwc)}, as {order('hwc', n)} ({channels(hwc)}) it {_outcome(hwc, chw)}; "
        "say which with --layout chw or --layout hwc (layout=\"chw\" or layout=\"hwc\" in Python)")
