"""Lookups and recurrent layers (Embedding, EmbeddingBag, RNN, LSTM, GRU, the cells) against torch itself.

Evidence, independent of convcalc:
- the real torch modules: their parameter counts, output shapes and FlopCounterMode's FLOPs on torch's
  decomposed path (the meta device), and the elementwise aten ops torch's cells run, counted one output element
  each by a dispatch mode of this file (convcalc's FLOPs beyond the matrix products);
- the four other tools, run on small probe networks (tests/other_tools.py);
- PyTorch's examples/word_language_model, rebuilt in tests/torch_reference.py, for the ``lstm_lm`` zoo model;
- hand derivations beside the cases in tests/test_layers.py.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

import convcalc as cc

torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from other_tools import TOOLS  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from torch_reference import BatchFirstLM, word_language_model  # noqa: E402

from convcalc import cli  # noqa: E402

#: aten's elementwise arithmetic inside torch's RNN/LSTM/GRU cells (in place or not)
_ELEMENTWISE = {"add", "sub", "mul", "sigmoid", "tanh", "relu"}


class _Elementwise(TorchDispatchMode):
    """Counts one FLOP per output element of every elementwise aten op that runs (matrix products are not)."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket.__name__.rstrip("_") in _ELEMENTWISE:
            self.flops += out.numel()
        return out


def _torch_counts(module: nn.Module, x: torch.Tensor) -> tuple[Any, int, int]:
    """(output, FlopCounterMode's FLOPs, elementwise FLOPs) of one forward on the meta device."""
    module, x = module.to("meta").eval(), x.to("meta")
    counter, elementwise = FlopCounterMode(display=False), _Elementwise()
    with torch.no_grad(), counter, elementwise:
        out = module(x)
    return out, counter.get_total_flops(), elementwise.flops


# --- property tests: random configurations against the real modules -------------------------------------------


@st.composite
def recurrent(draw: Any) -> tuple[Any, tuple[int, int], int]:
    """A random RNN/LSTM/GRU spec, its per-sample input (L, H_in) and a batch."""
    kind = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
    hidden = draw(st.integers(1, 6))
    kwargs: dict[str, Any] = dict(num_layers=draw(st.integers(1, 3)), bias=draw(st.booleans()),
                                  batch_first=draw(st.booleans()), bidirectional=draw(st.booleans()))
    if kind == "LSTM" and hidden > 1:
        kwargs["proj_size"] = draw(st.integers(0, hidden - 1))
    if kind == "RNN":
        kwargs["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    fin = draw(st.integers(1, 6))
    spec = getattr(cc, kind)(fin, hidden, **kwargs)
    return spec, (draw(st.integers(1, 5)), fin), draw(st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(recurrent())
def test_recurrent_layers_count_as_torch(case: tuple[Any, tuple[int, int], int]) -> None:
    """Parameters, output shape, FlopCounterMode's FLOPs (= 2·MACs) and the cell's elementwise ops (= FLOPs − 2·MACs)
    of torch's own module; from_torch reads that module back as the same one row."""
    spec, (steps, fin), batch = case
    row = cc.summary(spec, (steps, fin), batch=batch, layout="chw").rows[0]
    module = getattr(nn, type(spec).__name__)(**spec.torch_kwargs())
    assert row.params == sum(p.numel() for p in module.parameters())
    shape = (batch, steps, fin) if spec.batch_first else (steps, batch, fin)
    (out, _), flops, elementwise = _torch_counts(module, torch.empty(shape))
    per_sample = tuple(out.shape[:1] + out.shape[2:]) if not spec.batch_first else tuple(out.shape[1:])
    assert row.output_shape == per_sample
    assert (2 * row.macs, row.flops - 2 * row.macs) == (flops, elementwise)
    back = cc.from_torch(module, shape[1:] if spec.batch_first else (steps, fin), batch=batch, layout="chw")
    if spec.batch_first:  # (a batch-second module given batch-first sizes reads them as L=batch: compared below)
        assert [(r.spec, r.params, r.macs, r.flops, r.output_shape) for r in back.rows] == [
            (spec, row.params, row.macs, row.flops, row.output_shape)]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["RNNCell", "LSTMCell", "GRUCell"]), st.integers(1, 6), st.integers(1, 6), st.booleans(),
       st.integers(1, 3))
def test_cells_count_as_torch(kind: str, fin: int, hidden: int, bias: bool, batch: int) -> None:
    spec = getattr(cc, kind)(fin, hidden, bias=bias)
    row = cc.summary(spec, (fin,), batch=batch).rows[0]
    module = getattr(nn, kind)(fin, hidden, bias=bias)
    assert row.params == sum(p.numel() for p in module.parameters())
    out, flops, elementwise = _torch_counts(module, torch.empty(batch, fin))
    h = out[0] if isinstance(out, tuple) else out
    assert row.output_shape == tuple(h.shape[1:])
    assert (2 * row.macs, row.flops - 2 * row.macs) == (flops, elementwise)
    back = cc.from_torch(module, (fin,), batch=batch).rows
    assert [(r.spec, r.params, r.flops) for r in back] == [(spec, row.params, row.flops)]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 50), st.integers(1, 8), st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(1, 3))
def test_embedding_counts_as_torch(rows: int, dim: int, ids: list[int], batch: int) -> None:
    spec = cc.Embedding(rows, dim)
    row = cc.summary(spec, tuple(ids), batch=batch).rows[0]
    module = nn.Embedding(rows, dim)
    out, flops, _ = _torch_counts(module, torch.zeros(batch, *ids, dtype=torch.long))
    assert (row.params, row.output_shape, row.macs, row.flops, flops) == (rows * dim, tuple(out.shape[1:]), 0, 0, 0)
    back = cc.from_torch(module, tuple(ids), batch=batch).rows  # the ids fed as int64 (the input convcalc makes)
    assert [(r.spec, r.params, r.output_shape) for r in back] == [(spec, rows * dim, row.output_shape)]


@pytest.mark.parametrize("mode, per", [("sum", 3), ("mean", 4), ("max", 3)])
def test_embedding_bag_reduces_each_bag(mode: str, per: int) -> None:
    """A bag of 4 ids → 6: sum 3 additions per output, mean 3 and a division, max 3 comparisons."""
    module = nn.EmbeddingBag(20, 6, mode=mode)
    report = cc.from_torch(module, (4,), batch=2)
    (row,) = report.rows
    with torch.no_grad():
        out = module(torch.zeros(2, 4, dtype=torch.long))
    assert (row.output_shape, row.params, row.flops) == (tuple(out.shape[1:]), 120, 2 * per * 6)
    assert row.spec == cc.EmbeddingBag(20, 6, mode=mode)


def test_batch_second_module_reads_the_batch_from_dim_1() -> None:
    """A forward that hands nn.LSTM (batch_first=False) an L×N×H tensor: the row is per sample L×H, batch N."""

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(8, 16)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lstm(x.transpose(0, 1))[0].transpose(0, 1)

    report = cc.from_torch(Net(), (10, 8), batch=3)
    (row,) = [r for r in report.rows if r.kind == "lstm"]
    assert (row.input_shape, row.output_shape, row.batch) == ((10, 8), (10, 16), 3)
    assert row.macs == 3 * 10 * 4 * 16 * (8 + 16)  # batch · steps · 4H·(in + H)


def test_batch_second_wrapper_runs_the_module_batch_first() -> None:
    """to_torch of a batch-second LSTM: BatchSecond takes N×L×H, gives nn.LSTM L×N×H, and hands back the output
    batch first with (h_n, c_n) as nn.LSTM gives them; the network built returns the output alone."""
    from convcalc.torch_bridge.modules import BatchSecond

    torch.manual_seed(0)
    lstm = nn.LSTM(3, 5, num_layers=2)
    x = torch.randn(4, 7, 3)
    out, (h, c) = BatchSecond(lstm)(x)
    ref, (h_ref, c_ref) = lstm(x.transpose(0, 1))
    assert torch.equal(out, ref.transpose(0, 1)) and torch.equal(h, h_ref) and torch.equal(c, c_ref)
    built = cc.to_torch(cc.LSTM(3, 5, 2), (7, 3))
    assert tuple(built(x).shape) == (4, 7, 5)
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in lstm.parameters())


# --- the tools --------------------------------------------------------------------------------------------------


class _TextClassifier(nn.Module):
    """Embedding → bidirectional LSTM → the last step → Linear: the issue's text classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(1000, 32, padding_idx=0)
        self.lstm = nn.LSTM(32, 48, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(96, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(x))
        return self.fc(out[:, -1])


PROBES: dict[str, tuple[Any, tuple[int, ...]]] = {
    "lstm": (lambda: nn.LSTM(6, 8, batch_first=True), (5, 6)),
    "lstm_bidirectional_2_layers": (lambda: nn.LSTM(6, 8, num_layers=2, bidirectional=True, batch_first=True), (5, 6)),
    "lstm_proj": (lambda: nn.LSTM(6, 8, num_layers=2, proj_size=3, batch_first=True), (5, 6)),
    "gru_no_bias": (lambda: nn.GRU(6, 8, num_layers=2, bias=False, batch_first=True), (5, 6)),
    "rnn_relu_bidirectional": (lambda: nn.RNN(6, 8, nonlinearity="relu", bidirectional=True, batch_first=True), (5, 6)),
    "rnn_cell": (lambda: nn.RNNCell(6, 8), (6,)),
    "lstm_cell": (lambda: nn.LSTMCell(6, 8), (6,)),
    "gru_cell_no_bias": (lambda: nn.GRUCell(6, 8, bias=False), (6,)),
    "embedding": (lambda: nn.Embedding(50, 8), (7,)),
    "embedding_bag": (lambda: nn.EmbeddingBag(50, 8, mode="sum"), (7,)),
    "text_classifier": (_TextClassifier, (20,)),
}
IDS = {"embedding", "embedding_bag", "text_classifier"}


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_profiles_match_the_tools(name: str, batch: int) -> None:
    """Each tool on the real module prints what from_torch's profile says (ptflops: a batch of one, times the batch)."""
    make, shape = PROBES[name]
    report = cc.from_torch(make(), shape, batch=batch)
    assert [r.where for r in report.unsupported] == []
    profiles = report.profiles()
    assert all(p.exact for p in report.comparison.values())
    for tool, run in TOOLS.items():
        if tool == "ptflops" and batch != 1:
            continue
        torch.manual_seed(0)
        x = torch.zeros(batch, *shape, dtype=torch.long) if name in IDS else torch.randn(batch, *shape)
        assert run(make(), x) == profiles[tool], tool


def test_the_tools_rules_by_hand() -> None:
    """nn.LSTM(6, 8) on 5 steps, one sample: 4·8·(6+8) = 448 weights, 64 biases, MACs 5·448 = 2,240.
    torchinfo: every parameter once per step, 5·512 = 2,560. fvcore: aten::lstm has no handle, 0. thop: per step
    4·(8·14 + 8 + 16) + 4·8 = 576, ×5 = 2,880. ptflops: per step 4·8·6 + 4·8·8 + 10·8 + 64 = 592, ×5 = 2,960."""
    p = cc.from_torch(nn.LSTM(6, 8, batch_first=True), (5, 6)).profiles()
    assert (p["paper"], p["torch"], p["torchinfo"], p["fvcore"], p["thop"], p["ptflops"]) == (
        2_240, 4_480, 2_560, 0, 2_880, 2_960)
    # a cell: torchinfo charges its 512 parameters once per hidden unit of the output (8): 4,096
    assert cc.from_torch(nn.LSTMCell(6, 8), (6,)).profiles()["torchinfo"] == 4_096
    # an embedding: 50·8 = 400 parameters, charged once per sample by torchinfo only
    assert cc.from_torch(nn.Embedding(50, 8), (7,), batch=2).profiles() == dict(
        paper=0, torch=0, fvcore=0, torchinfo=800, thop=0, ptflops=0)


# --- from_torch and the CLI on an Embedding + LSTM text classifier ---------------------------------------------


def test_text_classifier_from_torch_is_one_row_per_layer() -> None:
    model = _TextClassifier()
    report = cc.from_torch(model, (20,), batch=2)
    assert [(r.path, r.kind) for r in report.rows if r.params or r.macs] == [
        ("embedding", "embedding"), ("lstm", "lstm"), ("fc", "linear")]
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    with torch.device("meta"):
        meta, x = _TextClassifier().eval(), torch.zeros(2, 20, dtype=torch.long)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        meta(x)
    assert report.profiles()["torch"] == counter.get_total_flops()
    lstm = next(r for r in report.rows if r.kind == "lstm")
    assert (lstm.input_shape, lstm.output_shape) == ((20, 32), (20, 96))
    # --depth: a block around an LSTM collapses to one row (to_torch builds it; from_torch reads it back)
    net = cc.Sequential({"body": cc.Sequential(cc.Embedding(1000, 32), cc.LSTM(32, 48, bidirectional=True)),
                         "head": cc.Linear(96, 5)})
    back = cc.from_torch(cc.to_torch(net, (20,)), (20,), batch=2)
    assert [r.path for r in back.rows] == ["body.0", "body.1", "head"]
    assert [r.path for r in back.at_depth(0).rows] == ["body", "head"]
    assert back.at_depth(0).totals == back.totals == cc.summary(net, (20,), batch=2).totals


def test_text_classifier_through_the_cli(capsys: Any, tmp_path: Any, monkeypatch: Any) -> None:
    (tmp_path / "textnets.py").write_text(textwrap.dedent("""
        import torch.nn as nn

        class TextClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(1000, 32)
                self.lstm = nn.LSTM(32, 48, batch_first=True)
                self.fc = nn.Linear(48, 5)

            def forward(self, x):
                out, _ = self.lstm(self.embedding(x))
                return self.fc(out[:, -1])
    """))
    monkeypatch.chdir(tmp_path)
    code = cli.main(["summary", "textnets:TextClassifier", "--input", "20", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out)
    # 1000·32 + (4·48·(32+48) + 8·48) + 48·5 + 5 = 32,000 + 15,744 + 245 = 47,989
    assert document["totals"]["params"] == 47_989
    assert [r["kind"] for r in document["rows"] if r["params"]] == ["embedding", "lstm", "linear"]


def test_layer_card_of_an_lstm_prints_torchs_parameter_count(capsys: Any) -> None:
    """The issue's done-when line: one row with torch's parameter count."""
    code = cli.main(["layer", "nn.LSTM(128, 256, num_layers=2, bidirectional=True, batch_first=True)", "--input", "50x128"])
    out, _ = capsys.readouterr()
    torch_count = sum(p.numel() for p in nn.LSTM(128, 256, num_layers=2, bidirectional=True).parameters())
    assert code == 0 and f"parameters        {torch_count:,}" in out and "output shape      50×512" in out
    code = cli.main(["layer", "nn.LSTM(128, 256, num_layers=2, bidirectional=True, batch_first=True)", "--input", "50x128",
                     "--explain"])
    out, _ = capsys.readouterr()
    assert code == 0 and "MACs per step = Σ_layers D·G·H·(in + H_out)" in out and f"= {torch_count:,}" in out


@pytest.mark.parametrize("text, input_shape, message", [
    ("nn.LSTM(128, 256)", "50x64", "input_size=128 but the input has 64 features per step"),
    ("nn.LSTM(128, 256)", "128", "expects a 2-d input per sample (L×H_in"),
    ("nn.LSTMCell(128, 256)", "50x128", "expects a 1-d input per sample (H_in"),
    ("nn.LSTM(128, 256, proj_size=256)", "50x128", "proj_size must be an int in [0, hidden_size=256)"),
    ("nn.RNN(8, 8, nonlinearity='sigmoid')", "5x8", "nonlinearity must be 'tanh' or 'relu'"),
    ("nn.GRU(8, 8, dropout=2)", "5x8", "dropout must be a probability in [0, 1]"),
    ("nn.Embedding(10, 4, padding_idx=10)", "5", "padding_idx must be None or an int in [-10, 9]"),
    ("nn.EmbeddingBag(10, 4, mode='median')", "5", "mode must be 'sum', 'mean' or 'max'"),
    ("nn.EmbeddingBag(10, 4)", "5x3", "expects a bag of ids per sample"),
])
def test_bad_configurations_are_one_line_errors(capsys: Any, text: str, input_shape: str, message: str) -> None:
    code = cli.main(["layer", text, "--input", input_shape])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1, err


def test_verify_holds_recurrent_layers_to_flop_counter_mode_on_the_cpu() -> None:
    """On the CPU oneDNN runs nn.LSTM as one kernel FlopCounterMode counts as 0; verify runs torch's decomposed path."""
    net = cc.Sequential(cc.Embedding(100, 16), cc.LSTM(16, 8, 2, bidirectional=True, proj_size=4), cc.Linear(8, 10))
    for device in ("cpu", "meta"):
        verified = cc.verify(net, (7,), batch=2, device=device)
        assert verified.ok, str(verified)
        assert verified.flops.theirs == 2 * cc.summary(net, (7,), batch=2).totals.macs


# --- the zoo: PyTorch's word-language model ---------------------------------------------------------------------


class _Published(nn.Module):
    """The example's own forward(input, hidden) on batch-first ids: L×N in, the zero hidden state, (L·N)×ntoken out."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.model(x.t(), self.model.init_hidden(x.shape[0]))
        return out


def test_lstm_lm_is_the_published_example() -> None:
    """The example's RNNModel as published (batch second, one dropout called twice, F.log_softmax), given batch-first
    ids: the same parameters, MACs and FLOPs as the zoo model, and FlopCounterMode = its torch profile. The zoo model's
    input is the example's: int64 token ids (35·8 = 280 bytes per sample), given to from_torch as the same Input."""
    report = cc.summary("lstm_lm")
    with torch.device("meta"):
        published = word_language_model().eval()
    assert report.totals.params == sum(p.numel() for p in published.parameters()) == 13_987_678
    assert report.inputs == (cc.models.get("lstm_lm").input,) == (cc.Input((35,), dtype="int64"),)
    for module in (_Published(published), BatchFirstLM(published)):  # its own forward, and its modules batch first
        back = cc.from_torch(module, cc.Input((35,), dtype="int64"))
        assert [r.where for r in back.unsupported] == []
        assert (back.totals.params, back.totals.macs, back.totals.flops) == (
            report.totals.params, report.totals.macs, report.totals.flops)
        assert back.totals.input_bytes == report.totals.input_bytes == 35 * 8
        lstm = next(r for r in back.rows if r.kind == "lstm")
        assert (lstm.spec, lstm.input_shape, lstm.batch) == (cc.LSTM(200, 200, 2, dropout=0.2), (35, 200), 1)
    assert back.output_shape == report.output_shape == (35, 33_278)
    assert back.profiles() == report.profiles()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        published(torch.zeros(35, 4, dtype=torch.long, device="meta"), published.init_hidden(4))  # bptt × batch, as the example
    assert counter.get_total_flops() == 4 * report.profiles()["torch"]


def test_lstm_lm_is_verified_on_integer_ids(capsys: Any) -> None:
    """verify builds the zoo model in torch and runs it on the ids its input declares: the Embedding sees int64 (or
    the int32 a user asks for, which torch's embedding also takes), and every row agrees with torch."""
    from convcalc.torch_bridge.verify import verify_report

    seen: list[torch.dtype] = []
    for ids, dtype in ((None, torch.int64), (cc.Input((35,), dtype="int32"), torch.int32)):
        report = cc.summary("lstm_lm", ids)
        with torch.device("meta"):
            module = cc.to_torch("lstm_lm")
        module.get_submodule("encoder").register_forward_pre_hook(lambda m, args: seen.append(args[0].dtype))
        verified = verify_report(report, module, torch.device("meta"))
        assert verified.ok, str(verified)
        assert seen.pop() == dtype and verified.params.theirs == 13_987_678
    assert cc.verify("lstm_lm", device="meta").ok
    code = cli.main(["verify", "lstm_lm", "--device", "meta"])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("verify lstm_lm: input 35:int64, batch 1, on meta"), err
    code = cli.main(["verify", "lstm_lm", "--input", "20:int32", "--device", "meta"])  # verify's --input SHAPE[:DTYPE]
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("verify lstm_lm: input 20:int32, batch 1, on meta") and "ok: all rows agree" in out, err
    code = cli.main(["summary", "lstm_lm", "--input", "50", "--format", "json"])  # another length: still the model's ids
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["inputs"] == [{"name": None, "shape": [50], "dtype": "int64"}], err


def test_an_embedding_first_takes_ids_and_says_so_for_real_values(capsys: Any) -> None:
    """A network whose first layer is an Embedding takes integer ids (their bytes: 8 per int64 id, 4 per int32); a
    real dtype given to it is a one-line error naming the layer and the ids to pass; ids given to a network that
    starts with a real-valued layer likewise."""
    net = cc.Sequential(cc.Embedding(1000, 64), cc.Linear(64, 10))
    plain = cc.summary(net, (128,))
    assert cc.summary(net, cc.Input((128,), dtype="int64")).totals.input_bytes == 128 * 8
    assert cc.summary(net, cc.Input((128,), dtype="int32")).totals.input_bytes == 128 * 4
    assert plain.totals.input_bytes == 128 * 4  # no dtype given: the report's (float32), as before
    with pytest.raises(cc.SpecError, match=r"Embedding\(1000, 64\) reads integer ids, not float16: give them as 128:int64"):
        cc.summary(net, cc.Input((128,), dtype="float16"))
    with pytest.raises(cc.SpecError, match=r"first layer, Linear\(64, 10\), takes real values; give 128x64"):
        cc.summary(cc.Linear(64, 10), cc.Input((128, 64), dtype="int64"))
    code = cli.main(["summary", "lstm_lm", "--input", "35:float32"])
    _, err = capsys.readouterr()
    assert code == 2 and err == ("error: Embedding(33278, 200) reads integer ids, not float32: give them as 35:int64 "
                                 "(an id type torch takes: int64, long, int32, int)\n")


def test_packed_sequences_count_as_their_padded_batch() -> None:
    """nn.LSTM on pack_padded_sequence of one length: the row is L×H per sample, and the torch profile is
    FlopCounterMode's (torch runs Σ lengths = L·N steps of the cell); packing is a copy, not unsupported."""
    from torch.nn.utils.rnn import pack_padded_sequence

    class Packed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(8, 16, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long)
            _, (h, _) = self.lstm(pack_padded_sequence(x, lengths, batch_first=True))
            return h[-1]

    report = cc.from_torch(Packed(), (10, 8), batch=2)
    assert [r.where for r in report.unsupported] == []
    (row,) = [r for r in report.rows if r.kind == "lstm"]
    assert (row.input_shape, row.output_shape, row.batch) == ((10, 8), (10, 16), 2)
    assert report.profiles()["torch"] == TOOLS["torch"](Packed(), torch.randn(2, 10, 8)) == 2 * 2 * 10 * 4 * 16 * (8 + 16)


def test_functional_embedding_in_a_forward_is_an_embedding_row() -> None:
    """F.embedding(ids, weight) in a forward body: one Embedding row, the weight's 50·8 = 400 parameters on it."""
    from torch.nn import functional as F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = nn.Parameter(torch.randn(50, 8))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.embedding(x.long(), self.table, padding_idx=0)

    report = cc.from_torch(Net(), (7,), batch=2)
    assert [r.where for r in report.unsupported] == []
    (row,) = [r for r in report.rows if r.params]
    assert (row.spec, row.params, row.output_shape, row.flops) == (cc.Embedding(50, 8, padding_idx=0), 400, (7, 8), 0)
