"""Text grids: a terminal table, GitHub Markdown, LaTeX booktabs and HTML.

The layout is tabulate's (its ``simple``, ``github``, ``latex_booktabs`` and
``html`` formats, cells given as strings, columns aligned as asked); the tests
hold every format to tabulate's own output. convcalc writes them itself because
importing tabulate 0.10 costs about 50 ms (it reads package metadata at import),
a third of the whole command's start-up.

:data:`FORMATS`, every ``--format``, is kept here too: the command line defines its
options from it without loading :mod:`convcalc.rendering`, which renders them all.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The grid formats, by the name the ``--format`` option uses.
GRIDS = ("table", "markdown", "latex", "html")

#: Every output format: the grids, then CSV and JSON for scripts.
FORMATS = (*GRIDS, "csv", "json")

#: What ``summary`` also writes: the network's graph, as Graphviz and Mermaid text (:mod:`convcalc.diagram`).
GRAPH_FORMATS = ("dot", "mermaid")

_RIGHT = ' style="text-align: right;"'
_MIN_PADDING = 2  # a column is at least this much wider than its header
#: LaTeX's special characters, escaped as tabulate escapes a cell.
_LATEX_ESCAPES = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "^": r"\^{}", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "\\": r"\textbackslash{}", "<": r"\ensuremath{<}", ">": r"\ensuremath{>}",
}
#: What prose adds (a title, a worked formula, a note): the maths signs as inline maths and the dashes as
#: TeX writes them, so the text compiles as ASCII under any engine; a caret is the text character there.
_LATEX_PROSE = {
    "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "·": r"$\cdot$", "−": "$-$",
    "×": r"$\times$", "Π": r"$\Pi$", "≥": r"$\geq$", "≤": r"$\leq$", "≠": r"$\neq$", "→": r"$\to$",
    "√": r"$\surd$", "—": "---", "–": "--", "^": r"\textasciicircum{}",
}


def latex(text: str, prose: bool = False) -> str:
    """``text`` with LaTeX's special characters escaped: as tabulate escapes a grid's cell, or, for
    ``prose``, also with the maths signs as inline maths (neighbouring signs share one ``$…$``) and any
    other non-ASCII character as ``?``. The project's one LaTeX escaper."""
    if not prose:
        return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)
    out = "".join(_LATEX_PROSE.get(ch) or _LATEX_ESCAPES.get(ch, ch) for ch in text).replace("$$", "")
    return out.encode("ascii", "replace").decode()


def grid(rows: Sequence[Sequence[str]], headers: Sequence[str], fmt: str, right: Sequence[bool]) -> str:
    """``rows`` of strings under ``headers`` as a ``fmt`` grid (one of :data:`GRIDS`);
    ``right[i]`` aligns column i to the right (numbers), else to the left. Cells are trimmed of
    surrounding spaces first, as tabulate trims them."""
    rows = [[cell.strip() for cell in row] for row in rows]  # as tabulate: cells trimmed, headers kept
    widths = [len(h) + _MIN_PADDING for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            if len(cell) > widths[i]:
                widths[i] = len(cell)

    def line(cells: Sequence[str]) -> list[str]:
        return [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]

    head, body = line(headers), [line(row) for row in rows]
    if fmt == "table":
        out = ["  ".join(head).rstrip(), "  ".join("-" * w for w in widths)]
        out += ["  ".join(cells).rstrip() for cells in body]
    elif fmt == "markdown":
        out = [f"| {' | '.join(head)} |", "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [f"| {' | '.join(cells)} |" for cells in body]
    elif fmt == "latex":
        def tex(cells: list[str]) -> str:
            return "&".join(f" {latex(c)} " for c in cells) + "\\\\"

        columns = "".join("r" if r else "l" for r in right)
        out = [f"\\begin{{tabular}}{{{columns}}}", "\\toprule", tex(head), "\\midrule", *map(tex, body),
               "\\bottomrule", "\\end{tabular}"]
    elif fmt == "html":
        from html import escape  # html loads its entity table at import: only HTML output pays

        def tr(tag: str, cells: list[str]) -> str:
            shown = "".join(f"<{tag}{_RIGHT if r else ''}>{escape(c)}</{tag}>" for c, r in zip(cells, right))
            return f"<tr>{shown.rstrip()}</tr>"

        out = ["<table>", "<thead>", tr("th", head), "</thead>", "<tbody>", *(tr("td", c) for c in body),
               "</tbody>", "</table>"]
    else:
        raise ValueError(f"unknown grid format {fmt!r}; use one of {', '.join(GRIDS)}")
    return "\n".join(out)
