# awswiz init: format and mount the first unused NVMe instance-store disk at /scratch (its data is lost on stop)
for dev in /dev/nvme*n1; do
  [ -b "$dev" ] || continue
  lsblk -no MOUNTPOINT "$dev" | grep -q . && continue
  lsblk -no PKNAME "$dev" | grep -q . && continue
  nvme id-ctrl "$dev" 2>/dev/null | grep -q "Instance Storage" || continue
  mkfs.ext4 -q -F "$dev" && mkdir -p /scratch && mount "$dev" /scratch && chmod 1777 /scratch && echo "mounted $dev at /scratch"
  break
done
