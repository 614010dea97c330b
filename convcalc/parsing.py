"""Reading user text: shapes (``3x224x224``), layer calls as the lectures write them, spec files.

Spec text is parsed with Python's ``ast`` and only ever inspected: a call must name
a known layer (``nn.Conv2d``, ``F.max_pool2d``, ``x.view``, …) and its arguments
must be literals (numbers, strings, tuples, True/False/None). Nothing in the text
is evaluated, imported or looked up; anything else is a SpecError with its line.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable

from . import keras_text, records
from . import layers as L
from .errors import ConvCalcError, ShapeError, SpecError
from .inputs import NAME, Input
from .layers.base import LAYER_TYPES, Block, Layer, Leaf, Shape, is_int
from .literals import INPUT_NAMES, SEQUENTIAL_CALLS, dotted, literal
from .records import record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from pathlib import Path
    from typing import Any


def _close(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """difflib's close matches, for suggestions in errors (difflib loads only when one is made)."""
    import difflib

    return difflib.get_close_matches(word, list(choices), n=n)

_SEPARATORS = re.compile(r"\s*[x×X*,]\s*")
_DIGITS = re.compile(r"[0-9]{1,1000}")  # ASCII digits only (str.isdigit also takes ² and ①)


def parse_shape(text: str) -> Shape:
    """``"3x224x224"`` (also ``3×224×224``, ``3,224,224``, ``(3, 224, 224)``) -> ``(3, 224, 224)``.

    Channels first, no batch. Sizes must be positive whole numbers.
    """
    if not isinstance(text, str):
        raise ShapeError(f"an input shape must be text such as 3x224x224, got {text!r}")
    body = text.strip().strip("()[]").strip()
    parts = _SEPARATORS.split(body) if body else []
    if not parts or not all(_DIGITS.fullmatch(p) for p in parts):
        raise ShapeError(f"cannot read input shape {text!r}; write it as sizes joined by x, channels first, e.g. 3x224x224")
    shape = tuple(int(p) for p in parts)
    if any(d == 0 for d in shape):
        raise ShapeError(f"input shape {text!r} has a zero size; every size must be at least 1")
    return shape


# --- reading an input shape against a network ------------------------------------------------

def first_leaf(net: Layer) -> Leaf | None:
    """The first leaf ``net`` runs (following the first child of each block), if any."""
    layer: Any = net
    while not isinstance(layer, Leaf):
        children = layer.children() if hasattr(layer, "children") else ()
        if not children:
            return None
        layer = children[0][1]
    return layer


def first_channels(net: Layer) -> int | None:
    """The input channels the first layer of ``net`` declares, if it declares any."""
    layer = first_leaf(net)
    if layer is None:
        return None
    value = getattr(layer, layer.inferred, None) if layer.inferred else None
    return None if value is None or layer.inferred == "in_features" else int(value)


def read_input(net: Layer, given: str | Shape) -> tuple[Shape, str | None, str]:
    """The input shape ``given`` (text, or sizes as a tuple) gives for ``net`` when no layout was
    said: the shape channels first, a note when it was read channels last, and the layout read.

    A shape is read H×W×C (channels last, as CS231n and Keras write it) only when that is the only
    reading the network can take. Where the first layer declares its input channels, they decide
    (one reading matches them); where it takes any channels (a pool, an activation), both readings
    are walked: one that fails leaves the other, and two that work with different answers are a
    ShapeError naming both. Readings that agree, and shapes with one reading, are channels first.
    """
    from .inputs import check_input
    from .layout import ambiguous, canonical, order, same_answers

    shape = parse_shape(given) if isinstance(given, str) else check_input(given)
    text = given.strip() if isinstance(given, str) else "x".join(map(str, shape))
    flipped = canonical(shape, "hwc")
    if flipped == shape:  # one dim, or all sizes equal: one reading
        return shape, None, "chw"
    leaf = first_leaf(net)
    if leaf is not None and type(leaf).input_dtype is not None:  # ids (an Embedding's): no channels to read either way
        return shape, None, "chw"
    channels = first_channels(net)
    hwc_note = f"read {text} as {order('hwc', len(shape))}, channels last"
    if channels is not None:
        first, last = shape[0] == channels, shape[-1] == channels
        if last and not first:
            return flipped, f"{hwc_note} (the first layer takes {channels} channel{'s' if channels != 1 else ''}); shapes are shown so", "hwc"
        if first != last or not first:  # channels first fits alone, or neither does (its error follows)
            return shape, None, "chw"
    from .walk import analyze

    readings: dict[str, Any] = {}
    errors: dict[str, ShapeError] = {}
    for layout, candidate in (("chw", shape), ("hwc", flipped)):
        try:
            readings[layout] = analyze(net, candidate, layout=layout)
        except ShapeError as error:
            errors[layout] = error
    if "chw" not in readings:
        if "hwc" not in readings:
            raise errors["chw"]
        failed = errors["chw"].where or errors["chw"].detail
        return flipped, (f"{hwc_note}, the only reading the network fits (as {order('chw', len(shape))} it fails at "
                         f"{failed}); shapes are shown so"), "hwc"
    if "hwc" in readings and not same_answers(readings["chw"], readings["hwc"]):
        raise ambiguous(text, readings["chw"], readings["hwc"])
    return shape, None, "chw"


# --- layer calls -------------------------------------------------------------------------------

_DOT_ARGUMENT = re.compile(r"\(\s*\.\s*(?=[,)])")  # F.relu(.) as the lectures write it: "." is the input


@record
class _Functional:
    """A functional call: the layer it is, and its arguments after the input, in its own order."""

    layer: type[Leaf]
    params: tuple[str, ...]
    dropped: tuple[str, ...] = ()  # arguments that change nothing we count (F.dropout's training)
    inputs: tuple[str, ...] = ()  # further tensor arguments: the input again (sdpa's key and value), or left out


def _text_types() -> list[type[Leaf]]:
    """The layer types spec text may name: every registered leaf but the joins of blocks."""
    return [cls for cls in LAYER_TYPES.values() if issubclass(cls, Leaf) and cls.in_text]


def functionals() -> dict[str, _Functional]:
    """``max_pool2d`` -> MaxPool2d and its argument order: derived from the classes' ``functional`` forms."""
    table: dict[str, _Functional] = {}
    for cls in _text_types():
        for name, params in cls.functional_forms().items():
            if name in table:
                raise TypeError(f"the functional {name!r} is declared by both {table[name].layer.__name__} and {cls.__name__}")
            table[name] = _Functional(cls, params, tuple(p for p in cls.functional_ignored if p in params),
                                      tuple(p for p in cls.functional_inputs if p in params))
    return table


def block_names() -> dict[str, type[Block]]:
    """The blocks spec text may call by name, their layers written as calls inside the call
    (``nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8), num_layers=6)``): those that declare ``in_text``."""
    return {cls.__name__: cls for cls in LAYER_TYPES.values() if issubclass(cls, Block) and getattr(cls, "in_text", False)}


def layer_names() -> dict[str, type[Leaf]]:
    """The names spec text may call a layer by (its class name, and its aliases) -> the class."""
    names: dict[str, type[Leaf]] = {}
    for cls in _text_types():
        for name in (cls.__name__, *cls.aliases):
            names[name] = cls
    return names


_MODULE_PREFIXES = ("nn.", "torch.nn.", "cc.", "convcalc.")
_FUNCTION_PREFIXES = ("F.", "torch.nn.functional.", "nn.functional.", "torch.")


def _where(node: ast.AST, line: int | None) -> dict[str, int | None]:
    return {"line": line, "column": getattr(node, "col_offset", -1) + 1}


def _literal(node: ast.AST, line: int | None) -> Any:
    """A literal argument, read as :func:`convcalc.literals.literal` reads one; anything else is refused, never evaluated."""
    return literal(node, lambda message, at: SpecError(message, **_where(at, line)),
                   "arguments must be literals such as 3, (3, 3), 'same' or True, or whole-number arithmetic such as 16 * 5 * 5")


def _refuse_names(tree: ast.AST, line: int | None) -> None:
    for node in ast.walk(tree):
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name and name.startswith("__"):
            raise SpecError(f"{name!r}: names with double underscores are never accepted", **_where(node, line))


def _build(cls: type[Layer], name: str, args: list[Any], kwargs: dict[str, Any], node: ast.AST,
           line: int | None) -> Layer:
    """``cls(*args, **kwargs)``, its arguments checked first; ``trainable=False`` (any layer or block, as Keras
    writes it) freezes its parameters for a training step (:func:`convcalc.walk.frozen`)."""
    if "trainable" in kwargs:
        kwargs = dict(kwargs)
        trainable = kwargs.pop("trainable")
        if not isinstance(trainable, bool):
            raise SpecError(f"{name}: trainable must be True or False, got {trainable!r}", **_where(node, line))
        from .walk import frozen

        return frozen(_build(cls, name, args, kwargs, node, line), trainable)
    names = records.init_parameters(cls)
    if names is None:  # a hand-written constructor (SqueezeExcitation): ask inspect, off the fast path
        import inspect

        signature = inspect.signature(cls)
        names = tuple(signature.parameters)
        try:
            signature.bind(*args, **kwargs)
            problem = None
        except TypeError as error:
            problem = str(error)
    else:
        problem = records.bind_error(cls, args, kwargs)
    for key in kwargs:
        if key not in names:
            close = _close(key, names, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; it takes {', '.join(names) or 'no arguments'}"
            raise SpecError(f"{name} has no argument {key!r}{hint}", **_where(node, line))
    if len(args) > len(names):
        raise SpecError(f"{name} takes at most {len(names)} arguments ({', '.join(names)}), got {len(args)}",
                        **_where(node, line))
    if problem:
        raise SpecError(f"{name}: {problem}", **_where(node, line))
    try:
        return cls(*args, **kwargs)
    except SpecError as error:
        raise SpecError(str(error), **_where(node, line)) from None


def _module_name(func: str) -> str:
    """A dotted call's name without torch's or convcalc's module prefix (``nn.Conv2d`` -> ``Conv2d``)."""
    for prefix in _MODULE_PREFIXES:
        if func.startswith(prefix):
            return func[len(prefix):]
    return func


def _block_call(node: ast.AST) -> type[Block] | None:
    """The block a call names (``nn.TransformerEncoder(…)``), if it names one spec text may call."""
    func = dotted(node.func) if isinstance(node, ast.Call) else None
    return block_names().get(_module_name(func)) if func is not None else None


def _nested(node: ast.Call) -> ast.Call | None:
    """The first call inside ``node`` that spec text does not take: any, but the layers given to a block
    (``nn.TransformerEncoder(nn.TransformerEncoderLayer(…), 6)``), read as calls of their own."""
    inner = next((n for n in ast.walk(node.func) if isinstance(n, ast.Call)), None)
    if inner is not None:
        return inner
    block = _block_call(node) is not None
    for arg in [*node.args, *(k.value for k in node.keywords)]:
        if block and isinstance(arg, ast.Call):
            found = _nested(arg)
        else:
            found = next((n for n in ast.walk(arg) if isinstance(n, ast.Call)), None)
        if found is not None:
            return found
    return None


def _block(cls: type[Block], name: str, node: ast.Call, line: int | None) -> Layer:
    """A block from its call: arguments that are calls are its layers (read as any layer call), the others literals."""
    def argument(value: ast.AST) -> Any:
        return _call(value, line) if isinstance(value, ast.Call) else _literal(value, line)

    return _build(cls, name, [argument(a) for a in node.args], {k.arg: argument(k.value) for k in node.keywords if k.arg}, node, line)


def _tensor_arguments(functional: _Functional, func: str, node: ast.Call, line: int | None) -> ast.Call:
    """The call without the tensors a functional form reads besides its first (``F.scaled_dot_product_attention``'s
    key and value), each checked to be that first tensor again: spec text gives the layer one tensor (q = k = v).
    The arguments after them are passed by name, so that they keep their places."""
    first = node.args[0]
    assert isinstance(first, ast.Name)  # (checked by the caller)
    if len(node.args) - 1 > len(functional.params):
        raise SpecError(f"{func} takes at most {len(functional.params)} arguments after the input, got {len(node.args) - 1}",
                        **_where(node, line))
    positional = list(zip(functional.params, node.args[1:]))
    for param, value in [*positional, *((k.arg, k.value) for k in node.keywords)]:
        if param in functional.inputs and not (isinstance(value, ast.Name) and value.id == first.id):
            raise SpecError(f"{func}: {param} is {ast.unparse(value)}, not the tensor the call reads first; spec text gives "
                            f"it one tensor, its query, key and value alike (self-attention): write {func}(x, x, x, …) or "
                            f"leave them out ({func}(is_causal=True)); keys and values of their own: "
                            "ScaledDotProductAttention(source_length=…, value_dim=…), or count the network in torch with "
                            "from_torch", **_where(value, line))
    keywords = [ast.keyword(arg=p, value=a) for p, a in positional if p not in functional.inputs]
    keywords += [k for k in node.keywords if k.arg not in functional.inputs]
    return ast.copy_location(ast.Call(func=node.func, args=[first], keywords=keywords), node)


def _call(node: ast.Call, line: int | None) -> Layer:
    """One known call: a layer class, a functional form on the input, or a method of the input."""
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        raise SpecError("starred arguments (*args, **kwargs) are not accepted", **_where(node, line))
    func = dotted(node.func)
    if func is None:
        raise SpecError(f"{ast.unparse(node.func)!r} is not a layer call", **_where(node, line))
    receiver, _, method = func.rpartition(".")
    if receiver in INPUT_NAMES:  # x.view(-1, 256), x.flatten(1)
        args = [_literal(a, line) for a in node.args]
        kwargs = _keywords(node, line)
        if method in ("view", "reshape"):
            sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            if len(sizes) < 2 or kwargs:
                raise SpecError(f"{func}(…) needs the batch size and the per-sample sizes, e.g. x.view(-1, 256)",
                                **_where(node, line))
            return _build(L.Reshape, "Reshape", [tuple(sizes[1:])], {}, node, line)
        if method == "flatten":
            return _build(L.Flatten, "Flatten", args, kwargs, node, line)
        raise SpecError(f"{func}(…) is not a layer convcalc knows; use a call such as nn.Conv2d(…)", **_where(node, line))
    known_functions = functionals()
    for prefix in _FUNCTION_PREFIXES:
        short = func[len(prefix):] if func.startswith(prefix) else None
        if short in known_functions:
            functional = known_functions[short]
            if functional.inputs and not node.args:  # F.scaled_dot_product_attention(is_causal=True): q = k = v, the input
                node = ast.copy_location(ast.Call(func=node.func, args=[ast.Name(id="_", ctx=ast.Load())], keywords=node.keywords), node)
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Name) and first.id in INPUT_NAMES):
                raise SpecError(f"{func}(…) takes the input first, written '.' or x, e.g. {func}(., …)",
                                **_where(node, line))
            if functional.inputs:
                node = _tensor_arguments(functional, func, node, line)
            positional = [_literal(a, line) for a in node.args[1:]]
            if len(positional) > len(functional.params):
                raise SpecError(f"{func} takes at most {len(functional.params)} arguments after the input, got "
                                f"{len(positional)}", **_where(node, line))
            kwargs = dict(zip(functional.params, positional))
            for k in node.keywords:
                key = k.arg or ""  # (**kwargs were refused above)
                if key not in functional.params:
                    close = _close(key, functional.params, n=1)
                    hint = f"; did you mean {close[0]}?" if close else f"; it takes {', '.join(functional.params)}"
                    raise SpecError(f"{func} has no argument {key!r}{hint}", **_where(k, line))
                kwargs[key] = _literal(k.value, line)
            for arg in functional.dropped:
                kwargs.pop(arg, None)
            return _build(functional.layer, func, [], kwargs, node, line)
    name = _module_name(func)
    block = _block_call(node)
    if block is not None:
        return _block(block, name, node, line)
    names = layer_names()
    torch_named = func.startswith(("nn.", "torch.nn."))
    if torch_named:  # nn.Conv2D is a slip for torch's Conv2d, not Keras' Conv2D
        names = {n: c for n, c in names.items() if not c.framework}
    cls = names.get(name)
    if cls is None:
        from .names import did_you_mean

        known = sorted(set(names) | (set() if torch_named else set(known_functions)))
        hint = did_you_mean(name.split(".")[-1], known)
        raise SpecError(f"{func} is not a layer convcalc knows{hint}", **_where(node, line))
    args = [_literal(a, line) for a in node.args]
    return _build(cls, name, args, _keywords(node, line), node, line)


def _keywords(node: ast.Call, line: int | None) -> dict[str, Any]:
    """A call's keyword arguments as literals (``**kwargs`` were refused before this is asked)."""
    return {k.arg: _literal(k.value, line) for k in node.keywords if k.arg is not None}


def _statement(text: str, line: int | None = None) -> tuple[str | None, Layer]:
    """``nn.Conv2d(1, 32, 5)``, or ``self.conv1 = nn.Conv2d(1, 32, 5)`` (the name becomes the path)."""
    source = _DOT_ARGUMENT.sub("(_", text.strip())
    try:
        with warnings.catch_warnings():  # Python's SyntaxWarnings (`3if`) would print beside our one-line error
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, mode="exec")
    except SyntaxError as error:
        opened, closed = source.count("(") + source.count("["), source.count(")") + source.count("]")
        problem = "unbalanced brackets" if opened != closed else f"not a call ({error.msg})"
        raise SpecError(f"{problem} in {text.strip()!r}", line=line, column=error.offset) from None
    _refuse_names(tree, line)
    if len(tree.body) != 1:
        raise SpecError(f"one call per line, got {len(tree.body)} statements", line=line, column=1)
    statement = tree.body[0]
    target: str | None = None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = dotted(statement.targets[0])
        if target is None:
            raise SpecError("assign the layer to a plain name, e.g. conv1 = nn.Conv2d(…)", **_where(statement, line))
        target = target.removeprefix("self.")
        value: ast.AST = statement.value
    elif isinstance(statement, ast.Expr):
        value = statement.value
    else:
        raise SpecError(f"expected a layer call such as nn.Conv2d(1, 32, 5), got {text.strip()!r}", line=line, column=1)
    if not isinstance(value, ast.Call):
        raise SpecError(f"expected a layer call such as nn.Conv2d(1, 32, 5), got {text.strip()!r}", **_where(value, line))
    inner = _nested(value)
    if inner is not None:
        raise SpecError(f"one layer per line: {ast.unparse(inner)!r} is nested inside another call", **_where(inner, line))
    if target is not None and not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", target):
        raise SpecError(f"{target!r} cannot name a layer", line=line, column=1)
    return (target.replace(".", "_") if target else None), _call(value, line)


def parse_layer(text: str) -> Layer:
    """One layer from a call as the lectures write it: ``nn.Conv2d(3, 10, 5, padding=2)``,
    ``F.max_pool2d(., kernel_size=3)``, ``x.view(-1, 256)``."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("give a layer call such as nn.Conv2d(3, 10, kernel_size=5, padding=2)")
    keras = keras_text.keras_layer(text)  # Conv2D(32, (7, 7), strides=2), layers.Dense(10), model.add(…)
    if keras is not None:
        return keras
    return _statement(text)[1]


# --- spec files ----------------------------------------------------------------------------------

_INPUT_LINE = re.compile(r"input\s*[:=]?\s*(?P<shape>.+?)(?:\s+(?P<layout>chw|hwc))?", re.IGNORECASE)
_VGG_ITEM = re.compile(r"(?:conv(?P<k>\d+)-(?P<c>\d+)|(?P<pool>maxpool)|fc-(?P<fc>\d+)|(?P<soft>soft-?max)|(?P<lrn>lrn))",
                       re.IGNORECASE)
MAX_SPEC_BYTES = 1_000_000


@record
class Spec:
    """A network read from text, with the input its ``input`` line gives (if any)."""

    net: Layer
    input_text: str | None
    name: str = "spec"
    layout: str | None = None  # "chw" or "hwc" where the text says (an input line's word, Keras text); else read


def _strip_comment(line: str) -> str:
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def parse_spec(text: str, name: str = "spec") -> Spec:
    """A network from spec text: one torch-style call per line, an ``nn.Sequential(…)``, a forward pass
    (``x1 = nn.Conv2d(3, 16, 3)(x)``, branches joined by ``torch.cat``, ``+`` and ``*``: :mod:`convcalc.forward_text`),
    or the VGG paper's notation.

    An optional first line ``input 1x28x28`` gives the input (``input 32x32x3 hwc``: written channels
    last; ``chw``: channels first; without the word it is read as :func:`read_input` reads any input). In the VGG notation
    (``conv3-64 maxpool FC-4096 soft-max``) each conv is padded to keep its size and
    followed by ReLU, as are all FC layers but the last; a flatten comes before the first FC.
    """
    keras = keras_text.keras_model(text)  # keras.Sequential([...]), model.add(…) lines, Keras layer calls
    if keras is not None:
        return Spec(keras.net, keras.input_text, keras.name or name, layout=keras.layout)
    lines = [(i + 1, _strip_comment(raw).strip()) for i, raw in enumerate(text.splitlines())]
    lines = [(n, line) for n, line in lines if line]
    if not lines:
        raise SpecError(f"{name} holds no layers (only blank lines and comments)")
    input_text = layout = None
    match = _INPUT_LINE.fullmatch(lines[0][1])
    if match:
        input_text = match["shape"].strip()
        layout = match["layout"].lower() if match["layout"] else None
        lines = lines[1:]
        if not lines:
            raise SpecError(f"{name} gives an input but no layers", line=1)
    sequential = _torch_sequential(lines)
    if sequential is not None:
        return Spec(sequential, input_text, name, layout)
    forward = _forward(lines)
    if forward is not None:
        return Spec(forward, input_text, name, layout)
    if any("(" in line for _, line in lines):
        return Spec(_torch_notation(lines), input_text, name, layout)
    return Spec(_vgg_notation(lines), input_text, name, layout)




def _torch_sequential(lines: list[tuple[int, str]]) -> Layer | None:
    """``net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), …)`` over any number of lines, as d2l.ai and the
    torch tutorials print a model (its layers are rows 0, 1, …, as torch numbers them), or None for other text."""
    if not any(marker in line for _, line in lines for marker in SEQUENTIAL_CALLS):
        return None
    padded = _padded(lines)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(padded, mode="exec")
    except SyntaxError:
        return None
    if len(tree.body) != 1:
        return None
    statement = tree.body[0]
    value = statement.value if isinstance(statement, (ast.Expr, ast.Assign)) else None
    if not (isinstance(value, ast.Call) and dotted(value.func) in SEQUENTIAL_CALLS):
        return None
    _refuse_names(tree, None)
    if value.keywords or any(not isinstance(a, ast.Call) for a in value.args):
        raise SpecError("nn.Sequential(…) takes layer calls such as nn.Conv2d(1, 6, 5), one after another",
                        line=value.lineno, column=value.col_offset + 1)
    layers: list[Layer] = []
    for arg in value.args:
        assert isinstance(arg, ast.Call)  # (checked above)
        if dotted(arg.func) in SEQUENTIAL_CALLS:
            raise SpecError("an nn.Sequential inside another: write its layers in the outer one",
                            line=arg.lineno, column=arg.col_offset + 1)
        inner = _nested(arg)
        if inner is not None:
            raise SpecError(f"{ast.unparse(inner)!r} is nested inside a layer call", line=inner.lineno,
                            column=inner.col_offset + 1)
        layers.append(_call(arg, arg.lineno))
    if not layers:
        raise SpecError("nn.Sequential() holds no layers", line=value.lineno, column=1)
    return L.Sequential(*layers)


def _padded(lines: list[tuple[int, str]]) -> str:
    """The lines as one text, each at its number in the file (comments and blank lines left empty)."""
    placed = [""] * lines[-1][0]
    for number, line in lines:
        placed[number - 1] = line
    return "\n".join(placed)


def _is_functional(func: str) -> bool:
    """Whether a dotted call names a functional form (``F.relu``, ``torch.flatten``) that takes the tensor first."""
    table = functionals()
    return any(func.startswith(prefix) and func[len(prefix):] in table for prefix in _FUNCTION_PREFIXES)


def _forward(lines: list[tuple[int, str]]) -> Layer | None:
    """A forward pass (``x1 = nn.Conv2d(3, 16, 3)(x)``, ``y = torch.cat([x1, x2], dim=1)``, see
    :mod:`convcalc.forward_text`) as blocks, or None for text in another form."""
    from . import forward_text

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(_padded(lines), mode="exec")
    except SyntaxError as error:  # a forward pass with a line Python cannot read: say which, once sure it is one
        for _, line in lines:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SyntaxWarning)
                    single = ast.parse(line, mode="exec")
            except SyntaxError:
                continue
            if forward_text.looks_forward(single):
                raise SpecError(f"not a forward-pass line ({error.msg})", line=error.lineno, column=error.offset) from None
        return None
    except (RecursionError, MemoryError):
        raise SpecError("the text nests too deeply to read (hundreds of calls or terms inside one another)") from None
    if not forward_text.looks_forward(tree):
        return None
    for statement in tree.body:
        _refuse_names(statement, statement.lineno)
    try:
        return forward_text.forward_net(tree, _call, _is_functional)
    except RecursionError:
        raise SpecError("the forward pass nests too deeply to read (hundreds of calls or terms inside one another)") from None


def _torch_notation(lines: list[tuple[int, str]]) -> Layer:
    named: dict[str, Layer] = {}
    for number, line in lines:
        target, layer = _statement(line, number)
        key = target or str(len(named))
        if key in named:
            raise SpecError(f"the name {key!r} is used twice", line=number, column=1)
        named[key] = layer
    return L.Sequential(named)


def _vgg_notation(lines: list[tuple[int, str]]) -> Layer:
    items = [(number, item) for number, line in lines for item in line.split()]
    fcs = [i for i, (_, item) in enumerate(items) if item.lower().startswith("fc-")]
    layers: list[Leaf] = []
    flattened = False
    for i, (number, item) in enumerate(items):
        match = _VGG_ITEM.fullmatch(item)
        if not match:
            raise SpecError(f"{item!r} is not VGG notation (conv3-64, conv1-256, maxpool, FC-4096, soft-max, LRN) "
                            "nor a layer call", line=number, column=1)
        if match["k"]:
            kernel = int(match["k"])
            layers += [L.Conv2d(None, int(match["c"]), kernel, padding=kernel // 2), L.ReLU(inplace=True)]
        elif match["pool"]:
            layers.append(L.MaxPool2d(2, 2))
        elif match["lrn"]:
            layers.append(L.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
        elif match["soft"]:
            layers.append(L.Softmax(dim=1))
        else:
            if not flattened:
                layers.append(L.Flatten())
                flattened = True
            layers.append(L.Linear(None, int(match["fc"])))
            if i != fcs[-1]:
                layers.append(L.ReLU(inplace=True))
    return L.Sequential(*layers)


def read_user_file(path: str | Path, what: str, error: type[ConvCalcError], limit: int = MAX_SPEC_BYTES) -> str:
    """The text of a file the user named, or ``error`` saying why not: missing, a directory,
    unreadable, larger than ``limit`` bytes (never read whole), binary, or not UTF-8."""
    from pathlib import Path  # pathlib costs milliseconds at import; only files need it

    p = Path(path)
    try:
        with p.open("rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise error(f"no such file: {p}") from None
    except IsADirectoryError:
        raise error(f"{p} is a directory, not {what}") from None
    except OSError as problem:
        raise error(f"cannot read {p}: {problem.strerror or problem}") from None
    if len(data) > limit:
        raise error(f"{p} is larger than {limit:,} bytes; {what} is at most that") from None
    if b"\0" in data:
        raise error(f"{p} is a binary file, not {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise error(f"{p} is not UTF-8 text (byte {problem.start} is 0x{data[problem.start]:02x}); "
                    f"{what} is plain text") from None


def read_spec_file(path: str | Path) -> Spec:
    """A spec file: text, at most 1 MB; missing, empty, binary and unreadable files are SpecErrors."""
    from pathlib import Path

    p = Path(path)
    text = read_user_file(p, "a spec file", SpecError)
    try:
        return parse_spec(text, name=p.name)
    except SpecError as error:
        located = SpecError(f"{p}: {error}")
        located.line, located.column = error.line, error.column
        raise located from None


# --- inputs as users give them (several, named, typed) ----------------------------------------

def read_inputs(given: Any) -> tuple[Input, ...]:
    """Every form an input may take, as Inputs (positional ones first, in order; then the keyword ones):
    a shape (``(3, 32, 32)``, ``"3x32x32"``), an :class:`Input`, a list or tuple of those (several positional
    inputs: an Input with a name among them is passed by keyword), or a dict name -> one of those (keyword
    inputs). A tuple of ints is one shape; a sequence holding anything else is several inputs."""
    if isinstance(given, Input):
        return (given,)
    if isinstance(given, dict):
        if not given:
            raise ShapeError("no inputs given: the dict of keyword inputs is empty")
        named = []
        for key, value in given.items():
            if not isinstance(key, str):
                raise SpecError(f"keyword input names must be text, got {key!r}")
            one = value if isinstance(value, Input) else _one(value)
            if one.name is not None and one.name != key:
                raise SpecError(f"keyword input {key!r} holds an Input named {one.name!r}; name it once")
            named.append(replace(one, name=key))
        return _ordered(named)
    if isinstance(given, (list, tuple)) and given and not all(is_int(d) for d in given):
        return _ordered([item if isinstance(item, Input) else _one(item) for item in given])
    return (_one(given),)


def _one(shape: Any) -> Input:
    """An unnamed input of the report's dtype: sizes, or text such as ``3x32x32``."""
    return Input(parse_shape(shape) if isinstance(shape, str) else shape)


def _ordered(inputs: list[Input]) -> tuple[Input, ...]:
    names = [i.name for i in inputs if i.name is not None]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SpecError(f"input {twice[0]!r} is given twice; each keyword input once")
    return (*(i for i in inputs if i.name is None), *(i for i in inputs if i.name is not None))


def parse_input(text: str) -> Input:
    """The CLI's ``--input`` text: ``[NAME=]SHAPE[:DTYPE]`` (``3x32x32``, ``128:int64``, ``mask=1x32x32:bool``)."""
    if not isinstance(text, str):
        raise ShapeError(f"an input must be text such as 3x224x224, got {text!r}")
    name, eq, rest = text.partition("=")
    if not eq:
        name, rest = "", text
    shape, colon, dtype = rest.partition(":")
    name = name.strip()
    if eq and not NAME.fullmatch(name):
        raise SpecError(f"cannot read input {text!r}: the name before '=' must be the forward's keyword, e.g. mask=1x32x32")
    if colon and not dtype.strip():
        raise SpecError(f"cannot read input {text!r}: name a dtype after ':', e.g. 128:int64")
    return Input(parse_shape(shape), dtype.strip() or None if colon else None, name or None)


def read_cli_inputs(texts: tuple[str, ...] | list[str]) -> Any:
    """What repeated ``--input`` options give: None, the text of one plain shape (read as before, layouts and
    all), or Inputs for the library (several, named or typed)."""
    if not texts:
        return None
    if len(texts) == 1 and "=" not in texts[0] and ":" not in texts[0]:
        return texts[0]
    inputs = [parse_input(t) for t in texts]
    return inputs[0] if len(inputs) == 1 and inputs[0].name is None else list(inputs)


def one_input(given: Any, what: str = "a convcalc network") -> tuple[Any, Input | None]:
    """The one input a spec network takes: (its shape or text, as before, the Input if one was given)."""
    if given is None or isinstance(given, str):
        return given, None
    inputs = read_inputs(given)
    if len(inputs) != 1:
        raise SpecError(f"{what} takes one input, got {len(inputs)}: {', '.join(map(str, inputs))}; several inputs are "
                        "for torch modules (from_torch)")
    if inputs[0].name is not None:
        raise SpecError(f"{what} takes one input, without a name; {inputs[0]} names a forward's keyword, which only "
                        "torch modules have (from_torch)")
    only = inputs[0]
    return only.shape, only if isinstance(given, Input) else None


#: The element types torch takes for ids (``nn.Embedding``'s indices: Long or Int).
ID_DTYPES = ("int64", "long", "int32", "int")


def input_dtype(net: Layer, given: Input | None) -> str | None:
    """The element type of a convcalc network's one input, as ``given`` says it (None: the report's own).

    Where the first layer reads ids (``Leaf.input_dtype``: an Embedding), an integer type torch takes for them;
    elsewhere a real-valued one. Any other is a SpecError naming the layer and what to pass."""
    if given is None or given.dtype is None:
        return None
    leaf = first_leaf(net)
    ids = type(leaf).input_dtype if leaf is not None else None
    if ids is not None:
        if given.dtype not in ID_DTYPES:
            raise SpecError(f"{leaf} reads integer ids, not {given.dtype}: give them as {replace(given, dtype=ids)} "
                            f"(an id type torch takes: {', '.join(ID_DTYPES)})")
        return given.dtype
    if given.integer:
        first = f"its first layer, {leaf}," if leaf is not None else "it"
        raise SpecError(f"input {given} holds {given.dtype} values, but {first} takes real values; give {replace(given, dtype=None)} "
                        "(integer ids are for a network that starts with an Embedding, or a torch module whose forward reads them)")
    return given.dtype
