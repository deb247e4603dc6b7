"""The kernel/browser contract: ``messages.py`` and ``messages.ts`` say the same.

The TypeScript declarations are turned into a JSON schema (``npm run schema``),
then (1) every TypedDict must have the same fields and required fields as its
TypeScript twin, and (2) real messages the kernel sends (widget traits, panel
replies, timing rows) must validate against the schema.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from IPython.core.interactiveshell import InteractiveShell
from ipywidgets.widgets.widget import _instances

from conftest import run
from tgraph import messages
from tgraph import wire as wire_module

ROOT = Path(__file__).parents[2]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    npm = shutil.which("npm")
    assert npm, "npm is needed to read the TypeScript declarations"
    out = subprocess.run(
        [npm, "run", "-s", "schema"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def typed_dicts() -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(messages).items()
        if isinstance(value, type) and typing.is_typeddict(value)
    }


def validate(schema: dict[str, Any], name: str, data: Any) -> None:
    wrapper = {"$ref": f"#/definitions/{name}", "definitions": schema["definitions"]}
    jsonschema.Draft7Validator(wrapper).validate(json.loads(json.dumps(data)))


@pytest.mark.parametrize("name", sorted(typed_dicts()))
def test_each_python_declaration_has_its_typescript_twin(schema: dict[str, Any], name: str) -> None:
    declared = typed_dicts()[name]
    twin = schema["definitions"].get(name)
    assert twin is not None, f"messages.ts has no {name}"
    assert set(twin["properties"]) == set(typing.get_type_hints(declared))
    assert set(twin.get("required", [])) == set(declared.__required_keys__)


def test_the_unions_name_the_same_members(schema: dict[str, Any]) -> None:
    for union in ("WidgetRequest", "PanelRequest", "PanelReply", "PanelMessage"):
        members = {t.__name__ for t in typing.get_args(getattr(messages, union))}
        assert members_of(schema, union) == members, union


def members_of(schema: dict[str, Any], union: str) -> set[str]:
    """A union's members, with those of a union inside it (Python's ``|`` flattens them)."""
    found: set[str] = set()
    for ref in schema["definitions"][union]["anyOf"]:
        name = ref["$ref"].rsplit("/", 1)[1]
        found |= members_of(schema, name) if "anyOf" in schema["definitions"][name] else {name}
    return found


def test_a_bad_message_fails_validation(schema: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(schema, "PendingJSON", {"task": "rewriting", "started": "soon"})
    with pytest.raises(jsonschema.ValidationError):
        validate(schema, "EntriesReply", {"type": "entries", "entries": []})


CELL = """%%tgraph
import toyexpr as tx
x = tx.Var("x")
y = (x * 3 + 1) * x
"""


def test_what_the_kernel_sends_validates(
    schema: dict[str, Any],
    shell: InteractiveShell,
    toyexpr_installed: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran = run(shell, CELL)
    assert ran.error is None
    magics = shell.magics_manager.registry["TgraphMagics"]
    registry = magics.registry
    entry = registry.entries[-1]
    (model_id,) = [o[WIDGET_MIME]["model_id"] for o in ran.outputs if WIDGET_MIME in o]
    widget = _instances[model_id]
    state = {name: getattr(widget, name) for name in typing.get_type_hints(messages.WidgetState)}
    validate(schema, "WidgetState", state)
    widget._on_request(widget, {"type": "devices"}, [])
    widget._on_request(widget, {"type": "time", "device": "cpu", "size": None}, [])
    widget._on_request(widget, {"type": "view", "view": "gradient"}, [])
    assert len(widget.timings) == 1 and widget.devices["devices"][0]["name"] == "cpu:0"
    state = {name: getattr(widget, name) for name in typing.get_type_hints(messages.WidgetState)}
    validate(schema, "WidgetState", state)
    validate(schema, "TimingRowJSON", widget.timings[0])
    replies = [
        registry.answer({"type": "list"}),
        registry.answer({"type": "get", "id": entry.id}),
        registry.answer({"type": "steps", "id": entry.id, "view": "optimized"}),
        registry.answer({"type": "build", "id": entry.id, "view": "optimized"}),
        registry.answer({"type": "layout", "id": entry.id, "view": "original", "expanded": []}),
        registry.answer({"type": "dot", "id": entry.id, "view": "original", "expanded": []}),
    ]
    monkeypatch.setattr(wire_module, "PACK_OVER", 0)  # every reply as a big one travels
    for reply in replies:
        assert reply is not None
        validate(schema, "PanelReply", reply)
        packed = wire_module.wire(reply)
        assert packed["type"] == "packed"
        validate(schema, "PanelMessage", packed)
