#!/usr/bin/env bash
# Golden files of `ramp render --json` for examples/crawler, one per
# environment, in tests/config/golden/crawler-ENV.json. The example is copied
# outside any git repository (so git_commit/git_dirty are null) and its
# directory is written as @CONFIG_DIR@.
# Regenerate after an intended change:  RAMP_UPDATE_GOLDEN=1 ctest -R config_golden_render
set -u
golden="$RAMP_SOURCE_DIR/tests/config/golden"
work=$(mktemp -d "${RAMP_HOME:-/tmp}/golden.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$RAMP_SOURCE_DIR/examples/crawler/ramp.yaml" "$work/ramp.yaml"
dir=$(cd "$work" && pwd -P)
failed=0
for env in int uat prod; do
  out=$(cd "$work" && "$RAMP_BIN" render --env "$env" --service crawler --json) || { echo "FAIL render $env"; failed=1; continue; }
  out=${out//"$dir"/@CONFIG_DIR@}
  out=${out//"$work"/@CONFIG_DIR@}
  if [[ -n "${RAMP_UPDATE_GOLDEN:-}" ]]; then
    mkdir -p "$golden"; printf '%s\n' "$out" > "$golden/crawler-$env.json"; echo "updated crawler-$env.json"; continue
  fi
  if ! diff -u "$golden/crawler-$env.json" <(printf '%s\n' "$out"); then
    echo "FAIL: render --env $env differs from golden/crawler-$env.json (see diff above)"; failed=1
  else
    echo "ok   render --env $env matches golden/crawler-$env.json"
  fi
done
# The digest must not depend on where the config lives or on git.
d1=$(grep -o '"config_digest": "[^"]*"' "$golden/crawler-prod.json")
d2=$(cd "$RAMP_SOURCE_DIR/examples/crawler" && "$RAMP_BIN" render --env prod --service crawler --json | grep -o '"config_digest": "[^"]*"')
if [[ "$d1" != "$d2" ]]; then echo "FAIL: digest differs in the source tree: $d1 vs $d2"; failed=1; fi
exit $failed
