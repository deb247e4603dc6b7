"""How the panel's replies travel on the comm: a big one packed as text.

A graph's reply is megabytes of JSON (pictures, and the stepper's
snapshots), and a Jupyter Kernel Gateway relays it as text through two more
servers; packed (base64 of gzip) it is about a tenth of that. Not a binary
buffer: jupyter_server's gateway client (2.21) decodes every binary frame as
UTF-8 and stops relaying the kernel at the first one that is not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import is_dataclass
from typing import Any, cast

from .graph import FORMAT_VERSION, GraphBundle
from .messages import PanelMessage, PanelReply
from .static import pack, unpack

#: Replies whose JSON is longer than this many characters travel packed.
PACK_OVER = 16_384
#: gzip's default: a tenth of the JSON's size in about 10 ms per megabyte.
PACK_LEVEL = 6


def wire(reply: Any, default: Callable[[Any], Any] | None = None) -> PanelMessage:
    """``reply`` as the comm carries it; ``default`` writes what JSON cannot."""
    return wire_sized(reply, default)[0]


def wire_sized(reply: Any, default: Callable[[Any], Any] | None = None) -> tuple[PanelMessage, int]:
    """``wire``'s message and the characters it takes (what the registry keeps count of)."""
    try:
        text = json.dumps(
            reply, default=default, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except ValueError:  # not JSON as Jupyter sends it: let its own error say so
        text = json.dumps(reply, default=default)
        return cast(PanelMessage, json.loads(text)), len(text)
    if len(text) > PACK_OVER:
        packed = pack(text, PACK_LEVEL)
        return {"type": "packed", "reply": packed}, len(packed)
    return cast(PanelMessage, reply if default is None else json.loads(text)), len(text)


def unwire(message: PanelMessage) -> PanelReply:
    """The reply a message carries, as the browser reads it."""
    if message["type"] == "packed":
        reply: PanelReply = json.loads(unpack(message["reply"]))
        return reply
    return message


def bundle_json(value: Any) -> Any:
    """``json.dumps``'s ``default`` for a graph reply: the bundle as
    ``GraphBundle.to_json(steps=False)`` gives it, read straight off the
    dataclasses. Not building that dict first halves the time a
    1,000-node graph with its 2,420 rewrites takes to become JSON."""
    if isinstance(value, GraphBundle):
        data = dict(vars(value))
        data["rewrites"] = [{**vars(r), "graph": None} for r in value.rewrites]
        data["rewrite_start"] = {}
        data["version"] = FORMAT_VERSION
        return data
    if is_dataclass(value) and not isinstance(value, type):
        return vars(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
