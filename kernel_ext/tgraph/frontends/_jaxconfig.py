"""JAX helpers both frontends share, without importing JAX.

PyTensor's JAX backend switches ``jax_enable_x64`` on when it compiles, and
both frontends put arrays on JAX devices. The helpers live here once, and
read JAX from ``sys.modules`` so importing this module never imports JAX.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


@contextmanager
def jax_flags_kept() -> Iterator[None]:
    """``jax_enable_x64`` as it was, whatever compiling switched on.

    When the block itself imports JAX, the flag goes back to what JAX
    starts with (its ``JAX_ENABLE_X64`` environment variable, else off).
    """
    jax = sys.modules.get("jax")
    x64 = _env_x64() if jax is None else bool(jax.config.jax_enable_x64)
    try:
        yield
    finally:
        jax = sys.modules.get("jax")
        if jax is not None and bool(jax.config.jax_enable_x64) != x64:
            jax.config.update("jax_enable_x64", x64)


def _env_x64() -> bool:
    return os.environ.get("JAX_ENABLE_X64", "").strip().lower() in ("1", "true", "yes", "on")


def put_on(tree: Any, handle: Any) -> Any:
    """Arrays of ``tree`` onto the JAX device ``handle``; other leaves stay."""
    import jax

    def put(leaf: Any) -> Any:
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
