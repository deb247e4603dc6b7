"""Call sites: the callee as the user wrote it, and arguments read back only when it is safe."""

from __future__ import annotations

import linecache
import sys
from types import FrameType
from typing import Any

import numpy as np
import pytest

from tgraph.callsites import UNKNOWN, arguments, is_user_code, site, user_frame

_SEEN: list[tuple[Any, ...]] = []


def _probe(*args: Any, **kwargs: Any) -> None:
    """Stands for a program: reads its own call site as the watch does."""
    frame = sys._getframe(1)
    where = site(frame.f_code, frame.f_lasti)
    _SEEN.append((where, arguments(where, frame, args[0] if args else UNKNOWN) if where else None))


def run_cell(source: str, namespace: dict[str, Any]) -> list[tuple[Any, ...]]:
    """``source`` run as IPython runs a cell: a file name of its own, in linecache."""
    name = f"<callsites-test-{len(linecache.cache)}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    _SEEN.clear()
    exec(compile(source, name, "exec"), {"probe": _probe, "np": np, **namespace})
    return list(_SEEN)


def test_plain_reads_are_read_back_and_the_callee_is_named_as_written() -> None:
    batch = {"x": np.ones(3)}
    [(where, read)] = run_cell("probe(params, batch['x'], lr=-0.1, mode='fast')", {
        "params": [1, 2], "batch": batch})  # fmt: skip
    assert where.callee == "probe"
    assert where.text == "probe(params, batch['x'], lr=-0.1, mode='fast')"
    args, kwargs = read
    assert args[0] == [1, 2] and args[1] is batch["x"]
    assert kwargs == {"lr": -0.1, "mode": "fast"}


def test_an_argument_that_computes_is_never_evaluated_again() -> None:
    calls: list[int] = []

    def counted() -> int:
        calls.append(1)
        return 3

    [(_, read)] = run_cell("probe(x, counted())", {"x": 1, "counted": counted})
    assert read is None  # counted() would run twice
    assert calls == [1]


def test_a_bare_callee_takes_its_first_argument_from_the_call_itself() -> None:
    calls: list[int] = []

    def made() -> np.ndarray:
        calls.append(1)
        return np.zeros(2)

    [(where, read)] = run_cell("probe(made())", {"made": made})
    assert where.texts == ("made()",)
    assert read is not None and np.array_equal(read[0][0], np.zeros(2))
    assert calls == [1]


def test_a_call_over_several_lines_with_wide_characters_is_read_whole() -> None:
    source = "é = 2\nout = probe(\n    é,\n    k=é,\n)\n"
    [(where, read)] = run_cell(source, {})
    assert where.text == "probe(é, k=é)"
    assert read == ((2,), {"k": 2})


def test_a_method_callee_is_dotted_and_star_arguments_are_not_read() -> None:
    class Holder:
        step = staticmethod(_probe)

    [(where, read)] = run_cell("model.step(*xs)", {"model": Holder(), "xs": [1]})
    assert where.callee == "model.step"
    assert read is None


def test_installed_code_and_tgraph_itself_are_not_the_users() -> None:
    assert not is_user_code(linecache.getline.__code__)  # the standard library
    assert not is_user_code(pytest.approx.__code__)  # site-packages
    assert not is_user_code(site.__code__)
    assert is_user_code(test_installed_code_and_tgraph_itself_are_not_the_users.__code__)
    here: FrameType | None = sys._getframe()
    assert user_frame(here) is here
