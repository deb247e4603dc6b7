"""What JAX model libraries wrap around the user's function, undone where tgraph must.

Flax NNX jits (and vmaps) an inner function that first rebuilds the user's
modules from their split state, inside an *update context* the outer
wrapper opens for the call (``No update context found for tag ...``
otherwise), and returns the updated state beside the user's output. To
trace, differentiate or time that program again, tgraph opens the same
context, and differentiates the user's output alone.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

#: NNX's inner functions that name their context by transformation, not by wrapper.
_FIXED_TAGS = {"VmapFn": "vmap", "PmapFn": "pmap", "ScanFn": "scan", "GradFn": "grad"}


def _context_tag(fun: Any) -> Any:
    """The update-context tag NNX's inner function uses, if ``fun`` is one."""
    if not type(fun).__module__.startswith("flax.nnx"):
        return None
    tag = getattr(fun, "ctxtag", None)  # jit's and shard_map's: the outer wrapper
    return tag if tag is not None else _FIXED_TAGS.get(type(fun).__name__)


def library_context(fun: Any) -> contextlib.AbstractContextManager[Any]:
    """The context a library's call of ``fun`` runs in (NNX's update context), or none."""
    graph = sys.modules.get("flax.nnx.graph")
    tag = _context_tag(fun)
    if graph is None or tag is None:
        return contextlib.nullcontext()
    return graph.update_context(tag)


def user_output(fun: Any) -> Callable[..., Any] | None:
    """``fun`` returning the user's output alone, where a library returns more.

    NNX's jitted function returns ``(args, kwargs, output)``: the modules'
    updated state, then what the user's function returned.
    """
    if type(fun).__name__ != "JitFn" or not type(fun).__module__.startswith("flax.nnx"):
        return None

    def output(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)[2]

    return output


def library_name(fun: Any, via: str | None) -> str | None:
    """A name for a program a library jitted for the user, by what it computes.

    NumPyro's samplers differentiate the model's potential energy, a
    ``partial`` of ``numpyro.infer.util.potential_energy`` over the model.
    """
    inner = getattr(fun, "func", None)
    if getattr(inner, "__name__", "") == "potential_energy" and "numpyro" in getattr(
        inner, "__module__", ""
    ):
        model = fun.args[0] if getattr(fun, "args", ()) else fun.keywords.get("model")
        name = getattr(model, "__name__", None) or "the model"
        return f"potential energy of {name}, as {via or 'the sampler'} compiled it"
    return None
