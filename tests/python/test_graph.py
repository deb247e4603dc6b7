"""The graph model's twin: ``graph.py``'s dataclasses and the TypeScript types in ``graph.ts``.

``npm run schema`` turns the TypeScript declarations into a JSON schema;
every dataclass must have exactly the fields of its ``<Name>JSON`` twin, and
real bundles, every field set, must validate against the schema (which
refuses fields it does not declare).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tgraph import graph
from tgraph.graph import Edge, Graph, GraphBundle, Node, Rewrite, Source, Subgraph

ROOT = Path(__file__).parents[2]
#: Dataclasses of graph.py that travel, each as ``<name>JSON``.
MODEL = [Source, Node, Edge, Subgraph, Graph, Rewrite, GraphBundle]
#: Keys ``to_json`` adds beyond the fields.
ADDED = {"GraphBundle": {"version"}}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    npm = shutil.which("npm")
    assert npm, "npm is needed to read the TypeScript declarations"
    out = subprocess.run(
        [npm, "run", "-s", "schema"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found: dict[str, Any] = json.loads(out.stdout)
    return found


def differences(cls: type, schema: dict[str, Any]) -> str:
    """What ``cls`` and its TypeScript twin disagree on, in words; empty when nothing."""
    twin = schema["definitions"].get(f"{cls.__name__}JSON")
    if twin is None:
        return f"graph.ts has no {cls.__name__}JSON"
    fields = {f.name for f in dataclasses.fields(cls)} | ADDED.get(cls.__name__, set())
    declared = set(twin["properties"])
    words = []
    if fields - declared:
        words.append(f"graph.ts lacks {', '.join(sorted(fields - declared))}")
    if declared - fields:
        words.append(f"graph.py lacks {', '.join(sorted(declared - fields))}")
    return f"{cls.__name__}: {'; '.join(words)}" if words else ""


@pytest.mark.parametrize("cls", MODEL, ids=lambda c: c.__name__)
def test_each_dataclass_has_the_fields_of_its_typescript_twin(
    schema: dict[str, Any], cls: type
) -> None:
    assert differences(cls, schema) == ""


def test_a_field_graph_ts_lacks_is_found(schema: dict[str, Any]) -> None:
    grown = dataclasses.make_dataclass("Node", [("weight", float, 0.0)], bases=(Node,))
    assert differences(grown, schema) == "Node: graph.ts lacks weight"


def test_node_kinds_are_the_same(schema: dict[str, Any]) -> None:
    kinds = typing.get_args(graph.NodeKind)
    assert kinds == tuple(schema["definitions"]["NodeKind"]["enum"])


def validate(schema: dict[str, Any], data: Any) -> None:
    wrapper = {"$ref": "#/definitions/GraphBundleJSON", "definitions": schema["definitions"]}
    jsonschema.Draft7Validator(wrapper).validate(json.loads(json.dumps(data)))


def full_bundle() -> GraphBundle:
    """Every field of every class set to something other than its default."""
    view = Graph(
        nodes=[
            Node("x", "input", "x", name="x", dtype="float64", shape="(3,)"),
            Node(
                "n1",
                "op",
                "exp",
                op="Elemwise{exp}",
                name="y",
                dtype="float64",
                shape="(3,)",
                parent="s1",
                source=Source(2, "y = exp(x)", "model.py"),
                attrs={"inplace": "no"},
                tags=["fused"],
            ),
        ],
        edges=[Edge("x", "n1", "float64 (3,)", 0, ["update"])],
        subgraphs=[Subgraph("s1", "Scan", "scan", None, {"steps": "3"})],
        notes=["a note"],
    )
    rewrite = Rewrite(
        1,
        "local_exp",
        "exp(x)",
        "exp(x)",
        noise=True,
        created=["n1"],
        view="optimized",
        pass_name="canonicalize",
        removed=["x"],
        graph=view,
        doc="What it does.",
        passes=["canonicalize"],
        module="pytensor.tensor.rewriting.math",
        line=12,
    )
    return GraphBundle(
        "f",
        "pytensor",
        {"original": view, "optimized": view},
        rewrites=[rewrite],
        rewrite_start={"optimized": view},
        notes=["bundle note"],
        info={"mode": "CVM"},
        cell=3,
    )


def test_a_bundle_with_every_field_set_validates(schema: dict[str, Any]) -> None:
    bundle = full_bundle()
    validate(schema, bundle.to_json())
    validate(schema, bundle.to_json(steps=False))


def test_a_field_the_schema_does_not_declare_fails_validation(schema: dict[str, Any]) -> None:
    data = full_bundle().to_json()
    data["views"]["original"]["nodes"][0]["weight"] = 1.0
    with pytest.raises(jsonschema.ValidationError, match="weight"):
        validate(schema, data)


def test_a_traced_pytensor_bundle_validates(schema: dict[str, Any]) -> None:
    import pytensor.tensor as pt

    from tgraph.frontends.pytensor import PyTensorFrontend
    from tgraph.protocol import CellInfo, Options

    x = pt.dvector("x")
    y = pt.exp(x).sum() * 2
    frontend = PyTensorFrontend()
    [target] = frontend.targets({"x": x, "y": y}, CellInfo(""))
    traced = frontend.trace(target, Options(sync=True), CellInfo(""))
    assert traced.bundle.rewrites and traced.bundle.views["gradient"].nodes
    validate(schema, traced.bundle.to_json())
