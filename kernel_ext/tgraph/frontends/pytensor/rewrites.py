"""Recording PyTensor's real rewrite pipeline as it runs.

The optimized view must show what the compiler did, not a guess. A function
the cell compiles is recorded while PyTensor rewrites it: for the cell's
duration ``FunctionMaker.prepare_fgraph`` attaches a ``Feature`` that sees
every replacement, and detaches it before linking, so the compiled function
is the one PyTensor would have built anyway and nothing is rewritten twice.
Other graphs (symbolic variables, gradients) run the mode's own rewriter on
a ``FunctionGraph`` built the way ``FunctionMaker`` builds it, without
linking (Numba's JIT, seconds per function): it changes no node.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytensor
from pytensor.compile.aliasing import insert_deepcopy
from pytensor.compile.maker import FunctionMaker
from pytensor.compile.mode import Mode
from pytensor.compile.rebuild import construct_function_ins_and_outs
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.features import Feature
from pytensor.graph.fg import FunctionGraph, Output
from pytensor.graph.rewriting.basic import SequentialGraphRewriter, SequentialNodeRewriter

from ...graph import Rewrite
from .labels import describe, pass_name

if TYPE_CHECKING:
    from .explain import Explained

# Bookkeeping that rewrites every graph without changing what it computes
# (a revert undoes a rewrite that failed validation).
_NOISE_NAMES = (
    "merge",
    "constant_folding",
    "inplace",
    "adddestroyhandler",
    "deepcopy",
    "revert",
)
_REVERT = "Revert"
_VERBOSE_PREFIX = "rewriting: rewrite "
_VERBOSE_MEMBER = " replaces node "


def explain(name: str) -> Explained:
    """What the rewrite ``name`` is (imported here: it reads ``optdb``, which
    imports every rewrite module)."""
    from .explain import explain as read

    return read(name)


def is_noise(name: str) -> bool:
    low = name.lower()
    return any(key in low for key in _NOISE_NAMES)


class _VerboseMembers(io.TextIOBase):
    """Reads ``optimizer_verbose`` output to learn which member of a grouped
    rewriter fired: the Feature only sees the group object as ``reason``.

    It takes all of stdout while PyTensor rewrites, so verbose mode (which
    also prints reverted rewrites' reasons) never reaches the cell.
    """

    def __init__(self) -> None:
        self.member: str | None = None

    def write(self, text: str) -> int:
        if text.startswith(_VERBOSE_PREFIX) and _VERBOSE_MEMBER in text:
            self.member = text[len(_VERBOSE_PREFIX) : text.index(_VERBOSE_MEMBER)]
        return len(text)


# Verbose mode also warns about every fusion it cannot do; only those are hidden.
_VERBOSE_WARNINGS = r"Loop fusion interrupted"

_SEQUENCE_APPLY = SequentialGraphRewriter.apply.__code__


def _current_pass() -> str:
    """The member of the outermost ``SequentialGraphRewriter`` running now.

    Read from the interpreter's frames, so no rewriter object is wrapped or
    changed: the compile stays exactly PyTensor's.
    """
    frame: Any = sys._getframe(1)
    outer = None
    while frame is not None:
        if frame.f_code is _SEQUENCE_APPLY:
            outer = frame
        frame = frame.f_back
    if outer is None:
        return ""
    return pass_name(outer.f_locals.get("rewriter"))


@dataclass
class Change:
    """One input of one node pointed at a new variable, by rewrite ``step``."""

    step: int
    node: Apply
    slot: int
    new: Variable


@dataclass
class History:
    """Enough to rebuild the graph after any step. Rewrites edit nodes in
    place, so each node's inputs are kept as first seen and replayed."""

    inputs: dict[Apply, tuple[Variable, ...]] = field(default_factory=dict)
    outputs: list[Variable] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # Bookkeeping rebuilds (inplace, recast constants): old node -> its rebuild,
    # which the stepper treats as the same node.
    rebuilt: dict[Apply, Apply] = field(default_factory=dict)

    def replay(
        self, cuts: list[int]
    ) -> Iterator[tuple[dict[Apply, list[Variable]], list[Variable]]]:
        """The graph after the first ``cut`` changes, for each (sorted) cut:
        node -> inputs (nodes not in it have their first-seen inputs), and
        the outputs. Both are reused: read them before the next step."""
        edited: dict[Apply, list[Variable]] = {}
        outputs = list(self.outputs)
        done = 0
        for cut in cuts:
            for change in self.changes[done:cut]:
                if isinstance(change.node.op, Output):
                    outputs[change.node.op.idx] = change.new
                else:
                    node = change.node
                    edited.setdefault(node, list(self.inputs[node]))[change.slot] = change.new
            done = cut
            yield edited, outputs

    def cuts(self, rewrites: list[Rewrite], cap: int) -> dict[int, int]:
        """Step -> how many changes its snapshot includes, for the real steps
        (at most ``cap``: the first ones and the last). Bookkeeping and
        skipped steps fold into the next snapshot; trailing ones into the
        last, so that it is the final graph."""
        real = [r.step for r in rewrites if not r.noise]
        shown = set(real if len(real) <= cap else real[: cap - 1] + real[-1:])
        cuts: dict[int, int] = {}
        open_step: int | None = None
        for index, change in enumerate(self.changes):
            if open_step is not None and change.step != open_step:
                cuts[open_step] = index
            open_step = change.step if change.step in shown else None
        if open_step is not None:
            cuts[open_step] = len(self.changes)
        if cuts:
            cuts[max(cuts, key=cuts.__getitem__)] = len(self.changes)
        return cuts


@dataclass
class Recorded:
    """The rewritten graph with what each rewrite did to it."""

    fgraph: FunctionGraph
    rewrites: list[Rewrite] = field(default_factory=list)
    # Node of the final graph -> index in ``rewrites`` of the rewrite that made it.
    created_by: dict[Apply, int] = field(default_factory=dict)
    history: History = field(default_factory=History)
    # Every node seen -> the nodes of the graph before any rewrite it stands
    # for: a rewrite's new nodes stand for what the variable they replace stood for.
    origins: dict[Apply, frozenset[Apply]] = field(default_factory=dict)


class RewriteRecorder(Feature):
    """Snapshots each replacement as it happens: nodes are edited in place
    later, so text must be taken inside the callback."""

    def __init__(self, members: _VerboseMembers | None = None) -> None:
        self.members = members or _VerboseMembers()
        self.rewrites: list[Rewrite] = []
        self.created_by: dict[Apply, int] = {}
        self._pending: list[Apply] = []
        self._seen: dict[tuple[int, int, str], int] = {}
        self.history = History()
        self.origins: dict[Apply, frozenset[Apply]] = {}
        # node -> the batch of imports it came in; a batch ends at the first change
        self._born: dict[Apply, int] = {}
        self._batch = 0
        self._changed = False

    def _name(self, reason: Any) -> str:
        if isinstance(reason, str):
            return reason
        if isinstance(reason, tuple) and reason[:1] == (_REVERT,):
            return f"revert {self._name(reason[1])}"
        if isinstance(reason, SequentialNodeRewriter) and not hasattr(reason, "__name__"):
            return self.members.member or type(reason).__name__
        text = str(reason)
        return text if len(text) <= 60 and "(" not in text else type(reason).__name__

    def recorded(self, fgraph: FunctionGraph) -> Recorded:
        """What was recorded, with credits only for nodes still in ``fgraph``."""
        alive = set(fgraph.apply_nodes)
        created = {node: step for node, step in self.created_by.items() if node in alive}
        return Recorded(fgraph, self.rewrites, created, self.history, self.origins)

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self.history.inputs = {node: tuple(node.inputs) for node in fgraph.apply_nodes}
        self.history.outputs = list(fgraph.outputs)
        self.origins = {node: frozenset((node,)) for node in fgraph.apply_nodes}

    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: Any) -> None:
        if self._changed:  # the first node of the next rewrite
            self._batch += 1
            self._changed = False
        self._born[node] = self._batch
        self._pending.append(node)
        self.history.inputs.setdefault(node, tuple(node.inputs))

    def on_change_input(
        self,
        fgraph: FunctionGraph,
        node: Any,
        i: int,
        r: Variable,
        new_r: Variable,
        reason: Any = None,
    ) -> None:
        name = self._name(reason)
        # A variable with several clients is replaced once per client.
        key = (id(r), id(new_r), name)
        step = self._seen.get(key)
        if step is None:
            replaced, replacement = describe(r), describe(new_r)
            same = describe(r, 3, False) == describe(new_r, 3, False)
            noise = is_noise(name) or same
            step = len(self.rewrites)
            self._seen[key] = step
            rw = Rewrite(step, name, replaced, replacement, noise, pass_name=_current_pass())
            about = explain(name)
            rw.doc, rw.passes = about.doc, list(about.passes)
            rw.module, rw.line = about.module, about.line
            self.rewrites.append(rw)
            if isinstance(reason, tuple) and reason[:1] == (_REVERT,):
                # Undone, as if it never fired.
                undone = self._seen.get((id(new_r), id(r), self._name(reason[1])))
                if undone is not None:
                    self.rewrites[undone].noise = True
        self.history.changes.append(Change(step, node, i, new_r))
        self._inherit(r, new_r)
        old, rebuilt = r.owner, new_r.owner
        if self.rewrites[step].noise and old is not None and rebuilt in self._pending:
            assert rebuilt is not None
            if type(rebuilt.op) is type(old.op) and r not in rebuilt.inputs:
                self.history.rebuilt[old] = rebuilt
        if not self.rewrites[step].noise:
            for created in self._pending:
                self.created_by[created] = step
        elif r.owner in self.created_by and new_r.owner is not None:
            # Bookkeeping (inplace, merge) that rebuilds a node keeps the
            # credit of the rewrite that made it; it creates nothing itself.
            self.created_by[new_r.owner] = self.created_by[r.owner]
        self._pending.clear()

    def _inherit(self, r: Variable, new_r: Variable) -> None:
        """What ``r`` stood for passes to the nodes made to replace it; nodes
        made once for several replacements (a fusion's outputs, replaced one
        by one after its nodes were imported) stand for all of theirs."""
        self._changed = True
        came = self.origins.get(r.owner, frozenset()) if r.owner is not None else frozenset()
        todo = [new_r.owner]
        seen: set[Apply] = set()
        while todo:
            node = todo.pop()
            if node is None or node in seen or self._born.get(node) != self._batch:
                continue
            seen.add(node)
            self.origins[node] = self.origins.get(node, frozenset()) | came
            todo.extend(v.owner for v in node.inputs)


def rewrite(
    inputs: list[Any],
    outputs: list[Variable],
    mode: Mode,
    updates: list[tuple[Variable, Variable]] | None = None,
    givens: list[tuple[Variable, Variable]] | None = None,
    no_default_updates: bool = False,
) -> Recorded:
    """Run ``mode``'s rewrites as ``pytensor.function`` would, without linking.

    ``no_default_updates`` leaves out the updates shared variables carry
    (a random stream's generator): a gradient graph has none of its own.
    """
    ins, outs = construct_function_ins_and_outs(
        list(inputs),
        list(outputs),
        updates=updates or [],
        givens=givens or [],
        no_default_updates=no_default_updates,
    )
    in_specs = [FunctionMaker.wrap_in(i) for i in ins]
    out_specs = [FunctionMaker.wrap_out(o) for o in outs]
    fgraph, found_updates = FunctionMaker.create_fgraph(in_specs, out_specs)
    recorder = RewriteRecorder(_VerboseMembers())
    fgraph.attach_feature(recorder)
    flags = pytensor.config.change_flags(
        mode=mode,
        traceback__limit=pytensor.config.traceback__compile_limit,
        optimizer_verbose=True,
    )
    try:
        with flags, contextlib.redirect_stdout(recorder.members), warnings.catch_warnings():
            warnings.filterwarnings("ignore", _VERBOSE_WARNINGS)
            mode.optimizer.rewrite(fgraph)
            insert_deepcopy(fgraph, in_specs, out_specs + found_updates)
    finally:
        fgraph.remove_feature(recorder)
    return recorder.recorded(fgraph)


# -- the cell's own compiles ---------------------------------------------------

# The rewrites of each function the cell compiled, keyed weakly by the
# function's ``FunctionGraph`` (``Function.maker.fgraph``): a record lives
# exactly as long as its function.
_COMPILED: weakref.WeakKeyDictionary[FunctionGraph, Recorded] = weakref.WeakKeyDictionary()


def compiled_record(fn: Any) -> Recorded | None:
    """The rewrites recorded while the cell compiled ``fn``, if it did."""
    maker = getattr(fn, "maker", None)
    fgraph = getattr(maker, "fgraph", None)
    return _COMPILED.get(fgraph) if fgraph is not None else None


@contextlib.contextmanager
def recording_compiles() -> Iterator[None]:
    """Record the rewrites of every ``function`` compiled inside the block.

    Only the outermost compile is recorded (Scan compiles its inner graphs
    while linking). The Feature is attached for the rewrite and removed
    before linking; ``optimizer_verbose`` prints only into the recorder.
    """
    original = FunctionMaker.__dict__["prepare_fgraph"]
    prepare = original.__func__
    depth = [0]

    def recorded_prepare(
        inputs: Any, outputs: Any, additional_outputs: Any, fgraph: FunctionGraph,
        mode: Mode, profile: Any,
    ) -> Any:  # fmt: skip
        if depth[0]:
            return prepare(inputs, outputs, additional_outputs, fgraph, mode, profile)
        recorder = RewriteRecorder(_VerboseMembers())
        fgraph.attach_feature(recorder)
        depth[0] += 1
        try:
            with (
                pytensor.config.change_flags(optimizer_verbose=True),
                contextlib.redirect_stdout(recorder.members),
                warnings.catch_warnings(),
            ):
                warnings.filterwarnings("ignore", _VERBOSE_WARNINGS)
                result = prepare(inputs, outputs, additional_outputs, fgraph, mode, profile)
        finally:
            depth[0] -= 1
            fgraph.remove_feature(recorder)
        _COMPILED[fgraph] = recorder.recorded(fgraph)
        return result

    FunctionMaker.prepare_fgraph = staticmethod(recorded_prepare)
    try:
        yield
    finally:
        FunctionMaker.prepare_fgraph = original
