"""Run the other counting tools on a torch module: the oracle for convcalc's profiles.

Each function returns exactly the figure the tool prints for a forward pass of one input
(its "total" as its README tells users to read it), with the tool's own messages silenced.
A tool that is not installed makes the calling test skip (``pytest.importorskip``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def flop_counter_mode(module: torch.nn.Module, x: torch.Tensor) -> int:
    """FlopCounterMode on torch's decomposed path: on the CPU oneDNN (and on CUDA cuDNN) runs nn.RNN/LSTM/GRU as
    one fused kernel, which it counts as 0; with them off torch runs the same matrix products one by one (as on
    the meta device), and it counts them."""
    recurrent = any(isinstance(m, torch.nn.RNNBase) for m in module.modules())
    with torch.no_grad(), FlopCounterMode(display=False) as counter, torch.backends.mkldnn.flags(enabled=not recurrent), \
            torch.backends.cudnn.flags(enabled=not recurrent):
        module.eval()(x)
    return int(counter.get_total_flops())


def torchinfo_mult_adds(module: torch.nn.Module, x: torch.Tensor) -> int:
    torchinfo = pytest.importorskip("torchinfo")
    with _quiet(), torch.no_grad():
        return int(torchinfo.summary(module.eval(), input_data=x, verbose=0).total_mult_adds)


def fvcore_flops(module: torch.nn.Module, x: torch.Tensor) -> int:
    fvcore_nn = pytest.importorskip("fvcore.nn")
    with _quiet(), torch.no_grad():
        analysis = fvcore_nn.FlopCountAnalysis(module.eval(), x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        return int(analysis.total())


def thop_macs(module: torch.nn.Module, x: torch.Tensor) -> int:
    thop = pytest.importorskip("thop")
    with _quiet(), torch.no_grad():
        macs, _ = thop.profile(module.eval(), inputs=(x,), verbose=False)
    return int(macs)


def ptflops_macs(module: torch.nn.Module, x: torch.Tensor) -> int:
    """ptflops' figure for a batch of one (get_model_complexity_info builds that batch itself)."""
    ptflops = pytest.importorskip("ptflops")
    assert x.shape[0] == 1, "ptflops counts a batch of one"
    with _quiet(), torch.no_grad():
        macs, _ = ptflops.get_model_complexity_info(module.eval(), tuple(x.shape[1:]), as_strings=False,
                                                    print_per_layer_stat=False, input_constructor=lambda _: x)
    return int(macs)


TOOLS = {"torch": flop_counter_mode, "torchinfo": torchinfo_mult_adds, "fvcore": fvcore_flops, "thop": thop_macs,
         "ptflops": ptflops_macs}
