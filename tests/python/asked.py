"""What the widget and a user ask the kernel for after a cell, played in tests.

The front end's ``model.send(content)`` reaches the kernel as a custom widget
message; ``send`` delivers one the same way, so a test sees the traits the
browser would get.
"""

from __future__ import annotations

from typing import Any

from ipywidgets.widgets.widget import _instances

from conftest import Ran

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def widgets(ran: Ran) -> list[Any]:
    """The widgets a cell displayed, found by the model id in its output."""
    ids = [d[WIDGET_MIME]["model_id"] for d in ran.outputs if WIDGET_MIME in d]
    return [_instances[i] for i in ids]


def send(widget: Any, content: dict[str, Any]) -> None:
    """What the kernel does with the front end's ``model.send(content)``."""
    message = {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    widget._handle_msg(message)


def every_view(widget: Any) -> list[str]:
    """Build the pending views (the gradient view checks itself as it is built)."""
    for view in list(widget.pending):
        send(widget, {"type": "view", "view": view})
    return list(widget._entry.bundle.views)


def values_of_every_view(widget: Any) -> dict[str, Any]:
    for view in every_view(widget):
        send(widget, {"type": "values", "view": view})
    return dict(widget.values)


def automatic_requests(widget: Any) -> None:
    """What the widget asks for by itself once on screen: devices, every view
    as its tab is drawn, and one timing run where ``autorun`` lets it, marked
    automatic so the kernel can tell it from Run."""
    send(widget, {"type": "devices"})
    every_view(widget)
    if widget.autorun:
        send(widget, {"type": "time", "automatic": True})


def ask_everything(widget: Any) -> None:
    """The automatic requests, then what a curious user clicks: the values of
    every view and "Where the time goes" (a profile)."""
    automatic_requests(widget)
    values_of_every_view(widget)
    send(widget, {"type": "profile"})
