"""Keras and TensorFlow model text as tutorials and quizzes write it, read with ``ast`` and never run.

Read: layer calls with or without ``keras.layers.``, ``layers.``, ``tf.keras.layers.``, ``keras.``
prefixes (``Conv2D(32, (7, 7), strides=2)``); whole models as ``keras.Sequential([...])`` (over any
number of lines, ``model = keras.Sequential([...], name="x")``) or ``model = Sequential()`` followed
by ``model.add(...)`` lines, or one layer call per line; the input as ``keras.Input(shape=…)``,
``InputLayer(input_shape=…)`` / ``InputLayer(shape=…)``, or ``input_shape=`` / ``input_dim=`` on the
first layer (channels last, as Keras writes it). Lines tutorials paste that change nothing are passed
over: ``import``/``from … import`` of keras, tensorflow or numpy, ``model.summary()``, and
``model.compile(...)`` with literal arguments; anything else is a one-line SpecError with its line.

Conventions of the reading:

- ``activation="relu"`` inside a layer is a row of its own after the layer (convcalc counts an
  activation separately, 1 FLOP per element), named ``<layer>_<activation>`` (``conv2d_relu``);
  ``activation="linear"`` (or None) adds nothing. Keras shows the two as one layer.
- Rows are named as Keras names the layers in a fresh session (``conv2d``, ``conv2d_1``,
  ``max_pooling2d``, ``dense``, …), or by ``name="..."`` where given, so an answers file can say
  ``layer = "conv2d_1"``.
- Keras layers torch also has are read as convcalc's: ``Flatten``, ``Dropout(rate)`` (and
  ``SpatialDropout*``), ``ReLU`` (``max_value=6``: ReLU6; ``negative_slope``: LeakyReLU),
  ``LeakyReLU``, ``Softmax`` over the channels, ``Activation('relu' | 'softmax' | …)``.
- Initializers, regularizers and constraints are passed over (literals, or calls such as
  ``regularizers.l2(1e-4)`` with literal arguments, never run); ``trainable=False`` and a dtype other
  than float32 are refused, since they would change what is counted.
"""

from __future__ import annotations

import ast
import re
import warnings
from contextvars import ContextVar

from . import layers as L
from . import records
from .errors import SpecError
from .layers.base import LAYER_TYPES, Leaf
from .literals import dotted, literal
from .records import record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Callable
    from typing import Any

#: Dotted prefixes a Keras layer call may carry (the longest first).
PREFIXES = ("tf.keras.layers.", "tensorflow.keras.layers.", "keras.layers.", "tf.keras.", "tensorflow.keras.",
            "keras.", "layers.", "tf.", "kl.")
_MODEL_NAMES = {"Sequential", "models.Sequential"}
_INPUT_NAMES = {"Input", "InputLayer"}
_IMPORTABLE = {"keras", "tensorflow", "tf_keras", "numpy"}
#: Keyword arguments every Keras layer takes that change nothing convcalc counts.
_PASSED_OVER = re.compile(r"(\w+_)?(initializer|regularizer|constraint)|seed|noise_shape|lora_\w+|quantization_config|"
                          r"synchronized|renorm\w*|sparse|ragged|autocast")
_INPUT_KEYWORDS = ("input_shape", "batch_input_shape", "input_dim")


def snake_case(name: str) -> str:
    """Keras' own rule for a layer's default name: ``MaxPooling2D`` -> ``max_pooling2d``, ``ReLU`` -> ``re_lu``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


_KNOWN: list[Any] = [None, {}]  # [the registry's size when last derived, the names derived]


def keras_classes() -> dict[str, type[Leaf]]:
    """Keras' names (class names and aliases) -> convcalc's Keras layer types, from the registry (derived
    again when a layer type is declared)."""
    if _KNOWN[0] != len(LAYER_TYPES):
        found: dict[str, type[Leaf]] = {}
        for cls in LAYER_TYPES.values():
            if isinstance(cls, type) and issubclass(cls, Leaf) and cls.framework == "keras":
                for name in (cls.__name__, *cls.aliases):
                    found[name] = cls
        _KNOWN[:] = [len(LAYER_TYPES), found]
    known: dict[str, type[Leaf]] = _KNOWN[1]
    return known


# --- Keras' layers that torch also has: read as convcalc's own --------------------------------------

Built = tuple[Leaf | None, str]  # (the layer, or None where it adds no row; Keras' class name, for the row's name)

_ACTIVATIONS: dict[str, Callable[[], Leaf]] = {
    "relu": L.ReLU, "relu6": L.ReLU6, "sigmoid": L.Sigmoid, "tanh": L.Tanh, "softmax": lambda: L.Softmax(dim=1),
    "gelu": L.GELU, "silu": L.SiLU, "swish": L.SiLU, "hard_sigmoid": L.Hardsigmoid, "hard_silu": L.Hardswish,
    "hard_swish": L.Hardswish, "leaky_relu": lambda: L.LeakyReLU(0.2),
}


def activation_layer(value: Any, where: str) -> Leaf | None:
    """The layer a Keras activation name is (``"relu"`` -> ReLU(); softmax over the channels), None for 'linear'."""
    if value is None or value == "linear":
        return None
    if not isinstance(value, str) or value not in _ACTIVATIONS:
        known = ", ".join(sorted([*_ACTIVATIONS, "linear"]))
        raise SpecError(f"{where}: activation {value!r} is not one convcalc counts; use one of {known}")
    return _ACTIVATIONS[value]()


def _relu(max_value: Any = None, negative_slope: Any = 0.0, threshold: Any = 0.0) -> Leaf:
    if threshold not in (0, 0.0):
        raise SpecError(f"ReLU: threshold={threshold!r} is not read (only 0)")
    if max_value is None:
        return L.ReLU() if negative_slope in (0, 0.0) else L.LeakyReLU(negative_slope)
    if max_value == 6 and negative_slope in (0, 0.0):
        return L.ReLU6()
    raise SpecError(f"ReLU: max_value={max_value!r} is read only as 6 (ReLU6) without a negative_slope")


def _softmax(axis: Any = -1) -> Leaf:
    if axis != -1:
        raise SpecError(f"Softmax: axis={axis!r} is not read; convcalc reads Keras' softmax over the channels (axis=-1)")
    return L.Softmax(dim=1)  # Keras' last axis is the channels: dim 1 of N×C×…


def _leaky(negative_slope: Any = 0.3, alpha: Any = None) -> Leaf:
    return L.LeakyReLU(negative_slope if alpha is None else alpha)


def _flatten(data_format: Any = None) -> Leaf:
    if data_format not in (None, "channels_last"):
        raise SpecError(f"Flatten: data_format={data_format!r} is not read; Keras' layers are read channels last")
    return L.Flatten()


def _dropout(rate: Any, data_format: Any = None) -> Leaf:
    return L.Dropout(rate)


#: Keras name -> (its parameters in order, the builder, the Keras-only keywords that mark a call as Keras').
_SHARED: dict[str, tuple[tuple[str, ...], Callable[..., Leaf | None], tuple[str, ...]]] = {
    "Flatten": (("data_format",), _flatten, ("data_format",)),
    "Dropout": (("rate",), _dropout, ("rate",)),
    "SpatialDropout1D": (("rate", "data_format"), _dropout, ()),
    "SpatialDropout2D": (("rate", "data_format"), _dropout, ()),
    "SpatialDropout3D": (("rate", "data_format"), _dropout, ()),
    "ReLU": (("max_value", "negative_slope", "threshold"), _relu, ("max_value", "negative_slope", "threshold")),
    "Softmax": (("axis",), _softmax, ("axis",)),
    "LeakyReLU": (("negative_slope",), _leaky, ("alpha",)),
    "Activation": (("activation",), lambda activation: activation_layer(activation, "Activation"), ()),
}
_KERAS_ONLY = {"SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Activation"}


# --- reading calls ------------------------------------------------------------------------------------


def _short(func: str) -> tuple[str, bool]:
    """``keras.layers.Conv2D`` -> (``Conv2D``, True): the name without its Keras prefix, and whether it had one."""
    for prefix in PREFIXES:
        if func.startswith(prefix):
            return func[len(prefix):], True
    return func, False


def _fail(message: str, node: ast.AST | None, line: int | None = None) -> SpecError:
    number = line if node is None else getattr(node, "lineno", line)
    return SpecError(message, line=number, column=getattr(node, "col_offset", 0) + 1 if node is not None else 1)


#: Names a text gave literal values (``num_classes = 10``), while that text is read.
_CONSTANTS: ContextVar[dict[str, Any] | None] = ContextVar("keras_constants", default=None)


def _literal(node: ast.AST) -> Any:
    """A literal argument, read as :func:`convcalc.literals.literal` reads one (lists become tuples), and the
    names the text gave such a value (``num_classes = 10``). Read from the tree, never run."""
    return literal(node, _fail, "arguments must be literals such as 32, (3, 3), 'same' or True (or names given such a "
                   "value above)", names=_CONSTANTS.get(), tuples=True)


def _passed_over(node: ast.AST) -> bool:
    """A value that may be passed over unread: a literal, or a call such as ``regularizers.l2(1e-4)`` of literals."""
    if isinstance(node, ast.Call):
        func = dotted(node.func) or ""
        return (any(part in func.split(".") for part in ("regularizers", "initializers", "constraints"))
                and not node.keywords and all(_is_literal(a) for a in node.args)) or (
            func in ("l1", "l2", "l1_l2") and all(_is_literal(a) for a in [*node.args, *(k.value for k in node.keywords)]))
    return _is_literal(node)


def _is_literal(node: ast.AST) -> bool:
    try:
        _literal(node)
    except SpecError:
        return False
    return True


def is_keras_call(node: ast.Call) -> bool:
    """Whether a call is Keras': a Keras prefix, a name only Keras has (Conv2D, Dense, Activation, Input,
    Sequential, …), ``model.add(…)``, or a name torch shares (Dropout, Softmax, …) with a keyword only Keras'
    has (``rate=``, ``axis=``)."""
    func = dotted(node.func)
    if func is None:
        return False
    short, prefixed = _short(func)
    if prefixed or short in keras_classes() or short in _KERAS_ONLY | _INPUT_NAMES | _MODEL_NAMES:
        return True
    if func.endswith(".add") and len(node.args) == 1 and isinstance(node.args[0], ast.Call):
        return True
    if short in _SHARED:
        keras_only = _SHARED[short][2]
        return any(k.arg in keras_only or k.arg in ("name", *_INPUT_KEYWORDS) for k in node.keywords)
    return False


@record
class _Item:
    """One Keras layer call as read: its layer (None: adds no row), the activation after it, its Keras class
    name, the name given, the input it declares (channels last)."""

    layer: Leaf | None
    activation: Leaf | None
    keras_class: str
    name: str | None
    input_shape: tuple[int, ...] | None
    node: Any


def _input_shape(value: Any, keyword: str, node: ast.AST) -> tuple[int, ...]:
    shape = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    if keyword.startswith("batch"):
        shape = tuple(shape)[1:] if isinstance(shape, tuple) and shape else shape
    if (not isinstance(shape, tuple) or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)):
        raise _fail(f"{keyword}={value!r}: give the sizes of one sample as positive ints, channels last, e.g. (28, 28, 1) "
                    "(None, any size, cannot be counted)", node)
    return shape


def read_call(node: ast.Call) -> _Item:
    """One Keras call: an Input/InputLayer, or a layer with its Keras arguments."""
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        raise _fail("starred arguments (*args, **kwargs) are not accepted", node)
    func = dotted(node.func)
    if func is None:
        if isinstance(node.func, ast.Call):
            raise _fail("the functional API (layer(...)(x)) is not read; write the layers in keras.Sequential([...])", node)
        raise _fail(f"{ast.unparse(node.func)!r} is not a Keras layer call", node)
    short, _ = _short(func)
    if short in _INPUT_NAMES:
        return _read_input(node, short)
    classes = keras_classes()
    cls = classes.get(short)
    params: tuple[str, ...]
    if cls is not None:
        hidden = cls.inferred
        params = tuple(p for p in records.init_parameters(cls) or () if p != hidden)
        keras_class = cls.__name__
    elif short in _SHARED:
        params = _SHARED[short][0]
        keras_class = short
    else:
        from .names import did_you_mean  # what the name means (Conv2DTranspose, not Conv3DTranspose), as for torch text

        hint = did_you_mean(short, {*classes, *_SHARED, *_INPUT_NAMES})
        raise _fail(f"{func} is not a Keras layer convcalc knows{hint}", node)
    if len(node.args) > len(params):
        raise _fail(f"{short} takes at most {len(params)} arguments ({', '.join(params)}), got {len(node.args)}", node)
    values = {p: _literal(a) for p, a in zip(params, node.args)}
    name: str | None = None
    shape: tuple[int, ...] | None = None
    for keyword in node.keywords:
        key = keyword.arg or ""
        if key in values:
            raise _fail(f"{short} got {key!r} twice (by position and by name)", keyword.value)
        if key in params or (short == "LeakyReLU" and key == "alpha"):
            values[key] = _literal(keyword.value)
        elif key == "name":
            name = _literal(keyword.value)
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w-]*", name):
                raise _fail(f"name={name!r}: a layer's name must be a word (letters, digits, _ or -)", keyword.value)
        elif key in _INPUT_KEYWORDS:
            shape = _input_shape(_literal(keyword.value), key, keyword.value)
        elif key == "trainable":
            if _literal(keyword.value) is not True:
                raise _fail(f"{short}: trainable={ast.unparse(keyword.value)} is not read; convcalc counts every parameter "
                            "of a Keras layer as Keras does when it trains it", keyword.value)
        elif key == "dtype":
            if _literal(keyword.value) not in (None, "float32"):
                raise _fail(f"{short}: dtype={ast.unparse(keyword.value)} is not read; give the element type to the "
                            "summary (--dtype) instead", keyword.value)
        elif _PASSED_OVER.fullmatch(key) and _passed_over(keyword.value):
            continue
        else:
            import difflib

            close = difflib.get_close_matches(key, params, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; it takes {', '.join(params) or 'no arguments'}"
            raise _fail(f"{short} has no argument {key!r}{hint}", keyword)
    try:
        activation = activation_layer(values.pop("activation", None), short) if cls is not None else None
        if cls is not None:
            problem = records.bind_error(cls, (), values)
            if problem:
                raise SpecError(f"{short}: {problem}")
            layer: Leaf | None = cls(**values)
        else:
            if params[0] in ("rate", "activation") and params[0] not in values:
                raise SpecError(f"{short}: missing required argument: {params[0]!r}")
            layer = _SHARED[short][1](**values)
    except SpecError as error:
        raise _fail(str(error), node) from None
    return _Item(layer, activation, keras_class, name, shape, node)


def _read_input(node: ast.Call, short: str) -> _Item:
    keywords = {k.arg: k for k in node.keywords}
    found: tuple[int, ...] | None = None
    given = [("shape", node.args[0])] if node.args else []
    given += [(k, v.value) for k, v in keywords.items() if k in ("shape", "batch_shape", "input_shape", "batch_input_shape")]
    if len(given) != 1:
        raise _fail(f"{short} needs the sample's shape once, as shape=(28, 28, 1) (channels last)", node)
    key, value = given[0]
    found = _input_shape(_literal(value), key, value)
    for k, v in keywords.items():
        if k not in ("shape", "batch_shape", "input_shape", "batch_input_shape", "batch_size", "name", "dtype", "sparse",
                     "ragged", "optional"):
            raise _fail(f"{short} has no argument {k!r} convcalc reads", v)
        if k == "dtype" and _literal(v.value) not in (None, "float32"):
            raise _fail(f"{short}: dtype={ast.unparse(v.value)} is not read; give the element type as --dtype", v.value)
    return _Item(None, None, "InputLayer", None, found, node)


# --- one layer -------------------------------------------------------------------------------------


@record
class KerasCall:
    """One Keras layer call as read: the layer; the activation its ``activation=`` adds (a row of its own in
    a spec, None for none or 'linear'); the input its ``input_shape=`` declares (channels last, ``28x28x1``);
    its ``name=``."""

    layer: Leaf
    activation: Leaf | None = None
    input_text: str | None = None
    name: str | None = None


def keras_call(text: str) -> KerasCall | None:
    """A Keras layer call (``Conv2D(32, (7, 7), strides=2)``, ``layers.Dense(10, activation="relu")``, a
    tutorial's ``model.add(Conv2D(…))``) with what it says beside its layer, or None when the text is no
    Keras call (torch's reader takes it then)."""
    tree = _parse(text.strip(), None, quiet=True)
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not isinstance(call, ast.Call) or not is_keras_call(call):
        return None
    func = dotted(call.func) or ""
    if func.endswith(".add") and len(call.args) == 1 and isinstance(call.args[0], ast.Call):
        call = call.args[0]
    item = read_call(call)
    if item.layer is None:
        what = "declares the input" if item.keras_class == "InputLayer" else "adds no layer"
        raise SpecError(f"{ast.unparse(call)} {what}; give a layer such as Conv2D(32, (3, 3))", line=1, column=1)
    shape = None if item.input_shape is None else _text(item.input_shape)
    return KerasCall(item.layer, item.activation, shape, item.name)


def keras_layer(text: str) -> Leaf | None:
    """The layer of :func:`keras_call` (None for text that is no Keras call). One layer: its ``activation=``
    (a row of its own in a spec), ``input_shape=`` and ``name=`` are left out (the layer's own figures do
    not depend on them); :func:`keras_call` has them."""
    found = keras_call(text)
    return None if found is None else found.layer


# --- whole models ----------------------------------------------------------------------------------


@record
class KerasModel:
    """A Keras model read from text: the network (rows named as Keras names them), the input its
    Input/input_shape gives (channels last, ``28x28x1``; None if none), the layout its shapes are written
    in (``hwc``), and the model's ``name=`` if given."""

    net: L.Sequential
    input_text: str | None
    layout: str = "hwc"
    name: str | None = None


_SHAPE_LINE = re.compile(r"input\s*[:=]?\s*(?P<shape>[\d\s x×X*,()\[\]]+?)\s*(?P<layout>chw|hwc)?\s*", re.IGNORECASE)
_MARKERS = re.compile(r"\bkeras\b|\bSequential\s*\(|\.add\s*\(|\blayers\.|\bInputLayer\b")


_KERAS_WORDS = re.compile(r"\b(?:keras|tensorflow|Sequential|InputLayer|Input|Activation|SpatialDropout[123]D)\b|\.add\s*\(|"
                          r"\blayers\.|\btf\.|\b(?:rate|axis|max_value|threshold|alpha|name|input_shape|input_dim|"
                          r"data_format)\s*=")


def _might_be_keras(text: str) -> bool:
    """Whether the text names anything Keras text would (a word only Keras uses, a Keras layer's name, a
    Keras-only keyword): if not, it is no Keras text, and needs no parsing to say so."""
    if _KERAS_WORDS.search(text):
        return True
    return any(f"{name}(" in text or f"{name} (" in text for name in keras_classes())


def _parse(text: str, line_offset: int | None, quiet: bool = False) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(text, mode="exec")
    except SyntaxError as error:
        if quiet:
            return None
        raise SpecError(f"not Python that Keras text can be ({error.msg})", line=error.lineno, column=error.offset) from None


def _names_keras(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and is_keras_call(node):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in ("keras", "tensorflow", "tf_keras") for m in modules):
                return True
    return False


def keras_model(text: str) -> KerasModel | None:
    """The Keras model a text writes (see the module's docstring), or None when it is no Keras text (a
    torch-style spec: no Keras call, prefix or import in it). A first line ``input 28x28x1`` (``hwc``
    or ``chw`` after it) gives the input as spec files do."""
    if not _might_be_keras(text):  # (a quick look first: torch specs of thousands of lines stay fast)
        return None
    lines = text.splitlines()
    input_text: str | None = None
    layout = "hwc"
    for i, raw in enumerate(lines):
        stripped = raw.split("#", 1)[0].strip()
        if not stripped:
            continue
        match = _SHAPE_LINE.fullmatch(stripped)
        if match:
            input_text = match["shape"].strip()
            layout = (match["layout"] or "hwc").lower()
            lines[i] = ""
        break
    body = "\n".join(lines)
    tree = _parse(body, None, quiet=True)
    if tree is None:
        if not _MARKERS.search(body) and not any(re.search(rf"\b{n}\s*\(", body) for n in keras_classes()):
            return None
        _parse(body, None)  # raises, with the line
        return None  # pragma: no cover - _parse raised
    if not _names_keras(tree):
        return None
    reader = _Reader()
    token = _CONSTANTS.set(reader.constants)
    try:
        for statement in tree.body:
            reader.statement(statement)
    finally:
        _CONSTANTS.reset(token)
    return reader.model(input_text, layout)


class _Reader:
    """Statement by statement: the model's variable, its layers in order, its input."""

    def __init__(self) -> None:
        self.items: list[_Item] = []
        self.variable: str | None = None
        self.sequential = False
        self.model_name: str | None = None
        self.constants: dict[str, Any] = {}  # num_classes = 10, input_shape = (28, 28, 1)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            bad = [m for m in modules if m.split(".")[0] not in _IMPORTABLE]
            if bad or (isinstance(node, ast.ImportFrom) and node.level):
                raise _fail(f"only imports of keras, tensorflow and numpy are passed over; {ast.unparse(node)!r} is not "
                            "Keras model text", node)
            return
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and self._is_sequential(value):
                self._sequential(value, node.targets[0].id)
                return
            if not isinstance(value, ast.Call) and _is_literal(value):
                self.constants[node.targets[0].id] = _literal(value)
                return
            if isinstance(value, ast.Call) and (isinstance(value.func, ast.Call) or _short(dotted(value.func) or "")[0] in _INPUT_NAMES):
                raise _fail("the functional API (x = layer(...)(x)) is not read; write the layers in "
                            "keras.Sequential([...]) or model.add(...)", node)
            raise _fail(f"{ast.unparse(node)!r}: only model = keras.Sequential(...) and names given literal values "
                        "(num_classes = 10) are read as assignments", node)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            func = dotted(call.func) or ""
            receiver, _, method = func.rpartition(".")
            if self._is_sequential(call):
                self._sequential(call, None)
                return
            if receiver.isidentifier() and (receiver == self.variable or (
                    self.variable is None and method in ("add", "summary", "compile"))):
                self._method(call, receiver, method)
                return
            if isinstance(call.func, ast.Call):
                raise _fail("the functional API (layer(...)(x)) is not read; write the layers in keras.Sequential([...])",
                            node)
            self._add(read_call(call))
            return
        raise _fail(f"{ast.unparse(node)!r} is not read: Keras text is keras.Sequential([...]), model.add(...) lines or "
                    "one layer call per line (imports, model.summary() and model.compile(...) are passed over)", node)

    @staticmethod
    def _is_sequential(call: ast.Call) -> bool:
        func = dotted(call.func) or ""
        return _short(func)[0] in _MODEL_NAMES

    def _sequential(self, call: ast.Call, variable: str | None) -> None:
        if self.sequential:
            raise _fail("a second keras.Sequential(...): one model per text", call)
        self.sequential, self.variable = True, variable
        if self.items:
            raise _fail("keras.Sequential(...) after layers: begin with the model, then add layers", call)
        listed: ast.AST | None = call.args[0] if call.args else None
        if len(call.args) > 1:
            raise _fail("keras.Sequential takes the list of layers and name=, got more", call)
        for keyword in call.keywords:
            if keyword.arg == "layers" and listed is None:
                listed = keyword.value
            elif keyword.arg == "name":
                self.model_name = _literal(keyword.value)
            elif keyword.arg == "trainable" and _literal(keyword.value) is True:
                continue
            else:
                raise _fail(f"keras.Sequential has no argument {keyword.arg!r} convcalc reads (layers, name)", keyword)
        if listed is None:
            return
        if not isinstance(listed, (ast.List, ast.Tuple)):
            raise _fail("keras.Sequential takes a list of layer calls, e.g. keras.Sequential([layers.Dense(10)])", listed)
        for element in listed.elts:
            if not isinstance(element, ast.Call):
                raise _fail(f"{ast.unparse(element)!r} is not a layer call", element)
            self._add(read_call(element))

    def _method(self, call: ast.Call, receiver: str, method: str) -> None:
        if method == "add":
            if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], ast.Call):
                raise _fail(f"{receiver}.add takes one layer call, e.g. {receiver}.add(layers.Dense(10))", call)
            if self.variable is None:
                self.variable = receiver
            self._add(read_call(call.args[0]))
        elif method == "summary" and not call.args and not call.keywords:
            return
        elif method == "compile":
            for value in [*call.args, *(k.value for k in call.keywords)]:
                _literal(value)  # refuses anything but literals
        else:
            raise _fail(f"{receiver}.{method}(…) is not read; Keras text is layers (model.add), model.summary() and "
                        "model.compile(...)", call)

    def _add(self, item: _Item) -> None:
        if item.layer is None and item.keras_class == "InputLayer":
            if self.items:
                raise _fail("the input (Input / InputLayer) must come before the layers", item.node)
        self.items.append(item)

    def model(self, input_text: str | None, layout: str) -> KerasModel:
        shape: tuple[int, ...] | None = None
        named: dict[str, Leaf] = {}
        counts: dict[str, int] = {}
        first_layer = True
        for item in self.items:
            if item.input_shape is not None and (item.layer is None and item.keras_class == "InputLayer" or first_layer):
                if shape is not None and shape != item.input_shape:
                    raise _fail(f"two inputs: {_text(shape)} and {_text(item.input_shape)}", item.node)
                shape = item.input_shape
            if item.keras_class == "InputLayer":
                continue
            first_layer = False
            base = snake_case(item.keras_class)
            n = counts.get(base, 0)
            counts[base] = n + 1
            row = item.name or (base if n == 0 else f"{base}_{n}")
            for key, layer in ((row, item.layer), (f"{row}_{_activation_name(item.activation)}", item.activation)):
                if layer is None:
                    continue
                if key in named:
                    raise _fail(f"the name {key!r} is used twice; Keras needs each layer's name to be unique", item.node)
                named[key] = layer
        if not named:
            raise SpecError("the Keras text holds no layers")
        if shape is not None:
            if input_text is not None and layout == "hwc" and input_text.replace(" ", "") != _text(shape):
                raise SpecError(f"the input line says {input_text} but the model's input is {_text(shape)}")
            input_text, layout = _text(shape), "hwc"
        return KerasModel(L.Sequential(named), input_text, layout, self.model_name if isinstance(self.model_name, str) else None)


def _text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _activation_name(layer: Leaf | None) -> str:
    return "" if layer is None else layer.kind
