"""Timing and profiling PyTensor graphs: compile, first call, steady state, seconds per node.

A function the cell compiled is timed anew from the graph it was given (its
compiled graph holds inplace and backend-specific ops no other backend can
compile), with the arguments of its last call in the cell; made-up inputs
only when there was no call. Timing must not change what the user sees
afterwards, so it runs on copies: of the graph's constants, of every shared
value (the user's own arrays come back untouched, a buffer lent with
``borrow=True`` included), and of the arguments a call may destroy
(``In(mutable=True)``), made afresh for each call outside the clock. JAX's
``jax_enable_x64`` flag, which PyTensor's JAX backend switches on, is
restored too.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytensor
from pytensor.compile.debug.profiling import ProfileStats
from pytensor.compile.executor import Function
from pytensor.compile.mode import get_mode
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant
from pytensor.graph.replace import clone_replace
from pytensor.graph.traversal import ancestors
from pytensor.scalar import ScalarType
from pytensor.tensor.random.type import RandomGeneratorType
from pytensor.tensor.type import TensorType

from ...devices import Device, DeviceError, Devices
from ...graph import Graph
from ...profile import PROFILE_SECONDS, ProfileResult, ranked, run_for
from ...protocol import Options, Target
from ...timing import DEFAULT_SIZE, MAX_CALLS, Clock, Paused, TimingError, TimingResult, measure
from .._jaxconfig import jax_flags_kept, placed_on, put_on
from .capture import Plan, PyTensorTarget, arguments, plan, symbolic_outputs
from .devices import PYTENSOR_MODES, pick_backend
from .labels import op_label


@dataclass
class PyTensorGraph:
    """What ``pytensor.function`` is (or was) called with: enough to compile anew."""

    inputs: list[Any]
    outputs: list[Any]
    updates: list[tuple[Any, Any]] = field(default_factory=list)
    givens: list[tuple[Any, Any]] = field(default_factory=list)
    mode: Any = None
    #: What was timed, when not just the drawn outputs.
    note: str = ""


def backend_of(mode: Any) -> str | None:
    """``numba``/``cvm``/``jax`` from a compiled mode's linker, else None."""
    linker = type(getattr(get_mode(mode), "linker", None)).__name__
    return {"NumbaLinker": "numba", "VMLinker": "cvm", "CLinker": "cvm", "JAXLinker": "jax"}.get(
        linker
    )


def pytensor_graph(target: Target, found: Plan | None = None) -> PyTensorGraph | None:
    """The user's graph behind a target, or None when only a compiled one is left."""
    planned = isinstance(target, PyTensorTarget) and target.planner is not None
    if (
        not planned
        and symbolic_outputs(target.obj) is None
        and not isinstance(target.obj, Function)
    ):
        raise TimingError(f"{target.name} is not a PyTensor variable or compiled function")
    found = found or plan(target)
    if not found.outputs and not found.updates:
        return None
    outputs = [v for _, v in found.outputs] + (found.timed() if found.timed else [])
    return PyTensorGraph(
        found.inputs, outputs, found.updates, found.givens, found.compiled_mode, found.timed_note
    )


def made_input(var: Any, size: int, rng: np.random.Generator) -> Any:
    """A value of ``var``'s type: static shape, ``size`` for unknown dims.

    Floats in [0.5, 1.5) keep logs, roots and divisions finite (NaNs can be
    much slower); integers are zeros, a valid index into any non-empty axis.
    """
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


def value_text(name: str, value: Any) -> str:
    if isinstance(value, np.random.Generator):
        return f"{name}: Generator"
    value = np.asarray(value) if isinstance(value, list | tuple | int | float) else value
    if isinstance(value, np.ndarray | np.generic):
        dims = ", ".join(str(s) for s in value.shape)
        return f"{name}: {value.dtype.name}[{dims}]"
    return f"{name}: {type(value).__name__}"


def shared_in(fn: Any, graph: PyTensorGraph | None) -> list[Any]:
    """Shared variables the run may change: every one the function holds."""
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
    """The run works on copies of the values of ``shared``; each gets its own back.

    A compiled function reads and updates a shared variable through its
    container, so the container holds a copy while the run lasts and the
    very object it held afterwards: an update in place goes to the copy,
    a buffer the user lent with ``borrow=True`` stays theirs, untouched,
    and JAX's backend leaves no device arrays behind.
    """
    saved = [(v.container, v.container.storage[0]) for v in shared]
    try:
        for container, value in saved:
            container.storage[0] = copy.deepcopy(value)
        yield
    finally:
        for container, value in saved:
            container.storage[0] = value


def on_copies(graph: PyTensorGraph) -> PyTensorGraph:
    """The same graph over copies of its constants.

    A compiled function hands an op the constant's own array, so an op that
    writes to its input (or to a view of it) would change the user's graph;
    the copies are made once, before the compile.
    """
    values = [*graph.outputs, *(new for _, new in graph.updates), *(new for _, new in graph.givens)]
    constants = {v for v in ancestors(values) if isinstance(v, Constant)}
    if not constants:
        return graph
    fresh = {c: type(c)(c.type, copy.deepcopy(c.data), c.name) for c in constants}
    copied = clone_replace(values, replace=fresh)
    outputs = copied[: len(graph.outputs)]
    updates = copied[len(outputs) : len(outputs) + len(graph.updates)]
    givens = copied[len(outputs) + len(updates) :]
    return PyTensorGraph(
        graph.inputs,
        outputs,
        [(old, new) for (old, _), new in zip(graph.updates, updates, strict=True)],
        [(old, new) for (old, _), new in zip(graph.givens, givens, strict=True)],
        graph.mode,
        graph.note,
    )


def fresh_calls(fn: Any, values: Inputs, paused: Paused | None) -> Callable[[], Any]:
    """A call of ``fn`` on ``values``; inputs it may destroy (``In(mutable=True)``)
    get a fresh copy for every call, made while ``paused`` stops the clock."""
    explicit = [i for i in fn.maker.inputs if not i.shared]
    mutable = {k for k, i in enumerate(explicit) if i.mutable}
    mutable_names = {explicit[k].variable.name for k in mutable}
    if not mutable:
        return lambda: fn(*values.args, **values.kwargs)

    def make() -> tuple[list[Any], dict[str, Any]]:
        args = [copy.deepcopy(a) if k in mutable else a for k, a in enumerate(values.args)]
        kwargs = {n: copy.deepcopy(v) if n in mutable_names else v
                  for n, v in values.kwargs.items()}  # fmt: skip
        return args, kwargs

    def call() -> Any:
        args, kwargs = paused.made(make) if paused is not None else make()
        return fn(*args, **kwargs)

    return call


@dataclass
class Inputs:
    """Values to call a function with, and how to say where they came from."""

    args: list[Any]
    kwargs: dict[str, Any]
    signature: str
    note: str
    #: The size of unknown dimensions, for made-up inputs only.
    size: int | None = None


def _as_passed(var: Any, value: Any) -> Any:
    """The value as the function receives it (a nested list becomes its array)."""
    try:
        return var.type.filter(value, allow_downcast=True)
    except Exception:  # the call itself will say what is wrong
        return value


def inputs_for(explicit: list[Any], target: Target, size: int) -> Inputs:
    """The cell's own arguments when known, else made-up ones; cached on ``target``."""
    cached = target.inputs
    given = arguments(target)
    wanted = None if given is not None else size
    if isinstance(cached, Inputs) and cached.size == wanted:
        return cached
    names = [getattr(v, "name", None) or f"in{k}" for k, v in enumerate(explicit)]
    if given is not None:
        args, kwargs = list(given), dict(target.kwargs or {})
        source = target.args_from if isinstance(target, PyTensorTarget) else ""
        note = {
            "call": "timed with the arguments of the cell's last call",
            "": "timed with the arguments given",
            "given": "timed with the arguments given",
        }.get(source, f"timed at {source}")
        by_name = {getattr(v, "name", None): v for v in explicit}
        pairs = zip(names, explicit, args, strict=False)
        texts = [value_text(n, _as_passed(var, a)) for n, var, a in pairs]
        texts += [value_text(k, _as_passed(by_name.get(k), v)) for k, v in kwargs.items()]
    else:
        rng = np.random.default_rng(0)
        args, kwargs = [made_input(v, size, rng) for v in explicit], {}
        texts = [value_text(n, v) for n, v in zip(names, args, strict=True)]
        note = (
            f"timed with made-up inputs (size {size} for unknown dimensions): no call in the cell"
        )
    found = Inputs(args, kwargs, ", ".join(texts), note, wanted)
    target.inputs = found
    return found


def _device_names(devices: Devices) -> dict[Any, str]:
    return {d.handle: d.name for d in devices.cpus + devices.gpus if d.handle is not None}


def time_pytensor(target: Target, options: Options, devices: Devices, clock: Clock) -> TimingResult:
    """One timing row; errors of the user's graph land in ``result.error``."""
    device = devices.resolve(options.device)
    graph = pytensor_graph(target)
    own = backend_of(graph.mode if graph is not None else target.obj.maker.mode)
    backend = pick_backend(devices, options.backend, device, own)
    result = TimingResult(target.name, "pytensor", device.name, backend, budget_s=options.budget)
    reuse = graph is None
    if reuse and backend != own:
        raise TimingError(
            f"{target.name} was compiled for {own or 'another backend'} outside "
            f"%%tgraph: PyTensor keeps only its compiled graph, so it can be timed with "
            f"{own} only. Compile it in a %%tgraph cell, or time its symbolic outputs."
        )
    if reuse:
        result.notes.append(
            "compiled before this cell: timing that very function, without its compile time"
        )
    if graph is not None and graph.note:
        result.notes.append(graph.note)
    on_jax = backend == "jax"
    start = clock()
    with ExitStack() as stack:
        stack.enter_context(jax_flags_kept())
        try:
            stack.enter_context(shared_kept(shared_in(target.obj if reuse else None, graph)))
            if on_jax:
                import jax

                stack.enter_context(jax.default_device(device.handle))
            fn = target.obj if graph is None else _compiled(graph, backend, own, result, clock)
            explicit = [i.variable for i in fn.maker.inputs if not i.shared]
            values = inputs_for(explicit, target, options.size or DEFAULT_SIZE)
            result.signature = values.signature
            result.notes.append(values.note)
            if on_jax:
                _run_jax(fn, values, result, options, device, devices, clock)
            else:
                paused = Paused(clock)
                measured = measure(
                    fresh_calls(fn, values, paused),
                    options.budget,
                    clock=paused.clock,
                    max_calls=options.max_calls or MAX_CALLS,
                )
                result.fill(measured)
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


def _compiled(
    graph: PyTensorGraph, backend: str, own: str | None, result: TimingResult, clock: Clock
) -> Any:
    """``graph`` compiled anew for ``backend``, over copies of its constants."""
    mode = graph.mode if backend == own and graph.mode is not None else None
    copied = on_copies(graph)
    begin = clock()
    fn = pytensor.function(
        copied.inputs,
        copied.outputs,
        mode=mode or get_mode(PYTENSOR_MODES[backend]),
        updates=copied.updates,
        givens=copied.givens,
        on_unused_input="ignore",
    )
    result.compile_s = clock() - begin
    return fn


def _run_jax(
    fn: Any,
    values: Inputs,
    result: TimingResult,
    options: Options,
    device: Device,
    devices: Devices,
    clock: Clock,
) -> None:
    """PyTensor's JAX backend with inputs already on the device.

    Its input checks would copy device arrays back to NumPy on every call,
    so they run once here and ``trust_input`` skips them while timing.
    Shared values go to the device too (they are restored afterwards): left
    as NumPy, the first update would make them device arrays and the second
    call would compile again for the new input placement.
    """
    import jax

    explicit = [i for i in fn.maker.inputs if not i.shared]
    by_name = {i.variable.name: i for i in explicit}
    args = list(values.args) + [None] * (len(explicit) - len(values.args))
    for name, value in values.kwargs.items():
        args[explicit.index(by_name[name])] = value
    filtered = [i.variable.type.filter(v) for i, v in zip(explicit, args, strict=True)]
    names = _device_names(devices)
    begin = clock()
    placed = jax.block_until_ready(put_on(filtered, device.handle))
    for shared in (i for i in fn.maker.inputs if i.shared):
        storage = shared.value.storage
        storage[0] = jax.block_until_ready(put_on(storage[0], device.handle))
    result.transfer_s = clock() - begin
    result.input_devices = placed_on(placed, names)
    trusted = fn.trust_input
    fn.trust_input = True
    try:
        measured = measure(
            lambda: fn(*placed),
            options.budget,
            sync=jax.block_until_ready,
            clock=clock,
            max_calls=options.max_calls or MAX_CALLS,
        )
    finally:
        fn.trust_input = trusted
    result.fill(measured)
    result.output_devices = placed_on(measured.last, names)
    where = result.input_devices + result.output_devices
    result.on_device = bool(where) and all(p == device.name for p in where)


def _node_ids(view: Graph | None) -> dict[str, list[str]]:
    """Op text -> ids of the view's top-level nodes with that op, in graph order."""
    found: dict[str, list[str]] = defaultdict(list)
    for node in view.nodes if view is not None else []:
        if node.kind == "op" and node.parent is None:
            found[node.op].append(node.id)
    return found


def profile_pytensor(
    target: Target, options: Options, devices: Devices, view: Graph | None
) -> ProfileResult:
    """Seconds per node of one C VM call, keyed by the ids of ``view`` (the optimized view).

    PyTensor fills its per-node profile only with the C VM, so the profile
    always comes from a C VM compile of the same graph, whatever backend was
    timed; its rewrites can differ from Numba's or JAX's, and the result says
    so. A profiled node whose op the view lacks keeps its op text as key.
    """
    graph = pytensor_graph(target)
    if graph is None:
        raise TimingError(
            f"{target.name} was compiled outside %%tgraph: its graph as written is gone, so "
            "it cannot be compiled again for the C VM's per-node profile"
        )
    cvm = devices.backends.get("cvm")
    if cvm is not None and not cvm.available:
        raise TimingError(f"PyTensor's per-node profile needs the C VM: {cvm.reason}")
    timed = options.backend or backend_of(graph.mode)
    result = ProfileResult(
        target.name, "pytensor", "cvm", "cpu:0", timed_backend=timed, view="optimized"
    )
    if timed != "cvm":
        result.notes.append(
            f"per-node times come from the C VM (PyTensor profiles no other backend); "
            f"{timed} may rewrite the graph differently"
        )
    stats = ProfileStats(atexit_print=False)
    with jax_flags_kept(), shared_kept(shared_in(None, graph)):
        copied = on_copies(graph)
        fn = pytensor.function(
            copied.inputs,
            copied.outputs,
            mode=get_mode("CVM"),
            updates=copied.updates,
            givens=copied.givens,
            on_unused_input="ignore",
            profile=stats,
        )
        explicit = [i.variable for i in fn.maker.inputs if not i.shared]
        values = inputs_for(explicit, target, options.size or DEFAULT_SIZE)
        result.notes.append(values.note.replace("timed", "profiled"))
        call = fresh_calls(fn, values, None)
        call()  # the first call allocates; keep it out of the profile
        stats.apply_time.clear()
        stats.apply_callcount.clear()
        result.calls = run_for(call, min(options.budget, PROFILE_SECONDS))
    ids = _node_ids(view)
    times: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    order = {node: i for i, node in enumerate(fn.maker.fgraph.toposort())}
    applies = sorted(stats.apply_time.items(), key=lambda item: order.get(item[0][1], 0))
    for (_fgraph, node), seconds in applies:
        text = str(node.op)
        free = ids.get(text)
        key = free.pop(0) if free else text
        times[key] += seconds
        counts[key] += 1
        labels[key] = op_label(node.op)
    result.entries, result.total_s = ranked(times, labels, counts, result.calls)
    return result
