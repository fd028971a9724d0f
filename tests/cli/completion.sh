#!/usr/bin/env bash
# `ramp completion bash|zsh`: the bash script completes commands,
# subcommands, flags, choices, and environment and service names read from
# ./ramp.yaml through ramp itself. The zsh script is checked for the
# structure compinit expects, with `zsh -n`, and by loading it after compinit
# (zsh is a test dependency: scripts/install-deps.sh installs it).
set -u
fail() { echo "FAIL: $*"; exit 1; }
cd "$RAMP_HOME" || exit 1
"$RAMP_BIN" completion bash >ramp.bash || fail "completion bash"
bash -n ramp.bash || fail "the bash script does not parse"
printf 'project: x\nenvironments:\n  int: {provider: local}\n  prod: {provider: local}\npipeline: [int, prod]\nservices:\n  crawler:\n    release: {from: r}\n    run: {command: bin/c}\n    strategy: {type: bluegreen}\n  indexer:\n    release: {from: r}\n    run: {command: bin/i}\n    strategy: {type: bluegreen}\n' >ramp.yaml
"$RAMP_BIN" validate -f ramp.yaml >/dev/null || fail "the test's ramp.yaml is invalid: $("$RAMP_BIN" validate -f ramp.yaml 2>&1)"

# complete WORD...: what _ramp offers for the last word (COMP_WORDS[0] is
# the binary under test, which the script calls for names).
complete_words() {
  bash -c 'source ./ramp.bash; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _ramp; echo "${COMPREPLY[*]}"' _ "$RAMP_BIN" "$@"
}
expect() {  # expect "WANTED" WORD...: WANTED is among the completions
  local want=$1; shift
  local got; got=" $(complete_words "$@") "
  [[ "$got" == *" $want "* ]] || fail "ramp $* <TAB> offered [$got], not '$want'"
}
expect_not() {
  local bad=$1; shift
  local got; got=" $(complete_words "$@") "
  [[ "$got" == *" $bad "* ]] && fail "ramp $* <TAB> offered '$bad': [$got]"
  return 0
}
expect deploy dep
expect_not status dep
expect status ""
expect_not instance-shim ""
expect create release c
expect verify release v
expect --version deploy crawler --v
expect --json status --j
expect_not --watch deploy --
expect --home deploy --h          # global options after a command
expect prod deploy crawler --env p
expect int status --env ""
expect prod promote crawler --to ""
expect indexer deploy ""
expect crawler status c
expect always --color ""
expect never status --color = n      # bash splits --color=n at the =
expect zsh completion ""
expect ramp.yaml validate -f ram
# The value of an option is not mistaken for a command or an argument.
expect --version release create crawler --v
expect crawler --home /tmp status c
expect_not create --home release c
# -f elsewhere: names come from that file.
mkdir -p other && sed 's/^  int:/  staging:/; s/^  prod:.*//; s/^pipeline:.*/pipeline: [staging]/' ramp.yaml >other/ramp.yaml
expect staging deploy -f other/ramp.yaml --env ""
# No configuration: no names, no error text.
mkdir -p empty && out=$(cd empty && bash -c 'source ../ramp.bash; COMP_WORDS=("$0" deploy --env ""); COMP_CWORD=3; _ramp 2>&1; echo "${COMPREPLY[*]}"' "$RAMP_BIN")
[[ -z "${out// /}" ]] || fail "without a ramp.yaml, --env offered: [$out]"

"$RAMP_BIN" completion zsh >ramp.zsh || fail "completion zsh"
head -1 ramp.zsh | grep -qx '#compdef ramp' || fail "the zsh script does not start with #compdef ramp"
grep -q 'compdef _ramp ramp' ramp.zsh || fail "the zsh script does not register _ramp"
grep -q '"ramp" "validate' ramp.zsh || fail "the zsh script has no command table"
command -v zsh >/dev/null || fail "zsh is not installed (scripts/install-deps.sh installs it)"
zsh -n ramp.zsh || fail "zsh -n rejected the script"
# Loaded after compinit, the script defines _ramp and registers it for ramp.
zout=$(zsh -fc 'autoload -Uz compinit && compinit -u -d "$PWD/zcompdump" && source ./ramp.zsh && whence -w _ramp && print -r -- "${_comps[ramp]}"' 2>&1) ||
  fail "zsh could not load the script: $zout"
grep -q '_ramp: function' <<<"$zout" || fail "zsh: _ramp is not a function after loading: $zout"
grep -qx '_ramp' <<<"$(tail -1 <<<"$zout")" || fail "zsh: ramp is not bound to _ramp: $zout"
"$RAMP_BIN" completion fish >/dev/null 2>err.txt && fail "completion fish accepted"
grep -q 'fish' err.txt || fail "the error does not name the bad shell: $(cat err.txt)"
echo ok
