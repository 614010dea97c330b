"""The torch modules of layer types torch has no class for (LayerNorm2d, Permute, the joins, …),
and the one module every branched block is built as.

Each layer module is made from its convcalc spec (``Module(spec)``) and keeps it as ``convcalc_spec``,
so ``from_torch`` reads the same spec back. The layer classes name these modules as their torch
binding (``"convcalc.torch_bridge.modules:Permute"``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from ..errors import SpecError


class _Spec(nn.Module):
    """A module for a convcalc layer torch has no class for; it keeps its spec."""

    convcalc_layer = True  # built from the spec itself: ``Module(spec)``

    def __init__(self, spec: Any) -> None:
        super().__init__()
        self.convcalc_spec = spec

    def extra_repr(self) -> str:
        return repr(self.convcalc_spec)


class SeparableConv2d(nn.Sequential):
    """Depthwise then pointwise, one module whose two children are visible."""

    convcalc_layer = True

    def __init__(self, spec: Any) -> None:
        depthwise, pointwise = spec.parts(spec.in_channels)  # a grouped Conv2d and a 1×1 Conv2d
        super().__init__(OrderedDict(depthwise=nn.Conv2d(**depthwise.torch_equivalent().torch_kwargs()),
                                     pointwise=nn.Conv2d(**pointwise.torch_kwargs())))
        self.convcalc_spec = spec


class LayerNorm2d(_Spec):
    """LayerNorm over the channels of N×C×H×W (torchvision's ConvNeXt)."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.norm = nn.LayerNorm(spec.num_channels, spec.eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Permute(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.convcalc_spec.dims)


class Chunk(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.chunk(self.convcalc_spec.chunks, dim=1)[self.convcalc_spec.index]


class Reshape(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.convcalc_spec.shape)


class StochasticDepth(_Spec):
    """The identity at inference (training would drop whole rows)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class LayerScale(_Spec):
    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.gamma = nn.Parameter(torch.full((spec.dim, 1, 1), spec.init_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class Add(_Spec):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b


class Cat(_Spec):
    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        return torch.cat(parts, dim=1)


class Mul(_Spec):
    def forward(self, x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return x * gate


def add_child(parent: nn.Module, name: str, child: nn.Module) -> None:
    try:
        nn.Module.add_module(parent, name, child)
    except KeyError:
        raise SpecError(f"the layer name {name!r} clashes with an attribute of torch.nn.Module; rename it") from None


class Branched(nn.Module):
    """A block whose branches run on the same input and meet at a join (a Residual, Concat or Scale).

    ``branches`` lists, per branch, the names of its children in order (none: the input itself);
    the join module is the child named ``join``; ``after`` names the children run on the result.
    The module's class name is the block's (``Residual``), as the report names it.
    """

    def __init__(self, children: dict[str, nn.Module], branches: list[list[str]], join: str, after: list[str]) -> None:
        super().__init__()
        for name, module in children.items():
            add_child(self, name, module)
        self.branches, self.join, self.after = branches, join, after

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = []
        for names in self.branches:
            y = x
            for name in names:
                y = getattr(self, name)(y)
            outputs.append(y)
        y = getattr(self, self.join)(*outputs)
        for name in self.after:
            y = getattr(self, name)(y)
        return y


_BLOCK_CLASSES: dict[str, type[Branched]] = {}


def branched_class(name: str) -> type[Branched]:
    """The Branched module class named after a block type (one per name)."""
    cls = _BLOCK_CLASSES.get(name)
    if cls is None:
        cls = _BLOCK_CLASSES[name] = type(name, (Branched,), {"__module__": __name__})
    return cls
