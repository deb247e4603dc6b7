"""JAX helpers both frontends share, without importing JAX.

PyTensor's JAX backend switches ``jax_enable_x64`` on when it compiles, and
both frontends put arrays on JAX devices. The helpers live here once, and
read JAX from ``sys.modules`` so importing this module never imports JAX.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


@contextmanager
def jax_flags_kept() -> Iterator[None]:
    """``jax_enable_x64`` as it was, whatever compiling switched on.

    JAX not imported yet: nothing to keep, unless the block imports it, in
    which case the flag is put back to JAX's default (off).
    """
    jax = sys.modules.get("jax")
    x64 = None if jax is None else bool(jax.config.jax_enable_x64)
    try:
        yield
    finally:
        jax = sys.modules.get("jax")
        if jax is not None:
            wanted = bool(x64)
            if bool(jax.config.jax_enable_x64) != wanted:
                jax.config.update("jax_enable_x64", wanted)


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
