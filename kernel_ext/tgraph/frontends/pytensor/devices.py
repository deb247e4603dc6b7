"""Where PyTensor can run here: the host CPU, and JAX's devices through its JAX backend.

Discovery runs only when timing first asks, never in a cell. Its checks are
silent: the C VM probe compiles C code, and PyTensor may warn that it links
no BLAS; none of that may reach the user's cell, so the probe's warnings,
logging and output (the compiler's included) go through ``tgraph.quiet``.
"""

from __future__ import annotations

from ...devices import Backend, Device, DeviceError, Devices
from ...quiet import quiet

# PyTensor's backends, by the name users pass to --backend, and their modes.
PYTENSOR_MODES = {"numba": "NUMBA", "cvm": "CVM", "jax": "JAX"}
DEFAULT_PYTENSOR_BACKEND = "numba"


def check_cvm() -> str:
    """Why the C VM cannot run here, or "" when a tiny function compiles and runs."""
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import get_mode

    if not pytensor.config.cxx:
        return "PyTensor found no C++ compiler (pytensor.config.cxx is empty)"
    try:
        with quiet():
            x = pt.dvector("x")
            fn = pytensor.function([x], x * 2.0 + 1.0, mode=get_mode("CVM"))
            fn([1.0])
    except Exception as error:  # compiler and linker failures come in many types
        return f"compiling a test function failed: {type(error).__name__}: {error}"
    return ""


def blas_note() -> str:
    """A pip-installed PyTensor often links no BLAS: the C VM's dot products crawl."""
    import pytensor

    with quiet():  # reading the flag may search for BLAS, and warn
        ldflags = pytensor.config.blas__ldflags
    if ldflags:
        return ""
    return "links no BLAS (pytensor.config.blas__ldflags is empty): matrix products are slow"


def _jax_devices() -> tuple[list[Device], list[Device], str, str]:
    """JAX's CPUs and GPUs, the reason there is no GPU, and why JAX cannot run."""
    try:
        with quiet():
            import jax
    except ImportError as error:
        reason = f"JAX is not installed ({error})"
        return [Device("cpu", 0, "host CPU")], [], reason, reason
    with quiet():
        cpus = [Device("cpu", i, str(d), d) for i, d in enumerate(jax.devices("cpu"))]
        try:
            found = jax.devices("gpu")
        except RuntimeError as error:  # JAX's own words say what is missing
            return cpus, [], str(error), ""
    gpus = [
        Device("gpu", i, getattr(d, "device_kind", "") or str(d), d) for i, d in enumerate(found)
    ]
    return cpus, gpus, "", ""


def discover() -> Devices:
    """The host, JAX's devices, and PyTensor's backends with reasons (slow: a C compile)."""
    from .._jaxconfig import jax_flags_kept

    with jax_flags_kept():
        cpus, gpus, gpu_reason, jax_reason = _jax_devices()
    backends = {"numba": Backend("numba", True)}
    try:
        import numba  # noqa: F401
    except ImportError as error:
        backends["numba"] = Backend("numba", False, f"Numba is not installed ({error})")
    cvm_reason = check_cvm()
    backends["cvm"] = Backend("cvm", not cvm_reason, cvm_reason, note=blas_note())
    backends["jax"] = Backend("jax", not jax_reason, jax_reason, gpu=bool(gpus))
    return Devices(cpus, gpus, gpu_reason=gpu_reason, backends=backends)


def pick_backend(devices: Devices, requested: str | None, device: Device, own: str | None) -> str:
    """The backend that runs a PyTensor graph on ``device``.

    Numba and the C VM run on the host CPU only; anything else goes
    through PyTensor's JAX backend. Without a request a compiled function
    keeps its own backend.
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
    backend = devices.backends.get(name)
    if backend is not None and not backend.available:
        raise DeviceError(f"PyTensor's {name} backend is unavailable: {backend.reason}")
    return name
