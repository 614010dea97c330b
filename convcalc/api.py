"""The library's entry points that take what a user has: a model name, a Model, or a layer."""

from __future__ import annotations

from typing import Any

from .analysis import Report, analyze, check_input
from .errors import ShapeError
from .layers.base import Layer, Shape
from .models import Model, get
from .parsing import parse_shape


def resolve(net_or_name: Any, input_shape: Shape | str | None = None) -> tuple[Layer, Shape, str | None]:
    """(network, input shape, model name) for a zoo name, a Model or a layer spec."""
    name: str | None = None
    if isinstance(net_or_name, str):
        net_or_name = get(net_or_name)
    if isinstance(net_or_name, Model):
        name, default, net = net_or_name.name, net_or_name.input_shape, net_or_name.net
    else:
        default, net = None, net_or_name
    if isinstance(input_shape, str):
        input_shape = parse_shape(input_shape)
    shape = input_shape if input_shape is not None else default
    if shape is None:
        raise ShapeError(f"{type(net).__name__} has no default input; give input_shape, e.g. (3, 224, 224)")
    return net, check_input(shape), name


def summary(net_or_name: Any, input_shape: Shape | str | None = None, batch: int = 1, dtype: str = "float32") -> Report:
    """Per-layer shapes, parameters, MACs, FLOPs, activation memory and receptive fields.

    ``net_or_name`` is a zoo name (``"alexnet"``), a :class:`Model` or any layer
    spec; ``input_shape`` is per sample, channels first (``(3, 224, 224)`` or
    ``"3x224x224"``), defaulting to the model's own.
    """
    net, shape, name = resolve(net_or_name, input_shape)
    return analyze(net, shape, batch=batch, dtype=dtype, model=name)
