"""Finding frontends: entry points, loaded once their framework is imported.

Frontends register in the entry-point group ``tgraph.frontends`` under the
name of the top-level module their framework is imported as. A frontend is
loaded only once the user has imported its framework, and a framework the
cell imports itself is observed from the end of its import on.
"""

from __future__ import annotations

import functools
import importlib.abc
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from .protocol import Frontend

ENTRY_POINT_GROUP = "tgraph.frontends"


@functools.cache
def _registered() -> dict[str, Any]:
    """Entry points by the module they serve; loading one imports its framework."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def refresh() -> None:
    """Forget the entry points read so far (after installing a plug-in)."""
    _registered.cache_clear()
    _loaded.cache_clear()


@functools.cache
def _loaded(module: str) -> Frontend:
    frontend: Frontend = _registered()[module].load()()
    return frontend


def loaded_frontends() -> list[Frontend]:
    """Frontends whose framework the user has already imported.

    Importing a framework on the user's behalf would slow every cell and
    could change global state (JAX picks its platform on first import).
    """
    return [_loaded(m) for m in _registered() if m in sys.modules]


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls back once a watched top-level module has finished importing.

    It finds nothing itself: it asks the other finders, and wraps the
    loader of the spec they return.
    """

    def __init__(self, callbacks: dict[str, Callable[[], None]]) -> None:
        self.callbacks = callbacks

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in self.callbacks:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        callback = self.callbacks.pop(name)
        run_module = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            callback()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


@contextmanager
def observe_cell() -> Iterator[None]:
    """Observe every framework the cell uses, also one the cell imports itself.

    A framework imported mid-cell is observed from the end of its import on,
    so ``import pytensor`` and ``function(...)`` in one cell are recorded.
    """
    with ExitStack() as stack:
        for frontend in loaded_frontends():
            stack.enter_context(frontend.observe())
        missing = [m for m in _registered() if m not in sys.modules]
        if missing:
            watch = _AfterImport({m: functools.partial(_observe_now, stack, m) for m in missing})
            sys.meta_path.insert(0, watch)
            stack.callback(sys.meta_path.remove, watch)
        yield


def _observe_now(stack: ExitStack, module: str) -> None:
    stack.enter_context(_loaded(module).observe())
