"""Tracked calls while the team server is down: the circuit breaker against a healthy store.

Fifty calls with nothing listening on the server's port are timed in total (they only append
to the journal; the sender meets the failures, pays the client's retries and opens the circuit),
then the median per call with the circuit open is compared, in the same run, with the untracked
call and with tracked calls to a healthy local SQLite store.
"""

from __future__ import annotations

import os
import shutil
import socket
import time

from _common import median_us, report, workdir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(n: int = 500) -> None:
    home = workdir() / "circuit-home"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["TRACKLINE_HOME"] = str(home)
    os.environ.pop("TRACKLINE_STORE", None)
    from trackline import connect, tracked_task
    from trackline.client import configure

    def plain(a: int, b: float) -> dict:
        return {"sum": a + b}

    tracked = tracked_task(plain)
    i = iter(range(10**9))
    untracked_us = median_us(lambda: plain(next(i), 0.5), n)
    healthy_us = median_us(lambda: tracked(next(i), 0.5), n)

    configure(store=f"http://127.0.0.1:{_free_port()}", token="tl_benchmark")
    t0 = time.perf_counter()
    for _ in range(50):
        tracked(next(i), 0.5)
    first50_s = time.perf_counter() - t0
    store = connect().store
    store.flush(120)  # the sender tried, failed, opened the circuit and spooled the records
    assert store.circuit_open, "the circuit should be open after 50 failed calls"
    down_us = median_us(lambda: tracked(next(i), 0.5), n)
    report("50 tracked calls, server down (total; the sender opens the circuit)", first50_s, "s")
    report(
        "tracked call, server down, circuit open (median)",
        down_us,
        "us",
        "tracked call to a healthy local SQLite store",
        healthy_us,
    )
    report(
        "added per call with the server down (median)",
        down_us - untracked_us,
        "us",
        "untracked call",
        untracked_us,
    )
    store.flush(120)
    print(f"  spooled: {len(store.spool.pending())} records")
    from trackline.config import clear_override

    clear_override()  # the benchmarks after this one track into their own stores


if __name__ == "__main__":
    main()
