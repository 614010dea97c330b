"""A layer type the user declares (``@cc.layer``) works everywhere a built-in one does.

The figures: Conv2d(3, 8, 3) on 3×32×32 gives 8×30×30 = 7,200 elements; Swish charges 4 FLOPs
per element (x·σ(βx): the user's own count), so its row has 4·7,200 = 28,800 FLOPs and no
parameters or MACs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import convcalc as cc
from convcalc.layers.base import LAYER_TYPES

torch = pytest.importorskip("torch")
nn = torch.nn


class TorchSwish(nn.Module):
    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: Any) -> Any:
        return x * torch.sigmoid(self.beta * x)


def declare_swish(per_element: int = 4) -> type[cc.Leaf]:
    """The issue's contract: a notebook cell that declares Swish (run it twice: the same class again)."""

    @cc.layer(torch=TorchSwish)
    class Swish(cc.Leaf):
        beta: float = 1.0

        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=shape, flops=per_element * math.prod(shape))

    return Swish


@pytest.fixture
def swish() -> Iterator[type[cc.Leaf]]:
    """Swish declared afresh for each test and unregistered after it."""
    yield declare_swish()
    LAYER_TYPES.pop("swish", None)


def net(swish: type[cc.Leaf], beta: float = 1.0) -> cc.Sequential:
    return cc.Sequential(cc.Conv2d(3, 8, 3), swish(beta=beta))


def test_a_summary_has_its_row(swish: type[cc.Leaf]) -> None:
    row = cc.summary(net(swish), (3, 32, 32)).rows[1]
    assert (row.kind, row.flops, row.macs, row.params) == ("swish", 28_800, 0, 0)
    assert row.layer == "Swish()" and row.receptive_field == (3, 3)


def test_spec_text_knows_it_once_defined(swish: type[cc.Leaf]) -> None:
    assert cc.parse_layer("Swish(beta=2.0)") == swish(beta=2.0)
    spec = cc.parse_spec("input 3x32x32\nconv = nn.Conv2d(3, 8, 3)\nact = Swish(beta=2.0)\n")
    assert [r.kind for r in cc.summary(spec).rows] == ["conv2d", "swish"]
    with pytest.raises(cc.SpecError, match="has no argument 'alpha'"):
        cc.parse_layer("Swish(alpha=2.0)")


def test_spec_text_forgets_it_when_unregistered() -> None:
    with pytest.raises(cc.SpecError, match="not a layer convcalc knows"):
        cc.parse_layer("Swish(beta=2.0)")


def test_to_torch_verify_and_from_torch(swish: type[cc.Leaf]) -> None:
    module = cc.to_torch(net(swish, beta=2.0))
    assert isinstance(module[1], TorchSwish) and module[1].beta == 2.0
    assert cc.verify(net(swish), (3, 32, 32)).ok
    theirs = nn.Sequential(nn.Conv2d(3, 8, 3), TorchSwish(beta=2.0))
    report = cc.from_torch(theirs, (3, 32, 32))
    assert not report.unsupported
    row = report.rows[1]
    assert (row.kind, row.flops, row.layer) == ("swish", 28_800, "Swish(beta=2.0)")
    assert row.receptive_field == (3, 3)


def test_explain_shows_its_effect(swish: type[cc.Leaf]) -> None:
    text = cc.explain(swish(), (8, 30, 30))
    assert "FLOPs = 28,800" in text and "params = 0" in text


def test_the_profiles_say_what_they_do_not_know(swish: type[cc.Leaf]) -> None:
    report = cc.summary(net(swish), (3, 32, 32))
    conv_macs = 8 * 30 * 30 * 3 * 9  # 194,400
    comparison = report.comparison
    assert comparison["paper"].total == conv_macs and not comparison["paper"].unknown
    for tool in ("torch", "fvcore", "torchinfo", "thop", "ptflops"):
        assert comparison[tool].unknown == ("layer 2 (1) Swish",), tool
        assert "a layer type of your own" in comparison[tool].reason()
    assert report.totals.flops == 2 * conv_macs + 28_800  # convcalc's own figure counts it


def test_a_torch_module_named_by_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "user_acts.py").write_text(
        "import torch\n"
        "class Cube(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x * x * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    @cc.layer(torch="user_acts:Cube")
    class Cube(cc.Leaf):
        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=shape, flops=2 * math.prod(shape))

    try:
        module = cc.to_torch(cc.Sequential(cc.Linear(4, 4), Cube()))
        assert type(module[1]).__name__ == "Cube"
        assert cc.from_torch(module, (4,)).rows[1].kind == "cube"
    finally:
        LAYER_TYPES.pop("cube", None)


def test_declaring_it_again_replaces_it_and_a_clash_is_refused(swish: type[cc.Leaf]) -> None:
    again = declare_swish(5)  # the same cell run again in a notebook, with 5 FLOPs an element now
    assert LAYER_TYPES["swish"] is again is not swish
    assert cc.summary(cc.Sequential(cc.Conv2d(3, 8, 3), again()), (3, 32, 32)).rows[1].flops == 5 * 7_200
    with pytest.raises(TypeError, match="registered twice"):
        @cc.layer
        class ReLU(cc.Leaf):  # a built-in kind
            def effect(self, shape: tuple[int, ...]) -> cc.Effect:
                return cc.Effect(output_shape=shape)


def test_only_a_leaf_with_an_effect_is_a_layer_type() -> None:
    with pytest.raises(TypeError, match="subclass of cc.Leaf"):
        cc.layer(object)
    with pytest.raises(TypeError, match="needs an effect"):
        @cc.layer
        class Nothing(cc.Leaf):
            pass
    LAYER_TYPES.pop("nothing", None)


def test_without_a_torch_module_to_torch_says_how(swish: type[cc.Leaf]) -> None:
    @cc.layer
    class Plain(cc.Leaf):
        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=shape)

    try:
        with pytest.raises(cc.SpecError, match=r"Plain has no torch module; declare one with @cc.layer\(torch="):
            cc.to_torch(cc.Sequential(cc.Linear(4, 4), Plain()))
    finally:
        LAYER_TYPES.pop("plain", None)


def test_a_layer_type_names_its_other_spellings_and_functional_forms() -> None:
    """``aliases`` and ``functional`` on the class are all spec text needs: ``Hardshrink`` is also ``HardShrinkage``,
    and ``F.hardshrink(x)`` is the same layer (x where |x| > λ, else 0: the user's count, 2 FLOPs an element)."""

    @cc.layer
    class Hardshrink(cc.Leaf):
        aliases = ("HardShrinkage",)
        functional = {"hardshrink": ("lambd",)}
        lambd: float = 0.5

        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=shape, flops=2 * math.prod(shape))

    try:
        assert cc.parse_layer("HardShrinkage()") == Hardshrink()
        assert cc.parse_layer("F.hardshrink(x, lambd=0.25)") == Hardshrink(lambd=0.25)
        assert cc.summary(cc.parse_layer("F.hardshrink(x)"), (2, 3, 3)).rows[0].flops == 2 * 18
    finally:
        LAYER_TYPES.pop("hardshrink", None)


def test_a_clash_is_refused_when_declared() -> None:
    """A spelling, a functional form or a torch class another type has would make spec text or from_torch
    ambiguous: refused at the declaration, naming what clashes, and nothing is registered."""
    def act(**declared: Any) -> None:
        @cc.layer(**{k: v for k, v in declared.items() if k == "torch"})
        class MyAct(cc.Leaf):
            aliases = declared.get("aliases", ())
            functional = declared.get("functional", {})

            def effect(self, shape: tuple[int, ...]) -> cc.Effect:
                return cc.Effect(output_shape=shape, flops=3 * math.prod(shape))

    for declared, why in (({"aliases": ("ReLU",)}, "the name 'ReLU' is ReLU's"),
                          ({"functional": {"relu": ()}}, "the functional form 'relu' is ReLU's"),
                          ({"torch": nn.ReLU}, "the torch module ReLU is bound to ReLU")):
        with pytest.raises(TypeError, match=why):
            act(**declared)
        assert "myact" not in LAYER_TYPES
    assert cc.parse_layer("nn.ReLU()") == cc.ReLU()


def test_an_undeclared_subclass_is_no_layer_type() -> None:
    class Loose(cc.Leaf):  # no @cc.layer: not a record, not registered, unknown to spec text
        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=shape)

    assert "loose" not in LAYER_TYPES
    with pytest.raises(cc.SpecError, match="not a layer convcalc knows"):
        cc.parse_layer("Loose()")


def test_a_module_that_cannot_be_read_back_says_why() -> None:
    class TorchScale(nn.Module):
        def __init__(self, factor: float) -> None:
            super().__init__()
            self.k = factor  # not under the field's name

        def forward(self, x: Any) -> Any:
            return x * self.k

    @cc.layer(torch=TorchScale)
    class Scale2(cc.Leaf):
        factor: float

        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=shape, flops=math.prod(shape))

    try:
        report = cc.from_torch(nn.Sequential(nn.Conv2d(3, 4, 3), TorchScale(2.0)), (3, 8, 8))
        row = report.rows[1]
        assert row.unsupported and "has no attribute 'factor'" in row.warnings[0]
    finally:
        LAYER_TYPES.pop("scale2", None)


def test_sizes_that_are_not_whole_numbers_are_refused() -> None:
    @cc.layer
    class Half(cc.Leaf):
        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=(shape[0], *(d / 2 for d in shape[1:])))

    try:
        with pytest.raises(cc.ShapeError, match=r"layer 1 \(0\) Half: gives output shape \(3, 4.0, 4.0\).*whole number"):
            cc.summary(cc.Sequential(Half()), (3, 8, 8))
    finally:
        LAYER_TYPES.pop("half", None)


def test_a_functional_form_in_a_forward_body_is_the_layer(swish: type[cc.Leaf]) -> None:
    """F.silu in a forward is the built-in SiLU; a user type's functional form (``hardshrink``) is that type."""

    @cc.layer
    class Hardshrink(cc.Leaf):
        functional = {"hardshrink": ("lambd",)}
        lambd: float = 0.5

        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=shape, flops=5 * math.prod(shape))

    class Net(nn.Module):
        def forward(self, x: Any) -> Any:
            return torch.nn.functional.hardshrink(torch.nn.functional.silu(x))

    try:
        rows = cc.from_torch(Net(), (2, 3, 3)).rows
        assert [(r.kind, type(r.spec).__name__, r.flops) for r in rows] == [("silu", "SiLU", 18), ("hardshrink", "Hardshrink", 90)]
    finally:
        LAYER_TYPES.pop("hardshrink", None)
