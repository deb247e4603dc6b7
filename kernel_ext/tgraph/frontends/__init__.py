"""Frontends turn one framework's objects into the common graph model.

Each frontend is the only place that imports its framework. The magic asks
every frontend whose framework the user has imported for targets among the
names a cell created or rebound, then asks it to build a ``GraphBundle``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@contextmanager
def nothing_observed() -> Iterator[None]:
    yield


def loaded_frontends() -> list[Frontend]:
    """Frontends whose framework the user has already imported.

    Importing a framework on the user's behalf would slow every cell and
    could change global state (JAX picks its platform on first import).
    """
    found: list[Frontend] = []
    if "pytensor" in sys.modules:
        from .pytensor import PyTensorFrontend

        found.append(PyTensorFrontend())
    if "jax" in sys.modules:
        from .jax import JaxFrontend

        found.append(JaxFrontend())
    return found
