"""The library's entry points that take what a user has: a model name, a Model, or a layer."""

from __future__ import annotations

import importlib
import os
import re
import sys
from types import FunctionType

from .errors import ShapeError, SpecError, TorchUnavailableError
from .inputs import Input, check_input
from .layers.base import Layer, Shape
from .layout import canonical, check_layout, order
from .models import Model, get
from .parsing import ID_DTYPES, Spec, first_leaf, input_dtype, one_input, parse_shape, read_input, read_spec_file
from .records import field, record, replace
from .report import Report
from .training import Fit, Training, largest_batch, parse_memory
from .walk import analyze

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping, Sequence
    from typing import Any


@record
class Resolved:
    """What a user named, made concrete: the network, its input, its name, and how the input was read."""

    net: Layer
    shape: Shape
    name: str | None
    notes: tuple[str, ...] = ()
    functional: Mapping[str, str] = field(default_factory=dict)  # a zoo model's layers its torch original calls as functions
    layout: str = "chw"  # how the user wrote the input ("hwc": channels last); ``shape`` is channels first
    dtype: str | None = None  # the input's element type where it is not the report's (given, or a model's own: int64 ids)

    @property
    def inputs(self) -> tuple[Input, ...]:
        """The input as :func:`~convcalc.walk.analyze` takes it where it has an element type of its own (else none)."""
        return (Input(self.shape, self.dtype),) if self.dtype else ()


def _source(net_or_name: Any) -> Any:
    """A zoo name or spec file path made a Model or Spec; anything else as it is."""
    if isinstance(net_or_name, (str, os.PathLike)):
        return _named(os.fspath(net_or_name))
    return net_or_name


def network(net_or_name: Any) -> tuple[Layer, str | None, Any, Mapping[str, str]]:
    """The network a zoo name, a spec file, a Model, a Spec or a layer spec names: (net, its name, the
    input it comes with if any, the calls its torch original makes as functions)."""
    net_or_name = _source(net_or_name)
    if isinstance(net_or_name, Model):
        return net_or_name.net, net_or_name.name, net_or_name.input_shape, net_or_name.functional
    if isinstance(net_or_name, Spec):
        return net_or_name.net, net_or_name.name, net_or_name.input_text, {}
    return net_or_name, None, None, {}


def resolve(net_or_name: Any, input_shape: Shape | str | Input | None = None, layout: str | None = None) -> Resolved:
    """The network and input for a zoo name, a spec file, a Model, a Spec or a layer spec.

    ``layout`` says how the input is written: ``"chw"`` (channels first) or ``"hwc"`` (channels
    last); a spec's ``input … hwc`` line, and a network whose first layer is a channels-last
    framework's (Keras), say it too. Otherwise the input, text or sizes alike, is read by
    :func:`~convcalc.parsing.read_input`: H×W×C only where it is the only reading the network fits
    (with a note), an error where both fit with different answers. A zoo model's own input is
    channels first. ``Resolved.layout`` is how the report shows shapes.

    ``input_shape`` may be an :class:`~convcalc.inputs.Input`: its dtype is ``Resolved.dtype``, checked against
    the network (:func:`~convcalc.parsing.input_dtype`: ids for an Embedding first, real values otherwise);
    without one, a zoo model's own element type holds (``lstm_lm``'s int64 ids, whatever their number).
    """
    layout = check_layout(layout)
    source = _source(net_or_name)
    net, name, default, functional = network(source)
    sizes, typed = one_input(input_shape)  # (the shape or text; the Input, if one was given)
    if typed is None and isinstance(source, Model) and source.input_dtype is not None:
        typed = source.input
    dtype = input_dtype(net, typed)
    if sizes is None and isinstance(source, Model):  # the zoo's inputs are channels first by definition
        return Resolved(net, check_input(default), name, (), functional, layout or "chw", dtype)
    given: Shape | str | None = sizes if sizes is not None else default
    if given is None:
        what = f"{name} gives" if name else f"{type(net).__name__} has"
        raise ShapeError(f"{what} no input shape; give one, e.g. 3x224x224 (or an 'input' line in a spec file)")
    declared = layout or (source.layout if isinstance(source, Spec) else None)
    keras = declared is None and _channels_last(net)
    if declared is not None or keras:
        shape = canonical(check_input(parse_shape(given) if isinstance(given, str) else given), declared or "hwc")
        notes: tuple[str, ...] = ()
        if keras and len(shape) > 1:
            text = given.strip() if isinstance(given, str) else "x".join(map(str, given))
            notes = (f"read {text} as {order('hwc', len(shape))}, channels last as Keras writes it; shapes are shown so",)
        return Resolved(net, shape, name, notes, functional, declared or "hwc", dtype)
    shape, note, read = read_input(net, given)
    return Resolved(net, shape, name, (note,) if note else (), functional, read, dtype)


def _channels_last(net: Layer) -> bool:
    """Whether the network starts with a layer of a channels-last framework (Keras): its shapes are H×W×C."""
    leaf = first_leaf(net)
    return leaf is not None and type(leaf).channels_last


def _named(text: str) -> Model | Spec:
    """A zoo model by name, else a spec file by path."""
    from .models import registry

    if text in registry.list_models():  # every name: no glob to match
        return get(text)
    if os.path.exists(text) or text.endswith((".txt", ".spec")):
        return read_spec_file(text)
    registry.entry(text)  # raises UnknownModelError with close names
    raise AssertionError("unreachable")  # pragma: no cover


def summary(net_or_name: Any, input_shape: Shape | str | Input | None = None, batch: int = 1, dtype: str = "float32",
            depth: int | None = None, layout: str | None = None, mode: str = "eval", train: bool = False,
            optimizer: str = "adam", amp: str | None = None, device: str = "cpu", freeze: Sequence[str] = (),
            fit: str | int | None = None) -> Report:
    """Per-layer shapes, parameters, MACs, FLOPs, activation memory and receptive fields.

    ``net_or_name`` is a zoo name (``"alexnet"``), a :class:`Model`, any layer
    spec, or a torch.nn.Module (then counted by :func:`from_torch`);
    ``input_shape`` is per sample (``(3, 224, 224)``, ``"3x224x224"`` or a :class:`~convcalc.inputs.Input`, whose
    dtype sets the input's bytes), defaulting to the model's own; a torch module also takes several inputs
    (:func:`from_torch`). ``layout`` says how it is written: ``"chw"`` (channels first,
    as torch) or ``"hwc"`` (channels last, as Keras and CS231n); without it, H×W×C is
    read only where it is the only reading the network fits (:func:`resolve`). The
    report's fields are channels first; with ``"hwc"`` it shows its shapes channels last.
    With ``depth``, rows nested deeper are merged into their block (:meth:`Report.at_depth`).
    ``mode="train"`` runs a torch module in train mode (:func:`from_torch`); a convcalc network is counted as at
    inference, whatever the mode, so ``"train"`` is refused for one rather than ignored.

    ``train=True`` counts a training step too (:mod:`convcalc.training`): each row's backward FLOPs and the bytes
    autograd saves for it; the gradients, the ``optimizer``'s state (sgd, momentum, adam, adamw, rmsprop, adagrad) and
    the peak memory of the step. ``amp`` (``"bfloat16"``, ``"float16"``): activations in that dtype, parameters in
    ``dtype``. ``device`` (``"cpu"``, ``"cuda"``): whose kernels run it. ``freeze``: globs over layer paths whose
    parameters are frozen (as layers marked with :func:`convcalc.frozen`). ``fit`` (``"24GiB"``): also find the
    largest batch whose peak fits that memory (:func:`fit`), in ``report.fit``.
    """
    training = _training(train, optimizer, amp, device, freeze)
    if is_torch_module(net_or_name):
        if input_shape is None:
            raise ShapeError(f"{type(net_or_name).__name__} is a torch module: give input_shape, e.g. (3, 224, 224)")
        if freeze:
            raise SpecError(f"freeze names layers of a convcalc network; freeze a torch module's parameters with "
                            f"requires_grad_(False) ({type(net_or_name).__name__}: from_torch reads them)")
        report = _bridge("capture").from_torch(net_or_name, input_shape, batch=batch, dtype=dtype, layout=layout, mode=mode,
                                               training=training)
        if fit is not None:
            report = replace(report, fit=_fit_module(net_or_name, input_shape, parse_memory(fit), dtype, layout, mode, training))
    else:
        if mode != "eval":
            _only_eval(net_or_name, mode)
        r = resolve(net_or_name, input_shape, layout)
        try:
            report = analyze(r.net, r.shape, batch=batch, dtype=dtype, model=r.name, notes=r.notes, functional=r.functional,
                             layout=r.layout, inputs=r.inputs, training=training)
        except ShapeError as error:
            raise _other_layout_fits(error, r, input_shape, layout) from None
        if fit is not None:
            report = replace(report, fit=_fit(r, parse_memory(fit), dtype, training))
    return report if depth is None else report.at_depth(depth)


def _training(train: Any, optimizer: str, amp: str | None, device: str, freeze: Sequence[str]) -> Training | None:
    """The training setup ``train=True`` asks for; None for inference (where training's options are refused)."""
    if not isinstance(train, bool):
        raise SpecError(f"train must be True or False, got {train!r}")
    if train:
        return Training(optimizer=optimizer, amp=amp, device=device, freeze=tuple([freeze] if isinstance(freeze, str) else freeze))
    given = [name for name, value, default in (("optimizer", optimizer, "adam"), ("amp", amp, None), ("freeze", tuple(freeze), ()))
             if value != default]
    if given:
        raise SpecError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for a training step; add train=True (--train)")
    return None


def _fit(r: Resolved, memory: int, dtype: str, training: Training | None) -> Fit:
    """The largest batch whose peak (of a training step, or of inference) fits ``memory``."""
    def peak(batch: int) -> int:
        report = analyze(r.net, r.shape, batch=batch, dtype=dtype, inputs=r.inputs, training=training)
        t = report.totals
        value = t.peak_train_bytes if training is not None else t.inference_peak_bytes
        assert value is not None
        return value

    return largest_batch(peak, memory, training is not None)


def _fit_module(module: Any, input_shape: Any, memory: int, dtype: str, layout: str | None, mode: str,
                training: Training | None) -> Fit:
    """:func:`_fit` for a torch module: each batch tried is one pass of :func:`from_torch`."""
    capture = _bridge("capture")

    def peak(batch: int) -> int:
        t = capture.from_torch(module, input_shape, batch=batch, dtype=dtype, layout=layout, mode=mode, training=training).totals
        value = t.peak_train_bytes if training is not None else t.inference_peak_bytes
        if value is None:
            raise SpecError(f"{type(module).__name__}: its output was not followed, so its peak memory is not known")
        return int(value)

    return largest_batch(peak, memory, training is not None)


def fit(net_or_name: Any, memory: str | int = "24GiB", train: bool = True, input_shape: Shape | str | Input | None = None,
        dtype: str = "float32", layout: str | None = None, optimizer: str = "adam", amp: str | None = None,
        device: str = "cpu", freeze: Sequence[str] = ()) -> Fit:
    """The largest batch of ``net_or_name`` whose peak memory fits ``memory`` (``"24GiB"``, ``"16GB"``, bytes):
    of a training step (``train=True``: :mod:`convcalc.training`'s peak) or of inference (activations live at once,
    parameters and buffers). The :class:`~convcalc.training.Fit` gives the peak at that batch and at the next."""
    training = _training(train, optimizer, amp, device, freeze)
    if is_torch_module(net_or_name):
        if input_shape is None:
            raise ShapeError(f"{type(net_or_name).__name__} is a torch module: give input_shape, e.g. (3, 224, 224)")
        return _fit_module(net_or_name, input_shape, parse_memory(memory), dtype, layout, "eval", training)
    return _fit(resolve(net_or_name, input_shape, layout), parse_memory(memory), dtype, training)


def _only_eval(net_or_name: Any, mode: Any) -> None:
    """The one-line refusal of a mode other than eval for a convcalc network: it has no train-mode branches to run."""
    if mode != "train":
        raise SpecError(f"mode must be 'eval' or 'train' (the mode a torch module runs in), got {mode!r}")
    source = _source(net_or_name)
    what = repr(source.name) if isinstance(source, (Model, Spec)) and source.name else "a convcalc network"
    raise SpecError(f"mode 'train' runs a torch module in train mode; {what} is a convcalc network, counted as at inference "
                    "(dropout and BatchNorm as in eval; no auxiliary heads): its figures are the same in either mode. "
                    "Summarize the torch module (package.module:Name) to run its train-mode branches")


def _other_layout_fits(error: ShapeError, r: Resolved, input_shape: Any, layout: str | None) -> ShapeError:
    """The error of a layout the user gave, saying so where the other layout fits (a pool then
    ``nn.Conv2d(3, …)`` on ``32x32x3`` with ``--layout chw``: as H×W×C it fits), so that no hint
    points the wrong way."""
    from .layout import canonical, shown

    if layout is None or input_shape is None or len(r.shape) < 2:
        return error
    other = "hwc" if r.layout == "chw" else "chw"
    written = shown(r.shape, r.layout)  # the sizes as the user wrote them
    try:
        analyze(r.net, canonical(written, other))
    except ShapeError:
        return error
    flag = f"--layout {other} (layout=\"{other}\")"
    return ShapeError(f"{error}; read as {order(other, len(written))} instead, the input fits: {flag}")


def _bridge(part: str) -> Any:
    """Import a torch-bridge module, or say clearly how to get torch."""
    try:
        return importlib.import_module(f"convcalc.torch_bridge.{part}")
    except ModuleNotFoundError as error:
        if error.name != "torch":
            raise
        raise TorchUnavailableError(
            "this needs PyTorch, which is not installed: pip install 'convcalc[torch]' "
            "(pin the build your machine needs, e.g. torch==2.13.0 for CPU)"
        ) from None


def to_torch(net_or_name: Any, input_shape: Shape | str | Input | None = None, layout: str | None = None) -> Any:
    """A real torch.nn.Module for a spec or zoo name; module paths equal the report's row paths.
    ``input_shape`` (read as :func:`resolve` reads it, ``layout`` as there) fills in the sizes a
    spec leaves to its input; without one and without a default, every size must be given."""
    net, _, default, _ = network(net_or_name)
    shape = None if input_shape is None and default is None else resolve(net_or_name, input_shape, layout).shape
    return _bridge("build").to_torch(net, shape)


def verify(net_or_name: Any, input_shape: Shape | str | Input | None = None, device: str = "cpu", batch: int = 1,
           layout: str | None = None) -> Any:
    """Run the network in torch on ``device`` (cpu, cuda, cuda:N, meta) and compare every row: a VerifyReport.
    ``input_shape`` and ``layout`` are read as :func:`summary` reads them: an :class:`~convcalc.inputs.Input` of
    integer ids (``"int64"``, ``"int32"``) is fed as such where an Embedding comes first (a zoo model's own, for
    ``lstm_lm``); a real-valued input runs in float32."""
    if is_torch_module(net_or_name):
        raise SpecError(f"verify holds a convcalc network to torch; {type(net_or_name).__name__} is already a torch "
                        "module (summarize it: its rows come from torch itself)")
    r = resolve(net_or_name, input_shape, layout)  # an unknown name or a bad shape is reported before torch loads
    if r.dtype not in (None, "float32", "float", *ID_DTYPES):
        raise SpecError(f"verify runs a convcalc network in float32; input {r.inputs[0]} has another dtype (count it with summary)")
    return _bridge("verify").verify(net_or_name, input_shape, device=device, batch=batch, layout=layout)


def from_torch(module: Any, input_shape: Any, batch: int | None = 1, dtype: str = "float32",
               layout: str | None = None, mode: str = "eval", train: bool = False, optimizer: str = "adam",
               device: str = "cpu") -> Report:
    """A Report for any torch.nn.Module, from one forward pass on the meta device (no memory used).

    ``input_shape``: one shape (``(3, 224, 224)``, ``"3x224x224"``), an :class:`~convcalc.inputs.Input`
    (``cc.Input((128,), dtype="int64")``: token ids), a list of those (several positional inputs) or a dict
    name -> one of those (keyword inputs). ``batch=None``: the inputs are given whole, no batch dim is added.
    ``mode="train"`` runs the module in train mode (auxiliary heads, active dropout, batch statistics).
    ``layout`` says how ``input_shape`` is written (``"chw"`` or ``"hwc"``); without it the module
    runs on it channels first, and channels last only where that is the reading the module takes
    (:func:`convcalc.torch_bridge.capture.from_torch` says when). ``train=True`` counts a training step too (the
    module in train mode, its parameters trained where they require gradients): what autograd saves, as
    ``saved_tensors_hooks`` sees it in the pass, each row's gradients, the ``optimizer``'s state and the peak."""
    training = _training(train, optimizer, None, device, ())
    return _bridge("capture").from_torch(module, input_shape, batch=batch, dtype=dtype, layout=layout, mode=mode,
                                         training=training)


def is_torch_module(obj: Any) -> bool:
    """True for a torch.nn.Module, without importing torch (if torch is not loaded, it cannot be one)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


_REFERENCE = re.compile(r"(?P<module>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):(?P<name>[A-Za-z_]\w*)")


def load(reference: str) -> Any:
    """The object ``package.module:Name`` names: a class is instantiated with no arguments, a
    factory called; the result is a torch module, a convcalc layer or a Model.

    The module is imported as Python imports it (from the current directory too); nothing
    else in the text is run.
    """
    match = _REFERENCE.fullmatch(reference)
    if not match:
        raise SpecError(f"{reference!r} is not a model name or package.module:Name")
    module_name, name = match["module"], match["name"]
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as error:  # the user's module failed to import: say so in one line
        raise SpecError(f"cannot import {module_name} for {reference!r}: {type(error).__name__}: {error}") from None
    finally:
        sys.path.remove(os.getcwd())
    try:
        target = getattr(module, name)
    except AttributeError:
        raise SpecError(f"{module_name} has no {name!r}") from None
    if not isinstance(target, (type, FunctionType)):
        return target  # an instance (model = Net() in the module) is used as it is
    try:
        return target()
    except (Exception, SystemExit) as error:  # the user's constructor failed: say so in one line
        raise SpecError(f"{reference}() failed: {type(error).__name__}: {error}") from None
