"""The models of the other counting tools' own test suites, built again in plain torch.

Each entry reconstructs one model of one suite (its layer configuration carried over as a fact; the
code is this project's own), as a module taking one input tensor of the per-sample shape given, run
at batch 1 (ptflops always counts one sample). Where a suite's model takes two inputs, the second is
a fixed buffer of the shape the suite gives it; where a suite draws sizes at random, one draw is
written down. The suites, at the versions the profiles reproduce:

- ``torchinfo``: torchinfo 1.8.0, tests/fixtures/models.py (the models its summary tests run);
- ``fvcore``: fvcore 0.1.5, tests/test_flop_count.py (the networks and handle probes it counts);
- ``ptflops``: ptflops 0.7.5, tests/common_test.py;
- ``thop``: thop 0.1.1, tests/test_conv2d.py, tests/test_matmul.py and tests/test_relu.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

Make = Callable[[], nn.Module]


class _Forward(nn.Module):
    """A module whose forward is a function of itself and the input, with child modules and buffers."""

    def __init__(self, forward: Callable[[Any, torch.Tensor], torch.Tensor], children: dict[str, nn.Module] | None = None,
                 buffers: dict[str, torch.Tensor] | None = None, params: dict[str, torch.Tensor] | None = None) -> None:
        super().__init__()
        self._fn = forward
        for name, child in (children or {}).items():
            self.add_module(name, child)
        for name, tensor in (buffers or {}).items():
            self.register_buffer(name, tensor)
        for name, tensor in (params or {}).items():
            self.register_parameter(name, nn.Parameter(tensor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fn(self, x)


# --- torchinfo 1.8.0: tests/fixtures/models.py ---------------------------------------------


def _lenet_like(log_softmax: bool = True) -> nn.Module:
    """SingleInputNet: two 5×5 convs (1→10→20) with 2×2 max pools and F.relu, a Dropout2d, fc 320→50→10,
    F.log_softmax."""
    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.max_pool2d(m.conv1(x), 2))
        x = F.relu(F.max_pool2d(m.conv2_drop(m.conv2(x)), 2))
        x = F.relu(m.fc1(x.view(-1, 320)))
        x = m.fc2(x)
        return F.log_softmax(x, dim=1) if log_softmax else x
    return _Forward(forward, {"conv1": nn.Conv2d(1, 10, 5), "conv2": nn.Conv2d(10, 20, 5), "conv2_drop": nn.Dropout2d(0.3),
                              "fc1": nn.Linear(320, 50), "fc2": nn.Linear(50, 10)})


def _functional_net() -> nn.Module:
    """FunctionalNet: conv 1→32 and 32→64 (5×5), F.relu and F.max_pool2d(2, 2) after each, fc 2048→1024→10
    with F.relu and a Dropout2d, F.log_softmax. (Its view(-1, 2048) needs 2048 features per sample: a 28×44
    input gives 64·4·8.)"""
    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(m.conv1(x)), 2, 2)
        x = F.max_pool2d(F.relu(m.conv2(x)), 2, 2)
        x = m.dropout1(F.relu(m.fc1(x.view(-1, 2048))))
        return F.log_softmax(m.fc2(x), dim=1)
    return _Forward(forward, {"conv1": nn.Conv2d(1, 32, 5, 1), "conv2": nn.Conv2d(32, 64, 5, 1),
                              "dropout1": nn.Dropout2d(0.4), "fc1": nn.Linear(2048, 1024), "fc2": nn.Linear(1024, 10)})


def _siamese() -> nn.Module:
    """SiameseNets: convs 1→64 (10), 64→128 (7), 128→128 (4), 128→256 (4), each F.relu then a shared
    MaxPool2d(2, 2); both branches share the convs and fc1 256→4096; |x1 − x2|, dropout, fc2 4096→1, sigmoid.
    (Both branches read the one input here.)"""
    def branch(m: Any, x: torch.Tensor) -> torch.Tensor:
        for conv in (m.conv1, m.conv2, m.conv3, m.conv4):
            x = m.pooling(F.relu(conv(x)))
        return m.fc1(x.view(x.size(0), -1))

    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = branch(m, x), branch(m, x)
        return torch.sigmoid(m.fc2(m.dropout(torch.abs(x1 - x2))))
    return _Forward(forward, {"conv1": nn.Conv2d(1, 64, 10), "conv2": nn.Conv2d(64, 128, 7), "conv3": nn.Conv2d(128, 128, 4),
                              "conv4": nn.Conv2d(128, 256, 4), "pooling": nn.MaxPool2d(2, 2), "fc1": nn.Linear(256, 4096),
                              "fc2": nn.Linear(4096, 1), "dropout": nn.Dropout(0.5)})


def _recursive() -> nn.Module:
    """RecursiveNet: one Conv2d(64, 64, 3, 1, 1) called six times."""
    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        for _ in range(6):
            x = m.conv1(x)
        return x
    return _Forward(forward, {"conv1": nn.Conv2d(64, 64, 3, 1, 1)})


def _module_dict(layer: str, activation: str) -> nn.Module:
    """ModuleDictModel: a ModuleDict of Conv2d(10, 10, 3) and MaxPool2d(3), one of LeakyReLU and PReLU;
    the forward picks one of each."""
    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        return m.activations[activation](m.choices[layer](x))
    return _Forward(forward, {"choices": nn.ModuleDict({"conv": nn.Conv2d(10, 10, 3), "pool": nn.MaxPool2d(3)}),
                              "activations": nn.ModuleDict({"lrelu": nn.LeakyReLU(), "prelu": nn.PReLU()})})


def _container() -> nn.Module:
    """ContainerModule: a ModuleList of Linear(5, 5), a child holding a Sequential of two Linear(5, 5) and one
    more between (the child runs its Sequential whole and layer by layer, twice), and Linear(5, 5)."""
    def child(m: Any, x: torch.Tensor) -> torch.Tensor:
        out = m._between(m._sequential(x))
        for layer in m._sequential:
            out = layer(out)
        out = m._sequential(x)
        for layer in m._sequential:
            out = layer(out)
        return out
    inner = _Forward(child, {"_sequential": nn.Sequential(nn.Linear(5, 5), nn.Linear(5, 5)), "_between": nn.Linear(5, 5)})
    layers = nn.ModuleList([nn.Linear(5, 5), inner, nn.Linear(5, 5)])

    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        for layer in m._layers:
            x = layer(x)
        return x
    return _Forward(forward, {"_layers": layers})


def _reuse_linear(extended: bool) -> nn.Module:
    """ReuseLinear / ReuseLinearExtended: one Linear(10, 10) four times in a Sequential, each followed by a new
    ReLU(inplace=True) (Extended: the Linear is also an attribute of the model)."""
    linear = nn.Linear(10, 10)
    layers: list[nn.Module] = []
    for _ in range(4):
        layers += [linear, nn.ReLU(True)]
    children: dict[str, nn.Module] = {"model": nn.Sequential(*layers)}
    if extended:
        children = {"linear": linear, **children}
    return _Forward(lambda m, x: m.model(x), children)


def _reuse_relu() -> nn.Module:
    """ReuseReLU: ReflectionPad2d(3), Conv2d(4, 1, 1), BatchNorm2d(1), then three 1×1 stride-2 padding-1 convs
    (1→2→4→8) with BatchNorm2d, one ReLU(inplace=True) object after each norm."""
    act = nn.ReLU(True)
    layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(4, 1, kernel_size=1, padding=0), nn.BatchNorm2d(1), act]
    for i in range(3):
        mult = 2 ** i
        layers += [nn.Conv2d(mult, mult * 2, kernel_size=1, stride=2, padding=1), nn.BatchNorm2d(mult * 2), act]
    return nn.Sequential(*layers)


def _parameter_fc(output_dim: int | None) -> nn.Module:
    """ParameterFCNet: torch.mm(x, a) + b with a 128×64 weight and 64 biases as parameters, then (optionally)
    Linear(64, output_dim)."""
    children = {"fc2": nn.Linear(64, output_dim)} if output_dim else {}

    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        h = torch.mm(x, m.a) + m.b
        return m.fc2(h) if output_dim else h
    return _Forward(forward, children, params={"a": torch.randn(128, 64), "b": torch.randn(64)})


def _inside() -> nn.Module:
    """InsideModel: Linear(2, 1), then an inner module's Linear(1, 1) times its parameter (1), times the outer
    parameter (2)."""
    inner = _Forward(lambda m, x: m.l_1(x) * m.param_1, {"l_1": nn.Linear(1, 1)}, params={"param_1": torch.ones(1)})
    return _Forward(lambda m, x: m.inside(m.l_0(x)) * m.param_0, {"l_0": nn.Linear(2, 1), "inside": inner},
                    params={"param_0": torch.ones(2)})


def _recursive_missing_layers() -> nn.Module:
    """RecursiveWithMissingLayers: Conv2d(3, 8, 5, padding='same') and BatchNorm2d(8); six Conv2d(8, 8, 3,
    padding='same') with dilations 2, 4, 8, 8, 4, 2, each with BatchNorm2d(8); Conv2d(8, 1, 1, padding='same')
    and BatchNorm2d(1); torch.relu after every norm."""
    convs = [nn.Conv2d(3, 8, 5, padding="same")] + [nn.Conv2d(8, 8, 3, padding="same", dilation=d) for d in (2, 4, 8, 8, 4, 2)]
    convs.append(nn.Conv2d(8, 1, 1, padding="same"))
    norms = [nn.BatchNorm2d(8) for _ in range(7)] + [nn.BatchNorm2d(1)]

    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        for conv, norm in zip(m.convs, m.norms):
            x = torch.relu(norm(conv(x)))
        return x
    return _Forward(forward, {"convs": nn.ModuleList(convs), "norms": nn.ModuleList(norms)})


def _cnn_module_list(relu_first: bool) -> nn.Module:
    """CNNModuleList of five ConvLayerA (or ConvLayerB, which creates its ReLU before its conv): Conv1d(1, 1, 1),
    ReLU, MaxPool1d(1)."""
    def layer() -> nn.Module:
        parts = {"relu": nn.ReLU(), "conv": nn.Conv1d(1, 1, 1)} if relu_first else {"conv": nn.Conv1d(1, 1, 1), "relu": nn.ReLU()}
        return _Forward(lambda m, x: m.pool(m.relu(m.conv(x))), {**parts, "pool": nn.MaxPool1d(1)})

    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        for sub in m.ml:
            x = sub(x)
        return x
    return _Forward(forward, {"ml": nn.ModuleList([layer() for _ in range(5)])})


def _register_parameter() -> nn.Module:
    """RegisterParameter over two Linear(2, 2) blocks: x += weights[k] · block(x) with one weight per block."""
    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        for k, block in enumerate(m.blocks):
            x += m.weights[k] * block(x)
        return x
    return _Forward(forward, {"blocks": nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])}, params={"weights": torch.zeros(2)})


def _mixed_trainable() -> nn.Module:
    """MixedTrainable: three Conv1d(1, 1, 1) (fully, partly and not trainable) and a Dropout."""
    net = nn.Sequential(nn.Conv1d(1, 1, 1), nn.Conv1d(1, 1, 1, bias=True), nn.Conv1d(1, 1, 1, 1, bias=True), nn.Dropout())
    net[1].bias.requires_grad = False
    for p in net[2].parameters():
        p.requires_grad = False
    return net


def _autoencoder() -> nn.Module:
    """AutoEncoder: Conv2d(3, 16, 3, padding=1) + ReLU, MaxPool2d(2, 2, return_indices=True), MaxUnpool2d(2, 2),
    Conv2d(16, 3, 3, padding=1) + ReLU."""
    def forward(m: Any, x: torch.Tensor) -> torch.Tensor:
        x = m.encoder(x)
        size = x.size()
        x, indices = m.pool(x)
        return m.decode(m.unpool(x, indices=indices, output_size=size))
    return _Forward(forward, {"encoder": nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU()),
                              "pool": nn.MaxPool2d(2, 2, return_indices=True), "unpool": nn.MaxUnpool2d(2, 2),
                              "decode": nn.Sequential(nn.Conv2d(16, 3, 3, padding=1), nn.ReLU())})


TORCHINFO: dict[str, tuple[Make, tuple[int, ...]]] = {
    "identity": (lambda: _Forward(lambda m, x: m.identity(x), {"identity": nn.Identity()}), (3, 8)),
    "linear_model": (lambda: nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1)),
                     (128,)),
    "single_input": (_lenet_like, (1, 28, 28)),
    "scalar_net": (lambda: _Forward(lambda m, x: m.conv1(x), {"conv1": nn.Conv2d(64, 64, 3, 1, 1),
                                                                "conv2": nn.Conv2d(64, 32, 3, 1, 1)}), (64, 8, 8)),
    "recursive": (_recursive, (64, 8, 8)),
    "siamese": (_siamese, (1, 88, 88)),
    "functional": (_functional_net, (1, 28, 44)),
    "return_dict": (lambda: _lenet_like(log_softmax=True), (1, 28, 28)),
    "module_dict_conv_lrelu": (lambda: _module_dict("conv", "lrelu"), (10, 12, 12)),
    "module_dict_pool_prelu": (lambda: _module_dict("pool", "prelu"), (10, 12, 12)),
    "highly_nested_dict": (lambda: _Forward(lambda m, x: F.softmax(m.lin2(m.lin1(x)), dim=0),
                                            {"lin1": nn.Linear(10, 10), "lin2": nn.Linear(10, 10)}), (10,)),
    "edgecase_input_output": (lambda: nn.Linear(3, 1), (3,)),
    "edge_case_model": (lambda: _Forward(lambda m, x: m.model(m.conv1(x)), {
        "conv1": nn.Conv2d(1, 10, kernel_size=5), "model": _Forward(lambda m, x: m.identity(x), {"identity": nn.Identity()})}),
        (1, 28, 28)),
    "container": (_container, (5,)),
    "autoencoder": (_autoencoder, (3, 64, 64)),
    "mixed_trainable_parameters": (lambda: _Forward(lambda m, x: m.w * x + m.b, params={"w": torch.ones(10), "b": torch.ones(10)}),
                                   (10,)),
    "mixed_trainable": (_mixed_trainable, (1, 10)),
    "reuse_linear": (lambda: _reuse_linear(False), (10,)),
    "reuse_linear_extended": (lambda: _reuse_linear(True), (10,)),
    "reuse_relu": (_reuse_relu, (4, 32, 32)),
    "parameter_fc": (lambda: _parameter_fc(None), (128,)),
    "parameter_fc_head": (lambda: _parameter_fc(10), (128,)),
    "inside_model": (_inside, (2,)),
    "recursive_with_missing_layers": (_recursive_missing_layers, (3, 16, 16)),
    "cnn_module_list_a": (lambda: _cnn_module_list(False), (1, 10)),
    "cnn_module_list_b": (lambda: _cnn_module_list(True), (1, 10)),
    "register_parameter": (_register_parameter, (2,)),
    "multi_device": (lambda: nn.Sequential(nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 5)), (10,)),
    "tensor_kernel_size_conv": (lambda: nn.Conv1d(1, 1, kernel_size=3, padding=1), (1, 16)),
}


# --- fvcore 0.1.5: tests/test_flop_count.py ---------------------------------------------------


def _three_net() -> nn.Module:
    """ThreeNet(2, 5, 3): Conv2d(2, 5, 1), AdaptiveAvgPool2d(1), torch.flatten, Linear(5, 3), Linear(3, 1)."""
    return _Forward(lambda m, x: m.linear2(m.linear1(torch.flatten(m.pool(m.conv(x)), 1))),
                    {"conv": nn.Conv2d(2, 5, 1, 1), "pool": nn.AdaptiveAvgPool2d((1, 1)), "linear1": nn.Linear(5, 3),
                     "linear2": nn.Linear(3, 1)})


def _with(y_shape: tuple[int, ...], op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Make:
    """A two-input network as one input and a fixed second operand of the suite's shape. (``op`` looks
    ``torch.matmul`` up when it runs, as the suite's forward does: ptflops patches the name while it counts.)"""
    return lambda: _Forward(lambda m, x: op(x, m.y), buffers={"y": torch.randn(*y_shape)})


# (conv dims, in, out, kernel, stride, padding, groups, transposed, output_padding, spatial) as _test_conv runs them
_FVCORE_CONVS = {
    "conv2d": (2, 10, 3, 3, 1, 1, 1, False, 0, 15),
    "conv2d_strided": (2, 10, 6, 3, 2, 1, 1, False, 0, 20),
    "conv2d_grouped": (2, 16, 8, 5, 1, 2, 4, False, 0, 15),
    "conv2d_depthwise_like": (2, 16, 8, 3, 1, 1, 8, False, 0, 15),
    "conv1d": (1, 10, 3, 3, 1, 1, 1, False, 0, 15),
    "conv3d": (3, 10, 3, 3, 1, 1, 1, False, 0, 15),
    "conv_transpose2d": (2, 10, 3, 3, 1, 1, 1, True, 0, 15),
    "conv_transpose2d_strided": (2, 10, 3, 3, 2, 1, 1, True, 0, 15),
    "conv_transpose2d_output_padding": (2, 10, 3, 3, 3, 1, 1, True, 2, 15),
}


def _fvcore_conv(dims: int, cin: int, cout: int, k: int, s: int, p: int, g: int, transposed: bool, op: int) -> nn.Module:
    if transposed:
        return getattr(nn, f"ConvTranspose{dims}d")(cin, cout, k, s, p, groups=g, output_padding=op)
    return getattr(nn, f"Conv{dims}d")(cin, cout, k, s, p, groups=g)


def _f_batch_norm(affine: bool) -> Make:
    """test_batch_norm's handle probe: F.batch_norm on 2×2×2 per sample with running statistics of 2, and a
    weight and bias of 2 or none."""
    params = {"w": torch.rand(2), "b": torch.rand(2)} if affine else {}
    return lambda: _Forward(lambda m, x: F.batch_norm(x, m.mean, m.var, getattr(m, "w", None), getattr(m, "b", None)),
                            buffers={"mean": torch.rand(2), "var": torch.rand(2)}, params=params)


def _f_group_norm(affine: bool) -> Make:
    """test_group_norm's handle probe: F.group_norm in 2 groups on 2×2×2 per sample, with a weight and bias of 2
    or none."""
    params = {"w": torch.rand(2), "b": torch.rand(2)} if affine else {}
    return lambda: _Forward(lambda m, x: F.group_norm(x, 2, getattr(m, "w", None), getattr(m, "b", None)), params=params)


FVCORE: dict[str, tuple[Make, tuple[int, ...]]] = {
    "three_net": (_three_net, (2, 10, 10)),
    **{name: ((lambda c=c: _fvcore_conv(*c[:9])), (c[1],) + (c[9],) * c[0]) for name, c in _FVCORE_CONVS.items()},
    "linear": (lambda: nn.Linear(10, 20), (10,)),
    "linear_3d": (lambda: nn.Linear(10, 20), (5, 10)),
    "nn_linear": (lambda: nn.Linear(8, 4), (8,)),
    "custom_net": (lambda: nn.Sequential(nn.Linear(5, 4), nn.Sigmoid()), (5,)),
    "matmul": (_with((10, 100), lambda x, y: torch.matmul(x, y)), (20, 10)),
    "matmul_broadcast_1": (_with((1, 10, 100), lambda x, y: torch.matmul(x, y)), (20, 10)),
    "matmul_broadcast_4d": (_with((1, 2, 10, 100), lambda x, y: torch.matmul(x, y)), (2, 20, 10)),
    "matmul_broadcast_2d_other": (_with((10, 100), lambda x, y: torch.matmul(x, y)), (2, 20, 10)),
    "bmm": (_with((1, 2, 12), lambda x, y: torch.bmm(x, y)), (5, 2)),
    "einsum_nct_ncp_ntp": (_with((1, 5, 12), lambda x, y: torch.einsum("nct,ncp->ntp", x, y)), (5, 2)),
    "einsum_ntg_ncg_nct": (_with((1, 5, 6), lambda x, y: torch.einsum("ntg,ncg->nct", x, y)), (2, 6)),
    "einsum_nc_nchw_hw": (_with((1, 4, 2, 3), lambda x, y: torch.einsum("nc,nchw->hw", x, y)), (4,)),
    "batch_norm_1d": (lambda: nn.BatchNorm1d(10, affine=False), (10,)),
    "batch_norm_2d": (lambda: nn.BatchNorm2d(10, affine=False), (10, 5, 5)),
    "batch_norm_3d": (lambda: nn.BatchNorm3d(10, affine=False), (10, 5, 5, 5)),
    "f_batch_norm": (_f_batch_norm(True), (2, 2, 2)),
    "f_batch_norm_plain": (_f_batch_norm(False), (2, 2, 2)),
    "f_group_norm": (_f_group_norm(True), (2, 2, 2)),
    "f_group_norm_plain": (_f_group_norm(False), (2, 2, 2)),
    "upsample_bilinear": (lambda: _Forward(lambda m, x: F.interpolate(x, None, 2, "bilinear", False)), (2, 2, 2)),
    "torch_mm": (_with((4, 5), lambda x, y: torch.mm(x.squeeze(0), y)), (3, 4)),
    "torch_matmul": (_with((4, 5), lambda x, y: torch.matmul(x.squeeze(0), y)), (3, 4)),
}


# --- ptflops 0.7.5: tests/common_test.py ------------------------------------------------------


def _interpolate(**kwargs: Any) -> Make:
    return lambda: _Forward(lambda m, x: F.interpolate(x, **kwargs))


PTFLOPS: dict[str, tuple[Make, tuple[int, ...]]] = {
    "conv": (lambda: nn.Sequential(nn.Conv2d(3, 2, 3, bias=True)), (3, 224, 224)),
    "conv_t": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=(2, 2), bias=True), (3, 224, 224)),
    "fc": (lambda: nn.Sequential(nn.Linear(3, 2, bias=True)), (3,)),
    "fc_multidim": (lambda: nn.Sequential(nn.Linear(3, 2, bias=False)), (4, 5, 3)),
    "custom_linear": (lambda: _Forward(lambda m, x: m.linear(x), {"linear": nn.Linear(3, 2, bias=True)}), (3,)),
    "interpolate_size": (_interpolate(size=(20, 20), mode="bilinear", align_corners=False), (3, 10, 10)),
    "interpolate_int_size": (_interpolate(size=20, mode="bilinear"), (3, 10, 10)),
    "interpolate_scale": (_interpolate(scale_factor=2, mode="bilinear"), (3, 10, 10)),
    "ten_matmul": (lambda: _Forward(lambda m, x: x.matmul(x.t())), (10,)),
}


# --- thop 0.1.1: tests/test_conv2d.py, test_matmul.py, test_relu.py ---------------------------

THOP: dict[str, tuple[Make, tuple[int, ...]]] = {
    "conv2d_no_bias": (lambda: nn.Conv2d(3, 12, kernel_size=(5, 5), stride=1, padding=1, bias=False), (3, 32, 32)),
    "conv2d": (lambda: nn.Conv2d(3, 12, kernel_size=(5, 5), stride=1, padding=1, bias=True), (3, 32, 32)),
    # test_conv2d_random: one draw of out_c, kh, kw and in_c, ih, iw (ih, iw grown by the kernel, as it does)
    "conv2d_random": (lambda: nn.Conv2d(7, 13, kernel_size=(4, 9), bias=False), (7, 11 + 4, 6 + 9)),
    "linear": (lambda: nn.Linear(100, 200), (100,)),
    # test_matmul_case2: one draw of in_c and out_c
    "linear_random": (lambda: nn.Linear(321, 47), (321,)),
    "relu": (lambda: nn.ReLU(), (100,)),
}


#: Every model, named ``suite:model``.
PEER_MODELS: dict[str, tuple[Make, tuple[int, ...]]] = {
    **{f"torchinfo:{k}": v for k, v in TORCHINFO.items()}, **{f"fvcore:{k}": v for k, v in FVCORE.items()},
    **{f"ptflops:{k}": v for k, v in PTFLOPS.items()}, **{f"thop:{k}": v for k, v in THOP.items()},
}

#: Models a tool itself cannot count (it raises): the tool, and why.
TOOL_FAILS = {
    "torchinfo:autoencoder": {"fvcore": "its JIT trace refuses MaxUnpool2d's output_size (a tensor condition)"},
}
