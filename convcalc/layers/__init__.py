"""Layer specs: immutable descriptions with torch's constructor signatures, one class per layer type.

``LAYER_TYPES`` maps each kind (``conv2d``, ``maxpool2d``, …) to its class; the classes register
themselves when their module is imported, and this package's names are derived from that registry.
"""

from . import activation, attention, blocks, conv, keras, linear, normalization, padding, pooling, recurrent, resample, tensor_ops, windowed  # noqa: F401 - each defines (registers) its layer types
from .base import LAYER_TYPES, Block, Branch, Effect, Join, Layer, Leaf, Part, Primitives, Reach, Shape, Step, Structure, layer

TYPE_CHECKING = False
if TYPE_CHECKING:  # the layer classes by name, for type checkers (at run time: from the registry below)
    from .activation import *  # noqa: F403
    from .attention import *  # noqa: F403
    from .blocks import *  # noqa: F403
    from .conv import *  # noqa: F403
    from .keras import *  # noqa: F403
    from .linear import *  # noqa: F403
    from .normalization import *  # noqa: F403
    from .padding import *  # noqa: F403
    from .pooling import *  # noqa: F403
    from .recurrent import *  # noqa: F403
    from .resample import *  # noqa: F403
    from .tensor_ops import *  # noqa: F403
    from .windowed import *  # noqa: F403

#: The built-in layer types by class name (what ``cc.Conv2d`` and spec text's ``nn.Conv2d`` name).
BUILT_IN = {cls.__name__: cls for cls in LAYER_TYPES.values() if cls.__module__.startswith(__name__ + ".")}
globals().update(BUILT_IN)

__all__ = ["LAYER_TYPES", "Layer", "Leaf", "Block", "Join", "Effect", "Part", "Reach", "Shape", "Primitives", "Step",
           "Structure", "Branch", "layer", *sorted(BUILT_IN)]
