"""What a saved notebook keeps of a graph: packed widget state and a static copy.

A saved output must stay small (at most 100 KB for a tutorial graph, 1 MB
for any graph) and must show its pictures where no widget manager runs:
nbconvert offline, Markdown, GitHub, nbviewer. So:

- the widget's big traits (``bundle`` and each ``svg``) travel as base64 of
  gzip, which the front end unpacks with the browser's ``DecompressionStream``;
  JSON and SVG shrink five to ten times;
- the bundled front end (``static/widget.js`` and ``widget.css``), which
  anywidget stores in every widget's state, is packed the same way behind a
  small loader module; the page unpacks and imports it once per version
  (anywidget imports ``_esm`` once per widget), keyed by a hash of it;
- each picture of the static copy is an SVG document of its own, titled
  inside, self-contained (no scripts, no external references), because
  static renderers draw ``image/svg+xml`` outputs and strip SVG inside HTML.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import re
from importlib import resources
from typing import Any

#: Characters of SVG one static copy keeps; views past it are named, not drawn.
STATIC_BUDGET = 400_000

CAPTION_PT = 18
NOTE_PT = 14

_MISSING_ESM = """
export default { render({ el }) {
  el.textContent = "tgraph: widget.js is not built (run npm run build:widget); " +
    "the pictures are in this output's static copy.";
} };
"""

_LOADER = """const unpack = async (packed) => {
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
};
const load = async () => {
  const css = await unpack("%(css)s");
  if (css && !document.getElementById("tgraph-widget-css")) {
    const style = document.createElement("style");
    style.id = "tgraph-widget-css";
    style.textContent = css;
    document.head.append(style);
  }
  const url = URL.createObjectURL(new Blob([await unpack("%(js)s")], { type: "text/javascript" }));
  try {
    return await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
};
const loaded = (globalThis.__tgraphWidgets ??= new Map());
if (!loaded.has("%(key)s")) {
  loaded.set("%(key)s", load());
}
export default (await loaded.get("%(key)s")).default;
"""


def pack(text: str, level: int = 9) -> str:
    """Base64 of gzip: the form every front end can unpack without a library."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), level, mtime=0)).decode("ascii")


def unpack(packed: str) -> str:
    return gzip.decompress(base64.b64decode(packed)).decode("utf-8")


def pack_json(value: Any, _widget: Any = None) -> str:
    """A trait serializer: the value as packed compact JSON."""
    return pack(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def pack_svgs(value: dict[str, str], _widget: Any = None) -> dict[str, str]:
    """A trait serializer: each SVG packed; an empty one (no picture) stays empty."""
    return {view: pack(svg) if svg else "" for view, svg in value.items()}


def _built(name: str) -> str | None:
    try:
        return resources.files("tgraph").joinpath("static", name).read_text("utf-8")
    except FileNotFoundError:
        return None


def loader() -> str:
    """The widget's ``_esm``: unpacks the built front end and its CSS, then imports it."""
    js = _built("widget.js")
    if js is None:
        return _MISSING_ESM
    css = _built("widget.css") or ""
    key = hashlib.sha256((css + js).encode("utf-8")).hexdigest()[:16]
    return _LOADER % {"css": pack(css), "js": pack(js), "key": key}


_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def captioned(svg: str, caption: str, notes: list[str], static_id: str) -> str:
    """The laid-out SVG under its caption, as one SVG document marked with ``static_id``.

    The mark lets a rendered widget find and hide its static copy, even
    where the picture is drawn as an ``<img>`` of a data URL.
    """
    found = _SIZE.search(svg)
    if found is None:
        return svg
    width, height = float(found.group(1)), float(found.group(2))
    lines = [(caption, CAPTION_PT, ' font-weight="bold"'), *((n, NOTE_PT, "") for n in notes)]
    top = sum(step for _, step, _ in lines) + 4
    full_w = max(width, *(len(text) * 6.5 + 8 for text, _, _ in lines))
    full_h = height + top
    texts, y = [], 0
    for text, step, weight in lines:
        y += step
        texts.append(f'<text x="4" y="{y - 4}"{weight}>{html.escape(text, quote=False)}</text>')
    inner = svg[: found.start()] + f'<svg y="{top}" width="{width}" height="{height}"'
    inner += svg[found.end() :]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tg-static" data-tg-static="{static_id}"'
        f' width="{full_w:.0f}pt" height="{full_h:.0f}pt" viewBox="0 0 {full_w:.0f} {full_h:.0f}"'
        ' font-family="Helvetica,Arial,sans-serif" font-size="12">\n'
        + "\n".join(texts)
        + "\n"
        + inner.strip()
        + "\n</svg>"
    )
