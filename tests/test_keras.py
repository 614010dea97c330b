"""Keras' layers and Keras model text, held to Keras itself (keras 3, ``KERAS_BACKEND=torch``).

Every shape and parameter count here comes from Keras (``output_shape``, ``count_params``, its
trainable weights, its layer names) or from the issue's worked answers; the torch modules the Keras
layers are built as are held to Keras' own outputs numerically. Shapes inside convcalc are channels
first; Keras' are channels last (``layout.canonical`` / ``layout.shown`` turn one into the other).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_layers import CASES as LAYER_CASES  # each layer type's hand-derived case

import convcalc as cc
from convcalc.errors import ConvCalcError, SpecError
from convcalc.keras_text import keras_model, snake_case
from convcalc.layout import shown
from convcalc.parsing import parse_layer, parse_spec

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
layers = keras.layers

EXAMPLES = settings(max_examples=40, deadline=None)


def keras_figures(layer: object, shape_hwc: tuple[int, ...]) -> tuple[tuple[int, ...], int, int] | None:
    """(output shape per sample, channels last; count_params; trainable parameters) as Keras gives them, or
    None where Keras refuses the layer on that input."""
    try:
        model = keras.Sequential([keras.Input(shape_hwc), layer])
    except ValueError:
        return None
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return tuple(model.output_shape[1:]), model.count_params(), trainable


def ours(layer: cc.Layer, shape_hwc: tuple[int, ...]) -> tuple[tuple[int, ...], int, int]:
    report = cc.summary(layer, shape_hwc, layout="hwc")
    return shown(report.output_shape, "hwc"), report.totals.params, report.totals.trainable_params


def agree(ours_layer: object, keras_layer: object, shape_hwc: tuple[int, ...]) -> None:
    """convcalc's figures equal Keras', or both refuse the configuration."""
    theirs = keras_figures(keras_layer, shape_hwc)
    if theirs is None or any(d is None or d < 1 for d in theirs[0]):  # Keras refuses it, or gives an empty tensor
        with pytest.raises(ConvCalcError):
            if isinstance(ours_layer, Exception):
                raise ours_layer
            ours(ours_layer, shape_hwc)  # type: ignore[arg-type]  # (a layer when the constructor accepted it)
        return
    assert not isinstance(ours_layer, Exception), (ours_layer, theirs)
    assert ours(ours_layer, shape_hwc) == theirs  # type: ignore[arg-type]


def both(name: str, *args: object, **kwargs: object) -> tuple[object, object]:
    """convcalc's and Keras' layer of the same name and arguments (convcalc's error where it refuses them)."""
    try:
        mine: object = getattr(cc, name)(*args, **kwargs)
    except SpecError as error:
        mine = error
    try:
        theirs: object = getattr(layers, name)(*args, **kwargs)
    except ValueError as error:
        theirs = error
    return mine, theirs


def check(name: str, shape: tuple[int, ...], *args: object, **kwargs: object) -> None:
    mine, theirs = both(name, *args, **kwargs)
    if isinstance(theirs, Exception):
        assert isinstance(mine, Exception), f"Keras refuses {name}{args}{kwargs} ({theirs}); convcalc accepts it"
        return
    agree(mine, theirs, shape)


sizes = st.integers(1, 12)


@EXAMPLES
@given(nd=st.integers(1, 3), data=st.data())
def test_convolutions_match_keras(nd: int, data: st.DataObject) -> None:
    spatial = tuple(data.draw(st.lists(st.integers(1, 9 if nd == 3 else 16), min_size=nd, max_size=nd)))
    groups = data.draw(st.sampled_from([1, 1, 2]))
    channels = data.draw(st.integers(1, 3)) * groups
    kernel = tuple(data.draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    strides = tuple(data.draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    dilation = data.draw(st.integers(1, 2))
    padding = data.draw(st.sampled_from(["valid", "same"] + (["causal"] if nd == 1 else [])))
    check(f"Conv{nd}D", (*spatial, channels), data.draw(st.integers(1, 3)) * groups, kernel, strides=strides,
          padding=padding, dilation_rate=dilation, groups=groups, use_bias=data.draw(st.booleans()))


@EXAMPLES
@given(h=sizes, w=sizes, c=st.integers(1, 4), k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 2),
       m=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]), bias=st.booleans(), filters=st.integers(1, 5))
def test_depthwise_and_separable_match_keras(h: int, w: int, c: int, k: int, s: int, d: int, m: int, padding: str,
                                             bias: bool, filters: int) -> None:
    check("DepthwiseConv2D", (h, w, c), k, strides=s, padding=padding, depth_multiplier=m, dilation_rate=d, use_bias=bias)
    check("SeparableConv2D", (h, w, c), filters, k, strides=s, padding=padding, depth_multiplier=m, dilation_rate=d,
          use_bias=bias)


@EXAMPLES
@given(nd=st.integers(1, 3), data=st.data())
def test_transposed_convolutions_match_keras(nd: int, data: st.DataObject) -> None:
    spatial = tuple(data.draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    kernel = tuple(data.draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd)))
    strides = tuple(data.draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    output_padding = data.draw(st.one_of(st.none(), st.lists(st.integers(0, 2), min_size=nd, max_size=nd).map(tuple)))
    check(f"Conv{nd}DTranspose", (*spatial, data.draw(st.integers(1, 3))), data.draw(st.integers(1, 4)), kernel,
          strides=strides, padding=data.draw(st.sampled_from(["valid", "same"])), output_padding=output_padding,
          use_bias=data.draw(st.booleans()))


@EXAMPLES
@given(nd=st.integers(1, 3), data=st.data())
def test_pools_match_keras(nd: int, data: st.DataObject) -> None:
    spatial = tuple(data.draw(st.lists(st.integers(1, 12), min_size=nd, max_size=nd)))
    pool = tuple(data.draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    strides = data.draw(st.one_of(st.none(), st.lists(st.integers(1, 4), min_size=nd, max_size=nd).map(tuple)))
    padding = data.draw(st.sampled_from(["valid", "same"]))
    kind = data.draw(st.sampled_from(["MaxPooling", "AveragePooling"]))
    check(f"{kind}{nd}D", (*spatial, 2), pool, strides=strides, padding=padding)
    check(f"Global{kind}{nd}D", (*spatial, 3), keepdims=data.draw(st.booleans()))


@EXAMPLES
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple), units=st.integers(1, 7), bias=st.booleans(),
       center=st.booleans(), scale=st.booleans())
def test_dense_and_batchnorm_match_keras(shape: tuple[int, ...], units: int, bias: bool, center: bool, scale: bool) -> None:
    check("Dense", shape, units, use_bias=bias)  # on a rank > 1 input: the last axis, at every position
    check("BatchNormalization", shape, center=center, scale=scale)  # 4·C, of which the moving statistics non-trainable


@EXAMPLES
@given(nd=st.integers(1, 3), data=st.data())
def test_zero_padding_matches_keras(nd: int, data: st.DataObject) -> None:
    spatial = tuple(data.draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    pair = st.tuples(st.integers(0, 3), st.integers(0, 3))
    forms = [st.integers(0, 3)] + ([pair] if nd == 1 else [st.lists(st.integers(0, 3), min_size=nd, max_size=nd).map(tuple),
                                                          st.lists(pair, min_size=nd, max_size=nd).map(tuple)])
    check(f"ZeroPadding{nd}D", (*spatial, 2), data.draw(st.one_of(*forms)))


# --- the questions ------------------------------------------------------------------------


def test_conv2d_question() -> None:
    """Conv2D(32, (7,7), strides=2) on 63x63x16: 29×29×32 and 25,120 parameters (Keras says so too)."""
    layer = parse_layer("Conv2D(32, (7,7), strides=2)")
    assert ours(layer, (63, 63, 16))[:2] == ((29, 29, 32), 25_120)
    assert keras_figures(layers.Conv2D(32, (7, 7), strides=2), (63, 63, 16))[:2] == ((29, 29, 32), 25_120)


def test_tensorflow_same_question() -> None:
    """layers.Conv2D(100, 3, strides=2, padding='same') on 200x200x3: 100×100×100 and 2,800 parameters."""
    layer = parse_layer("layers.Conv2D(100, 3, strides=2, padding='same')")
    assert ours(layer, (200, 200, 3))[:2] == ((100, 100, 100), 2_800)
    assert keras_figures(layers.Conv2D(100, 3, strides=2, padding="same"), (200, 200, 3))[:2] == ((100, 100, 100), 2_800)
    working = cc.explain(layer, (3, 200, 200), layout="chw")
    assert "total = max((100 − 1)·2 + 3 − 200, 0) = 1: 0 before, 1 after" in working  # the odd pixel after


# keras.io's "Simple MNIST convnet" as the page writes it (examples/keras_mnist.py), and the compile line after it
MNIST = (Path(__file__).resolve().parents[1] / "examples" / "keras_mnist.py").read_text(encoding="utf-8") + (
    'model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])\n')


def test_keras_mnist_convnet() -> None:
    """keras.io's "Simple MNIST convnet", its model code as the page writes it (with num_classes and input_shape
    named): Keras counts 34,826 parameters; so does its text here."""
    keras.backend.clear_session()
    theirs = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    assert theirs.count_params() == 34_826
    spec = parse_spec(MNIST)
    assert (spec.input_text, spec.layout) == ("28x28x1", "hwc")
    report = cc.summary(spec.net, spec.input_text, layout=spec.layout)
    assert report.totals.params == report.totals.trainable_params == theirs.count_params()
    assert shown(report.output_shape, "hwc") == tuple(theirs.output_shape[1:])
    rows = {r.path: r for r in report.rows}
    for layer in theirs.layers:  # Keras' names are the rows' paths, with Keras' output shapes and parameters
        row = rows[layer.name]
        assert shown(row.output_shape, "hwc") == tuple(layer.output.shape[1:]), layer.name
        assert row.params == layer.count_params(), layer.name
    assert [r.path for r in report.rows] == ["conv2d", "conv2d_relu", "max_pooling2d", "conv2d_1", "conv2d_1_relu",
                                             "max_pooling2d_1", "flatten", "dropout", "dense", "dense_softmax"]


def test_add_lines_and_names_match_keras() -> None:
    """model.add(...) lines, input_shape= on the first layer, name= honoured, Keras' default names otherwise."""
    text = """
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPool2D, BatchNormalization, Dense, GlobalAveragePooling2D
model = Sequential()
model.add(Conv2D(16, 3, padding='same', activation='relu', input_shape=(32, 32, 3)))
model.add(BatchNormalization())
model.add(Conv2D(16, 3, strides=2, padding='same', kernel_regularizer=keras.regularizers.l2(1e-4)))
model.add(MaxPool2D())
model.add(tf.keras.layers.SeparableConv2D(8, 3, name="sep"))
model.add(GlobalAveragePooling2D())
model.add(Dense(10, activation="softmax"))
model.summary()
"""
    spec = parse_spec(text)
    assert (spec.input_text, spec.layout) == ("32x32x3", "hwc")
    report = cc.summary(spec.net, (32, 32, 3), layout="hwc")
    keras.backend.clear_session()
    theirs = keras.Sequential([
        keras.Input((32, 32, 3)), layers.Conv2D(16, 3, padding="same", activation="relu"), layers.BatchNormalization(),
        layers.Conv2D(16, 3, strides=2, padding="same"), layers.MaxPool2D(), layers.SeparableConv2D(8, 3, name="sep"),
        layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")])
    names = [r.path for r in report.rows]
    assert [n for n in names if not n.endswith(("_relu", "_softmax"))] == [layer.name for layer in theirs.layers]
    trainable = sum(int(np.prod(w.shape)) for w in theirs.trainable_weights)
    assert (report.totals.params, report.totals.trainable_params) == (theirs.count_params(), trainable)
    assert report.keras_params() == {"total": theirs.count_params(), "trainable": trainable,
                                      "non_trainable": theirs.count_params() - trainable}  # no double counting


def test_a_layer_call_keeps_what_it_says_beside_the_layer() -> None:
    from convcalc.keras_text import keras_call

    found = keras_call("layers.Conv2D(32, (3,3), activation='relu', input_shape=(28,28,1), name='c1')")
    assert found is not None
    assert (found.layer, found.activation, found.input_text, found.name) == (cc.Conv2D(32, 3), cc.ReLU(), "28x28x1", "c1")


def test_one_layer_calls() -> None:
    assert parse_layer("keras.layers.Conv2D(8, 3)") == cc.Conv2D(8, 3)
    assert parse_layer("tf.keras.layers.MaxPool2D((3, 3), strides=2)") == cc.MaxPooling2D(3, 2)
    assert parse_layer("model.add(Conv2D(32, (3,3), activation='relu', input_shape=(28,28,1)))") == cc.Conv2D(32, 3)
    assert parse_layer("Dropout(rate=0.3)") == cc.Dropout(0.3)
    assert parse_layer("layers.Dropout(0.3)") == cc.Dropout(0.3)
    assert parse_layer("Activation('softmax')") == cc.Softmax(dim=1)
    assert parse_layer("layers.ReLU(max_value=6)") == cc.ReLU6()
    assert parse_layer("nn.Conv2d(3, 8, 3)") == cc.Conv2d(3, 8, 3)  # torch's text is still torch's


@pytest.mark.parametrize("text, message", [
    ("Conv2D(32, (3,3), trainable=False)", "trainable=False is not read"),
    ("Conv2D(32, (3,3), kernal_size=3)", "has no argument 'kernal_size'"),
    ("layers.Conv2DTranspos(8, 3)", "did you mean Conv2DTranspose?"),
    ("Activation('elu')", "activation 'elu' is not one convcalc counts"),
    ("keras.Input(shape=(None, None, 3))", "None, any size, cannot be counted"),
    ("Conv2D(8, 3, strides=2, dilation_rate=2)", "Keras refuses strides > 1 together with dilation_rate > 1"),
    ("Conv2D(8, 3, data_format='channels_first')", "channels last"),
])
def test_bad_layer_calls_say_why(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=None) as error:
        parse_layer(text)
    assert message in str(error.value)


@pytest.mark.parametrize("text, line, message", [
    ("import keras\nmodel = keras.Sequential([layers.Dense(3)])\nmodel.fit(x, y)", 3, "model.fit(…) is not read"),
    ("import torch\nmodel = keras.Sequential([layers.Dense(3)])", 1, "only imports of keras, tensorflow and numpy"),
    ("inputs = keras.Input((8,))\nx = layers.Dense(3)(inputs)", 1, "the functional API"),
    ("model = keras.Sequential([layers.Dense(3)])\nx = layers.Dense(3)(x)", 2, "the functional API"),
    ("model = keras.Sequential()\nmodel.add(layers.Dense(3))\nmodel.add(keras.Input((4,)))", 3, "must come before"),
    ("model = keras.Sequential([layers.Dense(3, name='a'), layers.Dense(3, name='a')])", 1, "'a' is used twice"),
    ("model = keras.Sequential([\n  layers.Dense(3),\n  layers.Conv2D(8, padding='full', kernel_size=3),\n])", 3,
     "padding must be 'valid' or 'same'"),
    ("model = keras.Sequential([layers.Dense(3)])\nmodel.compile(optimizer=keras.optimizers.Adam(1e-3))", 2, "literals"),
])
def test_bad_models_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_spec(text)
    assert error.value.line == line and message in str(error.value), str(error.value)


def test_torch_specs_are_not_keras() -> None:
    assert keras_model("input 1x28x28\nconv1 = nn.Conv2d(1, 6, 5)\nF.relu(.)\nnn.Flatten()") is None
    assert keras_model("conv3-64 maxpool FC-10") is None


def test_a_spec_file_of_keras_calls() -> None:
    """One Keras call per line, the input as a spec file's input line (channels last for Keras)."""
    spec = parse_spec("input 28x28x1\nConv2D(6, 5, padding='same', activation='tanh')\nAvgPool2D(2)\nFlatten()\nDense(10)")
    assert (spec.input_text, spec.layout) == ("28x28x1", "hwc")
    report = cc.summary(spec.net, (28, 28, 1), layout="hwc")
    assert [r.path for r in report.rows] == ["conv2d", "conv2d_tanh", "average_pooling2d", "flatten", "dense"]
    # Keras: conv 5·5·1·6 + 6 = 156; dense 14·14·6·10 + 10 = 11,770
    assert report.totals.params == 156 + 11_770


def test_snake_case_is_keras_naming() -> None:
    for name in ("Conv2D", "MaxPooling2D", "BatchNormalization", "ReLU", "Conv2DTranspose", "GlobalAveragePooling2D",
                 "DepthwiseConv2D", "ZeroPadding2D", "SpatialDropout2D", "LeakyReLU"):
        keras.backend.clear_session()
        layer = getattr(layers, name)(**({"rate": 0.1} if "Dropout" in name else {"filters": 1, "kernel_size": 1}
                                         if name in ("Conv2D", "Conv2DTranspose") else {"kernel_size": 1}
                                         if name == "DepthwiseConv2D" else {}))
        assert snake_case(name) == layer.name


def test_python_classes_refuse_a_fused_activation() -> None:
    with pytest.raises(SpecError, match="counted as a layer of its own"):
        cc.Conv2D(8, 3, activation="relu")


@pytest.mark.parametrize("case", [c for c in LAYER_CASES if c[0].startswith("keras-")], ids=lambda c: c[0])
def test_every_format_and_profile_takes_keras_layers(case: tuple) -> None:
    """The JSON (with every other tool's profile) and the table of each Keras layer type."""
    report = cc.summary(case[1], case[2], layout="chw")
    assert report.to_dict()["profiles"]["paper"] == report.totals.macs
    assert case[1].name in str(report)


# --- the torch modules do what Keras does --------------------------------------------------------


def _keras_run(layer: object, x: np.ndarray) -> np.ndarray:
    out = layer(torch.from_numpy(x))
    return out.detach().cpu().numpy() if hasattr(out, "detach") else np.asarray(out)


@pytest.mark.parametrize("make", [
    lambda: (cc.MaxPooling2D(3, strides=2, padding="same"), layers.MaxPooling2D(3, strides=2, padding="same")),
    lambda: (cc.AveragePooling2D(3, strides=1, padding="same"), layers.AveragePooling2D(3, strides=1, padding="same")),
    lambda: (cc.AveragePooling1D(2, padding="same"), layers.AveragePooling1D(2, padding="same")),
    lambda: (cc.GlobalAveragePooling2D(), layers.GlobalAveragePooling2D()),
    lambda: (cc.GlobalMaxPooling2D(keepdims=True), layers.GlobalMaxPooling2D(keepdims=True)),
    lambda: (cc.ZeroPadding2D(((1, 2), (0, 3))), layers.ZeroPadding2D(((1, 2), (0, 3)))),
])
def test_parameter_free_modules_compute_what_keras_does(make) -> None:  # noqa: ANN001
    ours_layer, theirs = make()
    rng = np.random.default_rng(0)
    shape_hwc = (7, 8, 3) if "1D" not in type(ours_layer).__name__ else (7, 3)
    x = rng.standard_normal((2, *shape_hwc)).astype("float32")
    expected = _keras_run(theirs, x)
    module = cc.to_torch(ours_layer, shape_hwc, layout="hwc")
    got = module(torch.from_numpy(np.moveaxis(x, -1, 1))).detach().numpy()
    got = np.moveaxis(got, 1, -1) if got.ndim > 2 else got
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_average_pool_same_averages_the_real_elements() -> None:
    """TensorFlow's avg_pool with 'SAME' divides each window's sum by its real elements (tf.nn.avg_pool's docs);
    with uneven padding (3 at stride 2 on 7×8: O = 4 each way; height total 3·2 + 3 − 7 = 2, 1 before and 1 after;
    width total 3·2 + 3 − 8 = 1, 0 before and 1 after) Keras' torch
    backend pads by replicating the edge instead, so the reference here is the rule itself, window by window."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 3, 7, 8)).astype("float32")
    layer = cc.AveragePooling2D(3, strides=2, padding="same")
    got = cc.to_torch(layer, (3, 7, 8), layout="chw")(torch.from_numpy(x)).detach().numpy()
    (top, _), (left, _) = layer.pads((7, 8))
    expected = np.zeros((1, 3, 4, 4), dtype="float64")
    for i in range(4):
        for j in range(4):
            rows = [r for r in range(i * 2 - top, i * 2 - top + 3) if 0 <= r < 7]
            cols = [c for c in range(j * 2 - left, j * 2 - left + 3) if 0 <= c < 8]
            expected[0, :, i, j] = x[0][:, rows][:, :, cols].mean(axis=(1, 2))
    assert (top, left) == (1, 0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", [
    ("Conv2D", (4, 3), {"strides": 2, "padding": "same"}),
    ("Conv2D", (4, (2, 3)), {"strides": (2, 3), "padding": "same"}),
    ("Conv1D", (4, 3), {"padding": "causal", "dilation_rate": 2}),
    ("DepthwiseConv2D", (3,), {"strides": 2, "padding": "same", "depth_multiplier": 2}),
])
def test_convs_compute_what_keras_does(name: str, args: tuple, kwargs: dict) -> None:
    """TensorFlow's uneven 'same' (and 'causal') padding: the torch module gives Keras' numbers."""
    theirs = getattr(layers, name)(*args, **kwargs)
    shape_hwc = (9, 3) if name == "Conv1D" else (9, 10, 3)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, *shape_hwc)).astype("float32")
    expected = _keras_run(theirs, x)
    module = cc.to_torch(getattr(cc, name)(*args, **kwargs), shape_hwc, layout="hwc")
    conv = next(m for m in module.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)))
    kernel = torch.from_numpy(np.asarray(theirs.kernel.detach().cpu() if hasattr(theirs.kernel, "detach") else theirs.kernel))
    if name == "DepthwiseConv2D":  # Keras (kh, kw, C, M) -> torch (C·M, 1, kh, kw), channel-major
        kernel = kernel.permute(2, 3, 0, 1).reshape(conv.weight.shape)
    else:  # (k…, Cin, Cout) -> (Cout, Cin, k…)
        kernel = kernel.permute(-1, -2, *range(kernel.dim() - 2))
    with torch.no_grad():
        conv.weight.copy_(kernel)
        conv.bias.zero_()
    got = module(torch.from_numpy(np.moveaxis(x, -1, 1))).detach().numpy()
    np.testing.assert_allclose(np.moveaxis(got, 1, -1), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer, shape", [
    (cc.Conv2D(8, 3, strides=2, padding="same"), (3, 15, 16)),
    (cc.Conv1D(4, 3, padding="causal"), (2, 9)),
    (cc.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2), (3, 9, 9)),
    (cc.SeparableConv2D(5, 3, strides=2, padding="same"), (3, 9, 10)),
    (cc.Conv2DTranspose(4, 3, strides=2, padding="same"), (3, 5, 6)),
    (cc.Conv2DTranspose(4, 2, strides=3), (3, 5, 6)),
    (cc.Dense(6), (3, 4, 5)),
    (cc.BatchNormalization(), (3, 4, 5)),
    (cc.MaxPooling2D(3, strides=2, padding="same"), (3, 9, 10)),
])
def test_verify_holds_for_keras_layers(layer: cc.Leaf, shape: tuple[int, ...]) -> None:
    """torch runs each as built (FlopCounterMode, parameters, shapes) and from_torch reads the same back."""
    result = cc.verify(layer, shape, layout="chw")
    assert result.ok, result
    back = cc.from_torch(cc.to_torch(layer, shape, layout="chw"), shape, layout="chw")
    report = cc.summary(layer, shape, layout="chw")
    assert (back.totals.params, back.totals.trainable_params, back.totals.flops) == (
        report.totals.params, report.totals.trainable_params, report.totals.flops)
