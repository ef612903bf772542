# awswiz init: shut the box down after IDLE_MINUTES (default 30) minutes in a row with every GPU at 0 % use.
# The shutdown behaviour chosen at launch decides whether that stops or terminates the instance.
IDLE_MINUTES=${IDLE_MINUTES:-30}
cat >/usr/local/bin/awswiz-idle-check <<SCRIPT
#!/bin/bash
f=/var/lib/awswiz-idle-minutes
busy=\$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null | awk '\$1>0' | wc -l)
if [ "\$busy" -gt 0 ]; then echo 0 >\$f; exit 0; fi
n=\$(( \$(cat \$f 2>/dev/null || echo 0) + 1 )); echo \$n >\$f
[ \$n -ge $IDLE_MINUTES ] && systemctl poweroff
SCRIPT
chmod 755 /usr/local/bin/awswiz-idle-check
printf '[Service]\nType=oneshot\nExecStart=/usr/local/bin/awswiz-idle-check\n' >/etc/systemd/system/awswiz-idle.service
printf '[Timer]\nOnBootSec=5min\nOnUnitActiveSec=1min\n[Install]\nWantedBy=timers.target\n' >/etc/systemd/system/awswiz-idle.timer
systemctl daemon-reload && systemctl enable --now awswiz-idle.timer
