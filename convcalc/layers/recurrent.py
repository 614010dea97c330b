"""Lookups and recurrent layers: Embedding, EmbeddingBag, RNN, LSTM, GRU and their one-step cells.

Shapes are per sample, the batch left out wherever torch keeps it (``batch_first=False``: dim 1, which
:meth:`batch_dim` tells ``from_torch``): a sequence is L×H (steps × features), a lookup's input is its ids.

Embedding: ``num_embeddings·embedding_dim`` parameters; a lookup multiplies nothing: 0 MACs, 0 FLOPs (max_norm's
renormalisation of the rows looked up is not counted). EmbeddingBag (a 2-d ``(N, n)`` input: per sample a bag of
n ids → D): the reduction costs ``sum`` (n−1)·D additions, ``mean`` n·D (those and one division per output),
``max`` (n−1)·D comparisons; ``per_sample_weights`` (a forward argument) is not counted.

RNN, LSTM, GRU: G gate matrices (1, 4, 3) of H×in and H×H_out per layer and direction, both bias vectors (b_ih,
b_hh: 2·G·H), LSTM's projection H_out×H where proj_size = H_out > 0. MACs: the matrix products torch runs at
every step, G·H·(in + H_out) (+ H·H_out projecting) per layer and direction; FlopCounterMode counts them
(2 per MAC) on torch's decomposed path (the meta device, or the CPU without oneDNN: oneDNN and cuDNN run
nn.LSTM/GRU/RNN as one fused kernel FlopCounterMode does not see). FLOPs: 2·MACs plus the elementwise work of
torch's cell after the products, 1 per element: RNN 2H (the sum of the two products, the tanh or ReLU), LSTM 13H
(4H gate sums, 3H sigmoids, 2H tanh, 3H products, H to add f·c and i·g), GRU 10H (5H sums and differences,
2H products, 3H sigmoids and tanh) per step, layer and direction; biases are not counted (as for Linear).
Activation bytes: the output only (h_n, c_n: D·num_layers·H_out per sample, are not counted). Training
(:meth:`Leaf.backward`): what torch's CPU kernels keep, held to ``saved_tensors_hooks`` in
tests/test_training_layers.py: LSTM's oneDNN kernel (its workspace sized for the whole batch, where
:class:`Grads` carries it), GRU's and RNN's native cells step by step, the cells; FLOPs as FlopCounterMode counts
the decomposed layers on the meta device. Receptive field:
the sequence is dim 0 of the per-sample shape, which the field treats as channels (not followed: a step reads
every earlier step, bidirectional every step); the features are read whole ("dense").
"""

from __future__ import annotations

from ..errors import ShapeError, SpecError
from .base import (
    Backward,
    Effect,
    Grads,
    Laid,
    Leaf,
    Primitives,
    Ran,
    Reach,
    Saved,
    Shape,
    Step,
    check_bool,
    check_number,
    dims_text,
    fmt_shape,
    freeze,
    is_int,
    numel,
    positive_int,
    spec,
)
from .steps import dot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any, ClassVar


def _optional_index(layer: str, arg: str, value: Any, size: int) -> int | None:
    """An index into ``size`` rows, negative counted from the end as torch normalises it, or None."""
    if value is None:
        return None
    if not is_int(value) or not -size <= value < size:
        raise SpecError(f"{layer}: {arg} must be None or an int in [{-size}, {size - 1}] (num_embeddings={size}), got {value!r}")
    return value + size if value < 0 else value


class _Lookup(Leaf):
    """What Embedding and EmbeddingBag share: a table of ``num_embeddings`` rows of ``embedding_dim`` (each class
    declares its fields in torch's order)."""

    family: ClassVar[str] = "embedding"
    input_dtype: ClassVar[str | None] = "int64"

    num_embeddings: int
    embedding_dim: int
    max_norm: float | None
    norm_type: float
    scale_grad_by_freq: bool
    sparse: bool
    padding_idx: int | None

    def _check_table(self) -> None:
        freeze(self, num_embeddings=positive_int(self.name, "num_embeddings", self.num_embeddings),
               embedding_dim=positive_int(self.name, "embedding_dim", self.embedding_dim))
        if self.max_norm is not None:
            check_number(self.name, "max_norm", self.max_norm)
        check_number(self.name, "norm_type", self.norm_type)
        check_bool(self.name, "scale_grad_by_freq", self.scale_grad_by_freq)
        check_bool(self.name, "sparse", self.sparse)
        freeze(self, padding_idx=_optional_index(self.name, "padding_idx", self.padding_idx, self.num_embeddings))

    def explain_table(self) -> Step:
        return Step("parameters", "params = num_embeddings·embedding_dim", dot(self.num_embeddings, self.embedding_dim),
                    self.num_embeddings * self.embedding_dim, "the table; a lookup copies rows of it")


@spec
class Embedding(_Lookup):
    """torch.nn.Embedding: each id of a per-sample input of any shape becomes a row of the table, (*shape, D)."""

    torch: ClassVar[Any] = "torch.nn:Embedding"
    aten: ClassVar[tuple[str, ...]] = ("embedding",)

    num_embeddings: int
    embedding_dim: int
    padding_idx: int | None = None
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: bool = False
    sparse: bool = False

    def __post_init__(self) -> None:
        self._check_table()

    def effect(self, shape: Shape) -> Effect:
        d = self.embedding_dim
        ids = numel(shape)
        return Effect(
            output_shape=(*shape, d),
            weights=self.num_embeddings * d,
            formula=f"{ids} id{'s' if ids != 1 else ''} → {ids} row{'s' if ids != 1 else ''} of {d}: a lookup, no arithmetic",
            # each output keeps its id's position and adds a feature dim: the ids' leading dim (not followed as a
            # position, as the channels are not) is repeated as the new last dim
            reach=Reach("permute", order=(*range(len(shape)), 0)),
        )

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """The weight's gradient scatters each looked-up row's gradient back: autograd keeps the int64 ids for it
        (and nothing where the table is frozen: the ids need no gradient). 1 FLOP per output element."""
        if not grads.weights:
            return Backward()
        return Backward(saved=(Saved("input", numel(shape), "int64"),), weight_flops=numel(effect.output_shape))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", f"{dims_text(effect.output_shape)}  (each of the {numel(shape)} ids → a row of {self.embedding_dim})"),
                self.explain_table(),
                Step("MACs", "MACs = 0", value=0, note="a lookup: rows are copied, nothing multiplied"),
                Step("FLOPs", "FLOPs = 0", value=0))

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        """``F.embedding`` in a forward body: aten.embedding(weight, indices, padding_idx, …)."""
        rows, dim = (int(n) for n in args[0].shape)
        padding = int(args[2]) if len(args) > 2 and int(args[2]) >= 0 else None
        return cls(rows, dim, padding_idx=padding)


@spec
class EmbeddingBag(_Lookup):
    """torch.nn.EmbeddingBag on a 2-d (N, n) input: per sample a bag of n ids → one row of D, reduced by ``mode``."""

    torch: ClassVar[Any] = "torch.nn:EmbeddingBag"

    num_embeddings: int
    embedding_dim: int
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: bool = False
    mode: str = "mean"
    sparse: bool = False
    include_last_offset: bool = False
    padding_idx: int | None = None

    def __post_init__(self) -> None:
        self._check_table()
        if self.mode not in ("sum", "mean", "max"):
            raise SpecError(f"{self.name}: mode must be 'sum', 'mean' or 'max', got {self.mode!r}")
        check_bool(self.name, "include_last_offset", self.include_last_offset)

    def _reduction(self, n: int) -> tuple[int, str]:
        """FLOPs per output element of a bag of ``n`` ids, and what they are."""
        if self.mode == "mean":
            return n, f"{n - 1} additions and a division"
        return n - 1, f"{n - 1} {'additions' if self.mode == 'sum' else 'comparisons'}"

    def effect(self, shape: Shape) -> Effect:
        if len(shape) != 1:
            raise ShapeError(f"expects a bag of ids per sample (a 1-d input: torch takes (N, n) bags, or 1-d ids with "
                             f"offsets), got {fmt_shape(shape)} ({len(shape)}-d)")
        n, d = shape[0], self.embedding_dim
        per, what = self._reduction(n)
        return Effect(
            output_shape=(d,),
            weights=self.num_embeddings * d,
            flops=per * d,
            formula=f"{self.mode} of {n} rows of {d}: {what} per output",
            reach=Reach("global"),  # every id of the bag reaches each output
        )

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        n, d = shape[0], self.embedding_dim
        per, what = self._reduction(n)
        rule = "n·D" if self.mode == "mean" else "(n−1)·D"
        return (Step("output", f"{d}  (the {self.mode} of the {n} rows the bag's ids pick)"),
                self.explain_table(),
                Step("MACs", "MACs = 0", value=0, note="a lookup and a reduction: nothing multiplied"),
                Step("FLOPs", f"FLOPs = {rule}", f"{per}·{d}", effect.flops, f"{what} per output element"))


# --- recurrent layers ---------------------------------------------------------------------------------


def _batch(grads: Grads) -> int:
    """The batch a training step runs (:attr:`Grads.batch`): oneDNN's LSTM workspace is padded to pages for the whole
    batch, so it is no multiple of a per-sample size, and batch-first sequences are copied time-major unless the
    batch is 1."""
    return grads.batch


class _Recurrent(Leaf):
    """What RNN, LSTM and GRU share: ``gates`` matrices per layer and direction, ``pointwise``·H elementwise FLOPs
    per step, layer and direction (torch's cell after its matrix products). Each class declares its fields in
    torch's order (RNN's nonlinearity comes fourth)."""

    meta_saves_differ: ClassVar[bool] = True  # (the meta device's kernels save otherwise: see Leaf)

    family: ClassVar[str] = "rnn"
    flop_counter: ClassVar[bool] = True
    results: ClassVar[int] = 2  # the output, then h_n (LSTM: (h_n, c_n))
    torch: ClassVar[Any] = "torch.nn:{name}"
    gates: ClassVar[int] = 1
    pointwise: ClassVar[int] = 2
    #: (sums and differences, products, sigmoids and tanh) per hidden unit of a step: ``pointwise`` in all
    split: ClassVar[tuple[int, int, int]] = (1, 0, 1)
    words: ClassVar[str] = ""

    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool

    def _check(self) -> None:
        n = self.name
        freeze(self, input_size=positive_int(n, "input_size", self.input_size),
               hidden_size=positive_int(n, "hidden_size", self.hidden_size),
               num_layers=positive_int(n, "num_layers", self.num_layers))
        for arg in ("bias", "batch_first", "bidirectional"):
            check_bool(n, arg, getattr(self, arg))
        p = check_number(n, "dropout", self.dropout)
        if not 0 <= p <= 1:
            raise SpecError(f"{n}: dropout must be a probability in [0, 1], got {self.dropout!r}")

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> int:
        """H_out: the size of h (the projection's where LSTM has one)."""
        return self.hidden_size

    @property
    def projection(self) -> int:
        return 0

    def layer_inputs(self) -> list[int]:
        """The input size of each layer: the input's, then the previous layer's output (both directions)."""
        return [self.input_size] + [self.directions * self.out_size] * (self.num_layers - 1)

    def batch_dim(self) -> int:
        return 0 if self.batch_first else 1

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def sized_results(self, output: Shape, at: int) -> Any:
        """The output (batch first: laid time-major underneath, as torch runs it), then h_n: D·num_layers × N × H_out
        whatever batch_first says (LSTM adds c_n)."""
        return (Laid(output, (1, 0, 2)) if self.batch_first else output), (self.directions * self.num_layers, output[at], self.out_size)

    def first_input(self, shape: Shape, batch: int | None, copies: int = 1) -> list[Saved]:
        """The first layer's input as torch keeps it: the sequence itself, or with ``batch_first`` the time-major
        ``copies`` torch makes of it (a batch of 1 lies time-major already)."""
        if self.batch_first and batch != 1:
            return [Saved(f"time-major input {i}" if i else "time-major input", numel(shape)) for i in range(copies)]
        return [Saved("input", numel(shape))]

    def next_input(self, layer: int, steps: int, weights: bool = True) -> list[Saved]:
        """What the layer after ``layer`` keeps of its input (nothing after the last layer): that layer's output (the
        directions side by side) for its weights' gradient (where they train), and with dropout between layers the
        noise (for the input's gradient) and its result instead."""
        if layer == self.num_layers - 1:
            return []
        n = steps * self.directions * self.hidden_size
        if self.dropout > 0:
            return [Saved(f"dropout noise {layer}", n)] + ([Saved(f"dropout {layer}", n)] if weights else [])
        return [Saved(f"layer {layer}", n)] if weights else []

    def trained(self, shape: Shape, grads: Grads, saved: list[Saved]) -> Backward:
        """A training step's Backward keeping ``saved``, its FLOPs as FlopCounterMode counts torch's decomposed layer
        (the meta device), per layer and direction: the input's gradient through W_ih (2·L·G·H·in; the first layer's
        only where its input asks one), h's through W_hh at every step but the first (2·(L−1)·G·H·H: h0 needs none),
        the weights' (2·L·G·H·(in + H)); plus the cell's elementwise backward, as many as its forward (``pointwise``·H
        per step). The recurrence runs whenever anything trains: it counts for the input's gradient where that is
        asked, else for the weights'."""
        steps, g, h, d = shape[0], self.gates, self.hidden_size, self.directions
        chain = first = weight = 0
        for layer, size in enumerate(self.layer_inputs()):
            products = d * 2 * steps * g * h * size
            chain += d * 2 * (steps - 1) * g * h * h
            weight += products + d * 2 * steps * g * h * h
            if layer:
                chain += products
            else:
                first += products
        pointwise = self.pointwise * h * steps * d * self.num_layers
        return Backward(saved=tuple(saved), input_flops=chain + pointwise + first if grads.input else 0,
                        weight_flops=(weight if grads.weights else 0) + (0 if grads.input else chain + pointwise),
                        torch_flops=chain + (first if grads.input else 0) + (weight if grads.weights else 0))

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """RNN and GRU as torch runs them on the CPU (step by step, its native cell; each op keeps what the gradients
        asked need), per sample. Where the weights train: the first layer's input (with ``batch_first`` each direction
        makes its own time-major copy), h0 (the zeros torch makes, D·layers·H, kept whole) and each layer's input, for
        the weights' gradients; always what each step keeps (:meth:`step_saved`) and dropout's noise between layers
        (:meth:`next_input`). FLOPs: :meth:`trained`. CUDA (cuDNN: a reserve space of its own) is modelled as the CPU.
        None with dropout 1."""
        if self.dropout >= 1:
            return None
        if not grads.any:
            return Backward()
        steps, h, d = shape[0], self.hidden_size, self.directions
        saved = [*self.first_input(shape, _batch(grads), d), Saved("h0", d * self.num_layers * h)] if grads.weights else []
        for layer in range(self.num_layers):
            for direction in range(d):
                saved += self.step_saved(steps, f"{layer}.{direction}" if d > 1 else f"{layer}", grads.weights)
            saved += self.next_input(layer, steps, grads.weights)
        return self.trained(shape, grads, saved)

    def step_saved(self, steps: int, at: str, weights: bool) -> list[Saved]:
        """What one layer and direction keeps over ``steps`` steps besides its input and h0 (``weights``: whether they
        train): RNN each step's new h (its tanh's or ReLU's result, which the next step's product keeps too)."""
        return [Saved(f"h {at}", steps * self.hidden_size)]

    def param_tensors(self, effect: Effect) -> int:
        """W_ih and W_hh (and b_ih, b_hh; and LSTM's W_hr with a projection) per layer and direction."""
        return self.directions * self.num_layers * (2 + 2 * int(self.bias) + int(self.projection > 0))

    def per_layer(self, fin: int) -> tuple[int, int, int]:
        """(weights, biases, MACs per step) of one layer and direction reading ``fin`` features."""
        g, h, hout, p = self.gates, self.hidden_size, self.out_size, self.projection
        weights = g * h * fin + g * h * hout + p * h
        return weights, 2 * g * h if self.bias else 0, g * h * (fin + hout) + p * h

    def effect(self, shape: Shape) -> Effect:
        if len(shape) != 2:
            raise ShapeError(f"expects a 2-d input per sample (L×H_in: steps × features), got {fmt_shape(shape)} "
                             f"({len(shape)}-d)" + ("; a single step is a cell's input (RNNCell, LSTMCell, GRUCell)" if len(shape) == 1 else ""))
        steps, fin = shape
        if fin != self.input_size:
            raise ShapeError(f"input_size={self.input_size} but the input has {fin} features per step (shape {fmt_shape(shape)}, "
                             f"L×H_in); use input_size={fin}")
        d = self.directions
        weights = biases = per_step = 0
        for size in self.layer_inputs():
            w, b, m = self.per_layer(size)
            weights, biases, per_step = weights + d * w, biases + d * b, per_step + d * m
        macs = steps * per_step
        pointwise = steps * d * self.num_layers * self.pointwise * self.hidden_size
        return Effect(
            output_shape=(steps, d * self.out_size),
            weights=weights,
            biases=biases,
            macs=macs,
            flops=2 * macs + pointwise,
            formula=f"{steps} steps × {d} direction{'s' if d > 1 else ''} × {self.num_layers} layer{'s' if self.num_layers > 1 else ''}"
                    f" of {self.gates} gate{'s' if self.gates > 1 else ''}, h of {self.out_size}",
            reach=Reach("dense"),  # every feature of every step read (the steps: dim 0, not followed)
        )

    def primitives(self, ran: Ran) -> Primitives:
        steps = ran.input_shape[0] if len(ran.input_shape) == 2 else 1
        units = ran.batch * steps * self.directions * self.num_layers * self.hidden_size
        sums, products, activations = self.split
        return Primitives(macs=ran.macs, bias_adds=2 * self.gates * units if self.bias else 0,
                          activation_elements=activations * units, add_elements=sums * units, mul_elements=products * units)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        steps, g, h, hout, d, p = shape[0], self.gates, self.hidden_size, self.out_size, self.directions, self.projection
        sizes = self.layer_inputs()
        per = [self.per_layer(s) for s in sizes]
        proj = " + H_out·H" if p else ""
        bias = " + 2·G·H" if self.bias else ""
        layers = " + ".join(f"{d}·({g}·{h}·{s} + {g}·{h}·{hout}{f' + {p}·{h}' if p else ''}{f' + 2·{g}·{h}' if self.bias else ''})"
                            for s in sizes)
        macs = " + ".join(f"{d}·{g}·{h}·({s} + {hout}){f' + {d}·{p}·{h}' if p else ''}" for s in sizes)
        return (
            Step("output", f"{dims_text(effect.output_shape)}  (each of the {steps} steps gives h of {hout}"
                           + (", both directions side by side" if d > 1 else "") + ")"),
            Step("parameters", f"params = Σ_layers D·(G·H·in + G·H·H_out{proj}{bias})", layers, effect.weights + effect.biases,
                 f"G = {g} gate matrices; in = {sizes[0]} for layer 1" + (f", D·H_out = {d * hout} after" if len(sizes) > 1 else "")
                 + ("; b_ih and b_hh both" if self.bias else "")),
            Step("MACs", f"MACs per step = Σ_layers D·G·H·(in + H_out){' + D·H_out·H' if p else ''}", macs, sum(d * m for _, _, m in per)),
            Step("", "MACs = L·(MACs per step)", f"{steps}·{sum(d * m for _, _, m in per):,}", effect.macs),
            Step("FLOPs", f"FLOPs = 2·MACs + L·D·layers·{self.pointwise}·H", f"2·{effect.macs:,} + {dot(steps, d, self.num_layers, self.pointwise, h)}",
                 effect.flops, f"{self.pointwise} per hidden unit and step: {self.words}; biases not counted, as for Linear"),
        )


@spec
class RNN(_Recurrent):
    """torch.nn.RNN (Elman): h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh), or ReLU."""

    words: ClassVar[str] = "the sum of the two products and the nonlinearity"

    input_size: int
    hidden_size: int
    num_layers: int = 1
    nonlinearity: str = "tanh"
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False

    def __post_init__(self) -> None:
        self._check()
        if self.nonlinearity not in ("tanh", "relu"):
            raise SpecError(f"{self.name}: nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")


def _good_ld(n: int) -> int:
    """oneDNN's leading dimension for n float32 values: a multiple of 16 (64 bytes), one more 16 where that is a
    multiple of 256 (4K aliasing)."""
    ld = -(-n // 16) * 16
    return ld + 16 if ld % 256 == 0 else ld


def onednn_lstm_workspace(steps: int, batch: int, fin: int, hidden: int) -> int:
    """The bytes of the workspace oneDNN's float32 LSTM (torch's CPU kernel in training, ``mkldnn_rnn_layer``) keeps
    for one layer and direction over ``steps`` steps of ``batch`` sequences: seven regions, each starting on a 4 KiB
    page, the whole rounded to a page: the gates (steps·N rows of 4H), the h of each step (steps·N·H), three state
    regions of 2·(steps+1)·N rows of max(in, H), the c states and their gradients (2·(steps+1)·N·H each), rows padded
    to oneDNN's leading dimension (:func:`_good_ld`). Held to torch's own workspace tensors (tests)."""
    n, page = batch, 4096
    rows = 2 * (steps + 1) * n
    state = rows * _good_ld(max(fin, hidden)) * 4
    regions = (steps * n * _good_ld(4 * hidden) * 4, steps * n * _good_ld(hidden) * 4, state, state, rows * hidden * 4,
               state, rows * hidden * 4)
    offset = 0
    for size in regions:
        offset = -(-offset // page) * page + size
    return -(-offset // page) * page


@spec
class LSTM(_Recurrent):
    """torch.nn.LSTM; with ``proj_size`` > 0, h is projected to proj_size (weight_hr) and feeds back at that size."""

    gates: ClassVar[int] = 4
    pointwise: ClassVar[int] = 13
    split: ClassVar[tuple[int, int, int]] = (5, 3, 5)
    words: ClassVar[str] = "4 gate sums, 3 sigmoids, 2 tanh, 3 products, 1 sum (c = f·c + i·g, h = o·tanh c)"

    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False
    proj_size: int = 0

    def __post_init__(self) -> None:
        self._check()
        if not is_int(self.proj_size) or not 0 <= self.proj_size < self.hidden_size:
            raise SpecError(f"{self.name}: proj_size must be an int in [0, hidden_size={self.hidden_size}) (0: no projection), "
                            f"got {self.proj_size!r}")

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """A training step as torch runs it on the CPU (oneDNN, one ``mkldnn_rnn_layer`` per layer and direction), per
        sample: each layer and direction keeps its input (the layer's input: the sequence itself, time-major, a copy of
        it with ``batch_first``), its output, h0 and c0 (the zeros torch makes: D·layers·H each, kept whole), its h_n
        and c_n (H each), and its workspace (:func:`onednn_lstm_workspace`, sized for the whole batch; without biases
        also the zero tensors torch passes as biases, 4H·(in + H) each, whatever the batch). A bidirectional layer's
        two outputs are kept, their concatenation where the next layer reads it; dropout between layers keeps its
        noise (the input's size) and its result (the next layer's input). The last layer's output is the LSTM's.

        FLOPs: the products' gradients, as FlopCounterMode counts torch's decomposed LSTM (the meta device): per layer
        and direction the input's through W_ih (2·L·4H·in; the first layer's only where its input asks one), h's through
        W_hh at every step but the first (2·(L−1)·4H·H, whose h0 needs none), and the weights' (2·L·4H·(in + H)); plus
        the cell's elementwise backward, as many as its forward (13H per step). The recurrence runs whenever anything
        trains: it counts for the input's gradient where that is asked, else for the weights'.

        None (no model) with ``proj_size`` (torch then runs its decomposed cell, which keeps every step's gates) or
        dropout 1. CUDA (cuDNN: a reserve space of its own) is modelled as the CPU."""
        if self.proj_size or self.dropout >= 1:
            return None
        if not grads.any:
            return Backward()
        batch = _batch(grads)
        steps, fin = shape
        h, d, layers = self.hidden_size, self.directions, self.num_layers
        saved = [*self.first_input(shape, batch), Saved("h0", d * layers * h), Saved("c0", d * layers * h),
                 Saved("h_n, c_n", 2 * d * layers * h)]
        for layer, size in enumerate(self.layer_inputs()):
            last = layer == layers - 1
            for direction in range(d):
                at = f"{layer}.{direction}" if d > 1 else f"{layer}"
                workspace = onednn_lstm_workspace(steps, batch or 1, size, h)
                saved.append(Saved(f"workspace {at}", workspace // 4, "float32", batched=False))
                if not self.bias:
                    saved.append(Saved(f"zero biases {at}", 4 * h * (size + h), batched=False))
            # each direction's output (one direction's is the layer's; the last layer's the LSTM's)
            own = Saved("output" if last else f"layer {layer}", steps * h) if d == 1 else Saved(f"layer {layer} directions", steps * d * h)
            saved += [own] + [s for s in self.next_input(layer, steps) if s != own]
        return self.trained(shape, grads, saved)

    def sized_results(self, output: Shape, at: int) -> Any:
        """The output, then (h_n, c_n): c_n is D·num_layers × N × H (the cell, not projected)."""
        out, h_n = super().sized_results(output, at)
        return out, (h_n, (h_n[0], h_n[1], self.hidden_size))

    @property
    def out_size(self) -> int:
        return self.proj_size or self.hidden_size

    @property
    def projection(self) -> int:
        return self.proj_size


@spec
class GRU(_Recurrent):
    """torch.nn.GRU: reset, update and new gates; h' = (1 − z)·n + z·h."""

    def step_saved(self, steps: int, at: str, weights: bool) -> list[Saved]:
        """Each step keeps its input's and h's gate products (3H each, their sigmoids and tanh computed in place) and,
        where the weights train, but for the last step its new h (which the next step's W_hh product keeps)."""
        h = self.hidden_size
        return [Saved(f"gates {at}", 6 * steps * h)] + ([Saved(f"h {at}", (steps - 1) * h)] if weights else [])

    gates: ClassVar[int] = 3
    pointwise: ClassVar[int] = 10
    split: ClassVar[tuple[int, int, int]] = (5, 2, 3)
    words: ClassVar[str] = "5 sums and differences, 2 products, 2 sigmoids and a tanh"

    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False

    def __post_init__(self) -> None:
        self._check()


# --- one step: the cells --------------------------------------------------------------------------------


@spec
class _Cell(Leaf):
    """One step of RNN, LSTM or GRU: per sample H_in → H (the new h; LSTMCell also returns c, not counted)."""

    family: ClassVar[str] = "rnncell"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = "torch.nn:{name}"
    sequence: ClassVar[type[_Recurrent]] = RNN

    input_size: int
    hidden_size: int
    bias: bool = True

    def _check(self) -> None:
        freeze(self, input_size=positive_int(self.name, "input_size", self.input_size),
               hidden_size=positive_int(self.name, "hidden_size", self.hidden_size))
        check_bool(self.name, "bias", self.bias)

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def effect(self, shape: Shape) -> Effect:
        if len(shape) != 1:
            raise ShapeError(f"expects a 1-d input per sample (H_in: one step's features), got {fmt_shape(shape)} "
                             f"({len(shape)}-d)" + ("; a sequence is RNN's, LSTM's or GRU's input" if len(shape) == 2 else ""))
        fin, h = shape[0], self.hidden_size
        if fin != self.input_size:
            raise ShapeError(f"input_size={self.input_size} but the input has {fin} features; use input_size={fin}")
        g = self.sequence.gates
        macs = g * h * (fin + h)
        return Effect(
            output_shape=(h,),
            weights=g * h * (fin + h),
            biases=2 * g * h if self.bias else 0,
            macs=macs,
            flops=2 * macs + self.sequence.pointwise * h,
            formula=f"one step of {g} gate{'s' if g > 1 else ''}: {fin} + {h} → {h}",
            reach=Reach("dense"),
        )

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """One step as torch's CPU cell runs it (the ops of :meth:`step_saved`; h0 and c0 are the zeros torch makes,
        one tensor for both), per sample: where the weights train the input and h0, for the weights' gradients; and
        what the cell keeps for its elementwise backward. FLOPs as FlopCounterMode counts the decomposed cell: the
        input's gradient through W_ih (2·G·H·in) where asked, the weights' (2·G·H·(in + H)) where they train (h0
        needs no gradient), plus the cell's elementwise backward, as many as its forward."""
        if not grads.any:
            return Backward()
        fin, h, g = shape[0], self.hidden_size, self.sequence.gates
        saved = ([Saved("input", fin), Saved("h0", h)] if grads.weights else []) + self.step_saved()
        products, pointwise = 2 * g * h * fin, self.sequence.pointwise * h
        weight = products + 2 * g * h * h
        return Backward(saved=tuple(saved), input_flops=products + pointwise if grads.input else 0,
                        weight_flops=(weight if grads.weights else 0) + (0 if grads.input else pointwise),
                        torch_flops=(products if grads.input else 0) + (weight if grads.weights else 0))

    def step_saved(self) -> list[Saved]:
        """What the cell keeps for its own backward: RNNCell its new h (the tanh's or ReLU's result)."""
        return [Saved("output", self.hidden_size)]

    def param_tensors(self, effect: Effect) -> int:
        """W_ih and W_hh, and b_ih and b_hh."""
        return 2 + 2 * int(self.bias)

    def primitives(self, ran: Ran) -> Primitives:
        units = ran.batch * self.hidden_size
        sums, products, activations = self.sequence.split
        g = self.sequence.gates
        return Primitives(macs=ran.macs, bias_adds=2 * g * units if self.bias else 0,
                          activation_elements=activations * units, add_elements=sums * units, mul_elements=products * units)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        fin, h, g, e = shape[0], self.hidden_size, self.sequence.gates, self.sequence.pointwise
        return (
            Step("output", f"{h}  (the new h)"),
            Step("parameters", f"params = G·H·(in + H){' + 2·G·H' if self.bias else ''}",
                 f"{g}·{h}·({fin} + {h})" + (f" + 2·{g}·{h}" if self.bias else ""), effect.weights + effect.biases,
                 f"G = {g} gate matrices" + ("; b_ih and b_hh both" if self.bias else "")),
            Step("MACs", "MACs = G·H·(in + H)", f"{g}·{h}·({fin} + {h})", effect.macs),
            Step("FLOPs", f"FLOPs = 2·MACs + {e}·H", f"2·{effect.macs:,} + {e}·{h}", effect.flops,
                 f"{self.sequence.words}; biases not counted, as for Linear"),
        )


@spec
class RNNCell(_Cell):
    """torch.nn.RNNCell: one step of RNN."""

    input_size: int
    hidden_size: int
    bias: bool = True
    nonlinearity: str = "tanh"

    def __post_init__(self) -> None:
        self._check()
        if self.nonlinearity not in ("tanh", "relu"):
            raise SpecError(f"{self.name}: nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")


class LSTMCell(_Cell):
    """torch.nn.LSTMCell: one step of LSTM (returns h and c; the row is h)."""

    sequence: ClassVar[type[_Recurrent]] = LSTM
    results: ClassVar[int] = 2  # h and c

    def step_saved(self) -> list[Saved]:
        """The four gates (computed in place in one 4H tensor), c0 (for the forget gate's gradient: the zeros torch
        makes are h0's tensor too, counted once) and tanh(c)."""
        h = self.hidden_size
        return [Saved("gates", 4 * h), Saved("h0", h), Saved("tanh c", h)]

    def sized_results(self, output: Shape, at: int) -> Any:
        return output, output  # h and c: N × H each

    def __post_init__(self) -> None:
        self._check()


class GRUCell(_Cell):
    """torch.nn.GRUCell: one step of GRU."""

    sequence: ClassVar[type[_Recurrent]] = GRU

    def step_saved(self) -> list[Saved]:
        """The input's and h's gate products (3H each, their sigmoids and tanh computed in place)."""
        return [Saved("gates", 6 * self.hidden_size)]

    def __post_init__(self) -> None:
        self._check()
