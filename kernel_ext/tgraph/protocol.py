"""The frontend protocol: how tgraph asks a framework for its graphs.

A frontend is a plug-in for one framework (PyTensor, JAX, or a third party's)
registered in the entry-point group ``tgraph.frontends`` (see ``discovery``);
the entry point's name is the top-level module the framework is imported
as. A frontend is the only place that imports its framework. It owns
everything about it: finding targets among a cell's variables, drawing its
views, the gradient, made-up inputs, devices, timing and profiling calls.
The rest of tgraph (magic, runner, widget, registry) speaks only this
protocol and the graph model, and never branches on a framework's name.

Views are lazy: ``trace`` returns at once with what is cheap (always the
graph as written) and names the rest with a builder each, which the kernel
runs when the user asks or when it is otherwise idle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .devices import Device, Devices
from .graph import Graph, GraphBundle, Rewrite
from .messages import OffersJSON
from .timing import MAX_CALLS, Clock, TimingError, TimingResult, measure
from .values import ViewValues

if TYPE_CHECKING:
    from .profile import ProfileResult


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
    #: "" is where the framework runs by default (JAX: its default device).
    device: str = ""
    backend: str | None = None
    size: int | None = None
    budget: float = 2.0
    #: The most calls a timing run makes (``timing.MAX_CALLS`` when None).
    max_calls: int | None = None
    run: bool = True
    #: Everything inside the cell (batch runs have no front end to ask later).
    sync: bool = False


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
    """One distinct graph found in a cell.

    ``args``/``kwargs`` are example arguments (recorded or given on the magic
    line); ``inputs`` is the frontend's own cache of values to time with, made
    once so every timing run of this target uses the same.
    """

    name: str
    framework: str
    obj: Any
    aliases: list[str] = field(default_factory=list)
    args: tuple[Any, ...] | None = None
    kwargs: dict[str, Any] | None = None
    inputs: Any = field(default=None, repr=False)
    #: Why running the program would touch the user's world (a host callback,
    #: a print), in words starting with its name; "" when nothing would. Set
    #: by the frontend's ``trace``: such a program is neither timed by itself
    #: nor run for values or a numerical gradient check.
    effects: str = ""


@dataclass
class ViewResult:
    """One view, built: its graph and what goes with it in the bundle."""

    graph: Graph
    #: Rewrites that made this view, in order (``Rewrite.view`` set to its name).
    rewrites: list[Rewrite] = field(default_factory=list)
    #: Step 0 of the rewrite stepper, in the ids of ``Rewrite.graph``.
    start: Graph | None = None
    #: Notes for the whole bundle, and ``GraphBundle.info`` entries (text dumps...).
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class LazyView:
    """A view not built yet: what building it does, in words, and how."""

    task: str
    build: Callable[[], ViewResult]


@dataclass
class ViewOffer:
    name: str
    title: str


@dataclass
class TextOffer:
    """A text dump kept in ``GraphBundle.info[key]`` (StableHLO, debugprint...)."""

    key: str
    title: str


@dataclass
class Offers:
    """What a graph offers the browser, so the browser never asks which framework."""

    views: list[ViewOffer]
    rewrites: bool = False
    stepper: bool = False
    texts: list[TextOffer] = field(default_factory=list)
    timing: bool = True
    #: Words for the timing table's backend column header ("backend", "XLA"...).
    backend_label: str = "backend"
    #: List merge and constant-folding rewrites too (``--show-noise``), not only count them.
    show_noise: bool = False

    def to_json(self) -> OffersJSON:
        return {
            "views": [{"name": v.name, "title": v.title} for v in self.views],
            "rewrites": self.rewrites,
            "stepper": self.stepper,
            "texts": [{"key": t.key, "title": t.title} for t in self.texts],
            "timing": self.timing,
            "backend_label": self.backend_label,
            "show_noise": self.show_noise,
        }


@dataclass
class Traced:
    """A traced target: the views built so far, and the builders of the rest.

    ``build`` moves one view from ``later`` into ``bundle``; a builder that
    fails leaves an empty view whose note says why, never a half-drawn one.
    """

    bundle: GraphBundle
    offers: Offers
    later: dict[str, LazyView] = field(default_factory=dict)
    #: View name -> why it could not be built.
    errors: dict[str, str] = field(default_factory=dict)
    #: View name -> seconds its builder took (for the bench and the status line).
    seconds: dict[str, float] = field(default_factory=dict)
    #: View name -> every node's value on the cell's inputs (``ViewValues``);
    #: None when the frontend computes no values. Called only when the user asks.
    values: Callable[[str], ViewValues] | None = field(default=None, repr=False)
    #: ``Target.effects`` of the traced target.
    effects: str = ""

    def pending(self) -> list[str]:
        return list(self.later)

    def build(self, view: str) -> bool:
        """Build ``view`` if it is pending; True when it was."""
        lazy = self.later.pop(view, None)
        if lazy is None:
            return False
        start = time.perf_counter()
        try:
            result = lazy.build()
        except TraceError as error:
            self._failed(view, str(error))
        except Exception as error:  # a builder bug must not cost the other views
            self._failed(view, f"could not build this view: {type(error).__name__}: {error}")
        else:
            self._merge(view, result)
        self.seconds[view] = time.perf_counter() - start
        return True

    def build_all(self) -> None:
        for view in list(self.later):
            self.build(view)

    def _failed(self, view: str, message: str) -> None:
        self.errors[view] = message
        self.bundle.views[view] = Graph(notes=[message])

    def _merge(self, view: str, result: ViewResult) -> None:
        bundle = self.bundle
        bundle.views[view] = result.graph
        bundle.rewrites += result.rewrites
        if result.start is not None:
            bundle.rewrite_start[view] = result.start
        bundle.notes += [n for n in result.notes if n not in bundle.notes]
        bundle.info.update(result.info)


class Frontend(Protocol):
    """One framework's plug-in; see ``docs/architecture.md``, "Adding a framework"."""

    #: The key graphs carry (``GraphBundle.framework``), e.g. ``"pytensor"``.
    framework: str
    #: Shown to the user, e.g. ``"PyTensor"``.
    title: str

    def observe(self) -> AbstractContextManager[Any]:
        """A context manager active while the cell runs (may record calls)."""
        ...

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        """Targets among ``changed`` (name -> new value), one per graph.

        A value that is part of another target's graph is not a target of
        its own: it is drawn inside that graph, under its name.
        """
        ...

    def target_for_call(self, name: str, value: Any) -> Target | None:
        """A target for ``%%tgraph name(args)`` when ``targets`` found none."""
        ...

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        """Inputs and types among ``changed`` that are not part of a target."""
        ...

    def trace(self, target: Target, options: Options, cell: CellInfo) -> Traced:
        """The graph as written now, the other views as ``LazyView`` builders.

        Must be cheap (the user's cell waits for it): build in the cell only
        what costs little. Raises ``TraceError`` with a reason for the user.
        """
        ...

    def hint(self, error: BaseException) -> str | None:
        """A one-line modern replacement for a removed feature, if known."""
        ...

    def devices(self) -> Devices:
        """Devices and backends this framework can run on here (may be slow)."""
        ...

    def time(
        self, target: Target, options: Options, devices: Devices, clock: Clock
    ) -> TimingResult:
        """One timing row; raises ``TimingError`` or ``DeviceError`` with a reason."""
        ...

    def profile(self, target: Target, options: Options, devices: Devices) -> ProfileResult:
        """Seconds per node of one call; raises ``TimingError`` with a reason."""
        ...


class FrontendBase:
    """A frontend with a working default for every optional capability.

    A plug-in subclasses it and writes only what its framework needs:
    ``framework``, ``title``, ``targets`` and ``trace``, plus ``call`` to be
    timed. The defaults: nothing observed while the cell runs, no
    ``%%tgraph name(args)`` form, no declared inputs, no hints, the host CPU
    as the only device, timing of ``call`` on it in Python, and no per-node
    profile (the timing panel says so). Override any of them to do more.
    """

    framework: str = ""
    title: str = ""
    #: The timing row's backend column for ``call``'s runs.
    backend = "python"

    def observe(self) -> AbstractContextManager[Any]:
        return nullcontext()

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        raise NotImplementedError(f"{type(self).__name__} must find its targets")

    def target_for_call(self, name: str, value: Any) -> Target | None:
        return None

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        return []

    def trace(self, target: Target, options: Options, cell: CellInfo) -> Traced:
        raise NotImplementedError(f"{type(self).__name__} must trace its targets")

    def hint(self, error: BaseException) -> str | None:
        return None

    def call(self, target: Target) -> Callable[[], Any] | None:
        """A function that runs ``target`` once on its inputs, or None when it cannot run."""
        return None

    def devices(self) -> Devices:
        return Devices([Device("cpu", 0, "host CPU")], [], f"{self.title} runs on the host only")

    def time(
        self, target: Target, options: Options, devices: Devices, clock: Clock
    ) -> TimingResult:
        """``call``'s runs on the host, within the budget; a row saying why when it cannot run."""
        device = devices.resolve(options.device)
        run = self.call(target)
        if run is None:
            raise TimingError(f"{self.title} cannot run {target.name} here")
        result = TimingResult(target.name, self.framework, device.name, self.backend)
        result.budget_s = options.budget
        result.fill(
            measure(run, options.budget, clock=clock, max_calls=options.max_calls or MAX_CALLS)
        )
        return result

    def profile(self, target: Target, options: Options, devices: Devices) -> ProfileResult:
        raise TimingError(f"{self.title} has no per-node profile")


if TYPE_CHECKING:  # mypy checks here that FrontendBase keeps the Frontend protocol
    _CONFORMS: type[Frontend] = FrontendBase

#: What ``Traced.values`` answers for a framework whose frontend computes none.
NO_VALUES = "values not available for this framework"


def values_of(traced: Traced, view: str) -> ViewValues:
    """The values of ``view`` through the frontend's ``Traced.values``, or why none.

    A frontend that offers no values leaves ``values`` unset, and a builder
    that fails says so in ``error``: neither may cost the user the graph.
    """
    compute = traced.values
    if compute is None:
        return ViewValues(view, error=NO_VALUES)
    if traced.effects:  # values run the program node by node, its callbacks too
        return ViewValues(view, error=f"values not computed: {traced.effects}")
    start = time.perf_counter()
    try:
        found = compute(view)
    except TraceError as error:
        found = ViewValues(view, error=str(error))
    except Exception as error:
        found = ViewValues(view, error=f"could not compute values: {type(error).__name__}: {error}")
    found.seconds = time.perf_counter() - start
    return found
