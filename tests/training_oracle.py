"""What torch itself says of a training step, for the tests of :mod:`convcalc.training`.

- :func:`saved_bytes`: the bytes of the tensors autograd saves in a forward pass, as
  ``torch.autograd.graph.saved_tensors_hooks`` is shown them: parameters and buffers left out, tensors that share
  storage counted once (by storage).
- :func:`step_flops`: ``FlopCounterMode`` over the forward and the backward of ``output.sum()``, on the meta device.
- :func:`optimizer_state_bytes`: the bytes of every tensor in a real ``torch.optim`` optimizer's ``state`` after
  one step.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.autograd.graph import saved_tensors_hooks
from torch.utils.flop_counter import FlopCounterMode


def _storage(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def saved_bytes(module: nn.Module, x: torch.Tensor, autocast: torch.dtype | None = None) -> int:
    """Bytes autograd keeps for the backward of ``module(x)`` in train mode: unique storages, model state excluded;
    ``autocast``: under the CPU's autocast to that dtype."""
    module.train()
    state = {_storage(t) for t in (*module.parameters(), *module.buffers())}
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = _storage(t)
        if key not in state:
            storages.setdefault(key, t.untyped_storage().nbytes())
        return t

    with saved_tensors_hooks(pack, lambda t: t), torch.autocast("cpu", dtype=autocast or torch.bfloat16, enabled=autocast is not None):
        out = module(x)
    del out
    return sum(storages.values())


def first(out: object) -> torch.Tensor:
    while isinstance(out, (tuple, list)):
        out = out[0]
    assert isinstance(out, torch.Tensor)
    return out


def step_flops(build: Callable[[], nn.Module], x: torch.Tensor, prepare: Callable[[nn.Module], None] | None = None) -> int:
    """FlopCounterMode's count over the forward and the backward of one training step on the meta device."""
    with torch.device("meta"):
        module = build()
    module.train()
    if prepare is not None:
        prepare(module)
    with FlopCounterMode(display=False) as counter:
        first(module(x.to("meta"))).sum().backward()
    return counter.get_total_flops()


def optimizer_state_bytes(module: nn.Module, make: Callable[[list[nn.Parameter]], torch.optim.Optimizer],
                          x: torch.Tensor) -> int:
    """The bytes of every tensor in ``make(trainable parameters).state`` after one real step on ``x``."""
    module.train()
    params = [p for p in module.parameters() if p.requires_grad]
    optimizer = make(params)
    first(module(x)).float().sum().backward()
    optimizer.step()
    return sum(v.numel() * v.element_size() for state in optimizer.state.values() for v in state.values()
               if isinstance(v, torch.Tensor))


def tracked_peak(build: Callable[[], nn.Module], shape: tuple[int, ...], batch: int,
                 make: Callable[[list[nn.Parameter]], torch.optim.Optimizer], autocast: torch.dtype | None = None) -> int:
    """The peak memory of a training step as torch's MemTracker counts it on fake tensors (no memory used, no
    allocator): every tensor's storage from its making to its freeing, parameters, gradients, optimizer state and
    temporaries. Two steps run, each holding its input and output until the optimizer's step is done; the second,
    whose optimizer state exists already, is measured. The output's gradient is ``ones_like(output)``, held by the
    caller for the whole backward. ``autocast``: the forward under the CPU's autocast to that dtype."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.distributed._tools.mem_tracker import MemTracker

    with FakeTensorMode():
        module = build()
        module.train()
        optimizer = make(list(module.parameters()))
        tracker = MemTracker()
        tracker.track_external(module, optimizer)
        with tracker:
            for step in range(2):
                x = torch.randn(batch, *shape)
                with torch.autocast("cpu", dtype=autocast or torch.bfloat16, enabled=autocast is not None):
                    out = module(x)
                out.backward(torch.ones_like(out))
                optimizer.step()  # (the output still held, as a training loop holds its loss)
                optimizer.zero_grad()
                del x, out
                if step == 0:
                    tracker.reset_mod_stats()
        snapshot = tracker.get_tracker_snapshot("peak")
    return int(next(iter(snapshot.values()))["Total"])
