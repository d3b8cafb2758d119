# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# EXPERIMENT (not committed): swapoff with little memory to spare.
ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"
zx_load
zx_swapoff_all
PARAM=/sys/module/zramx/parameters
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
mkdir -p /tmp/shm
mount -t tmpfs -o size=2G none /tmp/shm
SPARE=${SPARE:-110}
# The reap work takes a sleeping task's batches after gather_timeout_ms:
# out of the way, so that only the shrinker can take them.
echo 600000 > $PARAM/gather_timeout_ms
for r in 1 2 3; do
for gb in 128 0; do
	echo $gb > $PARAM/gather_batches
	zx_swapon lz4 512M || { ktap_fail "swapon"; exit 1; }
	rm -rf /tmp/mh; mkdir /tmp/mh
	memhog -w /tmp/mh -q 192 > /tmp/mh.log 2>&1 &
	mp=$!
	zsf_poll 600 test -e /tmp/mh/ready
	sleep 1
	avail=$(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo)
	hog=$((avail - SPARE))
	dd if=/dev/zero of=/tmp/shm/hog bs=1M count=$hog 2>/dev/null
	avail2=$(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo)
	k0=$(dmesg | grep -c "Killed process")
	t0=$(zx_dstat gather_taken)
	t=$(now_ms)
	swapoff $ZDEV; so=$?
	ms=$(($(now_ms) - t))
	touch /tmp/mh/go
	wait $mp; rc=$?
	k1=$(dmesg | grep -c 'Killed process')
	rm -f /tmp/shm/hog
	echo "# r=$r gather_batches=$gb spare_mib=$SPARE avail_before_hog=$avail avail_after_hog=$avail2 swapoff_rc=$so swapoff_ms=$ms memhog_rc=$rc oom_kills=$((k1 - k0)) gather_taken=$(($(zx_dstat gather_taken) - t0))"
	[ $rc = 0 ] && [ $so = 0 ] && ktap_ok "r=$r gb=$gb memhog intact" || ktap_fail "r=$r gb=$gb memhog intact"
	swapoff $ZDEV 2>/dev/null
	zx_set 1 $ZSYS/reset
done
done
