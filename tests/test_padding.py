"""Issue 15: torch's padding layers and d2l.ai's Lazy layers, with torch as the witness.

Evidence: torch's own modules (their output shapes, their refusals, their parameter counts after a
forward), d2l.ai's LeNet (chapter 7.6: 61,706 parameters on 1×28×28) and hand derivations beside
each expected number.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import convcalc as cc
from convcalc.errors import ShapeError, SpecError

torch = pytest.importorskip("torch")
nn = torch.nn

PAD_KINDS = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]


def _pair(kind: str, ndim: int, padding: tuple[int, ...]) -> tuple[cc.Layer, object]:
    name = f"{kind}{ndim}d"
    if kind == "ConstantPad":
        return getattr(cc, name)(padding, 2.5), getattr(nn, name)(padding, 2.5)
    return getattr(cc, name)(padding), getattr(nn, name)(padding)


@given(kind=st.sampled_from(PAD_KINDS), ndim=st.integers(1, 3), data=st.data())
def test_padding_layers_agree_with_torch_on_shape_and_refusal(kind: str, ndim: int, data: st.DataObject) -> None:
    """Asymmetric and negative paddings on small inputs: convcalc gives torch's shape, or refuses where
    torch refuses (or where torch would make an empty tensor: convcalc needs at least one element).

    One documented difference: a circular pad that crops one side and wraps the other. torch accepts
    some of those, depending on the memory layout of the input, and fills them with values from the
    wrong places (CircularPad1d((1, -1)) on [0, 1, 2] gives [1, 0, 1]); convcalc refuses a wrap
    longer than what the crop leaves, and a crop of the whole dim."""
    padding = tuple(data.draw(st.lists(st.integers(-3, 6), min_size=2 * ndim, max_size=2 * ndim)))
    spatial = tuple(data.draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    ours, theirs = _pair(kind, ndim, padding)
    shape = (2, *spatial)
    try:
        out: tuple[int, ...] | None = tuple(theirs(torch.zeros(1, *shape)).shape[1:])
    except RuntimeError:
        out = None
    try:
        row = cc.summary(ours, shape, layout="chw").rows[0]
    except ShapeError:
        mixed = any(min(l, r) < 0 < max(l, r) for l, r in ours.pads())
        assert out is None or 0 in out or (kind == "CircularPad" and mixed), (out, padding, spatial)
        return
    assert row.output_shape == out
    assert (row.params, row.macs, row.flops) == (0, 0, 0)
    assert row.activation_bytes == 4 * 2 * torch.Size(out[1:]).numel()  # a new tensor: C·ΠO floats


def test_padding_order_is_torchs_last_dim_first() -> None:
    # (left, right, top, bottom) = (1, 2, 3, 4) on 5×6 (H×W): H 5+3+4 = 12, W 6+1+2 = 9
    assert cc.summary(cc.ZeroPad2d((1, 2, 3, 4)), (1, 5, 6), layout="chw").rows[0].output_shape == (1, 12, 9)
    assert tuple(nn.ZeroPad2d((1, 2, 3, 4))(torch.zeros(1, 1, 5, 6)).shape) == (1, 1, 12, 9)


@pytest.mark.parametrize(("layer", "shape", "fragment"), [
    (cc.ReflectionPad2d(4), (1, 4, 9), "smaller than the input size"),  # torch: "Padding size should be less than …"
    (cc.CircularPad1d((0, 6)), (1, 5), "at most once"),  # torch: "wrapping around more than once"
    (cc.ZeroPad2d((-3, -2, 0, 0)), (1, 5, 5), "must leave at least 1"),  # torch makes a 5×0 tensor
    (cc.ZeroPad2d(1), (1, 5), "expects a 3-d input"),
])
def test_padding_refusals_are_one_line(layer: cc.Layer, shape: tuple[int, ...], fragment: str) -> None:
    with pytest.raises(ShapeError) as error:
        cc.summary(layer, shape, layout="chw")
    assert fragment in str(error.value) and "\n" not in str(error.value) and layer.name in str(error.value)


def test_padding_arguments_are_checked() -> None:
    with pytest.raises(SpecError, match=r"ZeroPad2d: padding must be an int or 4 ints \(left, right, top, bottom\)"):
        cc.ZeroPad2d((1, 2, 3))
    with pytest.raises(SpecError, match="value must be a number"):
        cc.ConstantPad2d(1, "x")


def test_padding_shifts_the_receptive_field_without_widening_it() -> None:
    """Output o of a pad reads input o − P_left. A 3-wide conv after it still sees 3 positions; a 1×1
    stride-1 conv sees 1. torch's meta run (from_torch) gives the same figures."""
    net = cc.Sequential(cc.ZeroPad1d((4, 0)), cc.Conv1d(1, 1, 3, stride=2), cc.ZeroPad1d((0, 2)), cc.Conv1d(1, 1, 2))
    report = cc.summary(net, (1, 10))
    # pad: 14 long, RF 1; conv k3 s2: ⌊(14−3)/2⌋+1 = 6, RF 3; pad: 8, RF 3; conv k2: 7, RF 3 + (2−1)·2 = 5
    assert [r.output_shape for r in report.rows] == [(1, 14), (1, 6), (1, 8), (1, 7)]
    assert [r.receptive_field for r in report.rows] == [(1,), (3,), (3,), (5,)]
    back = cc.from_torch(cc.to_torch(net), (1, 10))
    assert [r.receptive_field for r in back.rows] == [r.receptive_field for r in report.rows]


def test_padding_explain_shows_each_side_and_the_rule() -> None:
    text = cc.explain(cc.ZeroPad2d((1, 2, 3, 4)), (3, 8, 8), layout="chw")
    assert "left 1, right 2, top 3, bottom 4" in text
    assert "O = I + P_left + P_right" in text and "height: O = 8 + 3 + 4 = 15" in text and "width: O = 8 + 1 + 2 = 11" in text


def test_padding_layers_parse_from_spec_text() -> None:
    net = cc.parse_layer("nn.ZeroPad2d((1, 1, 2, 0))")
    assert net == cc.ZeroPad2d((1, 1, 2, 0))
    assert cc.parse_layer("nn.ConstantPad2d(2, 0.5)") == cc.ConstantPad2d(2, 0.5)


# --- d2l.ai's Lazy layers -------------------------------------------------------------------------

D2L_LENET = """\
nn.LazyConv2d(6, kernel_size=5, padding=2)
nn.Sigmoid()
nn.AvgPool2d(kernel_size=2, stride=2)
nn.LazyConv2d(16, kernel_size=5)
nn.Sigmoid()
nn.AvgPool2d(kernel_size=2, stride=2)
nn.Flatten()
nn.LazyLinear(120)
nn.Sigmoid()
nn.LazyLinear(84)
nn.Sigmoid()
nn.LazyLinear(10)
"""


def _d2l_lenet_in_torch() -> nn.Module:
    """d2l.ai chapter 7.6, as the book writes it."""
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(), nn.LazyLinear(10))


def test_d2l_lenet_with_lazy_layers_has_61706_parameters() -> None:
    """d2l's count, and torch's own after a forward: 6·25+6 + 16·6·25+16 + 400·120+120 + 120·84+84 + 84·10+10
    = 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706."""
    report = cc.summary(cc.parse_spec(D2L_LENET).net, (1, 28, 28))
    assert report.totals.params == 61_706
    net = _d2l_lenet_in_torch()
    net(torch.zeros(1, 1, 28, 28))
    assert sum(p.numel() for p in net.parameters()) == 61_706
    assert [r.output_shape for r in report.rows][-1] == (10,)


def test_from_torch_reads_lazy_modules_before_their_first_forward() -> None:
    """A lazy network as the user builds it: from_torch gives it its sizes on the meta device (the user's
    module stays lazy) and reads back the eager classes torch's modules become."""
    net = _d2l_lenet_in_torch()
    report = cc.from_torch(net, (1, 28, 28))
    assert report.totals.params == 61_706
    assert [r.kind for r in report.rows if r.params] == ["conv2d", "conv2d", "linear", "linear", "linear"]
    assert type(net[0]) is nn.LazyConv2d  # untouched
    ours = cc.summary(cc.parse_spec(D2L_LENET).net, (1, 28, 28))
    assert report.totals == ours.totals


def test_to_torch_builds_torchs_lazy_modules_and_verify_holds() -> None:
    net = cc.parse_spec(D2L_LENET).net
    module = cc.to_torch(net)
    assert type(module[0]) is nn.LazyConv2d and type(module[7]) is nn.LazyLinear
    assert cc.verify(net, (1, 28, 28)).ok


def test_lazy_layers_take_torchs_signatures() -> None:
    import inspect

    for name in ("LazyConv2d", "LazyConvTranspose2d", "LazyLinear", "LazyBatchNorm2d"):
        theirs = [p for p in inspect.signature(getattr(nn, name)).parameters if p not in ("device", "dtype")]
        ours = [f.name for f in cc.records.fields(getattr(cc, name)) if f.init]
        eager = [f.name for f in cc.records.fields(getattr(cc, name).becomes) if f.init]
        assert ours == eager[1:], name  # the eager signature less its first size
        assert theirs[:len(ours)] == ours, name  # (torch 2.13's BatchNorm adds a bias flag convcalc's lacks)


def test_lazy_layers_refuse_bad_arguments_under_their_own_name() -> None:
    with pytest.raises(SpecError, match="^LazyConv2d: kernel_size must be positive"):
        cc.LazyConv2d(6, 0)
    with pytest.raises(SpecError, match="^LazyLinear: out_features must be a positive int"):
        cc.LazyLinear(0)
