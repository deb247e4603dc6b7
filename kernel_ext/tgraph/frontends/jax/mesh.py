"""How a sharded JAX program is laid out: its mesh, its boundary shardings, its placement.

Found from the shardings the cell's arrays carried and the ones the trace
names (``shard_map``, sharding constraints, explicit axes); None for a
program on one device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax

from ...protocol import Target
from ...timing import TimingError
from . import sharding as sh
from .devices import MeshDevice
from .inputs import Placement, dynamic_map, inputs_of, lay_out
from .jaxpr import closed_parts
from .programs import Run


@dataclass
class Layout:
    """How a sharded program is laid out: its mesh and each boundary's sharding."""

    mesh: sh.MeshInfo
    inputs: list[Any]
    outputs: list[Any]

    def outputs_or(self, compiled: list[Any]) -> list[Any]:
        """The traced output shardings, XLA's choice where the trace left it open."""
        return [
            mine if mine is not None else theirs
            for mine, theirs in zip(self.outputs, compiled, strict=False)
        ]


def _params_of(jaxpr: Any) -> list[dict[str, Any]]:
    """Every equation's params, nested jaxprs included (shard_map inside a jit...)."""
    found: list[dict[str, Any]] = []
    for eqn in closed_parts(jaxpr)[0].eqns:
        found.append(eqn.params)
        for value in eqn.params.values():
            inner = value if isinstance(value, (tuple, list)) else (value,)
            for item in inner:
                if hasattr(item, "eqns") or hasattr(item, "jaxpr"):
                    found += _params_of(item)
    return found


def _placed_sharding(sharding: Any) -> Any:
    """A sharding whose mesh names axes (explicit axes in the trace), else None."""
    mesh = getattr(sharding, "mesh", None)
    return sharding if mesh is not None and getattr(mesh, "shape", None) else None


def find_layout(
    closed: Any, args: tuple[Any, ...], kwargs: dict[str, Any], statics: set[Any]
) -> Layout | None:
    """The mesh and boundary shardings of a traced program; None when it uses one device."""
    dynamic = (
        [a for i, a in enumerate(args) if i not in statics],
        {k: v for k, v in kwargs.items() if k not in statics},
    )
    leaves = jax.tree_util.tree_leaves(dynamic)
    recorded = [getattr(x, "sharding", None) for x in leaves]
    avals_in = list(closed.in_avals)
    if len(recorded) != len(avals_in):
        recorded = [None] * len(avals_in)
    inputs = [
        r if r is not None else _placed_sharding(getattr(a, "sharding", None))
        for r, a in zip(recorded, avals_in, strict=True)
    ]
    outputs = [_placed_sharding(getattr(a, "sharding", None)) for a in closed.out_avals]
    mesh = sh.find_mesh([r for r in recorded if r is not None], _params_of(closed))
    if mesh is None:
        return None
    return Layout(mesh, inputs, outputs)


def layout_of(target: Target, traced_run: Run) -> Layout | None:
    return find_layout(
        traced_run.traced.jaxpr,
        tuple(target.args or ()),
        dict(target.kwargs or {}),
        traced_run.statics,
    )


def output_shardings(compiled: Any) -> list[Any]:
    try:
        return list(jax.tree_util.tree_leaves(compiled.output_shardings))
    except Exception:  # a backend without shardings
        return []


def placement(target: Target, traced_run: Run) -> Placement | None:
    """The shardings the cell's arrays had, to lay made-up inputs out the same way."""
    layout = layout_of(target, traced_run)
    if layout is None:
        return None

    def sharding(leaf: Any) -> Any:
        found = getattr(leaf, "sharding", None)
        return found if sh.is_spread(found) else None

    shardings = dynamic_map(
        lambda a: jax.tree_util.tree_map(sharding, a),
        tuple(target.args or ()),
        dict(target.kwargs or {}),
        traced_run.statics,
    )
    return Placement(shardings, layout.mesh.devices)


def placed_inputs(target: Target, traced_run: Run) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The inputs laid out as the cell's arrays were, for a sharded program."""
    inputs = inputs_of(target, traced_run.statics)
    found = placement(target, traced_run)
    if found is None:
        return inputs
    return lay_out(inputs, traced_run.statics, None, found)


def mesh_placement(target: Target, traced_run: Run, device: Any) -> Placement | None:
    """The layout to time a sharded program with, when the mesh was asked for."""
    if not isinstance(device, MeshDevice):
        return None
    found = placement(target, traced_run)
    if found is None:
        raise TimingError(
            f"{target.name} is not laid out over a mesh (its arguments and equations "
            "name no sharding over several devices): time it on one device"
        )
    return found
