"""Values on the graph: what the inspector shows of a node's value, for any framework.

Frontends compute the values of each node of a view (on the cell's last
call, or made-up inputs) and hand them here as ``ViewValues``; this module
summarises them (never the whole tensor), compares the graph as written
with the optimized one, and finds the first non-finite node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .graph import Graph
from .messages import DifferenceJSON, NonFiniteJSON, ValueJSON, ViewValuesJSON

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
    #: A constant, or computed from constants alone: never the first non-finite node.
    constant: bool = False

    @property
    def finite(self) -> bool:
        return not self.error and self.nan == 0 and self.inf == 0

    def to_json(self) -> ValueJSON:
        found: ValueJSON = {
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
        if self.constant:
            found["constant"] = True
        return found


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


def _from_constants(graph: Graph, inputs_of: dict[str, list[str]]) -> set[str]:
    """Constants, and ops whose every input is one or comes from constants alone
    (an ``ExpandDims`` of PyMC's ``-inf``): the same on any inputs."""
    found = {n.id for n in graph.nodes if n.kind == "constant"}
    for node in graph.nodes:  # producers come before their users
        sources = inputs_of.get(node.id)
        if node.kind == "op" and sources and all(s in found for s in sources):
            found.add(node.id)
    return found


def arrange(values: ViewValues, graph: Graph) -> ViewValues:
    """Order, labels and inputs of ``values`` read from the drawn view itself.

    The model lists producers before their users, and an inner graph right
    after the op that owns it, so the view's own node order is a
    topological order for any framework.
    """
    values.labels = {n.id: n.name or n.label for n in graph.nodes}
    for edge in graph.edges:
        sources = values.inputs_of.setdefault(edge.dst, [])
        if edge.src not in sources:
            sources.append(edge.src)
    fixed = _from_constants(graph, values.inputs_of)
    for node_id in fixed:
        if node_id in values.nodes:
            values.nodes[node_id].constant = True
    # A constant is not computed: an intended -inf (a max's start, a support
    # bound a switch selects away) is no fault, nor an op on constants alone.
    values.order = [n.id for n in graph.nodes if n.id in values.nodes and n.id not in fixed]
    parents = {s.id: s.parent for s in graph.subgraphs}
    owner = {n.attrs["subgraph"]: n.id for n in graph.nodes if "subgraph" in n.attrs}
    for node in graph.nodes:
        summary = values.nodes.get(node.id)
        if summary is None or summary.finite or summary.error or node.kind != "op":
            continue
        if node.id in fixed:
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
