"""A training step's figures held to torch: the bytes autograd saves (``saved_tensors_hooks``), FlopCounterMode over
the forward and the backward, a real ``torch.optim`` step's state; frozen layers; the largest batch that fits; the
CLI and JSON forms. The oracles are in tests/training_oracle.py; the networks in tests/torch_reference.py were
written from torchvision's definitions without reading convcalc's zoo."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

import convcalc as cc
from convcalc.cli import cli
from convcalc.training import parse_memory

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch_reference import BUILDERS, INPUTS  # noqa: E402
from training_oracle import optimizer_state_bytes, saved_bytes, step_flops  # noqa: E402

#: Zoo models whose layers do not all have a training model yet: left out, and said so in the README.
NOT_MODELLED: set[str] = set()
#: Zoo models with torchvision's stochastic depth, which tests/torch_reference.py leaves out (it builds the inference
#: network): held to torch's modules as convcalc builds them (its StochasticDepth runs torchvision's rule in training).
STOCHASTIC_DEPTH = {"efficientnet_b0", "convnext_tiny", "swin_t", "maxvit_t"}
#: Smaller inputs where a model takes any size (the saved-bytes test runs a real CPU forward).
SMALL = {name: 64 for name in (
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "resnet18", "resnet34", "resnet50",
    "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2", "densenet121", "squeezenet1_0", "squeezenet1_1",
    "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x1_0",
    "convnext_tiny", "googlenet", "alexnet_torchvision")} | {"inception_v3": 96, "espcn": 32}

MODELLED = sorted(set(BUILDERS) - NOT_MODELLED)


def small_input(name: str) -> tuple[int, ...]:
    shape = INPUTS[name]
    return (shape[0], SMALL[name], SMALL[name]) if name in SMALL else shape


def batch_of(shape: tuple[int, ...], batch: int, device: str = "cpu", name: str = "") -> torch.Tensor:
    """A batch for the network ``name``: token ids for the language model (batch first, as its module reads them)."""
    if name == "lstm_lm":
        return torch.randint(0, 100, (batch, *shape), device=device)
    return torch.randn(batch, *shape, device=device)


@pytest.mark.parametrize("name", MODELLED)
def test_saved_bytes_equal_saved_tensors_hooks(name: str) -> None:
    """Every zoo model at a small input, batch 2, on the CPU in train mode: the bytes of the tensors autograd saves
    (parameters and buffers left out, a storage counted once) are convcalc's saved activations."""
    shape = small_input(name)
    batch = 1 if name in ("unet", "fcn_resnet50") else 2  # (a real CPU forward at 572 or 520: DeepLab's pooled BN needs 2)
    report = cc.summary(name, shape, batch=batch, train=True)
    if name in STOCHASTIC_DEPTH:  # (built on the CPU: Swin's and MaxViT's relative-position indices are computed at init)
        module = cc.to_torch(name, shape)
    else:
        with torch.device("meta"):  # (built without initialising its weights: their values change nothing saved)
            module = BUILDERS[name]().to_empty(device="cpu")
    assert report.totals.saved_activation_bytes == saved_bytes(module, batch_of(shape, batch, name=name))
    assert not [w for w in report.warnings if "training model" in w]


@pytest.mark.parametrize("name", MODELLED)
def test_torch_training_profile_equals_flop_counter_forward_and_backward(name: str) -> None:
    """The ``torch`` profile of a training step is FlopCounterMode over the forward and the backward (meta device)."""
    report = cc.summary(name, batch=2, train=True)
    assert report.profiles()["torch"] == step_flops(BUILDERS[name], batch_of(INPUTS[name], 2, "meta", name))


def test_resnet50_at_batch_32_as_the_issue_asks() -> None:
    report = cc.summary("resnet50", batch=32, train=True, optimizer="adam")
    flops = step_flops(BUILDERS["resnet50"], batch_of((3, 224, 224), 32, "meta"))
    assert report.profiles()["torch"] == flops
    # ResNet-50 has no grouped conv: the forward is 2 FLOPs per conv and linear MAC, the backward twice that (the
    # input's and the weight's gradients), less the first conv's input gradient (the image needs none).
    conv1_macs = 32 * 64 * 112 * 112 * 3 * 7 * 7
    assert flops == 6 * report.totals.macs - 2 * conv1_macs


def _freeze_all_but_fc(module: nn.Module) -> None:
    for name, p in module.named_parameters():
        if not name.startswith("fc."):
            p.requires_grad_(False)


def test_resnet18_frozen_but_fc() -> None:
    """Every layer but the classifier frozen: torch's backward is the classifier's weight gradient alone (its input,
    the pooled features, needs none): 2·512·1000 per sample."""
    report = cc.summary("resnet18", batch=2, train=True, freeze=("conv1", "bn1", "layer*"))
    x = batch_of((3, 224, 224), 2, "meta")
    assert report.profiles()["torch"] == step_flops(BUILDERS["resnet18"], x, _freeze_all_but_fc)
    assert report.totals.backward_flops == 2 * 2 * 512 * 1000  # dW only: batch · 2 · in · out
    assert report.totals.gradient_bytes == (512 * 1000 + 1000) * 4
    module = BUILDERS["resnet18"]()
    _freeze_all_but_fc(module)
    small = cc.summary("resnet18", (3, 64, 64), batch=2, train=True, freeze=("conv1", "bn1", "layer*"))
    assert small.totals.saved_activation_bytes == saved_bytes(module, batch_of((3, 64, 64), 2)) == 2 * 512 * 4


@pytest.mark.parametrize(("name", "globs", "prefix"), [
    ("vgg16", ("features",), "features."),
    ("mobilenet_v2", ("features.0", "features.1", "features.2", "features.3"), ("features.0.", "features.1.", "features.2.", "features.3.")),
    ("resnet50", ("conv1", "bn1", "layer1"), ("conv1.", "bn1.", "layer1.")),
])
def test_frozen_prefix_as_torch(name: str, globs: tuple[str, ...], prefix: str | tuple[str, ...]) -> None:
    """A frozen prefix: no weight gradient in it, no input gradient through it (autograd records nothing there)."""
    def freeze(module: nn.Module) -> None:
        for n, p in module.named_parameters():
            if n.startswith(prefix):
                p.requires_grad_(False)

    report = cc.summary(name, batch=2, train=True, freeze=globs)
    assert report.profiles()["torch"] == step_flops(BUILDERS[name], batch_of(INPUTS[name], 2, "meta"), freeze)
    shape = small_input(name)
    module = BUILDERS[name]()
    freeze(module)
    small = cc.summary(name, shape, batch=2, train=True, freeze=globs)
    assert small.totals.saved_activation_bytes == saved_bytes(module, batch_of(shape, 2))
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert small.totals.gradient_bytes == 4 * trainable


OPTIMIZERS = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "adam": lambda ps: torch.optim.Adam(ps),
    "adamw": lambda ps: torch.optim.AdamW(ps),
    "rmsprop": lambda ps: torch.optim.RMSprop(ps),
    "adagrad": lambda ps: torch.optim.Adagrad(ps),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", ["lenet5", "resnet18", "mobilenet_v3_small"])
def test_optimizer_state_equals_a_real_step(name: str, optimizer: str) -> None:
    shape = small_input(name)
    torch.manual_seed(0)
    module = BUILDERS[name]()
    report = cc.summary(name, shape, batch=2, train=True, optimizer=optimizer)
    assert report.totals.optimizer_bytes == optimizer_state_bytes(module, OPTIMIZERS[optimizer], batch_of(shape, 2))
    assert report.totals.gradient_bytes == 4 * sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", MODELLED)
def test_adam_state_of_every_zoo_model(name: str) -> None:
    """Adam keeps exp_avg and exp_avg_sq of each parameter's shape and a float32 step scalar per parameter tensor
    (the rule the real steps above hold): the bytes follow from torch's own parameter list."""
    with torch.device("meta"):
        params = list(BUILDERS[name]().parameters())
    report = cc.summary(name, train=True)
    assert report.totals.optimizer_bytes == 2 * 4 * sum(p.numel() for p in params) + 4 * len(params)


def test_peak_of_a_linear_layer_by_hand() -> None:
    """Linear(4, 3), batch 2, Adam, float32. Parameters 15·4 = 60 B; Adam 2·60 + 2 tensors·4 = 128 B; the input batch
    (2·4·4 = 32 B, the caller's, also saved for the weight's gradient); the output 2·3·4 = 24 B and its gradient 24 B:
    268 B at the start of the backward. The backward makes the weight and bias gradients (60 B; the input needs
    none): 328 B, then frees the output's gradient: 304 B. Adam's step (one tensor at a time on the CPU) holds sqrt of
    the weight's second moment and the quotient, 2·12·4 = 96 B: the peak, 400 B."""
    report = cc.summary(cc.Linear(4, 3), (4,), batch=2, train=True)
    peak = report.train_peak
    assert peak is not None
    assert (peak.start, peak.peak, peak.transient, peak.where) == (268, 400, 132, "the optimizer's step")
    t = report.totals
    assert (t.gradient_bytes, t.optimizer_bytes, t.saved_activation_bytes) == (60, 128, 32)


def test_largest_batch_that_fits() -> None:
    fit = cc.fit("vgg16", memory="24GiB", train=True)
    assert fit.batch > 0
    at = cc.summary("vgg16", batch=fit.batch, train=True).totals.peak_train_bytes
    after = cc.summary("vgg16", batch=fit.batch + 1, train=True).totals.peak_train_bytes
    assert at is not None and after is not None
    assert at == fit.peak_bytes <= 24 * 2**30 < after == fit.next_peak_bytes
    inference = cc.fit("vgg16", memory="24GiB", train=False)
    assert inference.batch > fit.batch
    assert cc.fit(cc.Linear(4, 3), memory=100, input_shape=(4,)).batch == 0  # more than 100 B at batch 1 (above)


def test_memory_units() -> None:
    assert parse_memory("24GiB") == 24 * 2**30
    assert parse_memory("16GB") == 16 * 10**9
    assert parse_memory("512 MiB") == 512 * 2**20
    assert parse_memory("1.5KB") == 1500
    assert parse_memory("100") == parse_memory("100B") == 100
    for bad in ("24 gigs", "-1GB", "0B", ""):
        with pytest.raises(cc.SpecError):
            parse_memory(bad)


def test_cli_train_table_and_json() -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["summary", "resnet18", "--train", "--batch", "4", "--optimizer", "sgd"])
    assert out.exit_code == 0, out.output
    assert "training step" in out.output and "optimizer state" in out.output and "peak of one step" in out.output
    out = runner.invoke(cli, ["summary", "vgg16", "--train", "--fit", "24GiB", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    for key in ("backward_flops", "gradient_bytes", "optimizer_bytes", "saved_activation_bytes", "peak_train_bytes"):
        assert isinstance(doc["totals"][key], int)
    assert all("backward_flops" in r and "saved_bytes" in r for r in doc["rows"])
    assert sum(r["saved_bytes"] for r in doc["rows"]) == doc["totals"]["saved_activation_bytes"]
    fit = doc["fit"]
    assert set(fit) == {"memory", "batch", "peak_bytes", "next_peak_bytes"}
    assert fit["peak_bytes"] <= fit["memory"] == 24 * 2**30 < fit["next_peak_bytes"]
    assert doc["training"]["optimizer"] == "adam"


@pytest.mark.parametrize(("args", "says"), [
    (["--optimizer", "sgd"], "add --train"),
    (["--train", "--fit", "24 gigs"], "is not a size"),
    (["--train", "--optimizer", "lion"], "lion"),
    (["--train", "--device", "tpu"], "cpu or cuda"),
])
def test_cli_refuses_bad_training_options(args: list[str], says: str) -> None:
    out = CliRunner().invoke(cli, ["summary", "resnet18", *args])
    assert out.exit_code == 2
    assert says in out.output
    assert "Traceback" not in out.output


def test_json_of_inference_has_no_training_keys() -> None:
    doc = cc.summary("resnet18").to_dict()
    assert "backward_flops" not in doc["totals"] and "training" not in doc
    assert "saved_bytes" not in doc["rows"][0]


def test_fit_of_a_torch_module() -> None:
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))
    fit = cc.fit(net, memory="64MiB", input_shape=(3, 32, 32))
    at = cc.from_torch(net, (3, 32, 32), batch=fit.batch, train=True).totals.peak_train_bytes
    after = cc.from_torch(net, (3, 32, 32), batch=fit.batch + 1, train=True).totals.peak_train_bytes
    assert at == fit.peak_bytes <= 64 * 2**20 < after == fit.next_peak_bytes


#: One layer of each modelled type (several where torch saves differently: in place, p = 0, a mean), after a conv so
#: that its input needs a gradient; held to what torch's own modules save.
LAYERS = [
    cc.ReLU(), cc.ReLU(inplace=True), cc.ReLU6(), cc.ReLU6(inplace=True), cc.LeakyReLU(0.2), cc.LeakyReLU(0.2, inplace=True),
    cc.Sigmoid(), cc.Tanh(), cc.Hardswish(), cc.Hardswish(inplace=True), cc.Hardsigmoid(), cc.SiLU(), cc.SiLU(inplace=True),
    cc.GELU(), cc.ELU(), cc.ELU(inplace=True), cc.SELU(), cc.CELU(), cc.Mish(), cc.Softplus(), cc.Softmax(1), cc.LogSoftmax(1),
    cc.PReLU(), cc.Hardtanh(), cc.Dropout(0.5), cc.Dropout(0.0), cc.Dropout(0.5, inplace=True), cc.Dropout(1.0),
    cc.Dropout2d(0.2), cc.AlphaDropout(0.1),
    cc.MaxPool2d(2), cc.MaxPool2d(3, 2, 1), cc.AvgPool2d(2), cc.AdaptiveAvgPool2d(1), cc.AdaptiveAvgPool2d(3),
    cc.AdaptiveMaxPool2d(2), cc.BatchNorm2d(8), cc.BatchNorm2d(8, affine=False), cc.LocalResponseNorm(5),
    cc.GroupNorm(2, 8), cc.InstanceNorm2d(8, affine=True), cc.InstanceNorm2d(8), cc.LayerNorm2d(8),
    cc.Conv2d(8, 4, 3), cc.Conv2d(8, 8, 3, groups=8), cc.ConvTranspose2d(8, 4, 2, 2), cc.DepthwiseConv2d(8, 3),
    cc.SeparableConv2d(8, 4, 3), cc.Flatten(), cc.Identity(), cc.PixelShuffle(2), cc.Upsample(scale_factor=2, mode="bilinear"),
    cc.Upsample(scale_factor=2), cc.ZeroPad2d(1), cc.ReflectionPad2d(1), cc.ReplicationPad2d(1), cc.StochasticDepth(0.2, "row"),
    cc.LayerScale(8),
]


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
@pytest.mark.parametrize("first", [True, False], ids=["first", "after a conv"])
def test_each_layer_saves_what_torch_saves(layer: object, first: bool) -> None:
    """``first``: the layer reads the input itself (which needs no gradient): only its own parameters ask for one."""
    net = cc.Sequential(cc.Conv2d(3, 8, 3, padding=1), layer) if not first else layer
    shape = (3, 6, 6) if not first else (8, 6, 6)
    report = cc.summary(net, shape, batch=2, train=True, layout="chw")
    assert not [w for w in report.warnings if "training model" in w]
    torch.manual_seed(0)
    module = cc.to_torch(net, shape, layout="chw")
    x = batch_of(shape, 2)
    assert report.totals.saved_activation_bytes == saved_bytes(module, x)
    if any(p.requires_grad for p in module.parameters()):
        assert report.profiles()["torch"] == step_flops(lambda: cc.to_torch(net, shape, layout="chw"), x)
    else:  # nothing needs a gradient: torch records no backward at all
        assert report.totals.backward_flops == report.totals.saved_activation_bytes == 0


def test_dropout_on_cuda_keeps_a_bool_mask() -> None:
    """CUDA's fused dropout keeps a bool mask (1 byte per element) where the CPU keeps a float noise tensor; per-channel
    and in-place dropout run the unfused rule on CUDA too. (Held to a GPU where one is lent: see test_gpu_training.)"""
    net = cc.Sequential(cc.Linear(16, 16), cc.Dropout(0.5))
    cpu = cc.summary(net, (16,), batch=4, train=True).totals.saved_activation_bytes
    cuda = cc.summary(net, (16,), batch=4, train=True, device="cuda").totals.saved_activation_bytes
    # the Linear keeps its input (4·16·4 B); the mask is 4·16 elements: 4 B each on the CPU, 1 B on CUDA
    assert (cpu, cuda) == (4 * 16 * 4 + 4 * 16 * 4, 4 * 16 * 4 + 4 * 16)


def test_frozen_layer_in_spec_text_and_python() -> None:
    text = "nn.Conv2d(3, 8, 3, trainable=False)\nnn.ReLU()\nnn.Flatten()\nnn.Linear(8*6*6, 10)"
    net = cc.parse_spec(text)
    same = cc.Sequential(cc.frozen(cc.Conv2d(3, 8, 3)), cc.ReLU(), cc.Flatten(), cc.Linear(288, 10))
    module = cc.to_torch(same, (3, 8, 8))
    next(module.parameters()).requires_grad_(False)
    list(module.parameters())[1].requires_grad_(False)
    x = batch_of((3, 8, 8), 2)
    for spec in (net, same):
        report = cc.summary(spec, (3, 8, 8), batch=2, train=True)
        # nothing before the Linear needs a gradient: the conv and the ReLU record nothing; the Linear keeps its input
        assert report.totals.saved_activation_bytes == saved_bytes(module, x) == 2 * 288 * 4
        assert report.totals.gradient_bytes == (288 * 10 + 10) * 4
    with pytest.raises(cc.SpecError, match="trainable must be True or False"):
        cc.parse_spec("nn.Conv2d(3, 8, 3, trainable=0)")
    block = cc.frozen(cc.Sequential(cc.Conv2d(3, 8, 3), cc.BatchNorm2d(8)))
    report = cc.summary(cc.Sequential(block, cc.ReLU()), (3, 8, 8), train=True)
    assert report.totals.gradient_bytes == 0 and report.totals.backward_flops == 0


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "resnet18", "mobilenet_v2", "densenet121", "dcgan_generator"])
def test_torchinfo_estimated_total_size(name: str) -> None:
    """--compare on a training report shows torchinfo's "Estimated Total Size": held to torchinfo itself."""
    torchinfo = pytest.importorskip("torchinfo")
    shape = small_input(name)
    report = cc.summary(name, shape, batch=2, train=True)
    from convcalc.profiles import torchinfo_total_size

    size, exact = torchinfo_total_size(report)
    assert exact
    stats = torchinfo.summary(BUILDERS[name](), input_data=batch_of(shape, 2), verbose=0)
    # torchinfo takes the input's size as sys.getsizeof of its storage: its bytes and the Python object's own size
    overhead = sys.getsizeof(torch.empty(0).untyped_storage())
    assert size == stats.total_input - overhead + stats.total_output_bytes + stats.total_param_bytes


@pytest.mark.parametrize(("name", "batch", "optimizer", "within"), [
    ("lenet5", 64, "adam", 0.001),
    ("resnet18", 16, "sgd", 0.01),
    ("mobilenet_v2", 8, "adam", 0.001),
    ("vgg16", 4, "adam", 0.0),  # the peak is Adam's step: its temporaries, exactly
    ("vgg16", 4, "sgd", 0.002),
])
def test_peak_against_torch_mem_tracker(name: str, batch: int, optimizer: str, within: float) -> None:
    """The peak of one step against torch's own count of it on fake tensors (MemTracker: every storage from its
    making to its freeing; no allocator, so no rounding). Not equal to the byte everywhere: convcalc frees the
    output's gradient once the last layer has run (a loss's gradient is), where this oracle's caller holds
    ``ones_like(output)`` to the end, and the order autograd frees gradients in a residual block is convcalc's
    model. The differences measured are in the README; each is held here to the margin shown."""
    from training_oracle import tracked_peak

    peak = cc.summary(name, batch=batch, train=True, optimizer=optimizer).totals.peak_train_bytes
    torch_peak = tracked_peak(BUILDERS[name], INPUTS[name], batch, OPTIMIZERS[optimizer])
    assert peak is not None
    assert abs(peak - torch_peak) <= within * torch_peak


#: One network per layer family the bridge meets (LRN, inception branches, grouped and depthwise convs, dense
#: concatenation, squeeze-excitation, channel shuffle, layer norm over channels, transposed convs, pixel shuffle,
#: segmentation heads): from_torch's training step on the meta device against torch's own counts.
FROM_TORCH = ["lenet5", "alexnet_2012", "vgg11_bn", "googlenet", "resnet18", "resnext50_32x4d", "densenet121",
              "squeezenet1_1", "mobilenet_v3_small", "shufflenet_v2_x1_0", "convnext_tiny", "dcgan_generator", "espcn",
              "lraspp_mobilenet_v3_large", "vit_b_16"]


@pytest.mark.parametrize("name", FROM_TORCH)
def test_from_torch_training_step(name: str) -> None:
    """``from_torch(train=True)`` measures what autograd saves in its meta pass (``saved_tensors_hooks``) and counts
    each row's gradients by its layer's rule: the saved bytes equal a real CPU pass's, the torch profile
    FlopCounterMode's forward and backward, the optimizer state a formula of torch's own parameter list; and for the
    zoo's networks, the same figures as the spec path."""
    shape = small_input(name)
    with torch.device("meta"):
        module = BUILDERS[name]()
    report = cc.from_torch(module, shape, batch=2, train=True)
    x = batch_of(shape, 2)
    assert report.totals.saved_activation_bytes == saved_bytes(module.to_empty(device="cpu"), x)
    assert report.profiles()["torch"] == step_flops(BUILDERS[name], x.to("meta"))
    params = list(module.parameters())
    assert report.totals.optimizer_bytes == 2 * 4 * sum(p.numel() for p in params) + 4 * len(params)
    if name not in STOCHASTIC_DEPTH:  # the same step as the zoo's spec plays it (ViT's encoder is split into rows
        spec = cc.summary(name, shape, batch=2, train=True)  # otherwise there: its peak within 0.01%)
        peak, spec_peak = report.totals.peak_train_bytes, spec.totals.peak_train_bytes
        assert peak is not None and spec_peak is not None
        assert abs(peak - spec_peak) <= (1e-4 * spec_peak if name == "vit_b_16" else 0)


def test_from_torch_training_frozen_parameters() -> None:
    """``requires_grad=False`` parameters are frozen: ResNet-18 with everything but fc frozen saves only the pooled
    features for fc's weight gradient, and its backward is that gradient's product alone."""
    module = BUILDERS["resnet18"]()
    _freeze_all_but_fc(module)
    report = cc.from_torch(module, (3, 64, 64), batch=2, train=True)
    assert report.totals.saved_activation_bytes == 2 * 512 * 4
    assert report.totals.gradient_bytes == (512 * 1000 + 1000) * 4
    assert report.profiles()["torch"] == step_flops(BUILDERS["resnet18"], batch_of((3, 64, 64), 2, "meta"), _freeze_all_but_fc)


@pytest.mark.parametrize(("name", "batch"), [("resnet18", 8), ("mobilenet_v3_small", 8)])
def test_from_torch_training_peak_against_mem_tracker(name: str, batch: int) -> None:
    from training_oracle import tracked_peak

    report = cc.from_torch(BUILDERS[name](), INPUTS[name], batch=batch, train=True, optimizer="sgd")
    torch_peak = tracked_peak(BUILDERS[name], INPUTS[name], batch, OPTIMIZERS["sgd"])
    assert report.totals.peak_train_bytes is not None
    assert abs(report.totals.peak_train_bytes - torch_peak) <= 0.01 * torch_peak


def test_from_torch_training_of_a_module_in_python_and_cli() -> None:
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))
    report = cc.summary(net, (3, 32, 32), batch=4, train=True, optimizer="momentum")
    # conv: the input isn't needed for a gradient, so the conv keeps its input for its weight's gradient
    # (4·3·32·32·4 B); ReLU its output (4·8·30·30·4 B), which the Linear keeps too (a view: Flatten); SGD with
    # momentum keeps one buffer per parameter.
    assert report.totals.saved_activation_bytes == 4 * 3 * 32 * 32 * 4 + 4 * 8 * 30 * 30 * 4
    assert report.totals.optimizer_bytes == 4 * sum(p.numel() for p in net.parameters())
    assert "training step" in report.render()


AMP_LAYERS = [layer for layer in LAYERS if type(layer).autocast]


@pytest.mark.parametrize("amp", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("layer", AMP_LAYERS, ids=repr)
def test_each_layer_under_autocast(layer: object, amp: torch.dtype) -> None:
    """Under the CPU's autocast a conv casts its float32 input and its weight to the autocast dtype and autograd keeps
    those copies; the layers after it run in that dtype (their saved tensors, masks and outputs in it)."""
    net = cc.Sequential(cc.Conv2d(3, 8, 3, padding=1), layer)
    name = str(amp).removeprefix("torch.")
    report = cc.summary(net, (3, 6, 6), batch=2, train=True, layout="chw", amp=name)
    assert not [w for w in report.warnings if "training model" in w]
    torch.manual_seed(0)
    module = cc.to_torch(net, (3, 6, 6), layout="chw")
    assert report.totals.saved_activation_bytes == saved_bytes(module, batch_of((3, 6, 6), 2), amp)


def test_a_layer_without_an_autocast_rule_says_so() -> None:
    report = cc.summary(cc.Sequential(cc.Conv2d(3, 8, 3), cc.LocalResponseNorm(3)), (3, 8, 8), train=True, amp="bfloat16")
    assert any("LocalResponseNorm" in w and "training model" in w for w in report.warnings)


AMP_MODELS = ["lenet5", "vgg11_bn", "googlenet", "resnet18", "densenet121", "squeezenet1_1", "mobilenet_v3_small",
              "shufflenet_v2_x1_0", "dcgan_generator", "espcn"]


@pytest.mark.parametrize("name", AMP_MODELS)
def test_zoo_saved_bytes_under_autocast(name: str) -> None:
    shape = small_input(name)
    report = cc.summary(name, shape, batch=2, train=True, amp="bfloat16")
    with torch.device("meta"):
        module = BUILDERS[name]().to_empty(device="cpu")
    assert report.totals.saved_activation_bytes == saved_bytes(module, batch_of(shape, 2), torch.bfloat16)
    assert report.totals.gradient_bytes == 4 * sum(p.numel() for p in module.parameters())  # float32 master weights


@pytest.mark.parametrize(("name", "batch", "optimizer"), [("resnet18", 16, "sgd"), ("mobilenet_v2", 8, "adam")])
def test_peak_under_autocast_against_mem_tracker(name: str, batch: int, optimizer: str) -> None:
    from training_oracle import tracked_peak

    peak = cc.summary(name, batch=batch, train=True, optimizer=optimizer, amp="bfloat16").totals.peak_train_bytes
    torch_peak = tracked_peak(BUILDERS[name], INPUTS[name], batch, OPTIMIZERS[optimizer], torch.bfloat16)
    assert peak is not None
    assert abs(peak - torch_peak) <= 0.005 * torch_peak
