"""The JAX frontend, one module per job.

``capture`` records the programs the cell ran, ``jaxpr`` and ``hlo`` turn
a jaxpr and XLA's optimized HLO into the graph model, ``gradient`` draws
and checks the gradient, ``timing`` runs the program (devices, made-up
inputs, timing, profiles), and ``frontend`` ties them to the protocol.
"""

from .frontend import JaxFrontend, Program

__all__ = ["JaxFrontend", "Program"]
