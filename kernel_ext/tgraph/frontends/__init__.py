"""Frontends turn one framework's objects into the common graph model.

Each frontend is the only place that imports its framework. The magic asks
every frontend whose framework the user has imported for targets among the
names a cell created or rebound, then asks it to build a ``GraphBundle``.
"""

from __future__ import annotations

import functools
import importlib.abc
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from ..graph import GraphBundle


class TraceError(Exception):
    """A target could not be traced; the message is shown to the user as is."""


@dataclass
class CellInfo:
    """The cell being run, so frontends can map stack frames to its lines."""

    code: str
    filename: str = ""
    execution_count: int | None = None


@dataclass
class Options:
    """The magic's parsed arguments, as frontends need them."""

    names: list[str] = field(default_factory=list)
    calls: dict[str, str] = field(default_factory=dict)
    wrt: list[str] = field(default_factory=list)
    show_noise: bool = False
    device: str = "cpu"
    backend: str | None = None
    size: int | None = None
    budget: float = 2.0
    run: bool = True


@dataclass
class Declared:
    """A symbolic input or type the cell created, for the compact table."""

    name: str
    type: str
    dtype: str
    ndim: str
    shape: str


@dataclass
class Target:
    """One distinct graph found in a cell."""

    name: str
    framework: str
    obj: Any
    aliases: list[str] = field(default_factory=list)
    args: tuple[Any, ...] | None = None
    kwargs: dict[str, Any] | None = None


class Frontend(Protocol):
    framework: str
    module: str

    def observe(self) -> Any:
        """A context manager active while the cell runs (may record calls)."""
        ...

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        """Targets among ``changed`` (name -> new value), one per graph."""
        ...

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        """Inputs and types among ``changed`` that are not part of a target."""
        ...

    def build(self, target: Target, options: Options, cell: CellInfo) -> GraphBundle:
        """The three views of one target; raises ``TraceError`` with a reason."""
        ...

    def hint(self, error: BaseException) -> str | None:
        """A one-line modern replacement for a removed feature, if known."""
        ...


def _frontend(module: str) -> Frontend:
    if module == "pytensor":
        from .pytensor import PyTensorFrontend

        return PyTensorFrontend()
    from .jax import JaxFrontend

    return JaxFrontend()


FRAMEWORKS = ("pytensor", "jax")


def loaded_frontends() -> list[Frontend]:
    """Frontends whose framework the user has already imported.

    Importing a framework on the user's behalf would slow every cell and
    could change global state (JAX picks its platform on first import).
    """
    return [_frontend(m) for m in FRAMEWORKS if m in sys.modules]


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

        spec.loader.exec_module = exec_module
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
        missing = [m for m in FRAMEWORKS if m not in sys.modules]
        if missing:
            watch = _AfterImport({m: functools.partial(_observe_now, stack, m) for m in missing})
            sys.meta_path.insert(0, watch)
            stack.callback(sys.meta_path.remove, watch)
        yield


def _observe_now(stack: ExitStack, module: str) -> None:
    stack.enter_context(_frontend(module).observe())
