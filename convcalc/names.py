"""What other frameworks' layer names mean: the "did you mean" of a name spec text does not know.

A suggestion must mean the same layer, not merely be spelled alike: Keras' ``Conv2DTranspose`` is
torch's ``ConvTranspose2d`` (not the closer-spelled ``ConvTranspose3d``), ``ConstantPad2d`` is a
padding layer (never ``ConvTranspose2d``), and Keras' ``UpSampling2D`` is ``Upsample``; a kind of layer
convcalc has no counterpart of is said rather than guessed. So a name is looked up, in order:

1. among the known names, ignoring case (``nn.Relu`` → ``ReLU``);
2. in :data:`SAME_AS`, what each framework's names mean (Keras, Caffe, older torch, TensorFlow);
3. by spelling, only among known names of the same meaning (:func:`meaning`: convolution,
   transposed convolution, pooling, padding, …) and the same number of dims where it says one.

The known names (the registry) always win: this table is asked only about names no layer class
has, so a layer type added later (Keras' own classes) is never shadowed by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Lower-cased foreign names -> the convcalc names that mean the same layer, the first one known wins.
SAME_AS: dict[str, tuple[str, ...]] = {
    # transposed convolutions: Keras, TensorFlow and Caffe spell them otherwise
    **{f"conv{n}dtranspose": (f"Conv{n}DTranspose", f"ConvTranspose{n}d") for n in (1, 2, 3)},
    **{f"convolution{n}dtranspose": (f"Conv{n}DTranspose", f"ConvTranspose{n}d") for n in (1, 2, 3)},
    **{f"deconvolution{n}d": (f"Conv{n}DTranspose", f"ConvTranspose{n}d") for n in (1, 2, 3)},
    **{f"deconv{n}d": (f"Conv{n}DTranspose", f"ConvTranspose{n}d") for n in (1, 2, 3)},
    "deconvolution": ("ConvTranspose2d",),  # Caffe's layer type
    # convolutions: Keras' long names (Keras 1 and 2), Caffe's
    **{f"convolution{n}d": (f"Conv{n}D", f"Conv{n}d") for n in (1, 2, 3)},
    "convolution": ("Conv2d",),
    "depthwiseconvolution2d": ("DepthwiseConv2D", "DepthwiseConv2d"),
    "separableconvolution2d": ("SeparableConv2D", "SeparableConv2d"),
    # pooling
    **{f"maxpooling{n}d": (f"MaxPooling{n}D", f"MaxPool{n}d") for n in (1, 2, 3)},
    **{f"averagepooling{n}d": (f"AveragePooling{n}D", f"AvgPool{n}d") for n in (1, 2, 3)},
    **{f"avgpooling{n}d": (f"AveragePooling{n}D", f"AvgPool{n}d") for n in (1, 2, 3)},
    "globalaveragepooling2d": ("GlobalAveragePooling2D", "GlobalAvgPool2d"),
    "globalavgpool2d": ("GlobalAveragePooling2D", "GlobalAvgPool2d"),
    "globalmaxpooling2d": ("GlobalMaxPooling2D", "AdaptiveMaxPool2d"),
    "globalmaxpool2d": ("GlobalMaxPooling2D", "AdaptiveMaxPool2d"),
    # padding and cropping (a crop is a negative padding in torch)
    **{f"zeropadding{n}d": (f"ZeroPadding{n}D", f"ZeroPad{n}d") for n in (1, 2, 3)},
    **{f"cropping{n}d": (f"Cropping{n}D", f"ZeroPad{n}d") for n in (1, 2, 3)},
    # fully connected: Keras, Caffe, MXNet
    "dense": ("Dense", "Linear"),
    "innerproduct": ("Linear",),
    "fullyconnected": ("Linear",),
    # normalisation, dropout
    "batchnormalization": ("BatchNormalization", "BatchNorm2d"),
    "spatialdropout2d": ("SpatialDropout2D", "Dropout"),
    # upsampling: Keras' and TensorFlow's names
    **{f"upsampling{n}d": ("Upsample",) for n in (1, 2, 3)},
    "resize": ("Upsample",),
    "resizing": ("Upsample",),
    "depthtospace": ("PixelShuffle",),
    "spacetodepth": ("PixelUnshuffle",),
}

#: How a suggestion from SAME_AS is used where it is not the same call (lower-cased foreign name -> note).
NOTES: dict[str, str] = {
    **{f"cropping{n}d": "with a negative padding (torch crops that way)" for n in (1, 2, 3)},
    "globalmaxpooling2d": "with output_size=1",
    "globalmaxpool2d": "with output_size=1",
}

#: Meaning families, by the words a layer name is made of; the first that matches names it.
_MEANINGS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((meaning, re.compile(pattern)) for meaning, pattern in (
    ("transposed convolution", r"transpos|deconv"),
    ("upsampling", r"upsampl|interpolat|resiz|pixel.?(un)?shuffle|depthtospace|spacetodepth"),
    ("padding", r"pad|crop"),
    ("pooling", r"pool"),
    ("convolution", r"conv"),
    ("normalization", r"norm"),
    ("linear", r"linear|dense|innerproduct|fullyconnected|bilinear"),
    ("dropout", r"dropout|stochasticdepth"),
    ("shape", r"flatten|reshape|view|permute|squeeze|shuffle|chunk|identity"),
    ("activation", r"relu|lu$|sigmoid|tanh|softmax|softmin|swish|mish|softplus|softsign|hard|gelu|silu|elu|threshold|activation"),
))

_DIMS = re.compile(r"([123])d")  # Conv2d, Conv2DTranspose, ZeroPadding2D


def meaning(name: str) -> str | None:
    """What kind of layer a name says it is (``"padding"`` for ``ConstantPad2d``), or None when it says nothing."""
    lowered = name.lower()
    return next((m for m, pattern in _MEANINGS if pattern.search(lowered)), None)


def _dims(name: str) -> str | None:
    found = _DIMS.search(name.lower())
    return found.group(1) if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """The hint for an unknown layer name (``"; did you mean ConvTranspose2d?"``), or ``""`` when no known
    name means the same."""
    known = sorted(set(known))
    lowered = {k.lower(): k for k in reversed(known)}  # a class (Upsample) before a function of that name (upsample)
    key = name.lower()
    if key in lowered:  # nn.Relu: ReLU
        return f"; did you mean {lowered[key]}?"
    if key in SAME_AS:
        targets = SAME_AS[key]
        found = next((lowered[t.lower()] for t in targets if t.lower() in lowered), None)
        if found:
            note = NOTES.get(key) if found.lower() != targets[0].lower() else None
            return f"; did you mean {found}{' ' + note if note else ''}?"
    wanted = meaning(name)
    choices = [k for k in known if meaning(k) == wanted] if wanted is not None else list(known)
    dims = _dims(name)
    if dims is not None and any(_dims(k) == dims for k in choices):
        choices = [k for k in choices if _dims(k) in (dims, None)]
    import difflib

    close = difflib.get_close_matches(key, [c.lower() for c in choices], n=1, cutoff=0.6 if wanted else 0.75)
    if not close:  # nothing spelled alike: name the layers of that meaning (and dims) convcalc has
        if wanted is None or not choices:
            return ""
        shown = ", ".join(choices[:4]) + (", …" if len(choices) > 4 else "")
        return f"; the {wanted} layers convcalc knows{' in ' + dims + '-d' if dims else ''}: {shown}"
    best = lowered[close[0]]
    if dims is None and _dims(best) is not None:  # nn.BatchNorm: the name says no dims, so offer each
        stem = _DIMS.sub("{}d", best.lower(), count=1)
        variants = [lowered[stem.format(n)] for n in "123" if stem.format(n) in lowered]
        if len(variants) > 1:
            return f"; did you mean {', '.join(variants[:-1])} or {variants[-1]}?"
    return f"; did you mean {best}?"
