"""The security check table: one row per check, read by security.py (all rows) and by scan's findings
(the rows whose evidence a snapshot already holds). Adding a check is adding a row here and its test in
security/ (one module per service)<service>.py.

Each row: id, title, severity, service, scope (regional or global), the AWS calls that gather the evidence,
the test in words, the fix security.py --fix applies (None: not fixable here; `remedy` says what to do),
the Prowler check id it corresponds to where one exists, and the AWS document the rule comes from.

Severity is Prowler's for the same check: the `Severity` of prowler-cloud/prowler's
providers/aws/services/<service>/<check>/<check>.metadata.json (read at commit 3e000faa, 2026-08-21), so that
`--severity high` returns what the field calls high. `differs` says where our test is not Prowler's (a
threshold, the settings counted, what counts as the internet); empty when the Prowler id means what ours means.
"""

from __future__ import annotations

from dataclasses import dataclass

from _awswiz.shell import hints

SEVERITIES = ["critical", "high", "medium", "low"]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: str
    service: str
    scope: str  # "regional" or "global"
    calls: tuple[str, ...]
    test: str
    fix: str | None = None
    prowler: str | None = None
    remedy: str = ""
    doc: str = ""
    differs: str = ""  # where this check's test is not the Prowler check's (empty: the same test)


_SG = ("ec2:DescribeSecurityGroups", "ec2:DescribeInstances")
_SG_DOC = "Amazon EC2 User Guide: Security group rules for different use cases"
_KEY_FIX = "deactivate the access key (iam:UpdateAccessKey Status=Inactive)"
_SG_DIFFERS = ("the internet is also a set of ranges that covers it together (0.0.0.0/1 + 128.0.0.0/1), over "
               "every rule reaching the port; Prowler counts only 0.0.0.0/0 and ::/0")
_S3_ONE = "Prowler's s3_bucket_public_access judges the ACL and the policy in one check; ours are two"

CHECKS: list[Check] = [
    Check("sg-open-ssh", "Security group allows SSH (22) from the internet", "high", "ec2", "regional", _SG,
          "an ingress rule from 0.0.0.0/0 or ::/0 covers tcp 22 (used or not)",
          "narrow the rule to --cidr A.B.C.D/32, or revoke it",
          "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
          doc=_SG_DOC, differs=_SG_DIFFERS),
    Check("sg-open-rdp", "Security group allows RDP (3389) from the internet", "high", "ec2", "regional", _SG,
          "an ingress rule from 0.0.0.0/0 or ::/0 covers tcp 3389 (used or not)",
          "narrow the rule to --cidr A.B.C.D/32, or revoke it",
          "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389", doc=_SG_DOC, differs=_SG_DIFFERS),
    Check("sg-open-db", "Security group allows a database port from the internet", "high", "ec2", "regional", _SG,
          "an ingress rule from 0.0.0.0/0 or ::/0 covers a database port (MySQL 3306, PostgreSQL 5432, SQL Server "
          "1433, Oracle 1521, MongoDB 27017, Redis 6379, Elasticsearch 9200, Memcached 11211, Redshift 5439)",
          "narrow the rule to --cidr A.B.C.D/32, or revoke it",
          "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432", doc=_SG_DOC,
          differs="one check for nine database ports where Prowler has one per port family (the finding carries "
          "the Prowler id of its first open port: mysql_3306, sql_server_1433_1434, ...); " + _SG_DIFFERS),
    Check("sg-open-all", "Security group allows all ports from the internet", "critical", "ec2", "regional", _SG,
          "an ingress rule from 0.0.0.0/0 or ::/0 with protocol -1 or ports 0-65535",
          "narrow the rule to --cidr A.B.C.D/32, or revoke it",
          "ec2_securitygroup_allow_ingress_from_internet_to_all_ports", doc=_SG_DOC, differs=_SG_DIFFERS),
    Check("ec2-public-open-sg", "Instance with a public IP behind a group open to the internet", "critical", "ec2",
          "regional", _SG, "a running or stopped instance has a public IP and one of its groups fails sg-open-*",
          None, "ec2_instance_port_ssh_exposed_to_internet",
          "fix the group's open rule (sg-open-* fix), or remove the public IP", _SG_DOC,
          "one check for every admin and database port where Prowler has one per port (the finding carries the "
          "Prowler id of its port: ec2_instance_port_rdp_exposed_to_internet, ...); " + _SG_DIFFERS),
    Check("ec2-imdsv1", "Instance allows IMDSv1", "high", "ec2", "regional", ("ec2:DescribeInstances",),
          "MetadataOptions.HttpTokens is not 'required' while the metadata endpoint is enabled",
          "require IMDSv2 (ec2:ModifyInstanceMetadataOptions HttpTokens=required)", "ec2_instance_imdsv2_enabled",
          doc="Amazon EC2 User Guide: Configure the instance metadata options for existing instances"),
    Check("ec2-launch-template-imdsv1", "Launch template allows IMDSv1", "high", "ec2", "regional",
          ("ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"),
          "the default version's MetadataOptions.HttpTokens is not 'required'", None,
          "ec2_launch_template_imdsv2_required",
          "create a launch template version with MetadataOptions HttpTokens=required and make it the default",
          "Amazon EC2 User Guide: Configure instance metadata options for new instances"),
    Check("ebs-volume-unencrypted", "EBS volume not encrypted", "high", "ec2", "regional",
          ("ec2:DescribeVolumes",), "Encrypted is false", None, "ec2_ebs_volume_encryption",
          "copy a snapshot with encryption and replace the volume; turn on EBS default encryption for new ones",
          "Amazon EBS User Guide: Amazon EBS encryption"),
    Check("ebs-snapshot-unencrypted", "EBS snapshot not encrypted", "high", "ec2", "regional",
          ("ec2:DescribeSnapshots",), "a snapshot owned by the account has Encrypted false", None,
          "ec2_ebs_snapshots_encrypted", "copy the snapshot with --encrypted and delete the original",
          "Amazon EBS User Guide: Amazon EBS encryption"),
    Check("ebs-default-encryption-off", "EBS encryption by default is off in the region", "high", "ec2",
          "regional", ("ec2:GetEbsEncryptionByDefault",), "EbsEncryptionByDefault is false",
          "turn it on (ec2:EnableEbsEncryptionByDefault)", "ec2_ebs_default_encryption",
          doc="Amazon EBS User Guide: Enable Amazon EBS encryption by default"),
    Check("ebs-snapshot-public", "EBS snapshot is public", "critical", "ec2", "regional",
          ("ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute"),
          "createVolumePermission grants Group 'all'", None, "ec2_ebs_public_snapshot",
          "remove the 'all' group from the snapshot's createVolumePermission",
          "Amazon EBS User Guide: Share an Amazon EBS snapshot"),
    Check("ami-public", "AMI is public", "critical", "ec2", "regional", ("ec2:DescribeImages",),
          "an image owned by the account has Public true", None, "ec2_ami_public",
          "remove the 'all' group from the image's launchPermission", "Amazon EC2 User Guide: Share an AMI publicly"),
    Check("s3-bucket-public-acl", "Bucket is public by its ACL", "critical", "s3", "global",
          ("s3:ListBuckets", "s3:GetBucketAcl", "s3:GetPublicAccessBlock", "s3control:GetPublicAccessBlock"),
          "a grant to AllUsers or AuthenticatedUsers, not ignored by IgnorePublicAcls (bucket or account)", None,
          "s3_bucket_public_access", "remove the public grants (put-bucket-acl private) and turn on the public "
          "access block", "Amazon S3 User Guide: Blocking public access to your Amazon S3 storage", _S3_ONE),
    Check("s3-bucket-public-policy", "Bucket is public by its policy", "critical", "s3", "global",
          ("s3:ListBuckets", "s3:GetBucketPolicy", "s3:GetPublicAccessBlock", "s3control:GetPublicAccessBlock"),
          "an Allow statement for Principal '*' whose Condition pins none of the keys S3 counts as restricting to a "
          "fixed value (aws:SourceVpc/Vpce/Arn/Account/Owner, aws:PrincipalOrgID, ..., aws:SourceIp short of the "
          "internet; aws:SecureTransport alone is public), not restricted by RestrictPublicBuckets",
          None, "s3_bucket_public_access", "narrow the statement's Principal, or turn on the public access block",
          "Amazon S3 User Guide: Blocking public access to your Amazon S3 storage (The meaning of \"public\")",
          _S3_ONE),
    Check("s3-account-pab-off", "Account-level S3 Block Public Access is not fully on", "high", "s3", "global",
          ("s3control:GetPublicAccessBlock",), "any of the four settings is false or none is set",
          "turn all four settings on (s3control:PutPublicAccessBlock)", "s3_account_level_public_access_blocks",
          doc="Amazon S3 User Guide: Configuring block public access settings for your account",
          differs="all four settings must be on; Prowler's check passes with two (IgnorePublicAcls and "
          "RestrictPublicBuckets)"),
    Check("s3-bucket-pab-off", "Bucket has no full public access block (and the account has none)", "high",
          "s3", "global", ("s3:GetPublicAccessBlock", "s3control:GetPublicAccessBlock"),
          "the bucket's four settings are not all true and the account's are not either", None,
          "s3_bucket_level_public_access_block", "turn on the account public access block (s3-account-pab-off fix)",
          "Amazon S3 User Guide: Blocking public access to your Amazon S3 storage",
          "all four settings, of the bucket or of the account; Prowler's check passes with two (IgnorePublicAcls "
          "and RestrictPublicBuckets)"),
    Check("s3-bucket-no-encryption", "Bucket has no default encryption", "medium", "s3", "global",
          ("s3:GetBucketEncryption",), "GetBucketEncryption answers ServerSideEncryptionConfigurationNotFoundError",
          None, "s3_bucket_default_encryption", "put-bucket-encryption with SSE-S3 or SSE-KMS",
          "Amazon S3 User Guide: Using server-side encryption with Amazon S3 managed keys (SSE-S3) "
          "(every bucket since January 5, 2023)",
          "Prowler marks s3_bucket_default_encryption deprecated: AWS encrypts every bucket since January 2023"),
    Check("iam-user-no-mfa", "IAM user with a console password and no MFA", "high", "iam", "global",
          ("iam:ListUsers", "iam:GetLoginProfile", "iam:ListMFADevices"),
          "the user has a login profile and no MFA device", None, "iam_user_mfa_enabled_console_access",
          "enable an MFA device for the user, or delete the login profile",
          "IAM User Guide: AWS Multi-factor authentication in IAM"),
    Check("iam-key-old", "Access key older than 90 days", "medium", "iam", "global",
          ("iam:ListUsers", "iam:ListAccessKeys"), "an Active key's CreateDate is more than 90 days ago",
          _KEY_FIX, "iam_rotate_access_key_90_days",
          doc="IAM User Guide: Manage access keys for IAM users (Rotate access keys)"),
    Check("iam-key-unused", "Access key unused for 90 days", "medium", "iam", "global",
          ("iam:ListUsers", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"),
          "an Active key was last used (or, never used, created) more than 90 days ago", _KEY_FIX,
          "iam_user_accesskey_unused", doc="IAM User Guide: Manage access keys for IAM users",
          differs="unused for 90 days; Prowler's check uses 45 (its max_unused_access_keys_days)"),
    Check("iam-root-access-key", "Root user has access keys", "critical", "iam", "global",
          ("iam:GetAccountSummary",), "AccountAccessKeysPresent is not 0", None, "iam_no_root_access_key",
          "sign in as root and delete its access keys",
          "IAM User Guide: Root user best practices for your AWS account"),
    Check("iam-root-recent-use", "Root user used in the last 30 days", "high", "iam", "global",
          ("iam:GetCredentialReport",), "the <root_account> row's password or key was last used within 30 days",
          None, "iam_avoid_root_usage", "use IAM users or roles for daily work; investigate the root sign-in",
          "IAM User Guide: Getting credential reports for your AWS account",
          "used in the last 30 days; Prowler's check uses 1 day"),
    Check("iam-policy-admin", "Customer managed policy allows \"*\" on \"*\"", "high", "iam", "global",
          ("iam:ListPolicies", "iam:GetPolicyVersion"),
          "the default version has an Allow statement with Action '*' and Resource '*'", None,
          "iam_customer_attached_policy_no_administrative_privileges",
          "replace the statement with the actions and resources the users need",
          "IAM User Guide: Security best practices in IAM (Apply least-privilege permissions)"),
    Check("iam-inline-policy-admin", "Inline policy of a user or role allows \"*\" on \"*\"", "critical", "iam",
          "global", ("iam:ListUsers", "iam:ListRoles", "iam:ListUserPolicies", "iam:GetUserPolicy",
                     "iam:ListRolePolicies", "iam:GetRolePolicy"),
          "an inline policy has an Allow statement with Action '*' and Resource '*'", None,
          "iam_inline_policy_no_administrative_privileges",
          "replace the statement with the actions and resources the user or role needs",
          "IAM User Guide: Managed policies and inline policies"),
    Check("iam-role-open-trust", "Role any AWS account may assume", "critical", "iam", "global",
          ("iam:ListRoles",), "the trust policy allows Principal '*' (or AWS '*') without a Condition", None, None,
          "name the trusted accounts or services in the trust policy",
          "IAM User Guide: IAM JSON policy elements: Principal (anonymous/all principals)"),
    Check("cloudtrail-off", "No CloudTrail trail logging in the region", "high", "cloudtrail", "regional",
          ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
          "no trail that covers the region (its own, or multi-region) has IsLogging true", None,
          "cloudtrail_multi_region_enabled", "create a multi-region trail and start logging",
          "AWS CloudTrail User Guide: Creating a trail for your AWS account"),
    Check("guardduty-off", "GuardDuty is off in the region", "high", "guardduty", "regional",
          ("guardduty:ListDetectors", "guardduty:GetDetector"), "no detector, or its Status is not ENABLED", None,
          "guardduty_is_enabled", "enable GuardDuty in every region (guardduty create-detector --enable)",
          "Amazon GuardDuty User Guide: Getting started with GuardDuty"),
]
BY_ID = {c.id: c for c in CHECKS}
FIXABLE = [c.id for c in CHECKS if c.fix]


def finding(check_id: str, resource: str, region: str, evidence: dict, *, rtype: str, name: str | None = None,
            fix: str | None = None, prowler: str | None = None, **private) -> dict:
    """One finding in the shape security.py prints; private keys (tags, what a fix needs) start with _."""
    c = BY_ID[check_id]
    f = {"check": c.id, "severity": c.severity, "title": c.title, "type": rtype, "resource": resource,
         "region": region, "evidence": evidence, "prowler": prowler or c.prowler}
    if name and name != resource:
        f["name"] = name
    f["fix"] = fix
    if not fix and c.remedy:
        f["remedy"] = c.remedy
    f.update({f"_{k}": v for k, v in private.items()})
    return f


def fix_command(check_id: str, resource: str, region: str, scope: hints.Scope) -> str | None:
    """The security.py --fix command for this finding, repeating the run's scope (hints.Scope); None if not
    fixable. A global finding's fix names no region."""
    if not BY_ID[check_id].fix:
        return None
    ident = ["--id", resource] if check_id not in ("s3-account-pab-off", "ebs-default-encryption-off") else []
    if region == "global":
        return hints.command(hints.Scope.of(scope).without_region(), "security", "--fix", check_id, *ident)
    return hints.command(scope, "security", "--fix", check_id, *ident, region=region)


def public(f: dict) -> dict:
    return {k: v for k, v in f.items() if not k.startswith("_")}
