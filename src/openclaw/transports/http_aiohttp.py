"""AiohttpClient: the :class:`~openclaw.transports.base.HttpClient` seam on one pooled aiohttp
session, for the gateway (long-lived, many concurrent upstream requests).

The session is created on first use (it needs a running loop) with a tuned connector: a large
total connection limit, no per-host limit (one upstream host takes most of the traffic), DNS
cache, keep-alive, and no cookie jar (upstream cookies must never leak between callers).

A response whose body was read to the end returns its connection to the pool; one that was left
early (the caller went away mid-stream) closes its connection, so the upstream sees the
disconnect at once and stops generating (and billing).

aiohttp errors map to :class:`~openclaw.errors.ProviderError` kinds: ``connect`` (DNS, refused,
TLS, connect timeout), ``timeout`` (headers or the next body byte later than ``Timeouts.read``,
or past ``Timeouts.total``), ``reset`` (closed before the headers), ``cut`` (closed mid-body).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ProviderError
from .base import Timeouts

if TYPE_CHECKING:
    import ssl

    import aiohttp

__all__ = ["AiohttpClient"]


def _map_error(exc: BaseException, *, phase: str) -> ProviderError:
    """``phase`` is ``head`` (before the response headers) or ``body``."""
    import aiohttp

    name = exc.__class__.__name__
    detail = str(exc) or name
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ProviderError(f"could not connect to the upstream in time ({detail})", kind="connect")
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ClientSSLError | aiohttp.InvalidURL):
        return ProviderError(f"could not connect to the upstream: {detail}", kind="connect")
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        where = "response headers" if phase == "head" else "data"
        return ProviderError(f"no {where} from the upstream in time", kind="timeout")
    if isinstance(exc, aiohttp.ClientResponseError) and phase == "head":
        return ProviderError(f"the upstream's answer is not valid HTTP ({detail})", kind="malformed")
    if phase == "body":
        return ProviderError(f"the upstream closed the connection mid-body ({name})", kind="cut")
    return ProviderError(f"the upstream closed the connection before answering ({name})", kind="reset")


class AiohttpResponse:
    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers: Mapping[str, str] = {k.lower(): v for k, v in resp.headers.items()}
        self.complete = False

    async def read(self) -> bytes:
        import aiohttp

        try:
            data = await self._resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _map_error(exc, phase="body") from None
        self.complete = True
        return data

    async def chunks(self) -> AsyncIterator[bytes]:
        import aiohttp

        content = self._resp.content
        while True:
            try:
                data = await content.readany()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise _map_error(exc, phase="body") from None
            if not data:
                self.complete = True
                return
            yield data


class AiohttpClient:
    """One pooled aiohttp session (created lazily on the running loop)."""

    def __init__(
        self,
        *,
        limit: int = 4096,
        limit_per_host: int = 0,
        keepalive_timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._keepalive = keepalive_timeout
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(
                limit=self._limit,
                limit_per_host=self._limit_per_host,
                keepalive_timeout=self._keepalive,
                ttl_dns_cache=300,
                ssl=self._ssl if self._ssl is not None else True,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent",),
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    @contextlib.asynccontextmanager
    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> AsyncIterator[AiohttpResponse]:
        import aiohttp

        session = self._get_session()
        timeout = aiohttp.ClientTimeout(
            total=timeouts.total, sock_connect=timeouts.connect, sock_read=timeouts.read
        )
        kwargs: dict[str, Any] = {"headers": dict(headers), "data": body, "timeout": timeout}
        try:
            resp = await session.request(method, url, allow_redirects=False, **kwargs)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _map_error(exc, phase="head") from None
        wrapped = AiohttpResponse(resp)
        try:
            yield wrapped
        finally:
            if wrapped.complete:
                resp.release()
            else:
                resp.close()  # drop the connection: the upstream sees the caller leave

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
