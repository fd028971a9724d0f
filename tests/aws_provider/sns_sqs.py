"""SNS -> SQS helper of aws_sns_alert_test (boto3 against moto).

  sns_sqs.py ENDPOINT REGION topic NAME   -> "TOPIC_ARN QUEUE_URL": an SNS topic and an
                                             SQS queue subscribed to it
  sns_sqs.py ENDPOINT REGION receive URL [SECONDS]
                                          -> JSON list of the SNS envelopes
                                             ({"Subject", "Message", ...}) waiting in
                                             the queue (long polls until one arrives,
                                             at most SECONDS, default 5)
"""
import json
import sys
import time

import boto3


def client(name, endpoint, region):
    # The test's key (moto checks signatures): AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    return boto3.client(name, region_name=region, endpoint_url=endpoint)


def main():
    endpoint, region, cmd, arg = sys.argv[1:5]
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 5
    sns = client("sns", endpoint, region)
    sqs = client("sqs", endpoint, region)
    if cmd == "topic":
        topic = sns.create_topic(Name=arg)["TopicArn"]
        url = sqs.create_queue(QueueName=arg + "-inbox")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
        print(topic, url)
        return 0
    if cmd == "receive":
        out = []
        deadline = time.time() + seconds
        while time.time() < deadline:  # bounded: SECONDS
            r = sqs.receive_message(QueueUrl=arg, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=arg, ReceiptHandle=m["ReceiptHandle"])
            if out:
                break
        print(json.dumps(out))
        return 0
    print("unknown command " + cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
