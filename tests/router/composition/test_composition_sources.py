"""Where subgraph SDLs come from (files, a running subgraph's ``_service``), and the command."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import strawberry
from strawberry.asgi import GraphQL

from router.composition import (
    SubgraphFetchError,
    SubgraphSource,
    compose,
    fetch_subgraph,
    fetch_subgraphs,
    load_subgraphs_from_dir,
)
from router.composition.__main__ import main
from tests.router.composition.graphs import ENTITIES, link


def write_graph(directory: Path, graph: list[SubgraphSource]) -> None:
    for source in graph:
        (directory / f"{source.name}.graphql").write_text(source.sdl, encoding="utf-8")


def test_load_from_dir_names_subgraphs_after_files_and_skips_the_supergraph(
    tmp_path: Path,
) -> None:
    write_graph(tmp_path, ENTITIES)
    (tmp_path / "supergraph.graphql").write_text("not a subgraph", encoding="utf-8")
    loaded = load_subgraphs_from_dir(
        tmp_path, {"users": "http://u/graphql", "accounts": "http://a/graphql"}
    )
    assert [(s.name, s.url) for s in loaded] == [
        ("accounts", "http://a/graphql"),
        ("users", "http://u/graphql"),
    ]
    assert compose(loaded) == compose(
        [SubgraphSource(s.name, s.url, s.sdl) for s in loaded]  # same input, same output
    )


def test_load_from_dir_uses_the_project_ports_by_default(tmp_path: Path) -> None:
    (tmp_path / "users.graphql").write_text(ENTITIES[1].sdl, encoding="utf-8")
    [users] = load_subgraphs_from_dir(tmp_path)
    assert users.url == "http://127.0.0.1:4001/graphql"


def test_load_from_dir_refuses_to_guess_an_unknown_url(tmp_path: Path) -> None:
    (tmp_path / "payments.graphql").write_text("type Query { a: Int }", encoding="utf-8")
    with pytest.raises(ValueError, match="payments=URL"):
        load_subgraphs_from_dir(tmp_path)


def test_load_from_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no subgraph schemas"):
        load_subgraphs_from_dir(tmp_path)


# A real Strawberry federation subgraph, served in-process: what `_service { sdl }` really returns.
@strawberry.federation.type(keys=["id"])
class Book:
    id: strawberry.ID
    title: str


@strawberry.type
class BookQuery:
    @strawberry.field
    def book(self, id: strawberry.ID) -> Book | None:
        return Book(id=id, title="Dune")


BOOKS_SCHEMA = strawberry.federation.Schema(query=BookQuery, federation_version="2.9")


@strawberry.type
class NoServiceQuery:
    hello: str = "world"


def client_for(schema: strawberry.Schema) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=GraphQL(schema)))


async def test_fetch_subgraph_reads_service_sdl_and_it_composes() -> None:
    async with client_for(BOOKS_SCHEMA) as client:
        source = await fetch_subgraph("books", "http://books.test/graphql", client=client)
    assert source.name == "books"
    assert source.url == "http://books.test/graphql"
    assert 'type Book @key(fields: "id")' in source.sdl
    supergraph = compose([source])
    assert '@join__type(graph: BOOKS, key: "id")' in supergraph
    assert "_entities" not in supergraph


async def test_fetch_subgraphs_keeps_the_given_order() -> None:
    async with client_for(BOOKS_SCHEMA) as client:
        sources = await fetch_subgraphs(
            {"b": "http://b.test/graphql", "a": "http://a.test/graphql"}, client=client
        )
    assert [s.name for s in sources] == ["b", "a"]


async def test_fetch_from_a_server_without_service_field_explains() -> None:
    plain = strawberry.Schema(query=NoServiceQuery)
    async with client_for(plain) as client:
        with pytest.raises(SubgraphFetchError) as caught:
            await fetch_subgraph("plain", "http://plain.test/graphql", client=client)
    assert caught.value.subgraph == "plain"
    assert "_service" in str(caught.value)


async def test_fetch_from_an_unreachable_subgraph_explains() -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(SubgraphFetchError, match="ConnectError"):
            await fetch_subgraph("gone", "http://gone.test/graphql", client=client)


async def test_fetch_reports_http_errors() -> None:
    async def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="maintenance")

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as client:
        with pytest.raises(SubgraphFetchError, match="HTTP 503"):
            await fetch_subgraph("down", "http://down.test/graphql", client=client)


def test_command_writes_the_supergraph_and_checks_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_graph(tmp_path, ENTITIES)
    out = tmp_path / "supergraph.graphql"
    urls = ["--url", "users=http://u/graphql", "--url", "accounts=http://a/graphql"]
    assert main(["--from-files", str(tmp_path), *urls, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == compose(
        load_subgraphs_from_dir(
            tmp_path, {"users": "http://u/graphql", "accounts": "http://a/graphql"}
        )
    )
    assert main(["--from-files", str(tmp_path), *urls, "--check", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert main(["--from-files", str(tmp_path), *urls, "--check", str(out)]) == 3
    assert "stale" in capsys.readouterr().err


def test_command_prints_each_composition_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "users.graphql").write_text(
        link("@key") + ' type User @key(fields: "uuid") { id: ID! } type Query { u: User }',
        encoding="utf-8",
    )
    assert main(["--from-files", str(tmp_path), "--out", "-"]) == 1
    err = capsys.readouterr().err
    assert "KEY_INVALID_FIELDS" in err
    assert '"uuid"' in err


def test_command_rejects_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--from-urls", "no-equals-sign"]) == 2
    assert "NAME=URL" in capsys.readouterr().err
    assert main(["--from-files", str(tmp_path / "missing")]) == 2


def test_command_from_urls_reports_an_unreachable_subgraph(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    assert main(["--from-urls", "books=http://127.0.0.1:1/graphql"]) == 2
    err = capsys.readouterr().err
    assert "'books'" in err
    assert "http://127.0.0.1:1/graphql" in err
