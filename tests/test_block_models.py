"""from_torch on the plain-torch networks of tests/block_models.py (ViT with nn.MultiheadAttention and with a
qkv Linear + F.scaled_dot_product_attention, Swin-style shifted-window attention, MLP-Mixer, a ConvNeXt
block, an LSTM language model): the building blocks of today's real networks, written independently of
convcalc.

Evidence: torch itself (``sum(p.numel() for p in m.parameters())``, FlopCounterMode) and the other tools
themselves (tests/other_tools.py: a real CPU forward, eval mode, no_grad), on the same modules.

FlopCounterMode runs on the meta device here, as the sweep of real networks runs it: on CPU, torch 2.13 has no
flop formula for the kernels F.scaled_dot_product_attention (``_scaled_dot_product_flash_attention_for_cpu``) and
nn.MultiheadAttention's eval fast path (``_native_multi_head_attention``) and nn.LSTM (``aten::lstm``) run, and
counts them 0; on meta they run as their matrix products, which it counts.
"""

from __future__ import annotations

import pytest

import convcalc as cc

torch = pytest.importorskip("torch")
from block_models import BLOCK_MODELS  # noqa: E402
from other_tools import TOOLS  # noqa: E402

#: Reasons that say only that a profile's rule was never written for a row's family (a layer class added
#: without its recipes), or that the row is a layer type of the user's own: a gap, not a behaviour of the tool.
#: (Rows convcalc has no formula for are flagged too; test_no_unsupported_rows holds there are none.)
_GAPS = ("rule is not written for", "a layer type of your own")


def _input(name: str) -> torch.Tensor:
    """One sample: int64 token ids for the language model, an image otherwise."""
    _, shape = BLOCK_MODELS[name]
    torch.manual_seed(1)
    return torch.randint(0, 100, (1, *shape)) if name == "lstm_lm" else torch.randn(1, *shape)


def _report(name: str) -> cc.Report:
    make, shape = BLOCK_MODELS[name]
    torch.manual_seed(0)
    given = cc.Input(shape, dtype="int64") if name == "lstm_lm" else shape  # the ids the language model takes
    return cc.from_torch(make(), given, layout="chw" if len(shape) == 3 else None)


def _module(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return BLOCK_MODELS[name][0]().eval()


@pytest.mark.parametrize("name", sorted(BLOCK_MODELS))
def test_params_equal_torchs_count(name: str) -> None:
    module = _module(name)
    assert _report(name).totals.params == sum(p.numel() for p in module.parameters())


def _flop_counter_mode_on_meta(module: torch.nn.Module, x: torch.Tensor) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module.eval().to("meta")(x.to("meta"))
    return int(counter.get_total_flops())


@pytest.mark.parametrize("name", sorted(BLOCK_MODELS))
def test_torch_profile_equals_flop_counter_mode(name: str) -> None:
    profile = _report(name).comparison["torch"]
    assert profile.total == _flop_counter_mode_on_meta(_module(name), _input(name))
    assert profile.exact, profile.not_exact()


@pytest.mark.parametrize("name", sorted(BLOCK_MODELS))
@pytest.mark.parametrize("tool", ["torchinfo", "fvcore", "thop", "ptflops"])
def test_each_profile_equals_its_tool_or_says_why(name: str, tool: str) -> None:
    """Exact and equal to the tool's own figure, or flagged with the tool behaviour that makes it not exact."""
    profile = _report(name).comparison[tool]
    figure = TOOLS[tool](_module(name), _input(name))
    if profile.exact:
        assert profile.total == figure, f"{tool} prints {figure:,}, its profile {profile.total:,}"
    else:
        assert profile.not_exact().startswith("not exact: ")
        assert all(i.why and i.layers for i in profile.inexact)
        gaps = [str(i) for i in profile.inexact if any(g in i.why for g in _GAPS)]
        assert gaps == [], "flagged for a gap in convcalc, not for a documented behaviour of the tool"


@pytest.mark.parametrize("name", sorted(BLOCK_MODELS))
def test_no_unsupported_rows(name: str) -> None:
    assert [f"{r.where}: {r.kind}" for r in _report(name).leaves if r.unsupported] == []
