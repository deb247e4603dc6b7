"""Values to run a JAX target on: the cell's recorded arguments, or made up.

A traced call keeps only shapes and dtypes, so timing, values and the
gradient check run on made-up arrays of those shapes; static arguments
pass through untouched, and a sharded program's inputs are laid out with
the shardings the cell's arrays had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from ...devices import Device
from ...protocol import Target
from ...timing import TimingError
from .._jaxconfig import put_on


def made_up(tree: Any) -> Any:
    """Arrays for the shapes the frontend recorded: a traced call keeps none.

    Floats in [0.5, 1.5) keep logs and divisions finite, as PyTensor's
    made-up inputs do; integers are zeros, a valid index into any axis.
    """
    rng = np.random.default_rng(0)

    def make(leaf: Any) -> Any:
        if not isinstance(leaf, jax.ShapeDtypeStruct):
            return leaf
        dtype = np.dtype(leaf.dtype)
        if dtype.kind in "fc":
            return rng.uniform(0.5, 1.5, leaf.shape).astype(dtype)
        if dtype.kind in "biu":
            return np.zeros(leaf.shape, dtype)
        raise TimingError(
            f"cannot make up a value of type {dtype} for timing: name example arguments, "
            "e.g. %%tgraph f(x)"
        )

    return jax.tree_util.tree_map(make, tree)


def dynamic_map(
    fn: Callable[[Any], Any], args: tuple[Any, ...], kwargs: dict[str, Any], static: set[Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``fn`` over every argument but the static ones, which pass through untouched."""
    return (
        tuple(a if i in static else fn(a) for i, a in enumerate(args)),
        {k: v if k in static else fn(v) for k, v in kwargs.items()},
    )


def _array_text(value: Any) -> str:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None or dtype is None:
        return type(value).__name__
    return f"{np.dtype(dtype).name}[{', '.join(str(s) for s in shape)}]"


def static_text(value: Any) -> str:
    """A static argument with its values: a class without a repr shows its pytree leaves."""
    own: Any = type(value).__repr__
    if own is not object.__repr__:
        return repr(value)
    leaves = jax.tree_util.tree_leaves(value)
    shown = [
        np.array2string(np.asarray(x), precision=4, threshold=8, separator=", ")
        if isinstance(x, jax.Array | np.ndarray | np.generic)
        else repr(x)
        for x in leaves
    ]
    return f"{type(value).__name__}({', '.join(shown)})"


def tree_signature(args: tuple[Any, ...], kwargs: dict[str, Any], static: set[Any]) -> str:
    def one(key: Any, value: Any) -> str:
        if key in static:
            return static_text(value)
        leaves = jax.tree_util.tree_leaves(value)
        return ", ".join(_array_text(x) for x in leaves) or repr(value)

    parts = [one(i, a) for i, a in enumerate(args)]
    parts += [f"{k}={one(k, v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


@dataclass
class Placement:
    """How a sharded program's inputs are laid out: one sharding per array leaf."""

    #: (args, kwargs) of the same structure as the inputs; a leaf is a sharding or None.
    shardings: tuple[tuple[Any, ...], dict[str, Any]]
    devices: list[str]

    @property
    def label(self) -> str:
        return f"mesh ({len(self.devices)} devices)"


def lay_out(
    inputs: tuple[tuple[Any, ...], dict[str, Any]],
    static: set[Any],
    device: Device | None,
    mesh: Placement | None,
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Inputs on ``device``, or laid out with their shardings on ``mesh``."""
    if mesh is None:
        assert device is not None
        return dynamic_map(
            lambda a: jax.block_until_ready(put_on(a, device.handle)), *inputs, static
        )
    args, kwargs = inputs
    shard_args, shard_kwargs = mesh.shardings

    def lay(value: Any, shardings: Any) -> Any:
        def leaf(x: Any, sharding: Any) -> Any:
            if sharding is None or not isinstance(x, np.ndarray | np.generic | jax.Array):
                return x
            return jax.block_until_ready(jax.device_put(x, sharding))

        return jax.tree_util.tree_map(leaf, value, shardings, is_leaf=lambda x: x is None)

    return (
        tuple(a if i in static else lay(a, shard_args[i]) for i, a in enumerate(args)),
        {k: v if k in static else lay(v, shard_kwargs[k]) for k, v in kwargs.items()},
    )


def _alive(tree: Any) -> Any:
    """The recorded arrays, a shape in place of one a later call donated (deleted)."""

    def leaf(x: Any) -> Any:
        if isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer) and x.is_deleted():
            return jax.ShapeDtypeStruct(x.shape, x.dtype)
        return x

    return jax.tree_util.tree_map(leaf, tree)


def inputs_of(target: Target, statics: set[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Values to run the target on, made once: the cell's own, the given ones, or made up."""
    if target.inputs is None:
        target.inputs = dynamic_map(
            lambda a: made_up(_alive(a)), tuple(target.args or ()), dict(target.kwargs or {}),
            statics,
        )  # fmt: skip
    inputs: tuple[tuple[Any, ...], dict[str, Any]] = target.inputs
    return inputs
