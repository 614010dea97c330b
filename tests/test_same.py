"""Issue 15: 'same' padding at a stride — torch's refusal names the padding that gives ⌈I/S⌉, and
``solve --same`` gives TensorFlow's answer with the torch code that reproduces it.

Evidence: torch itself (F.pad then a conv, against the conv with a symmetric padding, value for
value), Keras 3's own 'same' convolution (the TensorFlow rule, run on the torch backend) and hand
derivations beside each expected number.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

import convcalc as cc
from convcalc.cli import main
from convcalc.errors import SpecError

torch = pytest.importorskip("torch")
F = torch.nn.functional


# --- torch's padding='same' at a stride: the refusal names the padding ---------------------------


def test_refusal_names_the_padding_for_an_odd_kernel() -> None:
    with pytest.raises(SpecError) as error:
        cc.Conv2d(3, 100, 3, stride=2, padding="same")
    message = str(error.value)
    assert "\n" not in message and "needs stride 1" in message
    assert "padding=1 gives TensorFlow's 'same' output ⌈I/S⌉ for every input" in message  # (3 − 1)/2 = 1
    with pytest.raises(SpecError, match=r"padding=2 gives"):  # dilation 2: effective kernel 2·(3−1)+1 = 5, (5 − 1)/2 = 2
        cc.Conv2d(3, 4, 3, stride=2, dilation=2, padding="same")


def test_refusal_for_an_even_kernel_says_which_inputs_each_padding_serves() -> None:
    with pytest.raises(SpecError) as error:
        cc.Conv2d(3, 8, 4, stride=2, padding="same")
    message = str(error.value)
    assert "\n" not in message and "no one padding gives TensorFlow's 'same' output ⌈I/S⌉ for every input" in message
    # E = 4: P = 2 gives ⌊I/2⌋ + 1, right when 2 ∤ I; P = 1 gives ⌊(I−2)/2⌋ + 1, right when 2 ∤ I − 1
    assert "padding=2 does when 2 does not divide I, padding=1 when 2 does not divide I−1" in message
    assert 'Conv2D(..., padding="same")' in message and "convcalc solve" in message


@given(kernel=st.integers(1, 7), stride=st.integers(2, 5), dilation=st.integers(1, 3), size=st.integers(1, 40))
def test_the_named_padding_gives_ceil_i_over_s_in_torch(kernel: int, stride: int, dilation: int, size: int) -> None:
    """The refusal's claim, checked against torch for many inputs: an odd effective kernel's padding gives
    ⌈I/S⌉ always; for an even one, P = E/2 exactly when S ∤ I and P = E/2 − 1 exactly when S ∤ I − 1."""
    eff = dilation * (kernel - 1) + 1
    want = -(-size // stride)

    def torch_out(padding: int) -> int | None:
        if size + 2 * padding < eff:
            return None
        return F.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel), stride=stride, padding=padding,
                        dilation=dilation).shape[-1]

    if eff % 2:
        assert torch_out((eff - 1) // 2) == want
    else:
        assert (torch_out(eff // 2) == want) == (size % stride != 0)
        assert (torch_out(eff // 2 - 1) == want) == ((size - 1) % stride != 0)


# --- solve --same at a stride: TensorFlow's answer and torch's reproduction -----------------------


def test_solve_same_at_stride_2_by_hand() -> None:
    rows = cc.solve(200, 3, stride=2, same=True)
    # O = ⌈200/2⌉ = 100; total max((100 − 1)·2 + 3 − 200, 0) = 1: 0 on the left, the odd pixel on the right
    assert (rows[0].how, rows[0].padding, rows[0].output) == ("TensorFlow 'same'", (0, 1), 100)
    # torch padding=0 starts the windows where TensorFlow does but gives ⌊197/2⌋ + 1 = 99 outputs: not enough
    assert (rows[1].how, rows[1].output) == ("torch padding=0", 99)
    # padding=1 gives ⌊199/2⌋ + 1 = 100, but every window one to the left of TensorFlow's
    assert (rows[2].how, rows[2].output) == ("torch padding=1", 100) and "starts 1 earlier" in rows[2].working
    assert rows[-1].how == "nn.ZeroPad2d((0, 1, 0, 1)) + padding=0"
    # 201: total max(100·2 + 3 − 201, 0) = 2, split 1 and 1; torch padding=1 gives ⌊200/2⌋ + 1 = 101 = ⌈201/2⌉
    rows = cc.solve(201, 3, stride=2, same=True)
    assert [(r.how, r.padding, r.output) for r in rows] == [("TensorFlow 'same'", (1, 1), 101), ("torch padding=1", 1, 101)]
    # 224, kernel 4, stride 2: total max(111·2 + 4 − 224, 0) = 2 → (1, 1); torch padding=1: ⌊(224 + 2 − 4)/2⌋ + 1 = 112
    rows = cc.solve(224, 4, stride=2, same=True)
    assert [(r.padding, r.output) for r in rows] == [((1, 1), 112), (1, 112)] and "the same windows" in rows[1].working


def test_solve_same_at_stride_1_keeps_torchs_rule() -> None:
    assert [(f.padding, f.output, f.how) for f in cc.solve(224, 4, same=True)] == [((1, 2), 224, "")]
    assert [(f.padding, f.output) for f in cc.solve(32, 5, stride=1, same=True)] == [(2, 32)]


@given(size=st.integers(1, 30), kernel=st.integers(1, 6), stride=st.integers(2, 4), dilation=st.integers(1, 2))
def test_solve_same_against_torch(size: int, kernel: int, stride: int, dilation: int) -> None:
    """TensorFlow's padding, applied with F.pad, gives ⌈I/S⌉ outputs; a torch padding said to reproduce it
    gives the very same numbers (the same windows); one said not to gives another size."""
    rows = cc.solve(size, kernel, stride=stride, dilation=dilation, same=True)
    left, right = rows[0].padding
    x = torch.randint(-5, 6, (1, 1, size), dtype=torch.float64)
    w = torch.randint(-5, 6, (1, 1, kernel), dtype=torch.float64)
    tf = F.conv1d(F.pad(x, (left, right)), w, stride=stride, dilation=dilation)
    assert tf.shape[-1] == rows[0].output == -(-size // stride)
    eff = dilation * (kernel - 1) + 1
    for row in rows[1:]:
        if row.how.startswith("nn.ZeroPad2d"):  # the uneven padding itself, then padding=0
            assert row.padding == (left, right) and row.output == rows[0].output
            continue
        assert isinstance(row.padding, int)
        if size + 2 * row.padding < eff:  # torch refuses: the kernel does not fit
            assert row.output < 1 and row.padding == left and "does not fit" in row.working
            continue
        theirs = F.conv1d(x, w, stride=stride, padding=row.padding, dilation=dilation)
        assert theirs.shape[-1] == row.output
        if "the same windows" in row.working:
            assert row.padding == left and torch.equal(theirs, tf)  # value for value: the very same windows
        elif row.padding == left:
            assert theirs.shape != tf.shape  # TensorFlow's windows, but not as many of them
        else:
            assert theirs.shape == tf.shape and row.padding == right != left  # as many, each starting P − L earlier
    reproduced = any("the same windows" in r.working for r in rows)
    assert reproduced == (len(rows) == 2), "either torch padding=L reproduces it, or the uneven-padding code is offered"


def test_solve_same_matches_keras_same_convolution() -> None:
    """Keras 3's Conv1D(padding="same") is TensorFlow's rule: its output equals F.pad with solve's padding, then a conv."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras runs on another backend here")
    for size, kernel, stride in [(200, 3, 2), (7, 4, 3), (9, 2, 2), (10, 5, 3), (5, 1, 2)]:
        layer = keras.layers.Conv1D(1, kernel, strides=stride, padding="same", use_bias=False)
        x = torch.randint(-5, 6, (1, size, 1)).float()
        out = layer(x).detach()
        w = torch.as_tensor(layer.get_weights()[0]).permute(2, 1, 0)  # (K, Cin, Cout) → (Cout, Cin, K)
        left, right = cc.solve(size, kernel, stride=stride, same=True)[0].padding
        ours = F.conv1d(F.pad(x.permute(0, 2, 1), (left, right)), w, stride=stride)
        assert out.shape[1] == -(-size // stride) == ours.shape[-1]
        assert torch.allclose(out.permute(0, 2, 1), ours, atol=1e-5)


def test_cli_solve_same_at_a_stride(capsys) -> None:
    assert main(["solve", "--input", "200", "--kernel", "3", "--stride", "2", "--same"]) == 0
    out = capsys.readouterr().out
    assert "TensorFlow 'same'" in out and "⌈200/2⌉ = 100" in out and "nn.ZeroPad2d((0, 1, 0, 1)) + padding=0" in out


# --- explain shows an uneven padding per side ------------------------------------------------------


def test_explain_shows_both_sides_of_an_uneven_padding() -> None:
    # torch's 'same' with kernel 4: total 3, 1 on the left, 2 on the right: ⌊(6 + 1 + 2 − 4)/1⌋ + 1 = 6
    text = cc.explain(cc.Conv2d(1, 1, 4, padding="same"), (1, 6, 6))
    assert "O = ⌊(6 + 1 + 2 − 4)/1⌋ + 1 = 6" in text and "P_left + P_right" in text
    symmetric = cc.explain(cc.Conv2d(1, 1, 3, padding="same"), (1, 6, 6))
    assert "O = ⌊(6 + 2·1 − 3)/1⌋ + 1 = 6" in symmetric and "O = ⌊(I + 2P − K)/S⌋ + 1" in symmetric
