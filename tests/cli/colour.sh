#!/usr/bin/env bash
# Colour only on a terminal, never with NO_COLOR (any non-empty value) or
# TERM=dumb, and --color=never|always|auto. Run under a pseudo-terminal with
# util-linux `script`; "ok" from `ramp validate` and "error" from a failing
# command are the coloured words. The positive cases prove the test can fail.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || fail "util-linux script is needed"
cd "$RAMP_HOME" || exit 1
cp "$RAMP_SOURCE_DIR/tests/controller/ramp.yaml" ramp.yaml
printf 'project: x\nenvironments:\n  int: {provider: local}\nservices: [\n' > bad.yaml

esc=$'\x1b'
has_esc() { grep -q "$esc" "$1"; }
# pty CMD...: run under a pseudo-terminal, its output (stdout and stderr) in pty.out.
pty() { script -qec "$*" /dev/null >pty.out 2>&1 </dev/null; }

# A pipe: never colour, even with a world where a terminal would get it.
"$RAMP_BIN" validate -f ramp.yaml >pipe.out 2>&1 || fail "validate: $(cat pipe.out)"
has_esc pipe.out && fail "escape byte written to a pipe (validate)"
"$RAMP_BIN" validate -f bad.yaml >pipe.out 2>&1 && fail "bad.yaml validated"
has_esc pipe.out && fail "escape byte written to a pipe (validate error)"
grep -q 'bad.yaml:[0-9]*:[0-9]*: error:' pipe.out || fail "error line not plain: $(cat pipe.out)"

# A terminal: colour (this is what proves the checks above can fail).
TERM=xterm NO_COLOR= pty "$RAMP_BIN" validate -f ramp.yaml || fail "validate on a pty: $(cat pty.out)"
has_esc pty.out || fail "no colour on a terminal: $(cat -v pty.out)"
TERM=xterm pty env -u NO_COLOR "$RAMP_BIN" validate -f bad.yaml
has_esc pty.out || fail "no colour for an error on a terminal: $(cat -v pty.out)"
grep -q 'error' pty.out || fail "no error on the pty: $(cat -v pty.out)"

# NO_COLOR (any non-empty value), TERM=dumb, --color=never, --no-color: none.
for setting in "NO_COLOR=1 TERM=xterm" "NO_COLOR=0 TERM=xterm" "TERM=dumb"; do
  pty env -u NO_COLOR $setting "$RAMP_BIN" validate -f ramp.yaml
  has_esc pty.out && fail "colour with $setting: $(cat -v pty.out)"
  pty env -u NO_COLOR $setting "$RAMP_BIN" validate -f bad.yaml
  has_esc pty.out && fail "colour in an error with $setting: $(cat -v pty.out)"
done
for flag in "--color=never" "--color never" "--no-color"; do
  TERM=xterm pty env -u NO_COLOR "$RAMP_BIN" $flag validate -f ramp.yaml
  has_esc pty.out && fail "colour with $flag: $(cat -v pty.out)"
done
# An empty NO_COLOR does not count (no-color.org).
TERM=xterm pty env NO_COLOR= "$RAMP_BIN" validate -f ramp.yaml
has_esc pty.out || fail "an empty NO_COLOR turned colour off"
# --color=always: colour even into a pipe, and over NO_COLOR.
NO_COLOR=1 "$RAMP_BIN" --color=always validate -f ramp.yaml >pipe.out 2>&1
has_esc pipe.out || fail "--color=always wrote no colour"
# A bad value is refused, naming the flag.
"$RAMP_BIN" --color=sometimes validate -f ramp.yaml >pipe.out 2>&1 && fail "--color=sometimes accepted"
grep -q -- '--color' pipe.out || fail "the error does not name --color: $(cat pipe.out)"
echo ok
