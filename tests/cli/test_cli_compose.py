"""``wealthtech compose``: schema/ holds each subgraph's exported SDL and their composition."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from router.composition import load_subgraphs_from_dir
from subgraphs.kit.testing import execute, running_app
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.cli.cli_support import isolate_environment
from wealthtech_cli.__main__ import main
from wealthtech_cli.services import SUBGRAPHS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
FILES = sorted([f"{s.name}.graphql" for s in SUBGRAPHS] + ["supergraph.graphql"])


def test_compose_writes_the_committed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "schema"
    assert main(["compose", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == FILES
    for name in FILES:
        committed = SCHEMA_DIR / name
        assert committed.is_file(), f"schema/{name} is not committed: run `wealthtech compose`"
        assert (out / name).read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), (
            f"schema/{name} is stale: run `wealthtech compose`"
        )
    # The committed tree is up to date by the command's own check too.
    assert main(["compose", "--check"]) == 0


def test_compose_check_finds_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "schema"
    assert main(["compose", "--out", str(out)]) == 0
    assert main(["compose", "--out", str(out), "--check"]) == 0
    (out / "users.graphql").write_text("type Query { stale: Int }\n", encoding="utf-8")
    (out / "supergraph.graphql").unlink()
    capsys.readouterr()
    assert main(["compose", "--out", str(out), "--check"]) == 3
    err = capsys.readouterr().err
    assert "users.graphql is missing or stale" in err
    assert "supergraph.graphql is missing or stale" in err
    assert (
        "type Query { stale: Int }" in (out / "users.graphql").read_text()
    )  # --check wrote nothing
    # Writing again repairs both, and leaves the others alone.
    assert main(["compose", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'users.graphql'}" in printed
    assert f"{out / 'investments.graphql'} is up to date" in printed


def test_subgraph_file_is_what_the_running_subgraph_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_environment(monkeypatch, tmp_path)
    out = tmp_path / "schema"
    assert main(["compose", "--out", str(out)]) == 0

    async def served() -> str:
        async with running_app(create_app(UsersSettings())) as client:
            result = await execute(client, "{ _service { sdl } }")
            sdl: str = result.ok()["_service"]["sdl"]
            return sdl

    assert (out / "users.graphql").read_text(encoding="utf-8").rstrip("\n") == asyncio.run(
        served()
    ).rstrip("\n")
    # and the composition's routing URLs are the services' default ports
    urls = {s.name: s.url for s in load_subgraphs_from_dir(out)}
    assert urls == {s.name: f"http://127.0.0.1:{s.default_port}/graphql" for s in SUBGRAPHS}
