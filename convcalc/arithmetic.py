"""Pure integer arithmetic of sliding windows: output sizes, padding, receptive fields.

Every function takes and returns plain Python ints, so sizes of any magnitude
are exact. Nothing here knows about
layers or torch; the rules are torch's own (aten/src/ATen/native/Pool.h and
ConvUtils.h), written so each can be checked by hand.
"""

from __future__ import annotations

from math import gcd

__all__ = [
    "effective_kernel",
    "conv_output_size",
    "pool_output_size",
    "transposed_output_size",
    "same_padding",
    "tf_same_padding",
    "padding_to_fit",
    "unread_tail",
    "adaptive_reads",
    "adaptive_window",
]


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """Extent a dilated kernel spans: D·(K−1)+1."""
    return dilation * (kernel - 1) + 1


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
    padding_right: int | None = None,
) -> int:
    """O = ⌊(I + P_left + P_right − D·(K−1) − 1)/S⌋ + 1, as torch computes it.

    ``padding_right`` defaults to ``padding`` (symmetric); it differs only for
    ``padding="same"`` with an even effective kernel. A result below 1 means the
    kernel does not fit; the caller reports it.
    """
    right = padding if padding_right is None else padding_right
    return (size + padding + right - effective_kernel(kernel, dilation)) // stride + 1


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Pooling output size, torch's ``pooling_output_shape``.

    With ``ceil_mode`` the division rounds up, but a last window that would start
    beyond the input and its left padding is dropped (torch: "ensure that the
    last pooling starts inside the image").
    """
    span = size + 2 * padding - effective_kernel(kernel, dilation)
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def transposed_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """O = (I−1)·S − 2P + D·(K−1) + output_padding + 1 (torch's ConvTranspose docs)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding torch uses for ``padding="same"``: total D·(K−1), extra on the right."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def tf_same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding of TensorFlow's ``padding="SAME"`` at any stride: the output is ⌈I/S⌉,
    the total padding max((O−1)·S + D·(K−1) + 1 − I, 0), and the odd pixel goes on the right
    (bottom), as ``tf.nn.conv2d`` documents it."""
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def padding_to_fit(size: int, kernel: int, dilation: int = 1) -> int:
    """Smallest symmetric padding P with I + 2P ≥ D·(K−1)+1, so that at least one window fits."""
    missing = effective_kernel(kernel, dilation) - size
    return max(0, -(-missing // 2))


def unread_tail(
    size: int, kernel: int, stride: int, out: int, padding: int = 0, dilation: int = 1,
) -> int:
    """How many real input elements at the end no window ever reads.

    The last window starts at (O−1)·S and reads up to (O−1)·S + D·(K−1) in padded
    coordinates; real elements occupy P … P+I−1. Skipping only right padding is
    harmless and gives 0 (ResNet's 7×7/2 stem on 224, for instance).
    """
    last_read = (out - 1) * stride + dilation * (kernel - 1)
    return max(0, padding + size - 1 - last_read)


def adaptive_reads(size: int, out: int) -> int:
    """Sum of the window lengths of torch's adaptive pooling along one dim: I + O − gcd(I, O).

    Window i spans [⌊i·I/O⌋, ⌈(i+1)·I/O⌉) (aten/src/ATen/native/AdaptivePooling.h). Summed over
    i < O, the floors telescope against the ceilings: each ceiling is the next floor plus one,
    except where O divides (i+1)·I, which happens gcd(I, O) times; so Σ = I + O − gcd(I, O).
    """
    return size + out - gcd(size, out)


def adaptive_window(size: int, out: int, index: int) -> tuple[int, int]:
    """The first and last input positions torch's adaptive window ``index`` reads."""
    return (index * size) // out, -(-((index + 1) * size) // out) - 1


def window_formula(
    size: int, kernel: int, stride: int, pad_left: int, pad_right: int, dilation: int, out: int,
    ceil_mode: bool = False, spaced: bool = False,
) -> str:
    """The output-size formula with the numbers in: ``⌊(227+2·0−11)/4⌋+1 = 55`` in a report's
    row, ``⌊(227 + 2·0 − 11)/4⌋ + 1 = 55`` (``spaced``) in the worked explanation."""
    plus, minus = (" + ", " − ") if spaced else ("+", "−")
    pad = f"2·{pad_left}" if pad_left == pad_right else f"{pad_left}{plus}{pad_right}"
    reach = str(kernel) if dilation == 1 else f"{dilation}·({kernel}−1){minus}1"
    inner = f"({size}{plus}{pad}{minus}{reach})/{stride}"
    if not ceil_mode:
        return f"⌊{inner}⌋{plus}1 = {out}"
    raw = -(-(size + pad_left + pad_right - effective_kernel(kernel, dilation)) // stride) + 1
    if raw != out:
        return f"⌈{inner}⌉{plus}1 = {raw}, less the window that would start in the padding = {out}"
    return f"⌈{inner}⌉{plus}1 = {out}"


def transposed_formula(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int, out: int,
) -> str:
    """``(I−1)·S−2P+D·(K−1)+output_padding+1`` with the numbers in."""
    reach = f"({kernel}−1)" if dilation == 1 else f"{dilation}·({kernel}−1)"
    extra = f"+{output_padding}" if output_padding else ""
    return f"({size}−1)·{stride}−2·{padding}+{reach}{extra}+1 = {out}"
