#!/usr/bin/env bash
# The router block of ramp.yaml end to end (issue #18): timeouts, limits and
# TLS set in the config reach the real `ramp router` through `ramp apply`
# (the local_listener resource), HTTPS is served with a throwaway CA's
# certificate whose key is a ramp secret, a change is an in-place update
# (same port, connections kept), and a certificate file that does not load
# fails the apply naming the field, changing nothing.
set -u
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }
command -v openssl >/dev/null || fail "openssl missing (scripts/install-deps.sh)"
work="$RAMP_HOME/work"
mkdir -p "$work" && cd "$work" || exit 1

# A throwaway CA and a leaf for localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=ramp-test-ca \
  -keyout ca.key -out ca.crt 2>/dev/null || fail "CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout www.key -out www.csr \
  2>/dev/null || fail "CSR"
printf 'subjectAltName=DNS:localhost\n' > san.ext
openssl x509 -req -in www.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out www.crt \
  2>/dev/null || fail "leaf"
"$RAMP_BIN" secret set www-key < www.key >/dev/null || fail "secret set"

write_config() { # head idle cert
  cat > ramp.yaml <<CONF
project: router-e2e
environments:
  int:
    provider: local
    router:
      timeouts: {head: $1, idle: $2, upgrade_drain: 0s}
      max_connections: 50
      tls:
        certificates:
          - {cert: $3, key: "\${secret:www-key}"}
pipeline: [int]
services:
  web:
    run: {command: bin/web}
CONF
}
entrypoint() { # GET the entry point from the router's admin API
  local admin tok
  admin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$RAMP_HOME/router/admin.json")
  tok=$(cat "$RAMP_HOME/router/admin.token")
  curl -s -f -H "Authorization: Bearer $tok" "http://$admin/admin/v1/entrypoints/web.int.local"
}
field() { python3 -c "import json,sys; e=json.load(sys.stdin); print($1)"; }

# 1. Apply: the entry point has the limits and serves HTTPS (no fleet yet: 503 from the router).
write_config 2s 3s "$work/www.crt"
"$RAMP_BIN" validate -f ramp.yaml >/dev/null || fail "validate: $("$RAMP_BIN" validate -f ramp.yaml 2>&1)"
"$RAMP_BIN" config push -m "router e2e" >push.out 2>&1 || fail "config push: $(cat push.out)"
"$RAMP_BIN" apply --env int --yes >apply1.out 2>&1 || fail "apply: $(cat apply1.out)"
ep=$(entrypoint) || fail "no entry point web.int.local after apply"
[[ $(field 'e["limits"]["head_timeout_ms"]' <<<"$ep") == 2000 ]] || fail "head timeout: $ep"
[[ $(field 'e["limits"]["idle_timeout_ms"]' <<<"$ep") == 3000 ]] || fail "idle timeout: $ep"
[[ $(field 'e["limits"]["upgrade_drain_timeout_ms"]' <<<"$ep") == 0 ]] || fail "upgrade drain: $ep"
[[ $(field 'e["limits"]["max_connections"]' <<<"$ep") == 50 ]] || fail "max connections: $ep"
[[ $(field 'e["limits"]["response_timeout_ms"]' <<<"$ep") == 60000 ]] || fail "a key left out is not the default: $ep"
[[ $(field 'e["tls"]["certificates"][0]["key_file"]' <<<"$ep") == "$RAMP_HOME/secrets/www-key" ]] \
  || fail "the secret's file is not what the router reads: $ep"
port=$(field 'e["port"]' <<<"$ep")
[[ $(field 'e["url"]' <<<"$ep") == "https://127.0.0.1:$port" ]] || fail "url: $ep"
code=$(curl -s -o body.txt -w '%{http_code}' --cacert ca.crt --resolve "localhost:$port:127.0.0.1" \
  "https://localhost:$port/") || fail "HTTPS with the throwaway CA failed (curl exit $?)"
[[ $code == 503 ]] || fail "HTTPS answer $code (want the router's 503: no fleet): $(cat body.txt)"

# 2. Nothing to do: what the router reports reads back as the config (the secret mapped back).
"$RAMP_BIN" plan --env int --detailed-exitcode >plan1.out 2>&1
rc=$?
[[ $rc == 0 ]] || fail "plan after apply exit $rc (want 0): $(cat plan1.out)"

# 3. The router enforces what was applied: an idle connection is closed after 3 s, not 60.
start=$(date +%s%N)
# (-quiet implies -ign_eof: the end of stdin does not close the connection,
# so only the router's idle timeout, or `timeout`, ends it; no stdin process
# is left behind to outlive the test.)
timeout 20 openssl s_client -quiet -connect "127.0.0.1:$port" -servername localhost -CAfile ca.crt \
  </dev/null >/dev/null 2>&1
took=$(( ($(date +%s%N) - start) / 1000000 ))
(( took >= 2500 && took < 14000 )) || fail "an idle TLS connection lasted ${took} ms (idle timeout 3 s)"

# 4. A change is an in-place update: same port, the new value live.
write_config 4s 3s "$work/www.crt"
"$RAMP_BIN" plan --env int --detailed-exitcode >plan2.out 2>&1
rc=$?
[[ $rc == 2 ]] || fail "plan of a timeout change exit $rc (want 2): $(cat plan2.out)"
grep -q '~ local_listener.web\[local\]' plan2.out || fail "not an in-place update: $(cat plan2.out)"
"$RAMP_BIN" apply --env int --yes >apply2.out 2>&1 || fail "apply 2: $(cat apply2.out)"
ep=$(entrypoint)
[[ $(field 'e["limits"]["head_timeout_ms"]' <<<"$ep") == 4000 ]] || fail "head timeout after the change: $ep"
[[ $(field 'e["port"]' <<<"$ep") == "$port" ]] || fail "the port changed: $ep"

# 5. A certificate that does not load: the apply fails naming the field; the router keeps serving the old one.
write_config 4s 3s "$work/missing.crt"
"$RAMP_BIN" apply --env int --yes >apply3.out 2>&1 && fail "an apply with a missing certificate succeeded"
grep -q 'tls.certificates\[0\].cert_file' apply3.out || fail "the error does not name the field: $(cat apply3.out)"
ep=$(entrypoint)
[[ $(field 'e["tls"]["certificates"][0]["cert_file"]' <<<"$ep") == "$work/www.crt" ]] || fail "changed anyway: $ep"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.crt --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/")
[[ $code == 503 ]] || fail "HTTPS after the failed apply: $code"

"$RAMP_BIN" down >/dev/null || fail "down"
echo "ok"
