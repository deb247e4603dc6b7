"""The frontend protocol: how tgraph asks a framework for its graphs.

A frontend is a plug-in for one framework (PyTensor, JAX, or a third party's)
registered in the entry-point group ``tgraph.frontends``; the entry point's
name is the top-level module the framework is imported as. A frontend is
the only place that imports its framework. It owns everything about it:
finding targets among a cell's variables, drawing its views, the gradient,
made-up inputs, devices, timing and profiling calls. The rest of tgraph
(magic, runner, widget, registry) speaks only this protocol and the graph
model, and never branches on a framework's name.

Views are lazy: ``trace`` returns at once with what is cheap (always the
graph as written) and names the rest with a builder each, which the kernel
runs when the user asks or when it is otherwise idle.
"""

from __future__ import annotations

import functools
import importlib.abc
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..graph import Graph, GraphBundle, Rewrite
from ..messages import (
    DifferenceJSON,
    NonFiniteJSON,
    OffersJSON,
    ValueJSON,
    ViewValuesJSON,
)

if TYPE_CHECKING:
    from ..devices import Devices
    from ..profile import ProfileResult
    from ..timing import Clock, TimingResult

ENTRY_POINT_GROUP = "tgraph.frontends"


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


def frontend_for(framework: str) -> Frontend | None:
    """The loaded frontend whose graphs carry ``framework``, if any."""
    return next((f for f in loaded_frontends() if f.framework == framework), None)


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


# -- values on the graph ---------------------------------------------------------

#: Elements a value's preview shows; a big tensor is summarised, never copied whole.
PREVIEW = 6
#: Relative difference under which two results count as the same float result.
FLOAT_TOLERANCE = 1e-6


@dataclass
class ValueSummary:
    """What the inspector shows of one node's value: never the whole tensor."""

    shape: list[int] = field(default_factory=list)
    dtype: str = ""
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    nan: int = 0
    inf: int = 0
    preview: str = ""
    #: Why this node has no value (an op without a Python implementation...).
    error: str = ""

    @property
    def finite(self) -> bool:
        return not self.error and self.nan == 0 and self.inf == 0

    def to_json(self) -> ValueJSON:
        return {
            "shape": list(self.shape),
            "dtype": self.dtype,
            "min": self.min,
            "max": self.max,
            "mean": self.mean,
            "nan": self.nan,
            "inf": self.inf,
            "preview": self.preview,
            "error": self.error,
        }


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def summarize(value: Any) -> ValueSummary:
    """Shape, dtype, min, max, mean, NaN/inf counts and a few elements of ``value``.

    Min, max and mean are over the finite elements, so one NaN does not
    hide the range of the rest; the counts say what was left out.
    """
    try:
        array = np.asarray(value)
    except Exception as error:  # a generator, a Python object...
        if isinstance(value, list | tuple):  # a typed list of arrays of several shapes
            items = ", ".join(summarize(v).preview for v in value[:PREVIEW])
            more = ", …" if len(value) > PREVIEW else ""
            return ValueSummary([len(value)], type(value).__name__, preview=f"[{items}{more}]")
        return ValueSummary(error=f"{type(value).__name__}: {error}")
    if array.dtype == object:
        return ValueSummary(list(array.shape), "object", preview=_preview(array, False))
    summary = ValueSummary(list(array.shape), array.dtype.name)
    numeric = array.dtype.kind in "biufc"
    summary.preview = _preview(array, numeric)
    if not numeric or array.size == 0:
        return summary
    real = array.real if array.dtype.kind == "c" else array
    if real.dtype.kind == "f":
        nan = np.isnan(array)
        inf = np.isinf(array)
        summary.nan, summary.inf = int(nan.sum()), int(inf.sum())
        real = real[~(nan | inf)] if summary.nan or summary.inf else real
    if real.size:
        summary.min, summary.max = _number(real.min()), _number(real.max())
        summary.mean = _number(real.astype(np.float64).mean())
    return summary


def _preview(array: Any, numeric: bool) -> str:
    flat = array.reshape(-1)
    head = flat[:PREVIEW]
    items = [_text(x) if numeric else str(x)[:20] for x in head.tolist()]
    more = ", …" if flat.size > PREVIEW else ""
    text = ", ".join(items)
    return text if array.ndim == 0 else f"[{text}{more}]"


def _text(x: Any) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, complex):
        return f"{x.real:.4g}{x.imag:+.4g}j"
    return format(x, ".4g") if isinstance(x, float) else str(x)


@dataclass
class NonFinite:
    """The earliest node, in topological order, whose value has a NaN or an inf."""

    node: str
    label: str
    #: Names of its inputs whose values were all finite, and of those that were not.
    finite_inputs: list[str] = field(default_factory=list)
    nonfinite_inputs: list[str] = field(default_factory=list)
    #: The first such node inside its inner graph (a fused Composite...), if any.
    inner: str = ""
    inner_label: str = ""

    def reading(self, summary: ValueSummary) -> str:
        counts = []
        if summary.nan:
            counts.append(f"{summary.nan} NaN")
        if summary.inf:
            counts.append(f"{summary.inf} inf")
        text = f"{self.label} is the first node with a non-finite value ({', '.join(counts)})"
        if self.inner_label:
            text += f", from {self.inner_label} inside it"
        if len(self.finite_inputs) == 1:
            text += f"; its input {self.finite_inputs[0]} was finite"
        elif self.finite_inputs:
            text += f"; its inputs {', '.join(self.finite_inputs)} were finite"
        if self.nonfinite_inputs:
            text += f"; not finite already: {', '.join(self.nonfinite_inputs)}"
        return text

    def to_json(self, summary: ValueSummary) -> NonFiniteJSON:
        return {
            "node": self.node,
            "label": self.label,
            "finite_inputs": list(self.finite_inputs),
            "nonfinite_inputs": list(self.nonfinite_inputs),
            "inner": self.inner,
            "inner_label": self.inner_label,
            "reading": self.reading(summary),
        }


@dataclass
class OutputDifference:
    """One output evaluated as written and as optimized, on the same inputs."""

    output: str
    original: ValueSummary
    optimized: ValueSummary
    abs_diff: float | None = None
    rel_diff: float | None = None
    #: Rewrites whose own replacement changed the numbers, most first.
    rewrites: list[str] = field(default_factory=list)
    reading: str = ""

    def to_json(self) -> DifferenceJSON:
        return {
            "output": self.output,
            "original": self.original.to_json(),
            "optimized": self.optimized.to_json(),
            "abs_diff": self.abs_diff,
            "rel_diff": self.rel_diff,
            "rewrites": list(self.rewrites),
            "reading": self.reading,
        }


def difference(a: Any, b: Any) -> tuple[float | None, float | None, str]:
    """Largest absolute and relative difference of two results, and a word on NaNs.

    The relative difference is taken against the larger magnitude of the
    two, so 0 against 1e-20 reads 1 (all of it), not infinity.
    """
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return None, None, f"the shapes differ: {x.shape} and {y.shape}"
    if x.dtype.kind not in "biufc" or y.dtype.kind not in "biufc" or x.size == 0:
        same = bool(np.array_equal(x, y))
        return (0.0, 0.0, "") if same else (None, None, "the values differ")
    wide = np.complex128 if "c" in x.dtype.kind + y.dtype.kind else np.float64
    x, y = x.astype(wide), y.astype(wide)
    bad_x, bad_y = ~np.isfinite(x), ~np.isfinite(y)
    note = ""
    if (bad_x != bad_y).any():
        note = "one of them is not finite where the other is"
    both = ~(bad_x | bad_y)
    if not both.any():
        return 0.0, 0.0, note
    gap = np.abs(x[both] - y[both])
    scale = np.maximum(np.abs(x[both]), np.abs(y[both]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, gap / np.where(scale > 0, scale, 1), 0.0)
    return float(gap.max()), float(rel.max()), note


def reading(diff: OutputDifference, note: str = "") -> str:
    """The comparison in plain words, for the Rewrites tab."""
    name = diff.output
    if diff.abs_diff is None and diff.rel_diff is None:
        return f"{name}: {note or 'could not be compared'}"
    rel = diff.rel_diff or 0.0
    if not note and rel <= FLOAT_TOLERANCE:
        return (
            f"{name}: the graph as written and the optimized graph agree within float "
            f"tolerance (largest relative difference {rel:.3g})"
        )
    text = (
        f"{name}: the rewrites changed the result: as written {diff.original.preview}, "
        f"optimized {diff.optimized.preview} (largest absolute difference "
        f"{diff.abs_diff:.3g}, relative {rel:.3g})"
    )
    if note:
        text += f"; {note}"
    if diff.rewrites:
        names = ", ".join(diff.rewrites)
        many = len(diff.rewrites) > 1
        text += f". The rewrite{'s' if many else ''} that changed it: {names}"
    return text


@dataclass
class ViewValues:
    """Every node's value in one view, on one set of inputs, and what stands out."""

    view: str
    #: Which inputs, in words ("the cell's last call", "made-up inputs").
    inputs: str = ""
    made_up: bool = False
    nodes: dict[str, ValueSummary] = field(default_factory=dict)
    #: Node ids in the order they were evaluated (topological).
    order: list[str] = field(default_factory=list)
    #: Node id -> the ids feeding it (for the inputs a NaN came from).
    inputs_of: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: Node id -> the first non-finite node inside its inner graph.
    inner_first: dict[str, str] = field(default_factory=dict)
    #: Original against optimized, per output (only the optimized view has them).
    differences: list[OutputDifference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    def first_nonfinite(self) -> NonFinite | None:
        for node in self.order:
            summary = self.nodes.get(node)
            if summary is None or summary.error or summary.finite:
                continue
            found = NonFinite(node, self.labels.get(node, node))
            for source in self.inputs_of.get(node, []):
                label = self.labels.get(source, source)
                value = self.nodes.get(source)
                if value is not None and value.finite:
                    found.finite_inputs.append(label)
                elif value is not None and not value.error:
                    found.nonfinite_inputs.append(label)
            inner = self.inner_first.get(node)
            if inner:
                found.inner, found.inner_label = inner, self.labels.get(inner, inner)
            return found
        return None

    def to_json(self) -> ViewValuesJSON:
        first = self.first_nonfinite()
        return {
            "view": self.view,
            "inputs": self.inputs,
            "made_up": self.made_up,
            "nodes": {k: v.to_json() for k, v in self.nodes.items()},
            "first_nonfinite": first.to_json(self.nodes[first.node]) if first else None,
            "differences": [d.to_json() for d in self.differences],
            "notes": list(self.notes),
            "error": self.error,
            "seconds": round(self.seconds, 4),
        }


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
    start = time.perf_counter()
    try:
        found = compute(view)
    except TraceError as error:
        found = ViewValues(view, error=str(error))
    except Exception as error:
        found = ViewValues(view, error=f"could not compute values: {type(error).__name__}: {error}")
    found.seconds = time.perf_counter() - start
    return found


def arrange(values: ViewValues, graph: Graph) -> ViewValues:
    """Order, labels and inputs of ``values`` read from the drawn view itself.

    The model lists producers before their users, and an inner graph right
    after the op that owns it, so the view's own node order is a
    topological order for any framework.
    """
    # A constant is not computed: an intended -inf (a max's start) is no fault.
    values.order = [n.id for n in graph.nodes if n.id in values.nodes and n.kind != "constant"]
    values.labels = {n.id: n.name or n.label for n in graph.nodes}
    for edge in graph.edges:
        sources = values.inputs_of.setdefault(edge.dst, [])
        if edge.src not in sources:
            sources.append(edge.src)
    parents = {s.id: s.parent for s in graph.subgraphs}
    owner = {n.attrs["subgraph"]: n.id for n in graph.nodes if "subgraph" in n.attrs}
    for node in graph.nodes:
        summary = values.nodes.get(node.id)
        if summary is None or summary.finite or summary.error or node.kind != "op":
            continue
        sub = node.parent
        while sub is not None:
            holder = owner.get(sub)
            if holder is not None:
                values.inner_first.setdefault(holder, node.id)
            sub = parents.get(sub)
    for holder, inner in values.inner_first.items():
        # Nested inner graphs (a fused loop around a Composite): name the deepest.
        while inner in values.inner_first:
            inner = values.inner_first[inner]
        values.inner_first[holder] = inner
    return values
