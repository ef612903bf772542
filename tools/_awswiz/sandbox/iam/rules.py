"""IAM as AWS answers it where moto (5.2) is too kind or silent; deletion rules taught to moto's backend in place
(this runs inside the sandbox server process), missing listings answered in front of moto:

- DeleteUser fails with DeleteConflict while the user has a password, access keys, signing certificates, SSH
  keys, MFA devices or group memberships (IAM API Reference, DeleteUser: "you must delete the items attached
  to the user manually, or the deletion fails"); moto checks policies only.
- DeleteRole on a service-linked role fails with UnmodifiableEntity (IAM API Reference,
  UnmodifiableEntityException: "Only the service that depends on the service-linked role can modify or delete
  the role"); moto deletes it.
- ListServiceSpecificCredentials: moto lacks it (and CreateServiceSpecificCredential), so a user never has
  any here: answered with an empty list.
- ListInstanceProfileTags: moto keeps an instance profile's tags (CreateInstanceProfile Tags, TagInstanceProfile)
  but lacks the call (IAM API Reference, ListInstanceProfileTags: "Lists the tags that are attached to the
  specified IAM instance profile. The returned list of tags is sorted by tag key"); NoSuchEntity for an unknown one.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..handlers import ApiError, backend, handles


def _teach_moto() -> None:
    from moto.iam.exceptions import DeleteConflictException, IAMException
    from moto.iam.models import IAMBackend

    delete_user, delete_role = IAMBackend.delete_user, IAMBackend.delete_role

    def delete_iam_user(self, user_name):
        user = self.get_user(user_name)
        attached = [what for what, there in (
            ("login profile", user.password is not None), ("access keys", user.access_keys),
            ("signing certificates", user.signing_certificates), ("SSH public keys", user.ssh_public_keys),
            ("MFA devices", user.mfa_devices), ("group memberships", self.get_groups_for_user(user_name))) if there]
        if attached:
            raise DeleteConflictException(f"Cannot delete entity, must remove {attached[0]} first.")
        return delete_user(self, user_name)

    def delete_iam_role(self, role_name):
        role = self.get_role(role_name)
        if role.path.startswith("/aws-service-role/"):
            raise IAMException("UnmodifiableEntity", f"Cannot perform the operation on the protected role "
                               f"'{role_name}' - this role is only modifiable by AWS")
        return delete_role(self, role_name)

    IAMBackend.delete_user = delete_iam_user
    IAMBackend.delete_role = delete_iam_role


@handles("iam:ListServiceSpecificCredentials")
def list_service_specific_credentials(params: dict, region: str, state: dict) -> str:
    return ('<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            "<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials/>"
            "</ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>sandbox</RequestId>"
            "</ResponseMetadata></ListServiceSpecificCredentialsResponse>")


@handles("iam:ListInstanceProfileTags")
def list_instance_profile_tags(params: dict, region: str, state: dict) -> str:
    from moto.iam.models import iam_backends

    name = params.get("InstanceProfileName", "")  # a profile is its account's: the caller's are searched
    profile = next((p for p in backend(iam_backends).instance_profiles.values() if p.name == name), None)
    if profile is None:
        raise ApiError("NoSuchEntity", f"Instance Profile {name} cannot be found.", 404)
    members = "".join(f"<member><Key>{escape(t['Key'])}</Key><Value>{escape(t.get('Value', ''))}</Value></member>"
                      for t in sorted(profile.tags or [], key=lambda t: t["Key"]))
    return ('<ListInstanceProfileTagsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<ListInstanceProfileTagsResult><Tags>{members}</Tags><IsTruncated>false</IsTruncated>"
            "</ListInstanceProfileTagsResult><ResponseMetadata><RequestId>sandbox</RequestId>"
            "</ResponseMetadata></ListInstanceProfileTagsResponse>")


_teach_moto()
