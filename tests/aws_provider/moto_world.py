"""Helpers of the AWS end-to-end test (boto3 against moto, AWS_ENDPOINT_URL).

  moto_world.py settings            -> "VPC SUBNET1 SUBNET2 AMI" (two AZs)
  moto_world.py listener            -> JSON {release-version: weight} of the services' rules
  moto_world.py tagged              -> JSON counts of ramp-tagged ASGs/TGs/LTs (+ per fleet)
  moto_world.py inventory           -> JSON of every ramp-tagged resource by release version:
                                       {"fleets": {VERSION: {"asg": n, "tg": n, "lt": n,
                                       "instances": n}}, "rules": n (listener rules of
                                       deployments: not the defaults, not the infrastructure's),
                                       "deployments": [ramp:deployment tags], "lbs": {name:
                                       ramp:managed-by}}
  moto_world.py chain NAME           -> JSON of what a client resolving DNS name NAME reaches,
                                       per record set (region): {"sets": {REGION: {"weight",
                                       "lb", "listener_port", "rule_priority", "forward":
                                       {VERSION: weight}, "instances": {VERSION: InService},
                                       "default_action"}}} (record -> load balancer -> listener
                                       -> rule -> target groups -> Auto Scaling instances)
  moto_world.py zone NAME            -> creates the Route 53 hosted zone NAME (if missing)
  moto_world.py delete-lb NAME       -> deletes load balancer NAME (and its listeners) behind ramp's back
  moto_world.py alarm-on NAME VERSION STATE SECONDS [keep]
                                    -> waits (at most SECONDS) until CloudWatch alarm NAME
                                       watches VERSION's target group (its TargetGroup
                                       dimension), then sets its state; prints the dimension;
                                       with keep, then holds the state while the alarm
                                       watches that group (as CloudWatch's re-evaluation would)
  moto_world.py alarm NAME STATE     -> creates CloudWatch alarm NAME (if missing) and sets its
                                       state (OK | ALARM) with SetAlarmState
  moto_world.py feed SECONDS BAD [READY]
                                    -> publishes ALB metrics for every ramp target
                                       group until SECONDS pass: version BAD answers
                                       30% 5XX, the others none; creates file READY
                                       once the first round is in CloudWatch. A round
                                       that fails (a target group retired between two
                                       calls, an answer lost) is logged and the next
                                       one tried: the feeder never dies silently
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import boto3
import botocore.exceptions
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = os.environ.get("MOTO_WORLD_REGION", "us-east-1")  # the region every command reads


def client(name):
    return boto3.client(name, region_name=REGION, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def target_groups():
    elb = client("elbv2")
    groups = elb.describe_target_groups()["TargetGroups"]
    out = []
    for g in groups:
        tags = elb.describe_tags(ResourceArns=[g["TargetGroupArn"]])["TagDescriptions"][0]["Tags"]
        t = {x["Key"]: x["Value"] for x in tags}
        if "ramp:fleet" in t:
            out.append((g, t))
    return out


def settings():
    ec2 = client("ec2")
    subnets = ec2.describe_subnets()["Subnets"]
    vpc = subnets[0]["VpcId"]
    chosen, zones = [], set()
    for s in subnets:
        if s["VpcId"] == vpc and s["AvailabilityZone"] not in zones:
            zones.add(s["AvailabilityZone"])
            chosen.append(s["SubnetId"])
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    print(vpc, chosen[0], chosen[1], ami)


def listener():
    """{release-version: weight} of the services' rules (the infrastructure's
    rules, whose forward action deployments set) and of any listener default
    action that forwards."""
    elb = client("elbv2")
    versions = {g["TargetGroupArn"]: t["ramp:release-version"] for g, t in target_groups()}
    out = {}
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            actions = list(l["DefaultActions"])
            for r in elb.describe_rules(ListenerArn=l["ListenerArn"])["Rules"]:
                if not r["IsDefault"] and not any(c["Field"] == "http-header" for c in r["Conditions"]):
                    actions += r["Actions"]
            for a in actions:
                for g in a.get("ForwardConfig", {}).get("TargetGroups", []):
                    out[versions.get(g["TargetGroupArn"], g["TargetGroupArn"])] = g.get("Weight", 1)
    print(json.dumps(out, sort_keys=True))


def tagged():
    asg = client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    groups = [g for g in asg if any(t["Key"] == "ramp:fleet" for t in g.get("Tags", []))]
    lts = client("ec2").describe_launch_templates()["LaunchTemplates"]
    templates = [t for t in lts if any(x["Key"] == "ramp:fleet" for x in t.get("Tags", []))]
    tgs = target_groups()
    fleets = {}
    for g in groups:
        f = {t["Key"]: t["Value"] for t in g["Tags"]}["ramp:fleet"]
        fleets[f] = fleets.get(f, 0) + 1
    print(json.dumps({"asg": len(groups), "tg": len(tgs), "lt": len(templates),
                      "max_groups_per_fleet": max(fleets.values()) if fleets else 0}))


def inventory():
    """Everything ramp tagged, grouped by release version, so that a test can
    compare it with exactly the expected set (no twin, no orphan)."""
    fleets, deployments = {}, set()

    def add(tags, kind):
        v = tags.get("ramp:release-version", "?")
        f = fleets.setdefault(v, {"asg": 0, "tg": 0, "lt": 0, "instances": 0})
        f[kind] += 1
        if "ramp:deployment" in tags:
            deployments.add(tags["ramp:deployment"])

    for g in client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]:
        t = {x["Key"]: x["Value"] for x in g.get("Tags", [])}
        if "ramp:fleet" in t and not g.get("Status"):
            add(t, "asg")
    for lt in client("ec2").describe_launch_templates()["LaunchTemplates"]:
        t = {x["Key"]: x["Value"] for x in lt.get("Tags", [])}
        if "ramp:fleet" in t:
            add(t, "lt")
    for _, t in target_groups():
        add(t, "tg")
    ec2 = client("ec2")
    for r in ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]},
                                            {"Name": "tag-key", "Values": ["ramp:fleet"]}])["Reservations"]:
        for i in r["Instances"]:
            add({x["Key"]: x["Value"] for x in i.get("Tags", [])}, "instances")
    elb = client("elbv2")
    rules, lbs = 0, {}
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        lbs[lb["LoadBalancerName"]] = tags_of(elb, lb["LoadBalancerArn"]).get("ramp:managed-by", "")
        for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            for r in elb.describe_rules(ListenerArn=l["ListenerArn"])["Rules"]:
                if not r["IsDefault"] and tags_of(elb, r["RuleArn"]).get("ramp:managed-by") != "infra":
                    rules += 1
    print(json.dumps({"fleets": fleets, "rules": rules, "deployments": sorted(deployments), "lbs": lbs},
                     sort_keys=True))


def tags_of(elb, arn):
    d = elb.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return {x["Key"]: x["Value"] for x in d[0]["Tags"]} if d else {}


def chain(name):
    """What a client resolving NAME reaches, per moto's model, through the API only."""
    r53 = route53()
    want = name.rstrip(".") + "."
    out = {}
    for zone in r53.list_hosted_zones()["HostedZones"]:
        for rs in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            if rs["Name"] != want or rs["Type"] not in ("A", "CNAME"):
                continue
            region = rs.get("Region") or rs.get("SetIdentifier")
            target = (rs.get("AliasTarget", {}).get("DNSName") or
                      (rs.get("ResourceRecords") or [{}])[0].get("Value", "")).rstrip(".").lower()
            entry = {"weight": rs.get("Weight"), "lb": None}
            elb = boto3.client("elbv2", region_name=region, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
            asg = boto3.client("autoscaling", region_name=region, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
            for lb in elb.describe_load_balancers()["LoadBalancers"]:
                if lb["DNSName"].rstrip(".").lower() != target:
                    continue
                entry["lb"] = lb["LoadBalancerName"]
                for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
                    for r in elb.describe_rules(ListenerArn=l["ListenerArn"])["Rules"]:
                        hosts = [v for c in r["Conditions"] if c["Field"] == "host-header"
                                 for v in c.get("HostHeaderConfig", {}).get("Values", c.get("Values", []))]
                        if r["IsDefault"] or name.rstrip(".") not in hosts:
                            continue
                        if any(c["Field"] == "http-header" for c in r["Conditions"]):
                            continue  # a pinning rule, not the service's
                        entry["listener_port"] = l["Port"]
                        entry["default_action"] = l["DefaultActions"][0]["Type"]
                        entry["rule_priority"] = int(r["Priority"])
                        forward, instances = {}, {}
                        for a in r["Actions"]:
                            for g in a.get("ForwardConfig", {}).get("TargetGroups", []):
                                v = tags_of(elb, g["TargetGroupArn"]).get("ramp:release-version", g["TargetGroupArn"])
                                forward[v] = g.get("Weight", 1)
                                for grp in asg.describe_auto_scaling_groups()["AutoScalingGroups"]:
                                    if g["TargetGroupArn"] in grp.get("TargetGroupARNs", []):
                                        instances[v] = instances.get(v, 0) + sum(
                                            1 for i in grp["Instances"] if i["LifecycleState"] == "InService")
                        entry["forward"] = forward
                        entry["instances"] = instances
            out[region] = entry
    print(json.dumps({"sets": out}, sort_keys=True))


def route53():
    """A Route 53 client for moto. moto 5.2.1 answers SignatureDoesNotMatch to
    boto3's own correctly signed Route 53 reads (its REST path), so each of
    this helper's Route 53 calls is let through unsigned-checked, one at a
    time (reset-auth 1 just before it); ramp's own calls stay checked."""
    import urllib.request
    url = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    c = boto3.client("route53", region_name="us-east-1", endpoint_url=url)

    def one_free_call(**_):
        req = urllib.request.Request(url + "/moto-api/reset-auth", data=b"1", method="POST",
                                     headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=10).read()

    c.meta.events.register("before-call.route53", one_free_call)

    class Retried:
        """A running controller may take the one free call first: the call is
        then refused (403) and made again, at most 50 times."""

        def __getattr__(self, name):
            method = getattr(c, name)

            def call(**kw):
                for attempt in range(50):
                    try:
                        return method(**kw)
                    except botocore.exceptions.ClientError as e:
                        if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 403 or attempt == 49:
                            raise
            return call

    return Retried()


def weights(name, seconds, stop):
    """Watches NAME's record sets in Route 53 until the file STOP exists (at
    most SECONDS): prints one JSON line {set identifier: weight} each time
    the weights change, starting with the first read."""
    r53 = route53()
    want = name.rstrip(".") + "."
    end, last = time.time() + float(seconds), None
    while time.time() < end and not os.path.exists(stop):
        now = {}
        for z in r53.list_hosted_zones()["HostedZones"]:
            for rs in r53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]:
                if rs["Name"] == want and rs["Type"] in ("A", "CNAME") and "Weight" in rs:
                    now[rs.get("SetIdentifier", "")] = rs["Weight"]
        if now != last:
            print(json.dumps(now, sort_keys=True), flush=True)
            last = now
        time.sleep(0.2)


def delete_lb(name):
    """Deletes load balancer NAME behind ramp's back (its listeners and rules go with it)."""
    elb = client("elbv2")
    for lb in elb.describe_load_balancers(Names=[name])["LoadBalancers"]:
        for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            elb.delete_listener(ListenerArn=l["ListenerArn"])
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    print("deleted", name)


def zone(name):
    r53 = route53()
    for z in r53.list_hosted_zones()["HostedZones"]:
        if z["Name"] == name.rstrip(".") + ".":
            print(z["Id"])
            return
    print(r53.create_hosted_zone(Name=name, CallerReference="ramp-test-" + name)["HostedZone"]["Id"])


def hold(cw, name, tg, state, end):
    """Keeps alarm NAME in STATE while it watches target group TG (until END).

    CloudWatch re-evaluates an alarm on its metric every period, so a
    breaching alarm that something reset goes back to ALARM; moto never
    evaluates, so this does it. (The fault proxy drops answers: ramp's
    AWS client then sends its re-pointing SetAlarmState INSUFFICIENT_DATA
    again, and a retry landing after the test's ALARM reset it for good —
    aws_provider_e2e_faults saw the canary end inconclusive so.) Ends when
    the alarm is pointed elsewhere (the canary's fleet retired)."""
    while time.time() < end:
        alarms = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if not alarms:
            return
        a = alarms[0]
        dims = {d["Name"]: d["Value"] for d in a.get("Dimensions", [])}
        if dims.get("TargetGroup") != tg:
            return
        # Only ramp's own reset of this alarm onto TG is undone: never a
        # state it set re-pointing the alarm elsewhere.
        if a.get("StateValue") != state and a.get("StateReason", "").startswith("ramp:") and tg in a.get("StateReason", ""):
            query("monitoring", {"Action": "SetAlarmState", "Version": "2010-08-01", "AlarmName": name,
                                 "StateValue": state, "StateReason": "set by the test (again: CloudWatch re-evaluates)"})
        time.sleep(0.3)


def alarm_on(name, version, state, seconds, keep=False):
    """Once alarm NAME watches VERSION's target group, sets its state (and
    with keep, holds it there while the alarm watches that group)."""
    cw, elb = client("cloudwatch"), client("elbv2")
    end = time.time() + float(seconds)
    while time.time() < end:
        dims, reason = {}, ""
        for a in cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]:
            dims = {d["Name"]: d["Value"] for d in a.get("Dimensions", [])}
            for m in a.get("Metrics", []):
                for d in m.get("MetricStat", {}).get("Metric", {}).get("Dimensions", []):
                    dims[d["Name"]] = d["Value"]
            reason = a.get("StateReason", "")
        for g, t in target_groups():
            tg = g["TargetGroupArn"].split(":")[-1]
            # Set only once ramp has finished re-pointing the alarm: it puts
            # the new dimension, then resets the state to INSUFFICIENT_DATA
            # ("ramp: now watching <tg> ..."); a state set between the two
            # was overwritten (aws_provider_e2e_faults lost its ALARM so, the
            # reset delayed by the fault proxy, and the canary ended
            # inconclusive instead of rolled back by the alarm).
            if (t.get("ramp:release-version") == version and dims.get("TargetGroup") == tg
                    and tg in reason):
                query("monitoring", {"Action": "SetAlarmState", "Version": "2010-08-01", "AlarmName": name,
                                     "StateValue": state, "StateReason": "set by the test"})
                print(dims["TargetGroup"], flush=True)
                if keep:
                    hold(cw, name, tg, state, end)
                return
        time.sleep(0.2)
    sys.exit("alarm %s never watched %s's target group (dimensions %s)" % (name, version, dims))


def query(service, form):
    """One Query-protocol call as ramp makes it, signed with the test's key
    (moto checks signatures: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)."""
    url = os.environ["AWS_ENDPOINT_URL"] + "/"
    req = AWSRequest(method="POST", url=url, data=urllib.parse.urlencode(form),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    SigV4Auth(creds, service, REGION).add_auth(req)
    r = urllib.request.Request(url, data=req.body.encode() if isinstance(req.body, str) else req.body,
                               headers=dict(req.headers.items()))
    return urllib.request.urlopen(r, timeout=10).read()


def alarm(name, state):
    base = {"Version": "2010-08-01", "AlarmName": name}
    query("monitoring", dict(base, Action="PutMetricAlarm", Namespace="AWS/ApplicationELB",
                             MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum", Period="60",
                             EvaluationPeriods="1", Threshold="10", ComparisonOperator="GreaterThanThreshold"))
    query("monitoring", dict(base, Action="SetAlarmState", StateValue=state, StateReason="set by the test"))
    print(name, state)


def put_query(dims, data):
    """PutMetricData in the Query protocol, as ramp reads it (boto3 would use
    CBOR, which moto stores differently), signed like query()."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    form = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": "AWS/ApplicationELB"}
    for i, (name, value, unit) in enumerate(data, 1):
        k = "MetricData.member.%d." % i
        form[k + "MetricName"] = name
        form[k + "Value"] = str(value)
        form[k + "Unit"] = unit
        form[k + "Timestamp"] = now
        for j, d in enumerate(dims, 1):
            form[k + "Dimensions.member.%d.Name" % j] = d["Name"]
            form[k + "Dimensions.member.%d.Value" % j] = d["Value"]
    query("monitoring", form)


def feed(seconds, bad, ready=None):
    elb = client("elbv2")
    end = time.time() + float(seconds)
    while time.time() < end:
        try:
            fed = feed_round(elb, bad)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError) as e:
            print("feed: round failed (next one in 0.3 s): %s" % e, file=sys.stderr)
            fed = 0
        if ready and fed:
            open(ready, "w").write(str(fed))
            ready = None
        time.sleep(0.3)


def feed_round(elb, bad):
    """One publication for every ramp target group; returns how many."""
    fed = 0
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    lb_dim = lbs[0]["LoadBalancerArn"].split(":loadbalancer/")[1] if lbs else None
    for g, t in target_groups():
        dims = [{"Name": "TargetGroup", "Value": g["TargetGroupArn"].split(":")[-1]}]
        if lb_dim:
            dims.insert(0, {"Name": "LoadBalancer", "Value": lb_dim})
        n = 40
        errors = 12 if t["ramp:release-version"] == bad else 0
        put_query(dims, [("RequestCount", n, "Count"), ("HTTPCode_Target_5XX_Count", errors, "Count"),
                         ("HTTPCode_Target_2XX_Count", n - errors, "Count"),
                         ("TargetResponseTime", 0.05, "Seconds")])
        fed += 1
    return fed


if __name__ == "__main__":
    {"settings": settings, "listener": listener, "tagged": tagged, "inventory": inventory,
     "feed": lambda: feed(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None),
     "chain": lambda: chain(sys.argv[2]),
     "zone": lambda: zone(sys.argv[2]),
     "weights": lambda: weights(sys.argv[2], sys.argv[3], sys.argv[4]),
     "delete-lb": lambda: delete_lb(sys.argv[2]),
     "alarm-on": lambda: alarm_on(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5],
                                  len(sys.argv) > 6 and sys.argv[6] == "keep"),
     "alarm": lambda: alarm(sys.argv[2], sys.argv[3])}[sys.argv[1]]()
