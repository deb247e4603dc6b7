"""JAX helpers both frontends share, without importing JAX.

PyTensor's JAX backend switches ``jax_enable_x64`` on when it compiles, and
both frontends put arrays on JAX devices. The helpers live here once, and
read JAX from ``sys.modules`` so importing this module never imports JAX.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


@contextmanager
def jax_flags_kept() -> Iterator[None]:
    """Every JAX flag as it was, whatever tracing or compiling switched on.

    PyTensor's JAX backend flips ``jax_enable_x64``; a user's function may
    flip any flag while tgraph traces it again. When the block itself
    imports JAX, x64 goes back to what JAX starts with (its
    ``JAX_ENABLE_X64`` environment variable, else off).
    """
    jax = sys.modules.get("jax")
    before = {"jax_enable_x64": _env_x64()} if jax is None else dict(jax.config.values)
    try:
        yield
    finally:
        jax = sys.modules.get("jax")
        if jax is not None:
            for name, value in before.items():
                if jax.config.values.get(name) != value:
                    with contextlib.suppress(Exception):  # a read-only flag cannot have changed
                        jax.config.update(name, value)


def _env_x64() -> bool:
    return os.environ.get("JAX_ENABLE_X64", "").strip().lower() in ("1", "true", "yes", "on")


def put_on(tree: Any, handle: Any) -> Any:
    """Arrays of ``tree`` onto the JAX device ``handle``; other leaves stay."""
    import jax

    def put(leaf: Any) -> Any:
        if isinstance(leaf, jax.Array) and len(leaf.sharding.device_set) > 1:
            # laid out over a mesh (its type may name the mesh's axes): gathered
            # first, then placed, so the one device runs it as a plain array
            leaf = np.asarray(leaf)
        if isinstance(leaf, np.ndarray | np.generic | jax.Array):
            return jax.device_put(leaf, handle)
        return leaf

    return jax.tree_util.tree_map(put, tree)


def placed_on(tree: Any, names: dict[Any, str]) -> list[str]:
    """Where each array of ``tree`` lives: a device name, or ``host`` for NumPy."""
    import jax

    found = []
    for leaf in jax.tree_util.tree_leaves(tree):
        if isinstance(leaf, jax.Array):
            found += sorted(names.get(d, str(d)) for d in leaf.devices())
        elif isinstance(leaf, np.ndarray | np.generic):
            found.append("host")
    return found
