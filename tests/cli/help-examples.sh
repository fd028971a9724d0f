#!/usr/bin/env bash
# `ramp --help` groups the commands and documents the exit codes; every
# command's --help (subcommands included, internal ones too) ends with an
# "Examples:" section whose lines invoke that very command.
set -u
fail() { echo "FAIL: $*"; exit 1; }
top=$("$RAMP_BIN" --help) || fail "ramp --help"
for group in "Configuration:" "Deploying:" "Observing:" "Access:" "Exit codes:" "Examples:"; do
  grep -q "^$group" <<<"$top" || fail "ramp --help has no '$group' section: $top"
done
for code in 0 1 2 3 4; do
  grep -qE "^  $code  " <<<"$top" || fail "exit code $code is not documented in ramp --help"
done
grep -q instance-shim <<<"$top" && fail "the internal instance-shim is listed in ramp --help"

cmds=$("$RAMP_BIN" completion --list commands) || fail "completion --list commands"
n=0
while read -r c; do
  [[ -z "$c" ]] && continue
  # shellcheck disable=SC2086
  h=$("$RAMP_BIN" $c --help 2>&1) || fail "ramp $c --help exited non-zero: $h"
  ex=$(sed -n '/^Examples:/,$p' <<<"$h")
  [[ -n "$ex" ]] || fail "ramp $c --help has no Examples: section"
  # An example of this command (the first word after "ramp" that is not a
  # global option; an example may pipe into it or set variables first).
  grep -qE "ramp $c( |$)" <<<"$ex" || fail "the examples of 'ramp $c' do not run it: $ex"
  n=$((n + 1))
done <<<"$cmds"
[[ $n -ge 20 ]] || fail "only $n commands checked"
echo "ok: $n commands have examples"
