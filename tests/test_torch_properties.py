"""Random layer configurations against real torch modules (torch is the oracle).

For each drawn configuration both sides either refuse it or agree on the output
shape; where they agree, also on the parameter count and, for conv layers, on
FlopCounterMode's FLOPs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from conftest import AT_LEAST_300
from hypothesis import assume, given
from hypothesis import strategies as st

import convcalc as cc

torch = pytest.importorskip("torch")
nn = torch.nn
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

Outcome = tuple[tuple[int, ...], int, int] | None


def torch_outcome(build: Callable[[], Any], shape: tuple[int, ...], count_flops: bool = False) -> Outcome:
    """(output shape per sample, parameter count, FLOPs) from torch, or None if torch refuses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = build().eval()  # convcalc counts inference (BatchNorm's batch statistics aside)
            x = torch.zeros(1, *shape)
            with torch.no_grad():
                if count_flops:
                    with FlopCounterMode(display=False) as counter:
                        y = module(x)
                    flops = counter.get_total_flops()
                else:
                    y, flops = module(x), 0
    except (RuntimeError, ValueError):
        return None
    if 0 in y.shape:
        # torch 2.13's grouped ConvTranspose skips the "Output size is too small" check that the
        # ungrouped one makes and returns an empty tensor; convcalc refuses both alike.
        return None
    return tuple(y.shape[1:]), sum(p.numel() for p in module.parameters()), flops


def convcalc_outcome(build: Callable[[], cc.Layer], shape: tuple[int, ...]) -> Outcome:
    """The same from convcalc, or None if it refuses (always with a ConvCalcError)."""
    try:
        row = cc.summary(build(), shape, layout="chw").rows[0]  # torch's reading
    except cc.ConvCalcError:
        return None
    return row.output_shape, row.params, row.flops


def assert_agree(theirs: Outcome, ours: Outcome, *, flops: bool) -> None:
    if theirs is None or ours is None:
        assert theirs == ours, f"torch gives {theirs}, convcalc gives {ours}"
        return
    assert ours[:2] == theirs[:2]
    if flops:
        assert ours[2] == theirs[2]


sizes = st.integers(1, 12)
pairs = st.tuples(st.integers(1, 4), st.integers(1, 4))


@AT_LEAST_300
@given(
    cin=st.integers(1, 4), cout_per_group=st.integers(1, 3), groups=st.integers(1, 3),
    h=sizes, w=sizes, kernel=pairs, stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.one_of(st.tuples(st.integers(0, 3), st.integers(0, 3)), st.sampled_from(["same", "valid"])),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)), bias=st.booleans(),
    padding_mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
)
def test_conv2d_matches_torch(cin, cout_per_group, groups, h, w, kernel, stride, padding, dilation, bias, padding_mode) -> None:
    cin_total, cout = cin * groups, cout_per_group * groups
    args = (cin_total, cout, kernel)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode)
    theirs = torch_outcome(lambda: nn.Conv2d(*args, **kwargs), (cin_total, h, w), count_flops=True)
    ours = convcalc_outcome(lambda: cc.Conv2d(*args, **kwargs), (cin_total, h, w))
    assert_agree(theirs, ours, flops=True)


@AT_LEAST_300
@given(cin=st.integers(1, 5), cout=st.integers(1, 5), groups=st.integers(1, 3), h=sizes, w=sizes)
def test_conv2d_groups_that_do_not_divide_are_refused_like_torch(cin, cout, groups, h, w) -> None:
    theirs = torch_outcome(lambda: nn.Conv2d(cin, cout, 1, groups=groups), (cin, h, w))
    ours = convcalc_outcome(lambda: cc.Conv2d(cin, cout, 1, groups=groups), (cin, h, w))
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(
    length=st.integers(1, 20), kernel=st.integers(1, 6), stride=st.integers(1, 4),
    padding=st.integers(0, 3), dilation=st.integers(1, 3),
)
def test_conv1d_matches_torch(length, kernel, stride, padding, dilation) -> None:
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    theirs = torch_outcome(lambda: nn.Conv1d(2, 3, kernel, **kwargs), (2, length), count_flops=True)
    ours = convcalc_outcome(lambda: cc.Conv1d(2, 3, kernel, **kwargs), (2, length))
    assert_agree(theirs, ours, flops=True)


@AT_LEAST_300
@given(
    dims=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    stride=st.integers(1, 2), padding=st.integers(0, 1),
)
def test_conv3d_matches_torch(dims, kernel, stride, padding) -> None:
    theirs = torch_outcome(lambda: nn.Conv3d(2, 2, kernel, stride, padding), (2, *dims), count_flops=True)
    ours = convcalc_outcome(lambda: cc.Conv3d(2, 2, kernel, stride, padding), (2, *dims))
    assert_agree(theirs, ours, flops=True)


@AT_LEAST_300
@given(
    cin=st.integers(1, 3), groups=st.integers(1, 2), h=st.integers(1, 8), w=st.integers(1, 8),
    kernel=pairs, stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    output_padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_conv_transpose2d_matches_torch(cin, groups, h, w, kernel, stride, padding, output_padding, dilation) -> None:
    args = (cin * groups, 2 * groups, kernel)
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    theirs = torch_outcome(lambda: nn.ConvTranspose2d(*args, **kwargs), (cin * groups, h, w), count_flops=True)
    ours = convcalc_outcome(lambda: cc.ConvTranspose2d(*args, **kwargs), (cin * groups, h, w))
    assert_agree(theirs, ours, flops=True)


@AT_LEAST_300
@given(
    h=st.integers(1, 10), w=st.integers(1, 10), kernel=pairs,
    stride=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), ceil_mode=st.booleans(),
)
def test_maxpool2d_matches_torch(h, w, kernel, stride, padding, dilation, ceil_mode) -> None:
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    theirs = torch_outcome(lambda: nn.MaxPool2d(kernel, **kwargs), (2, h, w))
    ours = convcalc_outcome(lambda: cc.MaxPool2d(kernel, **kwargs), (2, h, w))
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(
    h=st.integers(1, 10), w=st.integers(1, 10), kernel=pairs,
    stride=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)), ceil_mode=st.booleans(),
)
def test_avgpool2d_matches_torch(h, w, kernel, stride, padding, ceil_mode) -> None:
    kwargs = dict(stride=stride, padding=padding, ceil_mode=ceil_mode)
    theirs = torch_outcome(lambda: nn.AvgPool2d(kernel, **kwargs), (2, h, w))
    ours = convcalc_outcome(lambda: cc.AvgPool2d(kernel, **kwargs), (2, h, w))
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(
    length=st.integers(1, 12), kernel=st.integers(1, 5), stride=st.integers(1, 3),
    padding=st.integers(0, 3), dilation=st.integers(1, 2), ceil_mode=st.booleans(),
)
def test_maxpool1d_matches_torch(length, kernel, stride, padding, dilation, ceil_mode) -> None:
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    theirs = torch_outcome(lambda: nn.MaxPool1d(kernel, **kwargs), (2, length))
    ours = convcalc_outcome(lambda: cc.MaxPool1d(kernel, **kwargs), (2, length))
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(dims=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)), kernel=st.integers(1, 3),
       padding=st.integers(0, 2), ceil_mode=st.booleans())
def test_pool3d_matches_torch(dims, kernel, padding, ceil_mode) -> None:
    for theirs_cls, ours_cls in ((nn.MaxPool3d, cc.MaxPool3d), (nn.AvgPool3d, cc.AvgPool3d)):
        theirs = torch_outcome(lambda cls=theirs_cls: cls(kernel, padding=padding, ceil_mode=ceil_mode), (1, *dims))
        ours = convcalc_outcome(lambda cls=ours_cls: cls(kernel, padding=padding, ceil_mode=ceil_mode), (1, *dims))
        assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(size=st.integers(1, 30), out=st.integers(1, 30))
def test_adaptive_avg_pool_windows_match_torch(size: int, out: int) -> None:
    """The window lengths convcalc sums are torch's: found by pooling one-hot inputs.

    Input position j lies in output window i exactly when pooling the one-hot e_j gives a
    non-zero at i, so counting non-zeros over all j gives each window's length.
    """
    eye = torch.eye(size).unsqueeze(1)  # batch of `size` one-hot signals, 1 channel
    pooled = nn.AdaptiveAvgPool1d(out)(eye)  # (size, 1, out)
    lengths = (pooled != 0).sum(dim=0).flatten().tolist()
    row = cc.summary(cc.AdaptiveAvgPool1d(out), (3, size), layout="chw").rows[0]
    assert row.output_shape == (3, out)
    assert row.flops == 3 * sum(lengths)  # avg: one addition per element read (incl. the division)
    max_row = cc.summary(cc.AdaptiveMaxPool1d(out), (3, size), layout="chw").rows[0]
    assert max_row.flops == 3 * (sum(lengths) - out)  # max: length−1 comparisons per window
    assert row.receptive_field == (max(lengths),)


@AT_LEAST_300
@given(h=st.integers(1, 12), w=st.integers(1, 12), oh=st.one_of(st.none(), st.integers(1, 8)), ow=st.integers(1, 8))
def test_adaptive_pool2d_shape_matches_torch(h, w, oh, ow) -> None:
    theirs = torch_outcome(lambda: nn.AdaptiveMaxPool2d((oh, ow)), (2, h, w))
    ours = convcalc_outcome(lambda: cc.AdaptiveMaxPool2d((oh, ow)), (2, h, w))
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(features=st.integers(1, 40), out=st.integers(1, 40), extra=st.lists(st.integers(1, 4), max_size=2), bias=st.booleans())
def test_linear_matches_torch_including_nd_inputs(features, out, extra, bias) -> None:
    shape = (*extra, features) if extra else (features,)
    assume(len(shape) >= 1)
    theirs = torch_outcome(lambda: nn.Linear(features, out, bias=bias), shape, count_flops=True)
    ours = convcalc_outcome(lambda: cc.Linear(features, out, bias=bias), shape)
    assert_agree(theirs, ours, flops=True)


@AT_LEAST_300
@given(wrong=st.integers(1, 40), features=st.integers(1, 40))
def test_linear_feature_mismatch_refused_like_torch(wrong, features) -> None:
    theirs = torch_outcome(lambda: nn.Linear(wrong, 3), (features,))
    ours = convcalc_outcome(lambda: cc.Linear(wrong, 3), (features,))
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(c=st.integers(1, 6), h=st.integers(1, 6), w=st.integers(1, 6), size=st.integers(1, 5))
def test_parameter_free_and_norm_layers_match_torch(c, h, w, size) -> None:
    shape = (c, h, w)
    pairs_ = [
        (lambda: nn.BatchNorm2d(c), lambda: cc.BatchNorm2d(c)),
        (lambda: nn.LocalResponseNorm(size), lambda: cc.LocalResponseNorm(size)),
        (lambda: nn.ReLU(), lambda: cc.ReLU()),
        (lambda: nn.LeakyReLU(), lambda: cc.LeakyReLU()),
        (lambda: nn.Sigmoid(), lambda: cc.Sigmoid()),
        (lambda: nn.Tanh(), lambda: cc.Tanh()),
        (lambda: nn.Softmax(dim=1), lambda: cc.Softmax(dim=1)),
        (lambda: nn.Dropout(), lambda: cc.Dropout()),
        (lambda: nn.Flatten(), lambda: cc.Flatten()),
        (lambda: nn.Flatten(2), lambda: cc.Flatten(2)),
        (lambda: nn.AdaptiveAvgPool2d(1), lambda: cc.GlobalAvgPool2d()),
        (lambda: nn.ReLU6(), lambda: cc.ReLU6()),
        (lambda: nn.Hardsigmoid(), lambda: cc.Hardsigmoid()),
        (lambda: nn.Hardswish(), lambda: cc.Hardswish()),
        (lambda: nn.SiLU(), lambda: cc.SiLU()),
        (lambda: nn.GELU(), lambda: cc.GELU()),
        (lambda: nn.Identity(), lambda: cc.Identity()),
        (lambda: nn.LayerNorm(w), lambda: cc.LayerNorm(w)),
        (lambda: nn.LayerNorm((h, w)), lambda: cc.LayerNorm((h, w))),
        (lambda: nn.LayerNorm(size), lambda: cc.LayerNorm(size)),
        (lambda: nn.ChannelShuffle(size), lambda: cc.ChannelShuffle(size)),
    ]
    for theirs_build, ours_build in pairs_:
        assert_agree(torch_outcome(theirs_build, shape), convcalc_outcome(ours_build, shape), flops=False)


@AT_LEAST_300
@given(c=st.integers(1, 12), groups=st.integers(1, 6), given_channels=st.integers(1, 12), dims=st.integers(0, 3),
       size=st.integers(1, 4), affine=st.booleans())
def test_group_norm_matches_torch(c, groups, given_channels, dims, size, affine) -> None:
    """Divisibility, the channel count and any rank: torch refuses or agrees on shape and parameters (2C with affine)."""
    shape = (c, *(size,) * dims)
    given_channels = given_channels if affine else c  # (without affine torch never compares num_channels with the input)
    # torch refuses a group of a single value only at batch 1 (its check multiplies the batch in): convcalc counts
    # per sample and takes it at every batch, so those are left out here
    assume(given_channels % groups or c != given_channels or c // groups * size ** dims > 1)
    theirs = torch_outcome(lambda: nn.GroupNorm(groups, given_channels, affine=affine), shape)
    ours = convcalc_outcome(lambda: cc.GroupNorm(groups, given_channels, affine=affine), shape)
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(ndim=st.integers(1, 3), c=st.integers(1, 6), sizes_=st.lists(st.integers(1, 4), min_size=3, max_size=3),
       affine=st.booleans(), tracked=st.booleans(), other=st.integers(1, 6))
def test_instance_norm_matches_torch(ndim, c, sizes_, affine, tracked, other) -> None:
    """On C plus ndim positions (torch reads other ranks as unbatched inputs, which convcalc refuses): a single
    position without running statistics is refused by both; a wrong channel count too, where torch checks it (affine)."""
    shape = (c, *sizes_[:ndim])
    features = other if affine else c  # (without affine torch only warns about a wrong num_features)
    theirs = torch_outcome(lambda: getattr(nn, f"InstanceNorm{ndim}d")(features, affine=affine, track_running_stats=tracked), shape)
    ours = convcalc_outcome(lambda: getattr(cc, f"InstanceNorm{ndim}d")(features, affine=affine, track_running_stats=tracked), shape)
    assert_agree(theirs, ours, flops=False)


@AT_LEAST_300
@given(c=st.integers(1, 8), n=st.integers(1, 8), dims=st.integers(0, 2), size=st.integers(1, 4))
def test_prelu_matches_torch(c, n, dims, size) -> None:
    """One slope, or one per channel: any other count is refused by both."""
    shape = (c, *(size,) * dims)
    assert_agree(torch_outcome(lambda: nn.PReLU(n), shape), convcalc_outcome(lambda: cc.PReLU(n), shape), flops=False)


@given(c=st.integers(1, 6), h=st.integers(1, 6), w=st.integers(1, 6))
def test_new_activations_and_dropouts_match_torch(c, h, w) -> None:
    for name in ("ELU", "SELU", "CELU", "Mish", "Softplus", "Hardtanh", "Dropout2d", "Dropout3d", "AlphaDropout"):
        assert_agree(torch_outcome(getattr(nn, name), (c, h, w)), convcalc_outcome(getattr(cc, name), (c, h, w)), flops=False)
    assert_agree(torch_outcome(lambda: nn.LogSoftmax(1), (c, h, w)), convcalc_outcome(lambda: cc.LogSoftmax(1), (c, h, w)), flops=False)
    for shape in ((c,), (c, h), (c, h, w)):
        assert_agree(torch_outcome(nn.Dropout1d, shape), convcalc_outcome(cc.Dropout1d, shape), flops=False)
