"""``openclaw usage --remote``: OpenRouter's own account numbers beside the ledger's.

Two GETs with the OpenRouter credential: ``{base}/key`` (this key's usage today, this week, this
month, all time, and its limit) and ``{base}/credits`` (credits bought and used on the account;
OpenRouter may require a management key for it, in which case that part says so). OpenRouter
resets its daily/weekly/monthly counters in UTC, so the ledger side is summed over the same UTC
periods, for the ``openrouter`` provider only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ..errors import ProviderError
from ..transports.base import HttpClient, Timeouts
from ..usage.store import SqlStore
from .usage_render import money

__all__ = ["RemoteAccount", "fetch_account", "ledger_periods", "remote_json", "remote_text"]

PERIODS = ("today", "week", "month", "all")
_LABELS = {"today": "today (UTC)", "week": "this week (UTC)", "month": "this month (UTC)", "all": "all time"}
_KEY_FIELDS = {"today": "usage_daily", "week": "usage_weekly", "month": "usage_monthly", "all": "usage"}


@dataclass(slots=True)
class RemoteAccount:
    credential: str  # the label (profile id or env:VAR), never the key
    key: dict[str, Any] | None = None
    credits: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)


async def _get_data(http: HttpClient, url: str, secret: str) -> dict[str, Any]:
    headers = {"accept": "application/json", "authorization": f"Bearer {secret}"}
    timeouts = Timeouts(connect=10.0, read=20.0, total=30.0)
    async with http.request("GET", url, headers=headers, body=None, timeouts=timeouts) as resp:
        body = await resp.read()
        status = resp.status
    try:
        doc = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        doc = {}
    if status != 200:
        err = doc.get("error") if isinstance(doc, dict) else None
        message = err.get("message") if isinstance(err, dict) else None
        raise ProviderError(str(message or f"HTTP {status}"), kind="http", status=status)
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise ProviderError(f"{url} returned no 'data' object", kind="malformed", status=status)
    return data


async def fetch_account(http: HttpClient, base_url: str, secret: str, credential: str) -> RemoteAccount:
    account = RemoteAccount(credential)
    base = base_url.rstrip("/")
    for name in ("key", "credits"):
        try:
            setattr(account, name, await _get_data(http, f"{base}/{name}", secret))
        except ProviderError as exc:
            account.errors[name] = exc.describe()
    return account


def _period_starts(now: float) -> dict[str, float | None]:
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    return {"today": today.timestamp(), "week": week.timestamp(), "month": month.timestamp(), "all": None}


def ledger_periods(store: SqlStore | None, now: float | None = None) -> dict[str, float]:
    """Ledger cost for the ``openrouter`` provider over the same UTC periods as OpenRouter's."""
    stamp = time.time() if now is None else now
    out = dict.fromkeys(PERIODS, 0.0)
    if store is None:
        return out
    for name, since in _period_starts(stamp).items():
        for group in store.aggregate("provider", since=since):
            if group.key == "openrouter":
                out[name] = group.cost
    return out


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def remote_text(account: RemoteAccount, ours: dict[str, float]) -> str:
    lines = [f"OpenRouter account (credential {account.credential})"]
    key = account.key or {}
    if account.key is not None and key.get("label"):
        lines[0] += f", key {key['label']}"
    width = max(len(v) for v in _LABELS.values())
    lines.append(f"{'':<{width}}  {'OpenRouter':>12}  {'ledger':>12}")
    for period in PERIODS:
        theirs = _num(key.get(_KEY_FIELDS[period]))
        shown = money(theirs) if theirs is not None else "-"
        lines.append(f"{_LABELS[period]:<{width}}  {shown:>12}  {money(ours[period]):>12}")
    if "key" in account.errors:
        lines.append(f"Key usage unavailable: {account.errors['key']}")
    limit = _num(key.get("limit"))
    if account.key is not None:
        if limit is None:
            lines.append("Key limit: none")
        else:
            reset = f" ({key['limit_reset']} reset)" if key.get("limit_reset") else ""
            remaining = _num(key.get("limit_remaining"))
            rest = f", remaining {money(remaining)}" if remaining is not None else ""
            lines.append(f"Key limit: {money(limit)}{reset}{rest}")
    credits = account.credits or {}
    bought, used = _num(credits.get("total_credits")), _num(credits.get("total_usage"))
    if bought is not None and used is not None:
        lines.append(f"Credits: {money(bought)} bought, {money(used)} used, balance {money(bought - used)}")
    elif "credits" in account.errors:
        lines.append(f"Credits unavailable: {account.errors['credits']}")
    lines.append("The ledger column counts attempts recorded by this machine's openclaw only.")
    return "\n".join(lines) + "\n"


def remote_json(account: RemoteAccount, ours: dict[str, float]) -> dict[str, Any]:
    return {
        "credential": account.credential,
        "key": account.key,
        "credits": account.credits,
        "errors": account.errors,
        "ledger": {p: round(v, 10) for p, v in ours.items()},
    }
