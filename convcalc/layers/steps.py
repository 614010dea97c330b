"""Pieces of worked formulas that several layer types write alike (output sizes, products)."""

from __future__ import annotations

from ..arithmetic import window_formula
from .base import Shape, Step, dims_text

#: The names of the spatial dims, by how many there are.
AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def dot(*values: object) -> str:
    """``3·3·64``: a product written out."""
    return "·".join(str(v) for v in values)


def window_size(i: int, k: int, s: int, pl: int, pr: int, d: int, out: int, ceil: bool = False) -> str:
    """``O = ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32`` for one spatial dim."""
    return "O = " + window_formula(i, k, s, pl, pr, d, out, ceil, spaced=True)


def output_steps(spatial: Shape, per_dim: list[str], rule: str, out: Shape) -> list[Step]:
    """The output-size rule, its working per spatial dim (once when every dim agrees), and the shape out."""
    steps = [Step("output size", rule)]
    axes = AXES.get(len(spatial), tuple(f"dim {i}" for i in range(len(spatial))))
    if all(p == per_dim[0] for p in per_dim):
        steps.append(Step("", per_dim[0], note=f"{' and '.join(axes)} alike" if len(per_dim) > 1 else ""))
    else:
        steps += [Step("", f"{axis}: {text}") for axis, text in zip(axes, per_dim)]
    steps.append(Step("", "output " + dims_text(out)))
    return steps
