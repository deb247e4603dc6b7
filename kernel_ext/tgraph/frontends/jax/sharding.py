"""Shardings and collectives: what a program laid out over a mesh shows.

The original view names each input's and output's ``PartitionSpec`` and the
mesh they live on; ``with_sharding_constraint`` and ``shard_map`` carry their
specs in their labels. The compiled view is XLA's SPMD-partitioned
per-device program, whose collectives (inserted by the partitioner or
written with ``psum`` and friends) are tagged ``collective`` and carry their
kind, replica groups and bytes per device, read from the HLO text because
that is the only place they exist.

Bytes per device is the size of the buffer a collective works on, the
larger of what one device hands in and what it gets back: the gathered
result of an all-gather, the summed operand of an all-reduce. That is the
size NCCL and XLA's own cost model quote, and what grows with the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, Any

import numpy as np

from ...graph import Graph, Node

if TYPE_CHECKING:
    from .hlo_text import HloModule, Instruction

#: HLO opcodes of collectives, sync and async (``-start``), by the kind users read.
KINDS = {
    "all-reduce": "all-reduce",
    "all-reduce-start": "all-reduce",
    "all-gather": "all-gather",
    "all-gather-start": "all-gather",
    "reduce-scatter": "reduce-scatter",
    "all-to-all": "all-to-all",
    "ragged-all-to-all": "all-to-all",
    "collective-permute": "collective-permute",
    "collective-permute-start": "collective-permute",
    "collective-broadcast": "collective-broadcast",
}
#: The matching ``-done`` halves: drawn as collectives, counted once at their start.
DONE = {"all-reduce-done", "all-gather-done", "collective-permute-done"}

#: jaxpr primitives that communicate between the devices of a mesh axis.
PRIMITIVES = {
    "psum",
    "psum_invariant",
    "pmax",
    "pmin",
    "pmean",
    "all_gather",
    "all_gather_invariant",
    "psum_scatter",
    "reduce_scatter",
    "all_to_all",
    "ragged_all_to_all",
    "ppermute",
    "pbroadcast",
}

_ARRAY = re.compile(r"\b([a-z]+[a-z0-9]*)\[([\d,]*)\]")
_BITS = re.compile(r"^[a-z]+?(\d+)")


# -- specs and meshes ----------------------------------------------------------------


def spec_text(spec: Any) -> str:
    """``P('data', None)`` as the user wrote it (trailing ``None`` kept)."""
    return repr(spec) if spec is not None else "P()"


def mesh_of(sharding: Any) -> Any:
    return getattr(sharding, "mesh", None)


def mesh_text(mesh: Any) -> str:
    """``data=2 x model=4 over cpu:0-7`` for a concrete mesh, no devices for an abstract one."""
    shape = getattr(mesh, "shape", {}) or {}
    axes = " x ".join(f"{name}={size}" for name, size in shape.items()) or "no axes"
    devices = concrete_devices(mesh)
    if devices is None:
        return axes
    return f"{axes} over {device_list(list(devices.flat))}"


def concrete_devices(mesh: Any) -> Any:
    """The device array of a concrete mesh; None for an abstract one (it has none)."""
    try:
        devices = mesh.devices
    except (AttributeError, ValueError):
        return None
    return devices if hasattr(devices, "flat") else None


def device_list(devices: list[Any]) -> str:
    """``cpu:0-7`` for a run of ids, ``cpu:0,2,5`` otherwise."""
    if not devices:
        return "no devices"
    platform = getattr(devices[0], "platform", "device")
    ids = [int(getattr(d, "id", i)) for i, d in enumerate(devices)]
    if ids == list(range(ids[0], ids[0] + len(ids))) and len(ids) > 2:
        return f"{platform}:{ids[0]}-{ids[-1]}"
    return f"{platform}:{','.join(map(str, ids))}"


def is_spread(sharding: Any) -> bool:
    """A sharding over more than one device: what makes a program sharded."""
    try:
        return len(sharding.device_set) > 1
    except Exception:  # an abstract or unknown sharding
        return False


def sharding_text(sharding: Any) -> str:
    """What an input or output node says: its spec and the mesh axes it names."""
    spec = getattr(sharding, "spec", None)
    mesh = mesh_of(sharding)
    if spec is not None and mesh is not None:
        return f"{spec_text(spec)} on {mesh_text(mesh)}"
    if is_spread(sharding):
        return f"{sharding} ({len(sharding.device_set)} devices)"
    return ""


@dataclass
class MeshInfo:
    """The mesh a program runs on, as the view names it."""

    axes: dict[str, int]
    devices: list[str]
    platform: str
    #: JAX's own ``Mesh``, to run the program's other transformations on it.
    handle: Any = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.devices)

    def note(self) -> str:
        axes = " x ".join(f"{k}={v}" for k, v in self.axes.items())
        return f"mesh: {axes} ({self.size} devices: {device_list(self._handles())})"

    def _handles(self) -> list[Any]:
        devices = concrete_devices(self.handle)
        return list(devices.flat) if devices is not None else []

    def context(self) -> Any:
        """``jax.set_mesh`` of this mesh: explicit axes need it to run anything on it."""
        import contextlib

        import jax

        if self.handle is None or not hasattr(jax, "set_mesh"):
            return contextlib.nullcontext()
        return jax.set_mesh(self.handle)

    def to_json(self) -> dict[str, Any]:
        return {"axes": dict(self.axes), "devices": list(self.devices), "platform": self.platform}


def find_mesh(shardings: list[Any], eqn_params: list[dict[str, Any]]) -> MeshInfo | None:
    """The first concrete mesh among the arguments' shardings and the equations' params."""
    candidates = [mesh_of(s) for s in shardings]
    for params in eqn_params:
        candidates += [params.get("mesh"), mesh_of(params.get("sharding"))]
    for mesh in candidates:
        devices = concrete_devices(mesh)
        if devices is None or devices.size < 2:
            continue
        flat = list(devices.flat)
        names = [f"{d.platform}:{d.id}" for d in flat]
        return MeshInfo(dict(mesh.shape), names, flat[0].platform, mesh)
    return None


def annotate_boundaries(graph: Graph, inputs: list[Any], outputs: list[Any]) -> None:
    """Top-level inputs and outputs get ``attrs['sharding']``, in order of the jaxpr."""
    top_in = [n for n in graph.nodes if n.kind == "input" and n.parent is None]
    top_out = [n for n in graph.nodes if n.kind == "output" and n.parent is None]
    for nodes, shardings in ((top_in, inputs), (top_out, outputs)):
        for node, sharding in zip(nodes, shardings, strict=False):
            _mark(node, sharding)


def _mark(node: Node, sharding: Any) -> None:
    text = sharding_text(sharding) if sharding is not None else ""
    if not text:
        return
    node.attrs["sharding"] = text
    spec = getattr(sharding, "spec", None)
    if spec is not None:
        node.attrs["spec"] = spec_text(spec)
    if "sharded" not in node.tags:
        node.tags.append("sharded")


def eqn_label(eqn: Any) -> tuple[str, dict[str, str], list[str]]:
    """Label suffix, attrs and tags of a sharding or communication equation."""
    name = eqn.primitive.name
    params = eqn.params
    if name in ("sharding_constraint", "reshard", "mesh_cast"):
        sharding = params.get("sharding") or params.get("dst_sharding")
        spec = getattr(sharding, "spec", None)
        attrs = {"sharding": sharding_text(sharding) or str(sharding)}
        return (f" {spec_text(spec)}" if spec is not None else ""), attrs, ["sharded"]
    if name == "shard_map":
        ins = ", ".join(spec_text(s) for s in params.get("in_specs", ()))
        outs = ", ".join(spec_text(s) for s in params.get("out_specs", ()))
        attrs = {"in_specs": ins, "out_specs": outs, "mesh": mesh_text(params.get("mesh"))}
        return f" in {ins} → out {outs}", attrs, ["sharded"]
    if name in PRIMITIVES:
        axes = params.get("axes", params.get("axis_name", ()))
        axes = axes if isinstance(axes, tuple) else (axes,)
        text = ", ".join(str(a) for a in axes if not isinstance(a, int))
        return (f" over {text}" if text else ""), {"axes": text}, ["collective"]
    return "", {}, []


# -- collectives in the compiled program ------------------------------------------------


def array_bytes(type_text: str) -> list[int]:
    """Bytes of each array in an HLO type: ``f32[4,16]`` -> [256]; a tuple gives one each."""
    sizes = []
    for dtype, dims in _ARRAY.findall(type_text):
        if dtype == "token":
            continue
        match = _BITS.match(dtype)
        bits = int(match.group(1)) if match else 8  # pred: one byte
        count = prod(int(d) for d in dims.split(",") if d) if dims else 1
        sizes.append(count * max(bits, 8) // 8)
    return sizes


def replica_groups(attrs: dict[str, str], partitions: int) -> list[list[int]] | None:
    """The device groups a collective runs over, from any of HLO's three spellings."""
    text = attrs.get("replica_groups")
    if text is None:
        return None
    text = text.strip()
    if text.startswith("mesh["):
        return _mesh_groups(text)
    if text.startswith("["):
        return _iota_groups(text)
    groups = [
        [int(i) for i in g.split(",") if i.strip()] for g in re.findall(r"\{([\d,\s]*)\}", text)
    ]
    groups = [g for g in groups if g]
    return groups or [list(range(partitions))]


def _iota_groups(text: str) -> list[list[int]] | None:
    """``[2,4]<=[4,2]T(1,0)``: iota over the second shape, transposed, reshaped."""
    match = re.match(r"\[([\d,]+)\]<=\[([\d,]+)\](?:T\(([\d,]+)\))?", text)
    if not match:
        return None
    shape = [int(x) for x in match.group(1).split(",")]
    dims = [int(x) for x in match.group(2).split(",")]
    ids = np.arange(prod(dims)).reshape(dims)
    if match.group(3):
        ids = ids.transpose([int(x) for x in match.group(3).split(",")])
    rows = ids.reshape(shape[0], -1) if len(shape) > 1 else ids.reshape(1, -1)
    return [[int(i) for i in row] for row in rows]


def _mesh_groups(text: str) -> list[list[int]] | None:
    """``mesh['a'=2,'b'=4] {'b'}``: devices varying along the named axes, the rest fixed."""
    match = re.match(r"mesh\[([^\]]*)\]\s*\{([^}]*)\}", text)
    if not match:
        return None
    axes = re.findall(r"'([^']+)'=(\d+)", match.group(1))
    names = [a for a, _ in axes]
    sizes = [int(s) for _, s in axes]
    over = re.findall(r"'([^']+)'", match.group(2))
    if not axes or any(a not in names for a in over):
        return None
    ids = np.arange(prod(sizes)).reshape(sizes)
    keep = [names.index(a) for a in names if a not in over]
    moved = [names.index(a) for a in over]
    ids = ids.transpose(keep + moved)
    width = prod(sizes[i] for i in moved)
    return [[int(i) for i in row] for row in ids.reshape(-1, width)]


def groups_text(groups: list[list[int]] | None, attrs: dict[str, str]) -> str:
    if groups is None:
        return attrs.get("replica_groups", "") or attrs.get("source_target_pairs", "")
    return "{" + ", ".join("{" + ",".join(map(str, g)) + "}" for g in groups) + "}"


@dataclass
class Collective:
    """One collective of the compiled program."""

    name: str
    kind: str
    bytes: int
    groups: list[list[int]] | None
    groups_text: str
    computation: str

    @property
    def devices(self) -> int:
        return max((len(g) for g in self.groups or []), default=0)


@dataclass
class Communication:
    """What one call of the per-device program sends: every collective, by kind."""

    collectives: list[Collective] = field(default_factory=list)
    partitions: int = 1

    def by_kind(self) -> dict[str, dict[str, int]]:
        kinds: dict[str, dict[str, int]] = {}
        for c in self.collectives:
            entry = kinds.setdefault(c.kind, {"count": 0, "bytes": 0})
            entry["count"] += 1
            entry["bytes"] += c.bytes
        return kinds

    @property
    def total(self) -> int:
        return sum(c.bytes for c in self.collectives)

    def note(self) -> str:
        if not self.collectives:
            return f"communication: none (the {self.partitions} devices never exchange data)"
        parts = [f"{v['count']} {k} ({v['bytes']:,} B)" for k, v in sorted(self.by_kind().items())]
        return f"communication per call: {', '.join(parts)}; total {self.total:,} B per device"

    def text(self) -> str:
        """The communication tab: the summary, then every collective."""
        lines = [self.note(), ""]
        lines.append(f"{'kind':<20} {'count':>5} {'bytes/device':>14}")
        for kind, v in sorted(self.by_kind().items()):
            lines.append(f"{kind:<20} {v['count']:>5} {v['bytes']:>14,}")
        lines.append(f"{'total':<20} {len(self.collectives):>5} {self.total:>14,}")
        lines.append("")
        for c in self.collectives:
            lines.append(f"{c.name}: {c.kind}, {c.bytes:,} B per device, groups {c.groups_text}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "partitions": self.partitions,
            "by_kind": self.by_kind(),
            "total_bytes": self.total,
            "collectives": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "bytes": c.bytes,
                    "replica_groups": c.groups,
                    "computation": c.computation,
                }
                for c in self.collectives
            ],
        }


def partitions(text: str) -> int:
    match = re.search(r"num_partitions=(\d+)", text.split("\n", 1)[0])
    return int(match.group(1)) if match else 1


def collective_of(
    inst: Instruction, types: dict[str, str], parts: int, computation: str = ""
) -> Collective | None:
    """The collective ``inst`` is, or None; ``types`` maps instruction names to HLO types."""
    kind = KINDS.get(inst.opcode)
    if kind is None:
        return None
    operand = sum(b for o in inst.operands for b in array_bytes(types.get(o, "")))
    result = array_bytes(inst.type)
    # an async start returns (operand, result[, context]): the buffer is the largest
    start = inst.opcode.endswith("-start")
    size = max([operand, *result]) if start else max(operand, sum(result))
    groups = replica_groups(inst.attrs, parts)
    if inst.opcode.startswith("collective-permute"):
        text = inst.attrs.get("source_target_pairs", "")
        groups = None
    else:
        text = groups_text(groups, inst.attrs)
    return Collective(inst.name, kind, size, groups, text, computation)


def communication(module: HloModule, text: str) -> Communication:
    """Every collective of the module, counted once per appearance in its text."""
    parts = partitions(text)
    found = Communication(partitions=parts)
    for comp in module.computations.values():
        types = {i.name: i.type for i in comp.instructions}
        for inst in comp.instructions:
            c = collective_of(inst, types, parts, comp.name)
            if c is not None:
                found.collectives.append(c)
    return found
