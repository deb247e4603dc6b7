"""Click-to-paint times of the JupyterLab side panel, in headless Chromium.

Run from the repository root: ``python bench/bench_panel.py`` (``--runs N``,
``--quick`` leaves out the 10,000-node graph). Needs the repository's
``.venv`` with the extension installed, ``tests/ui/node_modules`` (npm ci
there) and Chromium (``/usr/bin/chromium`` or ``$CHROMIUM_PATH``).

It starts a JupyterLab on port 8890 in a throw-away root folder, writes a
notebook whose ``%%tgraph`` cells build PyTensor graphs of about 100, 1,000
and 10,000 nodes (``features`` of ``bench_pytensor.py``) and OpFromGraph
blocks with inner graphs of about 50, 190 and 300 nodes, runs it, then drives
the panel with ``panel_paint.js`` (Playwright's library, no test runner):

* open: click a panel row; until the document's graph ``svg`` is painted
  (the kernel lays out the three views and sends the bundle; the front end
  parses and draws the first view, collapsed);
* expand: in an open document, click a collapsed box; until the new ``svg``
  is painted (one layout round trip to the kernel).

"Painted" is two animation frames after the svg enters the DOM. Each time
is a median over ``--runs`` (a new document each run).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_pytensor import features  # noqa: E402  (the same generated graphs)

PORT = 8890
OPEN_GOAL_S = 2.0  # the 10,000-node graph, click to first paint
EXPAND_GOAL_S = 0.5  # expanding up to 300 nodes

#: Graphs drawn by the notebook: (panel name, cell body, what it is).
GRAPHS: list[tuple[str, str, str]] = [
    ("small", "small = features(x, 9)", "~100 nodes (9 sum(tanh) terms summed)"),
    ("medium", "medium = features(x, 90)", "~1,000 nodes (90 terms)"),
    ("large", "large = features(x, 900)", "~10,000 nodes (900 terms)"),
    ("ofg50", "ofg50 = OpFromGraph([v], [features(v, 4)])(x) * 2", "OpFromGraph, ~50 inner"),
    ("ofg190", "ofg190 = OpFromGraph([v], [features(v, 17)])(x) * 2", "OpFromGraph, ~190 inner"),
    ("ofg300", "ofg300 = OpFromGraph([v], [features(v, 27)])(x) * 2", "OpFromGraph, ~300 inner"),
]
OFG = "g.tg-subgraph.tg-kind-opfromgraph"
GROUP = "g.tg-subgraph.tg-kind-group"
#: Expansions: (label, graph, selectors clicked in turn; the last one is timed).
EXPANDS: list[tuple[str, str, list[str]]] = [
    ("OpFromGraph box, ~50 inner nodes", "ofg50", [OFG]),
    ("OpFromGraph box, ~190 inner nodes", "ofg190", [OFG]),
    ("OpFromGraph box, ~300 inner nodes (shows its groups)", "ofg300", [OFG]),
    ("a group of ~100 inside that OpFromGraph", "ofg300", [OFG, GROUP]),
    ("a group of ~100 of the ~1,000-node graph", "medium", [GROUP]),
]


def notebook(graphs: list[tuple[str, str, str]]) -> dict[str, Any]:
    setup = (
        "import pytensor.tensor as pt\n"
        "from pytensor.compile.builders import OpFromGraph\n"
        "from pytensor.graph.basic import Variable\n\n"
        + inspect.getsource(features)
        + "\nx = pt.dvector('x')\nv = pt.dvector('v')\n"
    )
    sources = ["%load_ext tgraph", setup] + [f"%%tgraph --no-run\n{body}" for _, body, _ in graphs]
    cells = [
        {
            "id": f"cell-{i}",
            "cell_type": "code",
            "metadata": {},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        for i, source in enumerate(sources)
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def start_lab(root: Path) -> subprocess.Popen[bytes]:
    config = root / "config"
    files = root / "files"
    (config / "labconfig").mkdir(parents=True)
    files.mkdir()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config)}
    jupyter = Path(sys.executable).with_name("jupyter")
    args = [
        str(jupyter),
        "lab",
        f"--ServerApp.port={PORT}",
        "--ServerApp.port_retries=0",
        "--no-browser",
        "--allow-root",
        f"--ServerApp.root_dir={files}",
        f"--LabApp.workspaces_dir={root / 'workspaces'}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",
    ]
    log = (root / "lab.log").open("wb")
    lab = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://localhost:{PORT}/lab", timeout=5) as reply:
                if reply.status == 200:
                    return lab
        except OSError:
            time.sleep(1)
    lab.terminate()
    raise RuntimeError(f"JupyterLab did not start on port {PORT}; see {root / 'lab.log'}")


def delete_all(port: int, what: str = "kernels") -> None:
    """Delete every kernel (or session, which ends its kernel) of the server on
    ``port`` through its API."""
    base = f"http://localhost:{port}/api/{what}"
    try:
        with urllib.request.urlopen(base, timeout=10) as reply:
            found = json.load(reply)
        for item in found:
            request = urllib.request.Request(f"{base}/{item['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()
    except OSError:
        pass


def shut_kernels(port: int) -> None:
    delete_all(port, "kernels")


def stop_lab(lab: subprocess.Popen[bytes]) -> None:
    """Shut the kernels down through the API, then the server."""
    shut_kernels(PORT)
    lab.send_signal(signal.SIGTERM)
    try:
        lab.wait(timeout=30)
    except subprocess.TimeoutExpired:
        lab.kill()


def chromium_version(path: str) -> str:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        return done.stdout.strip() or "unknown Chromium"
    except OSError:
        return "unknown Chromium"


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}" if values else "n/a"


def _range(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}" if values else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--run-timeout", type=int, default=1800, help="seconds the notebook may take to run"
    )
    parser.add_argument("--quick", action="store_true", help="leave out the 10,000-node graph")
    args = parser.parse_args()
    graphs = [g for g in GRAPHS if not (args.quick and g[0] == "large")]
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    node_modules = ROOT / "tests" / "ui" / "node_modules"
    node = shutil.which("node")
    if node is None or not (node_modules / "playwright-core").is_dir():
        sys.exit("needs node and tests/ui/node_modules (cd tests/ui && npm ci)")
    root = Path(tempfile.mkdtemp(prefix="tgraph-bench-panel-"))
    lab = None
    try:
        lab = start_lab(root)
        (root / "files" / "bench.ipynb").write_text(json.dumps(notebook(graphs)))
        job = {
            "url": f"http://localhost:{PORT}",
            "notebook": "bench.ipynb",
            "chromium": chromium,
            "runs": args.runs,
            "rowCount": len(graphs),
            "runTimeoutMs": args.run_timeout * 1000,
            "debugDir": str(root),
            "opens": [{"name": n} for n, _, _ in graphs if n in {"small", "medium", "large"}],
            "expands": [
                {"label": label, "name": name, "boxes": boxes}
                for label, name, boxes in EXPANDS
                if any(g[0] == name for g in graphs)
            ],
        }
        env = {**os.environ, "NODE_PATH": str(node_modules)}
        done = subprocess.run(
            [node, str(HERE / "panel_paint.js"), json.dumps(job)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            timeout=3600,
            check=False,
        )
        if done.returncode != 0:
            failed = f"panel_paint.js failed ({done.returncode})"
            sys.exit(f"{failed}; see {root} (lab.log, failure.png)")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if lab is not None:
            stop_lab(lab)
    shutil.rmtree(root, ignore_errors=True)

    print(f"Browser: {chromium_version(chromium)}, headless; median of {args.runs} runs\n")
    print("Panel rows as listed (graph | cell | original → optimized ops | time):\n")
    for row in result["rows"]:
        print(f"- `{row}`")
    print("\n| action | graph | click to paint, median (ms) | range (ms) | goal |")
    print("|---|---|---|---|---|")
    whats = {name: what for name, _, what in graphs}
    for name, times in result["opens"].items():
        goal = "—"
        if name == "large":
            met = statistics.median(times) < OPEN_GOAL_S * 1e3
            goal = f"< {OPEN_GOAL_S:.0f} s: " + ("met" if met else "**not met**")
        print(f"| open from the panel | {whats[name]} | {_ms(times)} | {_range(times)} | {goal} |")
    visible = result.get("visible", {})
    for label, times in result["expands"].items():
        met = statistics.median(times) < EXPAND_GOAL_S * 1e3
        goal = f"< {EXPAND_GOAL_S * 1e3:.0f} ms: " + ("met" if met else "**not met**")
        shown = f" ({visible[label]} boxes shown)" if label in visible else ""
        print(f"| expand | {label}{shown} | {_ms(times)} | {_range(times)} | {goal} |")


if __name__ == "__main__":
    main()
