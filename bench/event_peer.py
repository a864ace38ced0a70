"""The event webhook's job in Python + boto3, run by the same local Runtime API as the Rust
function (`make bench`), so that the two are compared in one run.

It does what event-fn does per event, the way a Python Lambda typically would: parse the API
Gateway request, put the transition item if new, update the leg if the event is not older.
No Lambda runtime library: the Runtime API loop is the few lines at the bottom.
"""
import http.client
import json
import os

import boto3
from botocore.exceptions import ClientError

RANK = {"started": 1, "ringing": 2, "answered": 3, "machine": 3, "human": 3, "disconnected": 4,
        "busy": 5, "cancelled": 5, "unanswered": 5, "rejected": 5, "failed": 5, "timeout": 5,
        "completed": 6}
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handle(event):
    body = json.loads(event["body"])
    pk = "CONV#" + body["conversation_uuid"]
    status, uuid, ts = body.get("status") or "input", body.get("uuid", "-"), body.get("timestamp", "")
    try:
        table.put_item(
            Item={"pk": pk, "sk": f"EVENT#{ts}#{uuid}#{status}", "kind": status, "raw": event["body"]},
            ConditionExpression="attribute_not_exists(pk)")
        result = "stored"
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        result = "duplicate"
    if "status" in body:
        rank = RANK.get(status, 0)
        try:
            table.update_item(
                Key={"pk": pk, "sk": "LEG#" + uuid},
                UpdateExpression="SET #s = :s, status_at = :t, status_rank = :r",
                ConditionExpression="attribute_not_exists(status_rank) OR status_rank < :r"
                                    " OR (status_rank = :r AND status_at <= :t)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": status, ":t": ts, ":r": rank})
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"result": result})}


api = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
while True:
    api.request("GET", "/2018-06-01/runtime/invocation/next")
    response = api.getresponse()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    payload = json.loads(response.read())
    api.request("POST", f"/2018-06-01/runtime/invocation/{request_id}/response",
                json.dumps(handle(payload)))
    api.getresponse().read()
