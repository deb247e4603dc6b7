"""The graphs of this kernel session, and the comm that serves them.

The JupyterLab side panel opens a comm with target ``tgraph``; the kernel
answers the few messages declared in ``messages.py`` (``requests.Dispatcher``,
which the widgets and VS Code's panel reach too) and pushes the list
whenever a cell adds graphs, a pending view is built or a timing lands.
Anything else is ignored and logged: the panel never sends code to execute.
Frontends without the panel simply never open the comm.

The registry is bounded: it keeps the newest graphs up to ``max_entries``
and ``max_size`` nodes and edges in all, and counts the ones it let go, so
a long session does not grow without limit.

A graph's reply is built once and kept, packed, until its entry says it
changed (a view starts or ends building): a big graph takes the kernel a
few hundred ms to turn into JSON, and the panel asks for it on every open.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any

import comm

from .devices import DeviceCache
from .entry import Entry, Event
from .idle import IdleQueue
from .messages import EntriesReply, EntryJSON, GraphReply, PanelMessage, PanelReply
from .protocol import Traced
from .requests import Dispatcher, graph_message, graph_reply
from .wire import wire

COMM_TARGET = "tgraph"
MAX_ENTRIES = 200
#: Nodes plus edges over every entry's views and stepper snapshots.
MAX_SIZE = 2_000_000
#: Characters of graph replies kept as sent (packed), over every entry.
MAX_KEPT = 32_000_000
#: Events after which an entry's ``get`` reply differs: ``pending`` says when a
#: build started, and a built view adds its graph, rewrites and picture.
CHANGES_GRAPH = frozenset({"building", "built"})


def summary(entry: Entry) -> EntryJSON:
    """One row of the panel's list, kept by the registry until the entry changes."""
    bundle = entry.bundle
    return {
        "id": entry.id,
        "name": bundle.target,
        "framework": bundle.framework,
        "cell": bundle.cell,
        "nodes": {
            name: sum(1 for n in graph.nodes if n.kind == "op")
            for name, graph in bundle.views.items()
        },
        "pending": list(entry.traced.later),
        "timing": entry.timings[-1] if entry.timings else None,
    }


class Registry:
    """Every graph traced in this kernel, newest last; one per shell."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, max_size: int = MAX_SIZE, max_kept: int = MAX_KEPT
    ) -> None:
        self.entries: list[Entry] = []
        self.dropped = 0
        self.max_entries = max_entries
        self.max_size = max_size
        self.max_kept = max_kept
        self._ids = itertools.count(1)
        self._comms: list[Any] = []
        #: Each frontend's devices and backends, discovered once, for timing.
        self.devices = DeviceCache()
        #: Where requests from the browser wait for the kernel's main thread.
        self.idle = IdleQueue()
        #: Entry id -> its ``get`` reply as sent, newest use last, and its size.
        self._kept: OrderedDict[str, tuple[PanelMessage, int]] = OrderedDict()
        self._kept_size = 0
        #: Entry id -> its row of the list.
        self._rows: dict[str, EntryJSON] = {}
        #: What answers the panel's requests (and the widgets' and VS Code's).
        self.dispatcher = Dispatcher(self)

    def open(self) -> None:
        comm.get_comm_manager().register_target(COMM_TARGET, self._on_open)

    def close(self) -> None:
        comm.get_comm_manager().unregister_target(COMM_TARGET, self._on_open)
        for channel in self._comms:
            channel.close()
        self._comms.clear()

    def add(self, traced: Traced) -> Entry:
        entry = Entry(f"g{next(self._ids)}", traced)
        entry.listen(lambda event, view: self._on_event(entry, event, view))
        self.entries.append(entry)
        self._bound()
        self._broadcast()
        return entry

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def _bound(self) -> None:
        """Let the oldest graphs go until the newest fit; the newest always stays."""
        total = sum(e.size() for e in self.entries)
        while len(self.entries) > 1 and (
            len(self.entries) > self.max_entries or total > self.max_size
        ):
            gone = self.entries.pop(0)
            total -= gone.size()
            self.dropped += 1
            self._forget(gone.id)

    def _on_event(self, entry: Entry, event: Event, _view: str) -> None:
        self._forget(entry.id, graph=event in CHANGES_GRAPH)
        if event != "building":
            self._broadcast()

    def _forget(self, entry_id: str, graph: bool = True) -> None:
        """Drop what is kept of an entry: its row, and its graph reply too when ``graph``."""
        self._rows.pop(entry_id, None)
        kept = self._kept.pop(entry_id, None) if graph else None
        if kept is not None:
            self._kept_size -= kept[1]

    # -- the comm ------------------------------------------------------------

    def listing(self) -> EntriesReply:
        return {
            "type": "entries",
            "entries": [self._row(e) for e in reversed(self.entries)],
            "dropped": self.dropped,
        }

    def _row(self, entry: Entry) -> EntryJSON:
        row = self._rows.get(entry.id)
        if row is None:
            row = self._rows[entry.id] = summary(entry)
        return row

    def _broadcast(self) -> None:
        if self._comms:
            listing = wire(self.listing())
            for channel in self._comms:
                channel.send(listing)

    def _on_open(self, channel: Any, message: dict[str, Any]) -> None:
        self._comms.append(channel)
        channel.on_msg(lambda msg: self._on_msg(channel, msg))
        channel.on_close(lambda _msg: self._comms.remove(channel))
        channel.send(wire(self.listing()))

    def _on_msg(self, channel: Any, message: dict[str, Any]) -> None:
        """Answer on the kernel's main thread: the message may land on a subshell's."""
        data = message.get("content", {}).get("data", {})

        def reply() -> None:
            answer = self.dispatcher.message(data)
            if answer is not None:
                channel.send(answer)

        self.idle.submit(reply, self.dispatcher.kind(data))

    def message(self, data: Any) -> PanelMessage | None:
        """The message that answers one panel request, as the comm carries it."""
        return self.dispatcher.message(data)

    def answer(self, data: Any) -> PanelReply | None:
        """The reply to one panel request, or None for anything undefined."""
        return self.dispatcher.answer(data)

    def graph_message(self, entry: Entry) -> PanelMessage:
        """The entry's ``get`` reply as sent, from what is kept when it has not changed."""
        kept = self._kept.get(entry.id)
        if kept is not None:
            self._kept.move_to_end(entry.id)
            return kept[0]
        message, size = graph_message(entry, self._graph_reply)
        self._kept[entry.id] = (message, size)
        self._kept_size += size
        while self._kept_size > self.max_kept and len(self._kept) > 1:
            self._kept_size -= self._kept.popitem(last=False)[1][1]
        return message

    @staticmethod
    def _graph_reply(entry: Entry) -> GraphReply:
        return graph_reply(entry)
