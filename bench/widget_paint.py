"""First paint of the inline widget's views in the browser, for the transformer step.

Run from the repository root: ``python bench/widget_paint.py [--layers 24]
[--runs 5]``. Needs the repository's ``.venv`` (Python's ``playwright``
package drives the browser), the built widget (``make .make/extension``) and
Chromium (``/usr/bin/chromium`` or ``$CHROMIUM_PATH``, with the browser
tests' flags).

The issue's goal: a view painted within 1 s of its data arriving. The
program is ``examples/transformer_step.py``; its last cell runs under
``%%tgraph --sync --no-run`` in a real IPython shell, so every view is built
and laid out in the cell, and the widget's state is what the kernel would
send: each trait serialized as for the comm (the bundle and the pictures
packed). In headless Chromium, each run opens a fresh page that has loaded
the widget's own front end (its ``_esm``), then measures two things:

* the graph as written: from the state's JSON text being in the page
  (parsed, unpacked, handed to the widget's ``render`` as an anywidget
  model) to the frame after its ``svg`` is in the DOM (two
  ``requestAnimationFrame`` callbacks after the mutation that added it);
* the compiled view: from a click on its tab (its picture came with the
  same state) to the frame after its ``svg`` is in the DOM.

Not measured here: the comm's transport (JupyterLab's websocket) and the
panel's full-size view (``bench/bench_panel.py`` times the panel's opens).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "kernel_ext"))

from bench_panel import chromium_version  # noqa: E402
from benchutil import cpu_model  # noqa: E402
from structure_bench import program  # noqa: E402

#: In the page: the widget's front end as a module, kept for every run.
LOAD = """
async (esm) => {
  const url = URL.createObjectURL(new Blob([esm], { type: 'text/javascript' }));
  window.__tgWidget = (await import(url)).default;
}
"""

#: In the page: from the state's JSON text to the first view's paint, in ms.
FIRST = """
(text) => new Promise((resolve, reject) => {
  const el = document.createElement('div');
  document.body.appendChild(el);
  const painted = (start) => {
    const seen = () => el.querySelector('.tg-panel:not([hidden]) .tg-graph svg');
    const done = () => requestAnimationFrame(() => requestAnimationFrame(
      () => resolve(performance.now() - start)));
    const observer = new MutationObserver(() => {
      if (seen()) { observer.disconnect(); done(); }
    });
    observer.observe(el, { childList: true, subtree: true });
    setTimeout(() => { observer.disconnect(); reject(new Error('no svg in 60 s')); }, 60000);
  };
  const start = performance.now();
  const state = JSON.parse(text);
  const handlers = new Map();
  const model = {
    get: (name) => state[name],
    set: (name, value) => { state[name] = value; },
    save_changes: () => {},
    on: (event, fn) => handlers.set(fn, event),
    off: (event, fn) => handlers.delete(fn),
    send: () => {},
  };
  painted(start);
  window.__tgWidget.render({ model, el });
})
"""

#: In the page: from a click on a view's tab to its paint, in ms.
TAB = """
(view) => new Promise((resolve, reject) => {
  const tab = document.querySelector(`.tg-tab[data-view="${view}"]`);
  if (!tab) { reject(new Error(`no tab ${view}`)); return; }
  const seen = () => document.querySelector(`.tg-panel[data-view="${view}"] .tg-graph svg`);
  const done = () => requestAnimationFrame(() => requestAnimationFrame(
    () => resolve(performance.now() - start)));
  const observer = new MutationObserver(() => {
    if (seen()) { observer.disconnect(); done(); }
  });
  observer.observe(document.body, { childList: true, subtree: true });
  setTimeout(() => { observer.disconnect(); reject(new Error('no svg in 60 s')); }, 60000);
  const start = performance.now();
  tab.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
})
"""


def widget_state(layers: int) -> tuple[dict[str, Any], dict[str, int]]:
    """The widget's state after the step's cell under ``%%tgraph --sync --no-run``."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from tgraph.widget import GraphWidget

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "tgraph")
    code = program(layers)
    cut = code.index("def loss(")  # the last cell: the loss and the step
    with capture_output():
        shell.run_cell(code[:cut], store_history=False)
        shell.run_cell("%%tgraph --sync --no-run\n" + code[cut:], store_history=False)
    registry = shell.magics_manager.registry["TgraphMagics"].registry
    widget = GraphWidget(registry.entries[-1])
    state = {k: v for k, v in widget.get_state().items() if not k.startswith("_") or k == "_esm"}
    sizes = {view: len(svg) for view, svg in widget.svg.items()}
    return state, sizes


def one_run(page: Page, esm: str, text: str) -> tuple[float, float]:
    page.set_content("<!doctype html><html><body></body></html>")
    page.evaluate(LOAD, esm)
    first = float(page.evaluate(FIRST, text))
    compiled = float(page.evaluate(TAB, "optimized"))
    return first, compiled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    state, sizes = widget_state(args.layers)
    esm = state.pop("_esm")
    text = json.dumps(state)
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    firsts, compiled = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        one_run(page, esm, text)  # warm-up: the browser's first module and layout
        for _ in range(args.runs):
            first, tab = one_run(page, esm, text)
            firsts.append(first)
            compiled.append(tab)
        browser.close()
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"Browser: {chromium_version(chromium)}, headless; {args.runs} runs after a warm-up")
    print(f"State: {len(text) / 1e6:.2f} MB of JSON; pictures (unpacked) ", end="")
    print(", ".join(f"{v} {n / 1e3:.0f} kB" for v, n in sizes.items()))
    print("\n| view | first paint, median | range | goal |")
    print("|---|---|---|---|")
    for name, values in (
        ("graph as written: state in the page to painted", firsts),
        ("compiled view: tab clicked to painted", compiled),
    ):
        met = "met" if statistics.median(values) < 1000 else "not met"
        print(
            f"| {name} | {statistics.median(values):.0f} ms "
            f"| {min(values):.0f}-{max(values):.0f} ms | < 1000 ms: {met} |"
        )


if __name__ == "__main__":
    main()
