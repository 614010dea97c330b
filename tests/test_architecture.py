"""The shape of the code: no import cycles, and every registry derived from the layer classes covers every kind.

Each layer type is declared once, in its class; these tests walk every registered kind and prove
each direction is covered (spec text, the public names, profiles, explain, the torch binding both
ways), so a new layer type that forgets one fails here instead of silently elsewhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import convcalc as cc
from convcalc import layers, profiles
from convcalc.layers.base import LAYER_TYPES, Block, Join, Leaf
from convcalc.parsing import functionals, layer_names

PACKAGE = Path(cc.__file__).resolve().parent


# --- no import cycles ------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The convcalc modules ``path`` imports at run time: at module level, inside functions, and through
    ``importlib.import_module("…")`` with a literal name; not what it imports under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # `from . import layers` imports the module; `from .errors import X`, .errors
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if func == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
                target = str(node.args[0].value)
                if target.startswith("."):
                    target = package + target if target != "." else package
                found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        targets = {t for t in _imports(path, name, set(files)) if t in files}
        graph[name] = {t for t in targets if t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected part of the graph that has one (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    parts: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                parts.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return parts


def test_the_graph_sees_imports_of_every_kind() -> None:
    graph = import_graph()
    assert "convcalc.walk" in graph["convcalc.api"]  # module level
    assert "convcalc.working" in graph["convcalc.cli"]  # inside a function
    assert "convcalc.layers" in graph["convcalc"]  # importlib.import_module(".layers", __name__)
    assert "convcalc.report" not in graph["convcalc.profiles"]  # only under TYPE_CHECKING there


def test_no_import_cycles() -> None:
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# --- every registry covers every kind --------------------------------------------------------------

BUILT_IN = {kind: cls for kind, cls in LAYER_TYPES.items() if cls.__module__.startswith("convcalc.")}
LEAVES = sorted((cls for cls in BUILT_IN.values() if issubclass(cls, Leaf) and not issubclass(cls, Join)),
                key=lambda c: c.__name__)


def test_every_built_in_kind_is_a_public_name() -> None:
    for kind, cls in BUILT_IN.items():
        assert getattr(cc, cls.__name__) is cls, kind
        assert cls.__name__ in cc.__all__ and cls.__name__ in layers.__all__


@pytest.mark.parametrize("cls", LEAVES, ids=lambda c: c.__name__)
def test_every_leaf_is_named_in_spec_text(cls: type[Leaf]) -> None:
    assert layer_names()[cls.__name__] is cls


def test_functional_forms_come_from_the_classes() -> None:
    table = functionals()
    assert table["max_pool2d"].layer is cc.MaxPool2d and table["relu"].layer is cc.ReLU
    assert {f.layer for f in table.values()} <= set(LEAVES)
    assert set(table) == {name for cls in LEAVES for name in cls.functional_forms()}


@pytest.mark.parametrize("cls", LEAVES + [cc.Add, cc.Cat, cc.Mul], ids=lambda c: c.__name__)
def test_every_leaf_has_a_family_every_profile_knows(cls: type[Leaf]) -> None:
    assert cls.family in profiles.FAMILIES, f"{cls.__name__}: family {cls.family!r} is not in profiles.FAMILIES"


def test_joins_and_blocks_stay_out_of_spec_text() -> None:
    names = layer_names()
    for cls in BUILT_IN.values():
        if issubclass(cls, (Join, Block)):
            assert cls.__name__ not in names


# --- the torch binding, both ways, for every kind ---------------------------------------------------

torch = pytest.importorskip("torch")

from test_layers import CASES  # noqa: E402  (each layer type's hand-derived case)

#: nd variants that share their implementation with a case in test_layers: one sample each here.
VARIANTS = {
    "conv2d": (cc.Conv2d(3, 4, 3), (3, 8, 8)),
    "convtranspose1d": (cc.ConvTranspose1d(2, 3, 3, stride=2), (2, 5)),
    "convtranspose3d": (cc.ConvTranspose3d(2, 3, 2), (2, 3, 3, 3)),
    "separableconv2d": (cc.SeparableConv2d(4, 6, 3, padding=1), (4, 6, 6)),
    "maxpool1d": (cc.MaxPool1d(2), (3, 8)),
    "maxpool3d": (cc.MaxPool3d(2), (2, 4, 4, 4)),
    "avgpool1d": (cc.AvgPool1d(3, 2), (3, 9)),
    "avgpool3d": (cc.AvgPool3d(2), (2, 4, 4, 4)),
    "adaptiveavgpool1d": (cc.AdaptiveAvgPool1d(3), (2, 7)),
    "adaptiveavgpool3d": (cc.AdaptiveAvgPool3d(2), (2, 5, 5, 5)),
    "adaptivemaxpool1d": (cc.AdaptiveMaxPool1d(3), (2, 7)),
    "adaptivemaxpool3d": (cc.AdaptiveMaxPool3d(2), (2, 5, 5, 5)),
    "batchnorm3d": (cc.BatchNorm3d(2), (2, 3, 3, 3)),
    "maxunpool1d": (cc.MaxUnpool1d(3, 2, 1), (2, 5)),
    "maxunpool3d": (cc.MaxUnpool3d(2), (2, 2, 3, 3)),
}
SAMPLES = {**{type(c[1]).kind: (c[1], c[2]) for c in CASES}, **VARIANTS}


def test_every_leaf_has_a_sample() -> None:
    assert {cls.kind for cls in LEAVES} == set(SAMPLES)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_leaf_explains_itself(kind: str) -> None:
    layer, shape = SAMPLES[kind]
    working = cc.explain(layer, shape, layout="chw")  # the samples are written channels first
    assert f"on input {'×'.join(map(str, shape))}" in working


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_leaf_goes_to_torch_and_back(kind: str) -> None:
    """to_torch builds it by its class's binding; from_torch reads the module back as the same row."""
    layer, shape = SAMPLES[kind]
    ours = cc.summary(layer, shape, layout="chw").rows[0]  # the samples are written channels first
    module = cc.to_torch(layer, shape, layout="chw")
    back = cc.from_torch(module, shape, layout="chw").rows
    assert len(back) == 1 and not back[0].unsupported, back
    row = back[0]
    assert (row.output_shape, row.params, row.macs, row.flops) == (ours.output_shape, ours.params, ours.macs, ours.flops)
    assert row.receptive_field == ours.receptive_field
    equivalent = ours.spec.torch_equivalent()
    expected = type(equivalent if equivalent is not None else ours.spec)
    becomes = getattr(type(module), "cls_to_become", None)
    if becomes is not None:  # a lazy module (nn.LazyConv2d) is its eager class after its first forward: torch says which
        assert type(module).__name__ == type(ours.spec).__name__ and getattr(cc, becomes.__name__) is ours.spec.becomes
        expected = ours.spec.becomes
    assert type(row.spec) is expected


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_flop_counter_flag_matches_torch(kind: str) -> None:
    """A class says whether FlopCounterMode counts its FLOPs; torch itself is the judge."""
    from torch.utils.flop_counter import FlopCounterMode

    layer, shape = SAMPLES[kind]
    module = cc.to_torch(layer, shape, layout="chw")
    dtype = getattr(torch, type(layer).input_dtype or "float32")  # (an embedding's int64 ids)
    # torch's decomposed path: oneDNN runs nn.LSTM as one fused kernel, which FlopCounterMode sees as nothing
    with FlopCounterMode(display=False) as counter, torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
        module(torch.zeros(1, *shape, dtype=dtype))
    assert (counter.get_total_flops() > 0) == type(layer).flop_counter


@pytest.mark.parametrize("name", cc.models.list())
def test_from_torch_of_to_torch_is_the_summary(name: str) -> None:
    """Building and capturing are inverse: the same rows, row for row, for every zoo model."""
    report = cc.summary(name)
    back = cc.from_torch(cc.to_torch(name), report.inputs[0] if report.inputs else report.input_shape)  # (lstm_lm: int64 ids)
    assert len(back.rows) == len(report.rows)
    for ours, theirs in zip(report.rows, back.rows):
        assert theirs.path == ours.path
        assert (theirs.output_shape, theirs.params, theirs.macs, theirs.flops, theirs.receptive_field) == (
            ours.output_shape, ours.params, ours.macs, ours.flops, ours.receptive_field), ours.where
        assert theirs.activation_bytes == ours.activation_bytes, ours.where
    assert back.totals == report.totals
