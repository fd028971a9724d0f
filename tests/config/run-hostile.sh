#!/usr/bin/env bash
# Hostile inputs, generated here at run time: each must make `ramp validate`
# exit 1 within 10 s with a positioned error (FILE:LINE:COL: error:) and no
# crash or stack trace.
set -u
work=$(mktemp -d "${RAMP_HOME:-/tmp}/hostile.XXXXXX")
trap 'rm -rf "$work"' EXIT
py() { python3 -c "$1" > "$2"; }

: > "$work/empty.yaml"
head -c 65536 /dev/urandom > "$work/garbage.yaml"
printf 'project: x\nservices:\n  a: %s\n' "$(head -c 3000 /dev/urandom | base64 -w0)" > "$work/garbage-text.yaml"
py 'import sys; sys.stdout.write("# padding\n" * (10 * 1024 * 1024 // 10))' "$work/ten-megabytes.yaml"
py 'print("[" * 10000 + "]" * 10000)' "$work/nesting-flow-seq.yaml"
py 'print("a: {" * 10000 + "}" * 10000)' "$work/nesting-flow-map.yaml"
py 'print("".join("  " * i + "k:\n" for i in range(1500)) + "  " * 1500 + "v")' "$work/nesting-block-map.yaml"
py 'print("- " * 10000 + "x")' "$work/nesting-block-seq.yaml"
py '
print("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]")
for i in range(ord("b"), ord("k")):
    p = chr(i - 1)
    print(f"{chr(i)}: &{chr(i)} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]")
print("project: *j")' "$work/billion-laughs.yaml"
py '
print("project: x\nenvironments: {int: {}}\nservices:\n  s:\n    run: &r {command: a, args: [a,a,a,a,a,a,a,a,a,a]}")
print("    overrides: &o {env: {int: {run: *r}}}")
print("x1: &x1 [" + ",".join(["*o"] * 100) + "]")
print("x2: &x2 [" + ",".join(["*x1"] * 100) + "]")
print("x3: [" + ",".join(["*x2"] * 100) + "]")' "$work/alias-fanout.yaml"
py 'import sys; sys.stdout.write("k" * (3 * 1024 * 1024) + ": v\n")' "$work/long-key.yaml"
py 'import sys; sys.stdout.write("project: x\nservices:\n" + "".join(f"  s{i}: {{run: {{command: c}}, helth: 1}}\n" for i in range(20000)))' "$work/many-errors.yaml"
printf '\xef\xbb\xbfproject: [\x00\x01]\n' > "$work/nul-bytes.yaml"
printf 'project: "unterminated\n' > "$work/unterminated-string.yaml"
printf '%%YAML 9.9\n---\nproject: x\n' > "$work/bad-directive.yaml"
printf '!!binary project: x\n' > "$work/tag.yaml"
mkdir "$work/dir-empty"

failed=0
for f in "$work"/*.yaml "$work/dir-empty"; do
  start=$(date +%s%N)
  out=$(timeout 10 "$RAMP_BIN" validate -f "$f" 2>&1)
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  name=$(basename "$f")
  if [[ $rc -ne 1 ]]; then
    echo "FAIL $name: exit $rc (124 = timeout), expected 1"; echo "$out" | head -3 | cut -c1-200; failed=1; continue
  fi
  if ! grep -qE "^$(printf '%s' "$f" | sed 's/[.[\*^$/]/\\&/g'):[0-9]+:[0-9]+: error: " <<<"$out"; then
    echo "FAIL $name: no positioned error"; echo "$out" | head -3 | cut -c1-200; failed=1; continue
  fi
  if grep -qiE 'terminate called|Segmentation|Aborted|what\(\)|stack' <<<"$out"; then
    echo "FAIL $name: crash output"; failed=1; continue
  fi
  echo "ok   $name: exit 1 in ${ms} ms: $(head -1 <<<"$out" | cut -c1-150)"
done
exit $failed
