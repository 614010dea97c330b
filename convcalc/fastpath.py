"""The console script's front door: the plainest ``convcalc summary`` answered without loading click.

Importing click costs about 40 ms on the 2-core benchmark machine, more than convcalc's
whole work for a zoo model's table. So the commonest command, ``summary MODEL`` with any of
``--input``, ``--batch``, ``--dtype``, ``--depth``, ``--format`` and ``--human``, is read here
in a few lines. Everything else goes to the click CLI (:mod:`convcalc.cli`), which stays the
definition of the interface: help, the other commands, ``--verify``, a ``package.module:Name``
target, any option or value this reader is not sure of, and every error (click's path
recomputes the command and reports it in its own words). The tests run both paths over the
same argument lists and require the same output and exit status.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

#: Options taking a value -> the summary argument it sets; and the flags.
_VALUED = {"--input": "input_shape", "--batch": "batch", "--dtype": "dtype", "--depth": "depth", "--format": "fmt"}
_FLAGS = {"--human": "human"}


def plain_summary(argv: Sequence[str]) -> dict[str, Any] | None:
    """The arguments of a plain ``summary`` command line, or ``None`` when click should read it."""
    if len(argv) < 2 or argv[0] != "summary":
        return None
    given: dict[str, Any] = {}
    model = None
    args = iter(argv[1:])
    for arg in args:
        if not arg.startswith("-"):
            if model is not None:
                return None  # a second argument: click's error
            model = arg
            continue
        option, eq, value = arg.partition("=")
        if option in _FLAGS and not eq:
            key, value = _FLAGS[option], True
        elif option in _VALUED:
            key = _VALUED[option]
            if not eq:
                value = next(args, "")
            if not value or value.startswith("-"):
                return None
        else:
            return None  # --help, --verify, a typo: click knows
        if key in given:
            return None
        given[key] = value
    if model is None or ":" in model:  # package.module:Name runs the user's code: click's path
        return None
    try:
        batch = int(given.get("batch", 1))
        depth = int(given["depth"]) if "depth" in given else None
    except ValueError:
        return None
    from .rendering import FORMATS

    fmt = given.get("fmt", "table")
    if fmt not in FORMATS:
        return None
    return {"model": model, "input_shape": given.get("input_shape"), "batch": batch,
            "dtype": given.get("dtype", "float32"), "depth": depth, "fmt": fmt, "human": given.get("human", False)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (as :func:`convcalc.cli.main`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    plain = plain_summary(args)
    if plain is not None:
        try:
            text = _summary_text(**plain)
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            return 130
        except Exception:  # noqa: BLE001 - click's path reports it (one line, exit 2 or 3)
            text = None
        if text is not None:
            try:
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
                sys.stdout.flush()
            except BrokenPipeError:
                return reader_left()
            except OSError as error:
                print(f"error: cannot write the output: {error}", file=sys.stderr)
                return 1
            return 0
    from .cli import main as click_main

    return click_main(args)


def reader_left() -> int:
    """``convcalc … | head``: the reader has what it wanted. Point stdout at the null device so that
    the interpreter's last flush cannot fail too, and exit 0 (Python's documented remedy)."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _summary_text(model: str, input_shape: str | None, batch: int, dtype: str, depth: int | None, fmt: str,
                  human: bool) -> str:
    from .api import summary

    return summary(model, input_shape, batch=batch, dtype=dtype, depth=depth).render(fmt, human=human)
