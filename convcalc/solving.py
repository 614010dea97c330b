"""Which paddings and strides fit: the padding-solving side of the output-size formula.

A configuration *fits* when every real input element is read: (I + 2P − D·(K−1) − 1) is a
multiple of S, or the remainder falls in the padding. Otherwise torch still runs it,
flooring the division, and the last rows or columns are never read (CS231n's "doesn't fit").

'same' at a stride is TensorFlow's rule (torch refuses it): the output is ⌈I/S⌉ and the padding
total max((O−1)·S + D·(K−1) + 1 − I, 0), the odd pixel on the right (bottom). torch reproduces it
when one symmetric padding gives the same windows: output o of both reads o·S − P + j·D, so only
P = TensorFlow's left padding can, and it does exactly when it gives the same number of outputs
(TensorFlow's extra right pixel then lies past the last window, never read). Otherwise torch needs
the uneven padding first (``nn.ZeroPad2d`` or ``F.pad``), then the conv with padding 0.
"""

from __future__ import annotations

from fractions import Fraction

from . import records
from .arithmetic import conv_output_size, effective_kernel, same_padding, tf_same_padding, unread_tail
from .errors import SpecError
from .layers.base import is_int
from .records import record


@record
class Fit:
    """One padding and stride: the output it gives and whether every input element is read."""

    padding: int | tuple[int, int]
    stride: int
    output: int
    unread: int
    working: str
    #: Whose rule or which torch code this row is (TensorFlow's 'same' and its torch forms); empty for a plain padding.
    how: str = ""

    @property
    def fits(self) -> bool:
        return self.unread == 0 and self.output >= 1


def _fit(size: int, kernel: int, stride: int, left: int, right: int, dilation: int) -> Fit:
    eff = effective_kernel(kernel, dilation)
    out = conv_output_size(size, kernel, stride, left, dilation, right)
    pad = f"2·{left}" if left == right else f"{left} + {right}"
    reach = str(kernel) if dilation == 1 else f"{dilation}·({kernel} − 1) − 1"
    exact = Fraction(size + left + right - eff, stride) + 1
    shown = f"({size} + {pad} − {reach})/{stride} + 1"
    padding: int | tuple[int, int] = left if left == right else (left, right)
    if out < 1:
        return Fit(padding, stride, out, 0, f"{shown} = {float(exact):.2f}: the kernel does not fit at all")
    lost = unread_tail(size, kernel, stride, out, left, dilation)
    if exact.denominator == 1:
        return Fit(padding, stride, out, lost, f"{shown} = {out}")
    if lost == 0:
        return Fit(padding, stride, out, 0, f"{shown} = {float(exact):.2f}, floored to {out}; only padding goes unread")
    return Fit(padding, stride, out, lost, f"{shown} = {float(exact):.2f}: doesn't fit; torch floors to {out} and never "
                                           f"reads the last {lost} {'column' if lost == 1 else 'columns'}")


def solve(size: int, kernel: int, stride: int | None = None, dilation: int = 1, output: int | None = None,
          same: bool = False) -> list[Fit]:
    """The paddings (and strides) for one spatial dim.

    - ``same``: at stride 1, the padding that keeps the size (torch's ``padding="same"``); at a larger
      stride, TensorFlow's 'same' (output ⌈I/S⌉) and the torch code that reproduces it.
    - ``output``: every padding below the kernel and stride up to the input that gives it.
    - otherwise: each padding from 0 to the effective kernel − 1 at the given stride (default 1).
    """
    for name, value in (("size", size), ("kernel", kernel), ("dilation", dilation)):
        if not is_int(value) or value < 1:
            raise SpecError(f"solve: {name} must be a positive int, got {value!r}")
    for name, given in (("stride", stride), ("output", output)):
        if given is not None and (not is_int(given) or given < 1):
            raise SpecError(f"solve: {name} must be a positive int, got {given!r}")
    eff = effective_kernel(kernel, dilation)
    if same:
        if stride not in (None, 1):
            return _tf_same(size, kernel, stride, dilation)
        left, right = same_padding(kernel, dilation)
        return [_fit(size, kernel, 1, left, right, dilation)]
    paddings = range(0, eff)
    if output is not None:
        strides = [stride] if stride else range(1, size + 2 * eff + 1)
        found = [_fit(size, kernel, s, p, p, dilation) for s in strides for p in paddings]
        found = [f for f in found if f.output == output]
        return sorted(found, key=lambda f: (not f.fits, f.stride, f.padding))
    return [_fit(size, kernel, stride or 1, p, p, dilation) for p in paddings]


def _tf_same(size: int, kernel: int, stride: int, dilation: int) -> list[Fit]:
    """TensorFlow's 'same' at ``stride`` > 1, then the torch padding that gives the same windows, or the
    torch code that pads as TensorFlow does where no symmetric padding can."""
    left, right = tf_same_padding(size, kernel, stride, dilation)
    out = -(-size // stride)
    reach = str(kernel) if dilation == 1 else f"{dilation}·({kernel} − 1) + 1"
    total = left + right
    tf = Fit((left, right), stride, out, unread_tail(size, kernel, stride, out, left, dilation),
             f"O = ⌈{size}/{stride}⌉ = {out}; padding max(({out} − 1)·{stride} + {reach} − {size}, 0) = {total}: "
             f"{left} top/left, {right} bottom/right", "TensorFlow 'same'")
    torch = _fit(size, kernel, stride, left, left, dilation)
    if torch.output == out:
        why = ("the same windows as TensorFlow's" if left == right else
               f"the same windows as TensorFlow's (its extra {right - left} on the right is never read)")
        return [tf, records.replace(torch, working=f"{torch.working}: {why}", how=f"torch padding={left}")]
    pads = f"({left}, {right}, {left}, {right})"
    rows = [tf, records.replace(torch, working=f"{torch.working}; that is not {out}, and no other symmetric padding starts the "
                                               f"windows where TensorFlow does (output o reads from o·{stride} − P)",
                                how=f"torch padding={left}")]
    shifted = _fit(size, kernel, stride, right, right, dilation)
    if shifted.output == out:
        rows.append(records.replace(shifted, working=f"{shifted.working}: TensorFlow's size, but each window starts "
                                                     f"{right - left} earlier than TensorFlow's (other numbers)",
                                    how=f"torch padding={right}"))
    rows.append(Fit((left, right), stride, out, tf.unread,
                    f"pads {left} left/top and {right} right/bottom as TensorFlow, then the conv with padding=0 "
                    f"(F.pad(x, {pads}) alike; torch's order is (left, right, top, bottom))",
                    f"nn.ZeroPad2d({pads}) + padding=0"))
    return rows
