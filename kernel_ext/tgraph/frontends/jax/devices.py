"""The devices JAX runs on here, and the mesh of them when it sees several."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax

from ...devices import Device, DeviceError, Devices
from ...messages import DeviceJSON, DevicesJSON
from ...quiet import quiet

MESH = "mesh"


@dataclass(frozen=True)
class MeshDevice(Device):
    """Every device of one platform together: a sharded function runs on its own mesh.

    Offered next to the single devices when JAX sees more than one; the
    browser shows it like any device, by name and description.
    """

    count: int = 0

    @property
    def name(self) -> str:
        return MESH

    def to_json(self) -> DeviceJSON:
        return {"name": MESH, "kind": self.kind, "description": self.description}


@dataclass
class JaxDevices(Devices):
    """JAX's devices, and the mesh of them when there are several."""

    mesh: MeshDevice | None = None

    def resolve(self, spec: str) -> Device:
        if (spec or "").strip().lower() != MESH:
            return super().resolve(spec)
        if self.mesh is None:
            raise DeviceError(
                "no mesh: JAX sees one device here. Set "
                "XLA_FLAGS=--xla_force_host_platform_device_count=8 before JAX starts "
                "for 8 CPU devices"
            )
        return self.mesh

    def to_json(self) -> DevicesJSON:
        found = super().to_json()
        if self.mesh is not None:
            found["devices"].append(self.mesh.to_json())
        return found


def jax_devices() -> JaxDevices:
    """The host CPUs and GPUs JAX sees; JAX's own words when it sees no GPU."""
    with quiet():
        cpus = [Device("cpu", i, str(d), d) for i, d in enumerate(jax.devices("cpu"))]
        try:
            found = jax.devices("gpu")
        except RuntimeError as error:
            found, reason = [], str(error)
        else:
            reason = ""
    gpus = [
        Device("gpu", i, getattr(d, "device_kind", "") or str(d), d) for i, d in enumerate(found)
    ]
    many = gpus if len(gpus) > 1 else cpus
    mesh = None
    if len(many) > 1:
        kind = many[0].kind
        text = f"mesh ({len(many)} devices): a sharded function on its own mesh of {kind}s"
        mesh = MeshDevice(kind, 0, text, None, len(many))
    default = "gpu" if gpus and jax.default_backend() == "gpu" else "cpu"
    return JaxDevices(cpus, gpus, gpu_reason=reason, default=default, mesh=mesh)


def device_names(devices: Devices) -> dict[Any, str]:
    return {d.handle: d.name for d in devices.all() if d.handle is not None}
