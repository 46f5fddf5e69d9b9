#!/usr/bin/env python3
"""Creates the IAM identities the moto tests sign with, on a moto server started by
`scripts/kinesis-server start --server moto`, and prints them as shell `export` lines.

moto lets the first INITIAL_NO_AUTH_ACTION_COUNT requests of the whole process through
unauthenticated and then verifies every SigV4 signature and IAM policy. This script spends
exactly REQUESTS of those requests (kinesis-server starts moto with that count, read from
`moto-setup.py --requests`), then checks that an unknown key is refused (so nothing after it
runs unauthenticated) and that the new keys work.

usage:
  moto-setup.py --requests        print how many unauthenticated requests the setup spends
  moto-setup.py ENDPOINT          set up moto at ENDPOINT; export lines on stdout

Identities (account 123456789012):
  user kinesis-rs-allowed   kinesis:* and sts:AssumeRole on the role below
  user kinesis-rs-no-put    kinesis:* except kinesis:PutRecords (an explicit Deny)
  role kinesis-rs-role      trusts kinesis-rs-allowed; kinesis:*

Printed variables (the kinesis-tests crate reads them; see its `moto` module):
  MOTO_ENDPOINT, MOTO_ALLOWED_ACCESS_KEY_ID, MOTO_ALLOWED_SECRET_ACCESS_KEY,
  MOTO_ALLOWED_USER_ARN, MOTO_NO_PUT_ACCESS_KEY_ID, MOTO_NO_PUT_SECRET_ACCESS_KEY,
  MOTO_NO_PUT_USER_ARN, MOTO_ROLE_ARN
The secrets go to stdout only: callers write them to a private file, never to a log.
"""

import json
import os
import shlex
import sys

# create_user, put_user_policy and create_access_key for two users, create_role and
# put_role_policy for the role.
REQUESTS = 8

ACCOUNT = "123456789012"
ALLOWED_USER = "kinesis-rs-allowed"
NO_PUT_USER = "kinesis-rs-no-put"
ROLE = "kinesis-rs-role"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action, resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def main(endpoint):
    # moto is on loopback: never through a proxy from the environment.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    # No retries: a retried request would spend one more unauthenticated request than
    # counted, and then the last setup call would fail (loudly) instead.
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)

    def client(service, key_id, secret, token=None):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=config,
        )

    sent = []
    iam = client("iam", "setup", "setup")
    iam.meta.events.register("before-send", lambda **kw: sent.append(kw.get("request")))

    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
    users = {}
    for name, statements in (
        (ALLOWED_USER, [allow("kinesis:*"), allow("sts:AssumeRole", role_arn)]),
        (NO_PUT_USER, [allow("kinesis:*"), deny("kinesis:PutRecords")]),
    ):
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=policy(*statements))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        users[name] = (arn, key["AccessKeyId"], key["SecretAccessKey"])
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": users[ALLOWED_USER][0]},
            "Action": "sts:AssumeRole",
        }
    )
    created = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName=f"{ROLE}-policy", PolicyDocument=policy(allow("kinesis:*")))
    if len(sent) != REQUESTS or created != role_arn:
        sys.exit(f"moto-setup: spent {len(sent)} requests (expected {REQUESTS}), role {created}")

    # From here on moto must authenticate everything: an unknown key is refused ...
    try:
        iam.get_user(UserName=ALLOWED_USER)
        sys.exit("moto-setup: a request signed with an unknown key was accepted after the setup: "
                 "INITIAL_NO_AUTH_ACTION_COUNT is larger than the setup's requests")
    except ClientError as e:
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status != 403:
            raise
    # ... and the new keys work (the role too, through STS).
    _, key_id, secret = users[ALLOWED_USER]
    client("kinesis", key_id, secret).list_streams()
    session = client("sts", key_id, secret).assume_role(RoleArn=role_arn, RoleSessionName="setup-check")
    c = session["Credentials"]
    client("kinesis", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).list_streams()

    env = {
        "MOTO_ENDPOINT": endpoint,
        "MOTO_ALLOWED_ACCESS_KEY_ID": key_id,
        "MOTO_ALLOWED_SECRET_ACCESS_KEY": secret,
        "MOTO_ALLOWED_USER_ARN": users[ALLOWED_USER][0],
        "MOTO_NO_PUT_ACCESS_KEY_ID": users[NO_PUT_USER][1],
        "MOTO_NO_PUT_SECRET_ACCESS_KEY": users[NO_PUT_USER][2],
        "MOTO_NO_PUT_USER_ARN": users[NO_PUT_USER][0],
        "MOTO_ROLE_ARN": role_arn,
    }
    for k, v in env.items():
        print(f"export {k}={shlex.quote(v)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--requests"]:
        print(REQUESTS)
    elif len(sys.argv) == 2 and sys.argv[1].startswith("http://127.0.0.1:"):
        main(sys.argv[1].rstrip("/"))
    else:
        sys.exit("usage: moto-setup.py --requests | moto-setup.py http://127.0.0.1:PORT")
