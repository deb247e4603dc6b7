"""One dispatcher for every host: the widget's messages, the JupyterLab panel's comm and
the code VS Code's panel runs through ``executeCode`` get the same answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from ipywidgets.widgets.widget import _instances

from conftest import run
from test_registry import Channel, widget_message
from tgraph.registry import Registry
from tgraph.requests import NOT_LOADED_MIME, REPLY_MIME, code_for
from tgraph.wire import unwire

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# A notebook as users lay it out: imports, then the traced function, then its use.
IMPORTS = "import numpy as np\nimport pytensor\nimport pytensor.tensor as pt"
CELL = """%%tgraph --no-run
x = pt.dvector("x")
y = pt.log(1 + pt.exp(x)) / (1 + pt.exp(-x))
f = pytensor.function([x], y.sum())
"""


def execute_code(shell: InteractiveShell, request: Any) -> list[dict[str, Any]]:
    """What the Jupyter extension's ``executeCode`` hands the panel: every display,
    from the panel's code run without a history entry."""
    with capture_output() as captured:
        result = shell.run_cell(code_for(request), store_history=False, silent=False)
    assert result.error_in_exec is None and result.error_before_exec is None
    assert captured.stdout == "" and captured.stderr == ""
    return [o.data for o in captured.outputs]


def replied(shell: InteractiveShell, request: Any) -> Any:
    """The reply among the displays (a view built also updates the widget's static copy)."""
    [output] = [o for o in execute_code(shell, request) if REPLY_MIME in o]
    assert set(output) == {REPLY_MIME}
    # the Jupyter extension passes a JSON object on as the text of its JSON
    return unwire(json.loads(json.dumps(output[REPLY_MIME])))


@pytest.fixture
def traced(shell: InteractiveShell) -> tuple[Any, Registry, Channel, str]:
    """A graph traced in a real shell: its widget, the registry, an open panel comm."""
    assert run(shell, IMPORTS).error is None
    ran = run(shell, CELL)
    assert ran.error is None
    [widget] = [_instances[d[WIDGET_MIME]["model_id"]] for d in ran.outputs if WIDGET_MIME in d]
    registry: Registry = shell.magics_manager.registry["TgraphMagics"].registry
    channel = Channel()
    registry._on_open(channel, {})
    return widget, registry, channel, registry.entries[-1].id


def test_the_list_and_a_graph_are_the_same_on_the_comm_and_through_execute_code(
    shell: InteractiveShell, traced: tuple[Any, Registry, Channel, str]
) -> None:
    _widget, registry, channel, entry_id = traced
    listing = replied(shell, {"type": "list"})
    assert listing == unwire(channel.ask({"type": "list"}))
    assert [(e["id"], e["name"], e["cell"]) for e in listing["entries"]] == [
        (entry_id, "f", shell.execution_count - 1)
    ]
    ask = {"type": "get", "id": entry_id}
    graph = replied(shell, ask)
    assert graph == unwire(channel.ask(ask)) == registry.answer(ask)
    assert graph["type"] == "graph" and graph["id"] == entry_id
    assert [v["name"] for v in graph["offers"]["views"]][:2] == ["original", "optimized"]


def test_a_view_built_by_the_widget_is_in_the_graph_every_host_gets(
    shell: InteractiveShell, traced: tuple[Any, Registry, Channel, str]
) -> None:
    widget, _registry, channel, entry_id = traced
    ask = {"type": "get", "id": entry_id}
    pending = sorted(replied(shell, ask)["pending"])
    assert pending, "the cell leaves heavy views for later"
    view = pending[0]
    widget_message(widget, {"type": "view", "view": view})
    assert view in widget.svg and view not in widget.pending
    for graph in (replied(shell, ask), unwire(channel.ask(ask))):
        assert view not in graph["pending"] and view in graph["bundle"]["views"]
        assert graph["layouts"][view]["svg"] == widget.svg[view]


def test_build_through_execute_code_answers_with_the_view_built(
    shell: InteractiveShell, traced: tuple[Any, Registry, Channel, str]
) -> None:
    widget, _registry, channel, entry_id = traced
    view = sorted(widget.pending)[0]
    built = replied(shell, {"type": "build", "id": entry_id, "view": view})
    assert view in built["bundle"]["views"] and view not in built["pending"]
    assert built == unwire(channel.ask({"type": "get", "id": entry_id}))
    assert view in widget.svg  # the widget on the page shows it too


def test_values_are_the_same_in_the_widget_the_comm_and_through_execute_code(
    shell: InteractiveShell, traced: tuple[Any, Registry, Channel, str]
) -> None:
    widget, _registry, channel, entry_id = traced
    widget_message(widget, {"type": "values", "view": "original"})
    ask = {"type": "values", "id": entry_id, "view": "original"}
    by_code, by_comm = replied(shell, ask), unwire(channel.ask(ask))
    assert by_code == by_comm
    assert by_code["values"] == widget.values["original"]
    inputs = [n for n in by_code["values"]["nodes"].values() if n["shape"] == [3]]
    assert inputs, "every node of x's chain has a value of x's shape"


def test_a_rewrite_source_is_the_same_text_for_every_host(
    shell: InteractiveShell, traced: tuple[Any, Registry, Channel, str], monkeypatch: Any
) -> None:
    widget, registry, channel, entry_id = traced
    [entry] = [e for e in registry.entries if e.id == entry_id]
    name = next(r.name for r in entry.bundle.rewrites if r.module and r.line > 0)
    sent: list[Any] = []
    monkeypatch.setattr(widget, "send", sent.append)
    widget_message(widget, {"type": "source", "name": name})
    ask = {"type": "source", "id": entry_id, "name": name}
    by_code, by_comm = replied(shell, ask), unwire(channel.ask(ask))
    assert by_code == by_comm == {**sent[0], "id": entry_id}
    assert by_code["source"].lstrip().startswith(("def ", "@", "class ", name))


def test_an_undefined_request_is_answered_by_no_host(
    shell: InteractiveShell, traced: tuple[Any, Registry, Channel, str], caplog: Any
) -> None:
    widget, _registry, channel, entry_id = traced
    sent_before = len(channel.sent)
    for request in ({"type": "exec", "code": "1"}, {"type": "get", "id": "nope"}):
        assert execute_code(shell, request) == []
        channel._handler({"content": {"data": request}})
    widget_message(widget, {"type": "values", "view": "no such view"})
    assert len(channel.sent) == sent_before and "no such view" not in widget.values
    assert caplog.text.count("ignored a request it does not define") >= 5
    assert entry_id  # the real graph is still there
    assert replied(shell, {"type": "list"})["entries"][0]["id"] == entry_id


def test_a_kernel_without_tgraph_loaded_says_how_to_load_it() -> None:
    shell = InteractiveShell.instance()
    magics = shell.magics_manager.registry.pop("TgraphMagics", None)
    try:
        [output] = execute_code(shell, {"type": "list"})
    finally:
        if magics is not None:
            shell.magics_manager.registry["TgraphMagics"] = magics
    assert output == {NOT_LOADED_MIME: {"message": "run %load_ext tgraph in this kernel"}}


def test_the_code_names_nothing_in_the_namespace_and_survives_any_text(
    shell: InteractiveShell,
) -> None:
    before = set(shell.user_ns)
    request = {"type": "source", "id": "g0", "name": "a \"quoted\" 'name' \\ 中文\n)"}
    code = code_for(request)
    assert code.startswith('__import__("tgraph.requests").requests.serve(')
    assert execute_code(shell, request) == []
    assert set(shell.user_ns) - before == set()
