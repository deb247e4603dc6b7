"""Requests from the browser wait for the kernel's main thread, after the user's cells."""

from __future__ import annotations

import asyncio
import threading

from tgraph.idle import IdleQueue


def test_without_a_kernel_loop_a_job_runs_at_once() -> None:
    ran: list[str] = []
    queue = IdleQueue()
    queue.cell_started()  # a plain IPython shell: no running loop
    queue.submit(lambda: ran.append("job"))
    assert ran == ["job"]


def test_jobs_wait_for_cells_then_run_on_the_loops_thread() -> None:
    ran: list[tuple[str, bool, bool]] = []
    queue = IdleQueue(settle=0.05)

    async def kernel() -> None:
        main = threading.current_thread()
        queue.cell_started()  # the loop is found from inside a cell

        def job(name: str) -> None:
            ran.append((name, threading.current_thread() is main, queue._in_cell))

        # a subshell thread asks while the cell runs
        asker = threading.Thread(target=lambda: queue.submit(lambda: job("heavy"), True))
        asker.start()
        asker.join()
        queue.submit(lambda: job("light"), False)
        await asyncio.sleep(0.02)
        assert ran == []  # nothing runs inside the cell
        queue.cell_ended()
        queue.cell_started()  # Run All: the next queued cell starts at once
        await asyncio.sleep(0.01)
        assert ran == []
        queue.cell_ended()
        await asyncio.sleep(0.01)
        assert ran == []  # the heavy job is first in line and waits for quiet
        await asyncio.sleep(0.1)
        assert queue.pending() == 0

    asyncio.run(kernel())
    assert ran == [("heavy", True, False), ("light", True, False)]


def test_a_failing_job_does_not_stop_the_next() -> None:
    ran: list[str] = []
    queue = IdleQueue(settle=0.0)

    def broken() -> None:
        raise RuntimeError("tgraph bug")

    async def kernel() -> None:
        queue.cell_started()
        queue.cell_ended()
        queue.submit(broken, False)
        queue.submit(lambda: ran.append("next"), False)
        await asyncio.sleep(0.01)

    asyncio.run(kernel())
    assert ran == ["next"]
