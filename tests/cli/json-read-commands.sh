#!/usr/bin/env bash
# Every read command has --json and prints one JSON document of the expected
# top-level shape on stdout (no colour, no progress text). The table below
# classifies EVERY command of the binary (`ramp completion --list commands`
# walks the registered CLI11 tree): a command missing from it fails the
# test, so a new read command cannot land without --json (and a line here).
set -u
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }

# command path | kind | arguments of the --json run | expected shape
#   kind:  read (run with --json, checked) | write | daemon | internal | group (needs a subcommand)
#   shape: object:key,key...  |  array  |  object-or-array
table='
validate        | read     | -f ramp.yaml               | object:valid,path,errors,project,environments,services
render          | read     | --env int                  | object:project,env,region,services
schema          | read     |                            | object:$schema,type,properties
config          | group    |                            |
config push     | write    |                            |
config show     | read     |                            | object:version,state,digest,pushed_by,files
config history  | read     |                            | array
config diff     | read     |                            | object:from,to,same,diff
secret          | group    |                            |
secret set      | write    |                            |
secret list     | read     |                            | object:secrets
secret rm       | write    |                            |
release         | group    |                            |
release create  | write    |                            |
release list    | read     |                            | array
release verify  | read     | crawler --version 1.0.0    | object:service,version,digest
release push    | write    |                            |
deploy          | write    |                            |
promote         | write    |                            |
rollback        | write    |                            |
pause           | write    |                            |
resume          | write    |                            |
promote-now     | write    |                            |
abort           | write    |                            |
approve         | write    |                            |
reject          | write    |                            |
approvals       | read     |                            | array
status          | read     |                            | array
load            | write    |                            |
status-one      | read     |                            | object:service,env,entrypoint,deployment,fleets
stats           | read     |                            | object
audit           | read     |                            | array
audit verify    | read     |                            | object
audit seal      | write    |                            |
user            | group    |                            |
user add        | write    |                            |
user list       | read     |                            | object-or-array
user disable    | write    |                            |
user grant      | write    |                            |
user revoke-role| write    |                            |
token           | group    |                            |
token create    | write    |                            |
token list      | read     |                            | object-or-array
token revoke    | write    |                            |
plan            | read     | --env int                  | object:changes
apply           | write    |                            |
drift           | read     | --env int                  | object:drift,items
serve           | daemon   |                            |
router          | daemon   |                            |
down            | write    |                            |
demo            | write    |                            |
completion      | write    |                            |
instance-shim   | internal |                            |
'
# A second run of status, for one service and environment (design.md's shape).
status_one_args='crawler --env int'

declare -A kind args shape
while IFS='|' read -r c k a s; do
  c=$(echo "$c" | xargs); [[ -z "$c" ]] && continue
  kind[$c]=$(echo "$k" | xargs); args[$c]=$(echo "$a" | xargs); shape[$c]=$(echo "$s" | xargs)
done <<<"$table"

# 1. Every command of the binary is in the table.
cmds=$("$RAMP_BIN" completion --list commands) || fail "ramp completion --list commands"
[[ $(echo "$cmds" | wc -l) -ge 20 ]] || fail "too few commands listed: $cmds"
missing=""
while read -r c; do
  [[ -n "${kind[$c]:-}" ]] || missing+=" '$c'"
done <<<"$cmds"
[[ -z "$missing" ]] || fail "commands not classified in tests/cli/json-read-commands.sh (add a line: read commands need --json):$missing"

# 2. A world with something in it: a release, a deployment, a user, a token.
work="$RAMP_HOME/work"
mkdir -p "$work/release/bin" && cd "$work" || exit 1
cp "$RAMP_SOURCE_DIR/tests/controller/ramp.yaml" ramp.yaml
cp "$RAMP_CRAWLER_BIN" release/bin/crawler
"$RAMP_BIN" release create crawler --version 1.0.0 >/dev/null || fail "release create"
"$RAMP_BIN" config push >/dev/null || fail "config push"
"$RAMP_BIN" deploy crawler --env int --version 1.0.0 >/dev/null || fail "deploy"
"$RAMP_BIN" user add rita --role viewer@int >/dev/null || fail "user add"
"$RAMP_BIN" token create --user rita --name json-test >/dev/null 2>&1 || fail "token create"

# 3. Each read command with --json: exit 0, one JSON document of the shape,
# no escape byte.
checked=0
for c in "${!kind[@]}"; do
  [[ "${kind[$c]}" == read ]] || continue
  cmd=$c; a=${args[$c]}
  if [[ "$c" == status-one ]]; then cmd=status; a=$status_one_args; fi
  # A line for a command this binary does not have (yet) is not run.
  grep -qx "$cmd" <<<"$cmds" || { echo "note: no command '$cmd' in this binary"; continue; }
  # shellcheck disable=SC2086
  out=$("$RAMP_BIN" $cmd $a --json 2>err.txt); rc=$?
  # plan and drift exit 2 when there are changes (and still print the JSON).
  [[ $rc -eq 0 || ( $rc -eq 2 && " plan drift " == *" $cmd "* ) ]] || fail "ramp $cmd $a --json exited $rc: $(cat err.txt)"
  if printf '%s' "$out" | grep -q $'\x1b'; then fail "ramp $cmd --json wrote an escape byte"; fi
  printf '%s' "$out" | python3 -c '
import json, sys
cmd, shape = sys.argv[1], sys.argv[2]
text = sys.stdin.read()
try:
    doc = json.loads(text)
except ValueError as e:
    sys.exit(f"ramp {cmd} --json: not one JSON document ({e}): {text[:300]!r}")
kind, _, keys = shape.partition(":")
if kind == "object" and not isinstance(doc, dict): sys.exit(f"ramp {cmd} --json: expected an object, got {text[:200]}")
if kind == "array" and not isinstance(doc, list): sys.exit(f"ramp {cmd} --json: expected an array, got {text[:200]}")
if kind == "object-or-array" and not isinstance(doc, (dict, list)): sys.exit(f"ramp {cmd} --json: got {text[:200]}")
for k in filter(None, keys.split(",")):
    if k not in doc: sys.exit(f"ramp {cmd} --json: no key {k!r} in {sorted(doc)}")
' "$c" "${shape[$c]}" || fail "shape of ramp $cmd --json"
  checked=$((checked + 1))
done
[[ $checked -ge 14 ]] || fail "only $checked read commands checked"

# 4. The check can fail: a command without --json is refused.
"$RAMP_BIN" down --json >/dev/null 2>&1 && fail "down --json was accepted (the refusal this test relies on is gone)"

"$RAMP_BIN" down >/dev/null || fail "down"
echo "ok: $checked read commands print JSON; $(echo "$cmds" | wc -l) commands classified"
