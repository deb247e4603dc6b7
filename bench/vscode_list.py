"""The VS Code panel's list after a cell: from the cell's reply to the list showing its graph.

Run from the repository root after ``make test-vscode`` has built what it
needs (``build/vscode-env``, ``build/jupyter-tgraph.vsix``,
``tests/vscode/node_modules``): ``python bench/vscode_list.py`` (``--runs N``).

It starts jupyter_server and code-server as the VS Code tests do
(``tests/vscode/start-*.sh``: the built extension and the Jupyter stand-in),
runs the tests' notebook, then re-runs its ``%%tgraph`` cell ``--runs`` times.
Each run adds a graph; the time is from the cell's reply (when the stand-in
ends the cell's execution) to the list webview showing the new row: the
extension hears the cell end, asks the kernel through ``executeCode``, the
kernel answers, the webview draws. Both ends are wall clocks of this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "vscode"
CODE_PORT, JUPYTER_PORT = 18941, 18942
GOAL_MS = 1000


def start(script: str, *args: str, env: dict[str, str], health: str) -> subprocess.Popen[bytes]:
    log = (ROOT / "build" / f"bench-{script}.log").open("wb")
    process = subprocess.Popen(
        ["bash", str(TESTS / script), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, ended as one
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=5):
                return process
        except OSError:
            time.sleep(0.5)
    stop(process)
    raise RuntimeError(f"{script} did not come up; see build/bench-{script}.log")


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    token = uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_STAND_IN_TOKEN": token}
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env['PATH']}"
    jupyter = start(
        "start-jupyter.sh",
        str(JUPYTER_PORT),
        env=env,
        health=f"http://127.0.0.1:{JUPYTER_PORT}/api/status?token={token}",
    )
    try:
        code = start(
            "start-code-server.sh",
            str(CODE_PORT),
            str(JUPYTER_PORT),
            env=env,
            health=f"http://127.0.0.1:{CODE_PORT}/healthz",
        )
        try:
            url = f"http://127.0.0.1:{CODE_PORT}/"
            out = subprocess.run(
                ["node", str(ROOT / "bench" / "vscode_list.js"), url, str(runs)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            ).stdout
        finally:
            stop(code)
    finally:
        stop(jupyter)
    delays = json.loads(out.strip().splitlines()[-1])
    median = statistics.median(delays)
    print("| from the cell's reply to the list showing its graph | median | range | goal |")
    print("|---|---|---|---|")
    verdict = "met" if median < GOAL_MS else "not met"
    print(
        f"| VS Code (code-server, stand-in), {len(delays)} runs | {median:.0f} ms "
        f"| {min(delays):.0f}-{max(delays):.0f} ms | < {GOAL_MS} ms: {verdict} |"
    )


if __name__ == "__main__":
    main()
