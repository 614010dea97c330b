"""Receptive fields against torch's gradients.

With every weight 1, no bias and a positive input, output o depends on input i exactly when
∂out[o]/∂in[i] ≠ 0, so the gradient shows each output's receptive field. convcalc reports the
unclipped field (padding counts as positions), which the gradient shows for any output whose
field lies inside the input; on a long input the widest measured field is that one.
"""

from __future__ import annotations

import pytest
from conftest import AT_LEAST_300
from hypothesis import assume, given
from hypothesis import strategies as st

import convcalc as cc

torch = pytest.importorskip("torch")
nn = torch.nn

LENGTH = 96

layer = st.one_of(
    st.builds(lambda k, s, d, p: ("conv", k, s, d, p), st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2)),
    st.builds(lambda k, s, p: ("avg", k, s, p), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2)),
    st.builds(lambda k, s, d, p: ("transposed", k, s, d, p), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2)),
    st.builds(lambda o: ("adaptive", o), st.integers(2, 40)),
    st.builds(lambda l, r: ("pad", l, r), st.integers(-2, 3), st.integers(-2, 3)),  # shifts positions, widens nothing
)


def build(spec: tuple, torch_side: bool):  # type: ignore[no-untyped-def]
    kind, *args = spec
    if kind == "conv":
        k, s, d, p = args
        return nn.Conv1d(1, 1, k, s, p, d, bias=False) if torch_side else cc.Conv1d(1, 1, k, s, p, d, bias=False)
    if kind == "avg":
        k, s, p = args
        p = min(p, k // 2)
        return nn.AvgPool1d(k, s, p) if torch_side else cc.AvgPool1d(k, s, p)
    if kind == "transposed":
        k, s, d, p = args
        return (nn.ConvTranspose1d(1, 1, k, s, p, bias=False, dilation=d) if torch_side
                else cc.ConvTranspose1d(1, 1, k, s, p, bias=False, dilation=d))
    if kind == "pad":
        return nn.ZeroPad1d(tuple(args)) if torch_side else cc.ZeroPad1d(tuple(args))
    return nn.AdaptiveAvgPool1d(args[0]) if torch_side else cc.AdaptiveAvgPool1d(args[0])


def measured_field(specs: list[tuple]) -> int | None:
    module = nn.Sequential(*(build(s, True) for s in specs))
    for p in module.parameters():
        nn.init.ones_(p)
    x = torch.ones(1, 1, LENGTH, requires_grad=True)
    try:
        out = module(x)
    except RuntimeError:
        return None
    widest = 0
    for o in range(out.shape[-1]):
        (grad,) = torch.autograd.grad(out[0, 0, o], x, retain_graph=True)
        seen = grad[0, 0].nonzero().flatten().tolist()
        if seen:
            widest = max(widest, seen[-1] - seen[0] + 1)
    return widest


@AT_LEAST_300
@given(st.lists(layer, min_size=1, max_size=3))
def test_receptive_field_matches_torch_gradients(specs: list[tuple]) -> None:
    try:
        report = cc.summary(cc.Sequential(*(build(s, False) for s in specs)), (1, LENGTH), layout="chw")
    except cc.ConvCalcError:
        assume(False)
    ours = report.rows[-1].receptive_field
    assume(ours is not None and ours[0] <= LENGTH // 3)  # some output's whole field lies inside the input
    # A transposed conv's cropping (padding p) drops outputs that read real inputs; a later layer's padding puts
    # positions back there. The field counts what such a padded position would see (unclipped, the convention
    # of receptive.py), torch's gradient sees zeros: [transposed 1, stride 2, padding 1; AvgPool1d(2, 1, 1);
    # AdaptiveAvgPool1d(4)] on 96 is 25 by the convention (pool window 0 reads the crop's input 0) and 24 by
    # gradients. Gradients cannot hold the convention there.
    cropped = next((i for i, s in enumerate(specs) if s[0] == "transposed" and s[4] > 0), None)
    assume(cropped is None or not any((s[0] in ("conv", "avg") and s[-1] > 0) or (s[0] == "pad" and max(s[1:]) > 0)
                                      for s in specs[cropped + 1:]))
    assert ours[0] == measured_field(specs)


def test_known_cases_from_review() -> None:
    # A 1-wide transposed conv at stride 2 leaves every other position empty, so a 2-wide conv
    # after it reads exactly one input: field 1 (a fractional-stride formula says 2).
    net = cc.Sequential(cc.ConvTranspose1d(1, 1, 1, stride=2), cc.Conv1d(1, 1, 2))
    assert cc.summary(net, (1, 10)).rows[-1].receptive_field == (1,)
    # Adaptive pools 29 → 6 → 4 → 3: uneven windows; torch's gradients measure 21.
    net = cc.Sequential(cc.AdaptiveAvgPool1d(6), cc.AdaptiveAvgPool1d(4), cc.AdaptiveAvgPool1d(3))
    assert cc.summary(net, (1, 29), layout="chw").rows[-1].receptive_field == (21,)


def test_squeeze_excitation_sees_everything_without_compounding() -> None:
    # 3×3 conv padded by 1: position q sees q−1 … q+1. SE's global pool then sees −1 … 32 (34 wide),
    # and x · gate gives every position that same interval; a further 3×3 conv reads positions that
    # all see it, so the field stays 34 (the old formula compounded the gate's stride instead).
    net = cc.Sequential(cc.Conv2d(8, 8, 3, padding=1), cc.SqueezeExcitation(8, 2), cc.Conv2d(8, 8, 3, padding=1))
    assert [r.receptive_field for r in cc.summary(net, (8, 32, 32)).rows][-2:] == [(34, 34), (34, 34)]
    fields = [r.receptive_field for r in cc.summary("efficientnet_b0").rows]
    assert all(f is not None and f[0] < 2 * 224 for f in fields)


def test_resnet18_field_matches_torch_gradients() -> None:
    """The residual union, end to end: ResNet-18's layer4 sees 435 pixels (the commonly cited
    figure), measured here through the independent torch construction. Max pooling passes
    gradient only to its argmax, so an average pool of the same geometry stands in for it."""
    from torch_reference import BUILDERS

    m = BUILDERS["resnet18"]().eval()
    features = nn.Sequential(m.conv1, m.bn1, m.relu, nn.AvgPool2d(3, 2, 1), m.layer1, m.layer2, m.layer3, m.layer4)
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.constant_(module.weight, 0.01)
    x = torch.ones(1, 3, 480, 480, requires_grad=True)
    y = features(x)
    centre = y.shape[-1] // 2
    y[0, :, centre, centre].sum().backward()
    seen = x.grad[0].abs().sum(0).sum(0).nonzero().flatten()
    measured = int(seen[-1] - seen[0] + 1)
    ours = next(r for r in cc.summary("resnet18").rows if r.path == "layer4.1.activation").receptive_field
    assert ours == (measured, measured) == (435, 435)


# --- from_torch follows the field through what a forward body does ---------------------------------

F = torch.nn.functional


class _Functional(nn.Module):
    """conv → relu → pool → conv written with F.* calls and the weights held here."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(2, 2, 3, 3))
        self.c = nn.Conv2d(2, 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c(F.max_pool2d(F.relu(F.conv2d(x, self.w)), 2))


class _Gate(nn.Module):
    def __init__(self, gate_first: bool) -> None:
        super().__init__()
        self.conv, self.pool, self.gate_first = nn.Conv2d(4, 4, 3, padding=1), nn.AdaptiveAvgPool2d(1), gate_first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        g = torch.sigmoid(self.pool(y))
        return g * y if self.gate_first else y * g


class _CatAlong(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.a, self.b, self.dim = nn.Conv2d(2, 2, 3, padding=1), nn.Conv2d(2, 2, 5, padding=2), dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.a(x), self.b(x)], dim=self.dim)


class _Transposed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(2, 2, (5, 1)), nn.Conv2d(2, 2, (5, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x).transpose(2, 3))


def test_from_torch_follows_functional_calls() -> None:
    # the spec walk of the same chain: 3, 3, then the 2-wide pool (3 + 1 = 4), then 4 + 2·2 = 8
    spec = cc.summary(cc.Sequential(cc.Conv2d(2, 2, 3), cc.ReLU(), cc.MaxPool2d(2), cc.Conv2d(2, 2, 3)), (2, 16, 16))
    ours = cc.from_torch(_Functional(), (2, 16, 16))
    assert [r.receptive_field for r in ours.rows] == [r.receptive_field for r in spec.rows] == [(3, 3), (3, 3), (4, 4), (8, 8)]


@pytest.mark.parametrize("gate_first", [False, True])
def test_from_torch_spreads_a_gate_whichever_side_it_is_on(gate_first: bool) -> None:
    # a squeeze-and-excitation gate sees the whole 16×16 (plus the 3×3 conv's padding): 18
    rows = cc.from_torch(_Gate(gate_first), (4, 16, 16)).rows
    assert rows[-1].kind == "mul" and rows[-1].receptive_field == (18, 18)


def test_from_torch_joins_channels_but_not_positions() -> None:
    channels = cc.from_torch(_CatAlong(1), (2, 8, 8)).rows[-1]
    assert channels.kind == "cat" and channels.receptive_field == (5, 5)  # position by position: the wider branch
    rows_joined = cc.from_torch(_CatAlong(2), (2, 8, 8)).rows[-1]
    assert rows_joined.kind == "cat" and rows_joined.receptive_field is None  # positions of two inputs side by side


def test_from_torch_does_not_guess_through_a_reordering() -> None:
    # H and W swapped: the second (5×1) conv reads along the first's W, so the field is 5×5; convcalc
    # does not follow a layout change into a conv, and says it does not know rather than (9, 1)
    rows = cc.from_torch(_Transposed(), (2, 12, 8)).rows
    assert rows[0].receptive_field == (5, 1) and rows[-1].receptive_field is None


def test_a_layer_that_resizes_without_saying_how_leaves_the_field_unknown() -> None:
    """A user layer whose effect keeps the default reach (position to position) but changes the size
    cannot be followed; the rows after it say so rather than show a field of the wrong positions."""

    @cc.layer
    class Double(cc.Leaf):
        def effect(self, shape: tuple[int, ...]) -> cc.Effect:
            return cc.Effect(output_shape=(shape[0], *(2 * d for d in shape[1:])))

    try:
        rows = cc.summary(cc.Sequential(cc.Conv2d(3, 8, 3), Double(), cc.Conv2d(8, 8, 3)), (3, 16, 16)).rows
        assert [r.receptive_field for r in rows] == [(3, 3), None, None]
    finally:
        from convcalc.layers.base import LAYER_TYPES

        LAYER_TYPES.pop("double", None)
