"""One traced graph as the kernel keeps it for the widget and the side panel.

An ``Entry`` owns the ``Traced`` result (views built so far and the builders
of the rest), the timing rows, and the one layout cache both the inline
widget and the panel read, so a view is laid out once however many places
show it. Building a pending view goes through ``Entry.build``, which tells
every listener before (so the browser can show "rewriting… 3.2 s") and after.
"""

from __future__ import annotations

import inspect
import linecache
import sys
import time
import tokenize
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .graph import Graph, GraphBundle
from .layout import dot_source, layout
from .messages import PendingJSON, PictureJSON, SourceReply, TimingRowJSON, ViewValuesJSON
from .protocol import Traced, values_of
from .render import LayoutError

#: Laid-out pictures kept per entry (collapsed views, recent expansions, steps).
MAX_PICTURES = 48

Event = Literal["building", "built", "timing"]
Listener = Callable[[Event, str], None]


@dataclass
class Entry:
    """A traced target, its timings and its pictures; ``id`` is unique per kernel."""

    id: str
    traced: Traced
    timings: list[TimingRowJSON] = field(default_factory=list)
    #: View name -> epoch seconds its builder started (while it runs).
    building: dict[str, float] = field(default_factory=dict)
    _pictures: OrderedDict[tuple[str, int | None, frozenset[str]], PictureJSON] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _listeners: list[Listener] = field(default_factory=list, init=False, repr=False)
    #: View name -> its values, computed once when first asked.
    _values: dict[str, ViewValuesJSON] = field(default_factory=dict, init=False, repr=False)

    @property
    def bundle(self) -> GraphBundle:
        return self.traced.bundle

    # -- lazy views ------------------------------------------------------------

    def pending(self) -> dict[str, PendingJSON]:
        return {
            view: {"task": lazy.task, "started": self.building.get(view)}
            for view, lazy in self.traced.later.items()
        }

    def build(self, view: str) -> bool:
        """Build ``view`` now if it is pending; listeners hear before and after."""
        if view not in self.traced.later:
            return False
        before = list(self.traced.later)
        self.building[view] = time.time()
        self._emit("building", view)
        try:
            self.traced.build(view)
        finally:
            self.building.pop(view, None)
        # a builder may build the views it stands on first (the original, say)
        for done in [v for v in before if v not in self.traced.later]:
            self._forget(done)
            self._emit("built", done)
        return True

    def build_all(self) -> None:
        for view in list(self.traced.later):
            self.build(view)

    # -- values -------------------------------------------------------------------

    def values(self, view: str) -> ViewValuesJSON:
        """Every node's value in ``view`` (built first if pending), computed once.

        Asked for by the widget's values toggle and the panel alike, so the
        graph is evaluated once however many places show it.
        """
        cached = self._values.get(view)
        if cached is not None:
            return cached
        self.build(view)
        found = values_of(self.traced, view).to_json()
        self._values[view] = found
        return found

    # -- timing ------------------------------------------------------------------

    def record_timing(self, row: TimingRowJSON) -> None:
        self.timings.append(row)
        self._emit("timing", "")

    # -- rewrites --------------------------------------------------------------------

    def rewrite_source(self, name: str) -> SourceReply:
        """The source of rewrite ``name``, read from the file of the module the
        rewrite says it is defined in. Only this graph's rewrites can be read,
        so a request cannot name an arbitrary file."""
        found = next((r for r in self.bundle.rewrites if r.name == name and r.module), None)
        reply: SourceReply = {"type": "source", "name": name, "module": "", "line": 0, "source": ""}
        if found is None or found.line < 1:
            return {**reply, "error": f"where {name} is defined is not known"}
        reply["module"], reply["line"] = found.module, found.line
        path = getattr(sys.modules.get(found.module), "__file__", None)
        lines = linecache.getlines(path) if path else []
        if len(lines) < found.line:
            return {**reply, "error": f"the source of {found.module} is not available"}
        try:
            block = inspect.getblock(lines[found.line - 1 :])
        except (SyntaxError, tokenize.TokenError):  # edited since it was imported
            block = lines[found.line - 1 : found.line]
        return {**reply, "source": "".join(block)}

    # -- pictures ------------------------------------------------------------------

    def graph(self, view: str, step: int | None = None) -> Graph | None:
        """A view, or its graph after rewrite ``step`` (0 = before any); None if unknown."""
        bundle = self.bundle
        graph = bundle.views.get(view)
        if graph is None or step is None:
            return graph
        start = bundle.rewrite_start.get(view)
        steps = [r.graph for r in bundle.rewrites if r.view == view and r.graph]
        if start is None or not 0 <= step <= len(steps):
            return None
        return start if step == 0 else steps[step - 1]

    def picture(
        self, view: str, expanded: frozenset[str] = frozenset(), step: int | None = None
    ) -> PictureJSON:
        """The laid-out SVG and meta of a view, from the cache when it was laid out before."""
        key = (view, step, expanded)
        cached = self._pictures.get(key)
        if cached is not None:
            self._pictures.move_to_end(key)
            return cached
        graph = self.graph(view, step)
        if graph is None:
            return {"error": f"no view {view!r}"}
        try:
            result = layout(graph, expanded)
        except LayoutError as error:
            picture: PictureJSON = {"error": str(error)}
        else:
            picture = {"svg": result.svg, "meta": result.meta()}
        self._pictures[key] = picture
        while len(self._pictures) > MAX_PICTURES:
            self._pictures.popitem(last=False)
        return picture

    def dot(self, view: str, expanded: frozenset[str], step: int | None = None) -> str | None:
        graph = self.graph(view, step)
        return None if graph is None else dot_source(graph, expanded)

    def _forget(self, view: str) -> None:
        for key in [k for k in self._pictures if k[0] == view]:
            del self._pictures[key]

    # -- listeners ---------------------------------------------------------------

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: Event, view: str) -> None:
        for listener in list(self._listeners):
            listener(event, view)

    def size(self) -> int:
        """Nodes and edges held, snapshots included: what bounds the registry."""
        graphs = [*self.bundle.views.values(), *self.bundle.rewrite_start.values()]
        graphs += [r.graph for r in self.bundle.rewrites if r.graph is not None]
        return sum(len(g.nodes) + len(g.edges) for g in graphs)
