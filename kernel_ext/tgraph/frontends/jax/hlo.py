"""Optimized HLO text -> the common graph model.

XLA's Python objects expose only names, opcodes, operands and users of an
instruction, so shapes, fusion bodies and source locations come from the
text of ``compiled.as_text()``. The parser reads only what the picture needs
and tolerates what it does not know: an unknown attribute is kept as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ...graph import Graph, GraphBuilder, Node, NodeKind, Source, Subgraph
from . import sharding

# Attributes naming computations that become subgraphs, in display order.
_INNER = ("calls", "condition", "body", "true_computation", "false_computation")
_HEADER = re.compile(r"^(ENTRY )?%?([\w.\-]+) \(.*\) -> .* \{$")
_INSTRUCTION = re.compile(r"^\s*(ROOT )?%?([\w.\-]+) = (.*)$")
_OPERAND = re.compile(r"%([\w.\-]+)")
_TYPE = re.compile(r"^([a-z]+\d*)\[([^\]]*)\]")


@dataclass
class Location:
    """A stack frame of the HLO module: file, line, column, function."""

    file: str
    line: int
    column: int
    function: str
    parent: int | None


@dataclass
class Instruction:
    name: str
    type: str
    opcode: str
    operands: list[str]
    attrs: dict[str, str]
    root: bool = False


@dataclass
class Computation:
    name: str
    entry: bool
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def root(self) -> Instruction:
        for inst in self.instructions:
            if inst.root:
                return inst
        return self.instructions[-1]


@dataclass
class HloModule:
    name: str
    computations: dict[str, Computation]
    frames: dict[int, Location]

    @property
    def entry(self) -> Computation:
        for comp in self.computations.values():
            if comp.entry:
                return comp
        return list(self.computations.values())[-1]

    def location(self, frame_id: int, filename: str) -> Location | None:
        """The innermost frame of ``frame_id``'s stack that lies in ``filename``."""
        seen: set[int] = set()
        current: int | None = frame_id
        while current is not None and current not in seen:
            seen.add(current)
            loc = self.frames.get(current)
            if loc is None:
                return None
            if loc.file == filename:
                return loc
            current = loc.parent
        return None


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


def _closing(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at ``start``."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack: list[str] = []
    quoted = False
    for i in range(start, len(text)):
        char = text[i]
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        if quoted:
            continue
        if char in pairs:
            stack.append(pairs[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
    return len(text)


def _split_attrs(text: str) -> dict[str, str]:
    """``kind=kLoop, calls=%f, metadata={...}`` -> a dict, brackets respected."""
    attrs: dict[str, str] = {}
    i = 0
    while i < len(text):
        while i < len(text) and text[i] in ", ":
            i += 1
        eq = text.find("=", i)
        if eq < 0:
            break
        key = text[i:eq].strip()
        j = eq + 1
        if j < len(text) and text[j] in "{([":
            end = _closing(text, j)
            if end < len(text) and text[end] != ",":  # iota groups: [2,4]<=[8]T(1,0)
                end = text.find(", ", end)
                end = len(text) if end < 0 else end
        elif j < len(text) and text[j] == '"':
            end = text.find('"', j + 1) + 1 or len(text)
        else:
            end = text.find(", ", j)
            end = len(text) if end < 0 else end
        attrs[key] = text[j:end]
        i = end
    return attrs


def _parse_instruction(line: str) -> Instruction | None:
    match = _INSTRUCTION.match(line)
    if not match:
        return None
    root, name, rest = match.groups()
    end = _closing(rest, 0) if rest.startswith("(") else rest.find(" ")
    type_text, rest = rest[:end], rest[end:].lstrip()
    paren = rest.find("(")
    opcode = rest[:paren]
    close = _closing(rest, paren)
    operand_text = rest[paren + 1 : close - 1]
    operands = [] if opcode == "constant" else _OPERAND.findall(operand_text)
    attrs = _split_attrs(rest[close:].lstrip(", "))
    if opcode == "constant":
        attrs["value"] = operand_text
    elif opcode == "parameter":
        attrs["number"] = operand_text
    return Instruction(name, type_text, opcode, operands, attrs, root=bool(root))


def _parse_frames(sections: dict[str, list[str]]) -> dict[int, Location]:
    def table(name: str) -> dict[int, str]:
        rows: dict[int, str] = {}
        for row in sections.get(name, []):
            key, _, value = row.strip().partition(" ")
            if key.isdigit():
                rows[int(key)] = value
        return rows

    def fields(text: str) -> dict[str, int]:
        return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", text)}

    files = {k: v.strip('"') for k, v in table("FileNames").items()}
    functions = {k: v.strip('"') for k, v in table("FunctionNames").items()}
    locations = {k: fields(v) for k, v in table("FileLocations").items()}
    frames: dict[int, Location] = {}
    for key, text in table("StackFrames").items():
        frame = fields(text)
        loc = locations.get(frame.get("file_location_id", -1), {})
        parent = frame.get("parent_frame_id")
        frames[key] = Location(
            file=files.get(loc.get("file_name_id", -1), ""),
            line=loc.get("line", 0),
            column=loc.get("column", -1),
            function=functions.get(loc.get("function_name_id", -1), ""),
            parent=None if parent in (None, 0, key) else parent,
        )
    return frames


def parse_hlo(text: str) -> HloModule:
    """Parse the text of an (optimized) HLO module."""
    lines = text.splitlines()
    name = lines[0].split()[1].rstrip(",") if lines and lines[0].startswith("HloModule") else ""
    computations: dict[str, Computation] = {}
    sections: dict[str, list[str]] = {}
    current: Computation | None = None
    section: str | None = None
    for line in lines[1:]:
        stripped = line.strip()
        if current is not None:
            if stripped == "}":
                current = None
            elif (inst := _parse_instruction(line)) is not None:
                current.instructions.append(inst)
            continue
        if (header := _HEADER.match(stripped)) is not None:
            current = Computation(header.group(2), entry=bool(header.group(1)))
            computations[current.name] = current
            section = None
        elif stripped in ("FileNames", "FunctionNames", "FileLocations", "StackFrames"):
            section = stripped
            sections[section] = []
        elif section and stripped:
            sections[section].append(stripped)
    return HloModule(name, computations, _parse_frames(sections))


def _metadata(attrs: dict[str, str]) -> dict[str, str]:
    text = attrs.get("metadata", "").strip("{}")
    found = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', text)
    return {k: v.strip('"').replace("\\'", "'").replace('\\"', '"') for k, v in found}


def _dtype_shape(type_text: str) -> tuple[str, str]:
    match = _TYPE.match(type_text)
    if not match:
        return "", type_text
    return match.group(1), f"({match.group(2)})" if match.group(2) else "()"


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
        meta = _metadata(attrs)
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
        dtype, shape = _dtype_shape(inst.type)
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
        for key in _INNER:
            name = inst.attrs.get(key, "").lstrip("%")
            if name in self.module.computations:
                found.append((key, self.module.computations[name]))
        branches = inst.attrs.get("branch_computations", "")
        for i, name in enumerate(_OPERAND.findall(branches)):
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
    dtype, shape = _dtype_shape(root.type)
    conv.builder.add(Node(id=out_id, kind="output", label="result", dtype=dtype, shape=shape))
    conv.builder.connect(results, out_id, 0, root.type)
    return conv.graph, module
