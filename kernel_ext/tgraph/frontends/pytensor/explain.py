"""What a PyTensor rewrite is, read from the installed PyTensor.

A rewrite's name alone sends users to ``optimizer_verbose`` dumps and a
search through PyTensor's sources. Its docstring's first line, the passes it
is registered under and where it is defined answer that in place. All of it
comes from PyTensor's own rewrite database (``optdb``), so a rewrite added or
moved in another PyTensor version is described as that version has it.
"""

from __future__ import annotations

import inspect
import linecache
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pytensor.compile.mode import optdb
from pytensor.graph.rewriting.basic import (
    FromFunctionNodeRewriter,
    PatternNodeRewriter,
    WalkingGraphRewriter,
)
from pytensor.graph.rewriting.db import RewriteDatabase

from .labels import op_label, pass_name


@dataclass(frozen=True)
class Explained:
    doc: str = ""
    passes: list[str] = field(default_factory=list)
    module: str = ""
    line: int = 0


@cache
def _index() -> dict[str, dict[str, Any]]:
    """Rewrite name -> {pass: the registered object}, over every database of
    ``optdb``; a grouped rewriter's members are filed under their own names.

    Built once per kernel (under a millisecond); rewrites registered later by
    a library imported afterwards are not described.
    """
    index: dict[str, dict[str, Any]] = {}

    def file(name: str, top: str, obj: Any) -> None:
        index.setdefault(name, {}).setdefault(top, obj)
        if not isinstance(obj, RewriteDatabase):
            # Graph rewriters are recorded under their class's name.
            index.setdefault(type(obj).__name__, {}).setdefault(top, obj)
        inner = getattr(obj, "node_rewriter", None)  # a walker's node rewriter
        for member in [inner] if inner is not None else getattr(obj, "rewrites", None) or []:
            file(str(getattr(member, "__name__", "") or member), top, member)

    def walk(db: RewriteDatabase, top: str, seen: set[int]) -> None:
        if id(db) in seen:
            return
        seen.add(id(db))
        for name in db._names:
            for obj in db.__db__[name]:
                file(name, top, obj)
                if isinstance(obj, RewriteDatabase):
                    walk(obj, top, seen)

    for top in optdb._names:
        for obj in optdb.__db__[top]:
            file(top, pass_name(obj), obj)
            if isinstance(obj, RewriteDatabase):
                walk(obj, pass_name(obj), set())
    return index


def _defined(obj: Any) -> Any:
    """The function or class whose source is the rewrite."""
    while isinstance(obj, WalkingGraphRewriter):
        obj = obj.node_rewriter
    if isinstance(obj, FromFunctionNodeRewriter):
        return obj.fn
    return type(obj)


def _pattern(pattern: Any) -> str:
    if isinstance(pattern, Sequence) and not isinstance(pattern, str) and len(pattern):
        return f"{_pattern(pattern[0])}({', '.join(_pattern(p) for p in pattern[1:])})"
    if isinstance(pattern, dict):
        return _pattern(pattern.get("pattern", "?"))
    if hasattr(pattern, "op_match"):  # PyTensor 3.3's PatternNode and PatternVar
        return _pattern((pattern.op_match, *pattern.inputs))
    if hasattr(pattern, "token"):
        return f"~{pattern.token}"
    if hasattr(pattern, "scalar_op"):
        return op_label(pattern)
    return str(getattr(pattern, "name", None) or pattern)


@cache
def explain(name: str) -> Explained:
    """The first docstring line, passes and definition of the rewrite ``name``."""
    found = _index().get(name)
    if not found:
        return Explained()
    passes = sorted(found)
    obj = next(iter(found.values()))
    if isinstance(obj, PatternNodeRewriter):
        doc = f"{_pattern(obj.in_pattern)} -> {_pattern(obj.out_pattern)}"
        return Explained(doc, passes)
    defined = _defined(obj)
    doc = inspect.getdoc(defined) or ""
    first = next((line.strip() for line in doc.splitlines() if line.strip()), "")
    module = str(getattr(defined, "__module__", "") or "")
    code = getattr(defined, "__code__", None)
    line = code.co_firstlineno if code is not None else _class_line(defined)
    return Explained(first, passes, module, line)


def _class_line(cls: Any) -> int:
    """Where ``class Name`` starts in its module, or 0.

    Rewrites are explained while the cell's own compile runs, and
    ``inspect.getsourcelines`` parses the whole module to find a class (tens
    of milliseconds per rewrite module); a scan of its lines for the
    ``class`` statement costs well under one.
    """
    path = getattr(sys.modules.get(getattr(cls, "__module__", "")), "__file__", None)
    name = getattr(cls, "__name__", "")
    if not path or not name:
        return 0
    statement = re.compile(rf"\s*class\s+{re.escape(name)}\b")
    for number, text in enumerate(linecache.getlines(path), start=1):
        if statement.match(text):
            return number
    return 0
