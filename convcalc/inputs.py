"""What every entry point checks the same way: an input shape, a batch size, a dtype."""

from __future__ import annotations

from .errors import ShapeError, SpecError
from .layers.base import Shape, is_int

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any

#: Bytes per element of the dtypes a report can assume.
DTYPE_BYTES = {
    "float64": 8, "double": 8, "float32": 4, "float": 4, "float16": 2, "half": 2,
    "bfloat16": 2, "int8": 1, "uint8": 1, "float8": 1,
}


def check_input(input_shape: Any) -> Shape:
    """An input shape as a tuple of positive ints (channels first, no batch)."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if not shape or not all(is_int(d) and d > 0 for d in shape):
        raise ShapeError(f"input shape must be positive whole sizes such as 3x224x224, got {input_shape!r}")
    return shape


def check_batch(batch: Any) -> int:
    if not is_int(batch) or batch < 1:
        raise ShapeError(f"batch must be a positive int, got {batch!r}")
    return int(batch)


def dtype_bytes(dtype: Any) -> int:
    """The bytes per element of a dtype name, or a SpecError listing the names."""
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPE_BYTES)}")
    return DTYPE_BYTES[dtype]
