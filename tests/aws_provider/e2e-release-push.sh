#!/usr/bin/env bash
# `ramp release push` against moto: the first push uploads the bundle
# (HeadObject, then PutObject) to bundles/web/<sha256>.tar, the object's
# bytes hash to the key and unpack to the release; pushing the same content
# again (even as another version) uploads nothing; an object of another size
# at the key is refused; bad input (unknown release, unknown env, an env that
# is not aws, no bundle_bucket) exits 1 naming the problem and uploads nothing.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/e2e-aws-lib.sh"
bucket=ramp-bundles

cat >ramp.yaml <<YAML
project: shop
environments:
  int:
    provider: local
  nobucket:
    provider: aws
    regions: [us-east-1]
    aws: {vpc: $vpc, subnets: [$s1, $s2], image: $ami}
  prod:
    provider: aws
    regions: [us-east-1]
    aws: {vpc: $vpc, subnets: [$s1, $s2], image: $ami, bundle_bucket: $bucket}
pipeline: [int, nobucket, prod]
services:
  web:
    release: {from: release}
    run: {command: bin/web}
YAML
"$RAMP_BIN" validate >/dev/null || fail "config is not valid: $("$RAMP_BIN" validate 2>&1)"
# S3 wants the payload's hash header with SigV4 (moto checks it); curl 7.88 sends none.
s3curl() {
  curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}
s3curl -X PUT "$moto/$bucket" >/dev/null || fail "create bucket"
objects() { s3curl "$moto/$bucket?list-type=2" | grep -o '<Key>[^<]*</Key>' | sort; }

"$RAMP_BIN" release create web --version 1.0.0 --from release >/dev/null || fail "release create"

refuse() {  # refuse "WHAT" "EXPECTED TEXT" ARGS...
  local what=$1 want=$2; shift 2
  local out rc
  out=$("$RAMP_BIN" release push web "$@" 2>&1); rc=$?
  [[ $rc == 1 ]] || fail "$what: exit $rc, want 1: $out"
  [[ "$out" == *"$want"* ]] || fail "$what: error does not say '$want': $out"
  [[ -z "$(objects)" ]] || fail "$what: something was uploaded: $(objects)"
  echo "ok refused ($what): $out"
}
refuse "unknown release" "9.9.9" --version 9.9.9 --env prod
refuse "unknown env" "unknown environment 'qa'" --version 1.0.0 --env qa
refuse "local env" "does not use the aws provider" --version 1.0.0 --env int
refuse "no bucket" "environments.nobucket.aws.bundle_bucket is not set" --version 1.0.0 --env nobucket
refuse "bad version" "--version" --version '../x' --env prod

first=$("$RAMP_BIN" release push web --version 1.0.0 --env prod --json) || fail "first push: $first"
echo "first push: $first"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
sha=$(field "$first" sha256) key=$(field "$first" key)
[[ "$(field "$first" uploaded)" == True ]] || fail "first push did not upload"
[[ "$key" == "bundles/web/$sha.tar" ]] || fail "key $key is not bundles/web/<sha256>.tar"
[[ "$(objects)" == "<Key>$key</Key>" ]] || fail "bucket holds $(objects), want exactly $key"
s3curl "$moto/$bucket/$key" -o got.tar || fail "get object"
[[ "$(sha256sum got.tar | cut -d' ' -f1)" == "$sha" ]] || fail "object bytes do not hash to the key"
[[ "$(stat -c %s got.tar)" == "$(field "$first" bytes)" ]] || fail "object size differs from bytes"
mkdir -p unpacked && tar -xf got.tar -C unpacked || fail "object does not unpack"
diff -r release unpacked >/dev/null || fail "unpacked bundle differs from the release"

# Same content under another version (created later): same bytes, same key, no upload.
"$RAMP_BIN" release create web --version 1.0.1 --from release >/dev/null || fail "release create 1.0.1"
second=$("$RAMP_BIN" release push web --version 1.0.1 --env prod --json) || fail "second push: $second"
[[ "$(field "$second" key)" == "$key" ]] || fail "same content, other key: $second"
[[ "$(field "$second" uploaded)" == False ]] || fail "second push uploaded again: $second"
text=$("$RAMP_BIN" release push web --version 1.0.0 --env prod) || fail "third push: $text"
[[ "$text" == *"already there"*"nothing uploaded"* ]] || fail "third push says: $text"
echo "ok: $text"

# Nothing is uploaded when the key exists: a same-size replacement stays.
python3 -c "import sys; b=bytearray(open('got.tar','rb').read()); b[600]^=1; open('other.tar','wb').write(b)"
s3curl -X PUT -H "Content-Type: application/octet-stream" --data-binary @other.tar "$moto/$bucket/$key" >/dev/null || fail "overwrite"
"$RAMP_BIN" release push web --version 1.0.0 --env prod >/dev/null || fail "push over a same-size object"
s3curl "$moto/$bucket/$key" -o now.tar && cmp -s now.tar other.tar || fail "push uploaded although the key existed"
# Another size at the key: refused, naming it.
printf 'short' | s3curl -X PUT -H "Content-Type: application/octet-stream" --data-binary @- "$moto/$bucket/$key" >/dev/null || fail "overwrite short"
out=$("$RAMP_BIN" release push web --version 1.0.0 --env prod 2>&1); rc=$?
[[ $rc == 1 && "$out" == *"$key"*"overwritten"* ]] || fail "another size at the key: exit $rc: $out"
echo "ok refused (other size): $out"

# A new release content gets a new key.
echo more >release/extra.txt
"$RAMP_BIN" release create web --version 1.1.0 --from release >/dev/null || fail "release create 1.1.0"
third=$("$RAMP_BIN" release push web --version 1.1.0 --env prod --json) || fail "push 1.1.0: $third"
[[ "$(field "$third" key)" != "$key" && "$(field "$third" uploaded)" == True ]] || fail "new content: $third"
[[ "$(objects | wc -l)" == 2 ]] || fail "bucket: $(objects)"
echo "PASS"
