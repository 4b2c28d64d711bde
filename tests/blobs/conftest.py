"""A real S3-protocol server on loopback (moto's standalone server) for the whole session, and
helpers to run real pipeline processes against local disk or that server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from tests.server.harness import free_port

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent
S3_KEYS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # readiness poll (imports on a busy machine take seconds)
        if proc.poll() is not None:
            raise RuntimeError(f"moto exited: {log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def s3_url(s3_endpoint, monkeypatch) -> str:
    """A fresh bucket on the loopback S3 server; this process and its children reach it."""
    import s3fs

    for k, v in S3_KEYS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("FSSPEC_S3_ENDPOINT_URL", s3_endpoint)  # child processes
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    import fsspec.config

    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": s3_endpoint})  # this one
    bucket = f"b{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(endpoint_url=s3_endpoint, key="testing", secret="testing")
    fs.mkdir(bucket)
    return f"s3://{bucket}/artifacts"


def s3_options(endpoint: str) -> dict:
    return {"endpoint_url": endpoint, "key": "testing", "secret": "testing"}


def run_py(code: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"python failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return proc


def child_env(**extra: str) -> dict[str, str]:
    """The current environment (TRACKLINE_HOME etc. set by the fixtures) plus ``extra``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent.parent), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env
