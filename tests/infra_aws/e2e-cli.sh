#!/usr/bin/env bash
# ramp plan / apply / drift end to end on an `aws` environment against moto,
# through `ramp serve` (autostarted by the CLI) and the real CLI
# (AWS_ENDPOINT_URL at the suite's moto, fake credentials):
#   1. plan of one region: exit 2, every kind of resource is a create
#   2. apply, plan again: no changes (exit 0, no_op true)
#   3. an alarm's threshold changed and the SNS topic deleted behind ramp's
#      back: drift exit 2 naming both; apply repairs; drift clean
#   4. eu-west-1 added: the plan creates exactly eu-west-1's resources and
#      updates the Route 53 records, nothing else; apply, killed (kill -9 of
#      the controller) after its 4th AWS call, then applied again: resumed
#      with the journal's client tokens; the ramp-tagged
#      resources in moto are exactly the desired set of both regions
#   5. eu-west-1 removed: the plan deletes; apply without --allow-destroy is
#      refused and deletes nothing; with it, applied and gone from moto
#   6. a saved plan made before another change is applied: refused as stale,
#      naming the region
#   7. ramp down (tests/isolated checks that no process is left)
set -u
here=$(cd "$(dirname "$0")" && pwd)
port=$(cat "$RAMP_MOTO_STATE/moto.port" 2>/dev/null) || { echo "FAIL: moto fixture not running"; exit 1; }
moto="http://127.0.0.1:$port"
# moto checks every signature: a reset, then an IAM key of its own (3 free calls).
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY < <(python3 "$here/../aws/moto_keys.py" "$moto") \
  || { echo "FAIL: moto reset with signature checking"; exit 1; }
[[ -n "$AWS_SECRET_ACCESS_KEY" ]] || { echo "FAIL: no IAM key from moto"; exit 1; }
export AWS_ENDPOINT_URL="$moto" AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED=true
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset RAMP_FAILPOINT RAMP_FAILPOINT_RANDOM
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }
work="$RAMP_HOME/work"
mkdir -p "$work" && cd "$work" || exit 1

# boto3 against moto: the world the test sets up, changes and inspects.
# Resources are listed per service by their tags, not by ramp's state.
cat >world.py <<'PY'
import json, os, sys
import boto3
# moto 5.2.1 refuses boto3's own signed Route 53 reads (SignatureDoesNotMatch):
# Route 53 goes through moto_world's client, one unchecked call at a time.
from moto_world import route53
def c(name, region="us-east-1"):
    return boto3.client(name, region_name=region, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def network(region):
    ec2 = c("ec2", region)
    subnets = ec2.describe_subnets()["Subnets"]
    vpc = subnets[0]["VpcId"]
    chosen, zones = [], set()
    for s in subnets:
        if s["VpcId"] == vpc and s["AvailabilityZone"] not in zones and len(chosen) < 2:
            zones.add(s["AvailabilityZone"]); chosen.append(s["SubnetId"])
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    cert = c("acm", region).request_certificate(DomainName="*.example.com")["CertificateArn"]
    return {"vpc": vpc, "subnets": chosen, "sg": sg, "cert": cert}
def tagged():
    """ramp:address of every resource tagged ramp:managed-by=infra, per service (moto's tagging API fails on some types)."""
    out = []
    def keep(tags, what):
        t = {x["Key"]: x["Value"] for x in tags}
        if t.get("ramp:managed-by") == "infra":
            out.append(t.get("ramp:address", "?" + what))
    for region in ("us-east-1", "eu-west-1"):
        elb = c("elbv2", region)
        arns = []
        for lb in elb.describe_load_balancers()["LoadBalancers"]:
            arns.append(lb["LoadBalancerArn"])
            for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
                arns.append(l["ListenerArn"])
                arns += [r["RuleArn"] for r in elb.describe_rules(ListenerArn=l["ListenerArn"])["Rules"] if not r["IsDefault"]]
        for i in range(0, len(arns), 20):
            for d in elb.describe_tags(ResourceArns=arns[i:i + 20])["TagDescriptions"]:
                keep(d["Tags"], d["ResourceArn"])
        cw = c("cloudwatch", region)
        for a in cw.describe_alarms()["MetricAlarms"]:
            keep(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"], a["AlarmArn"])
        sns = c("sns", region)
        for t in sns.list_topics()["Topics"]:
            keep(sns.list_tags_for_resource(ResourceArn=t["TopicArn"])["Tags"], t["TopicArn"])
    iam = c("iam")
    for p in iam.list_instance_profiles()["InstanceProfiles"]:
        got = iam.get_instance_profile(InstanceProfileName=p["InstanceProfileName"])["InstanceProfile"]
        keep(got.get("Tags", []), p["InstanceProfileName"])
    return sorted(out)
cmd = sys.argv[1]
if cmd == "setup":
    route53().create_hosted_zone(Name="example.com", CallerReference="e2e-cli")
    print(json.dumps({"us": network("us-east-1"), "eu": network("eu-west-1")}))
elif cmd == "drift":  # threshold of ALARM -> 42, delete the region's topics
    cw = c("cloudwatch")
    a = cw.describe_alarms(AlarmNames=[sys.argv[2]])
    a = (a["MetricAlarms"] or a.get("CompositeAlarms") or [None])[0]
    assert a, "no alarm " + sys.argv[2]
    keep = ["AlarmName", "ComparisonOperator", "EvaluationPeriods", "AlarmActions", "Metrics",
            "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Dimensions"]
    args = {k: a[k] for k in keep if k in a and a[k] not in (None, [], "")}
    args["Threshold"] = 42.0
    cw.put_metric_alarm(**args)
    sns = c("sns")
    for t in sns.list_topics()["Topics"]:
        sns.delete_topic(TopicArn=t["TopicArn"])
    print("ok")
elif cmd == "tagged":
    print(json.dumps(tagged()))
elif cmd == "records":  # set identifiers of NAME's A record sets
    r53 = route53()
    zone = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == "example.com."][0]["Id"]
    sets = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    print(json.dumps(sorted(s.get("SetIdentifier", "") for s in sets if s["Name"] == sys.argv[2] + "." and s["Type"] == "A")))
PY
w() { PYTHONPATH="$here/../aws_provider" PYTHONDONTWRITEBYTECODE=1 python3 world.py "$@"; }
net=$(w setup) || fail "moto setup: $net"
j() { python3 -c "import json,sys; n=json.loads(sys.argv[1]); print($1)" "$net"; }
usvpc=$(j 'n["us"]["vpc"]') ussub=$(j '", ".join(n["us"]["subnets"])') ussg=$(j 'n["us"]["sg"]') uscert=$(j 'n["us"]["cert"]')
euvpc=$(j 'n["eu"]["vpc"]') eusub=$(j '", ".join(n["eu"]["subnets"])') eusg=$(j 'n["eu"]["sg"]') eucert=$(j 'n["eu"]["cert"]')

# write_config REGIONS [THRESHOLD]
write_config() {
  {
    echo "project: shop"
    echo "environments:"
    echo "  prod:"
    echo "    provider: aws"
    echo "    regions: [$1]"
    echo "    aws:"
    echo "      vpc: $usvpc"
    echo "      subnets: [$ussub]"
    echo "      security_groups: [$ussg]"
    echo "      image: ami-0abc"
    echo "      certificate: $uscert"
    if [[ "$1" == *eu-west-1* ]]; then
      echo "      region_settings:"
      echo "        eu-west-1:"
      echo "          vpc: $euvpc"
      echo "          subnets: [$eusub]"
      echo "          security_groups: [$eusg]"
      echo "          certificate: $eucert"
    fi
    echo "      dns: {zone: example.com, routing: latency}"
    echo "      alarm_definitions:"
    echo "        - {name: errors, metric: target_5xx_rate, threshold: ${2:-5}, period: 60s, evaluation_periods: 3}"
    echo "        - {name: slow, metric: latency_p99, threshold: 1.5}"
    echo "pipeline: [prod]"
    echo "services:"
    echo "  web:"
    echo "    run: {command: bin/web}"
    echo "  api:"
    echo "    run: {command: bin/api}"
  } >ramp.yaml
}
# jcheck FILE PYTHON-EXPR-ON-p : fails with the file when the expression is false
jcheck() { python3 -c "import json,sys; p=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }
write_config us-east-1
"$RAMP_BIN" validate >validate.out 2>&1 || fail "validate: $(cat validate.out)"
# The approval policy an apply is judged by is the config of record's (issue 15).
"$RAMP_BIN" config push -m "aws e2e" >push.out 2>&1 || fail "config push: $(cat push.out)"

# 1. Plan of one region: creates of every kind, exit 2.
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan1.out 2>&1
rc=$?
[[ $rc == 2 ]] || fail "first plan exit $rc (want 2): $(cat plan1.out)"
for a in 'aws_lb.main\[us-east-1\]' 'aws_lb_listener.http\[us-east-1\]' 'aws_lb_listener.https\[us-east-1\]' \
         'aws_lb_listener_rule.web\[us-east-1\]' 'aws_lb_listener_rule.api\[us-east-1\]' \
         'aws_cloudwatch_alarm.web/errors\[us-east-1\]' 'aws_cloudwatch_alarm.web/slow\[us-east-1\]' \
         'aws_cloudwatch_alarm.api/errors\[us-east-1\]' 'aws_cloudwatch_alarm.api/slow\[us-east-1\]' \
         'aws_sns_topic.alerts\[us-east-1\]' 'aws_iam_instance_profile.main' \
         'aws_route53_record.web' 'aws_route53_record.api'; do
  grep -q "+ $a" plan1.out || fail "the first plan lacks + $a: $(cat plan1.out)"
done
"$RAMP_BIN" plan --env prod --json >plan1.json 2>plan1.err || fail "plan --json: $(cat plan1.err)"
jcheck plan1.json 'p["no_op"] is False and p["changes"] and all(c["action"] == "create" for c in p["changes"])' \
  || fail "plan --json: $(cat plan1.json)"
ncreate=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["changes"]))' plan1.json)

# 2. Apply; plan again: no changes.
"$RAMP_BIN" apply --env prod --yes >apply1.out 2>&1 || fail "apply: $(cat apply1.out)"
grep -q "Apply complete: $ncreate done, 0 failed" apply1.out || fail "apply report (want $ncreate done): $(cat apply1.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan2.out 2>&1
rc=$?
[[ $rc == 0 ]] || fail "plan after apply exit $rc (want 0): $(cat plan2.out)"
"$RAMP_BIN" plan --env prod --json >plan2.json 2>&1 || fail "plan --json after apply: $(cat plan2.json)"
jcheck plan2.json 'p["no_op"] is True and not p["changes"]' || fail "plan --json after apply: $(cat plan2.json)"
"$RAMP_BIN" drift --env prod >drift0.out 2>&1 || fail "drift after apply: $(cat drift0.out)"

# 3. Drift behind ramp's back: web's errors alarm's threshold, the topic deleted.
w drift ramp-shop-prod-web/errors >world.out 2>&1 || fail "changing moto: $(cat world.out)"
"$RAMP_BIN" drift --env prod >drift1.out 2>&1
rc=$?
[[ $rc == 2 ]] || fail "drift exit $rc (want 2): $(cat drift1.out)"
grep -q 'aws_cloudwatch_alarm.web/errors\[us-east-1\]' drift1.out || fail "drift does not name the alarm: $(cat drift1.out)"
grep -q 'aws_sns_topic.alerts\[us-east-1\].*deleted outside ramp' drift1.out || fail "drift does not name the deleted topic: $(cat drift1.out)"
"$RAMP_BIN" drift --env prod --json >drift1.json 2>/dev/null
# Exactly: web's errors alarm changed, the topic deleted, and (a consequence
# of the deletion) the other alarms' action now names an ARN that is no
# managed topic: reported as alarm_actions only.
jcheck drift1.json '{i["address"]: i["kind"] for i in p["items"]} == {"aws_cloudwatch_alarm.web/errors[us-east-1]": "changed", "aws_cloudwatch_alarm.web/slow[us-east-1]": "changed", "aws_cloudwatch_alarm.api/errors[us-east-1]": "changed", "aws_cloudwatch_alarm.api/slow[us-east-1]": "changed", "aws_sns_topic.alerts[us-east-1]": "deleted"}' \
  || fail "drift --json is not exactly the alarm and the topic: $(cat drift1.json)"
jcheck drift1.json 'all([a["name"] for a in i["attributes"]] == ["alarm_actions"] for i in p["items"] if i["type"] == "aws_cloudwatch_alarm" and i["address"] != "aws_cloudwatch_alarm.web/errors[us-east-1]")' \
  || fail "drift of the untouched alarms beyond their action: $(cat drift1.json)"
jcheck drift1.json 'any(a["name"] == "threshold" and a["after"] == 42 for i in p["items"] if i["address"] == "aws_cloudwatch_alarm.web/errors[us-east-1]" for a in i["attributes"])' \
  || fail "drift --json does not show threshold 42: $(cat drift1.json)"
"$RAMP_BIN" apply --env prod --yes >apply2.out 2>&1 || fail "apply after drift: $(cat apply2.out)"
"$RAMP_BIN" drift --env prod >drift2.out 2>&1 || fail "drift after the repair: $(cat drift2.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan3.out 2>&1 || fail "plan after the repair: $(cat plan3.out)"

# 4. Add eu-west-1: exactly its resources plus the records' updates.
write_config "us-east-1, eu-west-1"
"$RAMP_BIN" plan --env prod --json >plan4.json 2>plan4.err || fail "plan with eu-west-1: $(cat plan4.err)"
jcheck plan4.json 'not p["no_op"] and all((c["action"] == "create" and c["region"] == "eu-west-1") or (c["action"] == "update" and c["type"] == "aws_route53_record") for c in p["changes"])' \
  || fail "adding eu-west-1 plans more than its resources and the records: $(cat plan4.json)"
jcheck plan4.json 'sorted(c["address"] for c in p["changes"] if c["action"] == "update") == ["aws_route53_record.api", "aws_route53_record.web"]' \
  || fail "adding eu-west-1 does not update both records: $(cat plan4.json)"
neu=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(sum(c["action"] == "create" for c in p["changes"]))' plan4.json)
nus=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(sum(c["region"] == "us-east-1" for c in p["changes"]))' plan1.json)
[[ $neu == "$nus" ]] || fail "eu-west-1 gets $neu creates, us-east-1 had $nus: $(cat plan4.json)"
# The first apply of eu-west-1 is killed (SIGKILL of the controller) after
# its 4th AWS call, before recording it; the next apply (once the dead
# controller's lease has expired, no force-unlock) resumes the journal's
# intents with their client tokens: no twin, no orphan (checked below by
# listing every ramp-tagged resource in moto).
"$RAMP_BIN" down >/dev/null 2>&1 || fail "down before the killed apply"  # a controller with the failpoint
RAMP_FAILPOINT=infra-apply:after-call:4 "$RAMP_BIN" apply --env prod --yes >killed.out 2>&1 \
  && fail "the apply with a kill failpoint succeeded: $(cat killed.out)"
"$RAMP_BIN" down >/dev/null 2>&1   # forgets the dead controller
ok=
for i in $(seq 1 30); do
  if "$RAMP_BIN" apply --env prod --yes >apply4.out 2>&1; then ok=1; break; fi
  grep -q 'holds the lock' apply4.out || fail "apply with eu-west-1 after the kill: $(cat apply4.out)"
  sleep 1
done
[[ -n "$ok" ]] || fail "the dead controller's lock never expired: $(cat apply4.out)"
grep -q 'resumed from an interrupted apply' apply4.out || fail "nothing resumed after the kill: $(cat apply4.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan5.out 2>&1 || fail "plan after adding eu-west-1: $(cat plan5.out)"
want='["aws_cloudwatch_alarm.api/errors[eu-west-1]", "aws_cloudwatch_alarm.api/errors[us-east-1]", "aws_cloudwatch_alarm.api/slow[eu-west-1]", "aws_cloudwatch_alarm.api/slow[us-east-1]", "aws_cloudwatch_alarm.web/errors[eu-west-1]", "aws_cloudwatch_alarm.web/errors[us-east-1]", "aws_cloudwatch_alarm.web/slow[eu-west-1]", "aws_cloudwatch_alarm.web/slow[us-east-1]", "aws_iam_instance_profile.main", "aws_lb.main[eu-west-1]", "aws_lb.main[us-east-1]", "aws_lb_listener.http[eu-west-1]", "aws_lb_listener.http[us-east-1]", "aws_lb_listener.https[eu-west-1]", "aws_lb_listener.https[us-east-1]", "aws_lb_listener_rule.api[eu-west-1]", "aws_lb_listener_rule.api[us-east-1]", "aws_lb_listener_rule.web[eu-west-1]", "aws_lb_listener_rule.web[us-east-1]", "aws_sns_topic.alerts[eu-west-1]", "aws_sns_topic.alerts[us-east-1]"]'
got=$(w tagged) || fail "listing tagged resources: $got"
[[ "$got" == "$want" ]] || fail "ramp-tagged resources in moto are not exactly the desired set:
 want $want
 got  $got"
got=$(w records web.prod.example.com) || fail "records: $got"
[[ "$got" == '["eu-west-1", "us-east-1"]' ]] || fail "web's record sets: $got"

# 5. Remove eu-west-1: deletes; refused without --allow-destroy.
write_config us-east-1
"$RAMP_BIN" plan --env prod --json >plan6.json 2>plan6.err || fail "plan without eu-west-1: $(cat plan6.err)"
jcheck plan6.json 'all((c["action"] == "delete" and c["region"] == "eu-west-1") or (c["action"] == "update" and c["type"] == "aws_route53_record") for c in p["changes"]) and sum(c["action"] == "delete" for c in p["changes"]) == '"$neu" \
  || fail "removing eu-west-1 does not plan exactly its deletes: $(cat plan6.json)"
# The records' eu-west-1 sets read as eu-west-1's load balancer: the update
# is the region's removal, not a change outside ramp.
jcheck plan6.json 'all("outside" not in c["reason"] for c in p["changes"])' \
  || fail "removing eu-west-1 reports changes outside ramp: $(cat plan6.json)"
"$RAMP_BIN" apply --env prod --yes >apply6.out 2>&1
rc=$?
[[ $rc == 1 ]] || fail "apply of a region removal without --allow-destroy exit $rc (want 1): $(cat apply6.out)"
grep -q -- '--allow-destroy' apply6.out || fail "the refusal does not name --allow-destroy: $(cat apply6.out)"
got=$(w tagged) || fail "listing tagged resources: $got"
[[ "$got" == "$want" ]] || fail "a refused apply deleted something: $got"
"$RAMP_BIN" apply --env prod --yes --allow-destroy >apply7.out 2>&1 || fail "apply --allow-destroy: $(cat apply7.out)"
got=$(w tagged) || fail "listing tagged resources: $got"
want_us=$(python3 -c 'import json,sys; print(json.dumps([a for a in json.loads(sys.argv[1]) if "eu-west-1" not in a]))' "$want")
[[ "$got" == "$want_us" ]] || fail "after removing eu-west-1:
 want $want_us
 got  $got"
got=$(w records web.prod.example.com) || fail "records: $got"
[[ "$got" == '["us-east-1"]' ]] || fail "web's record sets after the removal: $got"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan7.out 2>&1 || fail "plan after the removal: $(cat plan7.out)"

# 6. A stale saved plan: saved, then another change applied, then refused.
write_config us-east-1 7
"$RAMP_BIN" plan --env prod -o p.json >/dev/null 2>plan8.err || fail "plan -o: $(cat plan8.err)"
write_config us-east-1 9
"$RAMP_BIN" apply --env prod --yes >apply8.out 2>&1 || fail "apply threshold 9: $(cat apply8.out)"
"$RAMP_BIN" apply p.json >stale.out 2>&1 && fail "a stale plan was applied: $(cat stale.out)"
grep -q 'stale plan' stale.out || fail "stale refusal: $(cat stale.out)"
grep -q 'region us-east-1' stale.out || fail "the stale refusal does not name the region: $(cat stale.out)"

# 7. Down.
"$RAMP_BIN" down >/dev/null 2>&1 || fail "down"
echo "ok"
