"""The README's examples, run as written against the system that ``wealthtech up`` starts.

Every fenced ``bash`` block right after an ``<!-- example -->`` marker in README.md is an example.
The test starts the whole system with ``wealthtech up`` (real processes on free loopback ports, a
fresh data folder, SQLite), runs the examples in order in one bash session (so a variable one
block sets is there for the next, as in a reader's terminal), with the venv's ``bin`` first on
``PATH`` and ``.venv`` reachable from the working directory as in a checkout, and checks what each
block printed. Then it stops the system with SIGTERM, which ``up`` handles as it does Ctrl-C
(SIGINT may be ignored in a test runner started in the background).
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from subgraphs.kit.keys import key_variable_names
from tests.running_system import ROOT, free_port
from wealthtech_cli.services import ROUTER, SUBGRAPHS

README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent
EXAMPLE = re.compile(r"<!-- example -->\s*\n```bash\n(.*?)\n```", re.DOTALL)
FENCE = re.compile(r"```bash\n(.*?)\n```", re.DOTALL)
MARK = "@@readme-example@@"
START_SECONDS = 45.0
RUN_SECONDS = 30.0


def readme_examples() -> list[str]:
    """Return the bash blocks of README.md marked as examples, in order."""
    return EXAMPLE.findall(README.read_text(encoding="utf-8"))


def test_readme_opens_with_exactly_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first = FENCE.search(text)
    assert first is not None
    assert text[: first.start()].count("\n") <= 2, "the two commands come first, after the title"
    commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
    assert [c for c in commands if c] == ["make run", "make test"]


def _environment(tmp_path: Path) -> dict[str, str]:
    """The caller's environment on free ports, a fresh data folder and no configured keys/URLs."""
    env = dict(os.environ)
    for service in (*SUBGRAPHS, ROUTER):
        for name in [k for k in env if k.startswith(service.env_prefix)]:
            env.pop(name)  # nothing from the caller's shell: URLs, keys, databases, switches
        env[f"{service.env_prefix}PORT"] = str(free_port())
    for service in SUBGRAPHS:
        for name in key_variable_names(service.env_prefix.rstrip("_")):
            env.pop(name, None)
    compliance = next(s for s in SUBGRAPHS if s.name == "compliance")
    for service in SUBGRAPHS:
        # `wealthtech up` does not yet pass the compliance port to the audit relays (their default
        # is port 4004); here compliance is elsewhere, so say where.
        env[f"{service.env_prefix}AUDIT_URL"] = compliance.base_url(env) + "/graphql"
    env.pop("WEALTHTECH_TOKEN", None)
    env["WEALTHTECH_DATA_DIR"] = str(tmp_path / "data")
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


class System:
    """``wealthtech up`` as a child process, ready once it prints that it is."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "wealthtech"), "up"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        self.printed: list[str] = []
        self._reader: threading.Thread | None = None

    def wait_until_up(self) -> None:
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                lines.put(line)
            lines.put("")

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"`wealthtech up` was not up within {START_SECONDS:g}s\n{self.tail()}")
            if line == "":
                pytest.fail(f"`wealthtech up` exited ({self.process.wait()})\n{self.tail()}")
            self.printed.append(line)
            if line.strip() == "Press Ctrl-C to stop.":
                return

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)  # the children share the pipe; they are gone by now
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()
        return self.process.returncode

    def tail(self) -> str:
        self._log_file.flush()
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "".join(self.printed) + "\n".join(lines[-25:])


def _run_examples(blocks: list[str], env: dict[str, str], cwd: Path) -> list[tuple[str, str]]:
    """Run the blocks in one bash session; return (stdout, stderr) per block."""
    script = ["set -euo pipefail"]
    for block in blocks:
        script += [f"echo {MARK}", f"echo {MARK} >&2", block]
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"the examples failed ({done.returncode}):\n{done.stderr}"
    outs = done.stdout.split(f"{MARK}\n")[1:]
    errs = done.stderr.split(f"{MARK}\n")[1:]
    assert len(outs) == len(errs) == len(blocks)
    return list(zip(outs, errs, strict=True))


def _json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_readme_examples_work_as_written(tmp_path: Path) -> None:
    blocks = readme_examples()
    # The checks below follow the README's examples one by one; a new example needs its own.
    assert len(blocks) == 3, [block.splitlines()[0] for block in blocks]
    env = _environment(tmp_path)
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)

    system = System(env, tmp_path / "up.log")
    try:
        system.wait_until_up()
        router = f"http://127.0.0.1:{env['ROUTER_PORT']}"
        assert f"{router}/graphql" in "".join(system.printed)
        (rest_out, rest_err), (graphql_out, _), (scope_out, _) = _run_examples(blocks, env, workdir)
    finally:
        status = system.stop()
    assert status == 0, system.tail()

    # 1. REST: created (201 with its Location), then read back with the decrypted fields.
    assert re.search(r"^HTTP/1\.1 201 Created\r?$", rest_err, re.MULTILINE), rest_err
    location = re.search(r"^location: (/api/user/usr_[0-9a-f]+)\r?$", rest_err, re.MULTILINE)
    assert location is not None, rest_err
    (user,) = _json_lines(rest_out)
    assert location.group(1) == f"/api/user/{user['id']}"
    assert user["first_name"] == "Ada"
    assert user["email_address"] == "ada@example.com"
    assert user["telephone_number"] == "+442079460958"
    assert user["annual_income"] == {"amount": "85000.00", "currency": "GBP"}
    assert user["sources_of_wealth"] == ["EMPLOYMENT_INCOME", "SAVINGS"]
    assert user["status"] == "ACTIVE" and user["version"] == 1
    assert [line for line in rest_out.splitlines() if line.isdigit()] == ["201", "201"]

    # 2. GraphQL: one query answered by all four subgraphs.
    (answer,) = _json_lines(graphql_out)
    assert "errors" not in answer, answer
    assert answer["data"]["user"] == {
        "firstName": "Ada",
        "emailAddress": "ada@example.com",
        "kycStatus": "PASSED",
        "investmentAccounts": {
            "nodes": [
                {
                    "name": "Stocks and shares ISA",
                    "status": "PENDING",
                    "cashBalance": {"amount": "0.00", "currency": "GBP"},
                }
            ]
        },
    }

    # 3. Without pii:read the sensitive field is null with FORBIDDEN on its path; no token: 401.
    (advisor,) = _json_lines(scope_out)
    assert advisor["data"] == {"users": {"nodes": [{"firstName": "Ada", "emailAddress": None}]}}
    (error,) = advisor["errors"]
    assert error["path"] == ["users", "nodes", 0, "emailAddress"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "ada@example.com" not in scope_out
    assert scope_out.splitlines()[-1] == "401"
