"""What torch's Lazy layers share (d2l.ai's ``nn.LazyConv2d``, ``nn.LazyLinear``, …).

A lazy layer is its eager layer with the first size (``in_channels``, ``in_features``,
``num_features``) left out of the signature: torch takes it from the first input it sees,
and the module then becomes the eager class (``cls_to_become``: a ``LazyConv2d`` is a
``Conv2d`` after its first forward). Here each lazy class names its eager class
(``becomes``) and counts exactly as that class with the size taken from the input: the
same shape, parameters, MACs, FLOPs, receptive field and worked formulas.
"""

from __future__ import annotations

from ..errors import SpecError
from .base import Backward, Effect, Grads, Leaf, Primitives, Ran, Shape, Step, freeze

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any, ClassVar


class _Lazy(Leaf):
    """A lazy layer: its fields are its eager class's after the first (the size taken from the input)."""

    #: The eager class torch's module becomes after its first forward (its ``cls_to_become``).
    becomes: ClassVar[type[Leaf]]
    torch: ClassVar[Any] = "torch.nn:{name}"

    def eager(self) -> Leaf:
        """The eager layer with its first size left ``None`` (taken from the input, as torch's lazy module does)."""
        try:
            made: Leaf = self.__dict__["_eager_"]
        except KeyError:
            eager: Any = self.becomes  # (a Leaf subclass whose constructor takes the size first)
            made = self.__dict__["_eager_"] = eager(None, *self._values())
        return made

    def _check(self) -> None:
        """Validate the arguments as the eager class does, and keep its normalised values (tuples)."""
        eager = self.becomes.__name__
        try:
            made = self.eager()
        except SpecError as error:
            raise SpecError(str(error).replace(f"{eager}:", f"{self.name}:", 1)) from None
        freeze(self, **{name: getattr(made, name) for name in self._field_names()})
        self.__dict__.pop("_values_", None)  # the values were normalised: compare those

    def _field_names(self) -> tuple[str, ...]:
        from .. import records

        return tuple(f.name for f in records.fields(type(self)) if f.init)

    def __post_init__(self) -> None:
        self._check()

    def effect(self, shape: Shape) -> Effect:
        return self.eager().effect(shape)

    def primitives(self, ran: Ran) -> Primitives:
        return self.eager().primitives(ran)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        return self.eager().backward(shape, effect, grads)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        size = self.eager().inferred or "size"
        taken = shape[-1] if size == "in_features" else shape[0]
        return (Step("lazy", f"{self.name} is {self.becomes.__name__} with {size} = {taken} taken from the input"),
                *self.eager().explain(shape, effect))
