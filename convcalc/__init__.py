"""convcalc: the shape, parameters, MACs, FLOPs, activation memory and receptive field
of every layer of a convolutional network, computed symbolically.

    >>> import convcalc as cc
    >>> cc.summary("alexnet").totals.params
    62378344

Importing convcalc imports neither torch nor click, and loads each part of the
library on first use (``cc.summary`` loads the analysis and the zoo, ``cc.explain``
the worked formulas), so a command pays only for what it runs. ``to_torch``,
``verify`` and ``from_torch`` import torch when first called.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:  # what the names below are, for type checkers (at run time they load on first use)
    from . import models  # noqa: F401
    from .analysis import DTYPE_BYTES, Report, Row, Totals, analyze  # noqa: F401
    from .api import from_torch, summary, to_torch, verify  # noqa: F401
    from .errors import (  # noqa: F401
        AnswersError, ConvCalcError, DeviceError, ShapeError, SpecError, TorchUnavailableError, UnknownModelError)
    from .layers import *  # noqa: F403
    from .models import Model  # noqa: F401
    from .parsing import parse_layer, parse_shape, parse_spec  # noqa: F401
    from .solving import solve  # noqa: F401
    from .working import explain  # noqa: F401

__version__ = "0.1.0"

_LAYERS = (
    "Layer", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "DepthwiseConv2d", "SeparableConv2d", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d",
    "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "GlobalAvgPool2d", "Linear", "Flatten", "ReLU", "ReLU6", "LeakyReLU",
    "Sigmoid", "Tanh", "Softmax", "Hardsigmoid", "Hardswish", "SiLU", "GELU", "Dropout", "BatchNorm1d",
    "BatchNorm2d", "BatchNorm3d", "LayerNorm", "LayerNorm2d", "LocalResponseNorm", "Identity", "Permute",
    "ChannelShuffle", "Chunk", "StochasticDepth", "LayerScale", "Reshape", "Sequential", "Residual", "Concat",
    "Scale", "SqueezeExcitation",
)

#: public name -> the module that defines it (relative to this package).
_HOME: dict[str, str] = {
    "summary": ".api", "to_torch": ".api", "verify": ".api", "from_torch": ".api",
    "analyze": ".analysis", "Report": ".analysis", "Row": ".analysis", "Totals": ".analysis",
    "DTYPE_BYTES": ".analysis", "models": "", "Model": ".models", "explain": ".working", "solve": ".solving",
    "parse_layer": ".parsing", "parse_shape": ".parsing", "parse_spec": ".parsing",
    **dict.fromkeys(("ConvCalcError", "ShapeError", "SpecError", "AnswersError", "UnknownModelError", "DeviceError",
                     "TorchUnavailableError"), ".errors"),
    **dict.fromkeys(_LAYERS, ".layers"),
}

__all__ = list(_HOME)


def __getattr__(name: str) -> object:
    """Load a public name's module on first use (PEP 562) and keep the name here."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'convcalc' has no attribute {name!r}")
    value = import_module(f".{name}" if home == "" else home, __name__)
    if home:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
