"""``convcalc web``: a static site that runs this convcalc in the browser, through Pyodide (CPython compiled to
WebAssembly), offline and with no server beyond a static one.

The site is ``index.html``, ``app.js`` and ``style.css`` (in this package's ``site`` folder), the Pyodide runtime
(:data:`PYODIDE`, pinned and checked against its published integrity), and ``convcalc.zip``: the ``.py`` files of
the convcalc that is installed, so that the page computes exactly what this command line computes. The page
loads nothing from anywhere else.

The runtime comes from ``--pyodide DIR`` (a folder holding its files, as ``npm install pyodide@VERSION`` leaves
``node_modules/pyodide``), else from convcalc's cache, else it is fetched once with ``npm pack`` and cached.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ConvCalcError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

#: The Pyodide release the page runs, and its npm tarball's integrity (sha512, as npm publishes it).
PYODIDE = "0.28.3"
INTEGRITY = "sha512-rtCsyTU55oNGpLzSVuAd55ZvruJDEX8o6keSdWKN9jPeBVSNlynaKFG7eRqkiIgU7i2M6HEgYtm0atCEQX3u4A=="
#: What of the runtime the page loads: the loader, the compiled interpreter and the standard library.
RUNTIME = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
SITE = ("index.html", "app.js", "style.css")


class WebError(ConvCalcError):
    """The site cannot be built or served: the runtime is missing, the folder cannot be written."""


def cache() -> Path:
    """Where a fetched runtime is kept: ``$CONVCALC_CACHE`` or ``~/.cache/convcalc``, by version."""
    base = Path(os.environ.get("CONVCALC_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "convcalc")
    return base / f"pyodide-{PYODIDE}"


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in RUNTIME)


def runtime(given: str | Path | None = None) -> Path:
    """The folder holding Pyodide's runtime: ``given``, else the cache, else fetched with npm into the cache."""
    if given is not None:
        folder = Path(given)
        if not _complete(folder):
            missing = [n for n in RUNTIME if not (folder / n).is_file()]
            raise WebError(f"{folder} is not Pyodide's runtime: it lacks {', '.join(missing)} (npm install "
                           f"pyodide@{PYODIDE} leaves it in node_modules/pyodide)")
        return folder
    folder = cache()
    if _complete(folder):
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise WebError(f"convcalc web needs Pyodide {PYODIDE}'s runtime: install Node.js (its npm fetches it once), "
                       f"or give --pyodide DIR (a folder where npm install pyodide@{PYODIDE} put it)")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([npm, "pack", f"pyodide@{PYODIDE}", "--silent"], cwd=tmp, capture_output=True, text=True,
                              check=False)
        packed = Path(tmp) / f"pyodide-{PYODIDE}.tgz"
        if done.returncode != 0 or not packed.is_file():
            raise WebError(f"npm could not fetch pyodide@{PYODIDE}: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
        digest = "sha512-" + base64.b64encode(hashlib.sha512(packed.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            raise WebError(f"pyodide@{PYODIDE} as fetched does not match its published integrity ({digest[:20]}… ≠ "
                           f"{INTEGRITY[:20]}…); not used")
        with tarfile.open(packed) as archive:
            archive.extractall(tmp, members=[m for m in archive.getmembers() if m.name in {f"package/{n}" for n in RUNTIME}],
                               filter="data")
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
        for name in RUNTIME:
            shutil.copyfile(Path(tmp) / "package" / name, staging / name)
        try:  # whole or not at all: another process fetching at once finds either no folder or a complete one
            staging.rename(folder)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not _complete(folder):
                raise WebError(f"cannot keep Pyodide's runtime in {folder}") from None
    return folder


def package_zip(target: Path) -> Path:
    """The installed convcalc's ``.py`` files as a zip the page unpacks (``convcalc/…``), in a fixed order and with
    fixed times, so that the same convcalc gives the same bytes."""
    source = Path(__file__).resolve().parent
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            info = zipfile.ZipInfo(f"convcalc/{path.relative_to(source).as_posix()}", date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return target


def build(out: str | Path, pyodide: str | Path | None = None) -> list[Path]:
    """Write the site into ``out`` (made if missing); returns the files written."""
    target = Path(out)
    folder = runtime(pyodide)
    try:
        target.mkdir(parents=True, exist_ok=True)
        written = []
        static = Path(__file__).resolve().parent / "site"
        for name in SITE:
            shutil.copyfile(static / name, target / name)
            written.append(target / name)
        for name in RUNTIME:
            shutil.copyfile(folder / name, target / name)
            written.append(target / name)
        written.append(package_zip(target / "convcalc.zip"))
    except OSError as error:
        raise WebError(f"cannot write the site into {target}: {error.strerror or error}") from None
    return written


def server(folder: str | Path, port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server of ``folder`` on 127.0.0.1 (``port`` 0: any free one), not yet serving: its
    ``server_address`` says where; ``serve_forever()`` serves."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm", ".mjs": "text/javascript",
                          ".js": "text/javascript"}

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
            pass

    from http.server import ThreadingHTTPServer

    try:
        return ThreadingHTTPServer(("127.0.0.1", port), partial(Quiet, directory=str(folder)))
    except OSError as error:
        raise WebError(f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}") from None


@contextmanager
def serving(folder: str | Path, port: int = 0) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 from a background thread while the block runs (``port`` 0: any free one); the
    site's address. For scripts and tests; ``convcalc web --serve`` serves in the foreground."""
    import threading

    httpd = server(folder, port)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
