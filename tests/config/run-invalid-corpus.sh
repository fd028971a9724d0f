#!/usr/bin/env bash
# Runs `ramp validate -f FILE` on every tests/config/invalid/*.yaml and checks
# that it exits 1 and prints the error named by the file's first line:
#   # expect: LINE:COL: MESSAGE-SUBSTRING
# i.e. some output line starts with exactly "FILE:LINE:COL: error: " and
# contains MESSAGE-SUBSTRING. Each run is limited to 10 s.
set -u
dir="$RAMP_SOURCE_DIR/tests/config/invalid"
failed=0; count=0
for f in "$dir"/*.yaml; do
  count=$((count + 1))
  expect=$(head -n1 "$f")
  if [[ "$expect" != "# expect: "* ]]; then
    echo "FAIL $f: first line is not '# expect: LINE:COL: MESSAGE'"; failed=$((failed + 1)); continue
  fi
  expect=${expect#"# expect: "}
  pos=${expect%%: *}            # LINE:COL
  msg=${expect#*: }             # message substring
  out=$(timeout 10 "$RAMP_BIN" validate -f "$f" 2>&1)
  rc=$?
  if [[ $rc -ne 1 ]]; then
    echo "FAIL $(basename "$f"): exit $rc, expected 1"; echo "$out" | head -5; failed=$((failed + 1)); continue
  fi
  prefix="$f:$pos: error: "
  if ! grep -qF -- "$prefix" <<<"$out" || ! grep -F -- "$prefix" <<<"$out" | grep -qF -- "$msg"; then
    echo "FAIL $(basename "$f"): expected a line starting '$prefix' containing '$msg'; got:"
    echo "$out" | head -8 | sed 's/^/    /'
    failed=$((failed + 1)); continue
  fi
  if grep -qiE 'terminate called|Segmentation|Aborted|what\(\)' <<<"$out"; then
    echo "FAIL $(basename "$f"): crash output"; failed=$((failed + 1)); continue
  fi
done
if [[ $count -lt 40 ]]; then echo "FAIL: only $count corpus files (need >= 40)"; exit 1; fi
echo "$((count - failed))/$count invalid configurations rejected with the expected positioned error"
[[ $failed -eq 0 ]]
