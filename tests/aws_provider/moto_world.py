"""Helpers of the AWS end-to-end test (boto3 against moto, AWS_ENDPOINT_URL).

  moto_world.py settings            -> "VPC SUBNET1 SUBNET2 AMI" (two AZs)
  moto_world.py listener            -> JSON {release-version: weight} of the ALB listener(s)
  moto_world.py tagged              -> JSON counts of ramp-tagged ASGs/TGs/LTs (+ per fleet)
  moto_world.py inventory           -> JSON of every ramp-tagged resource by release version:
                                       {"fleets": {VERSION: {"asg": n, "tg": n, "lt": n,
                                       "instances": n}}, "rules": n (listener rules besides
                                       the default ones), "deployments": [ramp:deployment tags]}
  moto_world.py alarm NAME STATE     -> creates CloudWatch alarm NAME (if missing) and sets its
                                       state (OK | ALARM) with SetAlarmState
  moto_world.py feed SECONDS BAD    -> publishes ALB metrics for every ramp target
                                       group until SECONDS pass: version BAD answers
                                       30% 5XX, the others none
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import boto3

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
    elb = client("elbv2")
    versions = {g["TargetGroupArn"]: t["ramp:release-version"] for g, t in target_groups()}
    out = {}
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            for a in l["DefaultActions"]:
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
    rules = 0
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            rules += sum(1 for r in elb.describe_rules(ListenerArn=l["ListenerArn"])["Rules"] if not r["IsDefault"])
    print(json.dumps({"fleets": fleets, "rules": rules, "deployments": sorted(deployments)}, sort_keys=True))


def query(service, form):
    """One Query-protocol call as ramp makes it (moto routes by the signing
    scope and does not check the signature by default)."""
    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/", data=urllib.parse.urlencode(form).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded",
                                          "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/"
                                                           + REGION + "/" + service + "/aws4_request, "
                                                           "SignedHeaders=host, Signature=0"})
    return urllib.request.urlopen(req, timeout=10).read()


def alarm(name, state):
    base = {"Version": "2010-08-01", "AlarmName": name}
    query("monitoring", dict(base, Action="PutMetricAlarm", Namespace="AWS/ApplicationELB",
                             MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum", Period="60",
                             EvaluationPeriods="1", Threshold="10", ComparisonOperator="GreaterThanThreshold"))
    query("monitoring", dict(base, Action="SetAlarmState", StateValue=state, StateReason="set by the test"))
    print(name, state)


def put_query(dims, data):
    """PutMetricData in the Query protocol, as ramp reads it (boto3 would use
    CBOR, which moto stores differently). moto routes by the signing scope
    and does not check the signature by default."""
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
    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/", data=urllib.parse.urlencode(form).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded",
                                          "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/"
                                                           + REGION + "/monitoring/aws4_request, "
                                                           "SignedHeaders=host, Signature=0"})
    urllib.request.urlopen(req, timeout=10).read()


def feed(seconds, bad):
    elb = client("elbv2")
    end = time.time() + float(seconds)
    while time.time() < end:
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
        time.sleep(0.3)


if __name__ == "__main__":
    {"settings": settings, "listener": listener, "tagged": tagged, "inventory": inventory,
     "feed": lambda: feed(sys.argv[2], sys.argv[3]),
     "alarm": lambda: alarm(sys.argv[2], sys.argv[3])}[sys.argv[1]]()
