"""iam:user and iam:role: removed with what is attached to them, in the order AWS documents.

Unlike the console, DeleteUser and DeleteRole fail (DeleteConflict) while anything is attached (IAM API
Reference, DeleteUser: password, access keys, signing certificates, SSH public keys, Git (service-specific)
credentials, MFA devices, inline policies, attached managed policies, group memberships; DeleteRole: inline
policies, attached managed policies, instance profiles). The plan lists each item as a step of its user or role,
so the human sees every key and policy that goes (and --max counts users and roles, not their items).

Which ones: any user or role named with --id, as for every other type (IAM costs nothing, so AwsWiz does not
delete identities on its own; the person names them and confirms the plan, and the protection tags hold).
Refused with a reason: the identity AwsWiz itself runs as (it would lock the run out half-way), service-linked
roles (AWS refuses DeleteRole on them: UnmodifiableEntity; the owning service deletes them), and roles under
/aws-reserved/ (made by IAM Identity Center, managed there). A role's instance profile of the same name (the
console makes one per EC2 role) is deleted with it; other instance profiles only lose the role (they stay, free).

A virtual MFA device is deactivated, then deleted (IAM API Reference, DeleteVirtualMFADevice: "You must deactivate
a user's virtual MFA device before you can delete it"). Deactivated, it no longer names its user, so it is tagged
awswiz:teardown-of=user/NAME first (TagMFADevice): a run killed in between is finished by planning the same user
again (unassigned devices carrying that tag are deleted; ListVirtualMFADevices does not return tags, so
ListMFADeviceTags is asked once per unassigned device).
"""

from __future__ import annotations

import re

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.lookup import code
from _awswiz.removal.vpc_teardown import TEARDOWN_TAG
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput

IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
TAG_VALUE = re.compile(r"^[\w.:/=+@ -]{0,256}$")  # IAM tag values (IAM User Guide, Tagging IAM resources)
GLOBAL = "global"
ALIVE = ["pending", "running", "stopping", "stopped", "shutting-down"]


def _missing(ctx, asked: list[str], found: dict, what: str) -> None:
    if missing := [i for i in asked if i not in found]:
        raise BadInput(f"{what} {', '.join(missing)} not found (IAM is global: no region to search)",
                       f"check the name with {hints.command(ctx, 'scan', '--service', 'iam')}")


def _caller(ctx) -> str:
    """The resource part of the caller's ARN: user/PATH/NAME, or assumed-role/NAME/SESSION."""
    return ctx.aws.client("sts").get_caller_identity()["Arn"].split(":", 5)[-1]


def _step(op: str, kind: str, item: str, owner: str, touches: dict, tags: dict | None = None,
          **detail) -> guard.Action:
    """A step of a user or role: the item's OWN tags (most items have none: keys, passwords, inline policies),
    and its user or role in `touches`, so the guard refuses the whole identity when either is protected."""
    return guard.Action(op=op, type=kind, id=item, region=GLOBAL, target=owner, tags=tags or {}, touches=touches,
                        detail={k: v for k, v in detail.items() if v is not None})


def _owner(kind: str, name: str, tags: dict) -> dict:
    return {f"{kind} {name} (this is part of it)": tags}


def _mark(name: str) -> str:
    return f"user/{name}"


def marked_mfa(iam) -> dict[str, list[str]]:
    """{user name: serials} of unassigned virtual MFA devices marked awswiz:teardown-of=user/NAME: deactivated by
    a run that stopped before deleting them."""
    out: dict[str, list[str]] = {}
    for d in paginate(iam, "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Unassigned"):
        mark = tag_map(paginate(iam, "list_mfa_device_tags", "Tags", SerialNumber=d["SerialNumber"])).get(
            TEARDOWN_TAG, "")
        if mark.startswith("user/"):
            out.setdefault(mark[5:], []).append(d["SerialNumber"])
    return out


def _mfa_tags(iam, serial: str) -> dict:
    """A virtual MFA device's own tags (ListMFADeviceTags); a hardware device has none."""
    return tag_map(paginate(iam, "list_mfa_device_tags", "Tags", SerialNumber=serial)) if ":mfa/" in serial else {}


def user_steps(iam, name: str, tags: dict, marked: list[str] = ()) -> list[guard.Action]:
    """Everything attached to a user, in the order of the IAM API Reference's DeleteUser list (and its virtual
    MFA devices deactivated by a run that stopped, `marked`)."""
    steps, tags = [], _owner("user", name, tags)
    try:
        iam.get_login_profile(UserName=name)
        steps.append(_step("delete-login-profile", "iam:login-profile", name, name, tags,
                           note="the console password"))
    except Exception as exc:
        if code(exc) != "NoSuchEntity":
            raise
    for k in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
        steps.append(_step("delete-access-key", "iam:access-key", k["AccessKeyId"], name, tags, status=k.get("Status")))
    for c in paginate(iam, "list_signing_certificates", "Certificates", UserName=name):
        steps.append(_step("delete-signing-certificate", "iam:signing-certificate", c["CertificateId"], name, tags))
    for k in paginate(iam, "list_ssh_public_keys", "SSHPublicKeys", UserName=name):
        steps.append(_step("delete-ssh-public-key", "iam:ssh-public-key", k["SSHPublicKeyId"], name, tags))
    for c in iam.list_service_specific_credentials(UserName=name).get("ServiceSpecificCredentials", []):
        steps.append(_step("delete-service-specific-credential", "iam:service-credential",
                           c["ServiceSpecificCredentialId"], name, tags, service=c.get("ServiceName")))
    for m in paginate(iam, "list_mfa_devices", "MFADevices", UserName=name):
        virtual = ":mfa/" in m["SerialNumber"]
        steps.append(_step("deactivate-mfa-device", "iam:mfa-device", m["SerialNumber"], name, tags,
                           _mfa_tags(iam, m["SerialNumber"]),
                           note="the virtual device is deleted too" if virtual else "a hardware device: deactivated"))
    for serial in marked:
        steps.append(_step("delete-virtual-mfa-device", "iam:mfa-device", serial, name, tags, _mfa_tags(iam, serial),
                           note="deactivated by a run that stopped half-way"))
    for p in paginate(iam, "list_user_policies", "PolicyNames", UserName=name):
        steps.append(_step("delete-user-policy", "iam:inline-policy", p, name, tags))
    for p in paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name):
        steps.append(_step("detach-user-policy", "iam:policy", p["PolicyArn"], name, tags,
                           note="the managed policy itself stays"))
    for g in paginate(iam, "list_groups_for_user", "Groups", UserName=name):
        steps.append(_step("remove-from-group", "iam:group", g["GroupName"], name, tags))
    return steps


def _profile_users(ctx, arns: list[str]) -> dict[str, list[tuple[str, dict]]]:
    """{profile ARN: [(label, tags)]} of the instances (not terminated) using each instance profile, in every enabled
    region whatever --region says (a profile is global; an instance anywhere loses the role): DescribeInstances
    with the filter iam-instance-profile.arn (Amazon EC2 API Reference, DescribeInstances filters)."""
    from _awswiz.guard.regional import fan_out

    if not arns:
        return {}

    def region_users(region: str) -> dict[str, list[tuple[str, dict]]]:
        ec2, out = ctx.aws.client("ec2", region), {}
        for arn in arns:
            for r in paginate(ec2, "describe_instances", "Reservations", Filters=[
                    {"Name": "iam-instance-profile.arn", "Values": [arn]},
                    {"Name": "instance-state-name", "Values": ALIVE}]):
                out.setdefault(arn, []).extend((f"instance {i['InstanceId']} in {region} (uses this profile)",
                                                tag_map(i.get("Tags"))) for i in r["Instances"])
        return out

    merged: dict[str, list[tuple[str, dict]]] = {}
    regions = ctx.aws.enabled_regions()[0]
    for found in fan_out(ctx, regions, region_users, "looking up the instances using instance profiles").values():
        for arn, users in found.items():
            merged.setdefault(arn, []).extend(users)
    return merged


def role_steps(ctx, iam, name: str, tags: dict) -> list[guard.Action]:
    """Everything attached to a role, in the order of the IAM API Reference's DeleteRole list. An instance
    profile's step carries the profile's own tags (ListInstanceProfileTags), and touches the role and every
    instance using the profile: removing the role (or deleting the profile) leaves them without its permissions
    (IAM API Reference, DeleteInstanceProfile: "Deleting a role or instance profile that is associated with a
    running instance will break any applications running on the instance"), so a protected one refuses it."""
    steps, role = [], _owner("role", name, tags)
    for p in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
        steps.append(_step("delete-role-policy", "iam:inline-policy", p, name, role))
    for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
        steps.append(_step("detach-role-policy", "iam:policy", p["PolicyArn"], name, role,
                           note="the managed policy itself stays"))
    profiles = paginate(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=name)
    users = _profile_users(ctx, [ip["Arn"] for ip in profiles])
    for ip in profiles:
        same, used = ip["InstanceProfileName"] == name, users.get(ip["Arn"], [])
        own = tag_map(paginate(iam, "list_instance_profile_tags", "Tags",
                               InstanceProfileName=ip["InstanceProfileName"]))
        steps.append(_step("remove-from-instance-profile", "iam:instance-profile", ip["InstanceProfileName"], name,
                           {**role, **dict(used)}, own,
                           note="deleted too (it has the role's name)" if same else "it stays, empty",
                           used_by=[label.split(" (")[0] for label, _ in used] or None,
                           warning="AWS does it, and leaves these instances without the role's permissions at once"
                           if used else None))
        steps[-1].state = {"delete_profile": same, "used_by": sorted(label for label, _ in used)}
    return steps


def plan_users(ctx, region: str | None, ids: list[str], opts: dict) -> guard.Plan:
    iam = ctx.aws.client("iam")
    users = {u["UserName"]: u for u in paginate(iam, "list_users", "Users") if u["UserName"] in ids}
    _missing(ctx, ids, users, "iam:user")
    me, out, marked = _caller(ctx), guard.Plan(actions=[]), marked_mfa(iam)
    for name in dict.fromkeys(ids):
        tags = tag_map(paginate(iam, "list_user_tags", "Tags", UserName=name))
        steps = user_steps(iam, name, tags, marked.get(name, []))
        out.actions += steps
        out.actions.append(guard.Action(
            op="delete", type="iam:user", id=name, region=GLOBAL, name=name, tags=tags,
            state={"arn": users[name]["Arn"], "items": [(a.op, a.id) for a in steps]},
            detail={"removed_first": len(steps)},
            blocked="this is the identity AwsWiz runs as: deleting it would cut the run off half-way"
            if users[name]["Arn"].split(":", 5)[-1] == me else None))
    return out


def _role_refusal(ctx, role: dict, me: str) -> str | None:
    name, path = role["RoleName"], role.get("Path", "/")
    if path.startswith("/aws-service-role/"):
        return ("a service-linked role: AWS refuses DeleteRole on it (UnmodifiableEntity); the service that owns "
                "it deletes it, or: " + hints.aws_cli(ctx, "iam", "delete-service-linked-role", "--role-name", name))
    if path.startswith("/aws-reserved/"):
        return "made by AWS (IAM Identity Center): change it there, not here"
    if me.startswith(f"assumed-role/{name}/"):
        return "this is the role AwsWiz runs as: deleting it would cut the run off half-way"
    return None


def plan_roles(ctx, region: str | None, ids: list[str], opts: dict) -> guard.Plan:
    iam = ctx.aws.client("iam")
    roles = {r["RoleName"]: r for r in paginate(iam, "list_roles", "Roles") if r["RoleName"] in ids}
    _missing(ctx, ids, roles, "iam:role")
    me, out = _caller(ctx), guard.Plan(actions=[])
    for name in dict.fromkeys(ids):
        tags = tag_map(paginate(iam, "list_role_tags", "Tags", RoleName=name))
        refusal = _role_refusal(ctx, roles[name], me)
        steps = [] if refusal else role_steps(ctx, iam, name, tags)
        out.actions += steps
        out.actions.append(guard.Action(
            op="delete", type="iam:role", id=name, region=GLOBAL, name=name, tags=tags, blocked=refusal,
            state={"arn": roles[name]["Arn"], "items": [(a.op, a.id) for a in steps]},
            detail={"path": roles[name].get("Path"), "removed_first": len(steps),
                    "warning": "instances and services using this role lose its permissions at once"}))
    return out


def do(ctx, action: guard.Action) -> dict | None:
    iam, owner = ctx.aws.client("iam"), action.target or action.id
    user, role = {"UserName": owner}, {"RoleName": owner}
    calls = {
        "delete-login-profile": lambda: iam.delete_login_profile(**user),
        "delete-access-key": lambda: iam.delete_access_key(AccessKeyId=action.id, **user),
        "delete-signing-certificate": lambda: iam.delete_signing_certificate(CertificateId=action.id, **user),
        "delete-ssh-public-key": lambda: iam.delete_ssh_public_key(SSHPublicKeyId=action.id, **user),
        "delete-service-specific-credential": lambda: iam.delete_service_specific_credential(
            ServiceSpecificCredentialId=action.id, **user),
        "delete-user-policy": lambda: iam.delete_user_policy(PolicyName=action.id, **user),
        "detach-user-policy": lambda: iam.detach_user_policy(PolicyArn=action.id, **user),
        "remove-from-group": lambda: iam.remove_user_from_group(GroupName=action.id, **user),
        "delete-role-policy": lambda: iam.delete_role_policy(PolicyName=action.id, **role),
        "detach-role-policy": lambda: iam.detach_role_policy(PolicyArn=action.id, **role),
    }
    if action.op in calls:
        calls[action.op]()
    elif action.op == "deactivate-mfa-device":
        virtual = ":mfa/" in action.id
        if virtual and TAG_VALUE.match(_mark(owner)):  # a re-plan finds it by this mark once it is unassigned
            iam.tag_mfa_device(SerialNumber=action.id, Tags=[{"Key": TEARDOWN_TAG, "Value": _mark(owner)}])
        iam.deactivate_mfa_device(SerialNumber=action.id, **user)
        if virtual:
            iam.delete_virtual_mfa_device(SerialNumber=action.id)
    elif action.op == "delete-virtual-mfa-device":
        iam.delete_virtual_mfa_device(SerialNumber=action.id)
    elif action.op == "remove-from-instance-profile":
        iam.remove_role_from_instance_profile(InstanceProfileName=action.id, **role)
        if (action.state or {}).get("delete_profile"):
            iam.delete_instance_profile(InstanceProfileName=action.id)
    elif action.type == "iam:user":
        iam.delete_user(UserName=action.id)
    else:
        iam.delete_role(RoleName=action.id)
    return {"done": action.op}


register(
    Remover(type="iam:user", id_pattern=IAM_NAME, id_example="alice (the user name scan shows)", scope="global",
            plan=plan_users, do=do),
    Remover(type="iam:role", id_pattern=IAM_NAME, id_example="my-role (the role name scan shows)", scope="global",
            plan=plan_roles, do=do),
)
