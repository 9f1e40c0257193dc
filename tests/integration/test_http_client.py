"""runtime/http_client.py against a real server on a local port: answers read whole, every
failure one of three kinds, an answer larger than allowed refused, the trace context sent."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runtime.http_client import HttpClient, TimedOut, Unreachable, Unsendable
from runtime.tracing import continuing

pytestmark = pytest.mark.asyncio


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {"body": body.decode(), "headers": dict(request.headers)},
        status=int(request.query.get("status", "200")),
        headers={"Retry-After": "7"},
    )


async def _slow(_: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response(text="late")


async def _streamed(request: web.Request) -> web.StreamResponse:
    """Chunked: no Content-Length announces the size."""
    answer = web.StreamResponse()
    await answer.prepare(request)
    for _ in range(int(request.query["chunks"])):
        await answer.write(b"x" * 1024)
    await answer.write_eof()
    return answer


async def _bomb(_: web.Request) -> web.Response:
    """Small on the wire, large once decompressed."""
    return web.Response(body=gzip.compress(b"0" * 1_000_000), headers={"Content-Encoding": "gzip"})


async def _hang_up(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()
    await asyncio.sleep(1)
    return web.Response()


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/streamed", _streamed)
    app.router.add_get("/bomb", _bomb)
    app.router.add_get("/hang-up", _hang_up)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(max_body=100_000)
    yield client
    await client.aclose()


async def test_a_json_body_and_utf8_headers_arrive_and_the_answer_is_read_whole(
    server: str, http: HttpClient
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    with continuing("filing", f"00-{trace_id}-00f067aa0ba902b7-01"):
        response = await http.post(
            f"{server}/echo?status=503",
            json={"名称": "一窗受理"},
            headers={"Idempotency-Key": "键-1"},
            timeout=5,
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    echoed = json.loads(response.content)
    assert json.loads(echoed["body"]) == {"名称": "一窗受理"}
    assert echoed["headers"]["Content-Type"] == "application/json"
    assert echoed["headers"]["Idempotency-Key"] == "键-1"  # sent as UTF-8
    assert echoed["headers"]["traceparent"].split("-")[1] == trace_id


async def test_a_client_spans_url_keeps_no_secret(server: str, http: HttpClient) -> None:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        await http.post(f"{server}/echo?token=s3cret", content=b"{}", timeout=5)
        [span] = [s for s in exporter.get_finished_spans() if s.name == "POST"]
    finally:
        exporter.shutdown()  # later tests' spans are dropped, not kept in memory
    assert span.attributes is not None
    assert span.attributes["url.full"] == f"{server}/echo?token=***"
    assert span.attributes["http.response.status_code"] == 200


async def test_a_slow_answer_is_a_time_out(server: str, http: HttpClient) -> None:
    with pytest.raises(TimedOut):
        await http.get(f"{server}/slow", timeout=0.3)


async def test_no_listener_and_a_hang_up_are_unreachable(server: str, http: HttpClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(Unreachable):
        await http.get(f"http://127.0.0.1:{closed_port}/", timeout=2)
    with pytest.raises(Unreachable):
        await http.get(f"{server}/hang-up", timeout=2)


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("ftp://127.0.0.1/x", {}),
        ("not a url", {}),
        ("http://", {}),
        ("{server}/echo", {"Idempotency-Key": "k\r\nX-Injected: 1"}),
    ],
)
async def test_what_cannot_be_sent_is_unsendable(
    server: str, http: HttpClient, url: str, headers: dict[str, str]
) -> None:
    with pytest.raises(Unsendable):
        await http.post(url.format(server=server), content=b"", headers=headers, timeout=2)


async def test_an_answer_larger_than_allowed_is_refused_however_it_comes(
    server: str, http: HttpClient
) -> None:
    assert len((await http.get(f"{server}/streamed?chunks=50", timeout=5)).content) == 51_200
    with pytest.raises(Unreachable, match="over 100000 bytes"):
        await http.get(f"{server}/streamed?chunks=200", timeout=5)
    with pytest.raises(Unreachable, match="over 100000 bytes"):
        await http.get(f"{server}/bomb", timeout=5)
