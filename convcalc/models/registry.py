"""The model registry: ``@register`` a builder under its own function name.

Each entry records its default input shape and the parameter count its source
publishes, so a test can hold every model to that figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ..errors import SpecError, UnknownModelError
from ..inputs import Input, check_input
from ..layers.base import Layer, Shape
from ..records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any


@record
class Model:
    """A named network with the input it expects."""

    name: str
    net: Layer
    input_shape: Shape
    source: str = ""
    functional: Mapping[str, str] = field(default_factory=dict)  # glob over path:kind -> the call its torch original makes
    input_dtype: str | None = None  # the input's element type where it is not the report's ("int64": token ids)

    @property
    def input(self) -> Input:
        """The input it expects, as an :class:`~convcalc.inputs.Input` (shape and element type)."""
        return Input(self.input_shape, self.input_dtype)


@record
class Entry:
    name: str
    build: Callable[..., Layer | tuple[Layer, Shape]]
    input_shape: Shape
    params: int
    source: str
    functional: Mapping[str, str] = field(default_factory=dict)
    input_dtype: str | None = None


_REGISTRY: dict[str, Entry] = {}

#: The one call most torchvision forwards make: ``torch.flatten(x, 1)`` before the classifier.
TORCH_FLATTEN = {"flatten:*": "torch.flatten"}


Builder = Callable[..., "Layer | tuple[Layer, Shape]"]


def _cleandoc(doc: str) -> str:
    """A docstring without its indentation, as ``inspect.cleandoc`` gives it (without importing inspect)."""
    lines = doc.expandtabs().strip().splitlines()
    if not lines:
        return ""
    rest = [line for line in lines[1:] if line.strip()]
    margin = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    return "\n".join([lines[0].strip(), *(line[margin:].rstrip() for line in lines[1:])])


def register(*, input_shape: Shape | Input, params: int, functional: Mapping[str, str] | None = None) -> Callable[[Builder], Builder]:
    """Register a builder under its function name, with its default input and published parameter count.

    ``input_shape``: a shape, or an :class:`~convcalc.inputs.Input` where the input is not real-valued
    (``Input((35,), dtype="int64")``: token ids). ``functional`` maps globs over ``path:kind`` to the call
    the torch original makes in a ``forward`` instead of running a module (``{"avgpool:*": "F.adaptive_avg_pool2d"}``)."""
    shape, dtype = _default_input(input_shape)

    def decorate(build: Builder) -> Builder:
        name = build.__name__
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        doc = _cleandoc(build.__doc__ or "")
        _REGISTRY[name] = Entry(name, build, shape, params, doc, dict(functional or {}), dtype)
        return build

    return decorate


def _default_input(given: Any, dtype: str | None = None) -> tuple[Shape, str | None]:
    """A model's input as (shape, element type): a shape keeps ``dtype`` (the model's own), an Input gives its own
    where it names one. A zoo model takes one input, passed positionally: an Input with a name is refused."""
    if isinstance(given, Input):
        if given.name is not None:
            raise SpecError(f"a zoo model takes one positional input; {given} names a keyword")
        return given.shape, given.dtype or dtype
    return check_input(given), dtype


def entry(name: str) -> Entry:
    """The registry entry for ``name``, or UnknownModelError with close matches."""
    if not isinstance(name, str):
        raise UnknownModelError(repr(name))
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(name, suggest(name, list(_REGISTRY))) from None


def suggest(name: str, known: list[str]) -> list[str]:
    """Up to three known names close to ``name``, dropping any clearly worse than the best."""
    import difflib  # only for the suggestions of an error

    scored = sorted(((difflib.SequenceMatcher(None, name.lower(), k).ratio(), k) for k in known), reverse=True)
    best = scored[0][0] if scored else 0.0
    return [k for score, k in scored[:3] if score >= 0.6 and score >= best - 0.1]


def get(name: str, **overrides: Any) -> Model:
    """Build a zoo model; ``overrides`` go to its builder (``num_classes=10``), ``input_shape`` (a shape, or an
    :class:`~convcalc.inputs.Input` with its element type) to the model."""
    if not overrides:  # the model as published: built once, then shared (layer specs are immutable values)
        return _as_published(name)
    return _build(name, overrides)


_PUBLISHED: dict[str, Model] = {}


def _as_published(name: str) -> Model:
    model = _PUBLISHED.get(name)
    if model is None:
        model = _PUBLISHED[name] = _build(name, {})
    return model


def _build(name: str, overrides: dict[str, Any]) -> Model:
    e = entry(name)
    overrides_given = set(overrides)
    input_shape, dtype = _default_input(overrides.pop("input_shape", e.input_shape), e.input_dtype)
    if overrides:
        import inspect  # only when options are given: inspect costs milliseconds at import

        accepted = inspect.signature(e.build).parameters
        unknown = sorted(set(overrides) - set(accepted))
    else:
        unknown = []
    if unknown:
        takes = ", ".join(accepted) or "no options"
        raise SpecError(f"model {name!r} does not take {', '.join(unknown)}; it takes input_shape, {takes}")
    built = e.build(**overrides)
    if isinstance(built, tuple):  # (network, the input it was built for): a resolution option
        built, shape = built
        input_shape = shape if "input_shape" not in overrides_given else input_shape
    return Model(name, built, input_shape, e.source, e.functional, dtype)


def _natural(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def list_models(pattern: str = "*") -> list[str]:
    """Model names matching a glob, in natural order (resnet18 < resnet50 < resnet101)."""
    if not isinstance(pattern, str):
        raise SpecError(f"a model pattern must be text such as 'resnet*', got {pattern!r}")
    if pattern == "*":
        return sorted(_REGISTRY, key=_natural)
    import fnmatch  # loaded for a real pattern only

    return sorted((n for n in _REGISTRY if fnmatch.fnmatchcase(n, pattern)), key=_natural)
