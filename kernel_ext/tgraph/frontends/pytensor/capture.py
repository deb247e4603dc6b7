"""What a cell gave PyTensor: the graphs it compiled and the arguments it called them with.

A compiled function keeps only its rewritten graph (``function`` clones the
outputs and rewrites the clones in place), so while a cell runs we record
what each ``pytensor.function`` call was given, and the arguments of each
compiled function's last call (timing and the gradient check use them).
Later cells fall back to matching the user's variables through the stack
trace the clones share with them.

Records are keyed weakly by the function's ``FunctionGraph``
(``Function`` itself has ``__slots__`` and takes no weak reference), so
they live exactly as long as the function does.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType, ModuleType
from typing import Any

import pytensor.compile.maker as maker_module
from pytensor.compile.executor import Function
from pytensor.compile.io import SymbolicOutput
from pytensor.compile.mode import Mode, get_mode
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.traversal import graph_inputs

from ...callsites import is_user_code, site, user_frame
from ...protocol import Target, TraceError


@dataclass
class _Call:
    """What one ``pytensor.function`` call was given, before it cloned it."""

    inputs: list[Any]
    outputs: list[Variable]
    updates: list[tuple[Variable, Variable]]
    givens: list[tuple[Variable, Variable]]


# Keyed weakly by the ``In`` objects and cloned outputs the compiled
# function keeps, so a function's record lives exactly as long as it does.
_CALLS: weakref.WeakKeyDictionary[Any, _Call] = weakref.WeakKeyDictionary()
# A compiled function's fgraph -> (args, kwargs) of its last call in a cell.
_ARGS: weakref.WeakKeyDictionary[FunctionGraph, tuple[tuple[Any, ...], dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _pairs(value: Any) -> list[tuple[Variable, Variable]]:
    if not value:
        return []
    items = value.items() if isinstance(value, dict) else value
    return [(a, b) for a, b in items]


def _as_list(outputs: Any) -> list[Any]:
    if outputs is None:
        return []
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def _unwrap(out: Any) -> Variable:
    return out.variable if isinstance(out, SymbolicOutput) else out


@contextmanager
def recording_calls() -> Iterator[None]:
    """Wrap the step of ``function`` that still sees the user's variables."""
    original = maker_module.construct_function_ins_and_outs

    def construct(params: Any, outputs: Any = None, updates: Any = None, givens: Any = None,
                  *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        ins, outs = original(params, outputs, updates, givens, *args, **kwargs)
        call = _Call(
            list(params),
            [_unwrap(o) for o in _as_list(outputs)],
            _pairs(updates),
            _pairs(givens),
        )
        for key in [*ins, *(_unwrap(o) for o in _as_list(outs))]:
            _CALLS[key] = call
        return ins, outs

    maker_module.construct_function_ins_and_outs = construct
    try:
        yield
    finally:
        maker_module.construct_function_ins_and_outs = original


@dataclass
class Ran:
    """A compiled function the cell called: how often, and what the caller calls it."""

    fn: Function
    count: int = 0
    #: The callee as the user's code wrote it (``f``, ``model.step``), if it did.
    callee: str | None = None
    #: The calling code's globals: where the user's own variables are.
    namespace: dict[str, Any] | None = field(default=None, repr=False)
    #: The object whose method called it, when no user code did (a sampler's step).
    owner: Any = field(default=None, repr=False)
    #: The user's call that ran that library code (``pm.sample``).
    via: str | None = None


#: The compiled functions called in the cell being recorded, in order of first call.
_RAN: dict[int, Ran] = {}


def _note_call(fn: Function, frame: FrameType | None) -> None:
    ran = _RAN.get(id(fn))
    if ran is None:
        ran = _RAN[id(fn)] = Ran(fn)
        _read_caller(ran, frame)
    ran.count += 1


def _read_caller(ran: Ran, frame: FrameType | None) -> None:
    """The user's name for the function, or the library object that called it
    and the user's call that ran that library (``pm.sample``)."""
    if frame is None:
        return
    if is_user_code(frame.f_code):
        where = site(frame.f_code, frame.f_lasti)
        ran.callee = where.callee if where is not None else None
        ran.namespace = frame.f_globals
        return
    ran.owner = frame.f_locals.get("self")
    user = user_frame(frame.f_back)  # the user's own call of the library
    if user is not None:
        where = site(user.f_code, user.f_lasti)
        ran.via = where.callee if where is not None else None
        ran.namespace = user.f_globals


@contextmanager
def recording_arguments() -> Iterator[None]:
    """Keep which compiled functions the cell called, and their last call's arguments."""
    original = Function.__call__
    _RAN.clear()

    @functools.wraps(original)
    def call(self: Function, *args: Any, **kwargs: Any) -> Any:
        _ARGS[self.maker.fgraph] = (args, kwargs)
        with contextlib.suppress(Exception):  # recording must never break the call
            _note_call(self, sys._getframe(1))
        return original(self, *args, **kwargs)

    Function.__call__ = call
    try:
        yield
    finally:
        Function.__call__ = original


def ran() -> list[Ran]:
    """The compiled functions the last recorded cell called, in order of first call."""
    return list(_RAN.values())


def last_arguments(fn: Any) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """``(args, kwargs)`` of ``fn``'s last call in a traced cell, if any."""
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    return _ARGS.get(fgraph) if fgraph is not None else None


def compiled_inside(value: Any) -> Function | None:
    """The one compiled function a wrapper the cell made holds, if any.

    Libraries hand out callables around a ``Function`` (PyMC's point
    functions keep it in ``.f``, its value-and-gradient function in
    ``._pytensor_function``, ``functools.partial`` in ``.func``); the user
    names the wrapper, so it stands for the function. Only the wrapper's own
    attributes are read, one level deep.
    """
    if isinstance(value, type | ModuleType | Function) or not callable(value):
        return None
    try:
        attrs = list(vars(value).values()) if hasattr(value, "__dict__") else []
        attrs.append(value.func if isinstance(value, functools.partial) else None)
        for cls in type(value).__mro__:
            slots = getattr(cls, "__slots__", ())
            for slot in [slots] if isinstance(slots, str) else slots:
                attrs.append(getattr(value, slot, None))
    except Exception:  # a wrapper's attributes may be properties that raise
        return None
    found = {id(a): a for a in attrs if isinstance(a, Function)}
    return next(iter(found.values())) if len(found) == 1 else None


def call_of(fn: Function) -> _Call | None:
    for key in [*fn.maker.inputs, *(o.variable for o in fn.maker.outputs)]:
        if key in _CALLS:
            return _CALLS[key]
    return None


def _same_origin(clone: Variable, var: Variable) -> bool:
    """``function`` clones share the tag, hence the very trace list object."""
    trace = getattr(clone.tag, "trace", None)
    return bool(trace) and trace is getattr(var.tag, "trace", None)


def originals(fn: Function, candidates: list[Variable]) -> list[Variable | None]:
    """The user's variables ``fn`` computes, one per output (None if unknown)."""
    call = call_of(fn)
    if call is not None:
        return list(call.outputs)
    found: list[Variable | None] = []
    for out in fn.maker.outputs:
        match = [v for v in candidates if _same_origin(out.variable, v)]
        found.append(match[0] if match else None)
    return found


@dataclass
class PyTensorTarget(Target):
    """A target with the user's names for the variables it draws.

    ``named`` holds every variable of the cell that is part of this graph
    (outputs and intermediates alike), so each is drawn under its name.
    """

    named: dict[str, Any] = field(default_factory=dict)
    #: Where ``args`` came from: "call" (the cell's last call), "given", or a
    #: library's words for its own example point ("the model's initial point").
    args_from: str = ""
    #: A library's own plan (a PyMC model's log-probability), made once, on first need.
    planner: Callable[[], Plan] | None = field(default=None, repr=False)
    #: A library's example arguments, made on first need (they may cost a compile).
    make_args: Callable[[], tuple[Any, ...]] | None = field(default=None, repr=False)
    #: How many times the cell called it (0: not counted).
    calls: int = 0
    #: The traced views, kept for the profile's node ids.
    traced: Any = field(default=None, repr=False)


@dataclass
class Plan:
    """A target reduced to what ``function`` would be called with."""

    inputs: list[Any]
    outputs: list[tuple[str, Variable]]
    mode: Mode
    updates: list[tuple[Variable, Variable]] = field(default_factory=list)
    givens: list[tuple[Variable, Variable]] = field(default_factory=list)
    compiled: FunctionGraph | None = None
    #: The mode ``function`` was given (None: symbolic outputs, the default mode).
    compiled_mode: Any = None
    notes: list[str] = field(default_factory=list)
    #: Outputs timed with the drawn ones, not drawn (a model's gradient: a
    #: sampler evaluates both each step); built on first need.
    timed: Callable[[], list[Variable]] | None = None
    #: What a timing row says was timed, when not just the drawn outputs.
    timed_note: str = ""

    @property
    def explicit(self) -> list[Variable]:
        return [getattr(i, "variable", i) for i in self.inputs]


def inputs_and_updates(
    outputs: list[Variable],
) -> tuple[list[Variable], list[tuple[Variable, Variable]]]:
    """The free inputs of ``outputs``, and the updates ``function`` would add by
    itself (``RandomStream``'s generators): one walk over the graph, which the
    cell waits for."""
    free, updates = [], []
    for var in graph_inputs(outputs):
        if isinstance(var, SharedVariable):
            update = getattr(var, "default_update", None)
            if update is not None:
                updates.append((var, update))
        elif not isinstance(var, Constant):
            free.append(var)
    return free, updates


def _out_name(var: Variable, named: dict[str, Any], fallback: str) -> str:
    for name, value in named.items():
        if value is var:
            return name
    return var.name or fallback


def _named(target: Target, outputs: list[Variable]) -> list[tuple[str, Variable]]:
    named = target.named if isinstance(target, PyTensorTarget) else {}
    many = len(outputs) > 1
    return [
        (_out_name(v, named, f"{target.name}[{i}]" if many else target.name), v)
        for i, v in enumerate(outputs)
    ]


def symbolic_outputs(obj: Any) -> list[Variable] | None:
    """The variables of a symbolic target (one, or a tuple such as ``rng.normal()``'s)."""
    if isinstance(obj, Variable):
        return [obj]
    if isinstance(obj, list | tuple) and obj and all(isinstance(v, Variable) for v in obj):
        return list(obj)
    return None


def arguments(target: Target) -> tuple[Any, ...] | None:
    """The target's example arguments, made now if a library makes them."""
    if target.args is None and isinstance(target, PyTensorTarget) and target.make_args:
        target.args, target.kwargs = target.make_args(), {}
        target.make_args = None
    return target.args


def plan(target: Target) -> Plan:
    if isinstance(target, PyTensorTarget) and target.planner is not None:
        return target.planner()
    obj = target.obj
    outputs = symbolic_outputs(obj)
    if outputs is not None:
        named = [(target.name, obj)] if isinstance(obj, Variable) else _named(target, outputs)
        free, updates = inputs_and_updates(outputs)
        return Plan(free, named, get_mode(None), updates)
    if not isinstance(obj, Function):
        raise TraceError(f"{target.name} is not a PyTensor variable or compiled function")
    maker = obj.maker
    mode = get_mode(maker.mode)
    call = call_of(obj)
    if call is not None:
        outs = _named(target, call.outputs)
        return Plan(
            call.inputs, outs, mode, call.updates, call.givens, maker.fgraph, maker.mode or mode
        )
    found_plan = Plan([i.variable for i in maker.inputs if not i.shared], [], mode)
    found_plan.compiled = maker.fgraph
    found_plan.compiled_mode = maker.mode or mode
    known = target.named if isinstance(target, PyTensorTarget) else {}
    found = originals(obj, [v for v in known.values() if isinstance(v, Variable)])
    matched = [v for v in found if v is not None]
    if len(matched) < len(found) or any(i.update is not None for i in maker.inputs):
        found_plan.notes.append(
            f"{target.name} was compiled outside %%tgraph from outputs no variable of "
            "yours holds: PyTensor keeps only the compiled graph, so the graph as written "
            "and the rewrites are not available (compile it in a %%tgraph cell, or after "
            "%tgraph on, to keep them)"
        )
        return found_plan
    found_plan.outputs = _named(target, matched)
    return found_plan


def user_names(target: Target) -> dict[Variable, str]:
    named = target.named if isinstance(target, PyTensorTarget) else {}
    return {v: n for n, v in named.items() if isinstance(v, Variable)}
