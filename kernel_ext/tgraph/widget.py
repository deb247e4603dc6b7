"""The inline output of ``%%tgraph``: an anywidget plus a static fallback.

The kernel lays out every view and sends SVG; the front end (bundled from
``labextension/src/widget.ts`` into ``static/widget.js``) pans, zooms,
searches and asks for subgraphs to be expanded by writing the ``expanded``
trait, which makes this object lay that view out again. The traits are
declared once per language: ``messages.WidgetState`` and ``messages.ts``.

Heavy views arrive after the cell: the front end sends ``{type: "view"}``
once the widget is on screen, and because comm messages queue behind the
cells already sent, Run All runs every cell first. The same holds for
``{type: "devices"}`` and ``{type: "time"}``: nothing is timed in the cell.
``_repr_mimebundle_`` also carries ``text/html`` with the views that exist
when the cell ends, for nbconvert, GitHub and frontends without widgets.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from importlib import resources
from typing import Any, cast

import anywidget
import traitlets as t

from .devices import DeviceError
from .entry import Entry, Event
from .messages import DevicesJSON, LayoutMetaJSON, ProfileJSON, TimingRowJSON
from .tables import DeclaredTable, declared_table
from .timing import TimingError

__all__ = ["DeclaredTable", "GraphWidget", "declared_table"]

#: A front-end request (``device``, ``backend``, ``size``) -> a JSON-ready answer.
Request = Callable[[dict[str, Any]], Any]

_MISSING_ESM = """
export default { render({ el }) {
  el.textContent = "tgraph: widget.js is not built (run npm run build:widget); " +
    "the pictures are in this output's HTML fallback.";
} };
"""


def _static(name: str, fallback: str) -> str:
    """A file of the bundled front end, or ``fallback`` when it was not built."""
    try:
        return resources.files("tgraph").joinpath("static", name).read_text("utf-8")
    except FileNotFoundError:
        return fallback


class GraphWidget(anywidget.AnyWidget):
    """The views of one traced target, laid out in the kernel, built as asked."""

    _esm = _static("widget.js", _MISSING_ESM)
    _css = _static("widget.css", "")

    #: ``GraphBundle.to_json(steps=False)``: node attributes for search and the inspector.
    bundle = t.Dict().tag(sync=True)
    #: ``Offers.to_json()``: the views, tabs and controls this graph has.
    offers = t.Dict().tag(sync=True)
    #: view name -> SVG from ``layout``.
    svg = t.Dict().tag(sync=True)
    #: view name -> ``Layout.meta()`` (visible count, collapsed ids, groups, engine).
    layouts = t.Dict().tag(sync=True)
    #: view name -> ids of expanded subgraphs; written by the front end.
    expanded = t.Dict().tag(sync=True)
    #: view name -> ``{task, started}`` for views not built yet.
    pending = t.Dict().tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    #: ``Devices.to_json()``; empty until the front end asks (discovery is slow).
    devices = t.Dict().tag(sync=True)
    #: ``TimingResult.row()`` of every run, oldest first.
    timings = t.List(t.Dict()).tag(sync=True)
    #: True while a timing or profile request runs in the kernel.
    busy = t.Bool(False).tag(sync=True)
    #: Why the last request could not run (no GPU, bad size...); "" after one that ran.
    timing_error = t.Unicode("").tag(sync=True)
    #: ``ProfileResult.to_json()`` of the last profile request.
    profile = t.Dict().tag(sync=True)
    #: Time once by itself when it is on screen (the magic's ``--no-run`` turns it off).
    autorun = t.Bool(False).tag(sync=True)

    def __init__(
        self,
        entry: Entry,
        timer: Request | None = None,
        profiler: Request | None = None,
        discover: Callable[[], DevicesJSON] | None = None,
        **kwargs: Any,
    ) -> None:
        self._entry = entry
        self._applied: dict[str, frozenset[str]] = {}
        svgs, metas, problems = self._pictures(list(entry.bundle.views))
        super().__init__(
            bundle=entry.bundle.to_json(steps=False),
            offers=entry.traced.offers.to_json(),
            svg=svgs,
            layouts=metas,
            expanded={name: [] for name in entry.bundle.views},
            pending=entry.pending(),
            error="\n".join(problems),
            **kwargs,
        )
        self.status = self._summary(metas)
        self._timer, self._profiler, self._discover = timer, profiler, discover
        self.on_msg(self._on_request)
        entry.listen(self._on_entry)

    # -- requests from the front end ---------------------------------------------

    def _on_request(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Serve the requests ``messages.WidgetRequest`` declares; ignore anything else."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "time":
            self.run_timing(content)
        elif kind == "profile":
            self.run_profile(content)
        elif kind == "view" and isinstance(content.get("view"), str):
            self._entry.build(content["view"])
        elif kind == "devices":
            self.find_devices()

    def find_devices(self) -> None:
        found = self._serve(lambda _request: self._discover() if self._discover else None, {})
        if found is not None:
            self.devices = found

    def run_timing(self, request: dict[str, Any]) -> None:
        """Time once as ``request`` asks and append the row."""
        if not self.devices:
            self.find_devices()
        row = cast(TimingRowJSON | None, self._serve(self._timer, request))
        if row is not None:
            self.timings = [*self.timings, row]

    def run_profile(self, request: dict[str, Any]) -> None:
        profile = cast(ProfileJSON | None, self._serve(self._profiler, request))
        if profile is not None:
            self.profile = profile

    def _serve(self, call: Request | None, request: dict[str, Any]) -> Any:
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

    # -- views built after the cell ------------------------------------------------

    def _on_entry(self, event: Event, view: str) -> None:
        if event == "building":
            self.pending = self._entry.pending()
        elif event == "built":
            svgs, metas, problems = self._pictures([view])
            with self.hold_sync():  # one message: the tab never mixes old and new
                self.bundle = self._entry.bundle.to_json(steps=False)
                self.svg = {**self.svg, **svgs}
                self.layouts = {**self.layouts, **metas}
                self.expanded = {**self.expanded, view: sorted(self._applied.get(view, ()))}
                self.pending = self._entry.pending()
                self.error = "\n".join(problems)
                self.status = self._summary(self.layouts)

    # -- layout --------------------------------------------------------------------

    def _pictures(
        self, views: list[str], expanded: dict[str, frozenset[str]] | None = None
    ) -> tuple[dict[str, str], dict[str, LayoutMetaJSON], list[str]]:
        """SVG and meta per view from the entry's shared cache, and what failed."""
        svgs: dict[str, str] = {}
        metas: dict[str, LayoutMetaJSON] = {}
        problems: list[str] = []
        for view in views:
            ids = (expanded or {}).get(view, frozenset())
            picture = self._entry.picture(view, ids)
            if "error" in picture:
                title = self._title(view)
                problems.append(f"{title}: {picture['error']}")
                metas[view] = {"error": f"{title}: {picture['error']}", "expanded": sorted(ids)}
                svgs[view] = ""
                continue
            self._applied[view] = ids
            svgs[view], metas[view] = picture.get("svg", ""), picture.get("meta", {})
        return svgs, metas, problems

    @t.observe("expanded")
    def _on_expanded(self, change: dict[str, Any]) -> None:
        """Lay out again each view whose expanded set the front end changed."""
        views = self._entry.bundle.views
        wanted = {v: frozenset(ids) for v, ids in change["new"].items() if v in views}
        changed = [v for v, ids in wanted.items() if ids != self._applied.get(v)]
        if not changed:
            return
        svgs, metas, problems = self._pictures(changed, wanted)
        keep = {v for v in changed if metas[v].get("error")}  # keep the last picture that worked
        with self.hold_sync():  # one message, so the front end never mixes old and new
            self.svg = {**self.svg, **{v: s for v, s in svgs.items() if v not in keep}}
            self.layouts = {**self.layouts, **{v: m for v, m in metas.items() if v not in keep}}
            self.error = "\n".join(problems)
            if problems:  # tell the front end which expansion is really shown
                self.expanded = {v: sorted(ids) for v, ids in self._applied.items()}
            self.status = self._summary(self.layouts)

    def _title(self, view: str) -> str:
        titles = {v.name: v.title for v in self._entry.traced.offers.views}
        return titles.get(view, view)

    @staticmethod
    def _summary(metas: dict[str, Any]) -> str:
        done = [m for m in metas.values() if "engine" in m]
        if not done:
            return ""
        seconds = sum(float(m["seconds"]) for m in done)
        return f"laid out by Graphviz ({done[0]['engine']}) in {seconds:.2f} s"

    # -- the static copy -----------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view plus ``text/html`` for places without a widget manager."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            data["text/html"] = self.static_html()
        return bundle

    def static_html(self) -> str:
        """Every built view's SVG under a heading, then rewrites and notes, all text escaped.

        Views still pending are named with the reason they are missing, so
        the copy never passes for complete.
        """
        entry = self._entry
        b = entry.bundle
        offers = entry.traced.offers
        parts = [
            '<div class="tg-static">',
            f"<p><b>tgraph</b> {_e(b.target)} ({_e(b.framework)})</p>",
        ]
        if b.notes:
            parts.append(_list(b.notes))
        for offer in offers.views:
            parts.append(f"<h4>{_e(offer.title)}</h4>")
            graph = b.views.get(offer.name)
            if graph is None:
                lazy = entry.traced.later.get(offer.name)
                task = lazy.task if lazy else "building"
                parts.append(
                    f"<p>Not in this copy: this view is built after the cell ({_e(task)}). "
                    "Run the cell with %%tgraph --sync to keep it.</p>"
                )
                continue
            notes = [n for n in graph.notes if n not in b.notes]
            if notes:
                parts.append(_list(notes))
            if not graph.nodes:
                parts.append("<p>Nothing in this view.</p>")
                continue
            svg = self.svg.get(offer.name, "")
            error = self.layouts.get(offer.name, {}).get("error", "")
            parts.append(svg or f"<p>{_e(error)}</p>")
        if offers.rewrites:
            parts += _rewrites_html(b, offers.show_noise)
        for text in offers.texts:
            value = b.info.get(text.key)
            if isinstance(value, str) and value:
                parts.append(
                    f"<details><summary>{_e(text.title)}</summary><pre>{_e(value)}</pre></details>"
                )
        parts.append("</div>")
        return "\n".join(parts)


def _rewrites_html(bundle: Any, show_noise: bool) -> list[str]:
    rewrites = list(bundle.rewrites)
    shown = [r for r in rewrites if show_noise or not r.noise]
    parts: list[str] = []
    if shown:
        parts.append("<h4>Rewrites</h4><ol>")
        parts += [f"<li>{_e(r.name)}: {_e(r.replaced)} → {_e(r.replacement)}</li>" for r in shown]
        parts.append("</ol>")
    hidden = len(rewrites) - len(shown)
    if hidden:
        parts.append(
            f"<p>{hidden} bookkeeping rewrites (merge, constant folding) not listed; "
            "%%tgraph --show-noise lists them</p>"
        )
    return parts


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in items) + "</ul>"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
