"""What every entry point checks the same way: an input shape, a batch size, a dtype."""

from __future__ import annotations

import re

from .errors import ShapeError, SpecError
from .layers.base import Shape, is_int
from .records import record

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


#: Element sizes of the dtypes an input may have beyond :data:`DTYPE_BYTES` (token ids, masks).
INPUT_DTYPE_BYTES = {**DTYPE_BYTES, "int64": 8, "long": 8, "int32": 4, "int": 4, "int16": 2, "short": 2, "bool": 1}

NAME = re.compile(r"[A-Za-z_]\w*")


@record
class Input:
    """One input of a network: its shape (per sample, unless the batch is given whole), its element type,
    and, where it is passed to ``forward`` by keyword, its name.

    ``dtype=None`` is the report's own element type (``float32`` unless ``dtype=`` says otherwise; from_torch
    makes it the module's floating type, so a ``.half()`` model gets half inputs). An integer dtype
    (``"int64"``: token ids for an Embedding) makes from_torch feed integer tensors; every dtype sets the
    input's bytes in the memory figures.
    """

    shape: Shape  # sizes (a tuple); text such as "3x32x32" is read where inputs are read (parsing.read_inputs)
    dtype: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", check_input(self.shape))
        if self.dtype is not None and self.dtype not in INPUT_DTYPE_BYTES:
            raise SpecError(f"unknown input dtype {self.dtype!r}; use one of {', '.join(INPUT_DTYPE_BYTES)}")
        if self.name is not None and not (isinstance(self.name, str) and NAME.fullmatch(self.name)):
            raise SpecError(f"an input's name must be a Python identifier (the forward's keyword), got {self.name!r}")

    @property
    def integer(self) -> bool:
        """Whether the input holds integers (ids, indices) or booleans rather than real numbers."""
        return self.dtype is not None and self.dtype not in DTYPE_BYTES

    def bytes_per_element(self, default: int) -> int:
        """The element size of this input (``default``: the report's, for ``dtype=None``)."""
        return default if self.dtype is None else INPUT_DTYPE_BYTES[self.dtype]

    def to_dict(self, dtype: str) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype or dtype}

    def __str__(self) -> str:
        text = "x".join(map(str, self.shape)) + (f":{self.dtype}" if self.dtype else "")
        return f"{self.name}={text}" if self.name else text
