"""What the timing panel's buttons run: one target, on this kernel's devices.

The magic makes one ``Runner`` per widget and hands the widget its ``time``
and ``profile`` methods, so the widget imports no framework and a request
from the front end can only ever time or profile the target it was built
for, with options checked by ``options_for``. Every row is also recorded in
the registry, so the side panel lists the latest timing of each graph.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .devices import DeviceCache, DeviceError, Devices
from .frontends import Options, Target
from .profile import profile_target
from .timing import TimingError, options_for, time_target


def host_fallback(options: Options, devices: Devices) -> tuple[Options, str]:
    """Options the graphs can be built with, and why the requested device is unusable.

    A missing GPU must not cost the user their graphs: they are built for
    the host CPU instead, and the message (JAX's own reason included) says
    so. The timing panel reports the same error for the requested device.
    """
    try:
        devices.resolve(options.device)
    except DeviceError as error:
        return replace(options, device="cpu"), f"{error}; the graphs shown are the CPU's."
    return options, ""


def concrete(tree: Any) -> Any:
    """Arrays for the shapes the JAX frontend recorded: a traced call keeps none.

    Floats in [0.5, 1.5) keep logs and divisions finite, as PyTensor's
    made-up inputs do; integers are zeros, a valid index into any axis.
    """
    import jax

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


@dataclass
class Runner:
    """Times and profiles one target; ``record`` receives every timing row."""

    target: Target
    options: Options
    cache: DeviceCache
    record: Callable[[dict[str, Any]], None]
    _inputs: Target | None = field(default=None, init=False, repr=False)

    def time(self, request: dict[str, Any]) -> dict[str, Any]:
        """One timing row for ``request`` (``{device, backend, size}``, each optional)."""
        options = options_for(self.options, request)
        with redirect_stdout(io.StringIO()):  # a print in the user's function, per call
            row = time_target(self._with_inputs(), options, self.cache.get()).row()
        self.record(row)
        return row

    def profile(self, request: dict[str, Any]) -> dict[str, Any]:
        """``ProfileResult.to_json()`` for ``request``: seconds per node of one call."""
        options = options_for(self.options, request)
        with redirect_stdout(io.StringIO()):
            return profile_target(self._with_inputs(), options, self.cache.get()).to_json()

    def _with_inputs(self) -> Target:
        """The target with values to call it on, made once so every run uses the same."""
        if self._inputs is None:
            target = self.target
            if target.framework == "jax" and target.args is not None:
                args, kwargs = concrete((target.args, target.kwargs or {}))
                target = replace(target, args=tuple(args), kwargs=dict(kwargs))
            self._inputs = target
        return self._inputs
