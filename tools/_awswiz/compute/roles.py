"""launch.py --role TEMPLATE[:ARG] and --secret: one IAM role and instance profile per box, least privilege, from
templates; made before the instance, tagged managed with the launch id, removed with the box by terminate.py
(removal/launch_extras.py) or by the launch's own rollback.

Templates (each statement names the one bucket, secret or service it serves; S3 never gets "Resource": "*"):
- s3-read:BUCKET   s3:ListBucket on the bucket, s3:GetObject on its objects
- s3-rw:BUCKET     the above, plus PutObject, DeleteObject and the multipart-upload calls
- ecr-pull         pull images: ecr:GetAuthorizationToken (AWS allows no narrower resource than "*"; ECR User Guide,
                   "Private registry authentication": "the GetAuthorizationToken action ... must be *"), and the
                   image reads on this account's repositories
- ssm              Session Manager: the statements of AWS's AmazonSSMManagedInstanceCore that Session Manager needs
                   (ssm:UpdateInstanceInformation and ssmmessages:*Channel; they support no resource-level scope:
                   Service Authorization Reference, AWS Systems Manager / Amazon Message Gateway Service)
- secret:NAME      secretsmanager:GetSecretValue on that secret only (its ARN in each region it was found)
"""

from __future__ import annotations

import json
import re

from _awswiz.shell.errors import BadInput

TEMPLATES = {"s3-read": "BUCKET", "s3-rw": "BUCKET", "ecr-pull": None, "ssm": None, "secret": "NAME"}
ROLE_PREFIX = "awswiz-box-"
POLICY_NAME = "awswiz-box"
# IAM User Guide, "Use IAM roles to grant permissions to applications running on Amazon EC2 instances": the role's
# trust policy lets the EC2 service assume it
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
# IAM API Reference, InstanceProfileName / RoleName: [\w+=,.@-]+ (128 / 64 characters)
IAM_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_problem(name: str) -> str | None:
    """Amazon S3 User Guide, "General purpose bucket naming rules": 3-63 characters; lowercase letters, numbers,
    dots and hyphens; begin and end with a letter or number; no two adjacent periods; not formatted as an IP address;
    not starting with xn--, sthree- or amzn-s3-demo-; not ending with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3."""
    from _awswiz.guard.targets import BUCKET_NAME

    if not BUCKET_NAME.match(name):
        return ("3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no "
                "two adjacent periods, not an IP address")
    if name.startswith(BAD_PREFIXES) or name.endswith(BAD_SUFFIXES):
        return f"not starting with {', '.join(BAD_PREFIXES)} nor ending with {', '.join(BAD_SUFFIXES)}"
    return None


def parse(values: list[str]) -> list[tuple[str, str | None]]:
    """--role values -> [(template, arg)], each checked without AWS."""
    out = []
    for v in values:
        tpl, _, arg = v.partition(":")
        if tpl not in TEMPLATES or tpl == "secret":  # secret:NAME comes from --secret NAME=ENV_VAR
            raise BadInput(f"--role {v!r}: the templates are s3-read:BUCKET, s3-rw:BUCKET, ecr-pull, ssm "
                           "(and --secret NAME=ENV_VAR)", "e.g. --role s3-read:my-datasets")
        if TEMPLATES[tpl] and not arg:
            raise BadInput(f"--role {tpl} needs :{TEMPLATES[tpl]} (got {v!r})", f"e.g. --role {tpl}:my-datasets")
        if not TEMPLATES[tpl] and arg:
            raise BadInput(f"--role {tpl} takes no argument (got {v!r})", f"e.g. --role {tpl}")
        if tpl.startswith("s3-") and (why := bucket_problem(arg)):
            raise BadInput(f"--role {v!r}: {arg!r} is not a bucket name AWS accepts ({why})",
                           "e.g. --role s3-read:my-datasets")
        out.append((tpl, arg or None))
    return list(dict.fromkeys(out))


def statements(grants: list[tuple[str, str | None]], account: str, secret_arns: dict[str, list[str]]) -> list[dict]:
    """The policy's statements, one or two per grant. secret_arns: {secret name: its ARNs (one per region)}."""
    out: list[dict] = []
    for tpl, arg in grants:
        if tpl in ("s3-read", "s3-rw"):
            bucket, objects = f"arn:aws:s3:::{arg}", f"arn:aws:s3:::{arg}/*"
            rw = tpl == "s3-rw"
            out.append({"Sid": sid(tpl, arg, "Bucket"), "Effect": "Allow", "Resource": bucket,
                        "Action": ["s3:ListBucket", "s3:GetBucketLocation"]
                        + (["s3:ListBucketMultipartUploads"] if rw else [])})
            out.append({"Sid": sid(tpl, arg, "Objects"), "Effect": "Allow", "Resource": objects,
                        "Action": ["s3:GetObject"] + (["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                                                       "s3:ListMultipartUploadParts"] if rw else [])})
        elif tpl == "ecr-pull":
            out.append({"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"})
            out.append({"Sid": "EcrPull", "Effect": "Allow", "Resource": f"arn:aws:ecr:*:{account}:repository/*",
                        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                   "ecr:BatchCheckLayerAvailability"]})
        elif tpl == "ssm":
            out.append({"Sid": "SessionManager", "Effect": "Allow", "Resource": "*",
                        "Action": ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
                                   "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
                                   "ssmmessages:OpenDataChannel"]})
        elif tpl == "secret":
            out.append({"Sid": sid(tpl, arg, ""), "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                        "Resource": sorted(secret_arns[arg])})
    return out


def sid(tpl: str, arg: str | None, part: str) -> str:
    """A statement id: alphanumeric only (IAM JSON policy elements: Sid "supports ASCII uppercase letters (A-Z),
    lowercase letters (a-z), and numbers (0-9)")."""
    words = re.split(r"[^A-Za-z0-9]+", f"{tpl} {arg or ''} {part}")
    return "".join(w[:1].upper() + w[1:] for w in words if w)[:100]


def document(grants, account: str, secret_arns: dict[str, list[str]]) -> dict:
    return {"Version": "2012-10-17", "Statement": statements(grants, account, secret_arns)}


def words(grants: list[tuple[str, str | None]]) -> list[str]:
    """The policy in words, for the plan."""
    say = {"s3-read": "read (list and get) bucket {} and its objects, nothing else in S3",
           "s3-rw": "read, write and delete the objects of bucket {}, nothing else in S3",
           "ecr-pull": "pull container images from this account's ECR repositories",
           "ssm": "be reached by Session Manager (no SSH needed)",
           "secret": "read secret {} (GetSecretValue on it alone)"}
    return [say[t].format(a) for t, a in grants]


def role_name(lid: str) -> str:
    """One role (and instance profile of the same name) per box, named after its launch id (a resumed launch finds
    it again). IAM role names: up to 64 characters of [\\w+=,.@-]."""
    return f"{ROLE_PREFIX}{lid}"


def path(launch_of: str) -> str:
    """The IAM path of the role and profile of a launch (its awswiz:launch-of: the same for every plan of the same
    command), so that a fresh plan finds what a confirm killed before its instance made with one ListRoles
    PathPrefix call (IAM API Reference, ListRoles: PathPrefix; ListRoles returns no tags, and the Resource Groups
    Tagging API's GetResources "does not currently support IAM users and roles"). IAM paths: /.../, 1-512 characters."""
    return f"/awswiz/{launch_of}/"


def left(iam, launch_of: str) -> list[dict]:
    """The roles of this launch that exist now: [{name, lid, created (a datetime)}]."""
    from _awswiz.aws.client import paginate

    return [{"name": r["RoleName"], "lid": r["RoleName"][len(ROLE_PREFIX):], "created": r["CreateDate"]}
            for r in paginate(iam, "list_roles", "Roles", PathPrefix=path(launch_of))
            if r["RoleName"].startswith(ROLE_PREFIX)]


def create(iam, name: str, policy: dict, tags: dict, launch_of: str | None = None) -> str:
    """The role with its inline policy and an instance profile holding it, under the launch's path; returns the
    profile's ARN. A part that already exists (a confirm killed half-way, resumed with the same launch id) is kept."""
    from botocore.exceptions import ClientError

    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]

    def keep_existing(call, **kw):
        try:
            return call(**kw)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
            return None

    where = {"Path": path(launch_of)} if launch_of else {}
    keep_existing(iam.create_role, RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), Tags=tag_list,
                  Description="AwsWiz: the instance role of one box (launch.py --role/--secret)", **where)
    iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy))
    made = keep_existing(iam.create_instance_profile, InstanceProfileName=name, Tags=tag_list, **where)
    # a new profile holds no role yet; one left by a killed confirm is read back (it may hold it already)
    profile = made["InstanceProfile"] if made else iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    if not any(r["RoleName"] == name for r in profile.get("Roles", [])):
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return profile["Arn"]


def remove(iam, name: str) -> None:
    """The role and its profile, in the order DeleteRole needs (IAM API Reference, DeleteRole: remove the role from
    its instance profiles and delete its inline policies first, else DeleteConflict); what is gone already is
    skipped (a run killed half-way is finished by the next)."""
    from botocore.exceptions import ClientError

    def gone_ok(call, **kw):
        try:
            call(**kw)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchEntity":
                raise

    gone_ok(iam.remove_role_from_instance_profile, InstanceProfileName=name, RoleName=name)
    gone_ok(iam.delete_instance_profile, InstanceProfileName=name)
    try:
        policies = iam.list_role_policies(RoleName=name)["PolicyNames"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return
        raise
    for p in policies:
        gone_ok(iam.delete_role_policy, RoleName=name, PolicyName=p)
    gone_ok(iam.delete_role, RoleName=name)
