"""Every equation's value on the cell's inputs, as JAX itself computes it.

The jaxpr is interpreted equation by equation, each through its own
primitive's ``bind`` (what ``jax.core.eval_jaxpr`` does), so every value is
JAX's. A nested jit, a custom rule or a checkpoint runs its inner jaxpr the
same way, so its inner equations have values too; ``cond`` runs the branch
taken. Loops (``scan``, ``while``) run whole: their inner values change per
step. The optimized (XLA) view shows, on each instruction, the value of the
jaxpr equation it came from: the same link its source lines use.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.extend.core as jcore
import numpy as np

from ...graph import Graph
from ...values import ValueSummary, ViewValues, arrange, summarize
from .jaxpr import closed_parts

#: Primitives whose inner jaxpr runs once on all of the equation's operands.
_CALLS = ("pjit", "jit", "closed_call", "core_call", "remat", "checkpoint",
          "custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr")  # fmt: skip
#: Params holding that inner jaxpr, in the order they are looked for.
_CALL_KEYS = ("jaxpr", "call_jaxpr", "fun_jaxpr")
_LOOPS = ("scan", "while")


def _inner_call(eqn: Any) -> Any | None:
    if eqn.primitive.name not in _CALLS:
        return None
    for key in _CALL_KEYS:
        inner = eqn.params.get(key)
        if isinstance(inner, jcore.Jaxpr | jcore.ClosedJaxpr):
            jaxpr, _ = closed_parts(inner)
            if len(jaxpr.invars) == len(eqn.invars):
                return inner
    return None


class Interpreter:
    """Runs a closed jaxpr and keeps the value of every variable it passes."""

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}
        self.errors: dict[Any, str] = {}
        self.skipped: set[str] = set()

    def read(self, atom: Any) -> Any:
        if isinstance(atom, jcore.Literal):
            return atom.val
        return self.values[atom]

    def run(self, closed: Any, args: list[Any]) -> list[Any]:
        jaxpr, consts = closed_parts(closed)
        self.values.update(zip(jaxpr.constvars, consts, strict=True))
        self.values.update(zip(jaxpr.invars, args, strict=True))
        for eqn in jaxpr.eqns:
            try:
                args_in = [self.read(a) for a in eqn.invars]
            except KeyError:
                self._failed(eqn, "an input has no value")
                continue
            try:
                outs = self.equation(eqn, args_in)
            except Exception as error:  # a primitive JAX cannot run eagerly here
                self._failed(eqn, f"{type(error).__name__}: {str(error).splitlines()[0]}")
                continue
            for var, value in zip(eqn.outvars, outs, strict=True):
                if not isinstance(var, jcore.DropVar):
                    self.values[var] = value
        return [self._maybe(a) for a in jaxpr.outvars]

    def _maybe(self, atom: Any) -> Any:
        try:
            return self.read(atom)
        except KeyError:
            return None

    def equation(self, eqn: Any, args: list[Any]) -> list[Any]:
        inner = _inner_call(eqn)
        if inner is not None:
            return self.run(inner, args)
        if eqn.primitive.name == "cond":
            branches = eqn.params["branches"]
            index = int(np.clip(np.asarray(args[0]), 0, len(branches) - 1))
            self.run(branches[index], args[1:])  # the values inside the branch taken
        elif eqn.primitive.name in _LOOPS:
            self.skipped.add(eqn.primitive.name)
        params = eqn.primitive.get_bind_params(eqn.params)
        if isinstance(params, tuple):  # JAX before 0.7 also returned sub-functions
            subfuns, params = params
            args = [*subfuns, *args]
        with eqn.ctx.manager:
            outs = eqn.primitive.bind(*args, **params)
        return list(outs) if eqn.primitive.multiple_results else [outs]

    def _failed(self, eqn: Any, why: str) -> None:
        for var in eqn.outvars:
            self.errors[var] = why


def flat_inputs(args: tuple[Any, ...], kwargs: dict[str, Any], statics: set[Any]) -> list[Any]:
    """The jaxpr's inputs: the leaves of the dynamic arguments, as jit flattens them."""
    dynamic = tuple(a for i, a in enumerate(args) if i not in statics)
    named = {k: v for k, v in kwargs.items() if k not in statics}
    return list(jax.tree_util.tree_leaves((dynamic, named)))


def jaxpr_values(
    closed: Any, atoms: dict[str, Any], graph: Graph, inputs: list[Any], view: str
) -> ViewValues:
    """The value of every node of the jaxpr view ``graph`` (``atoms``: node id -> atom)."""
    jaxpr, _ = closed_parts(closed)
    found = ViewValues(view)
    if len(inputs) != len(jaxpr.invars):
        found.error = (
            f"the inputs do not match the program: {len(inputs)} arrays for "
            f"{len(jaxpr.invars)} parameters"
        )
        return found
    interpreter = Interpreter()
    interpreter.run(closed, inputs)
    for node_id, atom in atoms.items():
        if isinstance(atom, jcore.Literal):
            found.nodes[node_id] = summarize(np.asarray(atom.val))
        elif atom in interpreter.values:
            found.nodes[node_id] = summarize(np.asarray(interpreter.values[atom]))
        else:
            found.nodes[node_id] = ValueSummary(error=interpreter.errors.get(atom, "not computed"))
    if interpreter.skipped:
        loops = ", ".join(sorted(interpreter.skipped))
        found.notes.append(f"values inside {loops} are not shown: they change every step")
    return arrange(found, graph)


def linked_values(original: ViewValues, graph: Graph, view: str) -> ViewValues:
    """Values of the compiled view: each instruction shows its jaxpr equation's value."""
    found = ViewValues(view, original.inputs, original.made_up)
    for node in graph.nodes:
        linked = [i for i in node.attrs.get("jaxpr", "").split(",") if i in original.nodes]
        if linked:
            found.nodes[node.id] = original.nodes[linked[-1]]
    found.notes.append(
        "each compiled instruction shows the value of the jaxpr equation it came from; "
        "instructions XLA made up itself have none"
    )
    return arrange(found, graph)
