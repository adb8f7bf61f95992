"""Both HttpClient implementations (lean asyncio streams, pooled aiohttp) against the fake
upstream: framing, streaming, keep-alive, early close, error kinds, TLS."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path

import orjson
import pytest

from openclaw.errors import InputError, ProviderError
from openclaw.testing import FakeUpstream, Reply
from openclaw.transports.base import HttpClient, Timeouts
from openclaw.transports.http_aiohttp import AiohttpClient
from openclaw.transports.http_lean import LeanHttpClient

JSON = {"Content-Type": "application/json"}
T = Timeouts(connect=2, read=5)


def chat(up: FakeUpstream) -> str:
    return f"{up.base_url}/chat/completions"


async def test_content_length_body(upstream: FakeUpstream, http: HttpClient) -> None:
    async with http.request("POST", chat(upstream), headers=JSON, body=b'{"model":"m"}', timeouts=T) as resp:
        assert resp.status == 200 and resp.headers["content-type"] == "application/json"
        data = orjson.loads(await resp.read())
    assert data["choices"][0]["message"]["content"] == "OK"
    sent = upstream.requests[0]
    assert sent.body == b'{"model":"m"}' and sent.headers["content-length"] == "13"
    assert sent.headers["host"] == f"127.0.0.1:{upstream.port}"


async def test_chunked_stream_arrives_in_pieces(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("abc", chunks=["a", "b", "c"], interval=0.02))
    pieces = []
    async with http.request(
        "POST", chat(upstream), headers=JSON, body=b'{"stream":true}', timeouts=T
    ) as resp:
        assert resp.headers["transfer-encoding"] == "chunked"
        async for piece in resp.chunks():
            pieces.append(piece)
    body = b"".join(pieces)
    assert body.endswith(b"data: [DONE]\n\n") and b"0\r\n" not in body[-8:]
    assert len(pieces) >= 3  # delivered as the upstream sent them, not buffered to the end


async def test_keep_alive_pool_reuses_the_connection(upstream: FakeUpstream, http: HttpClient) -> None:
    for _ in range(3):
        async with http.request("POST", chat(upstream), headers=JSON, body=b"{}", timeouts=T) as resp:
            await resp.read()
    assert upstream.connections_opened == 1


async def test_unread_body_closes_the_connection(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("abc", chunks=list("abcdefgh"), interval=0.05))
    async with http.request(
        "POST", chat(upstream), headers=JSON, body=b'{"stream":true}', timeouts=T
    ) as resp:
        async for _ in resp.chunks():
            break
    assert await upstream.wait_for(lambda u: u.aborted_responses == 1)
    async with http.request("POST", chat(upstream), headers=JSON, body=b"{}", timeouts=T) as resp:
        assert resp.status == 200  # a fresh connection works
        await resp.read()


async def test_get_without_body(upstream: FakeUpstream, http: HttpClient) -> None:
    async with http.request("GET", f"{upstream.base_url}/models", headers={}, body=None, timeouts=T) as resp:
        models = orjson.loads(await resp.read())["data"]
    assert any(m["id"] == "openrouter/auto" for m in models)
    assert upstream.requests[0].body == b""


async def test_stale_pooled_connection_is_retried_once(upstream: FakeUpstream) -> None:
    client = LeanHttpClient()
    try:
        async with client.request("POST", chat(upstream), headers=JSON, body=b"{}", timeouts=T) as resp:
            await resp.read()
        for conn in list(upstream.script.stats.live):  # the server drops idle keep-alive connections
            conn.close()
        await asyncio.sleep(0.05)
        async with client.request("POST", chat(upstream), headers=JSON, body=b"{}", timeouts=T) as resp:
            assert resp.status == 200
            await resp.read()
    finally:
        await client.close()
    assert len(upstream.chat_requests) == 2


async def test_cut_mid_body_is_kind_cut(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.cut(after_chunks=2))
    with pytest.raises(ProviderError) as info:
        async with http.request(
            "POST", chat(upstream), headers=JSON, body=b'{"stream":true}', timeouts=T
        ) as resp:
            await resp.read()
    assert info.value.kind == "cut"


async def test_truncated_content_length_is_kind_cut(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.cut())
    with pytest.raises(ProviderError) as info:
        async with http.request("POST", chat(upstream), headers=JSON, body=b"{}", timeouts=T) as resp:
            await resp.read()
    assert info.value.kind == "cut"


async def test_read_timeout_between_chunks(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("ab", chunks=["a", "b"], interval=2.0))
    with pytest.raises(ProviderError) as info:
        timeouts = Timeouts(connect=2, read=0.2)
        async with http.request(
            "POST", chat(upstream), headers=JSON, body=b'{"stream":true}', timeouts=timeouts
        ) as resp:
            await resp.read()
    assert info.value.kind == "timeout"


async def test_total_timeout(upstream: FakeUpstream, http: HttpClient) -> None:
    upstream.queue(Reply.text("abcdef", chunks=list("abcdef"), interval=0.1))
    with pytest.raises(ProviderError) as info:
        timeouts = Timeouts(connect=2, read=5, total=0.25)
        async with http.request(
            "POST", chat(upstream), headers=JSON, body=b'{"stream":true}', timeouts=timeouts
        ) as resp:
            await resp.read()
    assert info.value.kind == "timeout"


async def test_header_injection_is_refused(upstream: FakeUpstream) -> None:
    client = LeanHttpClient()
    with pytest.raises(InputError):
        async with client.request(
            "GET", upstream.base_url, headers={"X-A": "a\r\nX-B: b"}, body=None, timeouts=T
        ):
            pass
    await client.close()


# ---------------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_with_a_trusted_certificate(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    async with FakeUpstream(ssl_context=server_ctx) as up:
        assert up.base_url.startswith("https://")
        for client in (LeanHttpClient(ssl_context=client_ctx), AiohttpClient(ssl_context=client_ctx)):
            async with client.request("POST", chat(up), headers=JSON, body=b"{}", timeouts=T) as resp:
                assert resp.status == 200
                await resp.read()
            await client.close()


async def test_https_with_an_untrusted_certificate_is_kind_connect(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    async with FakeUpstream(ssl_context=server_ctx) as up:
        for client in (LeanHttpClient(), AiohttpClient()):
            with pytest.raises(ProviderError) as info:
                async with client.request("POST", chat(up), headers=JSON, body=b"{}", timeouts=T):
                    pass
            assert info.value.kind == "connect"
            await client.close()


# ------------------------------------------------------------------ chunked framing, split anywhere

CHUNKED = b"5\r\nHello\r\n1;ext=1\r\n \r\n6\r\nw\xc3\xb6rld\r\n0\r\nX-Trailer: 1\r\n\r\n"


def test_dechunker_at_every_split_position() -> None:
    from openclaw.transports.http_lean import _Dechunker

    for cut in range(len(CHUNKED) + 1):
        parser = _Dechunker()
        payload = parser.feed(CHUNKED[:cut]) + parser.feed(CHUNKED[cut:])
        assert (payload, parser.done, bytes(parser.buf)) == (b"Hello w\xc3\xb6rld", True, b""), cut
    parser = _Dechunker()
    payload = b"".join(parser.feed(CHUNKED[i : i + 1]) for i in range(len(CHUNKED)))
    assert payload == b"Hello w\xc3\xb6rld" and parser.done


def test_dechunker_rejects_bad_framing() -> None:
    from openclaw.transports.http_lean import _Dechunker

    with pytest.raises(ProviderError) as info:
        _Dechunker().feed(b"zz\r\n")
    assert info.value.kind == "malformed"
    with pytest.raises(ProviderError):
        _Dechunker().feed(b"2\r\nabXY")
