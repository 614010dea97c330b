"""The ``convcalc`` command: parse the arguments, call the library, render.

Every error on bad input becomes one line ``error: …`` on stderr and exit
status 2, in :func:`main` and nowhere else. An unexpected exception is a bug:
one line saying so (exit 3), or the traceback with ``--debug``.

This module is the console script and ``python -m convcalc``, so its start-up is the
command's: at module level it imports only what defining the commands needs (click and
a few constants); each command imports the library, the renderers and the standard
modules it uses when it runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from .errors import ConvCalcError
from .tables import FORMATS, GRAPH_FORMATS

EXIT_BAD_INPUT = 2
EXIT_BUG = 3


def format_options(command: Callable[..., Any], graphs: bool = False) -> Callable[..., Any]:
    """``--format`` and ``--human``, the same for every command that prints a report; ``graphs``: also the
    network's graph as Graphviz or Mermaid text."""
    command = click.option("--human", is_flag=True, help="Round counts to k/M/G instead of printing every digit.")(command)
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS + GRAPH_FORMATS if graphs else FORMATS), default="table",
        show_default=True, help="table for the terminal; markdown, latex, html for documents; csv and json for scripts"
        + ("; dot (Graphviz) and mermaid for the layers' graph." if graphs else "."),
    )(command)


class _Convcalc(click.Group):
    """The command group, owning the exit status so that every caller (the console script,
    ``python -m convcalc``, click's CliRunner) sees the same one-line errors and codes."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        code = _run(self, list(sys.argv[1:] if args is None else args), prog_name or "convcalc", extra)
        if standalone_mode:
            sys.exit(code)
        return code


def _run(group: click.Group, args: list[str], prog_name: str, extra: dict[str, Any]) -> int:
    """Run the command; 0 fine, 1 a mismatch or wrong answer, 2 bad input, 3 a bug in convcalc, 130 interrupted."""
    try:
        result = click.Group.main(group, args=args, prog_name=prog_name, standalone_mode=False, **extra)
    except click.exceptions.NoArgsIsHelpError as help_shown:  # bare `convcalc`: show the help
        click.echo(help_shown.ctx.get_help() if help_shown.ctx else str(help_shown))
        return 0
    except click.ClickException as error:
        click.echo(f"error: {error.format_message()}", err=True)
        return EXIT_BAD_INPUT
    except (click.Abort, KeyboardInterrupt):
        click.echo("error: interrupted", err=True)
        return 130
    except BrokenPipeError:  # `convcalc … | head`: the reader has what it wanted
        return _reader_left()
    except OSError as error:  # stdout unwritable (a full disk, a closed terminal)
        click.echo(f"error: cannot write the output: {error}", err=True)
        return 1
    except ConvCalcError as error:
        click.echo(f"error: {error}", err=True)
        return EXIT_BAD_INPUT
    except Exception as error:  # a bug: say so in one line unless asked for the traceback
        if "--debug" in args:
            raise
        click.echo(f"error: internal error ({type(error).__name__}: {error}); this is a bug in convcalc, "
                   "rerun with --debug for the traceback and report it", err=True)
        return EXIT_BUG
    return result if isinstance(result, int) else 0


def _reader_left() -> int:
    """``convcalc … | head``: the reader has what it wanted. Point stdout at the null device so that
    the interpreter's last flush cannot fail too, and exit 0 (Python's documented remedy)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


@click.group("convcalc", cls=_Convcalc, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of unexpected errors.")
def cli(debug: bool) -> None:
    """Shapes, parameters, MACs, FLOPs, activation memory and receptive fields of CNNs, layer by layer."""


def _network(model: str) -> object:
    """A zoo name or spec file as it is, or the object ``package.module:Name`` names."""
    if ":" not in model:
        return model
    from pathlib import Path

    from . import api

    return model if Path(model).is_file() else api.load(model)


def _emit(text: str) -> None:
    """Print one document, ending in exactly one newline (CSV already ends in one)."""
    click.echo(text, nl=not text.endswith("\n"))


#: ``--layout``, the same for every command that takes ``--input``.
LAYOUT = click.option("--layout", type=click.Choice(("chw", "hwc"), case_sensitive=False),
                      help="How --input is written: chw (channels first, as torch: 3x32x32) or hwc (channels last, as "
                           "Keras and CS231n: 32x32x3); shapes are then shown so. Without it, H×W×C is read only where "
                           "it is the only reading the layers fit (a note says so), and an input both fit with "
                           "different answers is refused.")
INPUT_HELP = ("Input shape per sample, C×H×W (3x224x224) or, with --layout hwc, H×W×C (224x224x3)")
#: What ``:DTYPE`` does for a convcalc network's one input (``layer``, ``verify``).
DTYPE_HELP = ("; :DTYPE sets its element type (128:int64 for the ids an Embedding reads; 3x32x32:float16 for the "
              "input's bytes)")

DEVICE = click.option("--device", default="cpu", show_default=True, metavar="cpu|cuda|cuda:N|meta",
                      help="Where torch runs the check (meta: shapes only, no memory).")


@cli.command()
@click.argument("model")
@click.option("--input", "input_texts", metavar="[NAME=]SHAPE[:DTYPE]", multiple=True,
              help=f"{INPUT_HELP} (default: the model's, channels first). Repeat it for a torch module's several inputs "
                   "(positional, in order); NAME=SHAPE passes one to forward by keyword; :DTYPE sets its element type "
                   "(128:int64 for token ids, mask=1x32x32:bool).")
@LAYOUT
@click.option("--batch", type=int, default=1, show_default=True, help="Batch size (scales MACs, FLOPs and activations).")
@click.option("--dtype", default="float32", show_default=True, help="Element type for memory figures.")
@click.option("--depth", type=int, metavar="N",
              help="Merge rows nested deeper than N into their block (0: top-level blocks only).")
@click.option("--breakdown", is_flag=True,
              help="Per layer, the primitive counts every tool's total is made of (MACs, bias adds, norm, activation, "
                   "pool and elementwise elements) instead of the usual columns.")
@click.option("--compare", is_flag=True,
              help="What torchinfo, fvcore, thop, ptflops and FlopCounterMode print for it, beside the paper figure, "
                   "and where each difference comes from.")
@click.option("--verify", "check", is_flag=True, help="Also run it in torch and compare every row (exit 1 on a mismatch).")
@click.option("--mode", type=click.Choice(("eval", "train")), default="eval", show_default=True,
              help="The mode a torch module (package.module:Name) runs in: train runs its train-mode branches (auxiliary "
                   "heads). A zoo model or spec file is counted as at inference; train is refused for it.")
@click.option("--train", is_flag=True,
              help="Count a training step: per row the backward's FLOPs (of the input's and the weights' gradients) and "
                   "the bytes autograd saves; then parameters, gradients, optimizer state, saved activations and the "
                   "peak memory of the step.")
@click.option("--optimizer", type=click.Choice(("sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad")), default=None,
              help="The optimizer whose state --train counts (torch.optim at its defaults; momentum: SGD with "
                   "momentum=0.9).  [default: adam]")
@click.option("--amp", type=click.Choice(("bfloat16", "float16")), is_flag=False, flag_value="bfloat16", default=None,
              help="With --train: autocast, activations in bfloat16 (or float16), parameters, gradients and optimizer "
                   "state in --dtype.")
@click.option("--freeze", multiple=True, metavar="GLOB",
              help="With --train: freeze the parameters of the layers whose path matches GLOB (layer1, 'layer*'); repeat it.")
@click.option("--fit", "memory", metavar="MEMORY",
              help="The largest batch whose peak fits MEMORY (24GiB, 16GB, 512MiB): of a training step with --train, "
                   "else of inference; --batch is then the table's batch.")
@DEVICE
@lambda command: format_options(command, graphs=True)
def summary(model: str, input_texts: tuple[str, ...], layout: str | None, batch: int, dtype: str, depth: int | None,
            breakdown: bool, compare: bool, check: bool, mode: str, train: bool, optimizer: str | None, amp: str | None,
            freeze: tuple[str, ...], memory: str | None, device: str, fmt: str, human: bool) -> int:
    """Per-layer table of MODEL: a name from `convcalc models`, a spec file, or package.module:Name
    for your own torch module, factory or convcalc network (give --input).

    \b
    Examples:
      convcalc summary alexnet --format markdown
      convcalc summary resnet50 --depth 1 --human
      convcalc summary resnet50 --compare
      convcalc summary examples/lenet_mnist.txt --verify
      convcalc summary lstm_lm --input 50:int64
      convcalc summary resnet50 --train --batch 32 --optimizer adam
      convcalc summary vgg16 --train --fit 24GiB
    """
    import contextlib

    from . import api
    from .parsing import read_cli_inputs

    input_shape = read_cli_inputs(input_texts)

    if device != "cpu" and not check and not train:
        raise click.UsageError("--device is where --verify runs torch, or whose kernels --train models; add --verify or --train")
    if not train and (optimizer or amp or freeze):
        raise click.UsageError("--optimizer, --amp and --freeze describe a training step; add --train")
    if train and (breakdown or check):
        raise click.UsageError(f"--train counts a training step; {'--breakdown' if breakdown else '--verify'} is for inference")
    with contextlib.redirect_stdout(sys.stderr):  # what the user's own code prints stays off our output
        network = _network(model)
        options: dict[str, object] = {"train": True, "optimizer": optimizer or "adam", "amp": amp, "freeze": freeze,
                                      "device": device} if train else {}
        report = api.summary(network, input_shape, batch=batch, dtype=dtype, depth=depth, layout=layout, mode=mode,
                             fit=memory, **options)  # type: ignore[arg-type]  # (the options' types are summary's own)
        verified = api.verify(network, input_shape, device=device, batch=batch, layout=layout) if check else None
    if fmt in GRAPH_FORMATS:
        if breakdown or compare or check:
            raise click.UsageError(f"--format {fmt} writes the layers' graph; --breakdown, --compare and --verify are tables")
        _emit(report.render(fmt))
        return 0
    if fmt == "json":
        import json

        from .rendering import comparison_dict

        document = report.to_dict()
        if compare:
            document.update({k: v for k, v in comparison_dict(report).items() if k in ("comparison", "keras_params", "torchinfo_total_size")})
        click.echo(json.dumps(document if verified is None else {"summary": document, "verify": verified.to_dict()},
                              indent=2, ensure_ascii=False))
    else:
        from .rendering import breakdown as primitive_table
        from .rendering import comparison, render

        views = ([render(primitive_table(report), fmt, human)] if breakdown else []) + (
            [render(comparison(report), fmt, human)] if compare else [])
        _emit("\n\n".join(views) if views else report.render(fmt, human=human))
        if verified is not None:
            _emit(f"\n{verified.render(fmt, human=human)}")
    return 0 if verified is None or verified.ok else 1


@cli.command()
@click.argument("model")
@click.option("-o", "--output", required=True, metavar="FILE.svg", help="The SVG file to write ('-': standard output).")
@click.option("--style", type=click.Choice(("volumes", "graph")),
              help="volumes: each layer's output as a box, as the lectures draw a chain (the default for one); graph: "
                   "layers and joins top to bottom (the default where the network branches).")
@click.option("--input", "input_texts", metavar="[NAME=]SHAPE[:DTYPE]", multiple=True,
              help=f"{INPUT_HELP} (default: the model's).")
@LAYOUT
@click.option("--depth", type=int, metavar="N", help="Draw blocks nested deeper than N as one box (0: top-level blocks).")
def draw(model: str, output: str, style: str | None, input_texts: tuple[str, ...], layout: str | None,
         depth: int | None) -> None:
    """Draw MODEL as SVG: a zoo name, a spec file, or package.module:Name (give --input).

    \b
    Examples:
      convcalc draw alexnet -o alexnet.svg
      convcalc draw resnet18 -o resnet18.svg
      convcalc draw googlenet --depth 1 -o googlenet.svg
      convcalc draw resnet50 --depth 1 --style volumes -o resnet50.svg
    """
    import contextlib

    from . import api
    from .parsing import read_cli_inputs

    with contextlib.redirect_stdout(sys.stderr):  # what the user's own code prints stays off our output
        report = api.summary(_network(model), read_cli_inputs(input_texts), depth=depth, layout=layout)
    drawing = report.draw(style)
    if output == "-":
        _emit(drawing.svg)
        return
    drawing.save(output)
    click.echo(f"wrote {output}: {report.model or model} as {drawing.style}, {drawing.width}×{drawing.height} px")


@cli.command("verify")
@click.argument("model")
@click.option("--input", "input_texts", metavar="SHAPE[:DTYPE]", multiple=True,
              help=f"{INPUT_HELP} (default: the model's, channels first){DTYPE_HELP}.")
@LAYOUT
@click.option("--batch", type=int, default=1, show_default=True, help="Batch size of the forward pass.")
@DEVICE
@format_options
def verify_command(model: str, input_texts: tuple[str, ...], layout: str | None, batch: int, device: str, fmt: str,
                   human: bool) -> int:
    """Build MODEL in torch, run it, and compare each row's shape, parameters and conv/linear FLOPs
    (FlopCounterMode) with convcalc's; exit 1 on any mismatch.

    \b
    Example:
      convcalc verify resnet50 --device meta
      convcalc verify lstm_lm --input 50:int64
    """
    import contextlib

    from . import api
    from .parsing import read_cli_inputs

    input_shape = read_cli_inputs(input_texts)
    with contextlib.redirect_stdout(sys.stderr):
        verified = api.verify(_network(model), input_shape, device=device, batch=batch, layout=layout)
    _emit(verified.render(fmt, human=human))
    return 0 if verified.ok else 1


@cli.command()
@click.argument("call")
@click.option("--input", "input_texts", required=True, multiple=True, metavar="SHAPE[:DTYPE]", help=f"{INPUT_HELP}{DTYPE_HELP}.")
@LAYOUT
@click.option("--explain", is_flag=True, help="Show every formula with the numbers substituted.")
@click.option("--dtype", default="float32", show_default=True, help="Element type for memory figures.")
@format_options
def layer(call: str, input_texts: tuple[str, ...], layout: str | None, explain: bool, dtype: str, fmt: str, human: bool) -> None:
    """One layer, written as the lectures write it: its output shape, parameters, MACs, FLOPs,
    activation memory and receptive field.

    \b
    Example:
      convcalc layer "nn.Conv2d(3, 10, kernel_size=5, padding=2)" --input 3x32x32 --explain
      convcalc layer "nn.MaxPool2d(4, stride=4)" --input 128x128x12 --layout hwc
      convcalc layer "nn.Embedding(1000, 64)" --input 128:int64
    """
    from . import api
    from .layers.base import Leaf
    from .parsing import parse_layer, read_cli_inputs
    from .rendering import layer_card, render
    from .working import explain as working

    spec = parse_layer(call)
    if len(input_texts) > 1:
        raise click.UsageError(f"a layer takes one input; got {len(input_texts)} (--input {', --input '.join(input_texts)}): "
                               "give one --input")
    input_shape = read_cli_inputs(input_texts)
    if explain:
        if not isinstance(spec, Leaf):  # (a block spec text names: nn.TransformerEncoder(layer, num_layers))
            raise click.UsageError(f"--explain works out one layer; {spec.name} is a block of several: explain the layer it "
                                   "repeats, or drop --explain for its rows")
        _emit(working(spec, input_shape, dtype=dtype, fmt=fmt, layout=layout))
    else:
        report = api.summary(spec, input_shape, dtype=dtype, layout=layout)
        card = fmt == "table" and isinstance(spec, Leaf)  # (a block's rows: the summary's table)
        _emit(render(layer_card(report), fmt, human) if card else report.render(fmt, human=human))
    if fmt == "table" and "activation" in call:
        from .keras_text import keras_call

        read = keras_call(call)
        if read is not None and read.activation is not None:  # one definition everywhere: the activation is a row of its own
            _emit(f"note: the activation={read.activation!r} inside it is not in these figures; in a network (summary, check) "
                  f"it is a row of its own after {spec.name}, counted as {read.activation!r} is")


@cli.command()
@click.argument("answers", type=click.Path(dir_okay=False, path_type=str))
def check(answers: str) -> int:
    """Mark the answers in a TOML file, each on its own: ✓ right, ≈ close (a rounded answer within
    0.5%), ✗ wrong with the true value, the working and the likely slip, ? a question that cannot be
    read or computed (the others are still marked). Exit 0 when none is wrong or unreadable, 1
    otherwise, 2 for a file that cannot be read (missing, not TOML, no questions).

    \b
    Example:
      convcalc check examples/homework.toml
    """
    from .answers import check_file, tally

    marks = check_file(answers)
    for mark in marks:
        click.echo(str(mark))
    line, code = tally(marks)
    click.echo(f"\n{line}")
    return code


@cli.command()
@click.option("--input", "size", type=int, required=True, help="Input size along one spatial dim (e.g. 7).")
@click.option("--kernel", type=int, required=True, help="Kernel size.")
@click.option("--stride", type=int, help="Stride (default 1; left open with --output, every stride is tried).")
@click.option("--dilation", type=int, default=1, show_default=True, help="Dilation.")
@click.option("--output", type=int, help="The output size wanted: list the paddings and strides that give it.")
@click.option("--same", is_flag=True, help="'same' padding: at stride 1 torch's padding='same' (the size kept); at a larger "
                                            "stride TensorFlow's (output ⌈I/S⌉, the odd pixel on the right) and the torch "
                                            "padding or code that reproduces it.")
def solve(size: int, kernel: int, stride: int | None, dilation: int, output: int | None, same: bool) -> None:
    """Which paddings (and strides) fit, and why the others don't: every real input element read,
    or the last rows or columns dropped by torch's floor.

    \b
    Examples:
      convcalc solve --input 7 --kernel 3 --stride 3
      convcalc solve --input 200 --kernel 3 --stride 2 --same
    """
    from .rendering import listing, render
    from .solving import solve as find

    fits = find(size, kernel, stride, dilation, output, same)
    if not fits:
        raise ConvCalcError(f"no padding below the kernel and no stride gives output {output} from input {size} "
                            f"with kernel {kernel}")
    named = any(f.how for f in fits)  # TensorFlow's 'same' at a stride: each row says whose rule or which torch code
    rows = [{**({"rule": f.how} if named else {}), "padding": str(f.padding), "stride": f.stride,
             "output": f.output if f.output >= 1 else "—", "fits": "yes" if f.fits else "no", "working": f.working}
            for f in fits]
    click.echo(render(listing(rows, plain=True)))


@cli.command()
@click.argument("pattern", default="*")
@format_options
def models(pattern: str, fmt: str, human: bool) -> None:
    """List the zoo (names matching the glob PATTERN) with input, parameters and MACs.

    \b
    Example:
      convcalc models 'resnet*'
    """
    from . import api
    from . import models as zoo
    from .rendering import listing, render

    rows: list[dict[str, str | int]] = []
    for name in zoo.list_models(pattern):
        report = api.summary(name)
        rows.append({"name": name, "input": "x".join(map(str, report.input_shape)),
                     "params": report.totals.params, "macs": report.totals.macs})
    if not rows:
        raise ConvCalcError(f"no model matches {pattern!r}; `convcalc models` lists them all")
    _emit(render(listing(rows), fmt, human))


#: What ``convcalc plot --metric`` draws: :data:`convcalc.plot.METRICS` (a test holds them equal; importing the
#: plot module here would load it for every command).
PLOT_METRICS = ("params", "macs", "flops", "activations", "all")


@cli.command()
@click.argument("model")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="The file to write: .svg, .png or .pdf (its suffix says which).")
@click.option("--metric", type=click.Choice(PLOT_METRICS), default="params", show_default=True,
              help="What the bars show: each row's params, MACs, FLOPs or activation bytes; all: the four stacked.")
@click.option("--input", "input_texts", metavar="[NAME=]SHAPE[:DTYPE]", multiple=True,
              help=f"{INPUT_HELP} (default: the model's); repeatable for a torch module's inputs, as in summary.")
@LAYOUT
@click.option("--batch", type=int, default=1, show_default=True, help="Batch size (scales MACs, FLOPs and activations).")
@click.option("--dtype", default="float32", show_default=True, help="Element type for memory figures.")
@click.option("--depth", type=int, metavar="N", help="One bar per block at depth N (0: top-level blocks only).")
def plot(model: str, output: str, metric: str, input_texts: tuple[str, ...], layout: str | None, batch: int, dtype: str,
         depth: int | None) -> None:
    """Bar chart of MODEL's cost per layer (the rows `convcalc summary` prints), with the cumulative
    share of the total; a log scale where the bars span more than 1000×. Needs matplotlib
    (pip install 'convcalc[plot]').

    \b
    Examples:
      convcalc plot vgg16 -o vgg16_params.svg
      convcalc plot resnet50 --depth 1 --metric all -o resnet50.png
    """
    import contextlib

    from . import api
    from .parsing import read_cli_inputs
    from .plot import save

    input_shape = read_cli_inputs(input_texts)
    with contextlib.redirect_stdout(sys.stderr):  # what the user's own code prints stays off our output
        report = api.summary(_network(model), input_shape, batch=batch, dtype=dtype, depth=depth, layout=layout)
    save(report, output, metric)
    rows = f"{len(report.rows)} layers" if depth is None else f"{len(report.rows)} rows at depth {depth}"
    click.echo(f"wrote {output}: {report.model or model} {metric}, {rows}")

@cli.command()
@click.option("--out", metavar="DIR", help="Write the site into DIR (made if missing).")
@click.option("--serve", is_flag=True, help="Serve the site on 127.0.0.1 for a look (built in a temporary folder "
                                            "without --out); Ctrl-C stops it.")
@click.option("--port", type=int, default=8000, show_default=True, help="The port --serve listens on (0: any free one).")
@click.option("--pyodide", metavar="DIR", help="A folder holding Pyodide's runtime (npm install pyodide leaves it in "
                                               "node_modules/pyodide); else convcalc's cache, else fetched once with npm.")
def web(out: str | None, serve: bool, port: int, pyodide: str | None) -> None:
    """Write a static web page that runs this convcalc in the browser (Pyodide): the table, the working,
    the drawing, the other tools' figures and the answer checker, offline, from any static host.

    \b
    Examples:
      convcalc web --out site
      convcalc web --serve --port 8000
    """
    if not out and not serve:
        raise click.UsageError("give --out DIR to write the site, or --serve to look at it")
    import tempfile
    from pathlib import Path

    from . import web as site

    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix="convcalc-web-"))
    files = site.build(folder, pyodide)
    size = sum(f.stat().st_size for f in files)
    click.echo(f"wrote {len(files)} files to {folder} ({size / 1e6:.1f} MB)")
    if serve:
        httpd = site.server(folder, port)
        click.echo(f"serving http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C stops)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 fine, 1 a mismatch, 2 bad input, 3 a bug in convcalc)."""
    return int(cli.main(argv, standalone_mode=False))
