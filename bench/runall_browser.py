"""Run All on the example notebooks in JupyterLab, with ``%%tgraph`` and without.

Run from the repository root: ``python bench/runall_browser.py`` (``--runs N``
per notebook and mode, ``--notebooks NAME...``). Needs the repository's
``.venv`` with the extension installed (Python's ``playwright`` package
drives the browser) and Chromium (``/usr/bin/chromium`` or
``$CHROMIUM_PATH``, launched with the flags the browser tests use).

JupyterLab runs in a throw-away folder (``gateway_bench.py``'s servers) that
holds two copies of each example: as written, and a plain copy without the
``%%tgraph`` and ``%load_ext tgraph`` lines (cells left empty are dropped).
Every run opens one copy in a new page, with a fresh kernel (the previous
run's session is deleted), waits for the kernel to be idle, runs Run All and
watches the page every 50 ms:

* cells done: every code cell has an execution count and none is running or
  queued (the last execute reply; the kernel may still answer the widgets);
* views shown: once the cells ran, the page scrolls to each cell with a
  widget in turn, as a reader would (a widget draws, and asks the kernel for
  its views and timing, when it comes near the screen); every widget output
  is drawn (one ``.tg-root`` per
  ``application/vnd.jupyter.widget-view+json`` output), no tab is marked
  ``.tg-tab-pending`` (no view waits for the kernel, "rewriting… 3.2 s"),
  no ``.tg-pending`` is on screen, and the open tab draws its graph;
* views and timing shown: besides, every widget whose timing section is
  not hidden (the graph offers timing) has a timing row and is not running
  (``timing…``), or shows why it could not time.

"Tabs pending" is the most tabs marked pending at once after the cells
ran: views the kernel builds after the cells (PyTensor's gradients always).

A warm-up run per notebook, as written, fills Numba's and JAX's disk caches
and the browser's cache first; then the two modes alternate. Times are
medians; "per pair" is the range of the ratio within each repeat (its two
runs are back to back). The issue's goal: Run All within 1.3x of plain (cells done).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_panel import chromium_version, delete_all  # noqa: E402
from benchutil import cpu_model  # noqa: E402
from gateway_bench import lab_args, start, stop  # noqa: E402

PORT = 8883
NOTEBOOKS = ["pytensor_basics", "jax_basics", "autoencoder"]
RATIO_GOAL = 1.3
#: Lines the plain copy leaves out.
TGRAPH_LINE = re.compile(r"^(%%tgraph\b.*|%load_ext tgraph\s*)$")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TIMES = ("cells", "views", "shown")

#: In the page: start watching, press Run All. Times are ms since the press.
WATCH = """
([magic, mime]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const model = panel.content.model;
  const state = { cells: null, views: null, shown: null, failed: '', missing: '',
                  widgets: 0, timingRows: 0, timingErrors: [], pending: 0,
                  trace: [], scrolledTo: [] };
  window.__runall = state;
  const list = seq => Array.from({ length: seq.length }, (_, i) => seq.get(i));
  const codeCells = () => list(model.cells).filter(c => c.type === 'code');
  // A reader scrolls to each graph in turn once the cells ran: a widget draws
  // (and asks for its views and timing) when it comes near the screen.
  const revealed = new Set();
  const reveal = () => {
    const notebook = panel.content;
    const all = list(model.cells);
    const next = all.findIndex((c, i) => c.type === 'code' && !revealed.has(i) &&
      list(c.outputs).some(o => o.data && mime in o.data));
    if (next < 0) {
      return;
    }
    const node = notebook.widgets[next] && notebook.widgets[next].node;
    const drawn = node && node.isConnected &&
      node.querySelectorAll('.tg-root').length ===
        list(all[next].outputs).filter(o => o.data && mime in o.data).length;
    if (drawn) {
      revealed.add(next);
    } else if (!state.scrolledTo.includes(next)) {
      state.scrolledTo.push(next);
      void notebook.scrollToItem(next, 'center').catch(() => undefined);
    }
  };
  const check = now => {
    const cells = codeCells();
    for (const c of cells) {
      if ((c.getMetadata('tags') || []).includes('raises-exception')) {
        continue; // the notebook expects this error, and Run All goes on
      }
      for (const o of list(c.outputs)) {
        if (o.type === 'error') {
          const e = o.toJSON();
          state.failed = `a cell raised ${e.ename}: ${e.evalue}`;
        }
      }
    }
    if (state.cells === null) {
      const ran = cells.every(c => c.executionCount !== null && c.executionState !== 'running');
      if (!ran) {
        state.missing = 'cells still running';
        return false;
      }
      state.cells = now;
      if (!magic) {
        return true;
      }
    }
    const expected = cells.reduce(
      (n, c) => n + list(c.outputs).filter(o => o.data && mime in o.data).length, 0);
    reveal();
    const roots = Array.from(document.querySelectorAll('.jp-Notebook .tg-root'));
    const views = [];
    const timing = [];
    if (roots.length < expected || expected === 0) {
      views.push(`${roots.length} of ${expected} widgets drawn`);
    }
    let rows = 0;
    const errors = [];
    state.pending = Math.max(state.pending, document.querySelectorAll('.tg-tab-pending').length);
    roots.forEach((root, i) => {
      const pending = Array.from(root.querySelectorAll('.tg-tab-pending'), t => t.dataset.view);
      if (pending.length || root.querySelector('.tg-pending')) {
        views.push(`widget ${i + 1}: ${pending.join(', ') || 'a view'} pending`);
      }
      const open = root.querySelector('.tg-panel:not([hidden])');
      if (open && open.dataset.kind === 'graph' &&
          !open.querySelector('.tg-graph svg g.node, .tg-empty')) {
        views.push(`widget ${i + 1}: ${open.dataset.view} not drawn`);
      }
      const section = root.querySelector('.tg-timing-section');
      if (!section || section.hidden) {
        return;
      }
      const found = section.querySelectorAll(
        '.tg-timing-table tbody tr:not(.tg-timing-running)').length;
      const message = section.querySelector('.tg-timing-message:not([hidden])');
      const running = section.querySelector('.tg-timing-running') !== null;
      rows += found;
      for (const tr of section.querySelectorAll('tr.tg-timing-error')) {
        errors.push(`widget ${i + 1}: ${tr.textContent}`);
      }
      if (message && message.textContent) {
        errors.push(`widget ${i + 1}: ${message.textContent}`);
      }
      if (running || (!found && !(message && message.textContent))) {
        timing.push(`widget ${i + 1}: ${running ? 'timing' : 'no timing row'}`);
      }
    });
    state.widgets = roots.length;
    state.timingRows = rows;
    state.timingErrors = errors;
    const missing = views.concat(timing).join('; ');
    if (missing !== state.missing) {
      state.trace.push(`${(now / 1000).toFixed(2)} s: ${missing || 'all shown'}`);
    }
    state.missing = missing;
    if (views.length) {
      return false;
    }
    if (state.views === null) {
      state.views = now;
    }
    return timing.length === 0;
  };
  const start = performance.now();
  const timer = setInterval(() => {
    const now = performance.now() - start;
    if (check(now) || state.failed) {
      clearInterval(timer);
      if (!state.failed) {
        state.shown = now;
      }
    }
  }, 50);
  window.jupyterapp.commands.execute('notebook:run-all-cells');
}
"""

KERNEL_IDLE = """
() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session?.kernel;
  return !!kernel && kernel.status === 'idle' && panel.content.model.cells.length > 0;
}
"""


@dataclass
class Run:
    """One Run All; times in seconds from the press, None if never reached."""

    cells: float | None
    views: float | None
    shown: float | None
    widgets: int = 0
    timing_rows: int = 0
    failed: str = ""
    timing_errors: list[str] = field(default_factory=list)
    load: float = 0.0
    #: The most tabs waiting for the kernel at once, after the cells ran.
    pending: int = 0
    #: What was still missing, each time it changed after the cells ran.
    trace: list[str] = field(default_factory=list, repr=False)


def copies(name: str, folder: Path) -> dict[str, tuple[str, int]]:
    """The example as written and its plain copy, outputs cleared: file name and code cells."""
    text = (ROOT / "examples" / f"{name}.ipynb").read_text()
    out: dict[str, tuple[str, int]] = {}
    for mode in ("tgraph", "plain"):
        notebook = json.loads(text)
        kept = []
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
                if mode == "plain":
                    lines = "".join(cell["source"]).splitlines()
                    plain = "\n".join(x for x in lines if not TGRAPH_LINE.match(x)).strip()
                    if not plain:
                        continue
                    cell["source"] = plain
            kept.append(cell)
        notebook["cells"] = kept
        file = f"{name}.ipynb" if mode == "tgraph" else f"{name}_plain.ipynb"
        (folder / file).write_text(json.dumps(notebook, indent=1))
        out[mode] = (file, sum(c["cell_type"] == "code" for c in kept))
    return out


def end_sessions(port: int) -> None:
    """Delete every session (and so its kernel), then any kernel left over."""
    delete_all(port, "sessions")
    delete_all(port, "kernels")


def run_all(context: BrowserContext, url: str, file: str, magic: bool, timeout_s: int) -> Run:
    """Open ``file`` in a new page with a fresh kernel, press Run All, watch."""
    page = context.new_page()
    try:
        page.goto(f"{url}/lab/tree/{file}?reset")
        page.wait_for_function(KERNEL_IDLE, timeout=180_000, polling=250)
        page.wait_for_timeout(1000)  # let the lab finish its own start-up work
        load = os.getloadavg()[0]
        page.evaluate(WATCH, [magic, WIDGET_MIME])
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "() => window.__runall.failed || window.__runall.shown !== null",
                timeout=timeout_s * 1000,
                polling=500,
            )
        state: dict[str, Any] = page.evaluate("() => window.__runall")
    finally:
        page.close()
        end_sessions(PORT)
    seconds = {k: None if state[k] is None else state[k] / 1000 for k in TIMES}
    failed = state["failed"]
    if not failed and seconds["shown"] is None:
        failed = f"not done after {timeout_s} s: {state['missing']}"
    return Run(
        seconds["cells"],
        seconds["views"],
        seconds["shown"],
        state["widgets"],
        state["timingRows"],
        failed,
        state["timingErrors"],
        load,
        state["pending"],
        state["trace"],
    )


def _median(runs: list[Run], key: str) -> float | None:
    values = [getattr(r, key) for r in runs if getattr(r, key) is not None]
    return statistics.median(values) if values else None


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per notebook and mode")
    parser.add_argument("--notebooks", nargs="+", default=NOTEBOOKS, choices=NOTEBOOKS)
    parser.add_argument("--timeout", type=int, default=600, help="seconds one Run All may take")
    parser.add_argument("--trace", action="store_true", help="log what each run still waited for")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    os.environ.pop("TGRAPH_SYNC", None)  # the kernels inherit the server's environment
    root = Path(tempfile.mkdtemp(prefix="tgraph-bench-runall-"))
    url = f"http://localhost:{PORT}"
    lab = start(lab_args(PORT, root, "lab", []), root, "lab", f"{url}/lab")
    results: dict[str, dict[str, list[Run]]] = {}
    cells: dict[str, dict[str, int]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            for name in args.notebooks:
                files = copies(name, root / "lab" / "files")
                cells[name] = {mode: n for mode, (_, n) in files.items()}
                warm = run_all(context, url, files["tgraph"][0], True, args.timeout)
                print(f"{name}: warm-up {_s(warm.cells)}, shown {_s(warm.shown)}", file=sys.stderr)
                results[name] = {"plain": [], "tgraph": []}
                for i in range(args.runs):
                    for mode in ("plain", "tgraph") if i % 2 == 0 else ("tgraph", "plain"):
                        run = run_all(context, url, files[mode][0], mode == "tgraph", args.timeout)
                        results[name][mode].append(run)
                        print(f"{name} {mode}: {run}", file=sys.stderr)
                        if args.trace:
                            print("\n".join(f"  {t}" for t in run.trace), file=sys.stderr)
                        time.sleep(2)  # the old kernel's exit stays out of the next run
            browser.close()
    finally:
        end_sessions(PORT)
        stop(lab)
    shutil.rmtree(root, ignore_errors=True)

    every = [r for modes in results.values() for runs in modes.values() for r in runs]
    loads = [r.load for r in every]
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores")
    print(f"Browser: {chromium_version(chromium)}, headless; JupyterLab {version('jupyterlab')}")
    print(
        f"Median of {args.runs} runs per notebook and mode, a fresh kernel each; load average "
        f"(1 min) at the press: {min(loads):.1f} to {max(loads):.1f}\n"
    )
    print(
        "| notebook | code cells (plain / %%tgraph) | widgets | plain: cells done "
        "| %%tgraph: cells done | ratio | per pair | tabs pending | views shown "
        "| views and timing shown | goal |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, modes in results.items():
        plain = _median(modes["plain"], "cells")
        magic = _median(modes["tgraph"], "cells")
        ratio = magic / plain if plain and magic else None
        met = "—" if ratio is None else "met" if ratio <= RATIO_GOAL else "**not met**"
        widgets = max((r.widgets for r in modes["tgraph"]), default=0)
        pending = max((r.pending for r in modes["tgraph"]), default=0)
        pairs = [
            m.cells / p.cells
            for p, m in zip(modes["plain"], modes["tgraph"], strict=True)
            if p.cells and m.cells
        ]
        spread = f"{min(pairs):.2f}-{max(pairs):.2f}x" if pairs else "—"
        print(
            f"| {name} | {cells[name]['plain']} / {cells[name]['tgraph']} | {widgets} "
            f"| {_s(plain)} | {_s(magic)} | {'—' if ratio is None else f'{ratio:.2f}x'} "
            f"| {spread} | {pending} | {_s(_median(modes['tgraph'], 'views'))} "
            f"| {_s(_median(modes['tgraph'], 'shown'))} | ≤ {RATIO_GOAL}x: {met} |"
        )
    odd = [
        f"- {name} {mode}: {r.failed or '; '.join(r.timing_errors)}"
        for name, modes in results.items()
        for mode, runs in modes.items()
        for r in runs
        if r.failed or r.timing_errors
    ]
    if odd:
        print("\nRuns that failed, or timing rows that are errors:\n")
        print("\n".join(odd))


if __name__ == "__main__":
    main()
