"""Random layer configurations, legal and not, through convcalc and through real torch modules.

    python benchmarks/fuzz.py                    # 50,000 cases (about 40 s on 2 cores)
    python benchmarks/fuzz.py --cases 500 --seed 3 --json out.json

Each case is one layer call (a torch class name with drawn arguments: sizes that fit and
sizes that do not, zeros and negatives, wrong tuple lengths, 'same' padding with strides,
output_padding too large, bad groups …) and one input shape, sometimes of the wrong rank.
convcalc reads the call as text (``parse_layer``, the way a student types it) and
analyses it; torch builds ``torch.nn.<name>(*args, **kwargs)`` and runs a forward pass.

Every case lands in exactly one class:

- **agree**: both accept, and the output shape, the parameter count and (for conv and
  linear layers) FlopCounterMode's FLOPs are equal;
- **both refuse**: torch raises (or returns an empty tensor) and convcalc raises a
  ConvCalcError;
- **stricter**: the call gives a bool or a float where torch means an int. torch quietly
  takes ``True`` as 1 (and some floats); convcalc refuses them on purpose, with a SpecError;
- **disagree**: one accepts and the other refuses, or both accept with different numbers;
- **crash**: convcalc raised anything other than a ConvCalcError.

The run fails (exit 1) on any disagreement or crash and prints the first few.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
import warnings
from collections import Counter
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import convcalc as cc

#: Layers drawn, with the number of spatial dims their input has (None: any rank).
CONVS = {"Conv1d": 1, "Conv2d": 2, "Conv3d": 3, "ConvTranspose1d": 1, "ConvTranspose2d": 2, "ConvTranspose3d": 3}
POOLS = {"MaxPool1d": 1, "MaxPool2d": 2, "MaxPool3d": 3, "AvgPool1d": 1, "AvgPool2d": 2, "AvgPool3d": 3}
ADAPTIVE = {"AdaptiveAvgPool1d": 1, "AdaptiveAvgPool2d": 2, "AdaptiveMaxPool2d": 2, "AdaptiveAvgPool3d": 3}
OTHERS = ("Linear", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "LocalResponseNorm", "Flatten",
          "ChannelShuffle", "Dropout", "ReLU", "Softmax", "Identity")
COUNTED = set(CONVS) | {"Linear"}  # the layers whose FLOPs FlopCounterMode counts


class Draw:
    """Values for one case."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def size(self, low: int = 1, high: int = 6) -> Any:
        """An int, mostly in range; sometimes 0, negative, a bool or a float."""
        r = self.rng.random()
        if r < 0.05:
            return self.rng.choice([0, -1, -3])
        if r < 0.07:
            return self.rng.choice([True, False, 2.0, 2.5])
        return self.rng.randint(low, high)

    def per_dim(self, ndim: int, low: int = 1, high: int = 5) -> Any:
        """An int, or a tuple of ``ndim`` (sometimes of the wrong length)."""
        if self.rng.random() < 0.6:
            return self.size(low, high)
        n = ndim if self.rng.random() < 0.9 else self.rng.choice([k for k in (1, 2, 3, 4) if k != ndim])
        return tuple(self.size(low, high) for _ in range(n))

    def maybe(self, p: float = 0.5) -> bool:
        return self.rng.random() < p


def draw_case(rng: random.Random) -> tuple[str, list[Any], dict[str, Any], tuple[int, ...]]:
    """(torch class name, args, kwargs, per-sample input shape)."""
    d = Draw(rng)
    kind = rng.choice(["conv"] * 4 + ["pool"] * 3 + ["adaptive", "other", "other"])
    kwargs: dict[str, Any] = {}
    if kind == "conv":
        name = rng.choice(list(CONVS))
        ndim = CONVS[name]
        groups = rng.choice([1, 1, 1, 2, 3])
        cin, cout = d.size(1, 3) * groups, d.size(1, 3) * groups
        if d.maybe(0.1):
            cin += 1  # groups that do not divide
        args: list[Any] = [cin, cout, d.per_dim(ndim, 1, 4)]
        if d.maybe(0.7):
            kwargs["stride"] = d.per_dim(ndim, 1, 3)
        if d.maybe(0.7):
            if name.startswith("Conv") and not name.startswith("ConvT") and d.maybe(0.2):
                kwargs["padding"] = rng.choice(["same", "valid"])
            else:
                kwargs["padding"] = d.per_dim(ndim, 0, 3)
        if d.maybe(0.4):
            kwargs["dilation"] = d.per_dim(ndim, 1, 3)
        if groups > 1:
            kwargs["groups"] = groups
        if name.startswith("ConvT") and d.maybe(0.5):
            kwargs["output_padding"] = d.per_dim(ndim, 0, 3)
        if d.maybe(0.3):
            kwargs["bias"] = d.maybe()
    elif kind == "pool":
        name = rng.choice(list(POOLS))
        ndim = POOLS[name]
        args = [d.per_dim(ndim, 1, 4)]
        if d.maybe(0.6):
            kwargs["stride"] = d.per_dim(ndim, 1, 3)
        if d.maybe(0.6):
            kwargs["padding"] = d.per_dim(ndim, 0, 2)
        if name.startswith("Max") and d.maybe(0.3):
            kwargs["dilation"] = d.per_dim(ndim, 1, 2)
        if d.maybe(0.4):
            kwargs["ceil_mode"] = d.maybe()
        if name.startswith("Avg") and d.maybe(0.3):
            kwargs["count_include_pad"] = d.maybe()
    elif kind == "adaptive":
        name = rng.choice(list(ADAPTIVE))
        ndim = ADAPTIVE[name]
        args = [d.per_dim(ndim, 1, 6)]
    else:
        name = rng.choice(OTHERS)
        ndim = rng.choice([1, 2, 3])
        if name == "Linear":
            args = [d.size(1, 8), d.size(1, 8)]
            if d.maybe(0.3):
                kwargs["bias"] = d.maybe()
        elif name.startswith("BatchNorm"):
            ndim = int(name[-2]) if d.maybe(0.8) else ndim
            args = [d.size(1, 4)]
        elif name == "LayerNorm":
            args = [d.size(1, 5) if d.maybe() else tuple(d.size(1, 5) for _ in range(rng.randint(1, 2)))]
        elif name == "LocalResponseNorm":
            args = [d.size(1, 5)]
        elif name == "Flatten":
            args = [rng.randint(-3, 3), rng.randint(-3, 3)] if d.maybe(0.5) else []
        elif name == "ChannelShuffle":
            args = [d.size(1, 4)]
        elif name == "Dropout":
            args = [rng.choice([0.0, 0.5, 1.0, 1.5, -0.1])] if d.maybe(0.5) else []
        elif name == "Softmax":
            args = [rng.randint(-3, 3)]
        else:
            args = []
    if d.maybe(0.08):  # the wrong rank for the layer
        ndim = rng.choice([k for k in (0, 1, 2, 3, 4) if k != ndim])
    channels = args[0] if kind == "conv" and isinstance(args[0], int) and args[0] > 0 else rng.randint(1, 6)
    if kind == "conv" and d.maybe(0.05):
        channels += 1  # the wrong channel count
    if name == "Linear" and isinstance(args[0], int) and args[0] > 0 and d.maybe(0.9):
        shape = (*[rng.randint(1, 3) for _ in range(rng.randint(0, 2))], args[0])
        return name, args, kwargs, shape
    if name.startswith("BatchNorm") and isinstance(args[0], int) and d.maybe(0.8):
        channels = max(args[0], 1)
    shape = (channels, *[rng.randint(1, 9) for _ in range(ndim)])
    return name, args, kwargs, shape


def call_text(name: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"nn.{name}({', '.join(shown)})"


Outcome = tuple[tuple[int, ...], int, int] | None


def torch_outcome(name: str, args: list[Any], kwargs: dict[str, Any], shape: tuple[int, ...]) -> Outcome:
    """(output shape per sample, parameters, FLOPs) from a real module, or None when torch refuses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = getattr(nn, name)(*args, **kwargs).eval()
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                y = module(torch.zeros(1, *shape))
    except Exception:  # noqa: BLE001 - any refusal by torch, whatever its type
        return None
    if 0 in y.shape:
        return None  # an empty output: convcalc refuses these (torch sometimes returns them silently)
    return tuple(y.shape[1:]), sum(p.numel() for p in module.parameters()), counter.get_total_flops()


def convcalc_outcome(text: str, shape: tuple[int, ...]) -> tuple[Outcome, str]:
    """The same from convcalc, or None and the message when it refuses with a ConvCalcError
    (anything else propagates: that is a crash)."""
    try:
        row = cc.summary(cc.parse_layer(text), shape, layout="chw").rows[0]  # torch's own reading
    except cc.ConvCalcError as error:
        return None, str(error)
    return (row.output_shape, row.params, row.flops), ""


#: Keyword arguments that are flags, where a bool is right.
_FLAGS = {"bias", "ceil_mode", "count_include_pad"}


def wrong_type(name: str, args: list[Any], kwargs: dict[str, Any]) -> bool:
    """A bool or a float given where torch means an int (Dropout's p is a float by right)."""
    sizes = [] if name == "Dropout" else [*args, *(v for k, v in kwargs.items() if k not in _FLAGS)]
    flat = [x for v in sizes for x in (v if isinstance(v, tuple) else (v,))]
    return any(isinstance(x, (bool, float)) for x in flat)


def on_purpose(name: str, args: list[Any], kwargs: dict[str, Any], message: str) -> str | None:
    """Why convcalc refuses a call that torch runs, where it does so on purpose (the README lists these)."""
    if wrong_type(name, args, kwargs) and "must be" in message:
        return "a bool or float given as a size"
    if "dilation must be positive" in message:
        return "a dilation of 0 (torch checks it only where the kernel is larger than 1)"
    if "keeps the batch apart" in message:
        return "a Flatten from the batch dim (dim 0, or -rank)"
    if "-d input per sample" in message:
        return "an input of the wrong rank (torch reads the batch dim as channels, or pools any leading dims)"
    return None


def run(cases: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    problems: list[str] = []
    torch.manual_seed(0)
    started = time.perf_counter()
    for _ in range(cases):
        name, args, kwargs, shape = draw_case(rng)
        text = call_text(name, args, kwargs)
        where = f"{text} on input {'x'.join(map(str, shape))}"
        try:
            ours, message = convcalc_outcome(text, shape)
        except Exception as error:  # noqa: BLE001 - a crash is what this run looks for
            tally["crash"] += 1
            problems.append(f"crash: {where}: {type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}")
            continue
        if ours is not None and wrong_type(name, args, kwargs):
            tally["disagree"] += 1
            problems.append(f"disagree: {where}: a bool or float size was accepted: {ours}")
            continue
        theirs = torch_outcome(name, args, kwargs, shape)
        reason = on_purpose(name, args, kwargs, message) if ours is None and theirs is not None else None
        if reason:
            tally["stricter"] += 1
            reasons[reason] += 1
        elif theirs is None and ours is None:
            tally["both refuse"] += 1
        elif theirs is not None and ours is not None and ours[:2] == theirs[:2] and (
                name not in COUNTED or ours[2] == theirs[2]):
            tally["agree"] += 1
        else:
            tally["disagree"] += 1
            problems.append(f"disagree: {where}: torch {theirs}, convcalc {ours}")
    return {"cases": cases, "seed": seed, "seconds": round(time.perf_counter() - started, 1),
            "torch": torch.__version__, **{k: tally[k] for k in ("agree", "both refuse", "stricter", "disagree", "crash")},
            "stricter, why": dict(reasons.most_common()), "problems": problems[:20]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the tally to this file")
    options = parser.parse_args(argv)
    result = run(options.cases, options.seed)
    for key in ("cases", "agree", "both refuse", "stricter", "disagree", "crash", "seconds"):
        print(f"{key:>12}  {result[key]:,}" if isinstance(result[key], int) else f"{key:>12}  {result[key]}")
    for reason, count in result["stricter, why"].items():
        print(f"{count:>12,}  stricter: {reason}")
    for problem in result["problems"]:
        print(problem, file=sys.stderr)
    if options.json:
        with open(options.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    return 1 if result["disagree"] or result["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
