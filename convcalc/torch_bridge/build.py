"""``to_torch``: a real torch.nn.Module for a convcalc network, module paths equal to row paths.

Each layer type declares its torch binding on its class (``torch``, ``torch_kwargs``,
``torch_equivalent``): a torch class is built with the spec's fields as its arguments, and
convcalc's own modules (:mod:`.modules`) from the spec itself. Blocks are built from the
structure they declare, the same declaration the walk follows.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from torch import nn

from ..errors import SpecError
from ..layers.base import Block, Layer, Leaf, Shape
from ..walk import analyze, child_path
from .modules import add_child, branched_class

_RESOLVED: dict[str, Any] = {}


def resolve(target: Any) -> Any:
    """A class given as itself or as ``"package.module:Name"`` (``"torch.nn:Conv2d"``), imported once."""
    if not isinstance(target, str):
        return target
    found = _RESOLVED.get(target)
    if found is None:
        module, _, name = target.partition(":")
        try:
            found = getattr(import_module(module), name)
        except (ImportError, AttributeError) as error:
            raise SpecError(f"the torch module {target!r} cannot be loaded: {error}") from None
        _RESOLVED[target] = found
    return found


def torch_module_of(cls: type[Leaf]) -> Any:
    """The torch module class a layer type is bound to, or None (built as another layer, or none declared)."""
    target = cls.torch_class()
    return None if target is None else resolve(target)


def build_leaf(spec: Leaf) -> Any:
    """The torch module of one layer spec, by its class's binding."""
    equivalent = spec.torch_equivalent()
    if equivalent is not None:
        return build_leaf(equivalent)
    target = torch_module_of(type(spec))
    if target is None:
        raise SpecError(f"{spec.name} has no torch module; declare one with @cc.layer(torch=YourModule)")
    if getattr(target, "convcalc_layer", False):
        return target(spec)
    try:
        module = target(**spec.torch_kwargs())
    except TypeError as error:
        raise SpecError(f"cannot build {target.__name__} for {spec!r}: {error}") from None
    if spec.batch_dim() != 0 or type(spec).results > 1:  # (nn.LSTM): a network takes batch-first tensors and
        from .modules import BatchSecond, FirstResult  # chains its layers' first results

        if spec.batch_dim() == 1:
            module = BatchSecond(module, None if type(spec).results > 1 else spec)
        if type(spec).results > 1:
            module = FirstResult(module, spec)
    return module


class _Builder:
    """Builds modules for a spec tree, one module per leaf object (a shared leaf stays shared)."""

    def __init__(self, resolved: dict[str, Leaf]) -> None:
        self.resolved = resolved
        self.made: dict[int, nn.Module] = {}

    def leaf(self, leaf: Leaf, path: str) -> nn.Module:
        if id(leaf) not in self.made:
            spec = self.resolved.get(path, leaf)
            if spec.open_size:
                raise SpecError(f"{path or 'network'}: {spec!r} takes {spec.open_size} from its input; "
                                "give to_torch an input_shape to fill it in")
            self.made[id(leaf)] = build_leaf(spec)
        return self.made[id(leaf)]

    def layer(self, layer: Layer, path: str) -> nn.Module:
        if isinstance(layer, Leaf):
            return self.leaf(layer, path)
        if not isinstance(layer, Block):
            raise SpecError(f"{path or 'network'}: {layer!r} is not a convcalc layer")
        structure = layer.declared()
        if structure.join is None:
            sequential = nn.Sequential()
            for name, child in structure.layers:
                add_child(sequential, name, self.layer(child, child_path(path, name)))
            return sequential
        children = {name: self.layer(child, child_path(path, name)) for name, child in structure.children()
                    if name not in dict(structure.after)}
        join_path = child_path(path, structure.join_name)
        children[structure.join_name] = build_leaf(self.resolved.get(join_path, structure.join))
        for name, child in structure.after:
            children[name] = self.layer(child, child_path(path, name))
        return branched_class(layer.name)(children, [[n for n, _ in b.layers] for b in structure.branches],
                                          structure.join_name, [n for n, _ in structure.after])


def to_torch(net: Layer, input_shape: Shape | None = None) -> nn.Module:
    """A torch.nn.Module equal to ``net`` (eval mode, default initialisation).

    Module paths are the report's row paths. Sizes left as ``None`` in the spec are taken
    from ``input_shape``, which is then required.
    """
    resolved: dict[str, Leaf] = {}
    if input_shape is not None:
        resolved = {row.path: row.spec for row in analyze(net, input_shape).rows if row.spec is not None}
    module = _Builder(resolved).layer(net, "")
    return module.eval()
