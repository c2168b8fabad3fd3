#!/usr/bin/python3
"""Captures SigV4-signed requests from Debian's botocore (python3-botocore) as
test data for tests/unit/sigv4 (botocore_vectors.json).

Each request is made through a real botocore client against a made-up
endpoint; a 'before-send' hook records the request exactly as botocore would
put it on the wire and stops it there. Credentials and the clock are fixed so
the output is reproducible:

    /usr/bin/python3 tests/unit/sigv4/botocore_vectors.py > tests/unit/sigv4/botocore_vectors.json
"""
import datetime
import json
import sys
import types
from urllib.parse import urlsplit

import botocore.auth
import botocore.session

FIXED = datetime.datetime(2023, 11, 14, 22, 13, 20)  # 1700000000
ACCESS_KEY = "AKIAELFSTESTKEY00001"
SECRET_KEY = "elfsTestSecret/0123456789+abcdefghijklmnopq"
SESSION_AKID = "ASIAELFSTESTSESSION1"
SESSION_SECRET = "sessionSecret/abcdefABCDEF0123456789+xyz"
SESSION_TOKEN = "FwoGZXIvYXdzEElfsTestSessionToken//+/abc=="
ENDPOINT = "http://elfs.test:8443"
REGION = "us-east-1"


class _FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return FIXED

    @classmethod
    def now(cls, tz=None):
        return FIXED if tz is None else FIXED.replace(tzinfo=datetime.timezone.utc)


# botocore signs with awscrt when it is installed (as on Debian), else with
# its own Python signer; both read the clock through their 'datetime' module.
_CLOCK = types.SimpleNamespace(datetime=_FixedDatetime, timedelta=datetime.timedelta,
                               timezone=datetime.timezone)
botocore.auth.datetime = _CLOCK
try:
    import botocore.crt.auth
    botocore.crt.auth.datetime = _CLOCK
except ImportError:
    pass


class _Captured(Exception):
    pass


def _client(service, session_creds=False):
    session = botocore.session.get_session()
    kwargs = dict(region_name=REGION, endpoint_url=ENDPOINT,
                  aws_access_key_id=SESSION_AKID if session_creds else ACCESS_KEY,
                  aws_secret_access_key=SESSION_SECRET if session_creds else SECRET_KEY)
    if session_creds:
        kwargs["aws_session_token"] = SESSION_TOKEN
    return session.create_client(service, **kwargs)


def capture(name, service, operation, params, session_creds=False):
    client = _client(service, session_creds)
    out = {}

    def before_send(request, **_):
        parts = urlsplit(request.url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        # http.client adds Host from the URL unless the signer already set one
        # (the CRT signer does); botocore signs the same netloc.
        headers = []
        if not any(k.lower() == "host" for k in request.headers.keys()):
            headers.append(["Host", parts.netloc])
        for k, v in request.headers.items():
            headers.append([k, v.decode() if isinstance(v, bytes) else v])
        body = request.body or b""
        if not isinstance(body, bytes):
            body = body.read() if hasattr(body, "read") else body.encode()
        out.update(name=name, service=service, presigned=False, method=request.method,
                   target=target, headers=headers, body=body.decode())
        raise _Captured()

    client.meta.events.register("before-send", before_send)
    try:
        getattr(client, operation)(**params)
    except _Captured:
        pass
    return out


def presign(name, service, operation, params, expires):
    # A URL to GET (as EKS-style STS tokens are used); the method is signed.
    client = _client(service)
    url = client.generate_presigned_url(operation, Params=params, ExpiresIn=expires,
                                        HttpMethod="GET")
    parts = urlsplit(url)
    return dict(name=name, service=service, presigned=True, method="GET",
                target=parts.path + "?" + parts.query, headers=[["Host", parts.netloc]], body="")


FS_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0"

def all_vectors(signer):
  return [dict(v, name=f"{signer}:{v['name']}", signer=signer) for v in [
    capture("efs-create-file-system", "efs", "create_file_system",
            dict(CreationToken="token-1", PerformanceMode="generalPurpose",
                 Tags=[{"Key": "Name", "Value": "my fs / é"}])),
    capture("efs-describe-file-systems", "efs", "describe_file_systems",
            dict(MaxItems=5, Marker="abc/def+ghi")),
    capture("efs-list-tags-arn-path", "efs", "list_tags_for_resource",
            dict(ResourceId=FS_ARN)),
    capture("efs-untag-repeated-keys", "efs", "untag_resource",
            dict(ResourceId=FS_ARN, TagKeys=["b key", "a/key", "a"])),
    capture("efs-describe-account-preferences-get-with-body", "efs",
            "describe_account_preferences", dict(MaxResults=10)),
    capture("efs-describe-tags-trailing-slash", "efs", "describe_tags",
            dict(FileSystemId="fs-0123456789abcdef0")),
    capture("efs-put-policy", "efs", "put_file_system_policy",
            dict(FileSystemId="fs-0123456789abcdef0",
                 Policy='{"Version":"2012-10-17","Statement":[]}')),
    capture("efs-session-token", "efs", "describe_mount_targets",
            dict(FileSystemId="fs-0123456789abcdef0"), session_creds=True),
    capture("iam-create-user", "iam", "create_user", dict(UserName="alice", Path="/team/")),
    capture("iam-put-user-policy", "iam", "put_user_policy",
            dict(UserName="alice", PolicyName="p",
                 PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                '"Action":"*","Resource":"*"}]}')),
    capture("sts-get-caller-identity", "sts", "get_caller_identity", {}),
    capture("sts-assume-role-session", "sts", "assume_role",
            dict(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="session-1"),
            session_creds=True),
    capture("ec2-describe-vpcs", "ec2", "describe_vpcs",
            dict(Filters=[{"Name": "tag:Name", "Values": ["a b", "c*"]}])),
    capture("ec2-authorize-ingress", "ec2", "authorize_security_group_ingress",
            dict(GroupId="sg-0123456789abcdef0",
                 IpPermissions=[{"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049,
                                 "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])),
    presign("efs-presigned-describe", "efs", "describe_file_systems",
            dict(FileSystemId="fs-0123456789abcdef0"), 900),
    presign("sts-presigned-get-caller-identity", "sts", "get_caller_identity", {}, 3600),
  ]]


# awscrt's signer when installed (as with Debian's python3-awscrt), then
# botocore's own pure-Python one: the server must accept both.
vectors = []
if botocore.auth.HAS_CRT:
    vectors += all_vectors("awscrt")
botocore.auth.AUTH_TYPE_MAPS["v4"] = botocore.auth.SigV4Auth
botocore.auth.AUTH_TYPE_MAPS["v4-query"] = botocore.auth.SigV4QueryAuth
vectors += all_vectors("botocore")

json.dump(dict(generator="tests/unit/sigv4/botocore_vectors.py",
               botocore_version=botocore.__version__, time=int(FIXED.replace(
                   tzinfo=datetime.timezone.utc).timestamp()),
               region=REGION,
               keys=[dict(access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY,
                          session_token=""),
                     dict(access_key_id=SESSION_AKID, secret_access_key=SESSION_SECRET,
                          session_token=SESSION_TOKEN)],
               requests=vectors),
          sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
