"""Spec text written the way a forward pass is written, read with ``ast`` and never run::

    x1 = nn.Conv2d(3, 16, 3, padding=1)(x)
    x2 = F.relu(nn.MaxPool2d(2)(x1))
    x5 = torch.cat([x2, x1], dim=1)

``x`` is the input; each line assigns a name; a value is a layer call applied to a name
(``nn.Conv2d(…)(x1)``, ``nn.Sequential(…)(x1)``), a functional call on one (``F.relu(x1)``,
``torch.sigmoid(x1)``), a tensor method (``x1.flatten(1)``, ``x1.view(-1, 256)``), ``torch.cat([…], dim=1)``,
``a + b`` or ``a * b``; calls nest (``F.relu(nn.MaxPool2d(2)(x1))`` is a chain). The last assigned
name, or a final ``return``, is the output.

The lines make a dataflow graph. It becomes convcalc's existing blocks by series-parallel
decomposition over the graph's dominator tree: a chain of one-input steps is a Sequential; a join
(``torch.cat``, ``+``, ``*``) with its branches from their nearest common dominator (the fork) is a
Concat (branches in the call's order, the fork itself an Identity branch), a Residual (``body + shortcut``,
either side the identity), a Scale (``x * gate(x)``) or a Product (``a * b``, both computed). Every step of
the text becomes exactly one row; a step that two branches would each need (a graph that is not series-parallel: skips that cross) is
refused with its line, never counted twice.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from . import layers as L
from .errors import SpecError
from .layers.base import Layer, Leaf
from .literals import INPUT_NAMES, SEQUENTIAL_CALLS, dotted, literal

INPUT = "x"
_CAT = ("torch.cat", "torch.concat", "torch.concatenate")
_STACK = ("torch.stack", "torch.hstack", "torch.vstack", "torch.dstack")
_METHODS = ("view", "reshape", "flatten")
_JOIN_OPS: dict[type, str] = {ast.Add: "add", ast.Mult: "mul"}
_ARITHMETIC = {"torch.add": "add", "torch.mul": "mul", "torch.multiply": "mul"}
_TENSOR_MATH = {ast.Sub: "-", ast.Div: "/", ast.MatMult: "@", ast.FloorDiv: "//", ast.Pow: "**", ast.Mod: "%"}

#: Reads one layer call (literal arguments only) at a line: parsing's reader of spec-text calls.
CallReader = Callable[[ast.Call, int], Layer]  # (a leaf, or a block spec text names: nn.TransformerEncoder)


class _Node:
    """One step of the dataflow: the input, a leaf applied to one value, or a join of several."""

    __slots__ = ("kind", "inputs", "layer", "name", "line", "text")

    def __init__(self, kind: str, inputs: list[int], layer: Layer | None, line: int, text: str) -> None:
        self.kind = kind  # "input", "leaf", "cat", "add", "mul"
        self.inputs = inputs
        self.layer = layer
        self.name = ""
        self.line = line
        self.text = text  # how the line writes it, for messages


def _fail(message: str, node: ast.AST, line: int) -> SpecError:
    return SpecError(message, line=getattr(node, "lineno", line), column=getattr(node, "col_offset", -1) + 1)


def _is_data(node: ast.AST) -> bool:
    """Whether an expression computes a tensor (a name, a call on one, a sum) rather than a literal."""
    return not isinstance(node, (ast.Constant, ast.Tuple, ast.List, ast.UnaryOp)) and not (
        isinstance(node, ast.BinOp) and not any(isinstance(n, (ast.Name, ast.Call)) for n in ast.walk(node)))


def assigned_names(tree: ast.Module) -> dict[str, int]:
    """Each plain name a statement assigns -> the line that first assigns it."""
    names: dict[str, int] = {}
    for statement in tree.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target] if isinstance(statement, ast.AugAssign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                names.setdefault(target.id, statement.lineno)
    return names


def looks_forward(tree: ast.Module) -> bool:
    """Whether parsed spec text is a forward pass: a ``return``, a name assigned twice, or an assignment
    whose value applies a layer (``nn.Conv2d(…)(x)``), joins (``torch.cat``, ``+``, ``*``) or reads a name an
    earlier line assigned. The one-call-per-line form (``conv1 = nn.Conv2d(1, 6, 5)``, ``x2 = F.relu(x)``,
    ``x`` being its input) has none of these."""
    earlier: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.Return, ast.AugAssign)):
            return True
        if not isinstance(statement, ast.Assign):
            continue
        targets = {t.id for t in statement.targets if isinstance(t, ast.Name)}
        if targets & earlier:
            return True
        for node in ast.walk(statement.value):
            if isinstance(node, ast.Call) and (isinstance(node.func, ast.Call) or dotted(node.func) in (*_CAT, *_STACK, *_ARITHMETIC)):
                return True
            if isinstance(node, ast.BinOp) and type(node.op) in _JOIN_OPS and _is_data(node.left) and _is_data(node.right):
                return True
            read = node.args[0] if isinstance(node, ast.Call) and node.args else \
                node.value if isinstance(node, ast.Attribute) and node.attr in _METHODS else None
            if isinstance(read, ast.Name) and read.id in earlier - INPUT_NAMES:
                return True
            if isinstance(read, (ast.Call, ast.BinOp)) and not _constructs(node):  # F.relu(F.max_pool2d(x, 2)): calls on calls, a chain
                return True
        earlier |= targets
    return False


_MODULES = ("nn.", "torch.nn.", "cc.", "convcalc.")
_FUNCTIONS = ("nn.functional.", "torch.nn.functional.")


def _constructs(node: ast.AST) -> bool:
    """Whether a call makes a module (``nn.TransformerEncoder(nn.TransformerEncoderLayer(…), 6)``: a layer given to a
    block) rather than computing on a tensor (``F.relu(F.max_pool2d(x, 2))``)."""
    func = dotted(node.func) if isinstance(node, ast.Call) else None
    return func is not None and func.startswith(_MODULES) and not func.startswith(_FUNCTIONS)


class _Reader:
    """The graph of a forward pass, statement by statement."""

    def __init__(self, tree: ast.Module, call: CallReader, is_functional: Callable[[str], bool]) -> None:
        self.call = call
        self.is_functional = is_functional
        self.nodes = [_Node("input", [], None, 0, INPUT)]
        self.nodes[0].name = INPUT
        self.bound: dict[str, int] = {INPUT: 0}
        self.later = assigned_names(tree)
        self.line = 0

    def add(self, kind: str, inputs: list[int], layer: Layer | None = None, text: str = "") -> int:
        self.nodes.append(_Node(kind, inputs, layer, self.line, text))
        return len(self.nodes) - 1

    def name(self, node: ast.Name) -> int:
        if node.id in self.bound:
            return self.bound[node.id]
        later = self.later.get(node.id)
        if later is not None and later >= self.line:
            raise _fail(f"{node.id} is used before it is assigned (line {later} assigns it); "
                        "each name must be assigned on an earlier line", node, self.line)
        from .names import did_you_mean

        hint = did_you_mean(node.id, sorted(self.bound))
        raise _fail(f"{node.id} is used before it is assigned: no earlier line assigns it (the input is {INPUT}){hint}",
                    node, self.line)

    def value(self, node: ast.AST) -> int:
        """The step an expression computes (a name read is the step that assigned it)."""
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            kind = _JOIN_OPS.get(type(node.op))
            if kind is None:
                symbol = _TENSOR_MATH.get(type(node.op), type(node.op).__name__)
                raise _fail(f"{ast.unparse(node)!r}: tensors are joined only by + (a residual sum), * (a gate) and torch.cat; "
                            f"{symbol} is not a step convcalc counts", node, self.line)
            for side in (node.left, node.right):
                if not _is_data(side):
                    raise _fail(f"{ast.unparse(node)!r}: {ast.unparse(side)} is a constant, not a tensor; + and * join "
                                "two tensors (a constant factor or offset is not a layer convcalc counts)", side, self.line)
            left = self.value(node.left)
            return self.add(kind, [left, self.value(node.right)], text=ast.unparse(node))
        if isinstance(node, ast.Call):
            return self.applied(node)
        raise _fail(f"{ast.unparse(node)!r} is not a step of a forward pass; write a layer call on a name "
                    f"(nn.Conv2d(…)({INPUT})), an F.* call, torch.cat([…], dim=1), + or *", node, self.line)

    def applied(self, node: ast.Call) -> int:
        """A call in a forward line: a layer applied, a functional or method on a tensor, or torch.cat."""
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise _fail("starred arguments (*args, **kwargs) are not accepted", node, self.line)
        func = dotted(node.func)
        if isinstance(node.func, ast.Call):  # nn.Conv2d(3, 16, 3)(x1)
            if len(node.args) != 1 or node.keywords:
                raise _fail(f"{ast.unparse(node)!r}: a layer is applied to one tensor, e.g. {ast.unparse(node.func)}({INPUT})",
                            node, self.line)
            source = self.value(node.args[0])
            inner = node.func
            leaves = [self.call(arg, self.line) for arg in self.sequential(inner)] if dotted(inner.func) in SEQUENTIAL_CALLS \
                else [self.call(inner, self.line)]
            for leaf in leaves:
                source = self.add("leaf", [source], leaf)
            return source
        if func in _CAT:
            return self.cat(node, func)
        if func in _ARITHMETIC:  # torch.add(a, b), torch.mul(a, b): the + and * of a forward
            if len(node.args) != 2 or node.keywords:
                raise _fail(f"{func} joins two tensors, e.g. {func}(a, b) (no alpha, out or other arguments)", node, self.line)
            left = self.value(node.args[0])
            return self.add(_ARITHMETIC[func], [left, self.value(node.args[1])], text=ast.unparse(node))
        if func in _STACK:
            raise _fail(f"{func} makes a new dimension, which convcalc's blocks cannot express (Concat joins along "
                        "channels); write torch.cat([…], dim=1), or count the network in torch with from_torch", node, self.line)
        if func is not None and self.is_functional(func):
            return self.functional(node, func, method=False)
        if isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS and (
                func is None or func.split(".")[0] in self.bound):  # x1.flatten(1), F.relu(x1).view(-1, 256)
            return self.functional(node, func, method=True)
        if func is not None and func.startswith("self."):
            raise _fail(f"{func}(…) calls a module made elsewhere (in __init__); a forward-pass spec makes each layer where "
                        f"it is applied, e.g. nn.Conv2d(1, 6, 5)({INPUT})", node, self.line)
        if any(_is_data(a) and any(isinstance(n, ast.Name) and n.id in self.bound for n in ast.walk(a))
               for a in [*node.args, *(k.value for k in node.keywords)]):
            shown = ast.unparse(node.func)
            raise _fail(f"{ast.unparse(node)!r}: make the layer, then apply it to the tensor, e.g. {shown}(…)({INPUT})",
                        node, self.line)
        self.call(node, self.line)  # an unknown name is refused here with its close matches
        raise _fail(f"{ast.unparse(node)!r} makes a layer but applies it to nothing; write {ast.unparse(node)}({INPUT}) "
                    "on the name it takes", node, self.line)

    def sequential(self, node: ast.Call) -> list[ast.Call]:
        if node.keywords or not node.args or any(not isinstance(a, ast.Call) for a in node.args):
            raise _fail("nn.Sequential(…) takes layer calls such as nn.Conv2d(1, 6, 5), one after another", node, self.line)
        calls = [a for a in node.args if isinstance(a, ast.Call)]
        for call in calls:
            if dotted(call.func) in SEQUENTIAL_CALLS:
                raise _fail("an nn.Sequential inside another: write its layers in the outer one", call, self.line)
        return calls

    def functional(self, node: ast.Call, func: str | None, method: bool) -> int:
        """``F.relu(x1)``, ``torch.flatten(x1, 1)``, ``x1.view(-1, 256)``: the tensor is read as a name, the
        rest as the one-call-per-line form reads the call with its input written ``_``."""
        placeholder = ast.copy_location(ast.Name(id="_", ctx=ast.Load()), node)
        if method and isinstance(node.func, ast.Attribute):
            source = self.value(node.func.value)
            on_input = ast.copy_location(ast.Attribute(value=placeholder, attr=node.func.attr, ctx=ast.Load()), node.func)
            call = ast.copy_location(ast.Call(func=on_input, args=node.args, keywords=node.keywords), node)
        else:
            if not node.args:
                raise _fail(f"{func}(…) takes the tensor first, e.g. {func}({INPUT})", node, self.line)
            source = self.value(node.args[0])
            first = node.args[0]

            def again(arg: ast.expr) -> ast.expr:  # the same tensor read again (sdpa's q, q, q: self-attention)
                return placeholder if isinstance(first, ast.Name) and isinstance(arg, ast.Name) and arg.id == first.id else arg

            call = ast.copy_location(ast.Call(func=node.func, args=[placeholder, *map(again, node.args[1:])],
                                              keywords=[ast.keyword(arg=k.arg, value=again(k.value)) for k in node.keywords]), node)
        return self.add("leaf", [source], self.call(call, self.line))

    def cat(self, node: ast.Call, func: str) -> int:
        """``torch.cat([a, b], dim=1)``: a Concat along channels, the branches in the list's order."""
        items = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "tensors"), None)
        if not isinstance(items, (ast.List, ast.Tuple)) or not items.elts:
            raise _fail(f"{func} takes a list of tensors, e.g. {func}([x4, x1], dim=1)", node, self.line)
        dims = [k.value for k in node.keywords if k.arg == "dim"] + list(node.args[1:2])
        extra = [k.arg for k in node.keywords if k.arg not in ("dim", "tensors")]
        if extra or len(node.args) > 2:
            raise _fail(f"{func} takes a list of tensors and dim, e.g. {func}([x4, x1], dim=1)", node, self.line)
        dim = dims[0] if dims else None
        value = None if dim is None else literal(dim, lambda message, at: _fail(message, at, self.line), f"{func}'s dim is a whole number")
        if type(value) is not int or value != 1:
            said = "without dim joins along dim 0, the batch" if dim is None else f"with dim={ast.unparse(dim)} joins along that dim"
            raise _fail(f"{func}(…) {said}; convcalc's Concat joins along channels only (dim=1, the batch being dim 0): "
                        "write dim=1, or count the network in torch with from_torch", dim or node, self.line)
        inputs = [self.value(item) for item in items.elts]
        return self.add("cat", inputs, text=f"{func}(…)")

    def statement(self, statement: ast.stmt, last: bool) -> tuple[str, int]:
        """Reads one line; returns the name it binds (or returns) and its step."""
        self.line = statement.lineno
        first = len(self.nodes)
        if isinstance(statement, ast.Assign):
            if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                raise _fail(f"assign one plain name, e.g. x2 = F.relu(x1); got {ast.unparse(statement).splitlines()[0]!r}",
                            statement, self.line)
            target = statement.targets[0].id
            step = self.value(statement.value)
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name) and type(statement.op) in _JOIN_OPS:
            target = statement.target.id
            left = self.name(ast.copy_location(ast.Name(id=target, ctx=ast.Load()), statement.target))
            step = self.add(_JOIN_OPS[type(statement.op)], [left, self.value(statement.value)])
        elif isinstance(statement, ast.Return) and statement.value is not None:
            if not last:
                raise _fail("return ends the forward pass: nothing may follow it", statement, self.line)
            target = statement.value.id if isinstance(statement.value, ast.Name) else "out"
            step = self.value(statement.value)
        else:
            raise _fail(f"each line of a forward pass assigns a name, e.g. x2 = F.relu(x1); got "
                        f"{ast.unparse(statement).splitlines()[0]!r}", statement, self.line)
        made = list(range(first, len(self.nodes)))
        for i, index in enumerate(made):
            self.nodes[index].name = target if index == made[-1] else f"{target}_{i + 1}"
        if not isinstance(statement, ast.Return):
            self.bound[target] = step
        return target, step


class _Blocks:
    """Series-parallel decomposition of the graph into Sequential, Concat, Residual, Scale and Product."""

    def __init__(self, nodes: list[_Node], out: int) -> None:
        self.nodes = nodes
        self.out = out
        self.idom: list[int] = [0] * len(nodes)
        depth = [0] * len(nodes)
        for v in range(1, len(nodes)):  # the nodes are in an order where every input comes first
            preds = nodes[v].inputs
            d = preds[0]
            for p in preds[1:]:
                a, b = d, p
                while a != b:
                    if depth[a] >= depth[b]:
                        a = self.idom[a]
                    else:
                        b = self.idom[b]
                d = a
            self.idom[v] = d
            depth[v] = depth[d] + 1
        self.emitted = [False] * len(nodes)
        self.joins: list[int] = []  # the joins whose branches are being built, innermost last
        self.lines: dict[int, int] = {}

    def chain(self, start: int, end: int) -> list[tuple[str, Layer]]:
        """The steps from ``start``'s value to ``end``'s (``start`` dominates ``end``), as named layers in order."""
        items: list[tuple[str, Layer]] = []
        t = end
        while t != start:
            node = self.nodes[t]
            if self.emitted[t]:
                raise self.twice(node, self.nodes[self.joins[-1]] if self.joins else node)
            self.emitted[t] = True
            layer = node.layer if node.layer is not None else self.join(t)
            self.lines[id(layer)] = node.line
            items.append((node.name, layer))
            t = self.idom[t]
        items.reverse()
        return items

    def twice(self, node: _Node, at: _Node) -> SpecError:
        """Why ``node`` would be counted twice: skips that cross, or a k-way cat whose inputs share a step of their own."""
        if not self.series_parallel():
            return SpecError(f"{node.name} (line {node.line}) is used by branches that cross where {at.text} joins them "
                             "(the graph is not series-parallel): convcalc's blocks (Sequential, Residual, Concat, Scale, Product) "
                             f"cannot express it without counting {node.name} twice; count such a network in torch with "
                             "from_torch", line=at.line)
        return SpecError(f"{node.name} (line {node.line}) reaches {at.text} through more than one of its inputs, and a "
                         "Concat runs each of its branches from one common value, so it cannot join them in this order "
                         f"without counting {node.name} twice; join the inputs that share {node.name} in a torch.cat of their "
                         "own first", line=at.line)

    def series_parallel(self) -> bool:
        """Whether the dataflow graph, an edge per input read, reduces to one edge from the input to the output by
        the two textbook rules (parallel edges merge; a step with one edge in and one out is bypassed)."""
        succ: dict[int, set[int]] = {v: set() for v in range(len(self.nodes))}
        pred: dict[int, set[int]] = {v: set() for v in range(len(self.nodes))}
        for v, node in enumerate(self.nodes):
            for p in node.inputs:  # (a set: parallel edges are merged as they are made)
                succ[p].add(v)
                pred[v].add(p)
        pending = [v for v in range(len(self.nodes)) if v not in (0, self.out)]
        while pending:
            v = pending.pop()
            if len(pred[v]) == 1 and len(succ[v]) == 1:
                (p,), (s,) = pred[v], succ[v]
                pred[v].clear()
                succ[v].clear()
                succ[p].discard(v)
                pred[s].discard(v)
                succ[p].add(s)
                pred[s].add(p)
                pending += [u for u in (p, s) if u not in (0, self.out)]
        return succ[0] == {self.out} and pred[self.out] == {0}

    def join(self, t: int) -> Layer:
        node = self.nodes[t]
        fork = self.idom[t]
        self.joins.append(t)
        branches = [self.chain(fork, p) for p in node.inputs]
        self.joins.pop()
        if node.kind == "cat":
            return L.Concat(*(self.one(b, node) for b in branches))
        first, second = branches
        if node.kind == "add":
            body, shortcut = (first, second) if first or not second else (second, first)
            return L.Residual(self.one(body, node), self.one(shortcut, node) if shortcut else None)
        if first and second:  # two computed sides, in the written order: a Product (LRASPP's cbr(x) * scale(x))
            return L.Product(self.one(first, node), self.one(second, node))
        gate = first or second
        return L.Scale(dict(_unique(gate or [("identity", self.identity(node))], reserved="scale")))

    def identity(self, node: _Node) -> Leaf:
        leaf = L.Identity()
        self.lines[id(leaf)] = node.line
        return leaf

    def one(self, items: list[tuple[str, Layer]], node: _Node) -> Layer:
        """A branch as one layer: the identity, its one layer, or a Sequential of its layers."""
        if not items:
            return self.identity(node)
        if len(items) == 1:
            return items[0][1]
        return L.Sequential(dict(_unique(items)))


def _unique(items: list[tuple[str, Layer]], reserved: str = "") -> list[tuple[str, Layer]]:
    """Child names made unique among siblings (a name assigned twice: ``x``, ``x_2``, …)."""
    seen: set[str] = {reserved} if reserved else set()
    named = []
    for name, layer in items:
        unique, n = name, 1
        while unique in seen:
            n += 1
            unique = f"{name}_{n}"
        seen.add(unique)
        named.append((unique, layer))
    return named


def forward_net(tree: ast.Module, call: CallReader, is_functional: Callable[[str], bool]) -> Layer:
    """The network a forward pass describes (``tree``: the spec's lines, each at its line number), as blocks."""
    reader = _Reader(tree, call, is_functional)
    output = (INPUT, 0)
    for i, statement in enumerate(tree.body):
        output = reader.statement(statement, last=i == len(tree.body) - 1)
    nodes = reader.nodes
    if output[1] == 0:
        raise SpecError(f"the output is the input {INPUT} itself: the forward pass has no layers", line=tree.body[-1].lineno)
    name, out = output
    used = [0] * len(nodes)
    for node in nodes:
        for p in node.inputs:
            used[p] += 1
    for index, node in enumerate(nodes):
        if index != out and not used[index]:
            raise SpecError(f"{node.name} is assigned but nothing uses it: every branch must lead to the output "
                            f"({name}, line {nodes[out].line})", line=node.line, column=1)
    blocks = _Blocks(nodes, out)
    items = blocks.chain(0, out)
    from .walk import with_source_lines

    return with_source_lines(L.Sequential(dict(_unique(items))), blocks.lines)
