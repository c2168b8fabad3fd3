#!/usr/bin/env python3
"""Differential test of the elfs policy engine against an outside oracle.

Generates random but well-formed policy sets and requests (seeded, so a run
is reproducible), evaluates each with elfs (iam_eval) and with the npm package
@cloud-copilot/iam-simulate (installed on first use into --modules with npm;
AGPL, so only ever run as a separate program), and compares the decisions.
Prints each disagreement with its case, then "N passed, M failed".

Usage: differential.py --iam-eval build/.../iam_eval --modules DIR [--cases N] [--seed S]
"""
import argparse
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
A, B = "111122223333", "444455556666"
FS = f"arn:aws:elasticfilesystem:us-east-1:{A}:file-system/fs-0123456789abcdef0"
OTHER_FS = f"arn:aws:elasticfilesystem:us-east-1:{A}:file-system/fs-0fedcba9876543210"
ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
           "elasticfilesystem:ClientRootAccess"]

PRINCIPALS = [
    {"kind": "user", "account": A, "name": "alice", "tags": {"team": "storage"}},
    {"kind": "user", "account": A, "name": "carol", "tags": {"team": "eng"}},
    {"kind": "session", "account": A, "role": "admin", "name": "s1", "tags": {}},
    # No root user: elfs gives the account root full access to its own
    # account's resources as the IAM User Guide states; the oracle does not
    # model that rule, so root requests would disagree by design.
    {"kind": "user", "account": B, "name": "bob", "tags": {"team": "storage"}},
    {"kind": "anonymous"},
]


def principal_arn(p):
    if p["kind"] == "user":
        return f"arn:aws:iam::{p['account']}:user/{p['name']}"
    if p["kind"] == "session":
        return f"arn:aws:sts::{p['account']}:assumed-role/{p['role']}/{p['name']}"
    if p["kind"] == "root":
        return f"arn:aws:iam::{p['account']}:root"
    return None


def one_or_list(r, values):
    k = r.randint(1, min(2, len(values)))
    picked = r.sample(values, k)
    return picked[0] if k == 1 else picked


def condition(r):
    templates = [
        lambda: ("Bool" + r.choice(["", "IfExists"]), "aws:SecureTransport", r.choice(["true", "false"])),
        lambda: (r.choice(["IpAddress", "NotIpAddress", "IpAddressIfExists"]), "aws:SourceIp",
                 one_or_list(r, ["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "8.8.8.8"])),
        lambda: (r.choice(["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
                           "StringNotEqualsIgnoreCase", "StringEqualsIfExists"]),
                 "aws:PrincipalTag/team", one_or_list(r, ["storage", "STORAGE", "eng"])),
        lambda: (r.choice(["StringLike", "StringNotLike"]), "aws:PrincipalTag/team",
                 one_or_list(r, ["stor*", "e?g", "*"])),
        lambda: (r.choice(["NumericLessThan", "NumericGreaterThanEquals", "NumericEquals",
                           "NumericNotEquals", "NumericLessThanIfExists"]),
                 "aws:MultiFactorAuthAge", r.choice(["100", "3600"])),
        lambda: (r.choice(["DateGreaterThan", "DateLessThan", "DateNotEquals"]), "aws:CurrentTime",
                 r.choice(["2024-01-01T00:00:00Z", "2025-06-01T00:00:00Z"])),
        lambda: ("Null", r.choice(["aws:SourceIp", "aws:MultiFactorAuthAge", "aws:PrincipalArn"]),
                 r.choice(["true", "false"])),
        lambda: (r.choice(["ArnLike", "ArnNotLike", "ArnEquals"]), "aws:PrincipalArn",
                 r.choice([f"arn:aws:iam::{A}:*", f"arn:aws:iam::{A}:user/alice",
                           f"arn:aws:iam::*:role/admin"])),
        lambda: (r.choice(["ForAnyValue:StringEquals", "ForAllValues:StringEquals",
                           "ForAnyValue:StringLike", "ForAllValues:StringNotEquals"]),
                 "aws:TagKeys", one_or_list(r, ["owner", "env", "cost*"])),
        lambda: ("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/team}"),
        lambda: ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:user/${aws:username}"),
        lambda: ("Bool", "elasticfilesystem:AccessedViaMountTarget", "true"),
    ]
    out = {}
    for _ in range(r.randint(1, 2)):
        op, key, value = r.choice(templates)()
        out.setdefault(op, {})[key] = value
    return out


def statement(r, resource_policy):
    s = {"Effect": r.choice(["Allow", "Allow", "Deny"])}
    actions = r.choice([["*"], ["elasticfilesystem:*"], ["elasticfilesystem:Client*"],
                        [r.choice(ACTIONS)], r.sample(ACTIONS, 2)])
    s["NotAction" if r.random() < 0.1 else "Action"] = actions if len(actions) > 1 else actions[0]
    resource = r.choice(["*", FS, OTHER_FS, f"arn:aws:elasticfilesystem:*:{A}:file-system/*",
                         "arn:aws:elasticfilesystem:us-east-1:*:file-system/fs-0123456789abcdef?"])
    s["NotResource" if r.random() < 0.1 else "Resource"] = resource
    if resource_policy:
        principal = r.choice([
            "*", {"AWS": "*"}, {"AWS": A}, {"AWS": f"arn:aws:iam::{A}:root"},
            {"AWS": f"arn:aws:iam::{A}:user/alice"}, {"AWS": f"arn:aws:iam::{A}:role/admin"},
            {"AWS": f"arn:aws:sts::{A}:assumed-role/admin/s1"}, {"AWS": B},
            {"AWS": [f"arn:aws:iam::{B}:user/bob", f"arn:aws:iam::{A}:user/carol"]}])
        s["Principal"] = principal
    if r.random() < 0.6:
        s["Condition"] = condition(r)
    return s


def policy(r, resource_policy):
    return {"Version": "2012-10-17",
            "Statement": [statement(r, resource_policy) for _ in range(r.randint(1, 3))]}


def context(r, p):
    c = {}
    if r.random() < 0.8:
        c["aws:SecureTransport"] = [r.choice(["true", "false"])]
    if r.random() < 0.8:
        c["aws:SourceIp"] = [r.choice(["10.1.2.3", "192.168.1.5", "2001:db8::1", "8.8.8.8"])]
    if r.random() < 0.6:
        c["aws:MultiFactorAuthAge"] = [r.choice(["50", "100", "5000"])]
    c["aws:CurrentTime"] = [r.choice(["2024-06-01T00:00:00Z", "2026-01-01T00:00:00Z"])]
    if r.random() < 0.5:
        c["aws:TagKeys"] = r.sample(["owner", "env", "cost-center"], r.randint(1, 2))
    if r.random() < 0.8:
        c["elasticfilesystem:AccessedViaMountTarget"] = ["true"]
    # The principal's own keys, given explicitly so both evaluators see the
    # same values (the oracle does not derive them from the principal).
    arn = principal_arn(p)
    if arn:
        c["aws:PrincipalArn"] = [arn if p["kind"] != "session"
                                 else f"arn:aws:iam::{p['account']}:role/{p['role']}"]
        c["aws:PrincipalAccount"] = [p["account"]]
        if p["kind"] == "user":
            c["aws:username"] = [p["name"]]
        for k, v in p.get("tags", {}).items():
            c[f"aws:PrincipalTag/{k}"] = [v]
    return c


def make_case(r):
    p = r.choice(PRINCIPALS)
    identity = [] if p["kind"] in ("anonymous", "root") else \
        [policy(r, False) for _ in range(r.randint(0, 2))]
    resource_policy = policy(r, True) if r.random() < 0.7 else None
    return {"identity": identity, "resource_policy": resource_policy, "principal": p,
            "action": r.choice(ACTIONS), "resource": FS, "resource_account": A,
            "context": context(r, p)}


def run(cmd, lines, env=None):
    out = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True,
                         env=env, timeout=600)
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {out.stderr[-2000:]}")
    return out.stdout.splitlines()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iam-eval", required=True)
    ap.add_argument("--modules", required=True, help="where the oracle's npm package lives")
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()

    pkg = os.path.join(args.modules, "node_modules", "@cloud-copilot", "iam-simulate")
    if not os.path.isdir(pkg):
        os.makedirs(args.modules, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", args.modules,
                        "@cloud-copilot/iam-simulate@0.1"], check=True, timeout=600)

    r = random.Random(args.seed)
    cases = [make_case(r) for _ in range(args.cases)]
    lines = [json.dumps(c) for c in cases]
    ours = run([args.iam_eval], lines)
    env = dict(os.environ, ORACLE_MODULES=os.path.join(args.modules, "node_modules"))
    theirs = run(["node", os.path.join(HERE, "oracle.mjs")], lines, env)
    if len(ours) != len(cases) or len(theirs) != len(cases):
        sys.exit(f"output count mismatch: {len(ours)} / {len(theirs)} for {len(cases)} cases")
    passed = failed = 0
    for c, a, b in zip(cases, ours, theirs):
        if a == b and not a.startswith("error"):
            passed += 1
        else:
            failed += 1
            if failed <= 20:
                print(f"DISAGREE elfs={a} oracle={b}\n  {json.dumps(c)}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
