"""Resets the suite's moto and turns its signature checking on for what follows.

  moto_keys.py ENDPOINT   -> prints "ACCESS_KEY_ID SECRET_ACCESS_KEY"

moto is started by tests/aws/moto-fixture.sh with INITIAL_NO_AUTH_ACTION_COUNT=0
(every request's SigV4 signature is checked). This resets it, allows exactly 3
unsigned calls (POST /moto-api/reset-auth "3") and spends them creating an IAM
user allowed every action and its access key; every later call must be signed
with that key. The C++ tests do the same with tests/aws/MotoAuth.h.
"""
import sys
import urllib.request

import boto3

url = sys.argv[1].rstrip("/")
for path, body in (("/moto-api/reset", b""), ("/moto-api/reset-auth", b"3")):
    req = urllib.request.Request(url + path, data=body, method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req, timeout=10).read()
iam = boto3.client("iam", region_name="us-east-1", endpoint_url=url, aws_access_key_id="free",
                   aws_secret_access_key="free")
iam.create_user(UserName="ramp-test")
iam.put_user_policy(UserName="ramp-test", PolicyName="everything",
                    PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
key = iam.create_access_key(UserName="ramp-test")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
