"""The exceptions convcalc raises on bad input.

Every error derives from :class:`ConvCalcError`; each subclass also derives from
the builtin that fits, so ``except ValueError`` keeps working for callers who do
not know convcalc. Messages name the place (layer index and path), the values
involved and what would fit.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ConvCalcError", "ShapeError", "SpecError", "AnswersError", "UnknownModelError", "DeviceError",
           "TorchUnavailableError", "PlotUnavailableError"]


class ConvCalcError(Exception):
    """Base of every error convcalc raises on bad input."""


class ShapeError(ConvCalcError, ValueError):
    """A layer cannot take the shape that reaches it (kernel too large, channel mismatch, …).

    Raised by a layer with only the detail; the walk adds where it happened
    (``layer 3 (features.6) Conv2d: …``) through :meth:`located`.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.detail = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)

    def located(self, where: str) -> ShapeError:
        """The same error, prefixed with the place it happened (once)."""
        return self if self.where else ShapeError(self.detail, where=where)


class SpecError(ConvCalcError, ValueError):
    """A layer specification is invalid: bad constructor values, or bad spec text.

    ``line`` and ``column`` (1-based) are set when the spec came from text.
    """

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        prefix = ""
        if line is not None:
            prefix = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(prefix + message)


class AnswersError(ConvCalcError, ValueError):
    """An answers file (``convcalc check``) that cannot be used: unreadable, not TOML, unknown
    keys, values of the wrong type, a layer that does not exist. Messages name the file and
    the question."""


class UnknownModelError(ConvCalcError, KeyError):
    """A model name that is not in the zoo; carries close matches as ``suggestions``."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown model {name!r}{hint} (`convcalc models` lists them all)")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DeviceError(ConvCalcError, ValueError):
    """A device torch cannot use here (CUDA asked for where there is none, an unknown name)."""


class TorchUnavailableError(ConvCalcError, ImportError):
    """A torch feature (to_torch, verify, from_torch) was asked for without torch installed."""


class PlotUnavailableError(ConvCalcError, ImportError):
    """A plot (``report.plot``, ``convcalc plot``) was asked for without matplotlib installed (the ``plot`` extra)."""
