"""A layer type of your own, working everywhere a built-in one does.

Run it: ``python examples/custom_layer.py`` (needs torch for the last three steps).

Swish (x·σ(βx)) is not a layer convcalc ships. Declaring it takes one class: its fields are
its constructor arguments, ``effect`` says what it does to one sample's shape and what it
costs, and ``torch=`` names the torch module it is (a class, or "package.module:Name").
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

import convcalc as cc


class TorchSwish(nn.Module):
    """The user's own torch module: x · sigmoid(β·x)."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.beta * x)


@cc.layer(torch=TorchSwish)
class Swish(cc.Leaf):
    """x·σ(βx): a product, a sigmoid (counted as 2) and a scaling, 4 FLOPs per element."""

    beta: float = 1.0

    def effect(self, shape: tuple[int, ...]) -> cc.Effect:
        return cc.Effect(output_shape=shape, flops=4 * math.prod(shape), formula="x·σ(βx), 4 per element")


if __name__ == "__main__":
    net = cc.Sequential(cc.Conv2d(3, 8, 3), Swish())
    print(cc.summary(net, (3, 32, 32)))  # a row of kind swish: 4 · 8·30·30 = 28,800 FLOPs
    print()
    print(cc.parse_layer("Swish(beta=2.0)"))  # spec text knows it now
    print(cc.explain(Swish(), (8, 30, 30)))
    print()
    print(cc.to_torch(net))  # Sequential(Conv2d(3, 8, 3), TorchSwish())
    print(cc.verify(net, (3, 32, 32)))
    theirs = nn.Sequential(nn.Conv2d(3, 8, 3), TorchSwish(beta=2.0))
    print(cc.from_torch(theirs, (3, 32, 32)))  # the same swish row, not "unsupported"
