"""Instance protections as AWS enforces them, where moto (5.2) is too kind; taught to moto's EC2 responder in
place (this runs inside the sandbox server process):

- RunInstances DisableApiTermination=true protects the instance: moto drops the parameter (it honours only
  ModifyInstanceAttribute), so a protected-at-launch instance could be terminated (EC2 User Guide, "Enable
  termination protection": TerminateInstances then fails with OperationNotPermitted);
- an AMI registered from an image manifest (RegisterImage ImageLocation) is instance-store backed, and so are
  its instances; StopInstances on them fails (EC2 API Reference, "StopInstances": "Performing this operation
  on an instance that uses an instance store as its root device returns an error"). moto gives every AMI and
  instance an EBS root;
- RunInstances refuses an EBS mapping smaller than the snapshot it is made from (the AMI's own snapshot for its
  root device): botocore's EbsBlockDevice.VolumeSize, "If you specify a snapshot, the default is the snapshot
  size. You can specify a volume size that is equal to or larger than the snapshot size"; AWS answers
  InvalidBlockDeviceMapping "Volume of size 8GB is smaller than snapshot 'snap-...', expect size >= 15GB" (its
  message as users report it, e.g. aws/karpenter-provider-aws#3302). moto launches it;
- StartInstances of a stopped instance launches it again: LaunchTime is "the time that the instance was last
  launched" (botocore's ec2 model, Instance.LaunchTime; EC2 User Guide, "Stop and start Amazon EC2 instances": a
  start is a new launch on new hardware). moto keeps the first launch's time. LaunchTime is the real clock's, as
  AWS stamps it (never AWSWIZ_TODAY, the calendar day the cost questions are asked on: the tools measure an
  instance's age, scan --since and expiry against the real clock);
- DescribeInstances' filter iam-instance-profile.arn ("The instance profile associated with the instance. Specified
  as an ARN": Amazon EC2 API Reference, DescribeInstances): moto answers NotImplementedError (HTTP 500).
"""

from __future__ import annotations

INSTANCE_STORE = "instance-store"


def _teach_moto() -> None:
    from moto.core.utils import utcnow
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.instances import Instance, InstanceBackend
    from moto.ec2.responses.amis import AmisResponse
    from moto.ec2.responses.instances import InstanceResponse
    from moto.ec2.utils import filter_dict_attribute_mapping

    from .amis import visible

    run, register, stop = InstanceResponse.run_instances, AmisResponse.register_image, InstanceBackend.stop_instances
    start = Instance.start

    def run_instances(self):
        image = visible(self.ec2_backend, self._get_param("ImageId"))  # its own, or a public one of another account
        refuse_small_volumes(self, image)
        out = run(self)
        for inst in out.result.instances:
            if self._get_param("DisableApiTermination") in (True, "true"):
                inst.disable_api_termination = True
            if image is not None and image.root_device_type == INSTANCE_STORE:
                inst.root_device_type = INSTANCE_STORE
        return out

    def register_image(self):
        out = register(self)
        if self._get_param("ImageLocation"):
            self.ec2_backend.amis[out.result["ImageId"]].root_device_type = INSTANCE_STORE
        return out

    def stop_instances(self, instance_ids):
        for inst in self.get_multi_instances_by_id(instance_ids):
            if inst.root_device_type == INSTANCE_STORE:
                raise EC2ClientError("UnsupportedOperation", f"The instance '{inst.id}' does not have an 'ebs' "
                                     "root device type and cannot be stopped.")
        return stop(self, instance_ids)

    def start_instance(self):
        if self._state.name == "stopped":  # a running one is left as it is (StartInstances answers its state)
            self.launch_time = utcnow()
        return start(self)

    def refuse_small_volumes(self, image) -> None:
        for m in self._get_param("BlockDeviceMappings", []) or []:
            ebs = m.get("Ebs") or {}
            if not ebs.get("VolumeSize"):
                continue
            snap_id, store = ebs.get("SnapshotId"), self.ec2_backend
            if not snap_id and image is not None and m.get("DeviceName") == image.root_device_name:
                snap_id, store = image.ebs_snapshot.id, image.ec2_backend  # the image's snapshot is its owner's
            snap = store.snapshots.get(snap_id) if snap_id else None
            if snap is not None and int(ebs["VolumeSize"]) < snap.volume.size:
                raise EC2ClientError("InvalidBlockDeviceMapping", f"Volume of size {int(ebs['VolumeSize'])}GB is "
                                     f"smaller than snapshot '{snap.id}', expect size >= {snap.volume.size}GB")

    def profile_arn(self):  # the instance's profile association, as AWS's iam-instance-profile.arn filter reads it
        assoc = self.ec2_backend.iam_instance_profile_associations.get(self.id)
        return assoc.iam_instance_profile.arn if assoc is not None else None

    Instance.awswiz_profile_arn = property(profile_arn)
    filter_dict_attribute_mapping.setdefault("iam-instance-profile.arn", "awswiz_profile_arn")
    InstanceResponse.run_instances = run_instances
    AmisResponse.register_image = register_image
    InstanceBackend.stop_instances = stop_instances
    Instance.start = start_instance


_teach_moto()
