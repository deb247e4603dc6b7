"""The graphs of this kernel session, and the comm that serves them.

The JupyterLab side panel opens a comm with target ``tgraph``; the kernel
answers the few messages defined here and pushes the list whenever a cell
adds graphs. Anything else is ignored and logged: the panel never sends
code to execute. Frontends without the panel simply never open the comm.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

import comm

from .devices import DeviceCache
from .graph import Graph, GraphBundle
from .layout import LayoutError, dot_source, layout

COMM_TARGET = "tgraph"
log = logging.getLogger(__name__)


@dataclass
class Entry:
    id: str
    bundle: GraphBundle
    timings: list[dict[str, Any]] = field(default_factory=list)
    #: Collapsed pictures per view, laid out once: the panel asks again on every open.
    pictures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        views = self.bundle.views
        return {
            "id": self.id,
            "name": self.bundle.target,
            "framework": self.bundle.framework,
            "cell": self.bundle.cell,
            "nodes": {
                name: sum(1 for n in graph.nodes if n.kind == "op") for name, graph in views.items()
            },
            "timing": self.timings[-1] if self.timings else None,
        }


class Registry:
    """Every bundle traced in this kernel, newest last; one per shell."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.entries: list[Entry] = []
        self._ids = itertools.count(1)
        self._comms: list[Any] = []
        #: This kernel's devices and backends, discovered once, for timing.
        self.devices = DeviceCache()

    def open(self) -> None:
        comm.get_comm_manager().register_target(COMM_TARGET, self._on_open)

    def close(self) -> None:
        comm.get_comm_manager().unregister_target(COMM_TARGET, self._on_open)
        for channel in self._comms:
            channel.close()
        self._comms.clear()

    def add(self, bundle: GraphBundle) -> Entry:
        entry = Entry(f"g{next(self._ids)}", bundle)
        self.entries.append(entry)
        self._broadcast()
        return entry

    def record_timing(self, entry: Entry, row: dict[str, Any]) -> None:
        entry.timings.append(row)
        self._broadcast()

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    # -- the comm ------------------------------------------------------------

    def listing(self) -> dict[str, Any]:
        return {"type": "entries", "entries": [e.summary() for e in reversed(self.entries)]}

    def _broadcast(self) -> None:
        for channel in self._comms:
            channel.send(self.listing())

    def _on_open(self, channel: Any, message: dict[str, Any]) -> None:
        self._comms.append(channel)
        channel.on_msg(lambda msg: self._on_msg(channel, msg))
        channel.on_close(lambda _msg: self._comms.remove(channel))
        channel.send(self.listing())

    def _on_msg(self, channel: Any, message: dict[str, Any]) -> None:
        reply = self.answer(message.get("content", {}).get("data", {}))
        if reply is not None:
            channel.send(reply)

    def answer(self, data: Any) -> dict[str, Any] | None:
        """The reply to one panel request, or None for anything undefined."""
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return self._ignore(data)
        kind = data["type"]
        if kind == "list":
            return self.listing()
        entry = self.get(str(data.get("id")))
        if entry is None:
            return self._ignore(data)
        if kind == "get":
            for view, graph in entry.bundle.views.items():
                if view not in entry.pictures:
                    entry.pictures[view] = self._picture(graph)
            return {
                "type": "graph",
                "id": entry.id,
                "bundle": entry.bundle.to_json(),
                "layouts": entry.pictures,
            }
        graph = self._graph(entry, data)
        if graph is None:
            return self._ignore(data)
        expanded = frozenset(str(s) for s in data.get("expanded", []) if isinstance(s, str))
        reply = {"id": entry.id, "view": data["view"], "step": data.get("step")}
        if kind == "layout":
            return {"type": "layout", **reply, **self._picture(graph, expanded)}
        if kind == "dot":
            return {"type": "dot", **reply, "dot": dot_source(graph, expanded)}
        return self._ignore(data)

    @staticmethod
    def _graph(entry: Entry, data: dict[str, Any]) -> Graph | None:
        """The view asked for, or the graph after rewrite step ``step`` of that view."""
        graph = entry.bundle.views.get(str(data.get("view")))
        step = data.get("step")
        if graph is None or step is None:
            return graph
        view = data["view"]
        start = entry.bundle.rewrite_start.get(view)
        steps = [r.graph for r in entry.bundle.rewrites if r.view == view and r.graph]
        if start is None or not isinstance(step, int) or not 0 <= step <= len(steps):
            return None
        return start if step == 0 else steps[step - 1]

    @staticmethod
    def _picture(graph: Graph, expanded: frozenset[str] = frozenset()) -> dict[str, Any]:
        try:
            result = layout(graph, expanded)
        except LayoutError as error:
            return {"error": str(error)}
        return {"svg": result.svg, "meta": result.meta()}

    @staticmethod
    def _ignore(data: Any) -> None:
        log.warning("tgraph: ignored a panel message it does not define: %r", data)
        return None
