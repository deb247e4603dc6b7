"""Which JAX programs a cell ran: one target per program, named after its variable."""

from __future__ import annotations

from typing import Any

from ...protocol import Target
from .capture import LOG, Call, cached_call, chain, held_jits
from .programs import Program


def find_targets(changed: dict[str, Any]) -> list[Target]:
    found: dict[tuple[int, str], Target] = {}
    calls: dict[str, Call | None] = {}
    for name, value in changed.items():
        chosen = None
        for fun, jitted in chain(value):
            call = LOG.best(fun)
            if call is None and jitted is not None and fun is jitted._fun:
                call = cached_call(jitted)
            if call is not None or (jitted is not None and fun is jitted._fun):
                chosen = (fun, jitted, call)
                break
        for held in [] if chosen is not None else held_jits(value):
            call = LOG.best(held._fun)
            if call is not None:
                chosen = (held._fun, held, call)
                break
        if chosen is None:
            continue
        fun, jitted, call = chosen
        program = Program(fun) if call is None else Program(call.fun, call.api, call.params)
        if jitted is not None and jitted._fun is program.fun and program.api == "jit":
            program.jitted = jitted
        key = (id(program.fun), program.api)
        if key in found:
            known = found[key]
            if program.jitted is not None and known.obj.jitted is None:
                # the variable holding the jitted program names it, and its caches serve
                known.aliases.append(known.name)
                calls[name] = calls.pop(known.name)
                known.name, known.obj.jitted = name, program.jitted
            else:
                known.aliases.append(name)
            continue
        calls[name] = call
        found[key] = Target(
            name=name,
            framework="jax",
            obj=program,
            args=call.args if call else None,
            kwargs=call.kwargs if call else None,
        )
    return _inside_others(list(found.values()), calls)


def _inside_others(targets: list[Target], calls: dict[str, Call | None]) -> list[Target]:
    """A function that only ran inside another target's program is drawn there."""
    kept = []
    for target in targets:
        call = calls.get(target.name)
        home = None
        if call is not None and call.nested and call.parent is not None:
            around = {id(f) for f, _ in chain(call.parent)} | {id(call.parent)}
            home = next(
                (
                    t
                    for t in targets
                    if t is not target and any(id(f) in around for f, _ in chain(t.obj.fun))
                ),
                None,
            )
        if home is None:
            kept.append(target)
        else:
            home.aliases += [target.name, *target.aliases]
    return kept


def target_for_call(name: str, value: Any) -> Target | None:
    """A plain or jitted function named with arguments on the magic line."""
    if not callable(value) or isinstance(value, type):
        return None
    fun, jitted = next(chain(value), (value, None))
    program = Program(fun, jitted=jitted if jitted is not None and jitted._fun is fun else None)
    return Target(name=name, framework="jax", obj=program)
