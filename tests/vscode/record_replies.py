"""Record what a real kernel answers the VS Code panel, for the kernel client's jest test.

Runs the test notebook's cells in a real kernel, then the code the panel sends
for each request (``tgraph.requests.code_for``), as the Jupyter extension's
``executeCode`` runs it (``silent=False, store_history=False,
stop_on_error=False``), and writes each request's outputs as that API hands
them to an extension: one item per mime type, a JSON object as its JSON text,
an error as VS Code's error item. Also records a kernel where tgraph is not
loaded and one where it cannot be imported. Run it again when the replies
change:

    .venv/bin/python tests/vscode/record_replies.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from tgraph.requests import code_for

HERE = Path(__file__).parent
NOTEBOOK = HERE / "notebooks" / "graphs.ipynb"
FIXTURE = HERE / "fixtures" / "replies.json"
ERROR_MIME = "application/vnd.code.notebook.error"


def items(msg: dict[str, Any]) -> list[dict[str, str]]:
    """One iopub message as the Jupyter extension's output items (data as text)."""
    kind, content = msg["msg_type"], msg["content"]
    if kind == "stream":
        mime = f"application/vnd.code.notebook.{content['name']}"
        return [{"mime": mime, "text": content["text"]}]
    if kind == "error":
        error = {
            "name": content["ename"],
            "message": content["evalue"],
            "stack": "\n".join(content["traceback"]),
        }
        return [{"mime": ERROR_MIME, "text": json.dumps(error)}]
    if kind not in ("display_data", "execute_result"):
        return []
    return [
        {"mime": mime, "text": value if isinstance(value, str) else json.dumps(value)}
        for mime, value in content["data"].items()
    ]


def execute(client: BlockingKernelClient, code: str, **options: Any) -> dict[str, Any]:
    """Run ``code``; its outputs (as items) and whether the kernel raised."""
    msg_id = client.execute(code, **options)
    outputs: list[dict[str, Any]] = []
    while True:
        msg = client.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        found = items(msg)
        if found:
            outputs.append({"items": found})
    reply = client.get_shell_msg(timeout=60)
    return {"code": code, "outputs": outputs, "raised": reply["content"]["status"] == "error"}


def panel_code(client: BlockingKernelClient, request: dict[str, Any]) -> dict[str, Any]:
    """The panel's code for ``request``, run as ``executeCode`` runs it."""
    ran = execute(client, code_for(request), store_history=False, stop_on_error=False)
    return {"request": request, **ran}


def kernel() -> tuple[KernelManager, BlockingKernelClient]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env={"TGRAPH_SYNC": "", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def record() -> dict[str, Any]:
    cells = [c["source"] for c in json.loads(NOTEBOOK.read_text())["cells"]]
    manager, client = kernel()
    try:
        unloaded = panel_code(client, {"type": "list"})
        for cell in cells:
            assert not execute(client, cell)["raised"], cell
        listing = panel_code(client, {"type": "list"})
        reply = json.loads(listing["outputs"][0]["items"][0]["text"])
        ids = {e["name"]: e["id"] for e in reply["entries"]}
        logistic, safe_log = ids["logistic"], ids["safe_log"]
        requests = [
            {"type": "get", "id": logistic},
            {"type": "steps", "id": logistic, "view": "optimized"},
            {"type": "layout", "id": logistic, "view": "original", "expanded": []},
            {"type": "dot", "id": logistic, "view": "original", "expanded": []},
            {"type": "values", "id": safe_log, "view": "original"},
            {"type": "build", "id": safe_log, "view": "gradient"},
            {"type": "get", "id": "no-such-graph"},
        ]
        answered = [listing, *(panel_code(client, r) for r in requests)]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    manager, client = kernel()
    try:  # a kernel where ``import tgraph`` fails, as where it is not installed
        execute(client, "import sys\nsys.modules['tgraph'] = None")
        missing = panel_code(client, {"type": "list"})
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return {"answered": answered, "not_loaded": unloaded, "not_installed": missing}


if __name__ == "__main__":
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(record(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {FIXTURE.relative_to(HERE.parent.parent)}", file=sys.stderr)
