# awswiz init: the environment torchrun needs on each node of a launch.py --cluster (added by --cluster).
# NODE_RANK is the node's AMI launch index (instance metadata ami-launch-index: its place in the one RunInstances
# request, 0 = the head node). The nodes' private IPs, in launch-index order, are instance tags
# awswiz:cluster-hosts-K that launch.py sets right after RunInstances; read here through instance metadata
# (InstanceMetadataTags is enabled at launch). Writes /etc/awswiz/hostfile ("IP slots=GPUS", head first),
# /etc/awswiz/cluster.env and /etc/profile.d/awswiz-cluster.sh (MASTER_ADDR, MASTER_PORT, NNODES, NODE_RANK,
# NPROC_PER_NODE, WORLD_SIZE). Then: torchrun --nnodes $NNODES --node_rank $NODE_RANK --nproc_per_node
# $NPROC_PER_NODE --master_addr $MASTER_ADDR --master_port $MASTER_PORT train.py
IMDS=http://169.254.169.254/latest
TOKEN=$(curl -sf -X PUT "$IMDS/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")
md() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/meta-data/$1"; }
RANK=$(md ami-launch-index)
HOSTS=""
for _ in $(seq 1 120); do
  KEYS=$(md tags/instance/ | grep '^awswiz:cluster-hosts-' | sort -t- -k3 -n)
  if [ -n "$KEYS" ]; then
    HOSTS=$(for k in $KEYS; do md "tags/instance/$k"; echo; done | tr ',' '\n' | grep -v '^$')
    break
  fi
  sleep 5
done
if [ -z "$HOSTS" ] || [ -z "$RANK" ]; then echo "cluster_env: no cluster tags in instance metadata"; exit 1; fi
GPUS=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
[ "${GPUS:-0}" -gt 0 ] || GPUS=1
N=$(printf '%s\n' "$HOSTS" | grep -c .)
mkdir -p /etc/awswiz
printf '%s\n' "$HOSTS" | sed "s/\$/ slots=$GPUS/" >/etc/awswiz/hostfile
{
  echo "MASTER_ADDR=$(printf '%s\n' "$HOSTS" | head -n 1)"
  echo "MASTER_PORT=29500"
  echo "NNODES=$N"
  echo "NODE_RANK=$RANK"
  echo "NPROC_PER_NODE=$GPUS"
  echo "WORLD_SIZE=$((N * GPUS))"
} >/etc/awswiz/cluster.env
sed 's/^/export /' /etc/awswiz/cluster.env >/etc/profile.d/awswiz-cluster.sh
echo "cluster_env: node $RANK of $N, head $(head -n 1 /etc/awswiz/hostfile)"
