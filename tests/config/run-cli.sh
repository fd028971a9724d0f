#!/usr/bin/env bash
# CLI behaviour of validate, render, schema and secret.
set -u
failed=0
fail() { echo "FAIL: $*"; failed=1; }
ex="$RAMP_SOURCE_DIR/examples/crawler/ramp.yaml"
work=$(mktemp -d "${RAMP_HOME:-/tmp}/cli.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$RAMP_BIN" validate -f "$ex" >/dev/null || fail "validate -f example"
"$RAMP_BIN" validate "$ex" >/dev/null || fail "validate positional example"
(cd "$(dirname "$ex")" && "$RAMP_BIN" validate >/dev/null) || fail "validate ./ramp.yaml by default"
(cd "$work" && "$RAMP_BIN" validate >/dev/null 2>"$work/err"); rc=$?
[[ $rc -eq 1 ]] && grep -q "^ramp.yaml:1:1: error: cannot read configuration: no such file" "$work/err" || fail "missing ramp.yaml: rc=$rc $(cat "$work/err")"
"$RAMP_BIN" validate --json "$ex" | grep -q '"valid": true' || fail "validate --json"
bad="$RAMP_SOURCE_DIR/tests/config/invalid/13-weights-decreasing.yaml"
out=$("$RAMP_BIN" validate --json "$bad"); rc=$?
[[ $rc -eq 1 ]] && grep -q '"line": 17' <<<"$out" || fail "validate --json invalid: rc=$rc"

# render: unknown names name the flag and the valid names; exit 1.
out=$("$RAMP_BIN" render -f "$ex" --env staging 2>&1); rc=$?
[[ $rc -eq 1 && "$out" == *"--env"*"'int', 'uat', 'prod'"* ]] || fail "render unknown env: rc=$rc $out"
out=$("$RAMP_BIN" render -f "$ex" --env prod --service nope 2>&1); rc=$?
[[ $rc -eq 1 && "$out" == *"--service"*"'crawler'"* ]] || fail "render unknown service: rc=$rc $out"
out=$("$RAMP_BIN" render -f "$ex" --env prod --region mars 2>&1); rc=$?
[[ $rc -eq 1 && "$out" == *"--region"* ]] || fail "render unknown region: rc=$rc $out"
out=$("$RAMP_BIN" render -f "$ex" --env prod) || fail "render human form"
[[ "$out" == *"config_digest: "* && "$out" == *"instances: 3"* ]] || fail "render human form content"
# In the source tree (a git repository) render reports a commit id.
out=$("$RAMP_BIN" render -f "$ex" --env int --json)
if git -C "$RAMP_SOURCE_DIR" rev-parse HEAD >/dev/null 2>&1; then
  grep -qE '"git_commit": "[0-9a-f]{40}"' <<<"$out" || fail "render git_commit in a repository"
  grep -qE '"git_dirty": (true|false)' <<<"$out" || fail "render git_dirty in a repository"
fi

# References stay unresolved in render output.
cat > "$work/ramp.yaml" <<'YAML'
project: p
environments: {int: {}}
services:
  web:
    run: {command: x, env: {DB_PASSWORD: "${secret:db-pass}"}}
YAML
out=$(RAMP_CLI_TEST_SECRET=x "$RAMP_BIN" render -f "$work/ramp.yaml" --env int --json)
[[ "$out" == *'${secret:db-pass}'* ]] || fail "render must keep references unresolved"

# schema is JSON and knows the service keys.
"$RAMP_BIN" schema | python3 -c 'import json,sys; s=json.load(sys.stdin); assert "health" in s["properties"]["services"]["additionalProperties"]["properties"]' \
  || fail "schema is not JSON with service properties"

# secrets: value from stdin, never printed; owner-only files; rm.
printf 'hunter2\n' | "$RAMP_BIN" secret set db-pass 2>/dev/null || fail "secret set"
[[ "$(stat -c %a "$RAMP_HOME/secrets/db-pass")" == 600 ]] || fail "secret file mode"
[[ "$(stat -c %a "$RAMP_HOME/secrets")" == 700 ]] || fail "secret dir mode"
[[ "$(cat "$RAMP_HOME/secrets/db-pass")" == hunter2 ]] || fail "secret value (trailing newline stripped)"
out=$("$RAMP_BIN" secret list 2>&1)
[[ "$out" == "db-pass" ]] || fail "secret list: $out"
"$RAMP_BIN" secret list --json | grep -q '"db-pass"' || fail "secret list --json"
"$RAMP_BIN" secret list --json | grep -q hunter2 && fail "secret list printed a value"
out=$(printf 'x' | "$RAMP_BIN" secret set '../evil' 2>&1); rc=$?
[[ $rc -eq 1 && "$out" == *"bad secret name"* ]] || fail "secret set bad name: rc=$rc $out"
"$RAMP_BIN" secret set hunter2-in-argv </dev/null 2>/dev/null && fail "secret set with empty stdin must fail"
"$RAMP_BIN" secret rm db-pass 2>/dev/null || fail "secret rm"
"$RAMP_BIN" secret rm db-pass 2>/dev/null && fail "secret rm twice must fail"
[[ -z "$("$RAMP_BIN" secret list)" ]] || fail "secret list after rm"

# docs/ramp.schema.json is what editors load: it must be the binary's schema.
"$RAMP_BIN" schema | diff -q - "$RAMP_SOURCE_DIR/docs/ramp.schema.json" >/dev/null ||
  fail "docs/ramp.schema.json differs from ramp schema: regenerate it (ramp schema > docs/ramp.schema.json)"

[[ $failed -eq 0 ]] && echo "ok: config CLI"
exit $failed
