"""The zoo's segmentation models against torchvision's own model code, once, by hand (never in CI).

    python benchmarks/check_torchvision_zoo.py [--site /tmp/tvsite] [--torchvision-version 0.28.0]

torchvision is not a dependency of convcalc and the test environment has no build of it that loads
(its compiled operators are for another platform). This script INSTALLS TORCHVISION WITHOUT ITS
DEPENDENCIES into a scratch folder (``pip download torchvision==X --no-deps`` then ``pip install
--no-deps --target SITE``; nothing else on the machine changes), imports its model builders with its
compiled-operator registration replaced by an empty module (the models need no custom operator), and
builds ``fcn_resnet50``, ``deeplabv3_resnet50`` and ``lraspp_mobilenet_v3_large`` with ``weights=None,
weights_backbone=None, aux_loss=False, num_classes=21`` on the meta device. It compares with the zoo:

- the parameter count (and what the auxiliary head adds, built once with ``aux_loss=True``);
- FlopCounterMode over a forward pass at 1×3×520×520 against the zoo's torch profile and 2·MACs;
- ``cc.from_torch`` of torchvision's module against the zoo's summary (params, MACs, FLOPs, output).

It then builds the classification models ``vit_b_16``, ``swin_t`` and ``maxvit_t`` (``weights=None``) on the meta device and
compares, at 1×3×224×224: the parameter count, FlopCounterMode against the zoo's torch profile and 2·MACs, and
``cc.from_torch`` of torchvision's module against the zoo (params, MACs, FLOPs, output, every profile, no
unsupported row). With ``--tools`` it also runs fvcore, torchinfo, thop and ptflops (tests/other_tools.py) on
torchvision's module, on the CPU with a real 224×224 input (about a minute per model and tool on a loaded
2-core machine), against the zoo's profiles.

It prints one line per model and exits 1 if any figure differs. The CI tests hold the zoo to the
independent plain-torch constructions in tests/torch_reference.py instead.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large")
CLASSIFIERS = ("vit_b_16", "swin_t", "maxvit_t")


def torchvision_version(torch_version: str) -> str:
    """The torchvision release built against this torch: minor + 15 (torch 2.13 -> torchvision 0.28)."""
    major, minor = (int(p) for p in torch_version.split("+")[0].split(".")[:2])
    if major != 2:
        raise SystemExit(f"cannot tell the torchvision release for torch {torch_version}; pass --torchvision-version")
    return f"0.{minor + 15}.0"


def install(site: Path, version: str) -> None:
    """torchvision alone (no dependencies) into ``site``, unless it is there already."""
    if (site / "torchvision" / "__init__.py").exists():
        return
    wheels = site.parent / (site.name + "-wheel")
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "download", f"torchvision=={version}", "--no-deps", "-d", str(wheels)], check=True)
    wheel = next(wheels.glob("torchvision-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)


def out_tensor(model: Any) -> Any:
    """torchvision's segmentation models return a dict: a module that returns the tensor under "out"."""
    import torch

    class Out(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.model(x)["out"]

    return Out(model)


def import_torchvision(site: Path) -> Any:
    """torchvision's model code, its compiled-operator registration stubbed (models need none of it)."""
    sys.path.insert(0, str(site))
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import torchvision.models.segmentation as segmentation

    return segmentation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=Path("/tmp/tvsite"), help="scratch folder torchvision is installed into")
    parser.add_argument("--torchvision-version", help="default: the release matching the installed torch")
    parser.add_argument("--tools", action="store_true", help="also run fvcore, torchinfo, thop and ptflops on the "
                        "classifiers (real CPU forwards at 224×224: minutes)")
    args = parser.parse_args(argv)

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    sys.path.insert(0, str(ROOT))
    import convcalc as cc

    version = args.torchvision_version or torchvision_version(torch.__version__)
    install(args.site, version)
    segmentation = import_torchvision(args.site)
    import torchvision

    print(f"torch {torch.__version__}, torchvision {torchvision.__version__} (model code only), input 1x3x520x520")
    failed = False
    for name in MODELS:
        build = getattr(segmentation, name)
        with torch.device("meta"):
            module = build(weights=None, weights_backbone=None, aux_loss=False, num_classes=21).eval()
            x = torch.empty(1, 3, 520, 520)
        params = sum(p.numel() for p in module.parameters())
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = module(x)["out"]
        flops = counter.get_total_flops()
        aux = 0
        if name != "lraspp_mobilenet_v3_large":  # torchvision's LRASPP has no auxiliary head
            with torch.device("meta"):
                aux = sum(p.numel() for p in build(weights=None, weights_backbone=None, aux_loss=True, num_classes=21).parameters()) - params

        zoo = cc.summary(name)
        profile = zoo.profiles()["torch"]
        captured = cc.from_torch(out_tensor(module), (3, 520, 520))
        checks = {
            "params": (params, zoo.totals.params),
            "FlopCounterMode vs torch profile": (flops, profile),
            "FlopCounterMode vs 2·MACs": (flops, 2 * zoo.totals.macs),
            "output": (tuple(out.shape[1:]), zoo.output_shape),
            "from_torch params": (captured.totals.params, zoo.totals.params),
            "from_torch MACs": (captured.totals.macs, zoo.totals.macs),
            "from_torch FLOPs": (captured.totals.flops, zoo.totals.flops),
            "from_torch unsupported rows": ([r.path for r in captured.rows if r.kind == "unsupported"], []),
        }
        bad = {k: v for k, v in checks.items() if v[0] != v[1]}
        failed |= bool(bad)
        print(f"{name}: params {params:,} (aux head adds {aux:,}: {params + aux:,} with it), "
              f"FlopCounterMode {flops:,} = 2·{flops // 2:,} MACs, output {tuple(out.shape[1:])}: "
              + ("zoo agrees" if not bad else "DIFFERS " + "; ".join(f"{k}: torchvision {a} zoo {b}" for k, (a, b) in bad.items())))
    failed |= check_classifiers(cc, args.tools)
    return 1 if failed else 0


def check_classifiers(cc: Any, tools: bool) -> bool:
    """vit_b_16, swin_t and maxvit_t: torchvision's module against the zoo; True if any figure differs."""
    import torch
    import torchvision.models as models
    from torch.utils.flop_counter import FlopCounterMode

    failed = False
    for name in CLASSIFIERS:
        with torch.device("meta"):
            module = getattr(models, name)(weights=None).eval()
            x = torch.empty(1, 3, 224, 224)
        params = sum(p.numel() for p in module.parameters())
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = module(x)
        flops = counter.get_total_flops()
        zoo = cc.summary(name)
        captured = cc.from_torch(module, (3, 224, 224))
        checks = {
            "params": (params, zoo.totals.params),
            "FlopCounterMode vs torch profile": (flops, zoo.profiles()["torch"]),
            "FlopCounterMode vs 2·MACs": (flops, 2 * zoo.totals.macs),
            "output": (tuple(out.shape[1:]), zoo.output_shape),
            "from_torch params": (captured.totals.params, zoo.totals.params),
            "from_torch MACs": (captured.totals.macs, zoo.totals.macs),
            "from_torch FLOPs": (captured.totals.flops, zoo.totals.flops),
            "from_torch output": (captured.output_shape, zoo.output_shape),
            "from_torch profiles": (captured.profiles(), zoo.profiles()),
            "from_torch unsupported rows": ([r.path for r in captured.unsupported], []),
        }
        if tools:
            sys.path.insert(0, str(ROOT / "tests"))
            from other_tools import TOOLS

            torch.manual_seed(0)
            real, image = getattr(models, name)(weights=None).eval(), torch.randn(1, 3, 224, 224)
            for tool in ("fvcore", "torchinfo", "thop", "ptflops"):
                checks[f"{tool} vs its profile"] = (TOOLS[tool](real, image), zoo.profiles()[tool])
        bad = {k: v for k, v in checks.items() if v[0] != v[1]}
        failed |= bool(bad)
        shown = ", ".join(f"{k.split(' ')[0]} {a:,}" for k, (a, _) in checks.items() if k.endswith("vs its profile"))
        print(f"{name}: params {params:,}, FlopCounterMode {flops:,} = 2·{flops // 2:,} MACs, output {tuple(out.shape[1:])}, "
              f"from_torch {len(captured.rows)} rows" + (f", {shown}" if shown else "") + ": "
              + ("zoo agrees" if not bad else "DIFFERS " + "; ".join(f"{k}: torchvision {a} zoo {b}" for k, (a, b) in bad.items())))
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
