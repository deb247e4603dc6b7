"""What a framework can run on here: devices, backends, and why one is missing.

Each frontend discovers its own (``Frontend.devices``): that can mean
importing a framework or compiling a probe, about a second, so it happens
once per kernel and only when timing first needs it. ``DeviceCache``, owned
by the per-kernel registry, keeps each frontend's answer; no module global
holds it, so tests and kernels never share one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .messages import BackendJSON, DeviceJSON, DevicesJSON

DeviceKind = Literal["cpu", "gpu"]


class DeviceError(ValueError):
    """A device or backend request this kernel cannot honour; shown as is."""


@dataclass(frozen=True)
class Device:
    """One device: the host CPU (always there) or an accelerator.

    ``handle`` is the framework's own device object, when it has one; code
    that runs on the host only needs none.
    """

    kind: DeviceKind
    index: int
    description: str
    handle: Any = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.index}"

    def to_json(self) -> DeviceJSON:
        return {"name": self.name, "kind": self.kind, "description": self.description}


@dataclass(frozen=True)
class Backend:
    """One of a framework's backends (PyTensor's numba, cvm, jax) and, when it
    cannot run here, the reason."""

    name: str
    available: bool
    reason: str = ""
    gpu: bool = False
    note: str = ""

    def to_json(self) -> BackendJSON:
        return {
            "name": self.name,
            "available": self.available,
            "reason": self.reason or self.note,
            "gpu": self.gpu,
        }


@dataclass
class Devices:
    """Everything a timing request is checked against."""

    cpus: list[Device]
    gpus: list[Device]
    gpu_reason: str = ""
    backends: dict[str, Backend] = field(default_factory=dict)
    #: Where programs run when nobody names a device: JAX's default device is
    #: its GPU when it has one, and a GPU user's step is timed there.
    default: str = "cpu"

    def all(self) -> list[Device]:
        return [*self.cpus, *self.gpus]

    def resolve(self, spec: str) -> Device:
        """``cpu``, ``gpu``, ``cpu:1`` or ``gpu:1`` -> a device, or a clear error;
        "" is the default device."""
        text = (spec or self.default).strip().lower()
        kind, _, index_text = text.partition(":")
        if kind not in ("cpu", "gpu") or (index_text and not index_text.isdigit()):
            raise DeviceError(f"unknown device {spec!r}: use cpu, gpu, cpu:i or gpu:i")
        found = self.cpus if kind == "cpu" else self.gpus
        if not found:
            raise DeviceError(f"no GPU: {self.gpu_reason}")
        index = int(index_text or 0)
        if index >= len(found):
            names = ", ".join(d.name for d in found)
            raise DeviceError(f"no device {kind}:{index}: this kernel has {names}")
        return found[index]

    def to_json(self) -> DevicesJSON:
        """What the timing view needs to draw its toggles."""
        return {
            "devices": [d.to_json() for d in self.all()],
            "gpu": {"available": bool(self.gpus), "reason": self.gpu_reason},
            "default": self.default,
            "backends": [b.to_json() for b in self.backends.values()],
        }


class DeviceCache:
    """One discovery per frontend per kernel, held by the per-kernel registry."""

    def __init__(self) -> None:
        self._found: dict[str, Devices] = {}

    def get(self, key: str, discover: Callable[[], Devices]) -> Devices:
        if key not in self._found:
            self._found[key] = discover()
        return self._found[key]

    def known(self, key: str) -> Devices | None:
        return self._found.get(key)
