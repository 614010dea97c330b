"""Checks and messages shared by every sliding-window layer (convolutions and pools)."""

from __future__ import annotations

from ..arithmetic import effective_kernel, padding_to_fit, unread_tail
from ..errors import ShapeError
from .base import Reach, fmt_shape, fmt_sizes

_AXES = {1: ("element",), 2: ("row", "column"), 3: ("frame", "row", "column")}


def _values(values: tuple[object, ...]) -> str:
    """One value when every dim agrees, else the tuple as torch's arguments write it."""
    return str(values[0]) if all(v == values[0] for v in values) else f"({', '.join(map(str, values))})"


def fit_error(
    kernel: tuple[int, ...], dilation: tuple[int, ...], spatial: tuple[int, ...],
    pads: tuple[tuple[int, int], ...], max_padding: tuple[int, ...] | None = None,
    slack: tuple[int, ...] | None = None,
) -> ShapeError:
    """``kernel 5 does not fit input 3x3 with padding 0; it needs at least 5x5 (or padding ≥ 1)``.

    ``slack`` is how much shorter than the kernel the input may be (a ceil_mode pool's window
    may hang S−1 past the end). The padding hint is given only where some padding would fit and
    is allowed (``max_padding``: pools cap it at half the kernel, reflect at the input size).
    """
    eff = tuple(effective_kernel(k, d) for k, d in zip(kernel, dilation))
    slack = slack or (0,) * len(kernel)
    shown = fmt_sizes(kernel) if eff == kernel else f"{fmt_sizes(kernel)} (dilated to {fmt_sizes(eff)})"
    pad_shown = _values(tuple(l if l == r else f"{l}+{r}" for l, r in pads))
    need = tuple(max(1, e - l - r - sl) for e, (l, r), sl in zip(eff, pads, slack))
    message = (
        f"kernel {shown} does not fit input {fmt_shape(spatial)} with padding {pad_shown}; "
        f"it needs at least {fmt_shape(need)}"
    )
    fix = tuple(max(l, padding_to_fit(i + sl, k, d)) for i, k, d, (l, _), sl in zip(spatial, kernel, dilation, pads, slack))
    if max_padding is None or all(f <= m for f, m in zip(fix, max_padding)):
        message += f" (or padding ≥ {_values(fix)})"
    return ShapeError(message)


def _gapless(kernel: int, stride: int, dilation: int) -> bool:
    """Whether the windows, taken together, read every input position between their ends.

    Output o reads o·S + j·D (j < K). At stride 1 the windows slide over every position; undilated,
    they leave no gap exactly when K ≥ S. Dilated and strided, some positions are skipped by design
    (a 3×3 dilation-2 stride-2 conv reads even rows only, and position 1 is never read by a dilation-2
    kernel at stride 3), so an unread last row is no surprise there."""
    if stride == 1:
        return True
    return dilation == 1 and kernel >= stride


def tail_warnings(
    spatial: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
    pad_left: tuple[int, ...], dilation: tuple[int, ...], out: tuple[int, ...],
) -> tuple[str, ...]:
    """Warn where the last rows or columns of the input are never read, and that is a surprise.

    Torch floors (I + 2P − D·(K−1) − 1)/S, so the layer still runs; the elements
    past the last window are silently dropped (CS231n's "doesn't fit" case). That is
    a surprise only where the windows tile the input without gaps (:func:`_gapless`):
    a 1×1 stride-2 shortcut skips every other row by design, at
    any input size, so its unread last row is no warning (and no size would read it whole).
    """
    axes = _AXES.get(len(spatial), tuple(f"dim-{i} slice" for i in range(len(spatial))))
    lost: list[tuple[str, tuple[int, ...]]] = []
    for axis, i, k, s, p, d, o in zip(axes, spatial, kernel, stride, pad_left, dilation, out):
        if not _gapless(k, s, d):  # gaps between windows by design: rows are skipped everywhere, not just at the end
            continue
        n = unread_tail(i, k, s, o, p, d)
        if n:
            # Dropping the unread tail, or growing to the next whole stride, reads everything.
            lost.append((axis, (n, i, i + 2 * p - effective_kernel(k, d), s, i - n, i + s - n)))
    if len(lost) > 1 and len(lost) == len(spatial) and all(facts == lost[0][1] for _, facts in lost):
        lost = [(" and ".join(axis for axis, _ in lost), lost[0][1])]  # a square input loses the same on each side
    found = []
    for axis, (n, i, numerator, s, smaller, bigger) in lost:
        axis = axis.replace(" and ", "s and ") + "s" if n > 1 else axis
        found.append(
            f"the last {n} {axis} of the input ({i}) {'are' if n > 1 else 'is'} never read: "
            f"I+2P−D·(K−1)−1 = {numerator} is not a multiple of stride {s} (torch floors the division); "
            f"an input of {smaller} or {bigger} would be read whole"
        )
    return tuple(found)


def window_reach(kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...], pad_left: tuple[int, ...]) -> Reach:
    """A sliding window's index map: output o reads o·S − P + j·D for j < K, per spatial dim."""
    return Reach("window", tuple(zip(kernel, stride, dilation, pad_left)))
