"""One answer to every request from a browser, whichever way it came.

Three hosts ask the kernel about its graphs: the inline widget (custom
widget messages), the JupyterLab panel (the ``tgraph`` comm) and the VS Code
panel (code the Jupyter extension runs for it with ``executeCode``). All of
them reach ``Dispatcher``: one table from a request's ``type`` to what
answers it and when it may run, so a request means the same in every host
and a new one is added once. A widget's requests carry no graph id: the
widget passes its own entry. The widget's timing requests (``time``,
``profile``, ``devices``, ``stop``) drive that widget's timing table and
stay with it (``widget.py``).

The hosts differ only in how the answer travels: the comm sends
``message`` (big replies packed, ``wire.py``), ``serve`` displays the same
message under ``REPLY_MIME`` for ``executeCode``, and the widget applies
``answer`` to its traits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from IPython import get_ipython
from IPython.display import display

from .entry import Entry
from .idle import Kind
from .messages import (
    EntriesReply,
    GraphReply,
    PanelMessage,
    PanelReply,
    RewriteSourceReply,
    StepsReply,
)
from .wire import bundle_json, unwire, wire, wire_sized


class Graphs(Protocol):
    """What the dispatcher asks of the kernel's graphs (``registry.Registry``)."""

    def get(self, entry_id: str) -> Entry | None: ...

    def listing(self) -> EntriesReply: ...

    def graph_message(self, entry: Entry) -> PanelMessage: ...


#: The mime type of a reply displayed for ``executeCode`` (its data is a ``PanelMessage``).
REPLY_MIME = "application/vnd.tgraph.reply+json"
#: Displayed instead when the kernel has tgraph installed but not loaded.
NOT_LOADED_MIME = "application/vnd.tgraph.not-loaded+json"
log = logging.getLogger(__name__)

Request = dict[str, Any]
#: Answers one request about ``entry``; None when the request is malformed. A
#: graph request's answer is True: its reply is the entry's graph as kept.
Answer = Callable[["Dispatcher", Entry, Request], PanelReply | bool | None]


@dataclass(frozen=True)
class Route:
    """What answers one request type, and when the kernel may run it."""

    answer: Answer
    kind: Kind


def _text(request: Request, key: str) -> str | None:
    value = request.get(key)
    return value if isinstance(value, str) else None


def _build(_d: Dispatcher, entry: Entry, request: Request) -> None:
    view = _text(request, "view")
    if view is not None:
        entry.build(view)


def _steps(_d: Dispatcher, entry: Entry, request: Request) -> StepsReply | None:
    view = _text(request, "view")
    if view is None:
        return None
    bundle = entry.bundle
    start = bundle.rewrite_start.get(view)
    return {
        "type": "steps",
        "id": entry.id,
        "view": view,
        "start": None if start is None else start.to_json(),
        "snapshots": {
            str(r.step): r.graph.to_json()
            for r in bundle.rewrites
            if r.view == view and r.graph is not None
        },
    }


def _source(_d: Dispatcher, entry: Entry, request: Request) -> RewriteSourceReply | None:
    name = _text(request, "name")
    if name is None:
        return None
    return cast(RewriteSourceReply, {**entry.rewrite_source(name), "id": entry.id})


def _values(_d: Dispatcher, entry: Entry, request: Request) -> PanelReply | None:
    view = _text(request, "view")
    if view is None or (view not in entry.bundle.views and view not in entry.traced.later):
        return None
    return {"type": "values", "id": entry.id, "view": view, "values": entry.values(view)}


def _picture(_d: Dispatcher, entry: Entry, request: Request) -> PanelReply | None:
    """``layout`` and ``dot``: one view (or stepper step) with some subgraphs expanded."""
    view, step = request.get("view"), request.get("step")
    if not isinstance(view, str) or not (step is None or isinstance(step, int)):
        return None
    if entry.graph(view, step) is None:
        return None
    expanded = frozenset(s for s in request.get("expanded", []) if isinstance(s, str))
    if request["type"] == "layout":
        return {
            "type": "layout",
            "id": entry.id,
            "view": view,
            "step": step,
            **entry.picture(view, expanded, step),
        }
    dot = entry.dot(view, expanded, step) or ""
    return {"type": "dot", "id": entry.id, "view": view, "step": step, "dot": dot}


def _graph(_d: Dispatcher, entry: Entry, request: Request) -> bool:
    """``get`` and ``build`` (of a pending view first): the reply is the graph as kept."""
    if request["type"] == "build":
        view = _text(request, "view")
        if view is None:
            return False
        entry.build(view)
    return True


#: Request type -> its route. ``view`` is the widget's word for a build that
#: needs no reply (the widget hears of the built view from its entry).
ROUTES: dict[str, Route] = {
    "get": Route(_graph, Kind.SHOWN),
    "build": Route(_graph, Kind.SHOWN),
    "view": Route(_build, Kind.SHOWN),
    "steps": Route(_steps, Kind.LIGHT),
    "source": Route(_source, Kind.LIGHT),
    "values": Route(_values, Kind.SHOWN),
    "layout": Route(_picture, Kind.LIGHT),
    "dot": Route(_picture, Kind.LIGHT),
}


class Dispatcher:
    """Answers requests about the registry's graphs (or one widget's entry)."""

    def __init__(self, registry: Graphs | None) -> None:
        self.registry = registry

    def kind(self, request: Any) -> Kind:
        """When ``request`` may run on the kernel's main thread (``idle.IdleQueue``)."""
        route = ROUTES.get(str(request.get("type"))) if isinstance(request, dict) else None
        return route.kind if route is not None else Kind.LIGHT

    def answer(self, request: Any, entry: Entry | None = None) -> PanelReply | None:
        """The reply to ``request``, or None for anything undefined (logged)."""
        reply = self._dispatch(request, entry)
        if isinstance(reply, Entry):
            return unwire(self.graph_message(reply))
        return reply

    def message(self, request: Any, entry: Entry | None = None) -> PanelMessage | None:
        """``answer`` as the comm and ``executeCode`` carry it: a big reply packed."""
        reply = self._dispatch(request, entry)
        if isinstance(reply, Entry):
            return self.graph_message(reply)
        return None if reply is None else wire(reply)

    def _dispatch(self, request: Any, entry: Entry | None) -> PanelReply | Entry | None:
        """The reply, or the entry whose graph is the reply."""
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            return self._ignore(request)
        if request["type"] == "list" and self.registry is not None:
            return self.registry.listing()
        route = ROUTES.get(request["type"])
        entry = entry or self._find(request)
        if route is None or entry is None:
            return self._ignore(request)
        reply = route.answer(self, entry, request)
        if reply is True:
            return entry
        if reply is None or reply is False:
            return None if route.answer is _build else self._ignore(request)
        return reply

    def graph_message(self, entry: Entry) -> PanelMessage:
        """The entry's ``get`` reply as sent; the registry keeps it until it changes."""
        if self.registry is not None:
            return self.registry.graph_message(entry)
        return graph_message(entry)[0]

    def _find(self, request: Request) -> Entry | None:
        return None if self.registry is None else self.registry.get(str(request.get("id")))

    @staticmethod
    def _ignore(request: Any) -> None:
        log.warning("tgraph: ignored a request it does not define: %r", request)
        return None


def serve(request: str) -> None:
    """Answer one request for code run through the Jupyter extension's ``executeCode``.

    VS Code gives other extensions no comm, only code to run (silently, no
    history entry). That code calls this with the request's JSON; the reply
    is displayed under ``REPLY_MIME``, which only the caller reads, as the
    comm's message would be. It runs as a cell does, on the main thread and
    after the cells queued before it, so it answers at once.
    """
    shell = get_ipython()
    magics = shell.magics_manager.registry.get("TgraphMagics") if shell else None
    if magics is None:
        display({NOT_LOADED_MIME: {"message": "run %load_ext tgraph in this kernel"}}, raw=True)
        return
    message = magics.registry.dispatcher.message(json.loads(request))
    if message is not None:
        display({REPLY_MIME: message}, raw=True)


def code_for(request: Request) -> str:
    """The code the VS Code panel runs for ``request`` (its ``kernelclient.ts`` writes
    the same): compact JSON in a string literal, and no name left in the namespace."""
    text = json.dumps(request, separators=(",", ":"), ensure_ascii=False)
    return f'__import__("tgraph.requests").requests.serve({json.dumps(text, ensure_ascii=False)})'


def graph_reply(entry: Entry) -> GraphReply:
    """The reply with the bundle itself in place of its JSON (``bundle_json`` writes it)."""
    bundle = entry.bundle
    steps: dict[str, int] = {}
    for view in bundle.rewrite_start:
        steps[view] = sum(1 for r in bundle.rewrites if r.view == view and r.graph)
    return {
        "type": "graph",
        "id": entry.id,
        "bundle": cast(dict[str, Any], bundle),
        "offers": entry.traced.offers.to_json(),
        "layouts": {view: entry.picture(view) for view in bundle.views},
        "pending": entry.pending(),
        "steps": steps,
    }


def graph_message(
    entry: Entry, reply: Callable[[Entry], GraphReply] = graph_reply
) -> tuple[PanelMessage, int]:
    """An entry's ``get`` reply as sent, and its size: made in one serialization."""
    return wire_sized(reply(entry), bundle_json)
