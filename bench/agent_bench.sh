#!/usr/bin/env bash
# End-to-end time of `openclaw agent --local --message` against the fake upstream (zero latency),
# with hyperfine, next to `infer model run` and the bare interpreter start. The real OpenClaw's
# `agent --local` takes 14-17 s.
#
#   bash bench/agent_bench.sh [--append docs/benchmarks.md] [--runs 30]
#
# Rows: a turn on a fresh main session (the sessions directory is removed before each run, so
# every run creates the directories, the index and the transcript), and turns on one session
# that keeps growing (run n replays n-1 earlier turns). Bytecode caching is on, as on a normal
# install (.pyc files go to a private PYTHONPYCACHEPREFIX); the home is a throw-away directory.
set -euo pipefail

APPEND=""
RUNS=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

PY="$(python3 -c 'import sys; print(sys.executable)')"
OC="$("$PY" -c 'import os, sys; print(os.path.join(os.path.dirname(sys.executable), "openclaw"))')"
WORK="$(mktemp -d)"
FAKE_PID=""
cleanup() {
  if [[ -n "$FAKE_PID" ]]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$PY" -m openclaw.testing.fake_upstream --port 0 --no-record >"$WORK/fake.out" 2>"$WORK/fake.err" &
FAKE_PID=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$WORK/fake.out" 2>/dev/null && break
  sleep 0.05
done
BASE_URL="$(sed -n 's/^listening on //p' "$WORK/fake.out")"
[[ -n "$BASE_URL" ]] || { echo "fake upstream did not start" >&2; cat "$WORK/fake.err" >&2; exit 1; }

mkdir -p "$WORK/home/.openclaw" "$WORK/pyc"
printf '{"models":{"providers":{"openrouter":{"baseUrl":"%s"}}},"agents":{"defaults":{"model":{"primary":"openrouter/anthropic/claude-sonnet-4-5","fallbacks":["openrouter/openai/gpt-4o-mini"]}}}}\n' \
  "$BASE_URL" >"$WORK/home/.openclaw/openclaw.json"
chmod 600 "$WORK/home/.openclaw/openclaw.json"
unset PYTHONDONTWRITEBYTECODE
export HOME="$WORK/home" OPENCLAW_HOME="$WORK/home" PYTHONPYCACHEPREFIX="$WORK/pyc"
export OPENROUTER_API_KEY="sk-or-test-bench0000000000000000"
AGENTS="$WORK/home/.openclaw/agents"

# the commands must work before they are timed
[[ "$("$OC" agent --local --message "Reply with OK")" == "OK" ]] || { echo "agent failed" >&2; exit 1; }
[[ "$("$OC" infer model run --prompt "Reply with OK")" == "OK" ]] || { echo "infer failed" >&2; exit 1; }
rm -rf "$AGENTS"

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/result.json" \
  --prepare true --prepare true --prepare "rm -rf $AGENTS" --prepare true \
  "$PY -c pass" \
  "$OC infer model run --prompt 'Reply with OK'" \
  "$OC agent --local --message 'Reply with OK'" \
  "$OC agent --local --session-id grows --message 'Reply with OK'" >&2
TURNS="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent:main:explicit:grows"]["turns"])' \
  "$AGENTS/main/sessions/sessions.json")"

SECTION="$("$PY" - "$WORK/result.json" "$RUNS" "$TURNS" <<'PYEOF'
import datetime, json, os, sys
data = json.load(open(sys.argv[1]))
notes = ["", "", "fresh main session each run", f"one session, {sys.argv[3]} turns by the end"]
rows = ["| command | median | mean ± σ | min | max | note |", "| --- | ---: | ---: | ---: | ---: | --- |"]
for r, note in zip(data["results"], notes):
    cmd = r["command"].replace(os.path.dirname(sys.executable) + "/", "")
    ms = lambda v: f"{v * 1000:.0f} ms"
    rows.append(f"| `{cmd}` | **{ms(r['median'])}** | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(r['min'])} | {ms(r['max'])} | {note} |")
load = os.getloadavg()[0]
print("\n".join([
    f"### `agent --local` end to end ({datetime.date.today().isoformat()})",
    "",
    "Command: `bash bench/agent_bench.sh --runs " + sys.argv[2] + "` (hyperfine -N, 3 warm-ups; fake upstream with zero",
    f"latency on the same machine; {os.cpu_count()} cores, load average {load:.1f} at the end). The real OpenClaw",
    "2026.9.6 takes 14-17 s for `agent --local --message hi` (spec/openclaw-observed.md §2, §5.1).",
    "",
    *rows,
    "",
]))
PYEOF
)"
echo "$SECTION"
if [[ -n "$APPEND" ]]; then printf '\n%s\n' "$SECTION" >>"$APPEND"; fi
