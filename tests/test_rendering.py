"""One document value per table-like output, and one function that writes a document in every format.

The figures here are small enough to check by hand: Conv2d(3, 10, 5, padding=2) on 3×32×32 has
5·5·3·10 + 10 = 760 parameters and 10·32·32·3·5·5 = 768,000 MACs; LeNet-5 of PyTorch's tutorial
156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

import convcalc as cc
from convcalc import rendering
from convcalc.errors import SpecError
from convcalc.rendering import FORMATS, OK, PART, Checked, Dims, Document, Grid, Steps, render
from convcalc.tables import latex
from convcalc.working import working_of

SOURCE = Path(rendering.__file__).parent
CONV = cc.Conv2d(3, 10, 5, padding=2)


def _verified(ok: bool = True) -> SimpleNamespace:
    """A VerifyReport's data, duck-typed: the document needs its fields, never torch."""

    def check(ours: object, theirs: object) -> SimpleNamespace:
        return SimpleNamespace(ours=ours, theirs=theirs, ok=theirs is None or ours == theirs)

    params = check(760, 760 if ok else 750)
    row = SimpleNamespace(index=1, path="0", kind="conv2d", shape=check((10, 32, 32), (10, 32, 32)), params=params,
                          flops=check(1_536_000, 1_536_000), ok=params.ok)
    return SimpleNamespace(model="conv", input_shape=(3, 32, 32), batch=1, device="cpu", torch_version="2.x", layout="chw", input_dtype=None,
                           rows=(row,), params=params, flops=check(1_536_000, 1_536_000), ok=ok,
                           to_dict=lambda: {"ok": ok})


#: Every kind of document, built from small inputs.
KINDS: dict[str, Callable[[], Document]] = {
    "summary": lambda: rendering.summary(cc.summary(CONV, (3, 32, 32))),
    "breakdown": lambda: rendering.breakdown(cc.summary("lenet5")),
    "comparison": lambda: rendering.comparison(cc.summary("lenet5")),
    "verification": lambda: rendering.verification(_verified()),
    "listing": lambda: rendering.listing([{"name": "a", "params": 61_706}, {"name": "b", "params": 760}]),
    "layer card": lambda: rendering.layer_card(cc.summary(CONV, (3, 32, 32))),
    "explain": lambda: working_of(CONV, (3, 32, 32)).document(),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_document_kind_renders_in_every_format(kind: str, fmt: str) -> None:
    document = KINDS[kind]()
    text = render(document, fmt, human=True)
    if fmt == "json":
        assert json.loads(text) == document.data()
    elif fmt == "csv":
        header, *rows = csv.reader(io.StringIO(text))
        assert header and rows and all(len(row) == len(header) for row in rows)
    else:  # every value written as text, none left as a repr
        assert not re.search(r"None|Dims\(|Mark\(|Checked\(", text)
        if fmt == "latex":
            assert text.isascii(), "LaTeX output must compile without unicode support"
        elif fmt == "html":
            assert text.startswith("<") and text.rstrip().endswith(">")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_unknown_format_is_one_error_for_every_kind(kind: str) -> None:
    with pytest.raises(SpecError) as raised:
        render(KINDS[kind](), "rst")
    assert str(raised.value) == "unknown format 'rst'; use one of table, markdown, latex, html, csv, json"


def test_the_format_is_chosen_in_one_place() -> None:
    """No module but the renderer names the unknown-format error, so none other dispatches on it."""
    naming = sorted(p.name for p in SOURCE.rglob("*.py") if "unknown format" in p.read_text(encoding="utf-8"))
    assert naming == ["rendering.py"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_public_outputs_are_the_documents_rendered(fmt: str) -> None:
    report = cc.summary(CONV, (3, 32, 32))
    assert report.render(fmt, human=True) == render(rendering.summary(report), fmt, human=True)
    assert cc.explain(CONV, (3, 32, 32), fmt=fmt) == render(working_of(CONV, (3, 32, 32)).document(), fmt)


def test_verify_renders_its_document() -> None:
    pytest.importorskip("torch")
    verified = cc.verify("lenet5", device="meta")
    for fmt in FORMATS:
        assert verified.render(fmt) == render(rendering.verification(verified), fmt)
    assert "61,706 ✓" in str(verified)


def test_a_table_never_makes_the_csv_or_json() -> None:
    def refuse() -> object:
        raise AssertionError("made for a table")

    document = Document(title="t", body=Grid(("a",), (("1",),), (True,)), data=refuse, csv=refuse)
    for fmt in ("table", "markdown", "latex", "html"):
        render(document, fmt)


# --- the values in a document, written per format -----------------------------------------------


def test_values_take_the_formats_glyphs_and_rounding() -> None:
    row = (Dims((10, 32, 32)), 768_000, (PART, "depthwise"), None, Checked(760, 760), Checked(760, 750), OK)
    document = Document(title="", body=Grid(tuple("abcdefg"), (row,), (False,) * 7), data=dict)
    table = render(document, "table").splitlines()[-1].split("  ")
    assert [c.strip() for c in table if c.strip()] == ["10×32×32", "768,000", "↳ depthwise", "—", "760 ✓",
                                                       "760 ≠ 750 ✗", "✓"]
    assert "768.00 k" in render(document, "table", human=True)
    tex = render(document, "latex")
    assert "10x32x32" in tex and "- depthwise" in tex and "760 vs torch 750" in tex and tex.isascii()


def test_a_column_of_sentences_goes_beneath_a_terminal_table_and_stays_in_a_document() -> None:
    body = Grid(("tool", "total", "why"), (("paper", 760, "conv and linear MACs"),), (False, True, False), beneath=2)
    document = Document(title="what each tool prints", body=body, footer=("the end",), data=dict)
    assert render(document, "table") == ("what each tool prints\n\n"
                                          "tool      total\n"
                                          "------  -------\n"
                                          "paper       760\n\n"
                                          "paper: conv and linear MACs\n"
                                          "the end")
    markdown = render(document, "markdown")
    assert "| why " in markdown and "conv and linear MACs |" in markdown
    assert markdown.startswith("**what each tool prints**\n\n") and markdown.endswith("\n\nthe end")


def test_steps_in_every_format() -> None:
    body = Steps((("params", ("5·5·3·10 + 10 = 760",)), ("MACs", ("10·32·32·3·5·5", "= 768,000"))), ("note: n",))
    document = Document(title="Conv2d", body=body, footer=("last",), data=dict)
    assert render(document, "table") == ("Conv2d\n"
                                          "  params  5·5·3·10 + 10 = 760\n"
                                          "  MACs    10·32·32·3·5·5\n"
                                          "          = 768,000\n"
                                          "  note: n\n"
                                          "last")
    assert render(document, "csv") == ("quantity,working\nparams,5·5·3·10 + 10 = 760\nMACs,10·32·32·3·5·5\n"
                                        "MACs,\"= 768,000\"\n")
    assert r"\item[MACs] 10$\cdot$32$\cdot$32$\cdot$3$\cdot$5$\cdot$5 \\ = 768,000" in render(document, "latex")
    assert "<dt>MACs</dt><dd>10·32·32·3·5·5</dd><dd>= 768,000</dd>" in render(document, "html")
    assert "- MACs: `10·32·32·3·5·5`  \n  `= 768,000`" in render(document, "markdown")


# --- one LaTeX escaper ---------------------------------------------------------------------------


def test_one_latex_escaper() -> None:
    """Grids and prose are escaped by tables.latex alone: no other module spells a LaTeX escape."""
    spelling = re.compile(r"textbackslash|textasciitilde")
    assert sorted(p.name for p in SOURCE.rglob("*.py") if spelling.search(p.read_text(encoding="utf-8"))) == [
        "tables.py"]


@pytest.mark.parametrize(("text", "cell", "prose"), [
    ("a_b & 50%", r"a\_b \& 50\%", r"a\_b \& 50\%"),
    ("x^2", r"x\^{}2", r"x\textasciicircum{}2"),
    # the floor formula: ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32, its signs as inline maths, neighbours sharing one $…$
    ("⌊(32+2·2−5)/1⌋", "⌊(32+2·2−5)/1⌋", r"$\lfloor$(32+2$\cdot$2$-$5)/1$\rfloor$"),
    ("3×32 — ok ✓", "3×32 — ok ✓", r"3$\times$32 --- ok ?"),
], ids=["specials", "caret", "floor formula", "signs and others"])
def test_latex_escapes_cells_as_tabulate_and_prose_as_ascii(text: str, cell: str, prose: str) -> None:
    assert latex(text) == cell
    assert latex(text, prose=True) == prose
