"""What one training step costs: the backward's FLOPs, and the memory torch holds for parameters, gradients,
optimizer state and the activations autograd saves; and the largest batch that fits a memory.

The walk (:mod:`convcalc.walk`) asks each layer for its :class:`~convcalc.layers.base.Backward` (what autograd saves
for it, what its gradients cost) with the gradients the step needs of it: a layer's input needs a gradient when
something trainable ran before it, its weights when they are trainable. It records each row's tensors as
:class:`Step` s; :func:`peak` plays them forward and backward to find the most memory live at once.

The memory model of one step (steady state: the optimizer's state exists from the step before, and the gradients
were set to None by ``zero_grad()``, torch's default):

- *model state*: parameters and buffers (batch-norm running statistics), kept throughout;
- *optimizer state*: what ``torch.optim`` keeps per parameter (:data:`OPTIMIZERS`);
- *saved activations*: every tensor autograd saves for the backward, counted once however many layers save it
  (a ReLU's output that the next conv saves too), kept from the forward until the backward of the last layer
  that saved it;
- *gradients*: of each trainable parameter, made during the backward and kept for the optimizer's step;
- *transients*: the forward's tensors nothing saves (freed after their last reader), the backward's gradients
  of activations (each freed once the layer that made its tensor has run its backward), and the optimizer's
  temporaries during its step (:data:`STEP_TEMPORARIES`);
- the input batch and the output, which the caller holds for the whole step.

The peak is the most of these live at once; it is reported as what is live at the start of the backward
(model state, optimizer state, saved activations, the input, the output and its gradient) plus the largest
transient beyond that. Held to torch's MemTracker on fake tensors (tests/test_training.py).
"""

from __future__ import annotations

import re

from .errors import SpecError
from .inputs import INPUT_DTYPE_BYTES
from .records import record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Callable
    from typing import Any

    from .layers.base import Saved


#: Per optimizer (its name here, then how torch.optim makes it): the state tensors it keeps per parameter tensor,
#: as (name, shaped like the parameter) — True: a tensor of the parameter's shape and dtype; False: a scalar
#: float32 tensor (Adam's ``step``). What ``optimizer.state[p]`` holds after one ``step()`` at torch's defaults.
OPTIMIZERS: dict[str, tuple[str, tuple[tuple[str, bool], ...]]] = {
    "sgd": ("torch.optim.SGD(params, lr)", ()),
    "momentum": ("torch.optim.SGD(params, lr, momentum=0.9)", (("momentum_buffer", True),)),
    "adam": ("torch.optim.Adam(params)", (("step", False), ("exp_avg", True), ("exp_avg_sq", True))),
    "adamw": ("torch.optim.AdamW(params)", (("step", False), ("exp_avg", True), ("exp_avg_sq", True))),
    "rmsprop": ("torch.optim.RMSprop(params)", (("step", False), ("square_avg", True))),
    "adagrad": ("torch.optim.Adagrad(params)", (("step", False), ("sum", True))),
}

#: The autocast dtypes ``--amp`` takes: activations of the products in that dtype, parameters kept in float32.
AMP = ("bfloat16", "float16")

#: The devices whose kernels a training step is modelled on (they save different tensors: dropout's mask).
DEVICES = ("cpu", "cuda")


@record
class Training:
    """How a report counts a training step: ``optimizer`` (a key of :data:`OPTIMIZERS`), ``amp`` (an autocast dtype,
    or None), the ``device`` whose kernels run it, and ``freeze``: globs over layer paths whose parameters are
    frozen (``"layer*"``), besides the layers marked ``trainable=False``."""

    optimizer: str = "adam"
    amp: str | None = None
    device: str = "cpu"
    freeze: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise SpecError(f"unknown optimizer {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
        if self.amp is not None and self.amp not in AMP:
            raise SpecError(f"amp must be one of {', '.join(AMP)} (the autocast dtype), got {self.amp!r}")
        device = self.device.split(":")[0] if isinstance(self.device, str) else self.device
        if device not in DEVICES:
            raise SpecError(f"a training step is modelled on {' or '.join(DEVICES)} kernels, got device {self.device!r}")
        object.__setattr__(self, "device", device)
        if isinstance(self.freeze, str):
            object.__setattr__(self, "freeze", (self.freeze,))

    def frozen(self, path: str) -> bool:
        """Whether the layer at ``path`` (or a block around it) is frozen by a :attr:`freeze` glob."""
        if not self.freeze:
            return False
        from fnmatch import fnmatchcase

        parts = path.split(".")
        return any(fnmatchcase(".".join(parts[:i]), glob) for glob in self.freeze for i in range(1, len(parts) + 1))

    def to_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer, "amp": self.amp, "device": self.device, "freeze": list(self.freeze)}


#: Per optimizer, the temporaries its ``step()`` makes, as torch 2.13 writes them: (for one tensor at a time, the
#: single-tensor loop torch runs on the CPU) how many of the parameter's size it holds at once beside the one the
#: loop's variable still holds from the parameter before; (for each list, the for-each loop torch runs where every
#: parameter is on CUDA) how many copies of all the parameters. Measured on fake tensors with torch's MemTracker
#: (tests/test_training.py holds them).
STEP_TEMPORARIES: dict[str, tuple[int, int]] = {
    "sgd": (0, 0), "momentum": (0, 0), "adam": (2, 1), "adamw": (2, 1), "rmsprop": (1, 1), "adagrad": (1, 2),
}


def step_transient(optimizer: str, sizes: list[int], param_bytes: int, device: str) -> int:
    """The most bytes ``optimizer.step()`` holds in temporaries at once over parameter tensors of ``sizes`` elements
    (in torch's order): on the CPU one tensor at a time (Adam: ``sqrt`` of its second moment and the quotient, while the
    denominator of the tensor before is still held), on CUDA one list for all (``_foreach_sqrt``)."""
    single, listed = STEP_TEMPORARIES[optimizer]
    if not sizes or not (single or listed):
        return 0
    if device == "cuda":
        return listed * sum(sizes) * param_bytes
    before = [0, *sizes[:-1]]
    return max(b + single * n for b, n in zip(before, sizes)) * param_bytes


def saved_bytes(saved: Saved, batch: int, element: int) -> int:
    """The bytes of a tensor a layer saves of its own, for ``batch`` samples, ``element`` bytes per element where it
    has the activations' dtype."""
    per = INPUT_DTYPE_BYTES[saved.dtype] if saved.dtype else element
    return saved.elements * (batch if saved.batched else 1) * per


def optimizer_bytes(optimizer: str, trainable: int, tensors: int, param_bytes: int) -> int:
    """The bytes of ``optimizer``'s state for ``trainable`` parameter elements in ``tensors`` tensors of
    ``param_bytes`` bytes per element: each full-size state tensor is the parameters' size, each scalar 4 bytes."""
    state = OPTIMIZERS[optimizer][1]
    full = sum(1 for _, shaped in state if shaped)
    scalars = sum(1 for _, shaped in state if not shaped)
    return full * trainable * param_bytes + scalars * tensors * 4


@record
class Step:
    """One row of a training step as :func:`peak` plays it: the tensors it reads (``reads``: ids), the tensor it
    makes (``made``, with ``made_bytes``; None: its result is the first one it read), those autograd saves for it
    (``saved``: id -> bytes), the bytes of its weights' gradients, and which of its inputs get a gradient."""

    reads: tuple[int, ...]
    made: int | None
    made_bytes: int
    saved: tuple[tuple[Any, int], ...]
    weight_grad_bytes: int
    input_grads: tuple[bool, ...]
    output_grad: bool


@record
class Peak:
    """The peak of one step and how it is made: ``start`` is what is live when the backward starts (model state,
    optimizer state, saved activations, the output and its gradient), ``transient`` the most beyond it at any
    moment (``peak = start + transient``), ``where`` the moment it happens."""

    peak: int
    start: int
    transient: int
    where: str


def peak(steps: list[Step], sizes: dict[int, int], output: int, state: int, optimizer: int, names: list[str],
         step: int = 0) -> Peak:
    """Play a training step: the forward (each tensor freed after its last reader unless autograd saved it), then
    the backward in reverse (each row makes its input's gradient and its weights' gradients, frees the gradient
    of its output once nothing else needs it, and frees what it alone still held saved), then the optimizer's
    step over the gradients with its temporaries (``step`` bytes at most). ``sizes``: tensor id -> bytes;
    ``output``: the network output's id."""
    readers: dict[int, int] = {}
    for s in steps:
        for b in s.reads:
            readers[b] = readers.get(b, 0) + 1
    readers[output] = readers.get(output, 0) + 1
    readers[0] = readers.get(0, 0) + 1  # the input batch and the output are the caller's: held for the whole step
    kept = {0, output}
    saved_by: dict[Any, int] = {}  # saved tensor -> how many rows hold it
    saved_size: dict[Any, int] = {}
    for s in steps:
        for key, size in s.saved:
            saved_by[key] = saved_by.get(key, 0) + 1
            saved_size.setdefault(key, size)
    held = {key for key in saved_by}
    base = state + optimizer
    live = base + sizes.get(0, 0)
    top, where = live, "the input"
    alive = {0}
    left = dict(readers)
    saved_ids = {key[1] for key in held if isinstance(key, tuple) and key[0] == "t"}
    counted_saved: set[Any] = set()
    for i, s in enumerate(steps):
        if s.made is not None:
            live += s.made_bytes
            alive.add(s.made)
        for key, size in s.saved:  # a tensor of its own (a mask, indices) is made now
            if key[0] != "t" and key not in counted_saved:
                counted_saved.add(key)
                live += size
        if live > top:
            top, where = live, f"forward, {names[i]}"
        for b in s.reads:
            left[b] -= 1
        for b in {*s.reads, *(() if s.made is None else (s.made,))}:
            if left.get(b, 0) == 0 and b not in saved_ids and b in alive:
                alive.discard(b)
                live -= sizes[b]
    out_bytes = sizes[output]
    live += out_bytes  # the gradient of the output (``loss.backward()`` of a sum: ones of its shape)
    start = live
    if start > top:
        top, where = start, "the start of the backward"
    grads: dict[int, int] = {output: out_bytes}
    pending: dict[int, int] = {}  # tensor -> rows that read it and have not run their backward
    for s in steps:
        for b, g in zip(s.reads, s.input_grads):
            if g:
                pending[b] = pending.get(b, 0) + 1
    made_of = {s.made: i for i, s in enumerate(steps) if s.made is not None}
    for i in range(len(steps) - 1, -1, -1):
        s = steps[i]
        if not (s.output_grad or any(s.input_grads)):
            continue
        for b, g in zip(s.reads, s.input_grads):
            if g and b not in grads:
                grads[b] = sizes[b]
                live += sizes[b]
        live += s.weight_grad_bytes
        if live > top:
            top, where = live, f"backward, {names[i]}"
        for key, _ in s.saved:
            saved_by[key] -= 1
            if saved_by[key] == 0 and not (key[0] == "t" and key[1] in kept):
                live -= saved_size[key]
        out = s.made if s.made is not None else (s.reads[0] if s.reads else None)
        if out is not None and made_of.get(out) == i and out in grads and s.made is not None:
            live -= grads.pop(out)
        for b, g in zip(s.reads, s.input_grads):
            if g:
                pending[b] -= 1
    if live + step > top:
        top, where = live + step, "the optimizer's step"
    return Peak(peak=top, start=start, transient=top - start, where=where)


_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_memory(text: Any) -> int:
    """``"24GiB"`` -> 25769803776: a memory size in bytes, from a number of bytes or a number with a unit (B, KB, MB,
    GB, TB: powers of 1000; KiB, MiB, GiB, TiB: powers of 1024)."""
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    match = _MEMORY.match(text) if isinstance(text, str) else None
    if match is None:
        raise SpecError(f"memory {text!r} is not a size; write a number with a unit, e.g. 24GiB, 16GB, 512MiB "
                        "(KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)")
    number, unit = float(match.group(1)), (match.group(2) or "B").lower()
    size = int(number * _UNITS[unit])
    if size <= 0:
        raise SpecError(f"memory {text!r} is not a positive size")
    return size


@record
class Fit:
    """The largest batch whose peak memory fits ``memory``: ``batch`` (0: not even one sample fits), the peak at
    it and at the next batch (``next_peak_bytes`` > ``memory``: the boundary)."""

    memory: int
    batch: int
    peak_bytes: int | None
    next_peak_bytes: int
    train: bool

    def to_dict(self) -> dict[str, Any]:
        return {"memory": self.memory, "batch": self.batch, "peak_bytes": self.peak_bytes,
                "next_peak_bytes": self.next_peak_bytes}


def largest_batch(peak_at: Callable[[int], int], memory: int, train: bool) -> Fit:
    """The largest batch ``b`` with ``peak_at(b) <= memory``: a peak grows with the batch, so doubling then
    bisecting finds it in O(log b) reports."""
    first = peak_at(1)
    if first > memory:
        return Fit(memory=memory, batch=0, peak_bytes=None, next_peak_bytes=first, train=train)
    low, low_peak = 1, first
    high = 2
    while True:
        p = peak_at(high)
        if p > memory:
            high_peak = p
            break
        low, low_peak = high, p
        high *= 2
        if high > 2**40:
            raise SpecError(f"no batch up to {low:,} fills {memory:,} bytes: the peak does not grow with the batch")
    while high - low > 1:
        mid = (low + high) // 2
        p = peak_at(mid)
        if p <= memory:
            low, low_peak = mid, p
        else:
            high, high_peak = mid, p
    return Fit(memory=memory, batch=low, peak_bytes=low_peak, next_peak_bytes=high_peak, train=train)


@record
class Plan:
    """A training report's steps, for :func:`peak`: the rows' :class:`Step` s, tensor sizes, the output tensor, the
    parameters' element size, each step's row name, and the parameter tensors the optimizer holds state for."""

    steps: list[Step]
    sizes: dict[int, int]
    output: int
    param_bytes: int
    names: list[str]
    param_tensors: int
    param_sizes: list[int]
    extra_state: int = 0
