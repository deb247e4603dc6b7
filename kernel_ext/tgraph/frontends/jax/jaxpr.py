"""A closed jaxpr -> the common graph model.

Nested jits, scans, conds, whiles and custom rules become subgraphs, one
per inner jaxpr; every equation keeps the cell line it came from, which is
also how the optimized (HLO) view links its instructions back here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.extend.core as jcore
import numpy as np
from jax._src import source_info_util

from ...graph import Graph, GraphBuilder, Node, Source, Subgraph
from ...protocol import CellInfo
from ...structure import Level, group
from . import sharding
from .hlo import HloSource, inner_holder
from .places import PASSES, Places, pass_of


def short(value: Any, limit: int = 60) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_text(aval: Any) -> str:
    return aval.str_short(short_dtypes=True) if hasattr(aval, "str_short") else str(aval)


def _inner_jaxprs(eqn: Any) -> list[tuple[str, Any]]:
    """The jaxpr-valued params of an equation (nested jit, scan, cond...)."""
    found: list[tuple[str, Any]] = []
    for key, value in eqn.params.items():
        if isinstance(value, (jcore.Jaxpr, jcore.ClosedJaxpr)):
            found.append((key, value))
        elif _inner_jaxprs_value(value):  # cond's branches
            found += [(f"{key.rstrip('es')} {i}", v) for i, v in enumerate(value)]
    return found


def closed_parts(jaxpr: Any) -> tuple[Any, list[Any]]:
    if isinstance(jaxpr, jcore.ClosedJaxpr):
        return jaxpr.jaxpr, list(jaxpr.consts)
    return jaxpr, []


Tagger = Callable[[Any], list[str]]


class JaxprConverter:
    """One view built from a closed jaxpr; remembers where each equation came from.

    ``index`` maps (primitive, line, column) in the cell to node ids, which
    is how the HLO view links its instructions back to this view.
    """

    def __init__(self, cell: CellInfo, tagger: Tagger | None = None) -> None:
        self.cell = cell
        self.lines = cell.code.splitlines()
        self.tagger = tagger
        self.builder = GraphBuilder()
        self.graph = self.builder.graph
        self.index: dict[tuple[str, int, int], list[str]] = {}
        #: Node id -> the jaxpr atom whose value it shows (a Var, or a Literal).
        self.atoms: dict[str, Any] = {}
        self.places = Places(cell)
        #: Node or subgraph id -> its levels in the program, in the order traced.
        self.levels: dict[str, list[Level]] = {}
        #: The call levels of the container being converted (its inner
        #: equations repeat them at the start of their own).
        self._outer: list[Level] = []
        #: Whether the container being converted runs in the backward pass.
        self._reverse = False

    def convert(self, closed: Any, arg_names: list[str], result_names: list[str]) -> Graph:
        jaxpr, consts = closed_parts(closed)
        env: dict[Any, list[str]] = {}
        self.constants(jaxpr.constvars, consts, env, "", None)
        for i, var in enumerate(jaxpr.invars):
            name = arg_names[i] if i < len(arg_names) else f"arg{i}"
            env[var] = [self.boundary("input", name, var.aval, "", None, name=name)]
            self.atoms[env[var][0]] = var
        self.equations(jaxpr.eqns, env, "", None, [])
        for i, atom in enumerate(jaxpr.outvars):
            label = result_names[i] if i < len(result_names) else f"out{i}"
            node = self.boundary("output", label, atom.aval, "", None)
            self.atoms[node] = atom
            self.connect(self.sources(atom, env, "", None), node, 0, atom)
        return group(self.graph, self.levels)

    def constants(
        self,
        constvars: list[Any],
        consts: list[Any],
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
    ) -> None:
        for var, value in zip(constvars, consts, strict=True):
            label = short(value, 24) if np.size(value) <= 4 else f"const {type_text(var.aval)}"
            env[var] = [self.boundary("constant", label, var.aval, prefix, parent)]
            self.atoms[env[var][0]] = var

    def boundary(
        self, kind: Any, label: str, aval: Any, prefix: str, parent: str | None, name: str = ""
    ) -> str:
        node = Node(
            id=self.builder.new_id(prefix),
            kind=kind,
            label=label,
            name=name,
            dtype=str(getattr(aval, "dtype", "")),
            shape=str(tuple(getattr(aval, "shape", ()))),
            parent=parent,
        )
        self.builder.add(node)
        return node.id

    def sources(
        self, atom: Any, env: dict[Any, list[str]], prefix: str, parent: str | None
    ) -> list[str]:
        if isinstance(atom, jcore.Literal):
            node = self.boundary("constant", short(atom.val, 24), atom.aval, prefix, parent)
            self.atoms[node] = atom
            return [node]
        return env.get(atom, [])

    def connect(self, sources: list[str], dst: str, slot: int, atom: Any) -> None:
        self.builder.connect(sources, dst, slot, type_text(atom.aval))

    def where(self, eqn: Any) -> tuple[Source | None, int]:
        """The innermost frame of the equation that lies in the cell's file."""
        if not self.cell.filename:
            return None, -1
        for frame in source_info_util.user_frames(eqn.source_info.traceback):
            if frame.file_name == self.cell.filename:
                line = frame.start_line
                text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
                return Source(line, text), frame.start_column
        return None, -1

    def attrs(self, eqn: Any) -> dict[str, str]:
        attrs = {k: short(v) for k, v in eqn.params.items() if not _inner_jaxprs_value(v)}
        scope = str(eqn.source_info.name_stack)
        if scope:
            attrs["scope"] = scope
        return attrs

    def equations(
        self,
        eqns: list[Any],
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
        inherited: list[str],
    ) -> None:
        passes = parent is None and any(pass_of(e) for e in eqns)
        after_backward = False
        for eqn in eqns:
            tags = self.tagger(eqn) if self.tagger else []
            tags = tags or list(inherited)
            inner = _inner_jaxprs(eqn)
            step = pass_of(eqn) if passes else ""
            after_backward = after_backward or step == "backward"
            if passes and not step and after_backward:
                step = "update"
            # a transposed loop body runs backwards too
            reverse = step == "backward" if passes else self._reverse
            calls = self.places.levels(eqn, reverse=reverse)
            depth = len(self._outer)
            if [lv.key for lv in calls[:depth]] == [lv.key for lv in self._outer]:
                calls = calls[depth:]
            levels = calls
            if step:
                order = (("order", "reversed"),) if step == "backward" else ()
                pass_level = Level(("pass", step), step, "pass", PASSES.index(step), attrs=order)
                levels = [pass_level, *calls]
            if inner:
                outer, self._outer = self._outer, [*self._outer, *calls]
                was, self._reverse = self._reverse, reverse
                outs = self.container(eqn, inner, env, prefix, parent, tags, levels)
                self._outer, self._reverse = outer, was
            else:
                node = self.operation(eqn, env, prefix, parent, tags)
                self.levels[node] = levels
                outs = [[node]] * len(eqn.outvars)
            for var, producers in zip(eqn.outvars, outs, strict=True):
                if not isinstance(var, jcore.DropVar):
                    env[var] = producers

    def operation(
        self,
        eqn: Any,
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
        tags: list[str],
    ) -> str:
        source, column = self.where(eqn)
        aval = eqn.outvars[0].aval if eqn.outvars else None
        suffix, extra, more = sharding.eqn_label(eqn)
        node = Node(
            id=self.builder.new_id(prefix),
            kind="op",
            label=eqn.primitive.name + suffix,
            op=eqn.primitive.name,
            dtype=str(getattr(aval, "dtype", "")),
            shape=str(tuple(getattr(aval, "shape", ()))),
            parent=parent,
            source=source,
            attrs={**self.attrs(eqn), **extra},
            tags=[*tags, *(t for t in more if t not in tags)],
        )
        if len(eqn.outvars) > 1:
            node.attrs["outputs"] = ", ".join(type_text(v.aval) for v in eqn.outvars)
        self.builder.add(node)
        if eqn.outvars:
            self.atoms[node.id] = eqn.outvars[0]
        if source is not None:
            self.index.setdefault((node.op, source.line, column), []).append(node.id)
        for slot, atom in enumerate(eqn.invars):
            self.connect(self.sources(atom, env, prefix, parent), node.id, slot, atom)
        return node.id

    def container(
        self,
        eqn: Any,
        inner: list[tuple[str, Any]],
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
        tags: list[str],
        levels: list[Level],
    ) -> list[list[str]]:
        """A nested jit, scan, cond, while or custom rule: a subgraph per inner jaxpr."""
        name = eqn.params.get("name")
        label = f"{eqn.primitive.name} {name}" if isinstance(name, str) else eqn.primitive.name
        if "length" in eqn.params:
            label += f" (length {eqn.params['length']})"
        suffix, extra, _ = sharding.eqn_label(eqn)
        label += suffix
        source, _ = self.where(eqn)
        sub_id = self.builder.new_id(prefix)
        attrs = {**self.attrs(eqn), **extra}
        if source is not None:
            attrs["line"] = str(source.line)
        if tags:
            attrs["tags"] = ",".join(tags)
        self.builder.add_subgraph(
            Subgraph(id=sub_id, label=label, kind=eqn.primitive.name, parent=parent, attrs=attrs)
        )
        self.levels[sub_id] = levels
        outs: list[list[str]] = [[] for _ in eqn.outvars]
        for key, closed in inner:
            holder = inner_holder(self.graph, sub_id, key, len(inner))
            jaxpr, consts = closed_parts(closed)
            operands = _operands_for(eqn, key, len(jaxpr.invars))
            inner_env: dict[Any, list[str]] = {}
            self.constants(jaxpr.constvars, consts, inner_env, holder + "/", holder)
            for i, (var, atom) in enumerate(zip(jaxpr.invars, operands, strict=True)):
                node = self.boundary("input", f"in{i}", var.aval, holder + "/", holder)
                self.atoms[node] = var
                if atom is not None:
                    self.connect(self.sources(atom, env, prefix, parent), node, 0, atom)
                inner_env[var] = [node]
            self.equations(jaxpr.eqns, inner_env, holder + "/", holder, tags)
            results: list[str] = []
            for i, atom in enumerate(jaxpr.outvars):
                node = self.boundary("output", f"out{i}", atom.aval, holder + "/", holder)
                self.atoms[node] = atom
                self.connect(self.sources(atom, inner_env, holder + "/", holder), node, 0, atom)
                results.append(node)
            if key == "cond_jaxpr":  # the loop test: no value leaves the loop
                continue
            offset = len(eqn.outvars) - len(results)
            for i, node in enumerate(results):
                if 0 <= offset + i < len(outs):
                    outs[offset + i].append(node)
        return outs


def _inner_jaxprs_value(value: Any) -> bool:
    if isinstance(value, (jcore.Jaxpr, jcore.ClosedJaxpr)):
        return True
    if not isinstance(value, (tuple, list)) or not value:
        return False
    return all(isinstance(v, (jcore.Jaxpr, jcore.ClosedJaxpr)) for v in value)


def _operands_for(eqn: Any, key: str, count: int) -> list[Any]:
    """The outer operands feeding an inner jaxpr's inputs, in order.

    ``while`` passes its two jaxprs different slices of its operands; every
    other primitive passes a suffix (cond's first operand is the index).
    """
    invars = list(eqn.invars)
    if eqn.primitive.name == "while":
        nc, nb = eqn.params["cond_nconsts"], eqn.params["body_nconsts"]
        carry = invars[nc + nb :]
        return invars[:nc] + carry if key == "cond_jaxpr" else invars[nc : nc + nb] + carry
    if count <= len(invars):
        return invars[len(invars) - count :]
    return invars + [None] * (count - len(invars))


def linker(index: dict[tuple[str, int, int], list[str]]) -> Callable[[HloSource], list[str]]:
    by_line: dict[tuple[str, int], list[str]] = {}
    for (op, line, _), ids in index.items():
        by_line.setdefault((op, line), []).extend(ids)

    def link(where: HloSource) -> list[str]:
        if where.line is None or not where.op_name:
            return []
        op = where.op_name.rsplit("/", 1)[-1].split("[", 1)[0]
        return index.get((op, where.line, where.column or -1)) or by_line.get((op, where.line), [])

    return link
