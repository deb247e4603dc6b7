"""Keep tgraph's own work out of the user's cell output.

Probes, compiles for timing and device discovery can print (a user's
``print`` inside a timed function), warn (PyTensor's BLAS warning), log
(Python ``logging``) or write straight to file descriptor 2 from C++ (XLA's
log lines). ipykernel forwards all of these into the cell, so while tgraph
works every channel points elsewhere; the only lines tgraph adds to a cell
are its own one-line ``tgraph:`` messages.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def _fds_silenced() -> Iterator[None]:
    """File descriptors 1 and 2 to the null device, for C and C++ writers."""
    saved: list[tuple[int, int]] = []
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (AttributeError, ValueError):
        pass
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
                os.dup2(null, fd)
            except OSError:
                continue
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence Python's and C's output, warnings and logging for the block."""
    previous = logging.root.manager.disable
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
        stack.enter_context(_fds_silenced())
        logging.disable(logging.CRITICAL)
        stack.callback(logging.disable, previous)
        yield
