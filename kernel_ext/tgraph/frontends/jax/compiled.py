"""The compiled view of a JAX target: XLA's optimized HLO, with its costs and collectives."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

from ...protocol import CellInfo, TraceError, ViewResult
from ...quiet import quiet
from .._jaxconfig import jax_flags_kept
from . import sharding as sh
from .costs import cost_note, costs
from .gradient import first_lines
from .hlo import hlo_graph
from .hlo_groups import place
from .jaxpr import JaxprConverter, linker
from .mesh import Layout, output_shardings
from .programs import Run
from .timing import compile_cache_misses


def optimized_view(
    name: str,
    traced_run: Run,
    device: Any,
    cell: CellInfo,
    conv: JaxprConverter,
    layout: Layout | None = None,
) -> ViewResult:
    with jax_flags_kept(), quiet():
        misses = compile_cache_misses()
        try:
            lowered = traced_run.traced.lower()
            compiled = lowered.compile()
        except Exception as error:
            raise TraceError(
                f"JAX could not compile {name}: {type(error).__name__}: {first_lines(error)}"
            ) from None
        reused = misses is not None and compile_cache_misses() == misses
        hlo_text = compiled_text(compiled)
        with _collector_paused():
            optimized, module = hlo_graph(hlo_text, cell.filename, cell.code, linker(conv.index))
            place(optimized, conv.graph)
        fusions = [s for s in optimized.subgraphs if s.kind == "fusion"]
        parts = sh.partitions(hlo_text)
        if parts > 1 or layout is not None:
            where = f"{parts} devices" if layout is None else layout.mesh.note()
            optimized.notes.append(
                f"XLA's SPMD program for one device of {parts} ({where}): shapes are "
                f"per shard; {len(fusions)} fusions."
            )
        else:
            optimized.notes.append(f"XLA {device.platform} ({device}): {len(fusions)} fusions.")
        if reused:
            optimized.notes.append(
                "the executable the cell's own call compiled (found in JAX's compile cache)"
            )
        cost, memory = costs(compiled)
        if cost or memory:
            optimized.notes.append(cost_note(cost, memory))
        info: dict[str, Any] = {
            "stablehlo": lowered.as_text(),
            "hlo": hlo_text,
            "hlo_module": module.name,
            "cost": cost,
            "memory": memory,
        }
        if parts > 1 or layout is not None:
            talk = sh.communication(module, hlo_text)
            optimized.notes.insert(1, talk.note())
            info["communication"] = talk.text()
            info["collectives"] = talk.to_json()
            if layout is not None:
                outs = output_shardings(compiled)
                sh.annotate_boundaries(conv.graph, [], [*layout.outputs_or(outs)])
    return ViewResult(optimized, info=info)


def compiled_text(compiled: Any) -> str:
    """XLA's optimized HLO of ``compiled``: where the compiled view's text enters.

    The one place the view reads the program XLA made, so a test can hand it
    the text a GPU made and check how that program is drawn on any machine.
    """
    return compiled.as_text() or ""


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while the view's objects are made.

    A 96-layer step is 44,000 instructions: making their nodes and edges
    starts one full collection after another over everything the kernel
    holds (JAX's own objects are most of it), a third of the build. Little of
    what it makes is garbage; the collector runs as before once it is done.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def node_ids(text: str) -> dict[str, str]:
    """HLO instruction name -> node id of the optimized view built from ``text``."""
    graph, _ = hlo_graph(text, "", "", lambda _where: [])
    ids = {s.attrs["hlo"]: s.id for s in graph.subgraphs if "hlo" in s.attrs}
    for node in graph.nodes:
        if node.name and node.parent is None:
            ids.setdefault(node.name, node.id)
    return ids
