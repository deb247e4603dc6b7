"""PyMC models, drawn as the PyTensor graph a sampler runs.

Most PyTensor users meet PyTensor through PyMC. A ``pm.Model`` holds random
variables, but what a sampler evaluates at every step is the model's
log-probability and its gradient, so a model is one target: its graph as
written is ``model.logp()`` over the model's value variables, optimized with
the rewrites PyMC adds when it compiles for sampling, its gradient is taken
with respect to those value variables, and it is timed with one logp + dlogp
evaluation at ``model.initial_point()``. The random variables of the model
are part of that graph, not targets of their own.

PyMC is never imported here: a model exists only once the user imported
``pymc``, so the module is read from ``sys.modules``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
import pytensor
from pytensor.compile.mode import Mode, get_mode
from pytensor.gradient import NullTypeGradError
from pytensor.graph.basic import Variable
from pytensor.graph.traversal import ancestors

from ...graph import Graph, Subgraph
from .capture import Plan, PyTensorTarget
from .deterministics import Deterministics, find, place

#: How the log-probability output is named in every view.
LOGP = "logp"
INITIAL_POINT = "the model's initial point"


def models(changed: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, model) for each PyMC model among the cell's new or rebound names."""
    pymc = sys.modules.get("pymc")
    model_type = getattr(pymc, "Model", None)
    if model_type is None:
        return []
    return [(n, v) for n, v in changed.items() if isinstance(v, model_type)]


def variables(model: Any) -> set[Variable]:
    """Every variable the model's random variables, deterministics and potentials are built from."""
    ends = [v for v in model.named_vars.values() if isinstance(v, Variable)]
    ends += list(model.potentials)
    return set(ancestors(ends)) if ends else set()


def sampling_mode(model: Any) -> Mode:
    """The mode PyMC compiles a model's functions with.

    ``pymc.pytensorf.compile`` runs the default mode's rewrites plus two of
    its own: random draws updated in place, and the parameter checks of each
    distribution replaced by ``-inf`` (or dropped when the model was made
    with ``check_bounds=False``).
    """
    checks = (
        "local_check_parameter_to_ninf_switch"
        if model.check_bounds
        else "local_remove_check_parameter"
    )
    base = get_mode(None)
    return Mode(
        linker=base.linker,
        optimizer=base.provided_optimizer.including("random_make_inplace", checks),
    )


def model_target(name: str, model: Any, framework: str) -> PyTensorTarget:
    """The target of a model: its log-probability, made into a plan when first traced."""
    target = PyTensorTarget(name, framework, model, args_from=INITIAL_POINT)
    target.planner = functools.cache(lambda: _plan(name, model))
    target.make_args = lambda: _initial_point(model)
    return target


def _plan(name: str, model: Any) -> Plan:
    logp = model.logp()
    _TERMS[logp] = _terms(model, logp)
    _DETERMINISTICS[logp] = find(model, logp, _TERMS[logp])
    mode = sampling_mode(model)
    found = Plan(list(model.value_vars), [(LOGP, logp)], mode, compiled_mode=mode)
    found.notes.append(
        f"{name}: the log-probability of the model over its value variables "
        "(transformed ones carry their transform's name), as a sampler evaluates it"
    )
    found.timed = functools.cache(lambda: _timed_gradient(found, model, logp))
    found.timed_note = "each call is one logp + dlogp evaluation, what a sampler pays a step"
    return found


def _timed_gradient(found: Plan, model: Any, logp: Variable) -> list[Variable]:
    """The gradient timed beside logp; none where PyTensor cannot take it
    (an ``as_op`` likelihood), as a gradient-free sampler pays only logp."""
    try:
        return _dlogp(model, logp)
    except (NotImplementedError, NullTypeGradError) as refusal:
        found.timed_note = (
            "each call is one logp evaluation: PyTensor cannot differentiate this model "
            f"({refusal}), so a sampler steps without its gradient"
        )
        return []


#: logp variable -> (name, role, term) per term of the sum, for ``group_terms``.
_TERMS: WeakKeyDictionary[Variable, list[tuple[str, str, Variable]]] = WeakKeyDictionary()
#: logp variable -> where it computes each Deterministic, for ``group_terms``.
_DETERMINISTICS: WeakKeyDictionary[Variable, Deterministics] = WeakKeyDictionary()


def _terms(model: Any, logp: Variable) -> list[tuple[str, str, Variable]]:
    """Each random variable's (or potential's) term of ``logp``, in PyMC's order.

    ``Model.logp`` adds one summed term per free random variable, observed
    variable and potential, in that order, so the terms are read off the
    final addition rather than rebuilt.
    """
    roles = [
        *((v.name, "random variable") for v in model.free_RVs),
        *((v.name, "observed") for v in model.observed_RVs),
        *((v.name or "potential", "potential") for v in model.potentials),
    ]
    if len(roles) == 1:
        return [(*roles[0], logp)]
    owner = logp.owner
    if owner is None or len(owner.inputs) != len(roles):
        return []
    return [(name, role, term) for (name, role), term in zip(roles, owner.inputs, strict=True)]


def group_terms(graph: Graph, ids: dict[Any, str], outputs: list[tuple[str, Variable]]) -> None:
    """One group per random variable's logp term (and per potential), named after it.

    What only one term computes goes in its group; what terms share (the
    value variables, a shared mean) stays outside, where every term reads it.
    Each Deterministic the logp computes is a group too, inside the term that
    alone uses it or beside the terms that share it; one it does not compute
    gets a note instead.
    """
    subs = {s.id: s for s in graph.subgraphs}
    nodes = {n.id: n for n in graph.nodes}
    for _, var in outputs:
        terms = _TERMS.get(var, [])
        users: dict[str, set[int]] = {}
        for index, (_, _, term) in enumerate(terms):
            for item in _drawn(term, ids):
                users.setdefault(item, set()).add(index)
        for index, (name, role, _) in enumerate(terms):
            gid = f"term/{index}"
            graph.subgraphs.append(
                Subgraph(gid, name, "term", None, {"variable": name, "role": role})
            )
        for item, owners in users.items():
            if len(owners) != 1:
                continue
            gid = f"term/{owners.pop()}"
            if item in subs and subs[item].parent is None:
                subs[item].parent = gid
            elif item in nodes and nodes[item].parent is None:
                nodes[item].parent = gid
        if var in _DETERMINISTICS:
            place(graph, ids, _DETERMINISTICS[var])


def _drawn(term: Variable, ids: dict[Any, str]) -> set[str]:
    """The ids of the nodes (and boxes of inner graphs) ``term`` is computed from."""
    found: set[str] = set()
    for var in ancestors([term]):
        owner = var.owner
        key: Any = owner if owner is not None else var
        if key in ids:
            found.add(ids[key])
        if owner is not None and ("subgraph", owner) in ids:
            found.add(ids[("subgraph", owner)])
    return found


def _dlogp(model: Any, logp: Variable) -> list[Variable]:
    """The gradient a sampler asks for: of logp, with respect to the continuous value variables."""
    wrt = list(model.continuous_value_vars)
    if not wrt:
        return []
    return list(pytensor.grad(logp, wrt, disconnected_inputs="ignore"))


def _initial_point(model: Any) -> tuple[Any, ...]:
    point = model.initial_point()
    return tuple(point[v.name] for v in model.value_vars)


@dataclass
class SamplerFunction:
    """A compiled function a PyMC sampler ran: the model's logp and its gradient."""

    name: str
    #: Its outputs' names, in order (``logp``, ``dlogp``).
    outputs: list[str]
    #: The model's initial point, as the function takes it (raveled, or one array a variable).
    make_args: Callable[[], tuple[Any, ...]]


def sampler_function(call: Any) -> SamplerFunction | None:
    """What a compiled function PyMC's own code called is, if it is a sampler's logp.

    PyMC's samplers evaluate the model's log-probability and its gradient
    through a ``ValueGradFunction``: it is named after the user's variable
    holding the model and the user's call that ran the sampler, and its
    example point is the model's initial point, where ``compile_logp()``
    and ``compile_dlogp()`` give the same numbers.
    """
    owner = call.owner
    pymc = sys.modules.get("pymc")
    if pymc is None or type(owner).__name__ != "ValueGradFunction":
        return None
    grad_vars = list(getattr(owner, "_grad_vars", []))
    models = [
        (name, value)
        for name, value in (call.namespace or {}).items()
        if isinstance(value, pymc.Model) and not name.startswith("_")
        and any(v in value.value_vars for v in grad_vars)
    ]  # fmt: skip
    model_name, model = models[0] if models else ("the model", None)
    explicit = [i for i in call.fn.maker.inputs if not i.shared]

    def initial_point() -> tuple[Any, ...]:
        point = (model or pymc.modelcontext(None)).initial_point()
        values = [np.asarray(point[v.name]) for v in grad_vars]
        if len(explicit) == 1 and len(grad_vars) != 1:  # the sampler's raveled vector
            return (np.concatenate([v.ravel() for v in values]),)
        return tuple(values)

    count = len(call.fn.maker.outputs)
    return SamplerFunction(
        f"logp of {model_name}, as {call.via or 'the sampler'} compiled it",
        ["logp", "dlogp"][:count],
        initial_point,
    )
