"""convcalc draws its own grids; tabulate, the library whose layout they follow, is the oracle."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convcalc.tables import GRIDS, grid

tabulate = pytest.importorskip("tabulate").tabulate

TABULATE_NAME = {"table": "simple", "markdown": "github", "latex": "latex_booktabs", "html": "html"}
# Cells as reports write them, and every character LaTeX or HTML must escape.
TEXT = st.text(alphabet=st.sampled_from("ab Z09_#&%$^{}~\\<>×—↳✓≠'\".,()"), max_size=14)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[str]], list[str], list[bool]]:
    columns = draw(st.integers(1, 7))
    headers = draw(st.lists(TEXT, min_size=columns, max_size=columns))
    rows = draw(st.lists(st.lists(TEXT, min_size=columns, max_size=columns), min_size=1, max_size=8))
    right = draw(st.lists(st.booleans(), min_size=columns, max_size=columns))
    return rows, headers, right


@pytest.mark.parametrize("fmt", GRIDS)
@given(table=tables())
def test_grids_are_tabulates(fmt: str, table: tuple[list[list[str]], list[str], list[bool]]) -> None:
    rows, headers, right = table
    expected = tabulate(rows, headers=headers, tablefmt=TABULATE_NAME[fmt], disable_numparse=True,
                        colalign=tuple("right" if r else "left" for r in right))
    assert grid(rows, headers, fmt, right) == expected


def test_unknown_grid_format() -> None:
    with pytest.raises(ValueError, match="unknown grid format 'rst'"):
        grid([["1"]], ["a"], "rst", [True])
