"""``python -m router`` as a real process for tests: started, awaited on /healthz, stopped.

Its stderr is read by a thread into :attr:`RouterProcess.stderr_lines`, so a test can wait for a
log line (a reload, a warning) without the pipe ever filling up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.router.standins import free_port

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class RouterProcess:
    process: subprocess.Popen[bytes]
    url: str
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def wait_for_log(self, text: str, *, after: int = 0, timeout: float = 30) -> str:
        """Return the first stderr line from index ``after`` on that contains ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stderr_lines[after:]:
                if text in line:
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no log line with {text!r}; stderr:\n{self.stderr}")

    def signal(self, number: signal.Signals) -> None:
        self.process.send_signal(number)


@contextmanager
def running_router(
    supergraph: Path | None,
    *,
    data_dir: Path,
    args: Sequence[str] = (),
    env: dict[str, str | None] | None = None,
) -> Iterator[RouterProcess]:
    """Run ``python -m router --supergraph FILE`` on a free loopback port until the block ends.

    ``supergraph=None`` passes no ``--supergraph`` (the settings or ``--config`` name it).

    ``env`` adds to the environment (a ``None`` value removes that variable).
    """
    port = free_port()
    environ = {**os.environ, "WEALTHTECH_DATA_DIR": str(data_dir)}
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "router",
            *(("--supergraph", str(supergraph)) if supergraph is not None else ()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    running = RouterProcess(process, f"http://127.0.0.1:{port}")

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            running.stderr_lines.append(raw.decode("utf-8", "replace"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{running.url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"router did not start:\n{running.stderr}") from None
                time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        reader.join(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
