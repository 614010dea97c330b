"""Language models: the 2-layer LSTM of PyTorch's examples/word_language_model (Zaremba et al. 2014's medium-size
recipe as the example trains it on Wikitext-2)."""

from __future__ import annotations

from ..inputs import Input
from ..layers import LSTM, Dropout, Embedding, Linear, LogSoftmax, Sequential
from ..layers.base import Layer, Shape
from .registry import register


@register(input_shape=Input((35,), dtype="int64"), params=13_987_678, functional={"log_softmax:*": "F.log_softmax"})
def lstm_lm(ntoken: int = 33_278, ninp: int = 200, nhid: int = 200, nlayers: int = 2, dropout: float = 0.2,
            bptt: int = 35) -> tuple[Layer, Shape]:
    """The word-level LSTM language model of PyTorch's examples (word_language_model: ``RNNModel('LSTM', ntoken,
    ninp, nhid, nlayers, dropout)`` with main.py's defaults --emsize 200 --nhid 200 --nlayers 2 --dropout 0.2,
    untied weights) on Wikitext-2, whose dictionary has ntoken = 33,278 words. Input: a bptt = 35 window of token
    ids per sample (int64 ids; the example feeds them batch second, L×N: convcalc shows per-sample shapes L×…);
    its LSTM keeps batch_first=False as the example's does. Dropout(Embedding) → LSTM (2 layers, dropout 0.2
    between them) → Dropout → Linear(200, ntoken) → log_softmax (the example calls F.log_softmax; its one
    ``self.drop`` module, called twice, is two Dropout rows here: they cost nothing either way).
    13,987,678 parameters: the embedding 33,278·200 = 6,655,600; each LSTM layer 4·200·(200 + 200) + 2·4·200 =
    321,600, two of them 643,200; the decoder 200·33,278 + 33,278 = 6,688,878."""
    return Sequential({
        "encoder": Embedding(ntoken, ninp),
        "drop": Dropout(dropout),
        "rnn": LSTM(ninp, nhid, nlayers, dropout=dropout),
        "rnn_drop": Dropout(dropout),
        "decoder": Linear(nhid, ntoken),
        "log_softmax": LogSoftmax(dim=-1),
    }), (bptt,)
