"""PyTensor graphs -> the common model's ``Graph``, one view at a time.

Intermediate values become edges, inner graphs (Composite, Scan,
OpFromGraph) become subgraphs, and each node carries the cell line that
made it, read from the stack trace PyTensor keeps on every variable.
"""

from __future__ import annotations

from typing import Any

from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.op import HasInnerGraph
from pytensor.graph.traversal import toposort

from ..graph import Edge, Graph, Node, Rewrite, Source, Subgraph
from . import CellInfo
from .pytensor_rewrites import Recorded, op_label, value_preview


def dims_text(shape: tuple[int | None, ...]) -> str:
    dims = ["?" if s is None else str(s) for s in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def shape_text(var: Variable) -> str:
    shape = getattr(var.type, "shape", None)
    return "" if shape is None else dims_text(shape)


def type_text(var: Variable) -> str:
    dtype = getattr(var.type, "dtype", "")
    return f"{dtype} {shape_text(var)}".strip() if dtype else str(var.type)


def _inner_op(op: Any) -> HasInnerGraph | None:
    """Composites hide in the scalar op of an Elemwise or CAReduce."""
    if isinstance(op, HasInnerGraph):
        return op
    scalar = getattr(op, "scalar_op", None)
    return scalar if isinstance(scalar, HasInnerGraph) else None


class _GraphWriter:
    """Writes one view. Ids are assigned in topological order, so the same
    graph always gets the same ids; inner nodes carry their subgraph's id."""

    def __init__(self, cell: CellInfo, created: dict[Apply, str] | None = None) -> None:
        self.graph = Graph()
        self.lines = cell.code.splitlines()
        self.filename = cell.filename
        self.created = created or {}

    def _source(self, var: Variable) -> Source | None:
        if not self.filename:
            return None
        for stack in getattr(var.tag, "trace", None) or []:
            for frame in stack:
                if frame[0] == self.filename:
                    # The frame's own text is what ran: IPython may have
                    # transformed the cell (dropped leading blank lines).
                    line, text = frame[1], frame[3]
                    if not text and 0 < line <= len(self.lines):
                        text = self.lines[line - 1].strip()
                    return Source(line, text or "")
        return None

    def _value_node(self, var: Variable, node_id: str, parent: str | None, label: str) -> Node:
        node = Node(
            node_id,
            "input",
            var.name or label,
            name=var.name or "",
            dtype=getattr(var.type, "dtype", ""),
            shape=shape_text(var),
            parent=parent,
            source=self._source(var),
            attrs={"type": str(var.type)},
        )
        if isinstance(var, Constant):
            node.kind = "constant"
            node.label = value_preview(var.data, 16)
            node.attrs["value"] = value_preview(var.data, 80)
        elif isinstance(var, SharedVariable):
            node.kind = "shared"
            node.label = var.name or "shared"
            node.attrs["value"] = value_preview(var.get_value(borrow=True))
        if hasattr(var.type, "broadcastable"):
            node.attrs["broadcastable"] = str(tuple(var.type.broadcastable))
        return node

    def _op_node(self, apply: Apply, node_id: str, parent: str | None) -> Node:
        out = apply.outputs[0]
        node = Node(
            node_id,
            "op",
            op_label(apply.op),
            op=str(apply.op),
            name=out.name or "",
            dtype=getattr(out.type, "dtype", ""),
            shape=shape_text(out),
            parent=parent,
            source=self._source(out),
            attrs={"class": type(apply.op).__name__},
        )
        if len(apply.outputs) > 1:
            node.attrs["outputs"] = "; ".join(type_text(o) for o in apply.outputs)
        if apply in self.created:
            node.tags.append("created")
            node.attrs["created_by"] = self.created[apply]
        return node

    def scope(
        self,
        outputs: list[tuple[str, Variable]],
        inputs: list[Variable] | None = None,
        prefix: str = "",
        parent: str | None = None,
        updates: list[tuple[Variable, Variable]] | None = None,
    ) -> dict[Any, str]:
        """Add one (inner) graph; returns the node id of each apply and leaf."""
        updates = updates or []
        ids: dict[Any, str] = {}
        counts = {"n": 0, "s": 0}
        inner_index = {v: i for i, v in enumerate(inputs or [])}

        def new_id(kind: str) -> str:
            counts[kind] += 1
            return f"{prefix}{kind}{counts[kind] - 1}"

        def producer(var: Variable) -> str:
            if var.owner is not None and var not in inner_index:
                return ids[var.owner]
            if var not in ids:
                label = f"in{inner_index[var]}" if var in inner_index else "input"
                node = self._value_node(var, new_id("n"), parent, label)
                self.graph.nodes.append(node)
                ids[var] = node.id
            return ids[var]

        def edge(var: Variable, dst: str, slot: int, tags: list[str] | None = None) -> None:
            label = type_text(var)
            if var.name and var.owner is not None:
                label = f"{var.name}: {label}"
            if var.owner is not None and len(var.owner.outputs) > 1:
                label = f"[{var.owner.outputs.index(var)}] {label}"
            self.graph.edges.append(Edge(producer(var), dst, label, slot, tags or []))

        ends = [v for _, v in outputs] + [u for _, u in updates]
        for apply in toposort(ends, blockers=inputs):
            for var in apply.inputs:
                producer(var)
            node = self._op_node(apply, new_id("n"), parent)
            self.graph.nodes.append(node)
            ids[apply] = node.id
            for slot, var in enumerate(apply.inputs):
                edge(var, node.id, slot)
            inner = _inner_op(apply.op)
            if inner is not None:
                sub = Subgraph(new_id("s"), op_label(inner), type(inner).__name__, parent)
                sub.attrs["node"] = node.id
                sub.attrs["op"] = value_preview(str(inner), 200)
                node.attrs["subgraph"] = sub.id
                self.graph.subgraphs.append(sub)
                inner_outs = [(f"out{i}", v) for i, v in enumerate(inner.inner_outputs)]
                self.scope(inner_outs, list(inner.inner_inputs), f"{sub.id}.", sub.id)
        for name, var in outputs:
            node = Node(new_id("n"), "output", name, name=name, parent=parent)
            node.dtype, node.shape = getattr(var.type, "dtype", ""), shape_text(var)
            node.source = self._source(var)
            self.graph.nodes.append(node)
            edge(var, node.id, 0)
        for shared, expr in updates:
            target = producer(shared)
            label = f"{shared.name or 'shared'} (update)"
            node = Node(new_id("n"), "output", label, name=shared.name or "", parent=parent)
            node.dtype, node.shape = getattr(shared.type, "dtype", ""), shape_text(shared)
            node.tags.append("update")
            node.attrs["updates"] = target
            self.graph.nodes.append(node)
            edge(expr, node.id, 0, ["update"])
        return ids


def view(
    outputs: list[tuple[str, Variable]],
    cell: CellInfo,
    updates: list[tuple[Variable, Variable]] | None = None,
    recorded: Recorded | None = None,
) -> tuple[Graph, dict[Any, str]]:
    created = {}
    if recorded is not None:
        created = {n: recorded.rewrites[s].name for n, s in recorded.created_by.items()}
    writer = _GraphWriter(cell, created)
    ids = writer.scope(outputs, updates=updates)
    return writer.graph, ids


def fgraph_view(
    fgraph: FunctionGraph, names: list[str], cell: CellInfo, recorded: Recorded | None = None
) -> tuple[Graph, dict[Any, str]]:
    """The compiled graph: update outputs go back to their shared variables."""
    mapping = fgraph.update_mapping or {}
    count = len(fgraph.outputs) - len(mapping)
    outputs = list(zip(names, fgraph.outputs[:count], strict=True))
    updates = [(fgraph.inputs[i], fgraph.outputs[o]) for o, i in sorted(mapping.items())]
    return view(outputs, cell, updates, recorded)


def credit(recorded: Recorded, ids: dict[Any, str], view_name: str) -> list[Rewrite]:
    """Point each rewrite at the nodes it created, by their ids in the view."""
    for node, step in recorded.created_by.items():
        if node in ids:
            recorded.rewrites[step].created.append(ids[node])
    for rw in recorded.rewrites:
        rw.view = view_name
    return recorded.rewrites
