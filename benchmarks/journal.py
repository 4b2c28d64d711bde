"""Remote writes never wait (issue 18): tracked calls against a team server on PostgreSQL.

Latency, all in one process and one run: the untracked call; a tracked call with the journal
(server up, and server down); and the old synchronous path (one request per call, which strict
mode keeps). Throughput: four client processes each make tracked calls as fast as they can and
exit (the exit flush sends what is left); runs/s counts from the first call until every process
exited (interpreter start-up left out), so every record is on the server, and the stored rows
are counted to check exactly-once.

Needs the ``server`` and ``postgres`` extras and PostgreSQL on ``TRACKLINE_BENCH_PG`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``, trust auth).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from _common import median_us, report, workdir

PG = os.environ.get("TRACKLINE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent
CLIENT = """
import sys, time, trackline
@trackline.tracked_task
def step(a: int, b: float) -> dict:
    return {"sum": a + b}
start, t = time.time(), time.perf_counter()
with trackline.pipeline_run(sys.argv[1]):
    for i in range(int(sys.argv[2])):
        step(i, 0.5)
print(start, time.perf_counter() - t, flush=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database() -> str:
    import psycopg

    name = f"tl_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG.rsplit("/", 1)[0] + "/" + name


def _server(store: str, home: Path, workers: int) -> tuple[subprocess.Popen, str]:
    url = f"http://127.0.0.1:{_free_port()}"
    cmd = [str(BIN / "trackline"), "server", "--store", store, "--port", url.rsplit(":", 1)[1]]
    env = {**os.environ, "TRACKLINE_HOME": str(home)}
    proc = subprocess.Popen(
        [*cmd, "--workers", str(workers), "--log-level", "warning"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _throughput(url: str, token: str, home: Path, procs: int, calls: int, **env: str) -> tuple:
    base = {**os.environ, "TRACKLINE_STORE": url, "TRACKLINE_TOKEN": token, **env}
    running = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, f"tp-{uuid.uuid4().hex[:6]}", str(calls)],
            env={**base, "TRACKLINE_HOME": str(home / f"c{k}")},
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(procs)
    ]
    outs = [p.communicate()[0].split() for p in running]
    first = min(float(o[0]) for o in outs)
    return procs * calls / (time.time() - first), max(float(o[1]) for o in outs)


def _cpu(pid: int) -> float:
    import psutil

    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _count(store: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(store.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM task_runs")).scalar()
    engine.dispose()
    return n


def main(n: int = 500, procs: int = 4, calls: int = 2500) -> None:
    home = workdir() / "journal-home"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["TRACKLINE_HOME"] = str(home)
    from trackline import connect, tracked_task
    from trackline.client import configure
    from trackline.server.access import TokenStore

    store = _database()
    tokens = TokenStore.for_url(store)
    token = tokens.create("bench-writer", "writer")[0]
    tokens.engine.dispose()
    server, url = _server(store, home / "srv", workers=2)
    try:

        def plain(a: int, b: float) -> dict:
            return {"sum": a + b}

        tracked = tracked_task(plain)
        i = iter(range(10**9))
        untracked_us = median_us(lambda: plain(next(i), 0.5), n)
        configure(store=url, token=token, strict=True)
        sync_us = median_us(lambda: tracked(next(i), 0.5), n)
        configure(store=url, token=token, strict=False)
        up_us = median_us(lambda: tracked(next(i), 0.5), n)
        flushed = connect().store.flush(120)
        configure(store=f"http://127.0.0.1:{_free_port()}", token=token)
        down_us = median_us(lambda: tracked(next(i), 0.5), n)
        report(
            "tracked call over HTTP, journal, server up (median)",
            up_us,
            "us",
            "old synchronous path (strict: one request per call)",
            sync_us,
            note=f"untracked call {untracked_us:.2f} us; flushed after: {flushed}",
        )
        report(
            "tracked call over HTTP, journal, server down (median)",
            down_us,
            "us",
            "old synchronous path, server up",
            sync_us,
        )
        before, server_cpu, client_cpu = _count(store), _cpu(server.pid), _children_cpu()
        rate, loop_s = _throughput(url, token, home, procs, calls)
        arrived = _count(store) - before
        per_k = 1000 / (procs * calls)
        server_cpu = (_cpu(server.pid) - server_cpu) * per_k
        client_cpu = (_children_cpu() - client_cpu) * per_k
        report(
            f"throughput, {procs} client processes, server on PostgreSQL (journal)",
            rate,
            "runs/s",
            aim=">= 1000 runs/s",
            met=rate >= 1000,
            note=f"{arrived} of {procs * calls} runs stored; slowest call loop {loop_s:.2f} s",
        )
        report("  CPU per 1000 runs: the 4 clients (calls + sender)", client_cpu, "s")
        report("  CPU per 1000 runs: the server (2 workers, not PostgreSQL)", server_cpu, "s")
        sync_calls = max(calls // 25, 20)
        base_rate, _ = _throughput(url, token, home, procs, sync_calls, TRACKLINE_STRICT="1")
        report(
            f"throughput, {procs} client processes, synchronous path (strict)",
            base_rate,
            "runs/s",
            note=f"{procs * sync_calls} runs",
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        _drop(store)


def _drop(store: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{store.rsplit("/", 1)[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
