"""Requests from the browser wait for the kernel's main thread, after the user's cells."""

from __future__ import annotations

import asyncio
import threading

from tgraph.idle import IdleQueue, Kind


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
        asker = threading.Thread(target=lambda: queue.submit(lambda: job("heavy"), Kind.SHOWN))
        asker.start()
        asker.join()
        queue.submit(lambda: job("light"), Kind.LIGHT)
        await asyncio.sleep(0.02)
        assert ran == []  # nothing runs inside the cell
        queue.cell_ended()
        queue.cell_started()  # Run All: the next queued cell starts at once
        await asyncio.sleep(0.01)
        assert ran == []
        queue.cell_ended()
        await asyncio.sleep(0.01)
        assert ran == [("light", True, False)]  # the heavy one waits for quiet
        await asyncio.sleep(0.1)
        assert queue.pending() == 0

    asyncio.run(kernel())
    assert ran == [("light", True, False), ("heavy", True, False)]


def test_views_someone_looks_at_go_before_timing() -> None:
    """Five widgets asked to be timed; the sixth, scrolled to last, still
    shows its view first."""
    ran: list[str] = []
    queue = IdleQueue(settle=0.02)

    async def kernel() -> None:
        queue.cell_started()
        for name, kind in [
            ("time 1", Kind.BACKGROUND),
            ("view 1", Kind.SHOWN),
            ("time 2", Kind.BACKGROUND),
            ("source", Kind.LIGHT),
            ("view 2", Kind.SHOWN),
        ]:
            queue.submit(lambda name=name: ran.append(name), kind)
        queue.cell_ended()
        await asyncio.sleep(0.1)

    asyncio.run(kernel())
    assert ran == ["source", "view 1", "view 2", "time 1", "time 2"]


def test_a_failing_job_does_not_stop_the_next() -> None:
    ran: list[str] = []
    queue = IdleQueue(settle=0.0)

    def broken() -> None:
        raise RuntimeError("tgraph bug")

    async def kernel() -> None:
        queue.cell_started()
        queue.cell_ended()
        queue.submit(broken, Kind.LIGHT)
        queue.submit(lambda: ran.append("next"), Kind.LIGHT)
        await asyncio.sleep(0.01)

    asyncio.run(kernel())
    assert ran == ["next"]


def test_a_request_the_loop_reads_between_two_jobs_is_weighed_before_the_next() -> None:
    """While timing runs, the kernel's loop may read a request for a view; it
    must not wait for every other timing run queued."""
    ran: list[str] = []
    queue = IdleQueue(settle=0.0)

    async def kernel() -> None:
        loop = asyncio.get_running_loop()
        queue.cell_started()

        def time_first() -> None:
            ran.append("time 1")
            # a message the loop reads after this job: someone opened a view
            loop.call_soon(lambda: queue.submit(lambda: ran.append("view"), Kind.SHOWN))

        queue.submit(time_first, Kind.BACKGROUND)
        queue.submit(lambda: ran.append("time 2"), Kind.BACKGROUND)
        queue.cell_ended()
        await asyncio.sleep(0.05)

    asyncio.run(kernel())
    assert ran == ["time 1", "view", "time 2"]
