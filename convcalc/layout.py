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
