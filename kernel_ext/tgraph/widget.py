"""The inline output of ``%%tgraph``: an anywidget plus a static fallback.

The kernel lays out every view and sends SVG; the front end (bundled from
``labextension/src/widget.ts`` into ``static/widget.js``) pans, zooms, searches
and asks for subgraphs to be expanded by writing the ``expanded`` trait, which
makes this object lay that view out again. ``_repr_mimebundle_`` also carries
``text/html`` with the same pictures, for nbconvert, GitHub and frontends
without a widget manager.

Timing: the front end asks with anywidget custom messages, ``{type: "time",
device, backend, size}`` and ``{type: "profile", ...}``; nothing else is
accepted. The widget runs the ``timer`` / ``profiler`` callables the magic
gave it (so it holds no framework logic) and answers by updating traits.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from importlib import resources
from typing import Any

import anywidget
import traitlets as t

from . import layout as lay
from .devices import DeviceError
from .graph import Graph, GraphBundle
from .tables import DeclaredTable, declared_table
from .timing import TimingError

__all__ = ["DeclaredTable", "GraphWidget", "Request", "declared_table", "view_title"]

#: A front-end request (``device``, ``backend``, ``size``) -> a JSON-ready answer.
Request = Callable[[dict[str, Any]], dict[str, Any]]

VIEW_TITLES = {"original": "Original", "optimized": "Optimized", "gradient": "Gradient"}

_MISSING_ESM = """
export default { render({ el }) {
  el.textContent = "tgraph: widget.js is not built (run npm run build:widget); " +
    "the pictures are in this output's HTML fallback.";
} };
"""


def _read_esm() -> str:
    """The bundled front end; a stub that says so when the bundle was not built."""
    try:
        return resources.files("tgraph").joinpath("static/widget.js").read_text("utf-8")
    except FileNotFoundError:
        return _MISSING_ESM


def view_title(name: str) -> str:
    return VIEW_TITLES.get(name, name.replace("_", " ").capitalize())


class GraphWidget(anywidget.AnyWidget):
    """Original, optimized and gradient graphs of one target, laid out in the kernel."""

    _esm = _read_esm()

    #: ``GraphBundle.to_json(steps=False)``: node attributes for search and the inspector.
    bundle = t.Dict().tag(sync=True)
    #: view name -> SVG from ``layout``.
    svg = t.Dict().tag(sync=True)
    #: view name -> ``Layout.meta()`` (visible count, collapsed ids, groups, engine).
    layouts = t.Dict().tag(sync=True)
    #: view name -> ids of expanded subgraphs; written by the front end.
    expanded = t.Dict().tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    #: ``Devices.to_json()``; empty when this target cannot be timed (no panel).
    devices = t.Dict().tag(sync=True)
    #: ``TimingResult.row()`` of every run, oldest first.
    timings = t.List(t.Dict()).tag(sync=True)
    #: True while a timing or profile request runs in the kernel.
    busy = t.Bool(False).tag(sync=True)
    #: Why the last request could not run (no GPU, bad size...); "" after one that ran.
    timing_error = t.Unicode("").tag(sync=True)
    #: ``ProfileResult.to_json()`` of the last profile request.
    profile = t.Dict().tag(sync=True)

    def __init__(
        self,
        bundle: GraphBundle,
        timer: Request | None = None,
        profiler: Request | None = None,
        **kwargs: Any,
    ) -> None:
        self._graphs: dict[str, Graph] = dict(bundle.views)
        self._applied: dict[str, frozenset[str]] = {}
        self._bundle = bundle
        svgs: dict[str, str] = {}
        metas: dict[str, dict[str, Any]] = {}
        errors: list[str] = []
        for name in self._graphs:
            svgs[name], metas[name], problem = self._lay_out(name, frozenset())
            if problem:
                errors.append(problem)
        super().__init__(
            bundle=bundle.to_json(steps=False),
            svg=svgs,
            layouts=metas,
            expanded={name: [] for name in self._graphs},
            error="\n".join(errors),
            **kwargs,
        )
        self.status = self._summary(metas)
        self._timer, self._profiler = timer, profiler
        self.on_msg(self._on_request)

    # -- timing --------------------------------------------------------------

    def _on_request(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Serve the two requests the front end may send; ignore anything else."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "time":
            self.run_timing(content)
        elif kind == "profile":
            self.run_profile(content)

    def run_timing(self, request: dict[str, Any]) -> None:
        """Time once as ``request`` asks and append the row (the magic's own run too)."""
        row = self._serve(self._timer, request)
        if row is not None:
            self.timings = [*self.timings, row]

    def run_profile(self, request: dict[str, Any]) -> None:
        profile = self._serve(self._profiler, request)
        if profile is not None:
            self.profile = profile

    def _serve(self, call: Request | None, request: dict[str, Any]) -> dict[str, Any] | None:
        """The answer of ``call``, or None with the reason in ``timing_error``.

        Nothing raised here may reach the cell or the comm: a request that
        cannot run, an interrupt before anything was measured, and a tgraph
        bug all become one line in the panel.
        """
        if call is None:
            return None
        self.busy = True
        self.timing_error = ""
        try:
            return call(request)
        except (DeviceError, TimingError) as error:
            self.timing_error = str(error)
        except KeyboardInterrupt:
            self.timing_error = "interrupted before anything was measured"
        except Exception as bug:
            self.timing_error = f"internal error, please report it: {type(bug).__name__}: {bug}"
        finally:
            self.busy = False
        return None

    # -- layout --------------------------------------------------------------

    def _lay_out(
        self, view: str, expanded: frozenset[str]
    ) -> tuple[str, dict[str, Any], str | None]:
        """SVG, meta and an error message (None when it worked) for one view."""
        try:
            out = lay.layout(self._graphs[view], expanded)
        except lay.LayoutError as exc:
            message = f"{view_title(view)}: {exc}"
            return "", {"error": message, "expanded": sorted(expanded)}, message
        self._applied[view] = expanded
        return out.svg, out.meta(), None

    @t.observe("expanded")
    def _on_expanded(self, change: dict[str, Any]) -> None:
        """Lay out again each view whose expanded set the front end changed."""
        wanted = {v: frozenset(ids) for v, ids in change["new"].items() if v in self._graphs}
        changed = [v for v, ids in wanted.items() if ids != self._applied.get(v)]
        if not changed:
            return
        svgs, metas = dict(self.svg), dict(self.layouts)
        problems: list[str] = []
        for view in changed:
            svg, meta, problem = self._lay_out(view, wanted[view])
            if problem:
                problems.append(problem)
                continue  # keep the last picture that worked
            svgs[view], metas[view] = svg, meta
        with self.hold_sync():  # one message, so the front end never mixes old and new
            self.svg, self.layouts = svgs, metas
            self.error = "\n".join(problems)
            if problems:  # tell the front end which expansion is really shown
                self.expanded = {v: sorted(ids) for v, ids in self._applied.items()}
            self.status = self._summary(metas)

    @staticmethod
    def _summary(metas: dict[str, dict[str, Any]]) -> str:
        done = [m for m in metas.values() if "engine" in m]
        if not done:
            return ""
        seconds = sum(float(m["seconds"]) for m in done)  # type: ignore[arg-type]
        return f"laid out by Graphviz ({done[0]['engine']}) in {seconds:.2f} s"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view plus ``text/html`` for places without a widget manager."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            data["text/html"] = self.static_html()
        return bundle

    def static_html(self) -> str:
        """Every view's SVG under a heading, then rewrites and notes, all text escaped."""
        b = self._bundle
        parts = [
            '<div class="tg-static">',
            f"<p><b>tgraph</b> {_e(b.target)} ({_e(b.framework)})</p>",
        ]
        if b.notes:
            parts.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in b.notes) + "</ul>")
        for name in self._graphs:
            parts.append(f"<h4>{_e(view_title(name))}</h4>")
            notes = [n for n in self._graphs[name].notes if n not in b.notes]
            if notes:
                parts.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
            if not self._graphs[name].nodes:
                parts.append("<p>Nothing in this view.</p>")
                continue
            svg = self.svg.get(name, "")
            parts.append(svg or f"<p>{_e(self.layouts.get(name, {}).get('error', ''))}</p>")
        shown = [r for r in b.rewrites if not r.noise]
        if shown:
            parts.append("<h4>Rewrites</h4><ol>")
            parts += [
                f"<li>{_e(r.name)}: {_e(r.replaced)} → {_e(r.replacement)}</li>" for r in shown
            ]
            parts.append("</ol>")
        if len(shown) < len(b.rewrites):
            parts.append(f"<p>{len(b.rewrites) - len(shown)} bookkeeping rewrites not shown</p>")
        text = b.info.get("stablehlo")
        if isinstance(text, str) and text:
            parts.append(f"<details><summary>StableHLO</summary><pre>{_e(text)}</pre></details>")
        parts.append("</div>")
        return "\n".join(parts)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
