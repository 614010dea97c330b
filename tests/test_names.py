"""Issue 15 item 7: warnings and hints that are true.

The "never read" warning fires only where the windows tile the input (effective kernel ≥ stride);
"did you mean" suggests only a layer of the same meaning, from a table of what each framework's
names mean (Keras' Conv2DTranspose is torch's ConvTranspose2d), and says when convcalc has no such
layer rather than guessing.
"""

from __future__ import annotations

import pytest

import convcalc as cc
from convcalc.cli import main
from convcalc.names import SAME_AS, did_you_mean, meaning
from convcalc.parsing import layer_names

# --- the "never read" warning ------------------------------------------------------------------------


def test_resnet18_summary_prints_no_warning(capsys) -> None:
    """Its three 1×1 stride-2 shortcuts skip every other row by design, at any input size."""
    assert main(["summary", "resnet18"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.out + captured.err
    assert cc.summary("resnet18").warnings == ()


def test_a_strided_1x1_conv_is_no_warning_but_a_doesnt_fit_conv_is() -> None:
    # 1×1, stride 2 on 56: ⌊55/2⌋ + 1 = 28 outputs read rows 0, 2, …, 54; row 55 is unread like every odd row
    assert cc.summary(cc.Conv2d(64, 128, 1, stride=2), (64, 56, 56)).warnings == ()
    # 2×2 max pool, stride 3: windows [0,1], [3,4], … leave gaps by design too
    assert cc.summary(cc.MaxPool2d(2, stride=3), (1, 8, 8)).warnings == ()
    # CS231n: 7×7, 3×3 filter, stride 3: the windows tile rows 0…5 without gaps and row 6 is lost, a surprise
    assert any("never read" in w for w in cc.summary(cc.Conv2d(1, 1, 3, stride=3), (1, 7, 7)).warnings)
    # dilated and strided, rows are skipped by design: 3 taps 2 apart at stride 2 read even rows only (rows 0, 2, …, 8
    # of 10, so ⌊(10 − 5)/2⌋ + 1 = 3 windows leave row 9 unread like every odd row); taps 0 and 2 at stride 3 never read 1
    assert cc.summary(cc.Conv2d(3, 8, 3, stride=2, dilation=2), (3, 10, 10)).warnings == ()
    assert cc.summary(cc.Conv1d(1, 1, 2, stride=3, dilation=2), (1, 8)).warnings == ()
    # dilated at stride 1 the windows slide over every row: ⌊(8 − 5)/1⌋ + 1 = 4 windows read rows 0…7, nothing lost
    assert cc.summary(cc.Conv1d(1, 1, 3, dilation=2), (1, 8)).warnings == ()


# --- "did you mean" -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "hint"), [
    ("nn.Conv2DTranspose(3, 8, 3)", "did you mean ConvTranspose2d?"),  # the issue's: not ConvTranspose3d (Keras' Conv2DTranspose is read as itself)
    ("nn.Conv1DTranspose(3, 8, 3)", "did you mean ConvTranspose1d?"),
    ("Deconvolution2D(8, 3)", "did you mean Conv2DTranspose?"),  # Keras 1's name: Keras' own class first
    ("nn.Deconvolution2D(3, 8, 3)", "did you mean ConvTranspose2d?"),  # torch-named: torch's class
    ("UpSampling2D(2)", "did you mean Upsample?"),  # Keras' name: torch's Upsample (nearest, as Keras' default)
    ("nn.UpSample(scale_factor=2)", "did you mean Upsample?"),
    ("nn.DepthToSpace(2)", "did you mean PixelShuffle?"),  # TensorFlow's name for it
    ("nn.Relu()", "did you mean ReLU?"),
    ("layers.ConvTranspose2d(8, 3)", "did you mean Conv2DTranspose?"),  # Keras text: Keras' class of that meaning and dims
    ("layers.ZeroPad2d(1)", "did you mean ZeroPadding2D?"),
    ("nn.GlobalMaxPool2d()", "did you mean AdaptiveMaxPool2d with output_size=1?"),  # never GlobalAvgPool2d
    ("nn.Conv2D(3, 8, 3)", "did you mean Conv2d?"),
    ("nn.BatchNorm(8)", "did you mean BatchNorm1d, BatchNorm2d or BatchNorm3d?"),
    ("Cropping2D(1)", "ZeroPad2d with a negative padding"),
    ("nn.Sigmod()", "did you mean Sigmoid?"),
])
def test_unknown_names_get_a_hint_of_the_same_meaning(text: str, hint: str) -> None:
    with pytest.raises(cc.SpecError) as error:
        cc.parse_layer(text)
    assert hint in str(error.value) and "\n" not in str(error.value)


def test_constantpad2d_suggests_a_padding_layer_never_a_transposed_conv() -> None:
    """The issue's case, with convcalc's own padding classes taken away: only padding is offered."""
    known = [n for n in layer_names() if meaning(n) != "padding" or n.startswith(("ZeroPad", "ReflectionPad"))]
    hint = did_you_mean("ConstantPad2d", known)
    assert "ConvTranspose" not in hint
    assert hint == "; the padding layers convcalc knows in 2-d: ReflectionPad2d, ZeroPad2d, ZeroPadding2D"
    assert did_you_mean("ConstantPad2d", [n for n in layer_names() if meaning(n) != "padding"]) == ""


@pytest.mark.parametrize("name", sorted(layer_names()))
def test_a_missing_name_is_never_answered_across_meanings(name: str) -> None:
    """Take each known name away and ask for it: whatever is offered means the same kind of layer."""
    rest = [n for n in layer_names() if n != name]
    hint = did_you_mean(name, rest)
    if hint.startswith("; did you mean "):
        offered = hint.removeprefix("; did you mean ").rstrip("?").replace(" or ", ", ").split(", ")
        for other in offered:
            word = other.split(" ")[0]
            assert meaning(word) == meaning(name) or meaning(name) is None, (name, hint)
    elif hint:
        listed = hint.split(": ", 1)[1].replace(", …", "").split(", ")
        assert all(meaning(other) == meaning(name) for other in listed), (name, hint)


@pytest.mark.parametrize("foreign", sorted(SAME_AS))
def test_the_table_maps_each_name_to_one_of_its_meaning(foreign: str) -> None:
    hint = did_you_mean(foreign, layer_names())
    if not SAME_AS[foreign]:
        assert "convcalc has no" in hint
        return
    word = hint.removeprefix("; did you mean ").split("?")[0].split(" ")[0]
    assert word in layer_names(), (foreign, hint)
    assert meaning(word) == meaning(foreign) or foreign in ("cropping1d", "cropping2d", "cropping3d"), (foreign, hint)


def test_the_registry_wins_over_the_table() -> None:
    """A name a layer class has is never looked up; the table prefers a known class of the text's own framework."""
    assert cc.parse_layer("nn.LazyConv2d(6, 5)") == cc.LazyConv2d(6, 5)
    assert did_you_mean("Deconvolution2D", ["Conv2DTranspose", "ConvTranspose2d"]) == "; did you mean Conv2DTranspose?"
    assert did_you_mean("Deconvolution2D", ["ConvTranspose2d", "ConvTranspose3d"]) == "; did you mean ConvTranspose2d?"
