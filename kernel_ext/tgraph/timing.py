"""Compile time, first call and steady-state time of a target, on one device.

Three numbers answer different questions, so they are measured apart:
compiling (PyTensor's ``function``; JAX's ``lower().compile()``), the first
call (Numba compiles here), and the steady state, measured like ``timeit``:
the number of calls per repeat grows until one repeat takes long enough for
the clock, then repeats run until the budget is spent. JAX dispatches
asynchronously, so every call waits for its outputs (``block_until_ready``);
its inputs are put on the device first and that transfer is timed apart.

Timing must not change what the user sees afterwards: shared variables that
updates change are restored, and so is JAX's ``jax_enable_x64`` flag, which
compiling a PyTensor function for its JAX backend switches on. A budget and
Ctrl-C both stop cleanly with what was measured so far.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from .devices import PYTENSOR_MODES, Device, DeviceError, Devices
from .frontends import Options, Target

DEFAULT_SIZE = 100
MAX_REPEATS = 20
# One repeat should last this long at most; small budgets scale it down.
REPEAT_SECONDS = 0.2
Clock = Callable[[], float]


class TimingError(Exception):
    """A target that cannot be timed as asked; the message is shown as is."""


@dataclass
class Measurement:
    """What ``measure`` saw; partial when stopped by the budget or Ctrl-C."""

    first_call_s: float | None = None
    samples: list[float] = field(default_factory=list)
    number: int = 0
    calls: int = 0
    interrupted: bool = False
    budget_exhausted: bool = False
    last: Any = None


def repeat_seconds(budget: float) -> float:
    """How long one repeat should last: ~0.2 s, less when the budget is small."""
    return min(REPEAT_SECONDS, max(budget, 0.0) / (MAX_REPEATS + 5))


def measure(
    call: Callable[[], Any],
    budget: float,
    sync: Callable[[Any], Any] = lambda out: out,
    clock: Clock = time.perf_counter,
    max_repeats: int = MAX_REPEATS,
) -> Measurement:
    """First call, then timeit-style repeats until ``max_repeats`` or the budget.

    The budget counts after the first call, which is Numba's compile: a
    budget smaller than that would leave nothing to measure. A repeat starts
    only if it should end before the deadline, except that one steady-state
    repeat always runs, so a slow function still gets a number.
    Samples are seconds per call, one per repeat; the calls of the probing
    repeats (while the number of calls per repeat grows) are not in them.
    """
    result = Measurement()
    target = repeat_seconds(budget)
    gc_was_enabled = gc.isenabled()
    try:
        start = clock()
        result.last = sync(call())
        result.first_call_s = clock() - start
        deadline = start + result.first_call_s + budget
        gc.disable()  # as timeit does: a collection would land in a random sample
        number, fixed = 1, False
        per_call = result.first_call_s
        while len(result.samples) < max_repeats:
            now = clock()
            late = now >= deadline or now + per_call * number > deadline
            if late and (result.samples or now >= deadline):
                result.budget_exhausted = True
                break
            begin = clock()
            for _ in range(number):
                result.last = sync(call())
            elapsed = clock() - begin
            per_call = elapsed / number
            if fixed or elapsed >= target:
                fixed = True
                result.number = number
                result.samples.append(per_call)
                result.calls += number
            else:
                wanted = math.ceil(target / max(per_call, 1e-9))
                number = min(max(wanted, number * 2), number * 100)
    except KeyboardInterrupt:
        result.interrupted = True
    except Exception as error:
        if "KeyboardInterrupt" not in str(error):
            raise
        result.interrupted = True  # Ctrl-C inside a host callback, wrapped by XLA
    finally:
        if gc_was_enabled:
            gc.enable()
    return result


@dataclass
class TimingResult:
    """One row of the timing table, plus what it needs to be trusted."""

    target: str
    framework: str
    device: str
    backend: str
    compile_s: float | None = None
    compile_cached: bool | None = None
    first_call_s: float | None = None
    samples: list[float] = field(default_factory=list)
    number: int = 0
    calls: int = 0
    transfer_s: float | None = None
    signature: str = ""
    input_devices: list[str] = field(default_factory=list)
    output_devices: list[str] = field(default_factory=list)
    on_device: bool | None = None
    budget_s: float = 0.0
    elapsed_s: float = 0.0
    interrupted: bool = False
    budget_exhausted: bool = False
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def median_s(self) -> float | None:
        return float(np.median(self.samples)) if self.samples else None

    @property
    def min_s(self) -> float | None:
        return min(self.samples) if self.samples else None

    @property
    def iqr_s(self) -> float | None:
        if not self.samples:
            return None
        low, high = np.percentile(self.samples, [25, 75])
        return float(high - low)

    def row(self) -> dict[str, Any]:
        """A JSON-ready dict for the table, the plot and the registry."""
        data = asdict(self)
        data.update(median_s=self.median_s, iqr_s=self.iqr_s, min_s=self.min_s)
        return data


# -- JAX ---------------------------------------------------------------------


def _device_names(devices: Devices) -> dict[Any, str]:
    return {d.handle: d.name for d in devices.all() if d.handle is not None}


def _where(tree: Any, names: dict[Any, str]) -> list[str]:
    """Where each array of ``tree`` lives: a device name, or ``host`` for NumPy."""
    import jax

    found = []
    for leaf in jax.tree_util.tree_leaves(tree):
        if isinstance(leaf, jax.Array):
            found += sorted(names.get(d, str(d)) for d in leaf.devices())
        elif isinstance(leaf, np.ndarray | np.generic):
            found.append("host")
    return found


def put_on(tree: Any, device: Device) -> Any:
    """Arrays to ``device``; Python scalars and static values stay as they are."""
    import jax

    def put(leaf: Any) -> Any:
        if isinstance(leaf, np.ndarray | np.generic | jax.Array):
            return jax.device_put(leaf, device.handle)
        return leaf

    return jax.tree_util.tree_map(put, tree)


def _array_text(value: Any) -> str:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None or dtype is None:
        return type(value).__name__
    return f"{np.dtype(dtype).name}[{', '.join(str(s) for s in shape)}]"


def _tree_signature(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    import jax

    parts = [
        ", ".join(_array_text(x) for x in jax.tree_util.tree_leaves(a)) or repr(a) for a in args
    ]
    parts += [
        f"{k}={', '.join(_array_text(x) for x in jax.tree_util.tree_leaves(v))}"
        for k, v in kwargs.items()
    ]
    return ", ".join(parts)


def _compile_cache_misses() -> int | None:
    """Misses of JAX's in-memory compilation cache: a private counter, so optional."""
    try:
        from jax._src.interpreters import pxla

        return int(pxla._cached_compilation.cache_info().misses)
    except Exception:  # absent or renamed in another JAX version
        return None


@contextmanager
def jax_flags_kept() -> Iterator[None]:
    """``jax_enable_x64`` as it was, whatever compiling switched on.

    Device discovery has imported JAX already when it is installed.
    """
    jax = sys.modules.get("jax")
    x64 = None if jax is None else bool(jax.config.jax_enable_x64)
    try:
        yield
    finally:
        if jax is not None and bool(jax.config.jax_enable_x64) != x64:
            jax.config.update("jax_enable_x64", x64)


def _time_jax(target: Target, options: Options, devices: Devices, clock: Clock) -> TimingResult:
    import jax

    device = devices.resolve(options.device)
    if device.handle is None:
        raise TimingError(f"JAX cannot run here: {devices.jax_reason}")
    if not callable(target.obj):
        raise TimingError(f"{target.name} is not a function JAX can call")
    if target.args is None:
        raise TimingError(
            f"no arguments known for {target.name}: give example arguments, "
            f"e.g. %%tgraph {target.name}(x)"
        )
    jitted = target.obj if hasattr(target.obj, "lower") else jax.jit(target.obj)
    result = TimingResult(target.name, "jax", device.name, "xla", budget_s=options.budget)
    result.signature = _tree_signature(target.args, target.kwargs or {})
    names = _device_names(devices)
    start = clock()
    try:
        with jax_flags_kept():
            begin = clock()
            args, kwargs = jax.block_until_ready(put_on((target.args, target.kwargs or {}), device))
            result.transfer_s = clock() - begin
            result.input_devices = _where((args, kwargs), names)
            misses = _compile_cache_misses()
            begin = clock()
            jitted.lower(*args, **kwargs).compile()
            result.compile_s = clock() - begin
            after = _compile_cache_misses()
            if misses is not None and after is not None:
                result.compile_cached = after == misses
                if result.compile_cached:
                    result.notes.append(
                        "compiled earlier in this kernel: compile time is JAX's cache lookup"
                    )
            measured = measure(
                lambda: jitted(*args, **kwargs),
                options.budget,
                sync=jax.block_until_ready,
                clock=clock,
            )
            _fill(result, measured)
            result.output_devices = _where(measured.last, names)
    except KeyboardInterrupt:
        result.interrupted = True
    except Exception as error:  # the user's function may raise anything
        result.error = f"{type(error).__name__}: {error}"
    result.elapsed_s = clock() - start
    placed = result.input_devices + result.output_devices
    result.on_device = bool(placed) and all(p == device.name for p in placed)
    return result


def _fill(result: TimingResult, measured: Measurement) -> None:
    result.first_call_s = measured.first_call_s
    result.samples = measured.samples
    result.number = measured.number
    result.calls = measured.calls
    result.interrupted = result.interrupted or measured.interrupted
    result.budget_exhausted = measured.budget_exhausted


# -- PyTensor ----------------------------------------------------------------


@dataclass
class PyTensorGraph:
    """What ``pytensor.function`` is (or was) called with: enough to compile anew."""

    inputs: list[Any]
    outputs: list[Any]
    updates: list[tuple[Any, Any]] = field(default_factory=list)
    givens: list[tuple[Any, Any]] = field(default_factory=list)
    mode: Any = None


def backend_of(mode: Any) -> str | None:
    """``numba``/``cvm``/``jax`` from a compiled mode's linker, else None."""
    linker = type(getattr(mode, "linker", None)).__name__
    return {"NumbaLinker": "numba", "VMLinker": "cvm", "CLinker": "cvm", "JAXLinker": "jax"}.get(
        linker
    )


def pytensor_graph(target: Target) -> PyTensorGraph | None:
    """The user's graph behind a target, or None when only a compiled one is left.

    A compiled function keeps only its rewritten graph, which holds inplace
    and backend-specific ops no other backend can compile; the PyTensor
    frontend records what ``function`` was given while the cell ran.
    """
    from pytensor.compile.executor import Function
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant, Variable
    from pytensor.graph.traversal import graph_inputs

    obj = target.obj
    outputs = list(obj) if isinstance(obj, list | tuple) else [obj]
    if outputs and all(isinstance(o, Variable) for o in outputs):
        free = [v for v in graph_inputs(outputs) if not isinstance(v, Constant | SharedVariable)]
        return PyTensorGraph(free, outputs)
    if not isinstance(obj, Function):
        raise TimingError(f"{target.name} is not a PyTensor variable or compiled function")
    try:
        from .frontends.pytensor import _plan
    except ImportError:  # the frontend is optional for timing
        return None
    plan = _plan(target)
    if not plan.outputs:
        return None
    return PyTensorGraph(
        plan.inputs, [v for _, v in plan.outputs], plan.updates, plan.givens, obj.maker.mode
    )


def made_input(var: Any, size: int, rng: np.random.Generator) -> Any:
    """A value of ``var``'s type: static shape, ``size`` for unknown dims.

    Floats in [0.5, 1.5) keep logs, roots and divisions finite (NaNs can be
    much slower); integers are zeros, a valid index into any non-empty axis.
    """
    from pytensor.scalar import ScalarType
    from pytensor.tensor.random.type import RandomGeneratorType
    from pytensor.tensor.type import TensorType

    kind = var.type
    if isinstance(kind, TensorType | ScalarType):
        dtype = np.dtype(kind.dtype)
        shape = tuple(size if s is None else s for s in getattr(kind, "shape", ()))
        if dtype.kind in "fc":
            return rng.uniform(0.5, 1.5, shape).astype(dtype)
        return np.zeros(shape, dtype)
    if isinstance(kind, RandomGeneratorType):
        return np.random.default_rng(0)
    raise TimingError(
        f"cannot make up a value of type {kind} for {var.name or 'an input'}: call the "
        "function once in the cell, or give the arguments"
    )


def _value_text(name: str, value: Any) -> str:
    if isinstance(value, np.random.Generator):
        return f"{name}: Generator"
    if isinstance(value, np.ndarray | np.generic):
        dims = ", ".join(str(s) for s in value.shape)
        return f"{name}: {value.dtype.name}[{dims}]"
    return f"{name}: {type(value).__name__}"


def shared_in(fn: Any, graph: PyTensorGraph | None) -> list[Any]:
    """Shared variables the run may change: every one the function holds."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors

    found: list[Any] = []
    if graph is not None:
        ends = [*graph.outputs, *(u for pair in graph.updates for u in pair)]
        found = [v for v in ancestors(ends) if isinstance(v, SharedVariable)]
    if fn is not None:
        found += [i.variable for i in fn.maker.inputs if i.shared]
    unique: dict[int, Any] = {id(v): v for v in found}
    return list(unique.values())


@contextmanager
def shared_kept(shared: list[Any]) -> Iterator[None]:
    """Values of ``shared`` as they were, types included (JAX leaves its arrays)."""
    saved = [(v, v.get_value(borrow=False)) for v in shared]
    try:
        yield
    finally:
        for var, value in saved:
            var.set_value(value, borrow=True)


def _pytensor_inputs(fn: Any, target: Target, size: int) -> tuple[list[Any], str]:
    explicit = [i for i in fn.maker.inputs if not i.shared]
    names = [i.variable.name or f"in{k}" for k, i in enumerate(explicit)]
    if target.args is not None:
        values = list(target.args)
    else:
        rng = np.random.default_rng(0)
        values = [made_input(i.variable, size, rng) for i in explicit]
    signature = ", ".join(_value_text(n, v) for n, v in zip(names, values, strict=False))
    return values, signature


def _time_pytensor(
    target: Target, options: Options, devices: Devices, clock: Clock
) -> TimingResult:
    import pytensor
    from pytensor.compile.mode import get_mode

    device = devices.resolve(options.device)
    graph = pytensor_graph(target)
    if graph is not None and graph.mode is None:  # symbolic outputs: PyTensor's default mode
        own = backend_of(get_mode(None))
    else:
        own = backend_of(graph.mode if graph is not None else target.obj.maker.mode)
    backend = devices.pytensor_backend(options.backend, device, own)
    result = TimingResult(target.name, "pytensor", device.name, backend, budget_s=options.budget)
    reuse = graph is None
    if reuse:
        if backend != own:
            raise TimingError(
                f"{target.name} was compiled for {own or 'another backend'} outside "
                f"%%tgraph: PyTensor keeps only its compiled graph, so it can be timed with "
                f"{own} only. Compile it in a %%tgraph cell, or time its symbolic outputs."
            )
        result.notes.append(
            "compiled before this cell: timing that very function, without its compile time"
        )
    on_jax = backend == "jax"
    start = clock()
    with ExitStack() as stack:
        stack.enter_context(jax_flags_kept())
        try:
            stack.enter_context(shared_kept(shared_in(target.obj if reuse else None, graph)))
            if on_jax:
                import jax

                stack.enter_context(jax.default_device(device.handle))
            if reuse:
                fn = target.obj
            else:
                assert graph is not None
                mode = graph.mode if backend == own and graph.mode is not None else None
                mode = mode or get_mode(PYTENSOR_MODES[backend])
                begin = clock()
                fn = pytensor.function(
                    graph.inputs,
                    graph.outputs,
                    mode=mode,
                    updates=graph.updates,
                    givens=graph.givens,
                    on_unused_input="ignore",
                )
                result.compile_s = clock() - begin
            values, result.signature = _pytensor_inputs(fn, target, options.size or DEFAULT_SIZE)
            if on_jax:
                result = _run_pytensor_jax(fn, values, result, options, device, devices, clock)
            else:
                measured = measure(lambda: fn(*values), options.budget, clock=clock)
                _fill(result, measured)
                result.input_devices = result.output_devices = ["host"]
                result.on_device = device.kind == "cpu"
        except KeyboardInterrupt:
            result.interrupted = True
        except (DeviceError, TimingError):
            raise
        except Exception as error:  # compile and run errors of user graphs vary
            result.error = f"{type(error).__name__}: {error}"
    result.elapsed_s = clock() - start
    return result


def _run_pytensor_jax(
    fn: Any,
    values: list[Any],
    result: TimingResult,
    options: Options,
    device: Device,
    devices: Devices,
    clock: Clock,
) -> TimingResult:
    """PyTensor's JAX backend with inputs already on the device.

    Its input checks would copy device arrays back to NumPy on every call,
    so they run once here and ``trust_input`` skips them while timing.
    Shared values go to the device too (they are restored afterwards): left
    as NumPy, the first update would make them device arrays and the second
    call would compile again for the new input placement.
    """
    import jax

    explicit = [i for i in fn.maker.inputs if not i.shared]
    filtered = [i.variable.type.filter(v) for i, v in zip(explicit, values, strict=True)]
    names = _device_names(devices)
    begin = clock()
    placed = jax.block_until_ready(put_on(filtered, device))
    for shared in (i for i in fn.maker.inputs if i.shared):
        storage = shared.value.storage
        storage[0] = jax.block_until_ready(put_on(storage[0], device))
    result.transfer_s = clock() - begin
    result.input_devices = _where(placed, names)
    trusted = fn.trust_input
    fn.trust_input = True
    try:
        measured = measure(
            lambda: fn(*placed), options.budget, sync=jax.block_until_ready, clock=clock
        )
    finally:
        fn.trust_input = trusted
    _fill(result, measured)
    result.output_devices = _where(measured.last, names)
    placed_on = result.input_devices + result.output_devices
    result.on_device = bool(placed_on) and all(p == device.name for p in placed_on)
    return result


def options_for(base: Options, request: dict[str, Any]) -> Options:
    """The timing view's ``{device, backend, size}`` over the magic's options.

    The request comes from the front end, so each field is checked here and
    a bad one raises ``DeviceError`` rather than reaching a framework.
    """
    device = request.get("device") or base.device
    # "auto" in the view (None) lets the kernel choose, e.g. JAX on a GPU
    backend = request.get("backend", base.backend) or None
    size = request.get("size")
    if not isinstance(device, str) or not (backend is None or isinstance(backend, str)):
        raise DeviceError(f"bad timing request: {request!r}")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise DeviceError(f"size must be a positive whole number, not {size!r}")
    return replace(base, device=device, backend=backend, size=size or base.size)


def time_target(
    target: Target, options: Options, devices: Devices, clock: Clock = time.perf_counter
) -> TimingResult:
    """Time one target on ``options.device`` with ``options.backend`` (PyTensor).

    Raises ``DeviceError`` or ``TimingError`` for requests that cannot run
    (no GPU, unknown backend, no arguments for a JAX function); errors of
    the user's code while compiling or running land in ``result.error``.
    """
    if target.framework == "jax":
        return _time_jax(target, options, devices, clock)
    if target.framework == "pytensor":
        return _time_pytensor(target, options, devices, clock)
    raise TimingError(f"cannot time {target.framework} targets")
