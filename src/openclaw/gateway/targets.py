"""What a request's ``model`` names, turned into a routing :class:`~openclaw.routing.types.Target`.

Naming rules, in order (documented in docs/gateway.md):

1. **Agent targets** (as OpenClaw's gateway): ``openclaw`` and ``openclaw/default`` are the default
   agent; ``openclaw/<agentId>``, ``openclaw:<agentId>`` and ``agent:<agentId>`` name an agent. The
   agent's primary runs with its configured fallbacks. ``x-openclaw-agent-id`` picks the agent for
   ``openclaw``/``openclaw/default``; ``x-openclaw-model`` replaces the agent's backend model
   (strict: that model only, with auth-profile rotation).
2. **Aliases** (``agents.defaults.models.<ref>.alias``) and bare model ids that exactly one
   configured ref owns.
3. **Model refs** ``provider/model`` whose provider we hold credentials for
   (``openrouter/anthropic/claude-sonnet-4-5``, ``openai/gpt-4o-mini`` with an OpenAI key).
4. **Bare OpenRouter ids** (``anthropic/claude-sonnet-4.5``, ``meta-llama/llama-3.3-70b``): when the
   first segment is not a provider we hold credentials for, and OpenRouter is configured, the id is
   sent to OpenRouter as ``openrouter/<id>``. The response's ``model`` is then the id the upstream
   reports, as OpenRouter does.

Anything else is a 404 with a "did you mean". Resolutions are cached per distinct request shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import CredentialError, RefError
from ..paths import DEFAULT_AGENT_ID
from ..refs import suggest
from .errors import HttpError

if TYPE_CHECKING:
    from ..routing.types import Served, Target
    from ..runtime import Runtime

__all__ = ["ResolvedTarget", "TargetResolver", "agent_from_model", "display_model"]

_CACHE_MAX = 2048
_AGENT_PREFIXES = ("openclaw/", "openclaw:", "agent:")


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    target: Target
    agent_id: str
    bare: bool  # a bare OpenRouter id: report the upstream's model id
    label: str  # what the caller asked for (for logs)


def agent_from_model(name: str) -> str | None:
    """``openclaw`` → ``default``; ``openclaw/x``, ``openclaw:x``, ``agent:x`` → ``x``; else None."""
    if name == "openclaw":
        return "default"
    for prefix in _AGENT_PREFIXES:
        if name.startswith(prefix):
            rest = name[len(prefix) :].strip()
            return rest or None
    return None


class TargetResolver:
    """Resolves model names for one runtime; knows the agents and which providers have keys."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        agents = runtime.typed.agents
        entries = agents.entries if agents else {}
        self.agent_ids: list[str] = list(dict.fromkeys([DEFAULT_AGENT_ID, *entries]))
        marked = [aid for aid, entry in entries.items() if entry.default]
        self.default_agent = marked[0] if marked else DEFAULT_AGENT_ID
        self._usable: dict[str, bool] = {}
        self._cache: dict[tuple[object, ...], ResolvedTarget] = {}

    # -- providers ---------------------------------------------------------------------------

    def usable(self, provider: str) -> bool:
        """True when we hold a credential for ``provider`` (cached for the process lifetime)."""
        found = self._usable.get(provider)
        if found is None:
            try:
                found = bool(self._runtime.credentials(provider))
            except (CredentialError, RefError):
                found = False
            self._usable[provider] = found
        return found

    # -- names -------------------------------------------------------------------------------

    def _agent(self, raw: str) -> str:
        agent = self.default_agent if raw == "default" else raw
        if agent not in self.agent_ids:
            hint = suggest(agent, self.agent_ids)
            extra = f' Did you mean "openclaw/{hint}"?' if hint else ""
            raise HttpError(404, f'Unknown agent "{raw}".{extra}', param="model", code="model_not_found")
        return agent

    def ref_key(self, name: str) -> tuple[str, bool]:
        """A model name as a ref key, and whether it is a bare OpenRouter id."""
        runtime = self._runtime
        head, sep, _ = name.partition("/")
        if sep and head.lower() not in runtime.known_providers() and self.usable("openrouter"):
            return f"openrouter/{name}", True
        try:
            ref = runtime.resolve(name)
        except RefError as exc:
            raise self._unknown(name, exc.suggestion) from None
        if (
            sep
            and ref.provider == head.lower()
            and not self.usable(ref.provider)
            and self.usable("openrouter")
        ):
            return f"openrouter/{name}", True  # e.g. openai/gpt-4o-mini without an OpenAI key
        return ref.key if ref.profile is None else str(ref), False

    def _unknown(self, name: str, hint: str | None) -> HttpError:
        if hint is None:
            hint = suggest(name, ["openclaw", *(f"openclaw/{a}" for a in self.agent_ids)])
        extra = f' Did you mean "{hint}"?' if hint else ""
        return HttpError(
            404,
            f'Unknown model "{name}".{extra} Use an agent (openclaw, openclaw/<agentId>), a model ref '
            "(provider/model), an alias, or an OpenRouter model id.",
            param="model",
            code="model_not_found",
        )

    def resolve(
        self,
        model: str,
        *,
        fallbacks: list[str] | None = None,
        model_header: str | None = None,
        agent_header: str | None = None,
    ) -> ResolvedTarget:
        key = (model, tuple(fallbacks) if fallbacks is not None else None, model_header, agent_header)
        found = self._cache.get(key)
        if found is not None:
            return found
        found = self._build(model, fallbacks, model_header, agent_header)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = found
        return found

    def _build(
        self, model: str, fallbacks: list[str] | None, model_header: str | None, agent_header: str | None
    ) -> ResolvedTarget:
        from ..routing.chain import build_target

        agent_name = agent_from_model(model)
        extra = [self.ref_key(f)[0] for f in fallbacks] if fallbacks else None
        try:
            if agent_name is not None:
                if agent_header and agent_name == "default":
                    agent_name = agent_header.strip()
                agent = self._agent(agent_name)
                if model_header:
                    ref, _ = self.ref_key(model_header.strip())
                    target = build_target(
                        self._runtime, ref, agent_id=agent, fallbacks=extra, strict=not extra
                    )
                else:
                    target = build_target(self._runtime, None, agent_id=agent, fallbacks=extra)
                return ResolvedTarget(target, agent, False, model)
            ref, bare = self.ref_key(model)
            agent = self._agent(agent_header.strip()) if agent_header else self.default_agent
            target = build_target(self._runtime, ref, agent_id=agent, fallbacks=extra, strict=extra is None)
            return ResolvedTarget(target, agent, bare, model)
        except RefError as exc:
            raise self._unknown(exc.ref or model, exc.suggestion) from None


def display_model(resolved: ResolvedTarget, served: Served, reported: str | None) -> str:
    """The response's ``model``: the served ref key (``openrouter/openai/gpt-4o-mini``) for agent
    targets, refs and aliases; the upstream's own model id for a bare OpenRouter id, as
    OpenRouter does."""
    if resolved.bare:
        return reported or served.model or resolved.label
    return served.ref.key
