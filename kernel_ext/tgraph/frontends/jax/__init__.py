"""The JAX frontend, one module per job.

``capture`` records the programs the cell ran and ``targets`` picks one
target per program; ``programs`` traces each again with its static
arguments; ``jaxpr``, ``hlo_text`` and ``hlo`` turn a jaxpr and XLA's
optimized HLO into the graph model (``compiled`` builds that view, with
``costs``); ``sharding`` and ``mesh`` show how a program is laid out;
``gradient`` draws and checks the gradient; ``inputs`` makes the values to
run on, ``devices`` lists where, ``timing`` runs and profiles; ``values``
puts values on nodes; and ``frontend`` ties them to the protocol.
"""

from .frontend import JaxFrontend
from .programs import Program

__all__ = ["JaxFrontend", "Program"]
