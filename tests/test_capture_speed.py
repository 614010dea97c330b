"""from_torch's shortcuts change nothing it reports.

- A layer whose torch module does nothing but make a tensor of the shape its effect gives
  (``Leaf.sized_by_effect``: a convolution, a norm, an activation) is sized rather than run on the meta
  device. The evidence is the same pass with the shortcut off (every module run by torch itself): the
  reports must be equal, row for row, on every reference network of tests/torch_reference.py, the block
  networks of tests/block_models.py and on layers in train mode, channels-last and with odd arguments.
- The module tree is copied to the meta device without ``copy.deepcopy``; the user's module is left as
  it was (its devices, its hooks, its flags), which torch's own state before and after shows.
"""

from __future__ import annotations

from typing import Any

import pytest

import convcalc as cc

torch = pytest.importorskip("torch")
nn = torch.nn
capture = pytest.importorskip("convcalc.torch_bridge.capture")

import block_models  # noqa: E402
import torch_reference  # noqa: E402


def figures(report: cc.Report) -> list[tuple[Any, ...]]:
    return [(r.path, r.kind, r.input_shape, r.output_shape, r.params, r.macs, r.flops, r.activation_bytes,
             r.receptive_field, r.layer, r.facts, r.warnings, r.unsupported) for r in report.rows]


def both_ways(module: Any, shape: Any, **kwargs: Any) -> tuple[cc.Report, cc.Report]:
    sized = cc.from_torch(module, shape, **kwargs)
    capture.SIZED = False
    try:
        run = cc.from_torch(module, shape, **kwargs)
    finally:
        capture.SIZED = True
    return sized, run


def assert_same(module: Any, shape: Any, **kwargs: Any) -> None:
    sized, run = both_ways(module, shape, **kwargs)
    assert figures(sized) == figures(run)
    assert sized.totals == run.totals
    assert sized.peak_activation_bytes == run.peak_activation_bytes


@pytest.mark.parametrize("name", sorted(torch_reference.BUILDERS))
def test_reference_networks_sized_as_run(name: str) -> None:
    with torch.device("meta"):
        net = torch_reference.BUILDERS[name]()
    shape = torch_reference.INPUTS[name]
    assert_same(net, cc.Input(shape, dtype="int64") if name in torch_reference.IDS else shape)


@pytest.mark.parametrize("name", sorted(block_models.BLOCK_MODELS))
def test_block_networks_sized_as_run(name: str) -> None:
    make, shape = block_models.BLOCK_MODELS[name]
    assert_same(make(), shape)


ODD = [
    (nn.Sequential(nn.Conv2d(3, 8, 3, padding="same"), nn.ReLU(inplace=True)), (3, 9, 9)),  # named padding: run
    (nn.Sequential(nn.MaxPool2d(2, return_indices=True)), (3, 8, 8)),  # two results: run
    (nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 5), nn.Dropout(), nn.Softmax(-1)), (3, 8, 8)),
    (nn.Sequential(nn.Linear(6, 7), nn.GELU(), nn.LayerNorm(7)), (5, 6)),  # tokens: the batch in dim 0, any rank
    (nn.Sequential(nn.Upsample(scale_factor=1.5, mode="bilinear"), nn.ReflectionPad2d(1), nn.PixelShuffle(2)), (8, 5, 5)),
    (nn.Sequential(nn.BatchNorm1d(4), nn.ReLU()), (4,)),
]


@pytest.mark.parametrize("case", range(len(ODD)))
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_odd_layers_sized_as_run(case: int, mode: str) -> None:
    net, shape = ODD[case]
    assert_same(net, shape, mode=mode, batch=3, **({"layout": "chw"} if len(shape) == 3 else {}))


def test_channels_last_and_whole_inputs_sized_as_run() -> None:
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU()).to(memory_format=torch.channels_last)
    assert_same(net, (3, 8, 8))
    assert_same(net, (2, 3, 8, 8), batch=None)
    assert_same(nn.Sequential(nn.Linear(6, 7), nn.ReLU()), (3, 6), layout="chw")


def test_the_users_module_is_left_as_it_was() -> None:
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.LSTM(6, 5, batch_first=True))
    net.train()
    net[1].eval()
    calls: list[str] = []
    net[0].register_forward_hook(lambda m, a, out: calls.append("hook"))
    before = [(m.training, dict(m._forward_hooks), dict(m._forward_pre_hooks), type(m).forward is m.forward.__func__)
              for m in net.modules()]
    devices = {p.device.type for p in net.parameters()}
    cc.from_torch(net[:3], (3, 8, 8))
    assert calls == []
    assert [(m.training, dict(m._forward_hooks), dict(m._forward_pre_hooks), type(m).forward is m.forward.__func__)
            for m in net.modules()] == before
    assert {p.device.type for p in net.parameters()} == devices == {"cpu"}
    assert all(w.device.type == "cpu" for w in net[3]._flat_weights)
    with torch.no_grad():
        net[:3](torch.zeros(1, 3, 8, 8))
    assert calls == ["hook"]


def test_a_shared_module_is_copied_once() -> None:
    shared = nn.Linear(4, 4)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    copy = capture._on_meta(net)
    assert copy[0] is copy[2] and copy[0] is not shared
    assert copy[0].weight.is_meta and shared.weight.device.type == "cpu"
    assert cc.from_torch(net, (4,)).totals.params == 4 * 4 + 4  # counted once, as torch's parameters() does


def test_an_lstm_copy_runs_on_its_own_weights() -> None:
    lstm = nn.LSTM(6, 5, num_layers=2, batch_first=True)
    copy = capture._on_meta(lstm)
    assert all(w.is_meta for w in copy._flat_weights)
    assert cc.from_torch(lstm, (7, 6)).totals.params == sum(p.numel() for p in lstm.parameters())


def test_a_sized_layer_does_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[int] = []
    original = nn.Conv2d._conv_forward
    monkeypatch.setattr(nn.Conv2d, "_conv_forward", lambda self, *a: ran.append(1) or original(self, *a))
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
    sized, run = both_ways(net, (3, 8, 8))
    assert len(ran) == 1  # only the pass with the shortcut off ran the convolution
    assert figures(sized) == figures(run)


RECURRENT = [
    (nn.LSTM(6, 5, num_layers=2, bidirectional=True, proj_size=3), (7, 6)),  # batch second: L × N × H
    (nn.LSTM(6, 5, batch_first=True), (7, 6)),
    (nn.GRU(6, 5, num_layers=3, batch_first=True, bidirectional=True), (7, 6)),
    (nn.RNN(6, 5, nonlinearity="relu"), (7, 6)),
    (nn.LSTMCell(6, 5), (6,)),
    (nn.GRUCell(6, 5), (6,)),
]


@pytest.mark.parametrize("case", range(len(RECURRENT)))
def test_recurrent_layers_sized_as_run(case: int) -> None:
    """Each result torch's module returns has the shape it would have (the output, h_n, c_n), and what reads
    them after is counted alike."""
    layer, shape = RECURRENT[case]

    class Reads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = layer

        def forward(self, x: Any) -> Any:
            out = self.layer(x)
            return out if isinstance(out, torch.Tensor) else torch.cat([t.flatten() for t in torch.utils._pytree.tree_leaves(out)])

    assert_same(Reads(), shape, batch=3)
    x = torch.empty(3, *shape, device="meta")  # what from_torch gives it (a batch-second layer reads dim 0 as the steps)
    real = torch.utils._pytree.tree_map(lambda t: (tuple(t.shape), t.stride()), capture._on_meta(layer)(x))
    seen: list[Any] = []
    original = capture._Session.sized

    def spy(self: Any, module: Any, forward: Any, *args: Any, **kwargs: Any) -> Any:
        out = original(self, module, forward, *args, **kwargs)
        seen.append(torch.utils._pytree.tree_map(lambda t: (tuple(t.shape), t.stride()), out))
        return out

    capture._Session.sized = spy  # type: ignore[method-assign]  # (the sized results themselves, beside torch's)
    try:
        cc.from_torch(layer, shape, batch=3)
    finally:
        capture._Session.sized = original  # type: ignore[method-assign]
    assert seen == [real]


class PartialConv(nn.Module):
    """timm's FasterNet: a forward picked in __init__ as a bound method (``self.forward = self.forward_slicing``)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1, bias=False)
        self.forward = self.forward_slicing  # type: ignore[method-assign]  # (as timm writes it)

    def forward_slicing(self, x: Any) -> Any:
        x = x.clone()
        x[:, :2] = self.conv(x[:, :2])
        return x


def test_a_forward_bound_in_init_runs_on_the_copy() -> None:
    net = nn.Sequential(PartialConv(), nn.Conv2d(4, 3, 1))
    report = cc.from_torch(net, (4, 6, 6))
    assert report.totals.params == sum(p.numel() for p in net.parameters()) == 2 * 2 * 9 + 3 * 4 + 3
    assert not [r for r in report.rows if r.kind == "parameters"]  # every parameter on the row that used it
    copy = capture._on_meta(net)
    assert copy[0].forward.__self__ is copy[0]


@pytest.mark.parametrize("op", ["add", "mul", "sub", "div", "sigmoid", "gelu", "add_", "mul_", "relu_"])
@pytest.mark.parametrize("layout", ["contiguous", "permuted", "broadcast", "strided"])
def test_sized_elementwise_ops_are_laid_out_as_torch_lays_them(op: str, layout: str) -> None:
    """An elementwise op sized from its arguments has torch's own result: shape, strides and dtype, whatever
    layout its inputs have (a layout it cannot be sure of runs the op)."""
    def inputs() -> tuple[Any, Any]:
        base = torch.empty(2, 3, 4, 5, device="meta")
        if layout == "permuted":  # q after .permute(0, 2, 1, 3): dense, not contiguous
            return base.permute(0, 2, 1, 3), torch.empty(2, 3, 4, 5, device="meta").permute(0, 2, 1, 3)
        if layout == "broadcast":
            return base, torch.empty(1, 3, 1, 1, device="meta")
        if layout == "strided":  # every other element: not dense
            return torch.empty(2, 3, 4, 10, device="meta")[..., ::2], base
        return base, torch.empty(2, 3, 4, 5, device="meta")

    def run(x: Any, y: Any) -> Any:
        unary = op.rstrip("_") in ("sigmoid", "gelu", "relu")
        function = getattr(torch.Tensor, op) if op.endswith("_") else getattr(torch, op) if op != "gelu" else nn.functional.gelu
        return function(x) if unary else function(x, y)

    class Op(nn.Module):
        def forward(self, x: Any) -> Any:  # (the inputs are made here, on the meta device, as a forward body makes them)
            a, b = inputs()
            out = run(a, b)
            seen.append((tuple(out.shape), out.stride(), out.dtype))
            return x

    seen: list[Any] = []
    a, b = inputs()
    try:
        real = run(a, b)
    except RuntimeError:  # (torch refuses an in-place op whose result would broadcast: so must the pass)
        with pytest.raises(cc.ShapeError):
            cc.from_torch(Op(), (3,))
        return
    cc.from_torch(Op(), (3,))
    assert seen == [(tuple(real.shape), real.stride(), real.dtype)]


@pytest.mark.parametrize("layout", ["contiguous", "permuted"])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("normalized", [(5,), (4, 5)])
def test_a_sized_layer_norm_is_torchs(layout: str, affine: bool, normalized: tuple[int, ...]) -> None:
    """F.layer_norm in a forward body (timm's LayerNorm subclasses) sized: its three results as torch makes them."""
    weight = torch.empty(normalized, device="meta") if affine else None
    x = torch.empty(2, 3, 4, 5, device="meta")
    if layout == "permuted":
        x = torch.empty(3, 2, 4, 5, device="meta").transpose(0, 1)
    real = torch.ops.aten.native_layer_norm.default(x, list(normalized), weight, weight, 1e-5)
    sized = capture._sized_op(torch.ops.aten.native_layer_norm.default, (x, list(normalized), weight, weight, 1e-5))
    assert [(t.shape, t.stride(), t.dtype) for t in sized] == [(t.shape, t.stride(), t.dtype) for t in real]


@pytest.mark.parametrize("case", ["bn", "bn-no-affine", "bn-channels-last", "bn-training", "mean-keep", "mean-drop",
                                  "mean-last", "mean-channels-last", "pow"])
def test_sized_norm_and_reduction_ops_are_torchs(case: str) -> None:
    """aten's inference batch norm (timm's BatchNormAct2d), mean over dims and pow by a number, sized: torch's own
    results, shapes, strides and dtypes (or, where a layout or mode is not certain, not sized at all)."""
    aten = torch.ops.aten
    x = torch.empty(2, 8, 5, 5, device="meta")
    if "channels-last" in case:
        x = x.to(memory_format=torch.channels_last)
    w = torch.empty(8, device="meta")
    op, args = {
        "bn": (aten.native_batch_norm.default, (x, w, w, w, w, False, 0.1, 1e-3)),
        "bn-no-affine": (aten.native_batch_norm.default, (x, None, None, w, w, False, 0.1, 1e-3)),
        "bn-channels-last": (aten.native_batch_norm.default, (x, w, w, w, w, False, 0.1, 1e-3)),
        "bn-training": (aten.native_batch_norm.default, (x, w, w, None, None, True, 0.1, 1e-3)),
        "mean-keep": (aten.mean.dim, (x, [2, 3], True)),
        "mean-drop": (aten.mean.dim, (x, [1], False)),
        "mean-last": (aten.mean.dim, (x, [-1], True)),
        "mean-channels-last": (aten.mean.dim, (x, [1], True)),
        "pow": (aten.pow.Tensor_Scalar, (x, 2)),
    }[case]
    real = op(*args)
    sized = capture._sized_op(op, args)
    if sized is None:
        assert "channels-last" in case or "training" in case  # (those run)
        return
    as_list = list(sized) if isinstance(sized, tuple) else [sized]
    real_list = list(real) if isinstance(real, tuple) else [real]
    assert [(t.shape, t.stride(), t.dtype) for t in as_list] == [(t.shape, t.stride(), t.dtype) for t in real_list]
