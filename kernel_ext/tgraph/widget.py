"""The inline output of ``%%tgraph``: an anywidget plus a static fallback.

The kernel lays out every view and sends SVG; the front end (bundled from
``labextension/src/widget/`` into ``static/widget.js``) pans, zooms,
searches and asks for subgraphs to be expanded by writing the ``expanded``
trait, which makes this object lay that view out again. The traits are
declared once per language: ``messages.WidgetState`` and ``messages.ts``.

Heavy views arrive after the cell: the front end sends ``{type: "view"}``
once the widget is near the screen. Comm messages do not wait behind the
cells already sent (they may land on another thread, or while a cell
awaits), so every request is a job on ``idle.IdleQueue``, which runs it on
the main thread once no cell is running and, for heavy jobs, once the cells
have settled: Run All runs every cell first. The same holds for
``{type: "devices"}`` and ``{type: "time"}``: nothing is timed in the cell.
Displayed, the widget comes after a static copy of its own (``static.py``):
the pictures of the views that exist when the cell ends, for nbconvert,
GitHub and front ends without widgets. The saved widget state is packed
(gzip + base64) so a saved output stays small.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anywidget
import traitlets as t
from IPython.display import display, update_display

from .devices import DeviceError
from .entry import Entry, Event
from .idle import Kind
from .messages import DevicesJSON, LayoutMetaJSON, ProfileJSON, TimingRowJSON
from .requests import Dispatcher
from .static import STATIC_BUDGET, captioned, loader, pack_json, pack_svgs
from .tables import DeclaredTable, declared_table
from .timing import Clock, StopClock, TimingError

__all__ = ["DeclaredTable", "GraphWidget", "declared_table"]

#: Queues a job for the kernel's main thread, saying when it may run (``idle.IdleQueue``).
Submit = Callable[[Callable[[], None], Kind], None]

#: The widget's own requests (its timing table) and when they may run: timing
#: waits for the views someone looks at. The rest go to the ``Dispatcher``.
_TIMING_KINDS = {
    "devices": Kind.BACKGROUND,
    "time": Kind.BACKGROUND,
    "profile": Kind.BACKGROUND,
}


def _now(job: Callable[[], None], kind: Kind = Kind.SHOWN) -> None:
    job()


#: A front-end request (``device``, ``backend``, ``size``) -> a JSON-ready answer.
Request = Callable[[dict[str, Any]], Any]
#: The same for a timing run, measured with the clock it is given.
Timer = Callable[[dict[str, Any], Clock], TimingRowJSON]


class GraphWidget(anywidget.AnyWidget):
    """The views of one traced target, laid out in the kernel, built as asked."""

    #: The bundled front end, packed: a small module that unpacks and imports it.
    _esm = loader()

    #: ``GraphBundle.to_json(steps=False)``: node attributes for search and the
    #: inspector; sent packed (``static.pack_json``).
    bundle = t.Dict().tag(sync=True, to_json=pack_json)
    #: ``Offers.to_json()``: the views, tabs and controls this graph has.
    offers = t.Dict().tag(sync=True)
    #: view name -> SVG from ``layout``; each sent packed (``static.pack_svgs``).
    svg = t.Dict().tag(sync=True, to_json=pack_svgs)
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
    #: view name -> ``ViewValues.to_json()``: filled only when the front end asks.
    values = t.Dict().tag(sync=True)
    #: Marks this widget's static copy, which the front end hides where the widget renders.
    static_id = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        entry: Entry,
        timer: Timer | None = None,
        profiler: Request | None = None,
        discover: Callable[[], DevicesJSON] | None = None,
        submit: Submit | None = None,
        dispatcher: Dispatcher | None = None,
        **kwargs: Any,
    ) -> None:
        self._entry = entry
        self._submit: Submit = submit or _now
        #: Answers the graph requests (views, values, sources) as for every host.
        self._dispatcher = dispatcher or Dispatcher(None)
        self._applied: dict[str, frozenset[str]] = {}
        self._static_shown = False
        svgs, metas, problems = self._pictures(list(entry.bundle.views))
        super().__init__(
            bundle=entry.bundle.to_json(steps=False),
            offers=entry.traced.offers.to_json(),
            svg=svgs,
            layouts=metas,
            expanded={name: [] for name in entry.bundle.views},
            pending=entry.pending(),
            error="\n".join(problems),
            static_id="tgs" + uuid.uuid4().hex,
            # in the state the comm opens with: an update right after it would
            # hold up the page's kernel messages while the new model loads
            status=self._summary(metas),
            **kwargs,
        )
        self._timer, self._profiler, self._discover = timer, profiler, discover
        #: Timing and profile requests received, and how many of them were stopped.
        self._asked = self._stopped = 0
        #: The running timing's clock, which Stop stops.
        self._clock: StopClock | None = None
        self.on_msg(self._on_request)
        entry.listen(self._on_entry)

    # -- requests from the front end ---------------------------------------------

    def _on_request(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Queue the requests ``messages.WidgetRequest`` declares; ignore anything else.

        The request may arrive on a kernel subshell's thread while a cell
        runs: the work itself waits for the main thread (``idle.IdleQueue``).
        """
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "stop":  # at once, on whichever thread it landed
            self._stop()
            return
        number = 0
        if kind in ("time", "profile"):
            self._asked += 1
            number = self._asked
        when = _TIMING_KINDS.get(str(kind)) or self._dispatcher.kind(content)
        self._submit(lambda: self._serve_request(kind, content, number), when)

    def _stop(self) -> None:
        """Stop the runs asked for so far: queued ones never start, a running one ends."""
        self._stopped = self._asked
        if self._clock is not None:
            self._clock.stop()

    def _serve_request(self, kind: Any, content: Any, number: int = 0) -> None:
        if number and number <= self._stopped:
            self.timing_error = "stopped before it started"
        elif kind == "time":
            self.run_timing(content)
        elif kind == "profile":
            self.run_profile(content)
        elif kind == "devices":
            self.find_devices()
        elif kind in ("view", "source", "values"):
            self._apply(self._dispatcher.answer(content, self._entry))

    def _apply(self, reply: Any) -> None:
        """Show a dispatcher's reply: a view built shows itself (``_on_entry``)."""
        if reply is None:
            return
        if reply["type"] == "values":
            self.values = {**self.values, reply["view"]: reply["values"]}
        elif reply["type"] == "source":  # the widget's reply names no graph
            self.send({k: v for k, v in reply.items() if k != "id"})

    def find_values(self, view: str) -> None:
        """Every node's value in ``view``, on the cell's inputs (or made-up ones)."""
        self._apply(self._dispatcher.answer({"type": "values", "view": view}, self._entry))

    def find_devices(self) -> None:
        def found(devices: Any) -> None:
            self.devices = devices

        said = self.timing_error  # what the panel says before any run stays said
        self._serve(lambda _request: self._discover() if self._discover else None, {}, found)
        self.timing_error = self.timing_error or said

    def run_timing(self, request: dict[str, Any]) -> None:
        """Time once as ``request`` asks and append the row."""
        if not self.devices:
            self.find_devices()
        clock = self._clock = StopClock()
        timer = self._timer

        def append(row: TimingRowJSON) -> None:
            self.timings = [*self.timings, row]

        try:
            self._serve(None if timer is None else lambda r: timer(r, clock), request, append)
        finally:
            self._clock = None

    def run_profile(self, request: dict[str, Any]) -> None:
        def show(profile: ProfileJSON) -> None:
            self.profile = profile

        self._serve(self._profiler, request, show)

    def _serve(
        self, call: Request | None, request: dict[str, Any], apply: Callable[[Any], None]
    ) -> None:
        """Run ``call`` and ``apply`` its answer, or put the reason in ``timing_error``.

        Nothing raised here may reach the cell or the comm: a request that
        cannot run, an interrupt before anything was measured, and a tgraph
        bug all become one line in the panel. The answer and the end of
        ``busy`` go out as one message, so the panel never shows neither.
        """
        if call is None:
            return
        self.busy = True
        self.timing_error = ""
        answer = None
        try:
            answer = call(request)
        except (DeviceError, TimingError) as error:
            self.timing_error = str(error)
        except KeyboardInterrupt:
            self.timing_error = "interrupted before anything was measured"
        except Exception as bug:
            self.timing_error = f"internal error, please report it: {type(bug).__name__}: {bug}"
        finally:
            with self.hold_sync():
                if answer is not None:
                    apply(answer)
                self.busy = False

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
            self._update_static(view)

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
        self._submit(lambda: self._expand(change["new"]), Kind.LIGHT)

    def _expand(self, asked: dict[str, Any]) -> None:
        views = self._entry.bundle.views
        wanted = {v: frozenset(ids) for v, ids in asked.items() if v in views}
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
        """The widget view, and a line of text where no widget manager runs."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            b = self._entry.bundle
            data["text/plain"] = f"tgraph: {b.target} ({b.framework}); its pictures are above"
        return bundle

    def _ipython_display_(self) -> None:
        """The static copy as outputs of their own, then the widget.

        nbconvert's HTML templates show only the widget view of an output
        once widget state is saved, and that view needs a widget manager from
        a CDN; pictures in outputs of their own survive offline, in Markdown
        (one image file each), on GitHub and in nbviewer. The widget hides
        them where it renders (``static_id``).
        """
        for key, data in self._static_items():
            display(data, raw=True, display_id=f"{self.static_id}-{key}")
        self._static_shown = True
        bundle = self._repr_mimebundle_()
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=metadata, raw=True)

    def static_outputs(self) -> list[tuple[str, dict[str, str]]]:
        """``(key, mimebundle)`` per static output: the heading, one per view, the rewrites.

        Every view the graph offers has an output: its picture
        (``image/svg+xml``, titled inside the picture), or why it is not in
        this copy; a view built later replaces that output while the kernel lives.
        """
        return list(self._static_items())

    def _static_items(self) -> Iterator[tuple[str, dict[str, str]]]:
        """The static outputs in order, made one at a time (an update needs only one)."""
        b = self._entry.bundle
        head = [f"<p><b>tgraph</b> {_e(b.target)} ({_e(b.framework)})</p>"]
        if b.notes:
            head.append(_list(b.notes))
        yield "head", self._html(head, f"tgraph: {b.target} ({b.framework})")
        budget = STATIC_BUDGET
        for offer in self._entry.traced.offers.views:
            data = self._static_view(offer.name, offer.title, budget)
            budget -= len(data.get("image/svg+xml", ""))
            yield f"view-{offer.name}", data
        tail = self._tail_html()
        if tail:
            yield "tail", self._html(tail, "")

    def _static_view(self, view: str, title: str, budget: int) -> dict[str, str]:
        entry = self._entry
        graph = entry.bundle.views.get(view)
        target = entry.bundle.target
        if graph is None:
            lazy = entry.traced.later.get(view)
            task = lazy.task if lazy else "building"
            why = (
                f"{title}: not in this copy: this view is built after the cell ({task}). "
                "Run the cell with %%tgraph --sync to keep it."
            )
            return self._html([f"<p>{_e(why)}</p>"], why)
        notes = [n for n in graph.notes if n not in entry.bundle.notes]
        svg = self.svg.get(view, "")
        error = self.layouts.get(view, {}).get("error", "")
        if not graph.nodes or not svg:
            why = f"{title}: nothing in this view." if not graph.nodes else error
            return self._html([f"<p>{_e(why)}</p>", *([_list(notes)] if notes else [])], why)
        picture = captioned(svg, f"{title} · {target}", notes, self.static_id)
        if len(picture) > budget:
            why = (
                f"{title}: left out of this copy: its picture takes {len(picture) // 1000} KB, "
                "more than a saved output keeps. The widget and the side panel show it."
            )
            return self._html([f"<p>{_e(why)}</p>"], why)
        nodes = len(graph.nodes)
        return {"image/svg+xml": picture, "text/plain": f"{title} of {target}: {nodes} nodes"}

    def _tail_html(self) -> list[str]:
        b = self._entry.bundle
        offers = self._entry.traced.offers
        parts: list[str] = []
        if offers.rewrites:
            parts += _rewrites_html(b, offers.show_noise)
        for text in offers.texts:
            value = b.info.get(text.key)
            if isinstance(value, str) and value:
                parts.append(
                    f"<details><summary>{_e(text.title)}</summary><pre>{_e(value)}</pre></details>"
                )
        return parts

    def _html(self, parts: list[str], plain: str) -> dict[str, str]:
        body = "\n".join(parts)
        page = f'<div class="tg-static" data-tg-static="{self.static_id}">\n{body}\n</div>'
        return {"text/html": page, "text/plain": plain}

    def _update_static(self, view: str) -> None:
        """Replace a view's "built after the cell" output with its picture."""
        if not self._static_shown:
            return
        for key, data in self._static_items():
            if key == f"view-{view}":
                update_display(data, raw=True, display_id=f"{self.static_id}-{key}")
                return


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
