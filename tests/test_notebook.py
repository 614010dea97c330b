"""examples/notebook.ipynb runs, top to bottom, and its saved outputs are what it prints today.

Jupyter is not needed: each code cell runs in one shared namespace as a kernel would run it
(the last expression's value is the cell's result, shown as text/plain and, where the object
has one, its ``_repr_html_``). ``python -m pytest --update-goldens`` rewrites the saved outputs.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "notebook.ipynb"


def _lines(text: str) -> list[str]:
    return text.splitlines(True)


def run_cell(source: str, namespace: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The outputs a Jupyter kernel would record for this cell."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(tree, "<cell>", "exec"), namespace)  # the notebook is our own example code, not user input
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None
    outputs: list[dict[str, Any]] = []
    if stdout.getvalue():
        outputs.append({"name": "stdout", "output_type": "stream", "text": _lines(stdout.getvalue())})
    if value is not None:
        data = {"text/plain": _lines(repr(value))}
        if hasattr(value, "_repr_html_"):
            data["text/html"] = _lines(value._repr_html_())
        outputs.append({"data": data, "execution_count": count, "metadata": {}, "output_type": "execute_result"})
    return outputs


def test_the_notebook_runs_and_its_outputs_are_current(update_goldens: bool, monkeypatch) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("pandas")
    monkeypatch.chdir(NOTEBOOK.parent)  # as a user opening it from examples/
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and notebook["metadata"]["kernelspec"]["language"] == "python"
    namespace: dict[str, Any] = {"__name__": "__main__"}
    count = 0
    stale = []
    for cell in notebook["cells"]:
        assert cell["cell_type"] in ("markdown", "code") and "id" in cell
        if cell["cell_type"] != "code":
            continue
        count += 1
        outputs = run_cell("".join(cell["source"]), namespace, count)
        if update_goldens:
            cell["outputs"], cell["execution_count"] = outputs, count
        elif (cell["outputs"], cell["execution_count"]) != (outputs, count):
            stale.append("".join(cell["source"]).splitlines()[0])
    if update_goldens:
        NOTEBOOK.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert not stale, f"saved outputs differ from a fresh run in cells starting {stale}; rerun with --update-goldens"


def test_the_notebook_shows_what_the_lectures_say() -> None:
    """Its saved outputs carry the lecture's figures (seed 000's network, by hand):
    conv 1→32, 5×5: 32·25 + 32 = 832; conv 32→64, 5×5: 64·32·25 + 64 = 51,264;
    linear 256→200: 51,400; 200→10: 2,010; total 105,506."""
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    shown = "".join("".join(o.get("text", [])) + "".join(o.get("data", {}).get("text/plain", []))
                    for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"])
    assert "params=105506" in shown
    assert 832 + 51_264 + 51_400 + 2_010 == 105_506
    assert "((32, 24, 24), 832" in shown  # (28 − 5)/1 + 1 = 24
    assert "= 1,536,000" in shown  # 2·10·32·32·3·5·5
    html = [o["data"]["text/html"] for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]
            if "text/html" in o.get("data", {})]
    assert html and "".join(html[0]).startswith("<table>")
