"""Optimized HLO -> the common graph model (parsed by ``hlo_text``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...graph import Graph, GraphBuilder, Node, NodeKind, Source, Subgraph
from . import sharding
from .hlo_text import (
    INNER,
    OPERAND,
    Computation,
    HloModule,
    Instruction,
    dtype_shape,
    metadata,
    parse_hlo,
)


def inner_holder(graph: Graph, sub_id: str, key: str, count: int) -> str:
    """The subgraph that holds one of a container's ``count`` inner graphs.

    A container with several (cond branches, while's cond and body) gets one
    child per inner graph, so each can be opened on its own.
    """
    if count == 1:
        return sub_id
    holder = f"{sub_id}/{key.replace(' ', '')}"
    graph.subgraphs.append(Subgraph(id=holder, label=key, kind=key.split()[0], parent=sub_id))
    return holder


@dataclass
class HloSource:
    """A source location of one instruction, and the op name JAX gave it."""

    op_name: str
    line: int | None
    column: int | None


# Maps an instruction's JAX op name and cell position to original-view node ids.
Linker = Callable[[HloSource], list[str]]


class _Converter:
    def __init__(
        self, module: HloModule, filename: str, code: str, link: Linker, partitions: int = 1
    ) -> None:
        self.module = module
        self.partitions = partitions
        #: HLO types of the computation being converted, for collectives' operand sizes.
        self.types: dict[str, str] = {}
        self.by_id: dict[str, Node] = {}
        self.filename = filename
        self.lines = code.splitlines()
        self.link = link
        self.builder = GraphBuilder()
        self.graph = self.builder.graph

    def source(self, attrs: dict[str, str]) -> HloSource:
        meta = metadata(attrs)
        line = column = None
        if "stack_frame_id" in meta:
            loc = self.module.location(int(meta["stack_frame_id"]), self.filename)
            if loc is not None:
                line, column = loc.line, loc.column
        elif meta.get("source_file") == self.filename and "source_line" in meta:
            line = int(meta["source_line"])
        return HloSource(meta.get("op_name", ""), line, column)

    def node_source(self, where: HloSource) -> Source | None:
        if where.line is None:
            return None
        text = self.lines[where.line - 1].strip() if 0 < where.line <= len(self.lines) else ""
        return Source(where.line, text)

    def computation(
        self, comp: Computation, prefix: str, parent: str | None, params: list[list[str]]
    ) -> list[str]:
        """Add ``comp``'s instructions; ``params[i]`` feed its parameter(i).

        Returns the node ids that produce the computation's result.
        """
        produced: dict[str, list[str]] = {}
        outer, self.types = self.types, {i.name: i.type for i in comp.instructions}
        for inst in comp.instructions:
            produced[inst.name] = self.instruction(inst, prefix, parent, produced, params)
        self.types = outer
        return produced.get(comp.root.name, [])

    def instruction(
        self,
        inst: Instruction,
        prefix: str,
        parent: str | None,
        produced: dict[str, list[str]],
        params: list[list[str]],
    ) -> list[str]:
        where = self.source(inst.attrs)
        operands = [produced.get(o, []) for o in inst.operands]
        inner = self.inner_computations(inst)
        if inner:
            return self.container(inst, prefix, parent, operands, inner, where)
        dtype, shape = dtype_shape(inst.type)
        attrs = {"hlo": inst.name, "type": inst.type}
        if where.op_name:
            attrs["op_name"] = where.op_name
        for key, value in inst.attrs.items():
            if key != "metadata":
                attrs[key] = value if len(value) <= 80 else value[:77] + "..."
        jaxpr_ids = self.link(where)
        tags = []
        if inst.opcode in sharding.KINDS or inst.opcode in sharding.DONE:
            tags.append("collective")
            attrs.update(self.collective(inst))
            if not jaxpr_ids:  # inserted by the partitioner: it serves what feeds it
                jaxpr_ids = self.inherited(operands)
        if jaxpr_ids:
            attrs["jaxpr"] = ",".join(jaxpr_ids)
        kinds: dict[str, NodeKind] = {"parameter": "input", "constant": "constant"}
        kind = kinds.get(inst.opcode, "op")
        label = inst.opcode
        if kind == "input":
            label = where.op_name or f"param {inst.attrs['number']}"
        elif kind == "constant":
            label = attrs["value"] if len(attrs["value"]) <= 24 else "constant"
        node = Node(
            id=self.builder.new_id(prefix),
            kind=kind,
            label=label,
            op=inst.opcode,
            name=inst.name,
            dtype=dtype,
            shape=shape,
            parent=parent,
            source=self.node_source(where),
            attrs=attrs,
            tags=tags,
        )
        self.builder.add(node)
        self.by_id[node.id] = node
        if node.source is None and tags:
            node.source = self.inherited_source(operands)
        if inst.opcode == "parameter":
            index = int(inst.attrs["number"])
            sources = params[index] if index < len(params) else []
            self.builder.connect(sources, node.id, 0, inst.type)
        for slot, sources in enumerate(operands):
            self.builder.connect(sources, node.id, slot, "")
        return [node.id]

    def collective(self, inst: Instruction) -> dict[str, str]:
        found = sharding.collective_of(inst, self.types, self.partitions)
        if found is None:  # a -done half: the bytes are counted at its start
            return {"collective": inst.opcode.removesuffix("-done")}
        attrs = {"collective": found.kind, "bytes": f"{found.bytes:,} B per device"}
        if found.groups_text:
            key = "source_target_pairs" if found.groups is None else "replica_groups"
            attrs[key] = found.groups_text
        if found.devices:
            attrs["devices"] = str(found.devices)
        return attrs

    def inherited(self, operands: list[list[str]]) -> list[str]:
        ids: list[str] = []
        for sources in operands:
            for src in sources:
                node = self.by_id.get(src)
                for i in (node.attrs.get("jaxpr", "") if node else "").split(","):
                    if i and i not in ids:
                        ids.append(i)
        return ids

    def inherited_source(self, operands: list[list[str]]) -> Source | None:
        for sources in operands:
            for src in sources:
                node = self.by_id.get(src)
                if node is not None and node.source is not None:
                    return node.source
        return None

    def inner_computations(self, inst: Instruction) -> list[tuple[str, Computation]]:
        found: list[tuple[str, Computation]] = []
        for key in INNER:
            name = inst.attrs.get(key, "").lstrip("%")
            if name in self.module.computations:
                found.append((key, self.module.computations[name]))
        branches = inst.attrs.get("branch_computations", "")
        for i, name in enumerate(OPERAND.findall(branches)):
            if name in self.module.computations:
                found.append((f"branch {i}", self.module.computations[name]))
        return found

    def container(
        self,
        inst: Instruction,
        prefix: str,
        parent: str | None,
        operands: list[list[str]],
        inner: list[tuple[str, Computation]],
        where: HloSource,
    ) -> list[str]:
        """A fusion, call, while or conditional: a subgraph of its computations."""
        sub_id = self.builder.new_id(prefix)
        attrs = {"hlo": inst.name, "type": inst.type, "opcode": inst.opcode}
        if where.op_name:
            attrs["op_name"] = where.op_name
        if "kind" in inst.attrs:
            attrs["fusion_kind"] = inst.attrs["kind"]
        if where.line is not None:
            attrs["line"] = str(where.line)
        self.builder.add_subgraph(
            Subgraph(id=sub_id, label=inst.name, kind=inst.opcode, parent=parent, attrs=attrs)
        )
        results: list[str] = []
        for key, comp in inner:
            holder = inner_holder(self.graph, sub_id, key, len(inner))
            if key.startswith("branch") or key.endswith("computation"):
                index = 0 if key.startswith("true") else 1 if key.startswith("false") else None
                if index is None:
                    index = int(key.split()[1])
                params = operands[index + 1 : index + 2]
            else:
                params = operands
            out = self.computation(comp, holder + "/", holder, params)
            if key != "condition":
                results += out
        return results


def hlo_graph(text: str, filename: str, code: str, link: Linker) -> tuple[Graph, HloModule]:
    """The optimized graph of ``compiled.as_text()``: fusions as subgraphs.

    ``filename`` is the cell's file: only its frames give source lines.
    """
    module = parse_hlo(text)
    conv = _Converter(module, filename, code, link, sharding.partitions(text))
    entry = module.entry
    results = conv.computation(entry, "", None, [])
    root = entry.root
    out_id = conv.builder.new_id("")
    dtype, shape = dtype_shape(root.type)
    conv.builder.add(Node(id=out_id, kind="output", label="result", dtype=dtype, shape=shape))
    conv.builder.connect(results, out_id, 0, root.type)
    return conv.graph, module
