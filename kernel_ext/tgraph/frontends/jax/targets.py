"""Which JAX programs a cell ran: one target per program, named after its variable.

A program is a target wherever its function was defined: among the names
the cell bound, every program the user's code called (``calls``: first
call, retrace or cache hit, named as the call site wrote the callee), and
a program a library jitted for the user (``libraries.library_name``). A
program called many times is one target, on its last call's inputs.
"""

from __future__ import annotations

from typing import Any

from ...protocol import Target
from .calls import Called, called, is_shard_map
from .capture import LOG, Call, cached_call, chain, held_jits
from .libraries import library_name
from .programs import Program, fun_name


def find_targets(changed: dict[str, Any]) -> list[Target]:
    pairs = list(changed.items())
    seen = {id(v) for v in changed.values()}
    counted: dict[int, Called] = {}
    for each in called():
        counted[id(each.fn)] = each
        if id(each.fn) not in seen:
            seen.add(id(each.fn))
            pairs.append((each.name or fun_name(each.fn), each.fn))
    found: dict[tuple[int, str], Target] = {}
    calls: dict[str, Call | None] = {}
    for name, value in pairs:
        site = counted.get(id(value))
        chosen = _chosen(value, site)
        if chosen is None:
            continue
        fun, jitted, call = chosen
        program = Program(fun) if call is None else Program(call.fun, call.api, call.params)
        if jitted is not None and jitted._fun is program.fun and program.api == "jit":
            program.jitted = jitted
        key = (id(program.fun), program.api)
        if key in found:
            known = found[key]
            known.obj.calls += site.count if site is not None else 0
            if program.jitted is not None and known.obj.jitted is None:
                # the variable holding the jitted program names it, and its caches serve
                known.aliases.append(known.name)
                calls[name] = calls.pop(known.name)
                known.name, known.obj.jitted = name, program.jitted
            else:
                known.aliases.append(name)
            continue
        calls[name] = call
        target = Target(
            name=name,
            framework="jax",
            obj=program,
            args=call.args if call else None,
            kwargs=call.kwargs if call else None,
        )
        if site is not None:
            program.calls = site.count
            if site.args is not None and (program.jitted is not None or program.fun is value):
                # the user's own arguments: the program takes them as they are
                target.args, target.kwargs = site.args, site.kwargs
                program.recorded = True
        found[key] = target
    for call in LOG.calls.values():
        key = (id(call.fun), call.api)
        if call.nested or key in found or call.api in ("inner", "vjp"):
            continue
        if any(_runs(t.obj, call.fun) for t in found.values()):
            continue
        role = library_name(call.fun, call.via)
        if role is None:
            continue  # a library's own helper, not a program of the user's
        calls[role] = call
        program = Program(call.fun, call.api, call.params)
        found[key] = Target(role, "jax", program, args=call.args, kwargs=call.kwargs)
    return _inside_others(list(found.values()), calls)


def _chosen(value: Any, site: Called | None) -> tuple[Any, Any, Call | None] | None:
    """(function, its jit, the recorded call) of the program ``value`` runs, if any."""
    for fun, jitted in chain(value):
        call = LOG.best(fun)
        if call is None and jitted is not None and fun is jitted._fun:
            call = cached_call(jitted)
        if call is not None or (jitted is not None and fun is jitted._fun):
            return fun, jitted, call
    for held in held_jits(value):
        call = LOG.best(held._fun)
        if call is None and site is not None:  # called from the cache: its newest trace
            call = cached_call(held)
        if call is not None:
            return held._fun, held, call
    if site is not None and is_shard_map(value):
        return value, None, None
    return None


def _runs(program: Any, fun: Any) -> bool:
    """Whether a library's ``fun`` is the program a target already runs."""
    return isinstance(program, Program) and any(f is fun for f, _ in chain(program.fun))


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
