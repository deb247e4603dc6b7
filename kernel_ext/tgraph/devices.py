"""What this kernel can run on: devices, PyTensor backends, and why one is missing.

Discovery imports JAX (the only way to learn about GPUs) and, when the user
has imported PyTensor, compiles one tiny C VM function to prove a C compiler
works. Both cost about a second, so it happens once per kernel: a
``DeviceCache`` owned by the caller (the per-kernel registry) keeps the
answer. No module global holds it, so tests and kernels never share one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Literal

DeviceKind = Literal["cpu", "gpu"]

# PyTensor's backends, by the name users pass to --backend, and their modes.
PYTENSOR_MODES = {"numba": "NUMBA", "cvm": "CVM", "jax": "JAX"}
DEFAULT_PYTENSOR_BACKEND = "numba"


class DeviceError(ValueError):
    """A device or backend request this kernel cannot honour; shown as is."""


@dataclass(frozen=True)
class Device:
    """One device: the host CPU (always there) or a device JAX sees.

    ``handle`` is the ``jax.Device`` when JAX is installed; PyTensor's Numba
    and C backends run on the host and need none.
    """

    kind: DeviceKind
    index: int
    description: str
    handle: Any = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.index}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "description": self.description}


@dataclass(frozen=True)
class Backend:
    """A PyTensor backend and, when it cannot run here, the reason."""

    name: str
    available: bool
    reason: str = ""
    gpu: bool = False
    note: str = ""

    def to_json(self) -> dict[str, Any]:
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
    jax_reason: str = ""
    backends: dict[str, Backend] = field(default_factory=dict)

    def all(self) -> list[Device]:
        return [*self.cpus, *self.gpus]

    def resolve(self, spec: str) -> Device:
        """``cpu``, ``gpu``, ``cpu:1`` or ``gpu:1`` -> a device, or a clear error."""
        text = (spec or "cpu").strip().lower()
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

    def pytensor_backend(self, requested: str | None, device: Device, own: str | None) -> str:
        """The backend that runs a PyTensor graph on ``device``.

        Numba and the C VM run on the host CPU only; anything else goes
        through PyTensor's JAX backend. Without a request a compiled
        function keeps its own backend.
        """
        name = (requested or "").lower() or None
        if name is not None and name not in PYTENSOR_MODES:
            raise DeviceError(f"unknown backend {requested!r}: use numba, cvm or jax")
        off_host = device.kind == "gpu" or device.index > 0
        if name is None:
            name = "jax" if off_host else (own or DEFAULT_PYTENSOR_BACKEND)
            if name not in PYTENSOR_MODES:
                name = DEFAULT_PYTENSOR_BACKEND
        if off_host and name != "jax":
            raise DeviceError(
                f"PyTensor's {name} backend runs on the host CPU only: use --backend jax "
                f"to run on {device.name}"
            )
        backend = self.backends.get(name)
        if backend is not None and not backend.available:
            raise DeviceError(f"PyTensor's {name} backend is unavailable: {backend.reason}")
        return name

    def to_json(self) -> dict[str, Any]:
        """What the timing view needs to draw its toggles."""
        return {
            "devices": [d.to_json() for d in self.all()],
            "gpu": {"available": bool(self.gpus), "reason": self.gpu_reason},
            "backends": [b.to_json() for b in self.backends.values()],
        }


def _jax_devices() -> tuple[list[Device], list[Device], str, str]:
    try:
        import jax
    except ImportError as error:
        host = [Device("cpu", 0, "host CPU")]
        reason = f"JAX is not installed ({error})"
        return host, [], reason, reason
    cpus = [Device("cpu", i, str(d), d) for i, d in enumerate(jax.devices("cpu"))]
    try:
        found = jax.devices("gpu")
    except RuntimeError as error:  # JAX's own words say what is missing
        return cpus, [], str(error), ""
    gpus = [
        Device("gpu", i, getattr(d, "device_kind", "") or str(d), d) for i, d in enumerate(found)
    ]
    return cpus, gpus, "", ""


def _check_cvm() -> str:
    """Why the C VM cannot run here, or "" when a tiny function compiles and runs."""
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import get_mode

    if not pytensor.config.cxx:
        return "PyTensor found no C++ compiler (pytensor.config.cxx is empty)"
    try:
        x = pt.dvector("x")
        fn = pytensor.function([x], x * 2.0 + 1.0, mode=get_mode("CVM"))
        fn([1.0])
    except Exception as error:  # compiler and linker failures come in many types
        return f"compiling a test function failed: {type(error).__name__}: {error}"
    return ""


def _blas_note() -> str:
    """A pip-installed PyTensor often links no BLAS: the C VM's dot products crawl."""
    import pytensor

    if pytensor.config.blas__ldflags:
        return ""
    return "links no BLAS (pytensor.config.blas__ldflags is empty): matrix products are slow"


def _pytensor_backends(jax_reason: str, has_gpu: bool) -> dict[str, Backend]:
    found = {"numba": Backend("numba", True)}
    try:
        import numba  # noqa: F401
    except ImportError as error:
        found["numba"] = Backend("numba", False, f"Numba is not installed ({error})")
    cvm_reason = _check_cvm()
    found["cvm"] = Backend("cvm", not cvm_reason, cvm_reason, note=_blas_note())
    found["jax"] = Backend("jax", not jax_reason, jax_reason, gpu=has_gpu)
    return found


def discover() -> Devices:
    """Look at the machine now (slow: JAX import, a C compile)."""
    cpus, gpus, gpu_reason, jax_reason = _jax_devices()
    found = Devices(cpus, gpus, gpu_reason, jax_reason)
    if "pytensor" in sys.modules:
        found.backends = _pytensor_backends(jax_reason, bool(gpus))
    return found


class DeviceCache:
    """One discovery per kernel, held by whoever owns the kernel's state.

    Backends are looked at only once the user has imported PyTensor, so a
    JAX-only kernel never pays for importing it; a later import re-checks.
    """

    def __init__(self) -> None:
        self._found: Devices | None = None

    def get(self) -> Devices:
        found = self._found
        stale = found is not None and not found.backends and "pytensor" in sys.modules
        if self._found is None or stale:
            self._found = discover()
        return self._found
