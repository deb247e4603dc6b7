"""Optimized HLO text, parsed: computations, instructions and source frames.

XLA's Python objects expose only names, opcodes, operands and users of an
instruction, so shapes, fusion bodies and source locations come from the
text of ``compiled.as_text()``. The parser reads only what the picture needs
and tolerates what it does not know: an unknown attribute is kept as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Attributes naming computations that become subgraphs, in display order.
INNER = ("calls", "condition", "body", "true_computation", "false_computation")
_HEADER = re.compile(r"^(ENTRY )?%?([\w.\-]+) \(.*\) -> .* \{$")
_INSTRUCTION = re.compile(r"^\s*(ROOT )?%?([\w.\-]+) = (.*)$")
OPERAND = re.compile(r"%([\w.\-]+)")
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


#: What ``_closing`` looks at: brackets and quotes; it jumps over everything else.
_BRACKET = re.compile(r'["()\[\]{}]')
_PAIRS = {"(": ")", "{": "}", "[": "]"}


def _closing(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at ``start``.

    Called for every instruction's operands and attributes (44,000 at 96
    layers): it visits only brackets and quotes, not every character.
    """
    stack: list[str] = []
    quoted = False
    for found in _BRACKET.finditer(text, start):
        char, i = found.group(), found.start()
        if char == '"':
            if i == 0 or text[i - 1] != "\\":
                quoted = not quoted
        elif quoted:
            continue
        elif char in _PAIRS:
            stack.append(_PAIRS[char])
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
    operands = [] if opcode == "constant" else OPERAND.findall(operand_text)
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


def metadata(attrs: dict[str, str]) -> dict[str, str]:
    text = attrs.get("metadata", "").strip("{}")
    found = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', text)
    return {k: v.strip('"').replace("\\'", "'").replace('\\"', '"') for k, v in found}


def dtype_shape(type_text: str) -> tuple[str, str]:
    match = _TYPE.match(type_text)
    if not match:
        return "", type_text
    return match.group(1), f"({match.group(2)})" if match.group(2) else "()"
