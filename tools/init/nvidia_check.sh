# awswiz init: check the NVIDIA driver and CUDA; the result is in /var/log/awswiz-init.log
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
else
  echo "no nvidia-smi: no NVIDIA driver on this image"
fi
if command -v nvcc >/dev/null 2>&1; then nvcc --version | tail -n 1; else ls -d /usr/local/cuda* 2>/dev/null || echo "no CUDA toolkit found"; fi
