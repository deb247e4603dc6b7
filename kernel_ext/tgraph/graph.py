"""The framework-neutral graph model shared by every frontend and view.

Frontends (PyTensor, JAX) translate their own IRs into these dataclasses;
layout, widget and registry only ever see this model. The JSON form is
documented in ``docs/graph-format.md`` and versioned by ``FORMAT_VERSION``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, is_dataclass
from typing import Any, Literal

FORMAT_VERSION = 1

NodeKind = Literal["op", "input", "output", "constant", "shared"]


@dataclass
class Source:
    """Where a node came from in the user's code (1-based cell line)."""

    line: int
    text: str = ""
    file: str = ""


@dataclass
class Node:
    """One box of the picture: an operation or a graph boundary value.

    Intermediate values are not nodes: they live on the edges, as in
    ``pydotprint``, which keeps pictures half the size of a bipartite graph.
    """

    id: str
    kind: NodeKind
    label: str
    op: str = ""
    name: str = ""
    dtype: str = ""
    shape: str = ""
    parent: str | None = None
    source: Source | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


@dataclass
class Edge:
    """A value flowing from ``src`` to input slot ``slot`` of ``dst``."""

    src: str
    dst: str
    label: str = ""
    slot: int = 0
    tags: list[str] = field(default_factory=list)


@dataclass
class Subgraph:
    """An inner graph (Composite, Scan, fusion, nested jit...), collapsible."""

    id: str
    label: str
    kind: str
    parent: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    subgraphs: list[Subgraph] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def ops(self) -> list[str]:
        """The op names of every operation node, in graph order."""
        return [n.op for n in self.nodes if n.kind == "op"]

    def to_json(self) -> dict[str, Any]:
        """One graph as it appears in a bundle's JSON (a view, a stepper snapshot)."""
        data: dict[str, Any] = _plain(self)
        return data


class GraphBuilder:
    """Fresh ids and edges for one graph: the one helper every converter shares.

    Ids are ``<prefix>n<k>``, counted per prefix, so a converter that names a
    subgraph's members after its prefix gets the same ids on every run of the
    same program (the stepper and the compare view pair nodes by id).
    """

    def __init__(self, graph: Graph | None = None) -> None:
        self.graph = graph if graph is not None else Graph()
        self._counts: dict[str, int] = {}

    def new_id(self, prefix: str = "") -> str:
        count = self._counts.get(prefix, 0)
        self._counts[prefix] = count + 1
        return f"{prefix}n{count}"

    def add(self, node: Node) -> Node:
        self.graph.nodes.append(node)
        return node

    def add_subgraph(self, subgraph: Subgraph) -> Subgraph:
        self.graph.subgraphs.append(subgraph)
        return subgraph

    def connect(
        self,
        sources: list[str] | str,
        dst: str,
        slot: int = 0,
        label: str = "",
        tags: list[str] | None = None,
    ) -> None:
        """An edge from each of ``sources`` into input ``slot`` of ``dst``."""
        for src in [sources] if isinstance(sources, str) else sources:
            self.graph.edges.append(Edge(src, dst, label, slot, list(tags or [])))


@dataclass
class Rewrite:
    """One rewrite that fired while the real compiler pipeline ran."""

    step: int
    name: str
    replaced: str
    replacement: str
    noise: bool = False
    created: list[str] = field(default_factory=list)
    # The view whose graph the rewrite changed ("optimized", "gradient").
    view: str = "optimized"
    # The compiler pass it ran in ("canonicalize", "specialize", "fusion"...).
    pass_name: str = ""
    # For the rewrite stepper: top-level ids of the previous step's graph that
    # this step removed, and the whole graph right after it. Ids are shared by
    # every snapshot of a view, so a highlight can follow a node from step to step.
    removed: list[str] = field(default_factory=list)
    graph: Graph | None = None
    # What the rewrite is, read from the installed framework: its docstring's
    # first line, every pass it is registered under, and where it is defined
    # (module and 1-based line; "" and 0 when unknown).
    doc: str = ""
    passes: list[str] = field(default_factory=list)
    module: str = ""
    line: int = 0


@dataclass
class GraphBundle:
    """Everything tgraph shows for one target of one cell."""

    target: str
    #: The frontend's ``framework`` key; any string a plug-in chooses.
    framework: str
    views: dict[str, Graph]
    rewrites: list[Rewrite] = field(default_factory=list)
    # View name -> the graph as the rewriter first saw it: step 0 of the
    # stepper, in the ids of ``Rewrite.graph`` (the "original" view is the
    # graph before ``function`` cloned it, with ids of its own).
    rewrite_start: dict[str, Graph] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    cell: int | None = None

    def to_json(self, steps: bool = True) -> dict[str, Any]:
        """The documented JSON; ``steps=False`` leaves out the stepper's snapshots.

        The inline widget is saved with the notebook and has no stepper, so it
        takes the smaller form; so does the side panel's first paint, which
        fetches a view's snapshots when its stepper opens.
        """
        data: dict[str, Any] = _plain(self, skip_steps=not steps)
        data["version"] = FORMAT_VERSION
        return data


def _plain(value: Any, skip_steps: bool = False) -> Any:
    """``dataclasses.asdict`` without its deep copies, several times faster on big graphs.

    With ``skip_steps`` the stepper's snapshots are left out before they are
    converted, not after.
    """
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        if skip_steps and isinstance(value, GraphBundle):
            steps = {"rewrites", "rewrite_start"}
            data = {k: _plain(v) for k, v in vars(value).items() if k not in steps}
            data["rewrites"] = [{**_plain_rewrite(r), "graph": None} for r in value.rewrites]
            data["rewrite_start"] = {}
            return data
        return {k: _plain(v) for k, v in vars(value).items()}
    return copy.deepcopy(value)


def _plain_rewrite(rewrite: Rewrite) -> dict[str, Any]:
    return {k: _plain(v) for k, v in vars(rewrite).items() if k != "graph"}
