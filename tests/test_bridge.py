"""to_torch, verify and from_torch: torch as the witness of every figure."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import AT_LEAST_300
from hypothesis import given
from hypothesis import strategies as st

import convcalc as cc
from convcalc import cli

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = {"sequential", "residual", "concat", "scale", "squeezeexcitation", "product"}
#: Large models are verified on the meta device: the same shapes, parameters and FLOPs, no arithmetic.
ON_META = {"vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "vgg_a_lrn", "vgg_c",
           "wide_resnet50_2", "resnet152", "resnet101", "alexnet", "alexnet_2012", "alexnet_torchvision", "swin_t", "maxvit_t"}


@pytest.mark.parametrize("name", cc.models.list())
def test_zoo_model_in_torch(name: str) -> None:
    report = cc.summary(name)
    module = cc.to_torch(name)
    assert sum(p.numel() for p in module.parameters()) == report.totals.params
    paths = dict(module.named_modules(remove_duplicate=False))
    assert all(row.path in paths or row.path == "" for row in report.rows), "module paths are the row paths"
    verified = cc.verify(name, device="meta" if name in ON_META else "cpu")
    assert verified.ok, str(verified)
    again = cc.from_torch(module, report.inputs[0] if report.inputs else report.input_shape).totals  # (lstm_lm: int64 ids)
    assert (again.params, again.macs, again.flops, again.activation_bytes) == (
        report.totals.params, report.totals.macs, report.totals.flops, report.totals.activation_bytes)


def test_resnet50_verifies_on_cpu() -> None:
    verified = cc.verify("resnet50")
    assert verified.ok and verified.device == "cpu"
    data = json.loads(verified.to_json())
    assert data["ok"] and data["totals"]["params"] == {"convcalc": 25_557_032, "torch": 25_557_032, "ok": True}
    assert "✓" in str(verified) and "all rows agree with torch" in str(verified)


# --- random layers and stacks against torch -------------------------------------------------


@st.composite
def stacks(draw):  # type: ignore[no-untyped-def]
    """A channel count, a spatial size and 1–4 layers whose channels chain (shapes may still not fit)."""
    channels = draw(st.integers(1, 4))
    start = channels
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        choice = draw(st.sampled_from(["conv", "depthwise", "separable", "transposed", "maxpool", "avgpool", "adaptive"]))
        k = draw(st.integers(1, 5))
        s = draw(st.integers(1, 3))
        if choice == "conv":
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
            out = groups * draw(st.integers(1, 3))
            layers.append(cc.Conv2d(channels, out, k, s, draw(st.integers(0, 2)), draw(st.integers(1, 2)), groups))
            channels = out
        elif choice == "depthwise":
            m = draw(st.integers(1, 2))
            layers.append(cc.DepthwiseConv2d(channels, k, s, draw(st.integers(0, 2)), multiplier=m))
            channels *= m
        elif choice == "separable":
            out = draw(st.integers(1, 4))
            layers.append(cc.SeparableConv2d(channels, out, k, s, draw(st.integers(0, 2))))
            channels = out
        elif choice == "transposed":
            out = draw(st.integers(1, 3))
            d = draw(st.integers(1, 2))
            layers.append(cc.ConvTranspose2d(channels, out, k, s, draw(st.integers(0, 2)),
                                             draw(st.integers(0, max(s, d) - 1)), dilation=d))
            channels = out
        elif choice in ("maxpool", "avgpool"):
            cls = cc.MaxPool2d if choice == "maxpool" else cc.AvgPool2d
            layers.append(cls(k, s, draw(st.integers(0, k // 2)), ceil_mode=draw(st.booleans())))
        else:
            layers.append(draw(st.sampled_from([cc.AdaptiveAvgPool2d, cc.AdaptiveMaxPool2d]))(draw(st.integers(1, 5))))
    if draw(st.booleans()):
        layers += [cc.Flatten(), cc.Linear(None, draw(st.integers(1, 8)))]
    return start, draw(st.integers(1, 16)), layers


@AT_LEAST_300
@given(stacks())
def test_random_stacks_agree_with_torch(stack) -> None:  # type: ignore[no-untyped-def]
    channels, size, layers = stack
    net = cc.Sequential(*layers)
    shape = (channels, size, size)
    try:
        report = cc.summary(net, shape, layout="chw")  # torch's reading
    except cc.ConvCalcError:
        # convcalc refuses: torch must refuse the same network too
        concrete = [layer for layer in layers if not isinstance(layer, cc.Linear)]
        module = cc.to_torch(cc.Sequential(*concrete))
        with pytest.raises((RuntimeError, ValueError)):
            with torch.no_grad():
                out = module(torch.zeros(1, *shape))
                if 0 in out.shape:  # grouped transposed convs may return empty tensors instead
                    raise RuntimeError("empty") from None
                if len(concrete) < len(layers):  # the Linear: in_features taken from the flattened size
                    raise RuntimeError("only the Linear could have failed, and it cannot") from None
        return
    verified = cc.verify(net, shape, layout="chw")
    assert verified.ok, str(verified)
    assert verified.flops.ours == 2 * report.totals.macs


# --- from_torch on hand-written modules -------------------------------------------------------


class Block(nn.Module):
    """A residual block written with functional code: conv, F.relu, conv, x + ..., F.relu."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)

    def forward(self, x):  # type: ignore[no-untyped-def]
        out = F.relu(self.conv1(x))
        return F.relu(x + self.conv2(out))


def test_from_torch_functional_residual() -> None:
    # On 8×16×16 each conv has 8·8·9 = 576 weights and 8·16·16·(8·9) = 147,456 MACs.
    # Functional work in Block.forward, attributed to the block (path ""): relu 2,048, add 2,048, relu 2,048.
    report = cc.from_torch(Block(), (8, 16, 16))
    assert [(r.path, r.kind) for r in report.rows] == [("conv1", "conv2d"), ("", "relu"), ("conv2", "conv2d"),
                                                       ("", "add"), ("", "relu")]
    assert report.totals.params == 2 * 576
    assert report.totals.macs == 2 * 147_456
    assert report.totals.flops == 2 * 2 * 147_456 + 3 * 2_048


class Inception(nn.Module):
    """Two branches concatenated with torch.cat, the second reusing one 1×1 conv twice."""

    def __init__(self) -> None:
        super().__init__()
        self.left = nn.Conv2d(4, 6, 3, padding=1)
        self.shared = nn.Conv2d(4, 4, 1)

    def forward(self, x):  # type: ignore[no-untyped-def]
        right = self.shared(self.shared(x))
        return torch.cat([self.left(x), right], dim=1).view(x.shape[0], -1)


def test_from_torch_concat_and_reused_layer() -> None:
    # left: 6·4·9 + 6 = 222 params, 6·5·5·36 = 5,400 MACs; shared: 4·4 + 4 = 20 params, counted once,
    # and 4·5·5·4 = 400 MACs per call, twice. cat: 10 channels, no FLOPs; view: 10·5·5 = 250 features.
    report = cc.from_torch(Inception(), (4, 5, 5))
    kinds = [(r.path, r.kind) for r in report.rows]
    assert kinds == [("shared", "conv2d"), ("shared", "conv2d"), ("left", "conv2d"), ("", "cat"), ("", "view")]
    assert report.totals.params == 222 + 20
    assert report.rows[1].params == 0 and report.rows[1].shared_with == 1
    assert report.totals.macs == 5_400 + 2 * 400
    assert report.rows[3].output_shape == (10, 5, 5) and report.rows[4].output_shape == (250,)


class Mystery(nn.Module):
    """A leaf convcalc has no class for, running an op it has no formula for (log Γ) before a learnt scale."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3, 1, 1))

    def forward(self, x):  # type: ignore[no-untyped-def]
        return torch.lgamma(x) * self.weight


def test_from_torch_lists_unknown_modules_and_ops() -> None:
    report = cc.from_torch(nn.Sequential(nn.Conv2d(3, 3, 1), Mystery()), (3, 4, 4))
    # the module's first row (its lgamma) is flagged, for the module and for the op
    assert [(r.path, r.kind) for r in report.unsupported] == [("1", "lgamma")]
    assert any("no formula for the module Mystery" in w for w in report.warnings)
    assert any("aten.lgamma has no convcalc formula" in w for w in report.warnings)
    # its parameters are still counted (3), and its multiply (3·4·4 = 48 FLOPs) too
    assert report.totals.params == 12 + 3
    assert [r.flops for r in report.rows if r.kind == "mul"] == [48]


def test_from_torch_independent_networks_match_torch_own_counts() -> None:
    from torch_reference import BUILDERS as REFERENCE
    from torch_reference import INPUTS

    for name in ("resnet50", "densenet121", "shufflenet_v2_x1_0", "convnext_tiny", "efficientnet_b0"):
        with torch.device("meta"):
            module = REFERENCE[name]().eval()
            x = torch.empty(1, *INPUTS[name])
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            module(x)
        report = cc.from_torch(module, INPUTS[name])
        assert report.totals.params == sum(p.numel() for p in module.parameters()), name
        assert 2 * report.totals.macs == counter.get_total_flops(), name
        assert report.totals.flops == cc.summary(name).totals.flops, name  # and convcalc's own zoo model


def test_from_torch_leaves_the_module_untouched() -> None:
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    before = module[0].weight.clone()
    cc.from_torch(module, (3, 8, 8))
    assert module[0].weight.device.type == "cpu" and torch.equal(module[0].weight, before)


def test_from_torch_vgg16_at_4096_uses_no_activation_memory() -> None:
    """On the meta device a 4096×4096 VGG-16 (its first activation alone is 4 GiB) costs nothing."""
    code = textwrap.dedent("""
        import resource, sys, torch
        sys.path.insert(0, "tests")
        import convcalc as cc
        from torch_reference import BUILDERS
        with torch.device("meta"):
            vgg = BUILDERS["vgg16"]()
        report = cc.from_torch(vgg, (3, 4096, 4096))
        assert report.rows[0].output_shape == (64, 4096, 4096)
        assert report.totals.macs > 5 * 10**12
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    # Linux keeps a process's peak RSS across fork and exec, so a child of this (large) test process would
    # report the test's own peak: a small launcher starts the measured process instead (as benchmarks/run.py)
    launcher = "import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-c', sys.argv[1]]))"
    done = subprocess.run([sys.executable, "-c", launcher, code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) < 1_500_000  # KiB: far below the 4 GiB one real activation needs


# --- devices ------------------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(cc.DeviceError, match="sees no CUDA GPU"):
        cc.verify("lenet5", device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", ["lenet5", "resnet50", "mobilenet_v3_small", "convnext_tiny", "inception_v3"])
def test_verify_on_cuda(name: str) -> None:
    verified = cc.verify(name, device="cuda", batch=2)
    assert verified.ok, str(verified)
    assert verified.device.startswith("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_index_beyond_the_gpus_is_refused() -> None:
    with pytest.raises(cc.DeviceError, match="CUDA GPU"):
        cc.verify("lenet5", device=f"cuda:{torch.cuda.device_count()}")


def test_unknown_device() -> None:
    with pytest.raises(cc.DeviceError, match="unknown device 'gpu'"):
        cc.verify("lenet5", device="gpu")


# --- the command line ------------------------------------------------------------------------


def run(capsys, *args: str):  # type: ignore[no-untyped-def]
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_verify_and_summary_verify(capsys) -> None:
    code, out, _ = run(capsys, "verify", "lenet5")
    assert code == 0 and "all rows agree with torch" in out
    code, out, _ = run(capsys, "summary", "lenet5", "--verify")
    assert code == 0 and "61,706" in out and "all rows agree with torch" in out
    code, out, _ = run(capsys, "verify", "alexnet", "--device", "meta", "--format", "json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_cli_verify_exits_1_on_a_mismatch(capsys, monkeypatch) -> None:
    original = cc.Linear.effect

    def miscount(self, shape):  # type: ignore[no-untyped-def]
        from convcalc.records import replace

        effect = original(self, shape)
        return replace(effect, weights=effect.weights + 1)

    monkeypatch.setattr(cc.Linear, "effect", miscount)
    code, out, _ = run(capsys, "verify", "lenet5")
    assert code == 1 and "✗" in out and "MISMATCH" in out


def test_cli_verify_cuda_without_gpu(capsys) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, out, err = run(capsys, "verify", "lenet5", "--device", "cuda")
    assert code == 2 and err.startswith("error: device 'cuda' asked for, but torch")


def test_cli_summary_of_a_users_module(capsys, tmp_path, monkeypatch) -> None:
    (tmp_path / "mynets.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        import convcalc as cc

        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3)
                self.fc = nn.Linear(8 * 6 * 6, 10)

            def forward(self, x):
                return self.fc(self.conv(x).flatten(1))

        def spec():
            return cc.Sequential(cc.Conv2d(3, 8, 3), cc.Flatten(), cc.Linear(288, 10))

        def broken():
            raise RuntimeError("no weights here")
    """))
    monkeypatch.chdir(tmp_path)
    # conv 8·3·9 + 8 = 224, fc 288·10 + 10 = 2,890
    code, out, _ = run(capsys, "summary", "mynets:Tiny", "--input", "3x8x8", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 3_114
    code, out, _ = run(capsys, "summary", "mynets:spec", "--input", "3x8x8", "--verify")
    assert code == 0 and "3,114" in out and "all rows agree with torch" in out
    for args, message in [
        (["summary", "mynets:Tiny"], "error: Tiny is a torch module: give input_shape"),
        (["summary", "mynets:nothing", "--input", "3x8x8"], "error: mynets has no 'nothing'"),
        (["summary", "nosuchpackage:Net", "--input", "3x8x8"], "error: cannot import nosuchpackage"),
        (["summary", "mynets:broken", "--input", "3x8x8"], "error: mynets:broken() failed: RuntimeError: no weights here"),
        (["summary", "my nets:x"], "error: 'my nets:x' is not a model name or package.module:Name"),
        (["verify", "mynets:Tiny", "--input", "3x8x8"], "error: verify holds a convcalc network to torch"),
    ]:
        code, out, err = run(capsys, *args)
        assert code == 2 and err.startswith(message), err


def test_without_torch_the_bridge_says_how_to_get_it() -> None:
    code = ("import sys; sys.modules['torch'] = None\n"
            "import convcalc as cc\n"
            "try:\n    cc.to_torch('lenet5')\nexcept cc.TorchUnavailableError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert "this needs PyTorch, which is not installed" in done.stdout


# --- regressions from review -------------------------------------------------------------------


class Folded(nn.Module):
    """Tokens folded into the batch before a Linear, as vision transformers do."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 16)
        self.unused = nn.Linear(100, 100)  # an auxiliary head that never runs

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.fc(x.flatten(2).transpose(1, 2).reshape(-1, 8))


def test_from_torch_counts_the_real_batch_and_every_parameter() -> None:
    module = Folded()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(torch.zeros(1, 8, 4, 4))
    report = cc.from_torch(module, (8, 4, 4))
    assert 2 * report.totals.macs == counter.get_total_flops()  # 16 tokens of 8 → 16: 2·16·8·16 = 4,096
    assert report.totals.params == sum(p.numel() for p in module.parameters())  # the unused head too
    assert any("not used by any layer that ran" in w for w in report.warnings)


def test_tied_weights_count_once() -> None:
    a, b = nn.Linear(8, 8), nn.Linear(8, 8)
    b.weight = a.weight
    report = cc.from_torch(nn.Sequential(a, b), (8,))
    assert report.totals.params == 64 + 8 + 8  # one shared 8×8 weight, two biases


def test_from_torch_half_precision_model() -> None:
    report = cc.from_torch(nn.Sequential(nn.Conv2d(3, 4, 3)).half(), (3, 8, 8), dtype="float16")
    assert report.totals.params == 112 and report.dtype_bytes == 2


def test_shared_inferred_layer_must_have_one_size() -> None:
    bn = cc.BatchNorm2d(None)
    net = cc.Sequential(cc.Conv2d(3, 4, 1), bn, cc.Conv2d(4, 8, 1), bn)
    with pytest.raises(cc.ShapeError, match="is used twice, as BatchNorm2d\\(4\\) and as BatchNorm2d\\(8\\)"):
        cc.summary(net, (3, 5, 5))


def test_names_that_clash_are_refused() -> None:
    with pytest.raises(cc.SpecError, match="cannot be named 'cat'"):
        cc.Concat({"cat": cc.Conv2d(3, 4, 1), "b": cc.Conv2d(3, 2, 1)})
    with pytest.raises(cc.SpecError, match="clashes with an attribute of torch.nn.Module"):
        cc.to_torch(cc.Sequential({"training": cc.ReLU()}))


def test_repr_keeps_every_dimension_of_non_spatial_tuples() -> None:
    assert repr(cc.LayerNorm((3, 3))) == "LayerNorm((3, 3))"
    assert repr(cc.Reshape((4, 4))) == "Reshape((4, 4))"


def test_cli_verify_json_is_one_document_and_user_prints_stay_off_it(capsys, tmp_path, monkeypatch) -> None:
    (tmp_path / "chatty.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        print("importing chatty")

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3)

            def forward(self, x):
                print("forward!")
                return self.conv(x)

        model = Net()
    """))
    (tmp_path / "broken_syntax.py").write_text("def oops(:\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "summary", "lenet5", "--verify", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["verify"]["ok"] and data["summary"]["totals"]["params"] == 61_706
    code, out, err = run(capsys, "summary", "chatty:model", "--input", "3x8x8", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 112 and "forward!" in err
    code, _, err = run(capsys, "summary", "broken_syntax:Net", "--input", "3x8x8")
    assert code == 2 and "SyntaxError" in err
    code, _, err = run(capsys, "summary", "lenet5", "--device", "meta")
    assert code == 2 and "add --verify" in err
