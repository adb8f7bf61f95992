"""``openclaw infer model run`` end to end against the fake upstream (in-process and as a process)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import FAKE_KEY, Cli, CliResult, KeyedCli, clean_env, run_cli_subprocess
from openclaw.testing import FakeUpstream, Reply

SONNET = "openrouter/anthropic/claude-sonnet-4-5"


def write_config(home: Path, config: dict[str, Any]) -> None:
    state = home / ".openclaw"
    state.mkdir(exist_ok=True)
    path = state / "openclaw.json"
    path.write_text(json.dumps(config))
    os.chmod(path, 0o600)


FAST_RETRIES = {"retry": {"baseDelayMs": 1, "maxDelayMs": 5, "jitter": 0}}


def routed(home: Path, up: FakeUpstream, **extra: Any) -> None:
    config: dict[str, Any] = {
        "models": {"providers": {"openrouter": {"baseUrl": up.base_url}}},
        "routing": FAST_RETRIES,
    }
    config.update(extra)
    write_config(home, config)


@pytest.fixture
def run(cli: Cli, home: Path, upstream_thread: FakeUpstream) -> KeyedCli:
    routed(home, upstream_thread)

    def invoke(*args: str, key: str | None = FAKE_KEY) -> CliResult:
        extra = {"OPENROUTER_API_KEY": key} if key else {}
        return cli("infer", "model", "run", *args, extra_env=extra)

    return invoke


def test_text_streams_to_stdout_with_the_default_model(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.text("Hello world", chunks=["Hello", " ", "world"]))
    result = run("--prompt", "Reply with OK")
    assert (result.code, result.stdout, result.stderr) == (0, "Hello world\n", "")
    sent = upstream_thread.chat_requests[0]
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert sent.json == {
        "model": "openrouter/auto",
        "messages": [{"role": "user", "content": "Reply with OK"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_completion_tokens": sent.json["max_completion_tokens"],
    }
    assert "http-referer" not in sent.headers  # custom base URL: no attribution


def test_json_envelope_matches_openclaw_plus_usage(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    result = run("--model", SONNET, "--prompt", "Reply with OK", "--json")
    assert result.code == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert list(envelope) == [
        "ok",
        "capability",
        "transport",
        "provider",
        "model",
        "attempts",
        "outputs",
        "usage",
    ]
    assert (
        envelope["ok"] is True and envelope["capability"] == "model.run" and envelope["transport"] == "local"
    )
    assert (envelope["provider"], envelope["model"]) == ("openrouter", "anthropic/claude-sonnet-4-5")
    assert envelope["attempts"] == [] and envelope["outputs"] == [{"text": "OK", "mediaUrl": None}]
    assert (
        envelope["usage"]["cost"] == pytest.approx(0.000051) and envelope["usage"]["costSource"] == "provider"
    )
    assert upstream_thread.chat_requests[0].json["model"] == "anthropic/claude-sonnet-4-5"


def test_output_cap_from_model_facts_then_8192(cli: Cli, home: Path, upstream_thread: FakeUpstream) -> None:
    providers = {
        "openrouter": {
            "baseUrl": upstream_thread.base_url,
            "models": [{"id": "anthropic/claude-sonnet-4-5", "maxTokens": 4096}],
        }
    }
    write_config(home, {"models": {"providers": providers}})
    env = {"OPENROUTER_API_KEY": FAKE_KEY}
    assert cli("infer", "model", "run", "--model", SONNET, "--prompt", "x", extra_env=env).code == 0
    assert (
        cli(
            "infer", "model", "run", "--model", "openrouter/unknown/model-x", "--prompt", "x", extra_env=env
        ).code
        == 0
    )
    caps = [r.json["max_completion_tokens"] for r in upstream_thread.chat_requests]
    assert caps == [4096, 8192]


def test_configured_primary_is_the_default(cli: Cli, home: Path, upstream_thread: FakeUpstream) -> None:
    agents = {"defaults": {"model": {"primary": "openrouter/openai/gpt-4o-mini"}}}
    routed(home, upstream_thread, agents=agents)
    result = cli("infer", "model", "run", "--prompt", "hi", extra_env={"OPENROUTER_API_KEY": FAKE_KEY})
    assert result.code == 0
    assert upstream_thread.chat_requests[0].json["model"] == "openai/gpt-4o-mini"


@pytest.mark.parametrize("as_json", [False, True])
def test_empty_prompt_exits_2_without_a_request(
    run: KeyedCli, upstream_thread: FakeUpstream, as_json: bool
) -> None:
    result = run("--prompt", "   ", *(["--json"] if as_json else []))
    assert result.code == 2 and "prompt is empty" in result.stderr
    if as_json:
        assert json.loads(result.stdout) == {
            "ok": False,
            "error": {"type": "input_error", "message": "The prompt is empty. Pass --prompt with some text."},
        }
    assert upstream_thread.chat_requests == []


def test_rate_limit_everywhere_is_an_error(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.set_default(Reply.status(429, "Rate limit exceeded: free-models-per-min."))
    result = run("--model", SONNET, "--prompt", "Reply with OK", "--json")
    assert result.code == 1
    error = json.loads(result.stdout)["error"]
    assert "429 Rate limit exceeded: free-models-per-min." in error["message"]
    assert "openrouter/anthropic/claude-sonnet-4-5" in error["message"]
    assert "Error: " in result.stderr and "429" in result.stderr
    models = {r.json["model"] for r in upstream_thread.chat_requests}
    assert models == {"anthropic/claude-sonnet-4-5"}  # a strict target: no fallback to other models


def test_one_transient_rate_limit_is_retried(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.status(429, "Rate limit exceeded: free-models-per-min."))
    result = run("--model", SONNET, "--prompt", "Reply with OK")
    assert (result.code, result.stdout) == (0, "OK\n")
    assert len(upstream_thread.chat_requests) == 2


def test_cut_stream_is_an_error_not_a_partial_success(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.cut(after_chunks=2))
    result = run("--model", SONNET, "--prompt", "Reply with OK")
    assert result.code == 1
    assert result.stdout == "O\n"  # what streamed before the cut, then the error
    assert "cut off before it finished" in result.stderr
    upstream_thread.queue(Reply.cut(after_chunks=2))
    result = run("--model", SONNET, "--prompt", "Reply with OK", "--json")
    assert result.code == 1 and json.loads(result.stdout)["ok"] is False


def test_in_stream_error_is_an_error(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.set_default(
        Reply.stream_error(after_chunks=1, code=502, message="Provider returned error")
    )
    result = run("--prompt", "x", "--json")
    assert result.code == 1
    assert "502 Provider returned error" in json.loads(result.stdout)["error"]["message"]


def test_empty_answer_is_an_error(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.text(""))
    result = run("--prompt", "x")
    assert result.code == 1 and "No text output returned" in result.stderr and result.stdout == ""


def test_the_key_never_appears_in_any_output(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.set_default(Reply.status(401, f"Invalid key {FAKE_KEY} for user"))
    outputs = [run(*args) for args in (("--prompt", "x"), ("--prompt", "x", "--json"))]
    assert [r.code for r in outputs] == [1, 1]
    assert "401" in outputs[0].output
    for result in outputs:
        assert FAKE_KEY not in result.output and FAKE_KEY[:20] not in result.output


def test_missing_credential(cli: Cli, home: Path) -> None:
    write_config(home, {})  # the real openrouter.ai: nothing is sent without a key
    result = cli("infer", "model", "run", "--prompt", "x")
    assert result.code == 1 and "No API key found" in result.stderr


def test_thinking_level_becomes_reasoning(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    assert run("--model", SONNET, "--prompt", "x", "--thinking", "high").code == 0
    assert run("--prompt", "x", "--thinking", "high").code == 0  # openrouter/auto: never reasoning
    first, second = (r.json for r in upstream_thread.chat_requests)
    assert first["reasoning"] == {"effort": "high"} and "reasoning" not in second


def test_image_file(run: KeyedCli, upstream_thread: FakeUpstream, tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    result = run("--prompt", "what is this?", "--file", str(image), "--json")
    assert result.code == 0 and json.loads(result.stdout)["inputs"] == [{"kind": "image", "path": str(image)}]
    content = upstream_thread.chat_requests[0].json["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "what is this?"}
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGg")


def test_timeout(run: KeyedCli, upstream_thread: FakeUpstream) -> None:
    upstream_thread.queue(Reply.hang())
    result = run("--prompt", "x", "--timeout", "0.3")
    assert result.code == 1 and "timeout" in result.stderr


def test_unknown_provider(run: KeyedCli) -> None:
    result = run("--model", "openrutor/auto", "--prompt", "x")
    assert result.code == 2 and 'Did you mean "openrouter/auto"' in result.stderr  # bad input


def test_gateway_mode_posts_to_the_configured_gateway(
    cli: Cli, home: Path, upstream_thread: FakeUpstream
) -> None:
    gateway = {"port": upstream_thread.port, "auth": {"mode": "token", "token": "gw-secret-token-123"}}
    write_config(home, {"gateway": gateway})
    upstream_thread.queue(Reply.text("via gw", model="openrouter/openai/gpt-4o-mini"))
    result = cli("infer", "model", "run", "--gateway", "--prompt", "hello", "--json")
    assert result.code == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert (envelope["transport"], envelope["provider"], envelope["model"]) == (
        "gateway",
        "openrouter",
        "openai/gpt-4o-mini",
    )
    sent = upstream_thread.chat_requests[0]
    assert (
        sent.path == "/v1/chat/completions" and sent.headers["authorization"] == "Bearer gw-secret-token-123"
    )
    assert sent.json["model"] == "openclaw" and sent.json["messages"] == [
        {"role": "user", "content": "hello"}
    ]


def test_gateway_mode_without_a_gateway(cli: Cli, home: Path) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    write_config(home, {"gateway": {"port": port, "auth": {"mode": "token", "token": "gw-secret-token-123"}}})
    result = cli("infer", "model", "run", "--gateway", "--prompt", "hello")
    assert result.code == 1 and "not reachable" in result.stderr and "openclaw gateway run" in result.stderr
    assert result.stderr.startswith("Error: The gateway at http://127.0.0.1:")  # not "No text output ..."


def test_help_has_examples(cli: Cli) -> None:
    result = cli("infer", "model", "run", "--help")
    assert result.code == 0 and "Examples:" in result.stdout and "--thinking" in result.stdout


def test_as_a_real_process(home: Path, upstream_thread: FakeUpstream) -> None:
    routed(home, upstream_thread)
    upstream_thread.queue(Reply.text("process OK"))
    env = clean_env(home, OPENROUTER_API_KEY=FAKE_KEY)
    result = run_cli_subprocess(
        ["infer", "model", "run", "--model", SONNET, "--prompt", "Reply with OK"], env
    )
    assert (result.code, result.stdout) == (0, "process OK\n"), result.stderr
    upstream_thread.set_default(Reply.status(500))
    result = run_cli_subprocess(["infer", "model", "run", "--prompt", "x", "--json"], env)
    assert result.code == 1 and json.loads(result.stdout)["ok"] is False
    assert FAKE_KEY not in result.stdout + result.stderr


def test_gateway_mode_refused_token_says_so(cli: Cli, home: Path, upstream_thread: FakeUpstream) -> None:
    gateway = {"port": upstream_thread.port, "auth": {"mode": "token", "token": "gw-wrong-token-123"}}
    write_config(home, {"gateway": gateway})
    upstream_thread.queue(Reply.status(401, "Invalid gateway token or client key."))
    result = cli("infer", "model", "run", "--gateway", "--prompt", "hello")
    assert result.code == 1
    assert result.stderr.startswith(
        f"Error: The gateway at http://127.0.0.1:{upstream_thread.port}/v1 refused"
    )
    assert "401 Invalid gateway token or client key." in result.stderr
    assert "OPENCLAW_GATEWAY_TOKEN" in result.stderr
    assert "gw-wrong-token-123" not in result.output
