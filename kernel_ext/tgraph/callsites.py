"""Where the user's code called something: the name it used and the arguments it gave.

A program's frontend learns that the cell called it (a jitted function run
from JAX's C++ cache, a compiled PyTensor function) without learning what
the user calls it or what it was given. The call site knows both: the
source of the call expression ``step(params, batch)`` names the callee as
the user wrote it, and its arguments can be read back from the calling
frame when each is a plain read (a name, an attribute, an item, a
constant). Anything else (``f(next(it))``) is never evaluated twice: the
arguments are then unknown.

Only the user's code counts: notebook cells and the user's own modules,
not installed packages or the standard library.
"""

from __future__ import annotations

import ast
import linecache
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

_PATHS = sysconfig.get_paths()
#: Installed code: the standard library, site-packages, and tgraph itself
#: (installed editable or not), whose calls are never the user's.
_INSTALLED = {_PATHS[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in _PATHS}
_LIBRARY = (*sorted(_INSTALLED), str(Path(__file__).parent))


#: Tool ids ``sys.monitoring`` leaves to tools without a reserved one.
FREE_TOOLS = (4, 3, 5)


def free_tool() -> int | None:
    """A ``sys.monitoring`` tool id no one holds now (None: none, or Python 3.11)."""
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        return None
    return next((t for t in FREE_TOOLS if monitoring.get_tool(t) is None), None)


def is_user_code(code: CodeType) -> bool:
    """Whether ``code`` is the user's: a cell or their own module, not a library's."""
    name = code.co_filename
    return not name.startswith(_LIBRARY) and not name.startswith("<frozen")


@dataclass(frozen=True)
class Site:
    """One call expression of the user's code, read once from its source.

    ``callee`` is the callee as written when it is a name or a dotted
    attribute (``step``, ``model.loss``); ``text`` the whole call. Each
    argument has a reader that evaluates it again in the calling frame, or
    None when it is not a plain read.
    """

    callee: str | None
    text: str
    positional: tuple[CodeType | None, ...]
    keywords: tuple[tuple[str, CodeType | None], ...]
    #: Whether the callee is a bare name: its first argument is then the call's own.
    bare: bool
    #: Each positional argument as written.
    texts: tuple[str, ...] = ()


_SITES: dict[tuple[CodeType, int], Site | None] = {}

#: Expressions that only read: evaluating them again changes nothing a user sees.
_PLAIN = (ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Tuple, ast.List,
          ast.Slice, ast.UnaryOp, ast.USub, ast.expr_context)  # fmt: skip


def _reader(node: ast.expr) -> CodeType | None:
    if isinstance(node, ast.Starred) or not all(isinstance(n, _PLAIN) for n in ast.walk(node)):
        return None
    return compile(ast.Expression(node), "<tgraph call site>", "eval")


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _segment(code: CodeType, offset: int) -> str | None:
    """The source text of the instruction at ``offset`` (a call spans its expression)."""
    positions = list(code.co_positions())
    index = offset // 2
    if index >= len(positions):
        return None
    line, end_line, col, end_col = positions[index]
    if line is None or end_line is None or col is None or end_col is None:
        return None
    lines = linecache.getlines(code.co_filename)
    if not lines or end_line > len(lines):
        return None
    chunk = [text.encode() for text in lines[line - 1 : end_line]]  # columns count bytes
    if len(chunk) == 1:
        return chunk[0][col:end_col].decode()
    chunk[0], chunk[-1] = chunk[0][col:], chunk[-1][:end_col]
    return b"".join(chunk).decode()


def site(code: CodeType, offset: int) -> Site | None:
    """The call at ``offset`` in ``code``, read once and remembered."""
    key = (code, offset)
    if key in _SITES:
        return _SITES[key]
    found: Site | None = None
    try:
        text = _segment(code, offset)
        tree = ast.parse(text.strip(), mode="eval").body if text else None
        if isinstance(tree, ast.Call):
            found = Site(
                ast.unparse(tree.func) if _dotted(tree.func) else None,
                ast.unparse(tree),
                tuple(_reader(a) for a in tree.args),
                tuple((k.arg or "**", _reader(k.value)) for k in tree.keywords),
                isinstance(tree.func, ast.Name),
                tuple(ast.unparse(a) for a in tree.args),
            )
    except (SyntaxError, ValueError, UnicodeDecodeError):
        found = None
    _SITES[key] = found
    return found


#: What ``arguments`` is given when the caller does not know the first argument.
UNKNOWN = object()


def arguments(
    where: Site, frame: FrameType, first: Any = UNKNOWN
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The arguments the call at ``where`` is being given, read from ``frame``.

    ``first`` is the call's first argument when the caller knows it (Python
    reports it with each call): it needs no reading back.
    """
    if any(name == "**" for name, _ in where.keywords):
        return None
    scope = (frame.f_globals, frame.f_locals)
    try:
        args = []
        for i, reader in enumerate(where.positional):
            if i == 0 and where.bare and first is not UNKNOWN:
                args.append(first)
            elif reader is None:
                return None
            else:
                args.append(eval(reader, *scope))
        kwargs = {}
        for name, reader in where.keywords:
            if reader is None:
                return None
            kwargs[name] = eval(reader, *scope)
    except Exception:  # a name deleted since, an attribute that raises
        return None
    return tuple(args), kwargs


def user_frame(frame: FrameType | None, limit: int = 80) -> FrameType | None:
    """The nearest frame at or above ``frame`` that runs the user's code."""
    for _depth in range(limit):
        if frame is None or is_user_code(frame.f_code):
            return frame
        frame = frame.f_back
    return None
