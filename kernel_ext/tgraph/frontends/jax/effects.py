"""What a JAX program would do to the user's world if tgraph ran it: host callbacks.

A host callback runs the user's Python on every call of the program: a
``jax.pure_callback`` that appends to a list, an ``io_callback`` that writes
a file, a ``jax.debug.print``. tgraph runs programs after the cell (values,
timing, profiles, the gradient check), so such a program would change what
the user has thousands of times over. The jaxpr says so before anything
runs: its callback equations, and any other equation JAX marks with an
effect.
"""

from __future__ import annotations

from typing import Any

from .programs import all_equations, inner_jaxprs

#: Callback primitives -> the API a user wrote.
CALLBACKS = {
    "pure_callback": "jax.pure_callback",
    "io_callback": "io_callback",
    "debug_callback": "jax.debug.callback",
    "debug_print": "jax.debug.print",
}


def _touches_world(effects: Any) -> bool:
    """Effects other than a collective's axis name (``psum`` over ``data`` in a
    ``shard_map``), which JAX marks as an effect but which changes nothing outside."""
    return any(type(e).__name__ != "NamedAxisEffect" for e in effects or ())


def effects_of(name: str, closed: Any) -> str:
    """Why running ``name`` would touch the user's world, or "" when it would not."""
    callbacks: list[str] = []
    others: list[str] = []
    for eqn in all_equations(closed):
        primitive = eqn.primitive.name
        if primitive in CALLBACKS or "callback" in primitive:
            callbacks.append(CALLBACKS.get(primitive, primitive))
        elif _touches_world(eqn.effects) and not inner_jaxprs(eqn):  # a box holds its own
            others.append(primitive)
    if callbacks:
        return f"{name} calls back into Python ({', '.join(dict.fromkeys(callbacks))})"
    if others:
        return f"{name} has side effects ({', '.join(dict.fromkeys(others))})"
    return ""
