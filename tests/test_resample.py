"""Resampling layers against torch itself: output sizes (random configurations), receptive fields (torch's
gradients), the centre crop (torchvision's rule, derived by hand), errors, and from_torch of functional calls.
"""

from __future__ import annotations

import warnings

import pytest
from conftest import AT_LEAST_300
from hypothesis import assume, given
from hypothesis import strategies as st

import convcalc as cc

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


def _torch_shape(module, shape):  # type: ignore[no-untyped-def]
    """torch's output shape per sample, or None where torch refuses the input."""
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            return tuple(module(torch.zeros(1, *shape)).shape[1:])
    except (RuntimeError, ValueError, NotImplementedError):
        return None


def _ours(layer, shape):  # type: ignore[no-untyped-def]
    try:
        return cc.summary(layer, shape, layout="chw").rows[0].output_shape
    except cc.ConvCalcError:
        return None


MODES = ["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"]


@AT_LEAST_300
@given(mode=st.sampled_from(MODES), dims=st.integers(1, 3), size=st.integers(1, 9),
       scale=st.one_of(st.none(), st.floats(0.1, 4.0), st.integers(1, 4)), out=st.integers(1, 12),
       corners=st.booleans(), recompute=st.sampled_from([None, True, False]))
def test_upsample_output_size_equals_torch(mode: str, dims: int, size: int, scale: float | None, out: int, corners: bool,
                                           recompute: bool | None) -> None:
    """nn.Upsample and convcalc agree on every drawn configuration: both refuse it, or both give one shape
    (⌊I·scale⌋ as torch truncates its double product, or the size given)."""
    kwargs = {"mode": mode, "scale_factor": scale} if scale is not None else {"mode": mode, "size": out}
    if mode not in ("nearest", "nearest-exact"):
        kwargs["align_corners"] = corners
    if scale is not None:
        kwargs["recompute_scale_factor"] = recompute
    shape = (2, *(size + d for d in range(dims)))
    theirs = _torch_shape(nn.Upsample(**kwargs), shape)
    ours = _ours(cc.Upsample(**kwargs), shape)
    assert ours == theirs


@AT_LEAST_300
@given(r=st.integers(1, 4), c=st.integers(1, 20), h=st.integers(1, 9), w=st.integers(1, 9), down=st.booleans())
def test_pixel_shuffle_shapes_equal_torch(r: int, c: int, h: int, w: int, down: bool) -> None:
    module, layer = (nn.PixelUnshuffle(r), cc.PixelUnshuffle(r)) if down else (nn.PixelShuffle(r), cc.PixelShuffle(r))
    assert _ours(layer, (c, h, w)) == _torch_shape(module, (c, h, w))


@AT_LEAST_300
@given(k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2), size=st.integers(1, 10))
def test_unfold_and_fold_shapes_equal_torch(k: int, s: int, p: int, d: int, size: int) -> None:
    shape = (2, size, size + 1)
    unfolded = _torch_shape(nn.Unfold(k, d, p, s), shape)
    assert _ours(cc.Unfold(k, d, p, s), shape) == unfolded
    if unfolded is not None:
        back = (size, size + 1)
        assert _ours(cc.Fold(back, k, d, p, s), unfolded) == _torch_shape(nn.Fold(back, k, d, p, s), unfolded) == shape


@AT_LEAST_300
@given(dims=st.integers(1, 3), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), size=st.integers(1, 6),
       delta=st.one_of(st.none(), st.integers(-3, 3)))
def test_max_unpool_shapes_equal_torch(dims: int, k: int, s: int, p: int, size: int, delta: int | None) -> None:
    """MaxUnpool on a max pool's output; ``output_size`` is the call's argument in torch."""
    assume(p <= k // 2)
    shape = (2, *(size + 2 * k + i for i in range(dims)))
    pool = getattr(nn, f"MaxPool{dims}d")(k, s, p, return_indices=True)
    unpool = getattr(nn, f"MaxUnpool{dims}d")(k, s, p)
    with torch.no_grad():
        pooled, _ = pool(torch.randn(1, *shape))
    indices = torch.zeros_like(pooled, dtype=torch.long)  # (the pool's own may point past a smaller output: data, not shape)
    default = [(i - 1) * s - 2 * p + k for i in pooled.shape[2:]]
    wanted = None if delta is None else [o + delta for o in default]
    try:
        theirs = tuple(unpool(pooled, indices, output_size=wanted).shape[1:])
    except (RuntimeError, ValueError):
        theirs = None
    if theirs is not None and 0 in theirs:  # torch returns an empty tensor for an output_size of 0; convcalc refuses it
        theirs = None
    layer = getattr(cc, f"MaxUnpool{dims}d")
    try:
        ours = _ours(layer(k, s, p, output_size=wanted), tuple(pooled.shape[1:]))
    except cc.ConvCalcError:
        ours = None
    assert ours == theirs


# --- the receptive field: torch's gradients -------------------------------------------------------------

def _gradient_field(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Per spatial dim, the widest span of input positions one output position's gradient reaches."""
    x = torch.rand(1, *shape, requires_grad=True) + 0.5
    x.retain_grad()
    out = module(x)
    widest = [0] * (len(shape) - 1)
    for index in torch.cartesian_prod(*(torch.arange(n) for n in out.shape[2:])).reshape(-1, len(shape) - 1).tolist():
        (grad,) = torch.autograd.grad(out[(0, 0, *index)], x, retain_graph=True)
        seen = grad[0].abs().sum(0).nonzero()
        for d in range(len(widest)):
            widest[d] = max(widest[d], int(seen[:, d].max() - seen[:, d].min()) + 1)
    return tuple(widest)


FIELD_CASES = [
    # (convcalc network, torch network, input)
    (cc.Upsample(scale_factor=2, mode="bilinear"), nn.Upsample(scale_factor=2, mode="bilinear"), (1, 6, 6)),
    (cc.Upsample(size=(9, 7), mode="bilinear", align_corners=True), nn.Upsample(size=(9, 7), mode="bilinear", align_corners=True), (1, 5, 6)),
    (cc.Upsample(scale_factor=1.5, mode="bicubic"), nn.Upsample(scale_factor=1.5, mode="bicubic"), (1, 7, 7)),
    (cc.Upsample(scale_factor=3, mode="nearest-exact"), nn.Upsample(scale_factor=3, mode="nearest-exact"), (1, 5)),
    (cc.Upsample(size=11, mode="linear"), nn.Upsample(size=11, mode="linear"), (1, 4)),
    (cc.Sequential(cc.Conv2d(1, 1, 3, bias=False), cc.Upsample(scale_factor=2), cc.Conv2d(1, 1, 3, bias=False)),
     nn.Sequential(nn.Conv2d(1, 1, 3, bias=False), nn.Upsample(scale_factor=2), nn.Conv2d(1, 1, 3, bias=False)), (1, 12, 12)),
    (cc.Sequential(cc.Conv2d(4, 8, 3, bias=False), cc.PixelShuffle(2), cc.Conv2d(2, 1, 3, bias=False)),
     nn.Sequential(nn.Conv2d(4, 8, 3, bias=False), nn.PixelShuffle(2), nn.Conv2d(2, 1, 3, bias=False)), (4, 9, 9)),
    (cc.Sequential(cc.Conv2d(1, 4, 2, bias=False), cc.PixelUnshuffle(2), cc.Conv2d(16, 1, 2, bias=False)),
     nn.Sequential(nn.Conv2d(1, 4, 2, bias=False), nn.PixelUnshuffle(2), nn.Conv2d(16, 1, 2, bias=False)), (1, 9, 9)),
    (cc.Sequential(cc.Conv2d(1, 1, 3, bias=False), cc.UpsamplingBilinear2d(scale_factor=2)),
     nn.Sequential(nn.Conv2d(1, 1, 3, bias=False), nn.UpsamplingBilinear2d(scale_factor=2)), (1, 8, 8)),
]


@pytest.mark.parametrize("ours, theirs, shape", FIELD_CASES, ids=[repr(c[0])[:60] for c in FIELD_CASES])
def test_receptive_field_matches_torch_gradients(ours: cc.Layer, theirs: nn.Module, shape: tuple[int, ...]) -> None:
    for p in theirs.parameters():
        nn.init.constant_(p, 1.0)
    assert cc.summary(ours, shape, layout="chw").rows[-1].receptive_field == _gradient_field(theirs, shape)


@AT_LEAST_300
@given(mode=st.sampled_from(["nearest", "nearest-exact", "linear"]), size=st.integers(2, 12),
       scale=st.one_of(st.floats(0.3, 4.0), st.integers(1, 4)), out=st.one_of(st.none(), st.integers(1, 40)),
       corners=st.booleans(), kernel=st.integers(1, 3))
def test_upsample_1d_field_matches_torch_gradients(mode: str, size: int, scale: float, out: int | None, corners: bool,
                                                    kernel: int) -> None:
    """A conv, then upsampling: each output's gradient reaches exactly the inputs convcalc says it reads."""
    kwargs: dict = {"mode": mode, **({"size": out} if out is not None else {"scale_factor": scale})}
    if mode == "linear":
        kwargs["align_corners"] = corners
    try:
        report = cc.summary(cc.Sequential(cc.Conv1d(1, 1, kernel, bias=False), cc.Upsample(**kwargs)), (1, size + kernel - 1),
                            layout="chw")
    except cc.ConvCalcError:
        assume(False)
    theirs = nn.Sequential(nn.Conv1d(1, 1, kernel, bias=False), nn.Upsample(**kwargs))
    nn.init.constant_(theirs[0].weight, 1.0)
    assert report.rows[-1].receptive_field == _gradient_field(theirs, (1, size + kernel - 1))


@pytest.mark.parametrize("mode, size, scale", [
    ("nearest", 10, 1.05), ("nearest", 9, 1.2), ("nearest-exact", 10, 1.05), ("nearest", 6, 2.0), ("nearest", 7, 2.6),
    ("linear", 3, 1.25), ("linear", 4, 0.8), ("linear", 5, 2.0), ("linear", 4, 3.0), ("bicubic", 3, 1.25), ("bicubic", 5, 1.7),
])
def test_source_positions_are_torchs(mode: str, size: int, scale: float) -> None:
    """Which input positions each output reads, against torch's values on an input that names its positions
    (nearest: the value is the index read; the linear modes: the nonzero weights of a one-hot input)."""
    from convcalc.layers.resample import source_windows

    two_d = mode == "bicubic"
    out = int(size * scale)
    read: list[list[int]] = [[] for _ in range(out)]  # per output, the inputs whose one-hot reaches it
    for i in range(size):
        x = torch.zeros(1, 1, *((size, 1) if two_d else (size,)))
        x.view(-1)[i] = 1.0
        y = F.interpolate(x, scale_factor=(scale, 1.0) if two_d else scale, mode=mode).view(-1)
        for o in range(out):
            if y[o] != 0:
                read[o].append(i)
    assert source_windows(size, out, mode, False, scale) == tuple((min(r), max(r)) for r in read)


@pytest.mark.parametrize("size, scale", [(5, 2.1), (10, 1.05), (4, 1.3), (5, 1.3), (6, 2.0)])
def test_nearest_on_2d_inputs_takes_torchs_shortcuts(size: int, scale: float) -> None:
    """torch's 2-d nearest kernel reads o where O = I and o >> 1 where O = 2I, whatever the scale; its 1-d and 3-d
    forward kernels use the scale (their backward kernels take the shortcuts: torch disagrees with itself there,
    and the forward is what the output reads). Against torch's forward values on an input that names its positions."""
    from convcalc.layers.resample import source_windows

    for dims in (1, 2, 3):
        x = torch.arange(float(size)).reshape((1, 1) + (1,) * (dims - 1) + (size,))
        y = F.interpolate(x, scale_factor=scale, mode="nearest")
        read = y.reshape(-1)[: y.shape[-1]].int().tolist()  # the last dim's outputs: each value is the index read
        assert source_windows(size, len(read), "nearest", False, scale, two_d=dims == 2) == tuple((i, i) for i in read)


def test_upsampling_nearest2d_takes_what_torch_takes() -> None:
    """nn.UpsamplingNearest2d accepts a C×L input as torch does (only the bilinear one needs two spatial dims)."""
    theirs = nn.UpsamplingNearest2d(scale_factor=2)(torch.zeros(1, 3, 8))
    ours = cc.summary(cc.Sequential(cc.UpsamplingNearest2d(scale_factor=2)), input_shape=(3, 8), layout="chw")
    assert ours.output_shape == tuple(theirs.shape[1:]) == (3, 16)


# --- the centre crop: torchvision's rule, by hand --------------------------------------------------------

@pytest.mark.parametrize("size, shape, top_left, out", [
    # U-Net (Ronneberger et al.): 64×568×568 cropped to 392: round(176/2) = 88
    (392, (64, 568, 568), (88, 88), (64, 392, 392)),
    # odd differences: Python's round halves to even, round(1.5) = 2 and round(2.5) = 2
    ((4, 4), (1, 7, 9), (2, 2), (1, 4, 4)),
    # larger than the input: zero-padded first, (6 − 4)//2 = 1 row before; the width crops round(3/2) = 2
    ((6, 2), (1, 4, 5), (-1, 2), (1, 6, 2)),
])
def test_center_crop_as_torchvision(size, shape, top_left, out) -> None:  # type: ignore[no-untyped-def]
    layer = cc.CenterCrop(size)
    assert layer.offsets(shape[-2:]) == top_left
    row = cc.summary(layer, shape, layout="chw").rows[0]
    assert row.output_shape == out
    x = torch.arange(float(torch.tensor(shape).prod())).reshape(1, *shape) + 1
    y = cc.to_torch(layer)(x)
    top, left = top_left
    for i in range(out[-2]):  # each output element is the input element at (i + top, j + left), or a padded zero
        for j in range(out[-1]):
            inside = 0 <= i + top < shape[-2] and 0 <= j + left < shape[-1]
            assert y[0, 0, i, j] == (x[0, 0, i + top, j + left] if inside else 0)
    assert row.activation_bytes == (4 * row.output_shape[0] * 12 if out[-2] > shape[-2] else 0)


def test_center_crop_by_slicing_in_a_forward_is_a_view_that_keeps_the_field() -> None:
    """U-Net's crop written as x[:, :, a:b, c:d]: two zero-cost views; the field goes on through them."""

    class Crop(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3)

        def forward(self, x):  # type: ignore[no-untyped-def]
            return self.conv(x)[:, :, 2:6, 1:7]

    report = cc.from_torch(Crop(), (1, 10, 10), layout="chw")
    assert [(r.kind, r.output_shape, r.flops, r.activation_bytes, r.receptive_field) for r in report.rows[1:]] == [
        ("slice", (1, 4, 8), 0, 0, (3, 3)), ("slice", (1, 4, 6), 0, 0, (3, 3))]


# --- errors: torch's rules, one line each -----------------------------------------------------------------

@pytest.mark.parametrize("text, shape, message", [
    ("nn.Upsample(size=4, scale_factor=2)", None, "only one of size or scale_factor should be defined"),
    ("nn.Upsample()", None, "either size or scale_factor should be defined"),
    ("nn.Upsample(scale_factor=2, align_corners=True)", None, "align_corners option can only be set with the interpolating modes"),
    ("nn.Upsample(size=4, recompute_scale_factor=True)", None, "recompute_scale_factor is not meaningful with an explicit size"),
    ("nn.Upsample(scale_factor=2, mode='area')", None, "AdaptiveAvgPool2d"),
    ("nn.Upsample(scale_factor=2, mode='bilinear')", (3, 8), "mode 'bilinear' needs a C×H×W input"),
    ("nn.Upsample(scale_factor=2, mode='linear')", (3, 8, 8), "mode 'linear' needs a C×L input"),
    ("nn.Upsample(scale_factor=2, mode='trilinear')", (3, 8, 8), "mode 'trilinear' needs a C×D×H×W input"),
    ("nn.Upsample(size=(4, 4, 4))", (3, 8, 8), "same number of spatial dimensions"),
    ("nn.Upsample(scale_factor=0.1)", (3, 8, 8), "sizes should be greater than 0"),
    ("nn.PixelShuffle(2)", (6, 4, 4), "divisible by upscale_factor² = 2² = 4"),
    ("nn.PixelUnshuffle(2)", (6, 5, 4), "divisible by downscale_factor 2"),
    ("nn.Fold(4, 2)", (7, 9), "divisible by the kernel's"),
    ("nn.Fold(4, 2)", (8, 8), "takes 3·3 = 9"),
    ("nn.MaxUnpool2d(2, output_size=(12, 12))", (1, 4, 4), "dim 0 must be between 6 and 10"),
    ("nn.Unflatten(1, (3, 5))", (16,), "does not multiply"),
])
def test_bad_configurations_are_one_line_errors(text: str, shape: tuple[int, ...] | None, message: str) -> None:
    with pytest.raises(cc.ConvCalcError) as error:
        layer = cc.parse_layer(text)
        cc.summary(layer, shape, layout="chw")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_spec_text_and_functional_forms() -> None:
    """F.interpolate, F.upsample, F.pixel_shuffle and F.unfold in spec text are the layers (torch's argument order)."""
    assert cc.parse_layer("F.interpolate(x, None, 2, 'bilinear', False)") == cc.Upsample(scale_factor=2.0, mode="bilinear",
                                                                                         align_corners=False)
    assert cc.parse_layer("F.upsample(x, size=(7, 7))") == cc.Upsample(size=(7, 7))
    assert cc.parse_layer("F.upsample_bilinear(x, scale_factor=2)") == cc.UpsamplingBilinear2d(scale_factor=2)
    assert cc.parse_layer("F.pixel_shuffle(x, 3)") == cc.PixelShuffle(3)
    assert cc.parse_layer("F.unfold(x, 3, 1, 1, 2)") == cc.Unfold(3, 1, 1, 2)
    assert repr(cc.Upsample(scale_factor=2, mode="bilinear")) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert cc.parse_layer("transforms.CenterCrop(392)") == cc.parse_layer("T.CenterCrop([392])") == cc.CenterCrop((392, 392))


@pytest.mark.parametrize("call, layer", [
    (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True),
     cc.Upsample(scale_factor=2.0, mode="bilinear", align_corners=True)),
    (lambda x: F.interpolate(x, size=(5, 9), mode="bicubic"), cc.Upsample(size=(5, 9), mode="bicubic", align_corners=False)),
    (lambda x: F.interpolate(x, scale_factor=3, mode="nearest-exact"), cc.Upsample(scale_factor=3.0, mode="nearest-exact")),
    (lambda x: F.interpolate(x, scale_factor=1.5), cc.Upsample(scale_factor=1.5)),
    (lambda x: F.pixel_shuffle(x, 2), cc.PixelShuffle(2)),
    (lambda x: F.pixel_unshuffle(x, 2), cc.PixelUnshuffle(2)),
    (lambda x: F.unfold(x, 3, padding=1), cc.Unfold(3, 1, 1, 1)),
])
def test_from_torch_reads_the_functional_calls(call, layer) -> None:  # type: ignore[no-untyped-def]
    """The aten op a functional call reaches is read back as the layer, with its counts and its field."""

    class Body(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1)

        def forward(self, x):  # type: ignore[no-untyped-def]
            return call(self.conv(x))

    shape = (4, 6, 8)
    row = cc.from_torch(Body(), shape, layout="chw").rows[-1]
    ours = cc.summary(cc.Sequential(cc.Conv2d(4, 4, 1), layer), shape, layout="chw").rows[-1]
    assert not row.unsupported and row.spec == layer
    assert (row.output_shape, row.flops, row.receptive_field) == (ours.output_shape, ours.flops, ours.receptive_field)


class ResizedPositions(nn.Module):
    """A position embedding kept at 7×7 and resized to the feature map in forward (as timm's Hiera-Det does with
    F.interpolate(mode="bicubic") on its parameter), added to the patch embedding."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.pos = nn.Parameter(torch.zeros(1, 8, 7, 7))
        self.patch = nn.Conv2d(3, 8, 4, stride=4)

    def forward(self, x):  # type: ignore[no-untyped-def]
        x = self.patch(x)
        return x + F.interpolate(self.pos, size=x.shape[-2:], mode=self.mode)


@pytest.mark.parametrize("mode, per", [("bicubic", 31), ("bilinear", 7), ("nearest", 0)])
def test_upsampling_a_parameter_is_work_on_parameters(mode: str, per: int) -> None:
    """F.interpolate on a parameter is counted as the Upsample it is, once per forward whatever the batch (no
    activation), never unsupported; by hand: the 8×14×14 = 1,568 resized positions cost 2·taps − 1 each (bicubic 16
    taps: 31; bilinear 4: 7; nearest: a copy). FlopCounterMode counts the conv alone, and each other tool prints its
    profile (fvcore charges aten::upsample_bilinear2d 4 and upsample_nearest2d 1 per output, parameters or not;
    ptflops its patched F.interpolate 1 per output)."""
    from other_tools import TOOLS
    from torch.utils.flop_counter import FlopCounterMode

    from convcalc.profiles import ON_PARAMETERS

    module = ResizedPositions(mode).eval()
    report = cc.from_torch(module, (3, 56, 56), batch=2)
    assert not report.unsupported and report.totals.params == sum(p.numel() for p in module.parameters())
    [resize] = [r for r in report.rows if r.kind == "upsample"]
    assert ON_PARAMETERS in resize.facts and resize.activation_bytes == 0
    assert resize.spec == cc.Upsample(size=(14, 14), mode=mode, align_corners=None if mode == "nearest" else False)
    assert resize.flops == per * 8 * 14 * 14
    x = torch.zeros(2, 3, 56, 56)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(x)
    assert report.profiles()["torch"] == counter.get_total_flops() == 2 * 2 * (8 * 14 * 14) * (3 * 4 * 4)
    one = cc.from_torch(module, (3, 56, 56))  # (the tools count a batch of one)
    assert [r.flops for r in one.rows if r.kind == "upsample"] == [resize.flops]  # work on parameters: once, whatever the batch
    for tool, run in TOOLS.items():
        profile = one.comparison[tool]
        figure = run(module, x[:1])
        assert profile.exact and profile.total == figure, (tool, figure, profile.total)
