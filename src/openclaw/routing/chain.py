"""Build the candidate chain (a :class:`~openclaw.routing.types.Target`) for one request.

Rules (OpenClaw spec §15.9 and §15.11):

==============================================  =============================================
what the caller named                           chain
==============================================  =============================================
nothing (the configured default)                ``agents.defaults.model.primary`` (or
                                                ``openrouter/auto``), then
                                                ``agents.defaults.model.fallbacks``
nothing, for an agent with its own model        that primary only (strict), unless the agent
                                                declares ``fallbacks`` (then primary + those)
a model, ``strict=True`` (``--model``,          exactly that model; key rotation still applies
``x-openclaw-model``)
a model, ``strict=False``                       the model, the configured fallbacks, then the
                                                configured primary last
a per-request list (``fallbacks=[...]``,        exactly the model (or the default primary) +
OpenRouter ``models``)                          the list; ``[]`` means no fallback
==============================================  =============================================

Duplicates are dropped (first one wins). Every entry is resolved with
:meth:`~openclaw.runtime.Runtime.resolve`: aliases, bare ids of configured models, and a "did you
mean" :class:`~openclaw.errors.RefError` for an unknown provider or alias.
"""

from __future__ import annotations

from ..config.schema import ModelSelection
from ..errors import RefError
from ..paths import DEFAULT_AGENT_ID
from ..refs import ModelRef
from ..runtime import DEFAULT_PRIMARY, Runtime
from .types import Target

__all__ = ["DEFAULT_LABEL", "build_target"]

DEFAULT_LABEL = "openclaw/default"


def _agent_selection(runtime: Runtime, agent_id: str) -> tuple[str | None, list[str] | None] | None:
    """The agent's own (primary, fallbacks or None when it declares none); None: no own model."""
    agents = runtime.typed.agents
    entry = agents.entries.get(agent_id) if agents else None
    if entry is None or entry.model is None:
        return None
    model = entry.model
    if isinstance(model, ModelSelection):
        return model.primary, None if model.fallbacks is None else list(model.fallbacks)
    return model, None


def _defaults(runtime: Runtime) -> tuple[str, list[str]]:
    agents = runtime.typed.agents
    defaults = agents.defaults if agents else None
    model = defaults.model if defaults else None
    if isinstance(model, ModelSelection):
        return model.primary or DEFAULT_PRIMARY, list(model.fallbacks or [])
    return model or DEFAULT_PRIMARY, []


def _resolve_all(runtime: Runtime, raws: list[str], *, first_is_request: bool) -> tuple[ModelRef, ...]:
    refs: list[ModelRef] = []
    seen: set[tuple[str, str | None]] = set()
    for index, raw in enumerate(raws):
        try:
            ref = runtime.resolve(raw)
        except RefError as exc:
            if index == 0 and first_is_request:
                raise
            raise RefError(f"Configured fallback: {exc.message}", ref=exc.ref) from exc
        ident = (ref.key, ref.profile)
        if ident not in seen:
            seen.add(ident)
            refs.append(ref)
    return tuple(refs)


def build_target(
    runtime: Runtime,
    requested: str | None,
    *,
    agent_id: str = DEFAULT_AGENT_ID,
    fallbacks: list[str] | None = None,
    strict: bool = False,
) -> Target:
    """The ordered candidates for ``requested`` (None: the agent's configured model)."""
    requested = requested.strip() if requested and requested.strip() else None
    default_primary, default_fallbacks = _defaults(runtime)
    if requested is None:
        own = _agent_selection(runtime, agent_id)
        if own is not None and own[0]:
            primary: str = own[0]
            own_fallbacks = own[1]
            extra = (own_fallbacks or []) if fallbacks is None else fallbacks
            chain: list[str] = [primary, *extra]
            pinned = own_fallbacks is None or fallbacks is not None
            label = f"openclaw/{agent_id}"
        else:
            primary = default_primary
            chain = [primary, *(default_fallbacks if fallbacks is None else fallbacks)]
            pinned = fallbacks is not None
            label = DEFAULT_LABEL if agent_id == DEFAULT_AGENT_ID else f"openclaw/{agent_id}"
        refs = _resolve_all(runtime, chain, first_is_request=False)
        return Target(refs, label=label, agent_id=agent_id, strict=pinned)
    asked: str = requested
    if fallbacks is not None:
        chain = [asked, *fallbacks]
    elif strict:
        chain = [asked]
    else:
        chain = [asked, *default_fallbacks, default_primary]
    refs = _resolve_all(runtime, chain, first_is_request=True)
    return Target(refs, label=requested, agent_id=agent_id, strict=strict or fallbacks is not None)
