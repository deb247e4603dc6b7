"""Where each equation sits in the user's program: its pass, modules and calls.

JAX keeps, for every equation, the Python stack that traced it and a name
stack of scopes (``jax.named_scope``, Flax Linen and Haiku modules) and
transformations (``jvp``, ``transpose``). Read outermost first, below the
traced function, these give the levels ``structure.group`` nests the view by:
``forward`` → ``loss`` → ``block`` → ``rms``. Each call level is named after
what the calling line calls (``self.up(x)`` → ``up``, ``block(x, p)`` →
``block``) and keeps that line.

Two calls of the same code from the same line (a Python loop over layers)
are told apart by the bytecode offset inside the called function stepping
back; a step back inside one of that function's own loops is not a new call.
The backward pass runs the forward's equations in reverse, so there the
offsets are compared reversed.
"""

from __future__ import annotations

import dis
import linecache
import os
import re
from types import CodeType
from typing import Any

from jax._src import source_info_util
from jax._src.lib import _jax

from ...protocol import CellInfo
from ...structure import Level, library_of

#: The tgraph package: its frames (tracing, capture hooks) are never the user's.
_OWN = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: Nested calls inside an installed library shown as groups at most (a layer
#: inside a model, a transform inside an optimizer); deeper code is its detail.
LIBRARY_DEPTH = 2
_CALLEE = re.compile(r"^\s*(?:await\s+)?([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s*\(")
_SKIPPED = ("<genexpr>", "<listcomp>", "<dictcomp>", "<setcomp>")

PASSES = ("forward", "backward", "update")


def pass_of(eqn: Any) -> str:
    """``backward`` for a transposed equation, ``forward`` for a linearized one, else ""."""
    names = [t.name for t in eqn.source_info.name_stack.stack]
    if "transpose" in names:
        return "backward"
    return "forward" if "jvp" in names or "linearize" in names else ""


class Places:
    """The levels of each equation of one trace; caches per code object."""

    def __init__(self, cell: CellInfo) -> None:
        self.cell = cell
        self._user: dict[int, bool] = {}
        self._loops: dict[int, tuple[int, int] | None] = {}
        self._stacks: dict[tuple[Any, ...], list[Level]] = {}
        self._calls: dict[tuple[int, int, int, bool], tuple[str, tuple[Any, ...]]] = {}

    def levels(self, eqn: Any, reverse: bool = False) -> list[Level]:
        """Scope levels then call levels of ``eqn``, outermost first."""
        scopes = [
            Level(("scope", s.name), s.name, "module")
            for s in eqn.source_info.name_stack.stack
            if isinstance(s, source_info_util.Scope)
        ]
        return scopes + self.calls(eqn, reverse, modules=bool(scopes))

    def calls(self, eqn: Any, reverse: bool, modules: bool = False) -> list[Level]:
        """The call levels; with ``modules``, the scopes name the modules, so
        their ``__call__`` methods are not levels again."""
        codes, lastis = eqn.source_info.traceback.raw_frames()
        # the layers of a Python loop trace the very same stack: read it once
        key = (tuple(map(id, codes)), tuple(lastis), reverse, modules)  # ids: hashing code is slow
        known = self._stacks.get(key)
        if known is None:
            known = self._stacks[key] = self._read(codes, lastis, reverse, modules)
        return known

    def _read(
        self, codes: list[CodeType], lastis: list[int], reverse: bool, modules: bool
    ) -> list[Level]:
        frames: list[tuple[CodeType, int, int]] = []  # code, offset, index in the raw stack
        for index, (code, lasti) in enumerate(zip(codes, lastis, strict=True)):
            if self._is_user(code):
                frames.append((code, lasti, index))
        frames.reverse()
        start = 0
        while start < len(frames) and library_of(frames[start][0].co_filename):
            start += 1  # a library's jit wrapper around the traced function
        frames = frames[start:]
        levels: list[Level] = []
        depth = 0
        caller = frames[0] if frames else None
        # library code that calls back into the user's (value_and_grad, vmap,
        # tree_map) is a transformation's wrapper, not a group of its own
        last_user = max(
            (i for i, f in enumerate(frames) if not library_of(f[0].co_filename)), default=0
        )
        for at_frame, frame in enumerate(frames[1:], 1):
            code, lasti, index = frame
            assert caller is not None
            if code.co_name in _SKIPPED or "wrapper" in code.co_name.lower():
                continue
            if modules and code.co_name == "__call__":
                continue
            if library_of(code.co_filename):
                # a library's own helpers are its detail, not the user's structure
                anonymous = code.co_name == "<lambda>" or code.co_name.startswith("_")
                if at_frame < last_user or depth >= LIBRARY_DEPTH or (depth and anonymous):
                    continue
                if code.co_name == "<lambda>":
                    continue
                depth += 1
            else:
                depth = 0
            direct = caller[2] == index + 1
            label, attrs = self._call(code, caller[0], caller[1], direct)
            loop = self._loop(code)
            at = lasti
            if reverse:
                at = -lasti
                loop = None if loop is None else (-loop[1], -loop[0])
            key = (id(code), id(caller[0]), caller[1])
            levels.append(Level(key, label, "call", at, loop, attrs))
            caller = frame
        return levels

    def _is_user(self, code: CodeType) -> bool:
        known = self._user.get(id(code))
        if known is None:
            name = code.co_filename
            known = source_info_util.is_user_filename(name) and not name.startswith(_OWN)
            self._user[id(code)] = known
        return known

    def _loop(self, code: CodeType) -> tuple[int, int] | None:
        """The offsets spanned by the loops in ``code`` (None without loops)."""
        if id(code) not in self._loops:
            lo = hi = None
            for inst in dis.get_instructions(code):
                if inst.opname.startswith("JUMP_BACKWARD") and isinstance(inst.argval, int):
                    lo = inst.argval if lo is None else min(lo, inst.argval)
                    hi = inst.offset if hi is None else max(hi, inst.offset)
            self._loops[id(code)] = None if lo is None or hi is None else (lo, hi)
        return self._loops[id(code)]

    def _call(
        self, code: CodeType, caller: CodeType, lasti: int, direct: bool
    ) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The group's label and attributes for a call of ``code`` at ``caller``'s ``lasti``."""
        key = (id(code), lasti, id(caller), direct)
        if key not in self._calls:
            self._calls[key] = self._describe(code, caller, lasti, direct)
        return self._calls[key]

    def _describe(
        self, code: CodeType, caller: CodeType, lasti: int, direct: bool
    ) -> tuple[str, tuple[tuple[str, str], ...]]:
        line, column, end_line, end_column = _position(caller, lasti)
        text = linecache.getline(caller.co_filename, line) if line else ""
        call = text[column:end_column] if end_line == line and column >= 0 else text.strip()
        label = _name(code)
        found = _CALLEE.match(call) if direct else None
        if found:
            callee = found.group(1)
            if "." in callee or "[" in callee:  # self.up, model.blocks[2]: the attribute
                label = callee.rsplit(".", 1)[-1]
        attrs: dict[str, str] = {"function": code.co_qualname}
        package = library_of(code.co_filename)
        if package:
            attrs["library"] = package
        if caller.co_filename == self.cell.filename and line:
            attrs["line"] = str(line)
        if call.strip():
            attrs["call"] = call.strip()[:120]
        return label, tuple(attrs.items())


def _name(code: CodeType) -> str:
    """A function's name as a user says it: ``Block.__call__`` -> ``Block``."""
    parts = [p for p in code.co_qualname.split(".") if p != "<locals>"]
    if len(parts) >= 2 and parts[-1] == "__call__":
        return parts[-2]
    name = parts[-1] if parts else code.co_name
    return "lambda" if name == "<lambda>" else name


def _position(code: CodeType, lasti: int) -> tuple[int, int, int, int]:
    """Line and columns of the instruction at ``lasti`` (its call expression)."""
    line, column, end_line, end_column = _jax.Traceback.code_addr2location(code, lasti)
    return line, column, end_line, end_column
