"""``tgraph.show`` and ``tgraph.export``: one graph, without a ``%%tgraph`` cell.

For scripts, tests and cells that want one graph: ``show(f, x, y)`` displays
the same widget the magic shows for a JAX function called on ``(x, y)``, a
PyTensor variable or compiled function, or a PyMC model; ``export(f, x, y,
path="graph.svg")`` writes one view as SVG, PNG, DOT or the graph's JSON.
The options are the magic's own, written as on its line
(``options="--wrt 0 --no-run"``). Outside a notebook every view is built at
once, as ``--sync`` does: no front end will ask for them later.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .callsites import site, user_frame
from .discovery import loaded_frontends
from .graph import Graph
from .protocol import CellInfo, Frontend, Options, Target, Traced, TraceError
from .quiet import quiet
from .registry import Registry

#: The formats ``export`` writes, by file suffix.
FORMATS = (".svg", ".png", ".dot", ".json")

_SCRIPT_REGISTRY: Registry | None = None


@dataclass
class Shown:
    """One traced target, ready to display or write."""

    frontend: Frontend
    target: Target
    traced: Traced
    options: Options


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def _registry() -> Registry:
    """The kernel's registry when the extension is loaded (the side panel lists it)."""
    global _SCRIPT_REGISTRY
    shell = _shell()
    magics = shell.magics_manager.registry.get("TgraphMagics") if shell is not None else None
    if magics is not None:
        registry: Registry = magics.registry
        return registry
    if _SCRIPT_REGISTRY is None:
        _SCRIPT_REGISTRY = Registry()
    return _SCRIPT_REGISTRY


def _options(options: str | Options) -> Options:
    if isinstance(options, Options):
        return options
    from .magic import parse_options

    parsed = parse_options(options)
    if _shell() is None or getattr(_shell(), "kernel", None) is None:
        parsed.sync = True  # no front end will ask for the views later
    return parsed


def _name(obj: Any) -> str:
    for attr in ("__name__", "name"):
        found = getattr(obj, attr, None)
        if isinstance(found, str) and found and not found.startswith("<"):
            return found
    return type(obj).__name__


def _caller_name(obj: Any) -> str:
    """What the caller called ``obj``: ``y`` in ``tgraph.show(y)``, else its own name."""
    frame = user_frame(sys._getframe(1))
    where = site(frame.f_code, frame.f_lasti) if frame is not None else None
    text = where.texts[0] if where is not None and where.texts else ""
    return text if text.replace(".", "").replace("_", "a").isalnum() else _name(obj)


def trace(
    obj: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    options: str | Options = "",
    name: str | None = None,
) -> Shown:
    """The one graph ``obj`` makes (called on ``args`` when given)."""
    opts = _options(options)
    name = name or _name(obj)
    cell = CellInfo("")
    given = bool(args or kwargs)
    for frontend in loaded_frontends():
        # only ``obj``'s own: the records of the last traced cell name other programs
        found = [t for t in frontend.targets({name: obj}, cell) if name in (t.name, *t.aliases)]
        if not found and given:
            target = frontend.target_for_call(name, obj)
            found = [target] if target is not None else []
        if not found:
            continue
        target = found[0]
        if given:
            target.args, target.kwargs = tuple(args), dict(kwargs)
        with quiet():
            traced = frontend.trace(target, opts, cell)
        return Shown(frontend, target, traced, opts)
    what = f"{type(obj).__name__} {name!r}"
    titles = " or ".join(f.title for f in loaded_frontends()) or "no framework imported"
    raise TraceError(f"{what} is not a graph or function tgraph can draw ({titles})")


def show(obj: Any, *args: Any, options: str | Options = "", **kwargs: Any) -> None:
    """Display the widget of ``obj`` called on ``args``/``kwargs``.

    ``options`` are the magic's, as on its line: ``"--no-run --wrt 0"``.
    Returns nothing, so a cell ending in ``tgraph.show(...)`` shows it once.
    """
    from IPython.display import display

    from .magic import present

    shown = trace(obj, args, kwargs, options, _caller_name(obj))
    widget = present(shown.frontend, shown.target, shown.traced, shown.options, _registry())
    display(widget)
    if shown.options.run and shown.traced.offers.timing and shown.options.sync:
        widget.run_timing({})


def export(
    obj: Any,
    *args: Any,
    path: str | Path = "graph.svg",
    view: str = "original",
    options: str | Options = "",
    **kwargs: Any,
) -> Path:
    """Write one view of ``obj``'s graph to ``path``: .svg, .png, .dot or .json (every view).

    Returns the path written. ``options`` are the magic's, as on its line.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"tgraph.export writes {', '.join(FORMATS)}, not {suffix or 'no suffix'}")
    opts = _options(options)
    opts.run = False  # a file has no timing table
    shown = trace(obj, args, kwargs, opts, _caller_name(obj))
    traced = shown.traced
    if suffix == ".json":
        traced.build_all()
        target.write_text(json.dumps(traced.bundle.to_json(), indent=1))
        return target
    graph = _view(traced, view)
    from .layout import dot_source, layout

    _release_engine_at_exit()
    if suffix == ".dot":
        target.write_text(dot_source(graph))
        return target
    svg = layout(graph).svg
    if suffix == ".svg":
        target.write_text(svg)
        return target
    try:
        import cairosvg
    except ImportError as missing:
        raise ImportError("PNG export needs CairoSVG: pip install cairosvg") from missing
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(target), scale=2)
    return target


def _release_engine_at_exit() -> None:
    """Let the wasm Graphviz go before the interpreter tears its modules down: a
    script's exit would otherwise print wasmtime's complaints about it."""
    global _RELEASE
    if not _RELEASE:
        import atexit

        from . import render

        atexit.register(lambda: setattr(render, "_wasm_backend", None))
        _RELEASE = True


_RELEASE = False


def _view(traced: Traced, view: str) -> Graph:
    offered = [v.name for v in traced.offers.views]
    if view not in offered:
        raise ValueError(f"no view {view!r}: this graph has {', '.join(offered)}")
    traced.build(view)
    if view in traced.errors:
        raise TraceError(traced.errors[view])
    return traced.bundle.views[view]
