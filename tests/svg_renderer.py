"""SVG seen as a person sees it: rendered by headless Chromium (the tests' real renderer, installed by .ci/run).

:func:`measure` lays an SVG out in the browser and returns each text element's string and bounding box as the
browser drew it; :func:`screenshot` renders it to a PNG and returns its pixels. Both need ``chromium`` on the PATH;
:data:`CHROMIUM` is None where it is missing (the tests that need it skip).
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
#: Flags for a headless run on a closed network (no background connections, no GPU, no sandbox as root).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars", "--disable-quic")

#: Collects every <text>'s string and its box in page pixels, once the document is laid out.
_SCRIPT = """
const svg = document.querySelector('svg');
const frame = svg.getBoundingClientRect();
const texts = [...document.querySelectorAll('svg text')].map(t => {
  const r = t.getBoundingClientRect();
  return {text: t.textContent, left: r.left - frame.left, top: r.top - frame.top, right: r.right - frame.left,
          bottom: r.bottom - frame.top};
});
document.getElementById('out').textContent = JSON.stringify({width: frame.width, height: frame.height, texts});
"""


def _run(args: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={workdir / 'profile'}", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def measure(svg: str) -> dict[str, Any]:
    """The SVG's size and its texts' boxes as Chromium lays them out: {width, height, texts: [{text, left, …}]}."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        page = work / "page.html"
        page.write_text(f"<!doctype html><html><body style='margin:0'>{svg}<pre id='out'></pre>"
                        f"<script>{_SCRIPT}</script></body></html>", encoding="utf-8")
        done = _run(["--dump-dom", page.as_uri()], work)
        start, end = done.stdout.find("<pre id=\"out\">"), done.stdout.find("</pre>")
        assert start >= 0 and end > start, done.stderr[-2000:]
        return json.loads(html.unescape(done.stdout[start + len("<pre id=\"out\">"):end]))  # type: ignore[no-any-return]  # (JSON of a known shape)


def screenshot(svg_path: Path, width: int, height: int) -> Any:
    """The SVG file rendered at its size by Chromium, as a PIL image (RGB)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        png = work / "shot.png"
        done = _run([f"--window-size={width},{height}", f"--screenshot={png}", svg_path.resolve().as_uri()], work)
        assert png.exists(), done.stderr[-2000:]
        with Image.open(png) as image:
            return image.convert("RGB")


def overlaps(boxes: list[dict[str, Any]], tolerance: float = 0.5) -> list[tuple[str, str]]:
    """The pairs of texts whose boxes overlap by more than ``tolerance`` pixels each way."""
    found = []
    ordered = sorted(boxes, key=lambda b: b["left"])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b["left"] >= a["right"] - tolerance:
                break
            if min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance and \
                    min(a["right"], b["right"]) - max(a["left"], b["left"]) > tolerance:
                found.append((a["text"], b["text"]))
    return found


#: Mermaid's own bundle, where .ci/run installed it (npm): the real parser and renderer of Mermaid text.
MERMAID_JS = Path(__file__).resolve().parents[1] / "build" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"


def mermaid(text: str) -> str:
    """``text`` parsed and rendered by Mermaid in Chromium: ``OK <nodes>`` (the SVG's node count), or ``ERR <why>``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        page = work / "mermaid.html"
        page.write_text(f"""<!doctype html><html><body><pre id="out">pending</pre>
<script src="{MERMAID_JS.as_uri()}"></script>
<script>
const text = {json.dumps(text)};
mermaid.initialize({{startOnLoad: false, maxEdges: 5000}});
(async () => {{
  try {{
    await mermaid.parse(text);
    const drawn = await mermaid.render('graph', text);
    document.getElementById('out').textContent = 'OK ' + (drawn.svg.match(/class="node /g) || []).length;
  }} catch (e) {{ document.getElementById('out').textContent = 'ERR ' + e; }}
}})();
</script></body></html>""", encoding="utf-8")
        done = _run(["--allow-file-access-from-files", "--virtual-time-budget=30000", "--dump-dom", page.as_uri()], work)
        start, end = done.stdout.find('<pre id="out">'), done.stdout.find("</pre>")
        assert start >= 0 and end > start, done.stderr[-2000:]
        return html.unescape(done.stdout[start + len('<pre id="out">'):end])
