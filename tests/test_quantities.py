"""The quantities beyond params, MACs and FLOPs: neurons, bias additions and the inference memory peak.

The peak is held to real torch on the CPU: each network is run as a program that lets go of every
tensor after its last use (each variable rebound or deleted), under a dispatch mode that tracks the
storage of the tensor each operation returns as its result and sees it freed (``weakref.finalize``); the most
bytes live at once is the oracle. Bias additions are held to ptflops, which counts one per output
element of a conv or linear layer with a bias (the difference of its totals with and without bias).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import pytest

import convcalc as cc

torch = pytest.importorskip("torch")
nn = torch.nn
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils._pytree import tree_leaves  # noqa: E402


class _Live(TorchDispatchMode):
    """Bytes held by the storages that operations returned, freed when their last tensor goes."""

    def __init__(self, held: list[torch.Tensor]) -> None:
        super().__init__()
        self.skip = {t.untyped_storage().data_ptr() for t in held}  # parameters and buffers (a transposed weight is a view)
        self.storages: dict[int, list[int]] = {}  # data pointer -> [bytes, tensors alive on it]
        self.now = self.peak = 0

    def track(self, t: torch.Tensor) -> None:
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key in self.skip:
            return
        if key in self.storages:
            self.storages[key][1] += 1  # a view or an in-place result: the same memory
        else:
            self.storages[key] = [storage.nbytes(), 1]
            self.now += storage.nbytes()
        weakref.finalize(t, self.release, key)
        self.peak = max(self.peak, self.now)

    def release(self, key: int) -> None:
        entry = self.storages[key]
        entry[1] -= 1
        if entry[1] == 0:
            self.now -= entry[0]
            del self.storages[key]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        result = next((t for t in tree_leaves(out) if isinstance(t, torch.Tensor)), None)
        if result is not None:  # the op's result: not max pooling's indices, which torch's kernel makes and drops
            self.track(result)
        return out


def measured_peak(modules: list[nn.Module], program: Callable[[list[torch.Tensor]], torch.Tensor],
                  shape: tuple[int, ...]) -> int:
    """The most bytes of activations live at once while ``program`` runs on a random input of ``shape``
    (the input included: the program pops it from its holder, so it is freed after its last use)."""
    held = [t for m in modules for t in (*m.parameters(), *m.buffers())]
    for m in modules:
        m.eval()
    live = _Live(held)
    holder = [torch.randn(*shape)]
    live.track(holder[0])
    with torch.no_grad(), live:
        out = program(holder)
    del out
    return live.peak


def test_peak_of_a_chain_with_in_place_relu_views_and_dropout() -> None:
    conv1, relu, pool = nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)
    conv2, drop, flat, fc = nn.Conv2d(8, 16, 3), nn.Dropout(0.5), nn.Flatten(), nn.Linear(16 * 2 * 2, 10)
    layers = [conv1, relu, pool, conv2, drop, flat, fc]

    def program(holder: list[torch.Tensor]) -> torch.Tensor:
        h = holder.pop()
        for m in layers:
            h = m(h)
        return h

    net = cc.Sequential(cc.Conv2d(3, 8, 3, padding=1), cc.ReLU(inplace=True), cc.MaxPool2d(2), cc.Conv2d(8, 16, 3),
                        cc.Dropout(0.5), cc.Flatten(), cc.Linear(64, 10))
    for batch in (1, 3):
        report = cc.summary(net, (3, 8, 8), batch=batch)
        truth = measured_peak(layers, program, (batch, 3, 8, 8))
        assert report.totals.peak_activation_bytes == truth
        # by hand, batch 1: the conv's 8·8·8 floats beside its input's 3·8·8 = 4·(512 + 192) = 2,816 is the most
        assert batch != 1 or truth == 2_816
        assert report.totals.inference_peak_bytes == truth + report.totals.param_bytes
        assert report.totals.activation_bytes > truth  # training keeps them all
        # from_torch follows the same data flow through torch's own modules (on the meta device)
        assert cc.from_torch(nn.Sequential(*layers), (3, 8, 8), batch=batch).totals.peak_activation_bytes == truth


def test_peak_of_a_resnet_block_with_a_projection_shortcut() -> None:
    conv1, bn1, relu = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)
    conv2, bn2 = nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)
    down, down_bn, after = nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16), nn.ReLU()

    def program(holder: list[torch.Tensor]) -> torch.Tensor:
        x = holder.pop()
        y = bn2(conv2(relu(bn1(conv1(x)))))
        s = down(x)  # the shortcut runs after the body, as torchvision's BasicBlock runs it
        del x  # its last use
        s = down_bn(s)
        out = y + s
        del y, s
        return after(out)

    net = cc.Residual(cc.Sequential(cc.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), cc.BatchNorm2d(16),
                                    cc.ReLU(inplace=True), cc.Conv2d(16, 16, 3, padding=1, bias=False), cc.BatchNorm2d(16)),
                      shortcut=cc.Sequential(cc.Conv2d(8, 16, 1, stride=2, bias=False), cc.BatchNorm2d(16)),
                      activation=cc.ReLU())
    modules = [conv1, bn1, conv2, bn2, down, down_bn]
    report = cc.summary(net, (8, 16, 16), batch=2)
    assert report.totals.peak_activation_bytes == measured_peak(modules, program, (2, 8, 16, 16))
    # the buffers (running statistics) are needed to predict too: 4 per channel of each BatchNorm
    assert report.totals.inference_peak_bytes == report.totals.peak_activation_bytes + 4 * (
        sum(p.numel() for m in modules for p in m.parameters()) + sum(m.running_mean.numel() * 2 for m in (bn1, bn2, down_bn)))


def test_peak_of_an_identity_residual_keeps_the_input_to_the_sum() -> None:
    conv1, conv2 = nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1)

    def program(holder: list[torch.Tensor]) -> torch.Tensor:
        x = holder.pop()
        y = conv2(torch.relu(conv1(x)))
        out = y + x
        del x, y
        return out

    net = cc.Residual(cc.Sequential(cc.Conv2d(4, 4, 3, padding=1), cc.ReLU(), cc.Conv2d(4, 4, 3, padding=1)))
    report = cc.summary(net, (4, 6, 6))
    truth = measured_peak([conv1, conv2], program, (1, 4, 6, 6))
    # by hand: 144 floats each; at conv2 the input, the ReLU's result and conv2's output: 3·144·4 = 1,728
    assert report.totals.peak_activation_bytes == truth == 1_728


def test_peak_of_a_concat_block_and_a_separable_conv() -> None:
    a, b = nn.Conv2d(3, 4, 1), nn.Conv2d(3, 6, 3, padding=1)
    separable = cc.to_torch(cc.SeparableConv2d(10, 5, 3, padding=1))

    def program(holder: list[torch.Tensor]) -> torch.Tensor:
        x = holder.pop()
        ya = a(x)
        yb = b(x)
        del x
        out = torch.cat([ya, yb], 1)
        del ya, yb
        return separable(out)

    net = cc.Sequential(cc.Concat(cc.Conv2d(3, 4, 1), cc.Conv2d(3, 6, 3, padding=1)), cc.SeparableConv2d(10, 5, 3, padding=1))
    report = cc.summary(net, (3, 5, 5), batch=2)
    assert report.totals.peak_activation_bytes == measured_peak([a, b, separable], program, (2, 3, 5, 5))


def test_zoo_networks_have_a_peak_below_all_kept() -> None:
    for name in ("alexnet", "resnet18", "vgg16"):
        t = cc.summary(name).totals
        assert t.peak_activation_bytes is not None and t.input_bytes < t.peak_activation_bytes < t.activation_bytes


def test_neurons_as_the_alexnet_paper_counts_them() -> None:
    # Krizhevsky et al. 2012, §5 and Fig. 2: "650,000 neurons"; per layer 253,440 (the paper's 224 input),
    # 186,624 (27·27·256), 64,896 (13·13·384), 64,896, 43,264 (13·13·256), 4096, 4096, 1000. On the 227
    # input the first layer gives 55·55·96 = 290,400.
    report = cc.summary("alexnet")
    assert report.totals.neurons == 290_400 + 186_624 + 64_896 + 64_896 + 43_264 + 4096 + 4096 + 1000
    conv1 = report.rows[0]
    assert conv1.neurons == 55 * 55 * 96  # CS231n: "the output volume ... 55*55*96 = 290,400 neurons"
    assert cc.summary("alexnet", batch=2).totals.neurons == 2 * report.totals.neurons


@pytest.mark.parametrize("make, spec, shape", [
    (lambda bias: nn.Conv2d(3, 8, 3, stride=2, bias=bias), lambda bias: cc.Conv2d(3, 8, 3, stride=2, bias=bias), (3, 9, 9)),
    (lambda bias: nn.ConvTranspose2d(4, 2, 3, stride=2, bias=bias), lambda bias: cc.ConvTranspose2d(4, 2, 3, 2, bias=bias),
     (4, 5, 5)),
    (lambda bias: nn.Linear(12, 7, bias=bias), lambda bias: cc.Linear(12, 7, bias=bias), (12,)),
    (lambda bias: nn.Conv2d(6, 12, 3, groups=6, bias=bias), lambda bias: cc.DepthwiseConv2d(6, 3, multiplier=2, bias=bias),
     (6, 7, 7)),
    (lambda bias: cc.to_torch(cc.SeparableConv2d(4, 6, 3, bias=bias)), lambda bias: cc.SeparableConv2d(4, 6, 3, bias=bias),
     (4, 6, 6)),
])
def test_bias_additions_as_ptflops_counts_them(make, spec, shape) -> None:  # type: ignore[no-untyped-def]
    from other_tools import ptflops_macs

    x = torch.randn(1, *shape)
    truth = ptflops_macs(make(True), x) - ptflops_macs(make(False), x)
    row = cc.summary(spec(True), shape).rows[0]
    assert row.bias_adds == truth > 0
    assert row.flops_with_bias == row.flops + truth
    assert cc.summary(spec(False), shape).rows[0].bias_adds == 0
    t = cc.summary(spec(True), shape).totals
    assert (t.bias_adds, t.flops_with_bias) == (truth, t.flops + truth)


def test_batch_norm_adds_no_bias_of_its_own_kind() -> None:
    # its shift β is in its 2 FLOPs per element, not a bias addition
    assert cc.summary(cc.BatchNorm2d(4), (4, 3, 3)).rows[0].bias_adds == 0


def test_json_carries_the_new_quantities() -> None:
    d = cc.summary(cc.Conv2d(3, 10, 5, padding=2), (3, 32, 32)).to_dict()
    row, totals = d["rows"][0], d["totals"]
    # by hand: 10·32·32 = 10,240 outputs, one bias addition each
    assert (row["neurons"], row["bias_adds"], row["flops_with_bias"]) == (10_240, 10_240, 1_536_000 + 10_240)
    # input 3·32·32 and output 10·32·32 floats live together: 4·(3,072 + 10,240) = 53,248; plus 760 parameters
    assert totals["peak_activation_bytes"] == 53_248 and totals["inference_peak_bytes"] == 53_248 + 760 * 4


def test_the_layer_card_and_the_working_show_them() -> None:
    from click.testing import CliRunner

    from convcalc.cli import cli

    card = CliRunner().invoke(cli, ["layer", "nn.Conv2d(3, 10, 5, padding=2)", "--input", "3x32x32"]).stdout
    # by hand: pad 2 and stride 1 as given; 10·32·32 = 10,240 outputs, each a bias addition: 1,536,000 + 10,240;
    # peak 4·(3,072 + 10,240) = 53,248 bytes with 760·4 = 3,040 bytes of parameters: 56,288
    for line in ("padding           2×2", "stride            1×1", "neurons           10,240",
                 "1,536,000 (1,546,240 with the 10,240 bias additions)", "inference peak    56,288 bytes"):
        assert line in card, card
    pool = CliRunner().invoke(cli, ["layer", "nn.MaxPool2d(3, stride=2, padding=1)", "--input", "4x9x9", "--layout", "chw"]).stdout
    assert "padding           1×1" in pool and "stride            2×2" in pool and "bias additions" not in pool
    text = cc.explain(cc.Conv2d(3, 10, 5, padding=2), (3, 32, 32))
    assert "FLOPs + bias additions (one per output element) = 1,536,000 + 10,240 = 1,546,240" in text
    assert "output elements = 10·32·32 = 10,240" in text and "= 53,248 + 3,040 = 56,288 bytes" in text
