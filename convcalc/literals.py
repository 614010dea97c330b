"""Reading the literals of user text from its ``ast``, never running it: the one reader that torch-style
spec text (:mod:`convcalc.parsing`) and Keras model text (:mod:`convcalc.keras_text`) share."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any

ARITHMETIC: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
}
LARGEST = 10**30  # whole-number arithmetic in a spec stays below this, so no line can build a huge number


def dotted(node: ast.AST) -> str | None:
    """``nn.Conv2d`` for an attribute chain of plain names, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def literal(node: ast.AST, fail: Callable[[str, ast.AST], Exception], refused: str,
            names: Mapping[str, Any] | None = None, tuples: bool = False) -> Any:
    """A literal argument: numbers, strings, True/False/None, tuples and lists of them (lists stay lists
    unless ``tuples``), whole-number arithmetic such as ``16 * 5 * 5`` as the tutorials write it, and the
    ``names`` the text gave such a value (``num_classes = 10``). Anything else is ``fail(refused …)``."""
    def read(item: ast.AST) -> Any:
        return literal(item, fail, refused, names, tuples)

    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, type(None))):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        values = [read(item) for item in node.elts]
        return tuple(values) if tuples or isinstance(node, ast.Tuple) else values
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = read(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        a, b = read(node.left), read(node.right)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b)):
            if isinstance(node.op, ast.FloorDiv) and b == 0:
                raise fail(f"{ast.unparse(node)!r} divides by zero", node)
            value = ARITHMETIC[type(node.op)](a, b)
            if abs(value) < LARGEST:
                return value
            raise fail(f"{ast.unparse(node)!r} is too large for a layer size", node)
    if isinstance(node, ast.Name) and names is not None and node.id in names:
        return names[node.id]
    raise fail(f"{refused}; {ast.unparse(node)!r} is not one", node)


#: How spec text names torch's Sequential, in the nn.Sequential(…) form and in forward text.
SEQUENTIAL_CALLS = ("nn.Sequential", "torch.nn.Sequential")
#: The names the one-call-per-line form gives its input (``x.view(-1, 256)``, ``F.relu(x)``).
INPUT_NAMES = frozenset({"x", "_", "input", "inp", "out", "h"})
