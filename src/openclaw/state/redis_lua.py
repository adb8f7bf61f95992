"""The Redis side of :class:`~openclaw.state.redis.RedisState`: key names, Lua scripts, codecs.

Keys (``P`` is ``state.prefix``, ``openclaw:`` by default)::

    P cooldown:<key>   hash: key, reason, until, error_count, disabled, last_failure_at, model?, seq
                       expires at max(until, last_failure_at + retention)
    P cooldowns        sorted set: cooldown key -> expiry (ms); what a resync or a wipe reads
    P cooldown-seq     counter: every write takes the next number (orders writes and events);
                       created at Redis's clock in microseconds, so a Redis that restarted empty
                       (or was flushed) still numbers its writes above everything seen before
    P hits:<bucket>    sorted set of event times for hit() (at most limit + 1 members)
    P events           pub/sub channel: one JSON message per write

Every write is one script, so the merge (never shorten a cooldown, escalate counts), the
sequence number, the expiry, the index and the event happen atomically. Numbers that came from
Python are stored as the strings Python wrote (``repr`` of a float round-trips); the scripts
compare them with ``tonumber`` but never re-format them, and sequence numbers travel as decimal
strings, so nothing loses precision.

Events (JSON)::

    {"op": "set", "seq": "N", "rec": {<the hash's fields, as strings>}}
    {"op": "del", "seq": "N", "keys": [...]}
    {"op": "wipe", "seq": "N"}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import Cooldown

__all__ = [
    "CLEAR",
    "FAIL",
    "HIT",
    "OK",
    "SNAPSHOT",
    "WIPE",
    "Event",
    "Keys",
    "decode_event",
    "decode_record",
    "failure_args",
    "pairs",
]

# Shared by the scripts that read or take a sequence number (as a decimal string).
_SEQ = """
local function seq_now(key)  -- the counter, or (none yet) Redis's clock in microseconds
  local seq = redis.call('GET', key)
  if seq then return seq end
  local t = redis.call('TIME')
  return string.format('%d', tonumber(t[1]) * 1000000 + tonumber(t[2]))
end
local function seq_next(key)
  if not redis.call('GET', key) then redis.call('SET', key, seq_now(key)) end
  return string.format('%d', redis.call('INCR', key))
end
"""

# KEYS: hash, index, seq.  ARGV: key, reason, until, error_count, disabled, last_failure_at,
# model ('' for none), retention (s), channel.  Returns the stored hash (flat list).
_FAIL = """
local h, idx = KEYS[1], KEYS[2]
local n_until, n_count, n_lfa = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local retention = tonumber(ARGV[8])
local old = redis.call('HMGET', h, 'reason', 'until', 'error_count', 'last_failure_at')
local o_until, o_count, o_lfa = tonumber(old[2]), tonumber(old[3]), tonumber(old[4])
if not (o_until and o_count and o_lfa) then
  o_until = nil
elseif not (o_until > n_lfa or n_lfa - o_lfa <= retention) then
  o_until = nil  -- outside the failure window: start over
end
local lfa = ARGV[6]
if o_until and o_lfa > n_lfa then lfa = old[4] end
if o_until and o_until > n_until then
  redis.call('HSET', h, 'error_count', math.max(o_count, n_count), 'last_failure_at', lfa)
else
  local count = n_count
  if o_until and old[1] == ARGV[2] then count = math.max(o_count, n_count) end
  redis.call('DEL', h)
  redis.call('HSET', h, 'key', ARGV[1], 'reason', ARGV[2], 'until', ARGV[3], 'error_count', count,
             'disabled', ARGV[5], 'last_failure_at', lfa)
  if ARGV[7] ~= '' then redis.call('HSET', h, 'model', ARGV[7]) end
end
local seq = seq_next(KEYS[3])
redis.call('HSET', h, 'seq', seq)
local f = redis.call('HMGET', h, 'until', 'last_failure_at')
local expire = string.format('%d', math.ceil(math.max(tonumber(f[1]), tonumber(f[2]) + retention) * 1000))
redis.call('PEXPIREAT', h, expire)
redis.call('ZADD', idx, expire, ARGV[1])
local flat = redis.call('HGETALL', h)
local rec = {}
for i = 1, #flat, 2 do rec[flat[i]] = flat[i + 1] end
redis.call('PUBLISH', ARGV[9], cjson.encode({op = 'set', seq = seq, rec = rec}))
return flat
"""

# A success: delete the record unless a failure newer than the success is stored.
# KEYS: hash, index, seq.  ARGV: key, now, channel.
# Returns {0, seq} (nothing stored), {1, flat} (a newer failure: kept), {2, seq} (deleted).
_OK = """
local lfa = redis.call('HGET', KEYS[1], 'last_failure_at')
if not lfa then return {0, seq_now(KEYS[3])} end
if tonumber(lfa) > tonumber(ARGV[2]) then return {1, redis.call('HGETALL', KEYS[1])} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local seq = seq_next(KEYS[3])
redis.call('PUBLISH', ARGV[3], cjson.encode({op = 'del', seq = seq, keys = {ARGV[1]}}))
return {2, seq}
"""

# KEYS: index, seq, hash 1..n.  ARGV: channel, key 1..n.  Returns {removed, seq}.
_CLEAR = """
local count = 0
local keys = {}
for i = 3, #KEYS do
  count = count + redis.call('DEL', KEYS[i])
  redis.call('ZREM', KEYS[1], ARGV[i - 1])
  keys[#keys + 1] = ARGV[i - 1]
end
local seq = seq_next(KEYS[2])
redis.call('PUBLISH', ARGV[1], cjson.encode({op = 'del', seq = seq, keys = keys}))
return {count, seq}
"""

# KEYS: index, seq.  ARGV: channel, hash prefix.  Returns {removed, seq}.
_WIPE = """
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local count = 0
for i = 1, #members do count = count + redis.call('DEL', ARGV[2] .. members[i]) end
redis.call('DEL', KEYS[1])
local seq = seq_next(KEYS[2])
redis.call('PUBLISH', ARGV[1], cjson.encode({op = 'wipe', seq = seq}))
return {count, seq}
"""

# KEYS: index, seq.  ARGV: hash prefix, max records.  Returns {seq, flat 1, flat 2, ...},
# one consistent view (the script runs alone).
_SNAPSHOT = """
local t = redis.call('TIME')
local now_ms = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local out = {seq_now(KEYS[2])}
for i = 1, #members do out[#out + 1] = redis.call('HGETALL', ARGV[1] .. members[i]) end
return out
"""

FAIL, OK, CLEAR, WIPE, SNAPSHOT = (_SEQ + body for body in (_FAIL, _OK, _CLEAR, _WIPE, _SNAPSHOT))

# A sliding-window counter. KEYS: bucket.  ARGV: now, cutoff (now - window), keep (limit + 1),
# limit, unique member, ttl (ms).  Returns the oldest kept time when over the limit, else nil.
HIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
local n = redis.call('ZCARD', KEYS[1])
local keep = tonumber(ARGV[3])
if n > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep - 1)
  n = keep
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if n > tonumber(ARGV[4]) then return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] end
return false
"""


@dataclass(frozen=True, slots=True)
class Keys:
    """The Redis names for one prefix."""

    prefix: str

    @property
    def hash_prefix(self) -> str:
        return f"{self.prefix}cooldown:"

    def hash(self, key: str) -> str:
        return f"{self.prefix}cooldown:{key}"

    @property
    def index(self) -> str:
        return f"{self.prefix}cooldowns"

    @property
    def seq(self) -> str:
        return f"{self.prefix}cooldown-seq"

    @property
    def channel(self) -> str:
        return f"{self.prefix}events"

    def hits(self, bucket: str) -> str:
        return f"{self.prefix}hits:{bucket}"


@dataclass(frozen=True, slots=True)
class Event:
    op: str  # set, del, wipe
    seq: int
    record: Cooldown | None = None
    keys: tuple[str, ...] = ()


def failure_args(cooldown: Cooldown, retention: float) -> list[str]:
    """ARGV for :data:`FAIL` (without the channel)."""
    return [
        cooldown.key,
        cooldown.reason,
        repr(float(cooldown.until)),
        str(int(cooldown.error_count)),
        "1" if cooldown.disabled else "0",
        repr(float(cooldown.last_failure_at)),
        cooldown.model or "",
        repr(float(retention)),
    ]


def pairs(flat: Any) -> dict[str, str]:
    """A flat ``[field, value, ...]`` reply (or a dict) as a dict of strings."""
    if isinstance(flat, dict):
        return {_text(k): _text(v) for k, v in flat.items()}
    if not isinstance(flat, list):
        return {}
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat) - 1, 2)}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def decode_record(fields: dict[str, str]) -> tuple[Cooldown, int] | None:
    """A stored hash as (cooldown, seq); None when it is damaged or empty."""
    try:
        record = Cooldown(
            key=fields["key"],
            reason=fields["reason"],
            until=float(fields["until"]),
            error_count=int(float(fields["error_count"])),
            disabled=fields.get("disabled") == "1",
            last_failure_at=float(fields["last_failure_at"]),
            model=fields.get("model") or None,
        )
        return record, int(fields["seq"])
    except (KeyError, ValueError):
        return None


def decode_event(data: Any) -> Event | None:
    """A pub/sub payload; None when it is not one of ours."""
    import orjson

    try:
        msg = orjson.loads(data)
        op, seq = msg["op"], int(msg["seq"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    if op == "set":
        decoded = decode_record(pairs(msg.get("rec")))
        return None if decoded is None else Event("set", seq, record=decoded[0])
    if op == "del":
        keys = msg.get("keys")
        return Event("del", seq, keys=tuple(str(k) for k in keys)) if isinstance(keys, list) else None
    if op == "wipe":
        return Event("wipe", seq)
    return None
