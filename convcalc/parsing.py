"""Parsing user text: shapes such as ``3x224x224``."""

from __future__ import annotations

import re

from .errors import ShapeError
from .layers.base import Shape

_SEPARATORS = re.compile(r"\s*[x×X*,]\s*")
_DIGITS = re.compile(r"[0-9]{1,1000}")  # ASCII digits only (str.isdigit also takes ² and ①)


def parse_shape(text: str) -> Shape:
    """``"3x224x224"`` (also ``3×224×224``, ``3,224,224``, ``(3, 224, 224)``) -> ``(3, 224, 224)``.

    Channels first, no batch. Sizes must be positive whole numbers.
    """
    if not isinstance(text, str):
        raise ShapeError(f"an input shape must be text such as 3x224x224, got {text!r}")
    body = text.strip().strip("()[]").strip()
    parts = _SEPARATORS.split(body) if body else []
    if not parts or not all(_DIGITS.fullmatch(p) for p in parts):
        raise ShapeError(f"cannot read input shape {text!r}; write it as sizes joined by x, channels first, e.g. 3x224x224")
    shape = tuple(int(p) for p in parts)
    if any(d == 0 for d in shape):
        raise ShapeError(f"input shape {text!r} has a zero size; every size must be at least 1")
    return shape
