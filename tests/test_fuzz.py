"""Fuzzing: whatever comes in, the outcome is a right answer or a ConvCalcError, never anything else.

Three fuzzers, bounded in examples and in time per example (a hang fails the deadline):
random text and random mutations of valid lines through the spec parser, random (often
out-of-domain) arguments through every layer constructor and the analysis, and a short run
of benchmarks/fuzz.py, which holds convcalc to real torch modules on legality and numbers
(its long run, tens of thousands of cases, is in the README).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convcalc as cc
from convcalc import records
from convcalc.layers.base import LAYER_TYPES, Block, Leaf

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(deadline=2000, suppress_health_check=[HealthCheck.too_slow])

VALID_LINES = [
    "nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)",
    "nn.MaxPool2d(kernel_size=3, stride=2)",
    "nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)",
    "nn.Linear(16 * 5 * 5, 120)",
    "x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))",
    "x.view(-1, 16 * 5 * 5)",
    "nn.BatchNorm2d(64)",
    "nn.AdaptiveAvgPool2d((6, 6))",
    "conv3-64",
    "maxpool",
    "FC-4096",
    "nn.Conv2d(3, 8, 3, padding='same', dilation=2)",
]
#: Characters that make text look almost like a spec line.
ALPHABET = "nn.Conv2dMaxPoolLinear(),=*-+/ 0123456789xF_'\"[]{}:#\\\n\t×é"


def parse_outcome(text: str) -> None:
    """Parse, then analyse what parsed on a few inputs: only results and ConvCalcErrors may come out."""
    try:
        spec = cc.parse_spec(text)
    except cc.ConvCalcError:
        return
    for shape in ((3, 32, 32), (1, 28, 28), (64, 7, 7), (16,)):
        try:
            cc.summary(spec.net, shape)
        except cc.ConvCalcError:
            pass


@FUZZ
@given(text=st.text(alphabet=ALPHABET, max_size=80) | st.text(max_size=40))
def test_random_text_parses_or_is_refused(text: str) -> None:
    parse_outcome(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.sampled_from(VALID_LINES), min_size=1, max_size=4))
    text = "\n".join(lines)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 4)))
        text = text[:i] + draw(st.text(alphabet=ALPHABET, max_size=3)) + text[j:]
    return text


@FUZZ
@given(text=mutated())
def test_mutated_spec_lines_parse_or_are_refused(text: str) -> None:
    parse_outcome(text)


ODD_VALUES = st.one_of(
    st.integers(-3, 8), st.integers(-(10**12), 10**12), st.booleans(), st.none(),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["same", "valid", "zeros", "", "x"]),
    st.tuples(st.integers(-1, 5)), st.tuples(st.integers(-1, 5), st.integers(-1, 5)),
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)), st.lists(st.integers(0, 4), max_size=4),
)
LEAVES = sorted((cls for cls in LAYER_TYPES.values() if issubclass(cls, Leaf)), key=lambda c: c.__name__)
SHAPES = st.lists(st.integers(1, 12) | st.sampled_from([10**8, 10**12]), min_size=1, max_size=4).map(tuple)


@st.composite
def layer_calls(draw: st.DrawFn) -> tuple[type, dict[str, Any]]:
    """A leaf class and odd values for some of its own arguments (always the required ones)."""
    cls = draw(st.sampled_from(LEAVES))
    kwargs = {}
    for f in records.fields(cls):
        if f.init and (f.required or draw(st.booleans())):
            kwargs[f.name] = draw(ODD_VALUES)
    return cls, kwargs


@FUZZ
@given(call=layer_calls(), shape=SHAPES, wrap=st.booleans())
def test_random_layer_arguments_build_or_are_refused(call: tuple[type, dict[str, Any]], shape: tuple[int, ...],
                                                     wrap: bool) -> None:
    cls, kwargs = call
    try:
        layer = cls(**kwargs)
    except cc.ConvCalcError:
        return
    net = cc.Sequential(layer, cc.ReLU()) if wrap else layer
    try:
        report = cc.summary(net, shape)
    except cc.ConvCalcError:
        return
    assert all(isinstance(r.macs, int) and r.macs >= 0 and r.params >= 0 for r in report.rows)
    str(report)


def test_blocks_refuse_what_is_not_a_layer() -> None:
    blocks = sorted((cls for cls in LAYER_TYPES.values() if issubclass(cls, Block)), key=lambda c: c.__name__)
    for cls in blocks:
        for junk in (3, "conv", None, [cc.ReLU(), 3]):
            try:
                cls(junk)
            except (cc.ConvCalcError, TypeError):
                continue


def _fuzz_module() -> Any:
    spec = importlib.util.spec_from_file_location("convcalc_fuzz", ROOT / "benchmarks" / "fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_fuzz_run_against_torch_finds_no_disagreement_and_no_crash() -> None:
    pytest.importorskip("torch")
    result = _fuzz_module().run(cases=600, seed=11)
    assert result["problems"] == []
    assert result["disagree"] == 0 and result["crash"] == 0
    # both sides of legality are exercised, not one
    assert result["agree"] > 100 and result["both refuse"] > 100


TOKENS = st.sampled_from([
    "summary", "layer", "check", "solve", "models", "verify", "alexnet", "lenet5", "nope", "--input", "--batch",
    "--dtype", "--depth", "--format", "--human", "--explain", "--kernel", "--stride", "--output", "--same",
    "3x32x32", "0x1x1", "-1", "0", "2", "x", "json", "latex", "nn.Conv2d(3, 8, 3)", "nn.Conv2d(3, 8", "F.relu(x)",
    "examples/homework.toml", "examples/lenet_mnist.txt", "pkg.mod:Net", "--", "-", "=", "--input=3x8x8",
])


@settings(deadline=5000, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(argv=st.lists(TOKENS, max_size=6))
def test_no_command_line_makes_a_traceback(argv: list[str]) -> None:
    """Random argument lists through the console script: exit 0, 1 (a wrong answer or a
    mismatch) or 2 (bad input), one error line at most, and never the exit 3 of a bug."""
    import contextlib
    import io

    from convcalc import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.chdir(ROOT):
        code = cli.main([a for a in argv if a != "verify"])  # verify would build torch modules: slow
    assert code in (0, 1, 2), (argv, code, err.getvalue())
    assert "Traceback" not in err.getvalue() and err.getvalue().count("\n") <= 1, err.getvalue()
