"""XLA's own estimate of a compiled program: flops, bytes and memory, for the notes."""

from __future__ import annotations

from typing import Any


def costs(compiled: Any) -> tuple[dict[str, float], dict[str, int]]:
    """XLA's cost and memory analysis of a compiled program (either may be absent)."""
    cost: dict[str, float] = {}
    try:
        analysis = compiled.cost_analysis()
        if isinstance(analysis, (list, tuple)):
            analysis = analysis[0] if analysis else {}
        for key in ("flops", "transcendentals", "bytes accessed", "optimal_seconds"):
            if key in analysis:
                cost[key] = float(analysis[key])
    except Exception:
        pass
    memory: dict[str, int] = {}
    try:
        stats = compiled.memory_analysis()
        for key, attr in (
            ("argument", "argument_size_in_bytes"),
            ("output", "output_size_in_bytes"),
            ("temp", "temp_size_in_bytes"),
            ("alias", "alias_size_in_bytes"),
            ("code", "generated_code_size_in_bytes"),
            ("peak", "peak_memory_in_bytes"),
        ):
            if hasattr(stats, attr):
                memory[key] = int(getattr(stats, attr))
    except Exception:
        pass
    return cost, memory


def cost_note(cost: dict[str, float], memory: dict[str, int]) -> str:
    """XLA's own estimate, in the words a user reads in the view's notes."""
    parts = [
        f"{cost[k]:g} {k}" for k in ("flops", "transcendentals", "bytes accessed") if k in cost
    ]
    sizes = [f"{k} {memory[k]:,} B" for k in ("argument", "output", "temp", "peak") if k in memory]
    text = "XLA cost analysis: " + (", ".join(parts) or "none")
    return text + ("; memory: " + ", ".join(sizes) if sizes else "")
