"""Inputs as users have them: several, keyword, integer and unbatched inputs, train mode, pruned, weight-normed and
lazy modules, a forward that moves tensors between devices, TorchScript refused; per-sample shapes wherever the
batch sits. torch is the witness: its own parameter count, FlopCounterMode on a real forward of the same inputs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import convcalc as cc
from convcalc import cli
from convcalc.errors import ShapeError, SpecError

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402


def torch_flops(module, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    """FlopCounterMode's total for one real forward (CPU, small tensors)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*args, **kwargs)
    return int(counter.get_total_flops())


def params_of(module) -> int:  # type: ignore[no-untyped-def]
    return sum(p.numel() for p in module.parameters())


class Fusion(nn.Module):
    """Two inputs: an image and a one-channel mask that gates it."""

    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Conv2d(3, 8, 3, padding=1)
        self.mask = nn.Conv2d(1, 8, 3, padding=1)
        self.head = nn.Linear(8, 5)

    def forward(self, x, mask=None):  # type: ignore[no-untyped-def]
        y = self.image(x) * torch.sigmoid(self.mask(mask.float()))
        return self.head(y.mean((2, 3)))


class KeywordOnly(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fusion = Fusion()

    def forward(self, *, image, mask):  # type: ignore[no-untyped-def]
        return self.fusion(image, mask)


class Bag(nn.Module):
    """Token ids through F.embedding (a table held as a parameter), averaged, then a classifier."""

    def __init__(self, vocabulary: int = 100, dim: int = 16, classes: int = 4) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.randn(vocabulary, dim))
        self.fc = nn.Linear(dim, classes)

    def forward(self, ids):  # type: ignore[no-untyped-def]
        return self.fc(F.embedding(ids, self.table).mean(1))


def test_two_positional_inputs() -> None:
    module = Fusion()
    report = cc.from_torch(module, [(3, 16, 16), (1, 16, 16)], batch=2)
    assert report.totals.params == params_of(module)
    assert report.profiles()["torch"] == torch_flops(module, torch.zeros(2, 3, 16, 16), torch.zeros(2, 1, 16, 16))
    rows = {r.path: r for r in report.rows}
    assert rows["image"].input_shape == (3, 16, 16) and rows["mask"].input_shape == (1, 16, 16)
    # inputs: 2 samples · (3·16·16 + 1·16·16) floats of 4 bytes
    assert report.totals.input_bytes == 2 * (768 + 256) * 4
    assert report.to_dict()["inputs"] == [{"name": None, "shape": [3, 16, 16], "dtype": "float32"},
                                          {"name": None, "shape": [1, 16, 16], "dtype": "float32"}]
    assert report.input_shape == (3, 16, 16)


def test_keyword_inputs_and_mixed_forms() -> None:
    module = KeywordOnly()
    expected = torch_flops(module, image=torch.zeros(1, 3, 16, 16), mask=torch.zeros(1, 1, 16, 16))
    report = cc.from_torch(module, {"image": (3, 16, 16), "mask": cc.Input((1, 16, 16), dtype="bool")})
    assert report.totals.params == params_of(module) and report.profiles()["torch"] == expected
    # the bool mask is 1 byte an element: 3·16·16·4 + 16·16·1
    assert report.totals.input_bytes == 3072 + 256
    assert report.to_dict()["inputs"][1] == {"name": "mask", "shape": [1, 16, 16], "dtype": "bool"}
    mixed = cc.from_torch(Fusion(), [(3, 16, 16), cc.Input((1, 16, 16), name="mask")])  # an Input with a name: a keyword
    assert mixed.profiles()["torch"] == expected
    assert str(mixed).splitlines()[0] == "Fusion: inputs 3×16×16, mask=1×16×16, batch 1, float32"


def test_integer_token_ids() -> None:
    module = Bag()
    report = cc.from_torch(module, cc.Input((12,), dtype="int64"), batch=3)
    assert report.totals.params == params_of(module) == 100 * 16 + 16 * 4 + 4
    assert report.profiles()["torch"] == torch_flops(module, torch.zeros(3, 12, dtype=torch.long))
    lookup = report.rows[0]
    assert lookup.input_shape == (12,) and lookup.output_shape == (12, 16)  # per sample: 12 ids, 16 features each
    assert report.totals.input_bytes == 3 * 12 * 8  # int64 ids
    assert report.to_dict()["inputs"] == [{"name": None, "shape": [12], "dtype": "int64"}]
    with pytest.raises(ShapeError, match="Long, Int"):  # float ids are what torch refuses: the error says torch's words
        cc.from_torch(module, (12,))


def test_input_forms_are_checked() -> None:
    for given, message in [
        (lambda: [(3, 8, 8), cc.Input((1, 8, 8), name="m"), cc.Input((1, 8, 8), name="m")], "given twice"),
        (lambda: cc.Input((3, 8), dtype="complex"), "unknown input dtype"),
        (lambda: cc.Input((3, 8), name="not a name"), "Python identifier"),
        (lambda: {}, "no inputs"),
        (lambda: [(3, 0)], "positive whole sizes"),
    ]:
        with pytest.raises((ShapeError, SpecError), match=message):
            cc.from_torch(Fusion(), given())
    with pytest.raises(SpecError, match="takes one input"):
        cc.summary("lenet5", [(1, 32, 32), (1, 32, 32)])


def test_an_input_for_a_spec_network_sets_its_bytes() -> None:
    plain = cc.summary("lenet5")
    half = cc.summary("lenet5", cc.Input((1, 32, 32), dtype="float16"))
    assert half.totals.flops == plain.totals.flops
    assert plain.totals.input_bytes - half.totals.input_bytes == 32 * 32 * 2  # 4 bytes an element less 2
    assert half.to_dict()["inputs"] == [{"name": None, "shape": [1, 32, 32], "dtype": "float16"}]
    assert "inputs" not in plain.to_dict()
    assert cc.summary("lenet5", cc.Input((1, 32, 32))).to_dict() == plain.to_dict()


def test_batch_none_takes_the_inputs_whole() -> None:
    report = cc.from_torch(nn.Linear(16, 4), (7, 16), batch=None)
    (row,) = report.rows
    assert row.input_shape == (7, 16) and row.output_shape == (7, 4)
    assert report.totals.macs == 7 * 16 * 4  # 7 tokens, each 16 inputs × 4 outputs
    assert report.to_dict()["batch"] is None and report.totals.input_bytes == 7 * 16 * 4
    conv = nn.Conv2d(3, 4, 3)  # torch's unbatched call (3×8×8) and a batched one given whole (2×3×8×8)
    unbatched = cc.from_torch(conv, (3, 8, 8), batch=None)
    assert unbatched.totals.macs == torch_flops(conv, torch.zeros(3, 8, 8)) // 2
    whole = cc.from_torch(conv, (2, 3, 8, 8), batch=None)
    assert whole.totals.macs == torch_flops(conv, torch.zeros(2, 3, 8, 8)) // 2 == 2 * unbatched.totals.macs
    assert "given whole" in str(whole).splitlines()[0]


class AuxNet(nn.Module):
    """An auxiliary head that runs only in training (as GoogLeNet's and Inception's)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Linear(8, 10)
        self.aux = nn.Linear(8, 10)

    def forward(self, x):  # type: ignore[no-untyped-def]
        f = self.body(x).mean((2, 3))
        return (self.head(f), self.aux(f)) if self.training else self.head(f)


def test_mode_train_runs_the_training_branches() -> None:
    module = AuxNet()
    x = torch.zeros(2, 3, 12, 12)
    evaluated = cc.from_torch(module, (3, 12, 12), batch=2)
    trained = cc.from_torch(module, (3, 12, 12), batch=2, mode="train")
    assert "aux" not in {r.path for r in evaluated.rows} and "aux" in {r.path for r in trained.rows}
    assert evaluated.profiles()["torch"] == torch_flops(module.eval(), x)
    assert trained.profiles()["torch"] == torch_flops(module.train(), x)
    assert trained.totals.macs - evaluated.totals.macs == 2 * 8 * 10  # the aux head: 2 samples · 8 · 10
    assert evaluated.totals.params == trained.totals.params == params_of(module)  # eval: the aux head's listed unused
    assert any("mode='train'" in n for n in trained.notes)
    with pytest.raises(SpecError, match="mode must be 'eval' or 'train'"):
        cc.from_torch(module, (3, 12, 12), mode="training")


def test_pruned_and_weight_normed_modules() -> None:
    from torch.nn.utils import parametrizations, prune

    pruned = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    prune.l1_unstructured(pruned[0], "weight", amount=0.5)
    prune.random_unstructured(pruned[3], "weight", amount=0.3)
    normed = nn.Sequential(parametrizations.weight_norm(nn.Linear(12, 12)), nn.Tanh(), nn.Linear(12, 3))
    with pytest.warns(FutureWarning):
        legacy = nn.Sequential(nn.utils.weight_norm(nn.Conv2d(3, 4, 3)), nn.ReLU())
    for module, shape in [(pruned, (3, 8, 8)), (normed, (12,)), (legacy, (3, 8, 8))]:
        report = cc.from_torch(module, shape)
        # torch's count: weight_orig (pruned; the mask is a buffer), weight_g and weight_v (weight norm)
        assert report.totals.params == params_of(module), module
        assert report.profiles()["torch"] == torch_flops(module, torch.zeros(1, *shape)), module
        assert not report.warnings, report.warnings
    assert params_of(pruned) == (8 * 3 * 9 + 8) + (288 * 10 + 10)


class Moves(nn.Module):
    """A forward that moves its input as scripts do, and makes constants with torch.tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.offset = torch.tensor([1.0, 2.0, 3.0, 4.0])  # a plain attribute, not a buffer

    def forward(self, x):  # type: ignore[no-untyped-def]
        x = x.to("cpu").cpu()
        x = x + torch.tensor([0.5, 0.5, 0.5, 0.5]) + self.offset * torch.tensor(2.0).item()
        for _ in torch.arange(2).tolist():  # data-dependent Python on a tensor the forward makes: it needs the data
            x = torch.relu(x)
        device = next(self.parameters()).device
        return self.fc(x.to(device, torch.float32)).to(torch.device("cpu"))


def test_a_forward_that_moves_tensors_runs_on_the_meta_device() -> None:
    module = Moves()
    report = cc.from_torch(module, (4,), batch=3)
    assert report.totals.params == 20
    assert report.profiles()["torch"] == torch_flops(module, torch.zeros(3, 4))
    assert module.offset.device.type == "cpu"  # the user's module is left as it was


class TypeAs(nn.Module):
    """``a.type_as(b)`` (EVA's rotary embedding): b's dtype, whatever device b is on."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.scale = torch.ones(4, dtype=torch.float64)  # a plain attribute on the CPU

    def forward(self, x):  # type: ignore[no-untyped-def]
        y = self.fc(x).type_as(self.scale)
        return y * self.scale.type_as(y)


def test_type_as_keeps_the_dtype_on_the_meta_device() -> None:
    module = TypeAs()
    report = cc.from_torch(module, (4,), batch=2)
    assert report.totals.params == 4 * 4 + 4
    assert report.profiles()["torch"] == torch_flops(module, torch.zeros(2, 4))
    assert [r.kind for r in report.rows] == ["linear", "mul"]  # (the casts cost nothing)


class Autocast(nn.Module):
    """A forward that turns autocast off for the device its tensors are on (timm's EfficientViT attention)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 6)

    def forward(self, x):  # type: ignore[no-untyped-def]
        with torch.autocast(device_type=x.device.type, enabled=False):
            return torch.relu(self.fc(x.float()))


def test_autocast_for_the_inputs_device_runs_on_the_meta_device() -> None:
    module = Autocast()
    report = cc.from_torch(module, (4,), batch=3)
    assert report.totals.params == 4 * 6 + 6
    assert report.profiles()["torch"] == torch_flops(module, torch.zeros(3, 4))
    assert torch.amp.autocast_mode.autocast.__init__.__qualname__ == "autocast.__init__"  # torch's own again


class LazyTwo(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.left = nn.LazyLinear(6)
        self.right = nn.LazyLinear(6)

    def forward(self, x, *, context):  # type: ignore[no-untyped-def]
        return self.left(x) + self.right(context)


def test_lazy_modules_with_keyword_inputs() -> None:
    module = LazyTwo()
    report = cc.from_torch(module, [(5,), cc.Input((9,), name="context")])
    assert report.totals.params == (5 * 6 + 6) + (9 * 6 + 6)  # the sizes the inputs give them
    assert report.totals.macs == 5 * 6 + 9 * 6


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch 2.13 deprecates TorchScript itself
def test_torchscript_is_refused_naming_what_to_pass(capsys, tmp_path, monkeypatch) -> None:
    for scripted in (torch.jit.script(nn.Linear(3, 3)), torch.jit.trace(nn.Linear(3, 3), torch.zeros(1, 3))):
        with pytest.raises(SpecError, match=r"TorchScript .*pass the nn.Module you scripted or traced"):
            cc.from_torch(scripted, (3,))
    (tmp_path / "scripted.py").write_text("import torch\nmodel = torch.jit.script(torch.nn.Linear(3, 3))\n")
    monkeypatch.chdir(tmp_path)
    code = cli.main(["summary", "scripted:model", "--input", "3"])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: from_torch needs an eager nn.Module") and len(err.splitlines()) == 1


NETS = textwrap.dedent("""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Fusion(nn.Module):
        def __init__(self):
            super().__init__()
            self.image = nn.Conv2d(3, 8, 3, padding=1)
            self.mask = nn.Conv2d(1, 8, 3, padding=1)

        def forward(self, x, mask=None):
            return self.image(x) * torch.sigmoid(self.mask(mask.float()))

    class Bag(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.Parameter(torch.zeros(50, 8))
            self.fc = nn.Linear(8, 2)

        def forward(self, ids):
            return self.fc(F.embedding(ids, self.table).mean(1))
""")


def test_cli_input_forms(capsys, tmp_path, monkeypatch) -> None:
    (tmp_path / "usernets.py").write_text(NETS)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    # the image conv: 8·3·9 + 8 = 224 parameters, 8·16·16 outputs of 27 MACs; the mask conv: 8·9 + 8 = 80, 9 MACs each
    image, mask = 8 * 16 * 16 * 27, 8 * 16 * 16 * 9
    for forms in (["--input", "3x16x16", "--input", "1x16x16"], ["--input", "3x16x16", "--input", "mask=1x16x16:bool"],
                  ["--input", "x=3x16x16", "--input", "mask=1x16x16"]):
        code, out, err = run("summary", "usernets:Fusion", *forms, "--format", "json")
        assert code == 0, err
        document = json.loads(out)
        assert document["totals"]["params"] == 304 and document["totals"]["macs"] == image + mask
        assert [i["shape"] for i in document["inputs"]] == [[3, 16, 16], [1, 16, 16]]
    code, out, err = run("summary", "usernets:Bag", "--input", "10:int64", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["inputs"] == [{"name": None, "shape": [10], "dtype": "int64"}]
    assert document["totals"]["params"] == 50 * 8 + 8 * 2 + 2 and document["totals"]["macs"] == 8 * 2
    for forms, message in [
        (["--input", "3x16x16", "--input", "mask=1x16x16:complex"], "error: unknown input dtype 'complex'"),
        (["--input", "3x16x16", "--input", "=1x16x16"], "error: cannot read input '=1x16x16'"),
        (["--input", "3x16x16", "--input", "1x16x16:"], "error: cannot read input '1x16x16:'"),
        (["--input", "3x16x16"], "error: Fusion did not run on input 3x16x16"),
    ]:
        code, out, err = run("summary", "usernets:Fusion", *forms)
        assert code == 2 and err.startswith(message) and len(err.splitlines()) == 1, err
    code, out, err = run("summary", "lenet5", "--input", "1x32x32", "--input", "1x32x32")
    assert code == 2 and "takes one input" in err


AUX_NET = textwrap.dedent("""
    import torch.nn as nn

    class AuxNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
            self.head = nn.Linear(8, 10)
            self.aux = nn.Linear(8, 10)

        def forward(self, x):
            f = self.body(x).mean((2, 3))
            return (self.head(f), self.aux(f)) if self.training else self.head(f)
""")


def test_cli_mode_runs_a_torch_module_in_train_mode(capsys, tmp_path, monkeypatch) -> None:
    """`summary --mode train` runs the user's module in train mode (its auxiliary head runs); a zoo model or spec
    file, counted as at inference either way, is refused in one line rather than silently given the same figures."""
    (tmp_path / "auxnets.py").write_text(AUX_NET)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    x = torch.zeros(2, 3, 12, 12)
    macs = {}
    for mode in ("eval", "train"):
        code, out, err = run("summary", "auxnets:AuxNet", "--input", "3x12x12", "--batch", "2", "--mode", mode, "--format", "json")
        assert code == 0, err
        document = json.loads(out)
        macs[mode] = document["totals"]["macs"]
        assert ("aux" in {r["path"] for r in document["rows"]}) == (mode == "train")
        # FlopCounterMode counts the conv and the Linear layers that ran, 2 per MAC (not BatchNorm, ReLU, mean)
        assert torch_flops(AuxNet().train(mode == "train"), x) == 2 * macs[mode]
    assert macs["train"] - macs["eval"] == 2 * 8 * 10  # the aux head: 2 samples · 8 · 10
    for model in ("lenet5", str(Path(__file__).resolve().parents[1] / "examples" / "lenet_mnist.txt")):
        code, out, err = run("summary", model, "--mode", "train")
        assert code == 2 and out == "" and len(err.splitlines()) == 1, err
        assert err.startswith("error: mode 'train' runs a torch module in train mode; ") and "is a convcalc network" in err
        assert run("summary", model, "--mode", "eval")[:2] == run("summary", model)[:2]  # eval: what it counts anyway
    code, out, err = run("summary", "lenet5", "--mode", "training")
    assert code == 2 and err.startswith("error: Invalid value for '--mode'")
    with pytest.raises(SpecError, match="mode must be 'eval' or 'train'"):
        cc.summary("lenet5", mode="training")
    assert 2 * cc.summary(AuxNet(), (3, 12, 12), mode="train").totals.macs == torch_flops(AuxNet().train(), torch.zeros(1, 3, 12, 12))


class BatchSecondAttention(nn.Module):
    """Self-attention written as torch's own batch-second code is: (L, N, E), heads folded into the batch."""

    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.heads = heads

    def forward(self, x):  # type: ignore[no-untyped-def]
        x = x.transpose(0, 1)  # (N, L, E) -> (L, N, E)
        length, n, dim = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (t.reshape(length, n * self.heads, dim // self.heads).transpose(0, 1) for t in (q, k, v))
        weights = torch.softmax(q @ k.transpose(1, 2), dim=-1)
        o = (weights @ v).transpose(0, 1).reshape(length, n, dim)
        return self.out(o).transpose(0, 1)


@pytest.mark.parametrize("batch", [1, 3])
def test_per_sample_shapes_wherever_the_batch_sits(batch: int) -> None:
    module = BatchSecondAttention()
    report = cc.from_torch(module, (10, 32), batch=batch)
    assert report.profiles()["torch"] == torch_flops(module, torch.zeros(batch, 10, 32))
    rows = report.rows
    # the first transpose moves the batch to dim 1: per sample it is still 10 tokens × 32 features
    assert rows[0].kind == "transpose" and rows[0].input_shape == rows[0].output_shape == (10, 32)
    qkv = next(r for r in rows if r.path == "qkv")
    assert qkv.input_shape == (10, 32) and qkv.output_shape == (10, 96) and qkv.batch == batch
    # the scores: each of batch·heads folded samples is a 10×10 matrix of 8-long dot products
    scores = next(r for r in rows if r.kind == "bmm")
    assert scores.output_shape == (10, 10) and scores.batch == batch * 4 and scores.macs == batch * 4 * 10 * 10 * 8
    assert rows[-1].output_shape == (10, 32) and report.output_shape == (10, 32)


def test_a_merged_blocks_label_counts_layers_not_views() -> None:
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(8, 8)

        def forward(self, x):  # type: ignore[no-untyped-def]
            y = self.fc(x.reshape(x.shape[0], 2, 4).transpose(1, 2).reshape(x.shape[0], 8))
            return torch.relu(y) + x

    report = cc.from_torch(nn.Sequential(Block(), Block()), (8,)).at_depth(0)
    # each block: reshape, transpose, reshape (views and a copy: no layers), fc, relu, + (three layers)
    assert [r.layer for r in report.rows] == ["Block: 3 layers", "Block: 3 layers"]


def test_a_batch_merged_with_a_dim_before_it_shows_whole_tensors() -> None:
    class Merge(nn.Module):
        def forward(self, x):  # type: ignore[no-untyped-def]
            return torch.relu(x.transpose(0, 1).reshape(-1, x.shape[2]))  # (N, C, L) -> (C·N, L): channels before samples

    report = cc.from_torch(Merge(), (4, 5), batch=3)
    merged = report.rows[-2]  # the reshape: the batch now sits inside dim 0, after the channels
    assert merged.input_shape == (4, 3, 5) and merged.output_shape == (12, 5) and merged.batch == 1
    assert "whole tensors" in merged.formula
    relu = report.rows[-1]
    assert relu.output_shape == (12, 5) and relu.batch == 1 and relu.flops == 12 * 5  # 1 per element of the whole tensor
