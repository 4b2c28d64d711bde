"""Starting real trackline servers and real CLI/pipeline processes for the server tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLINE_")}
    env["TRACKLINE_HOME"] = str(home)
    env.update(extra)
    return env


def cli(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(BIN / "trackline"), *args], env=env, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"trackline {' '.join(args)} failed ({proc.returncode}): {proc.stderr}"
        )
    return proc


def create_token(store: str, role: str, name: str, env: dict[str, str]) -> str:
    return json.loads(
        cli(
            "--store", store, "tokens", "create", "--role", role, "--name", name, "--json", env=env
        ).stdout
    )["token"]


@dataclass
class Server:
    url: str
    store: str
    home: Path
    proc: subprocess.Popen | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the server

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def start(self, *args: str, workers: int = 1) -> Server:
        port = int(self.url.rsplit(":", 1)[1])
        self.log = self.home / f"server-{port}.log"
        fh = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [
                str(BIN / "trackline"),
                "server",
                "--store",
                self.store,
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                *args,
            ],
            env=base_env(self.home, **self.env),
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        fh.close()
        # Readiness poll: imports on a busy 2-core machine can take many seconds.
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not become healthy: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server and its uvicorn workers
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


def run_pipeline(
    server: Server,
    out: Path,
    lr: float,
    *,
    fail: bool = False,
    role: str = "writer",
    **env_extra: str,
) -> dict:
    env = base_env(
        out / "home",
        TRACKLINE_STORE=server.url,
        TRACKLINE_TOKEN=server.tokens[role],
        TRACKLINE_SAMPLE_AFTER="0.1",
        TRACKLINE_SAMPLE_INTERVAL="0.05",
        **env_extra,
    )
    args = [sys.executable, str(HERE / "pipeline_app.py"), str(out), str(lr)] + (
        ["--fail"] if fail else []
    )
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"pipeline failed: {proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
