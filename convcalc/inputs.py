"""What every entry point checks the same way: an input shape, a batch size, a dtype."""

from __future__ import annotations

import re

from .errors import ShapeError, SpecError
from .layers.base import Shape, is_int
from .records import record, replace

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

_NAME = re.compile(r"[A-Za-z_]\w*")


@record
class Input:
    """One input of a network: its shape (per sample, unless the batch is given whole), its element type,
    and, where it is passed to ``forward`` by keyword, its name.

    ``dtype=None`` is the report's own element type (``float32`` unless ``dtype=`` says otherwise; from_torch
    makes it the module's floating type, so a ``.half()`` model gets half inputs). An integer dtype
    (``"int64"``: token ids for an Embedding) makes from_torch feed integer tensors; every dtype sets the
    input's bytes in the memory figures.
    """

    shape: Shape
    dtype: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        shape = self.shape
        if isinstance(shape, str):
            from .parsing import parse_shape

            shape = parse_shape(shape)
        object.__setattr__(self, "shape", check_input(shape))
        if self.dtype is not None and self.dtype not in INPUT_DTYPE_BYTES:
            raise SpecError(f"unknown input dtype {self.dtype!r}; use one of {', '.join(INPUT_DTYPE_BYTES)}")
        if self.name is not None and not (isinstance(self.name, str) and _NAME.fullmatch(self.name)):
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


def read_inputs(given: Any) -> tuple[Input, ...]:
    """Every form an input may take, as Inputs (positional ones first, in order; then the keyword ones):
    a shape (``(3, 32, 32)``, ``"3x32x32"``), an :class:`Input`, a list or tuple of those (several positional
    inputs: an Input with a name among them is passed by keyword), or a dict name -> one of those (keyword
    inputs). A tuple of ints is one shape; a sequence holding anything else is several inputs."""
    if isinstance(given, Input):
        return (given,)
    if isinstance(given, dict):
        if not given:
            raise ShapeError("no inputs given: the dict of keyword inputs is empty")
        named = []
        for key, value in given.items():
            if not isinstance(key, str):
                raise SpecError(f"keyword input names must be text, got {key!r}")
            one = value if isinstance(value, Input) else Input(value)
            if one.name is not None and one.name != key:
                raise SpecError(f"keyword input {key!r} holds an Input named {one.name!r}; name it once")
            named.append(replace(one, name=key))
        return _ordered(named)
    if isinstance(given, (list, tuple)) and given and not all(is_int(d) for d in given):
        return _ordered([item if isinstance(item, Input) else Input(item) for item in given])
    return (Input(given),)


def _ordered(inputs: list[Input]) -> tuple[Input, ...]:
    names = [i.name for i in inputs if i.name is not None]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SpecError(f"input {twice[0]!r} is given twice; each keyword input once")
    return (*(i for i in inputs if i.name is None), *(i for i in inputs if i.name is not None))


def parse_input(text: str) -> Input:
    """The CLI's ``--input`` text: ``[NAME=]SHAPE[:DTYPE]`` (``3x32x32``, ``128:int64``, ``mask=1x32x32:bool``)."""
    from .parsing import parse_shape

    if not isinstance(text, str):
        raise ShapeError(f"an input must be text such as 3x224x224, got {text!r}")
    name, eq, rest = text.partition("=")
    if not eq:
        name, rest = "", text
    shape, colon, dtype = rest.partition(":")
    name = name.strip()
    if eq and not _NAME.fullmatch(name):
        raise SpecError(f"cannot read input {text!r}: the name before '=' must be the forward's keyword, e.g. mask=1x32x32")
    if colon and not dtype.strip():
        raise SpecError(f"cannot read input {text!r}: name a dtype after ':', e.g. 128:int64")
    return Input(parse_shape(shape), dtype.strip() or None if colon else None, name or None)


def read_cli_inputs(texts: tuple[str, ...] | list[str]) -> Any:
    """What repeated ``--input`` options give: None, the text of one plain shape (read as before, layouts and
    all), or Inputs for the library (several, named or typed)."""
    if not texts:
        return None
    if len(texts) == 1 and "=" not in texts[0] and ":" not in texts[0]:
        return texts[0]
    inputs = [parse_input(t) for t in texts]
    return inputs[0] if len(inputs) == 1 and inputs[0].name is None else list(inputs)


def one_input(given: Any, what: str = "a convcalc network") -> tuple[Any, Input | None]:
    """The one input a spec network takes: (its shape or text, as before, the Input if one was given)."""
    if given is None or isinstance(given, str):
        return given, None
    inputs = read_inputs(given)
    if len(inputs) != 1:
        raise SpecError(f"{what} takes one input, got {len(inputs)}: {', '.join(map(str, inputs))}; several inputs are "
                        "for torch modules (from_torch)")
    if inputs[0].name is not None:
        raise SpecError(f"{what} takes one input, without a name; {inputs[0]} names a forward's keyword, which only "
                        "torch modules have (from_torch)")
    if inputs[0].integer:
        raise SpecError(f"{what} takes real-valued inputs; {inputs[0]} is for a torch module whose forward reads ids")
    only = inputs[0]
    return only.shape, only if isinstance(given, Input) else None
