"""What the router knows about one model of a chain, computed once per router (the config does
not change under it): the provider, the model's facts, the transport, and one
:class:`Candidate` per credential in rotation order, with their cooldown keys. A model that
cannot be used at all (unknown provider, API kind we cannot call, no credential) carries the
reason instead, and is listed as skipped in every request that names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from ..errors import Attempt, CredentialError, OpenClawError
from ..paths import DEFAULT_AGENT_ID
from ..refs import ModelRef
from ..transports.base import Credential, Timeouts, Transport, UpstreamCall
from ..wire.types import ChatRequest
from .capability import CAPABILITY
from .classify import FORMAT
from .cooldown import credential_key, model_key
from .record import Slot
from .retry import MIN_ATTEMPT_SECONDS
from .types import RequestContext

if TYPE_CHECKING:
    from ..catalog.resolve import ModelFacts, ResolvedProvider
    from .router import Router

# the request of a candidate's call template (``Candidate.call``): never sent, always replaced
_PLACEHOLDER = ChatRequest(messages=[])

__all__ = ["Candidate", "ModelEntry", "model_entry"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One model with one credential."""

    ref: ModelRef
    provider: ResolvedProvider
    transport: Transport
    facts: ModelFacts | None
    credential: Credential
    cred_key: str
    model_key: str
    upstream_model: str
    slot: Slot
    timeouts: Timeouts  # per attempt (the provider's, ``attemptTimeoutSeconds`` as read), uncut
    params: Mapping[str, Any]  # merged per-model params for the default agent
    prepared: object | None  # the transport's static part of a call with ``params`` (or None)
    thinking: str | None  # the default agent's configured thinking level
    # Made once, so that the happy path fills in only what changes per request:
    call: UpstreamCall  # the default agent's call, with a placeholder request and uncut timeouts
    won: Attempt  # this candidate's successful attempt, latency 0
    profile: str  # the credential's label ("" without one), as ``Served`` names it

    def upstream_call(
        self, router: Router, request: ChatRequest, ctx: RequestContext, agent: str, now: float
    ) -> UpstreamCall:
        """The call that sends ``request`` to this candidate at ``now`` (monotonic): timeouts cut
        to what is left of the request's budget (never below the shortest useful attempt); the
        agent's params and thinking level."""
        left = ctx.deadline - now
        if left < MIN_ATTEMPT_SECONDS:  # a comparison, not max(): the builtin costs a call  # noqa: PLR1730
            left = MIN_ATTEMPT_SECONDS
        base = self.timeouts
        connect, read = base.connect, base.read
        timeouts = Timeouts(connect if connect < left else left, read if read < left else left, left)
        if agent == DEFAULT_AGENT_ID and ctx.thinking is None:  # the template is this call
            return replace(self.call, request=request, stream=request.stream, timeouts=timeouts)
        default = agent == DEFAULT_AGENT_ID  # the candidate's params (and prepared call) apply
        return UpstreamCall(  # positional, in field order: provider, ref, model, credential,
            self.provider,  # request, stream, timeouts, params, facts, thinking, prepared
            self.ref,
            self.upstream_model,
            self.credential,
            request,
            request.stream,
            timeouts,
            self.params if default else router.params(self.ref, agent),
            self.facts,
            ctx.thinking or (self.thinking if default else router.thinking(agent)),
            self.prepared if default else None,
        )


@dataclass(frozen=True, slots=True)
class ModelEntry:
    ref: ModelRef
    facts: ModelFacts | None = None
    candidates: tuple[Candidate, ...] = ()
    problem: tuple[str, str] | None = None  # (reason, message): the model cannot be used at all
    cred_error: CredentialError | None = None

    @property
    def slot(self) -> Slot:
        return Slot(self.ref, self.ref.profile, self.facts)


def model_entry(router: Router, ref: ModelRef) -> ModelEntry:
    provider = router.runtime.provider(ref.provider)
    if provider is None:
        return ModelEntry(ref, problem=(FORMAT, f'unknown provider "{ref.provider}"'))
    facts = router.facts(ref, provider)
    try:
        transport = router.transports.transport_for(provider.api)
        plan = router.runtime.credentials(ref.provider, pinned=ref.profile).credentials
    except CredentialError as exc:
        return ModelEntry(ref, facts, problem=("auth", exc.message), cred_error=exc)
    except OpenClawError as exc:
        return ModelEntry(ref, facts, problem=(CAPABILITY, exc.message))
    upstream = router.upstream_model(provider, ref)
    seconds = provider.timeout_seconds
    timeouts = Timeouts() if seconds is None else Timeouts(read=seconds)
    attempt_timeout = router.policy.attempt_timeout
    if attempt_timeout is not None:  # routing.attemptTimeoutSeconds bounds each read instead
        timeouts = Timeouts(timeouts.connect, attempt_timeout)
    params = router.params(ref, DEFAULT_AGENT_ID)
    prepare = getattr(transport, "prepare", None)  # optional: URL, headers, route facts, once
    thinking = router.thinking(DEFAULT_AGENT_ID)
    out = []
    for credential in plan:
        ckey = credential_key(provider.id, credential)
        slot = Slot(ref, credential.label, facts)
        mkey = model_key(ckey, ref.key)
        prepared = prepare(provider, upstream, params, credential) if prepare is not None else None
        out.append(
            Candidate(
                ref,
                provider,
                transport,
                facts,
                credential,
                ckey,
                mkey,
                upstream,
                slot,
                timeouts,
                params,
                prepared,
                thinking,
                UpstreamCall(
                    provider,
                    ref,
                    upstream,
                    credential,
                    _PLACEHOLDER,
                    False,
                    timeouts,
                    params,
                    facts,
                    thinking,
                    prepared,
                ),
                Attempt(ref.provider, ref.model, credential.label, None),
                credential.label or "",
            )
        )
    return ModelEntry(ref, facts, tuple(out))
