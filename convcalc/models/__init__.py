"""The model zoo: ``get(name, **overrides)``, ``list(pattern)``, ``register``.

Importing this package imports every model module, so the registry is full.
"""

from . import classic, convnext, dcgan, densenet, inception, language, maxvit, mobilenet, resnet, segmentation, shufflenet, squeezenet, superres, swin, vgg, vit  # noqa: F401 (they register)
from .registry import Entry, Model, entry, get, list_models, register

list = list_models  # noqa: A001 - cc.models.list() as DESIGN.md names it

__all__ = ["Model", "Entry", "get", "list", "list_models", "register", "entry"]
