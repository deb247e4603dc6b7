"""Which JAX programs a cell ran: one target per program, named after its variable.

A program is a target wherever its function was defined: among the names
the cell bound, every program the user's code called (``calls``: first
call, retrace or cache hit, named as the call site wrote the callee), and
a program a library jitted for the user (``libraries.library_name``) or
a function of the user's that library code ran under jit. A
program called many times is one target, on its last call's inputs.
"""

from __future__ import annotations

from typing import Any

from ...callsites import is_user_code
from ...protocol import Target
from .calls import Called, called, is_shard_map
from .capture import LOG, Call, cached_call, chain, held_jits
from .libraries import library_name
from .programs import Program, fun_name


def find_targets(changed: dict[str, Any], in_cell: bool = True) -> list[Target]:
    """The programs among ``changed``; with ``in_cell``, also every program the
    cell just observed ran (outside a cell those records are an older cell's)."""
    seen_calls = called() if in_cell else []
    counted = {id(each.fn): each for each in seen_calls}
    found: dict[tuple[int, str], Target] = {}
    calls: dict[str, Call | None] = {}
    for name, value, own_name in _candidates(changed, seen_calls):
        site = counted.get(id(value))
        chosen = _chosen(value, site)
        if chosen is None:
            continue
        fun, jitted, call = chosen
        program = Program(fun) if call is None else Program(call.fun, call.api, call.params)
        if jitted is not None and jitted._fun is program.fun and program.api == "jit":
            program.jitted = jitted
        key = (id(program.fun), program.api)
        known = found.get(key)
        if known is None:
            calls[name] = call
            found[key] = Target(
                name=name,
                framework="jax",
                obj=program,
                args=call.args if call else None,
                kwargs=call.kwargs if call else None,
            )
            _arguments(found[key], program, value, site, call)
            continue
        known.obj.calls += site.count if site is not None else 0
        _arguments(known, program, value, site, None)
        if program.jitted is not None and known.obj.jitted is None:
            known.obj.jitted = program.jitted  # its caches serve
            if own_name:  # the variable holding the jitted program names it
                known.aliases.append(known.name)
                calls[name] = calls.pop(known.name)
                known.name = name
                continue
        known.aliases.append(name)
    if in_cell:
        _library_programs(found, calls)
    return _inside_others(list(found.values()), calls)


def _candidates(changed: dict[str, Any], seen_calls: list[Called]) -> list[tuple[str, Any, bool]]:
    """(name, value, whether the name is the user's own) for the names the cell
    bound, then the programs its code called (named as the call site wrote them)."""
    pairs = [(name, value, True) for name, value in changed.items()]
    seen = {id(v) for v in changed.values()}
    for each in seen_calls:
        if id(each.fn) not in seen:
            seen.add(id(each.fn))
            pairs.append((each.name or fun_name(each.fn), each.fn, each.name is not None))
    return pairs


def _arguments(
    target: Target, program: Program, value: Any, site: Called | None, call: Call | None
) -> None:
    """The inputs of the cell's last call, where the program takes them as they are:
    the call site's own (a library's wrapper, ``nnx.jit``, passes others: its
    state split apart), else the arrays JAX traced the call with."""
    if site is not None:
        program.calls = max(program.calls, site.count)
        if site.args is not None and (program.jitted is not None or program.fun is value):
            target.args, target.kwargs = site.args, site.kwargs
            target.obj.recorded = True
            return
    stale = site is not None and site.count > 1  # a later call may have had other values
    if call is not None and call.values is not None and not target.obj.recorded and not stale:
        target.args, target.kwargs = call.values
        target.obj.recorded = True


def _library_programs(found: dict[tuple[int, str], Target], calls: dict[str, Call | None]) -> None:
    """Programs JAX traced that no call site of the user's named: a library's
    jitted for the user (a sampler's potential energy), or a user's function."""
    for call in LOG.calls.values():
        key = (id(call.fun), call.api)
        if call.nested or key in found or call.api in ("inner", "vjp"):
            continue
        if any(_runs(t.obj, call.fun) for t in found.values()):
            continue
        role = library_name(call.fun, call.via) or _users_own(call.fun)
        if role is None:
            continue  # a library's own helper, not a program of the user's
        calls[role] = call
        program = Program(call.fun, call.api, call.params)
        found[key] = Target(role, "jax", program, args=call.args, kwargs=call.kwargs)


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


def _users_own(fun: Any) -> str | None:
    """The name of a function of the user's that JAX traced, though no call site
    of the user's was seen running it (a library called it, or Python has no
    ``sys.monitoring``)."""
    code = getattr(fun, "__code__", None)
    return fun_name(fun) if code is not None and is_user_code(code) else None


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
