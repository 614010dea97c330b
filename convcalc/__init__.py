"""convcalc: the shape, parameters, MACs, FLOPs, activation memory and receptive field
of every layer of a convolutional network, computed symbolically.

    >>> import convcalc as cc
    >>> cc.summary("alexnet").totals.params
    62378344

Importing convcalc imports neither torch nor click, and loads each part of the
library on first use (``cc.summary`` loads the walk and the zoo, ``cc.explain``
the worked formulas), so a command pays only for what it runs. ``to_torch``,
``verify`` and ``from_torch`` import torch when first called. The layer types
(``cc.Conv2d``, …) are every class registered in ``convcalc.layers.LAYER_TYPES``,
user-declared ones (``@cc.layer``) included.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:  # what the names below are, for type checkers (at run time they load on first use)
    from . import models  # noqa: F401
    from .api import (  # noqa: F401
        fit,  # noqa: F401
        from_torch,
        summary,
        to_torch,
        verify,
    )
    from .errors import (  # noqa: F401
        AnswersError,
        ConvCalcError,
        DeviceError,
        PlotUnavailableError,
        ShapeError,
        SpecError,
        TorchUnavailableError,
        UnknownModelError,
    )
    from .inputs import DTYPE_BYTES, Input  # noqa: F401
    from .layers import *  # noqa: F403
    from .models import Model  # noqa: F401
    from .parsing import parse_layer, parse_shape, parse_spec  # noqa: F401
    from .report import Report, Row, Totals  # noqa: F401
    from .solving import solve  # noqa: F401
    from .training import Fit, Training  # noqa: F401
    from .walk import analyze, frozen  # noqa: F401
    from .working import explain  # noqa: F401

__version__ = "0.1.0"

#: public name -> the module that defines it (relative to this package); the layer types come from
#: :mod:`convcalc.layers`, whose ``__all__`` is derived from the registered classes.
_HOME: dict[str, str] = {
    "summary": ".api", "to_torch": ".api", "verify": ".api", "from_torch": ".api", "fit": ".api", "frozen": ".walk",
    "Training": ".training", "Fit": ".training",
    "analyze": ".walk", "Report": ".report", "Row": ".report", "Totals": ".report",
    "DTYPE_BYTES": ".inputs", "Input": ".inputs", "models": "", "Model": ".models", "explain": ".working", "solve": ".solving",
    "parse_layer": ".parsing", "parse_shape": ".parsing", "parse_spec": ".parsing",
    **dict.fromkeys(("ConvCalcError", "ShapeError", "SpecError", "AnswersError", "UnknownModelError", "DeviceError",
                     "TorchUnavailableError", "PlotUnavailableError"), ".errors"),
}


def _public() -> list[str]:
    """Every public name: the library's, and the layer types' (derived from the registered classes)."""
    layer_names: list[str] = import_module(".layers", __name__).__all__
    return [*_HOME, *layer_names]


def __getattr__(name: str) -> object:
    """Load a public name's module on first use (PEP 562) and keep the name here."""
    if name == "__all__":
        return _public()
    home = _HOME.get(name)
    if home is None:
        layers = import_module(".layers", __name__)
        if name not in layers.__all__:
            raise AttributeError(f"module 'convcalc' has no attribute {name!r}")
        value = getattr(layers, name)
    else:
        value = import_module(f".{name}" if home == "" else home, __name__)
        if home:
            value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_public()})
