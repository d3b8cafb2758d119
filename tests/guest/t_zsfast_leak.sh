# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# zsf_destroy_pool() on a pool that still holds objects: zsfast_test.ko
# run=leak creates pool zsf_leak_test, leaves objects in it and destroys
# it (tests/kmod/leak.c).  zsfast must report the leak in the kernel log,
# naming the pool and the object count, free the memory, and not crash;
# afterwards zsfast/stats "pages:" and zsfast's module refcount are back
# to their values before the run, and zsfast can be unloaded.
#
# Needs: /zsf/zsfast.ko, /zsf/zsfast_test.ko.  ZSFT_SEED=N repeats a run.

. "$(dirname "$0")/lib.sh"

POOL=zsf_leak_test
. "$ZT_DIR/zsft_lib.sh"

zsft_begin
ref0=$(cat /sys/module/zsfast/refcnt)
mark="zsft-leak-$$-$(cut -d' ' -f1 /proc/uptime)"
echo "$mark" > /dev/kmsg

zsft_run run=leak
zsft_report leak

# The module says how many objects it left: the log must say the same.
live=$(sed -n "s/.*pool $POOL live_objects=\([0-9]*\) .*/\1/p" "$ZSFT_RESULTS")
log=$(dmesg | sed -n "/$mark/,\$p" | grep "pool $POOL")
echo "$log" | sed 's/^/# log: /'
if [ -z "$live" ]; then
	ktap_fail "leak: kernel log reports the leak of pool $POOL" \
		"no live_objects= line in the results"
elif echo "$log" | grep -q "pool $POOL destroyed with $live objects still allocated"; then
	ktap_ok "leak: kernel log reports $live leaked objects of pool $POOL"
else
	ktap_fail "leak: kernel log reports $live leaked objects of pool $POOL"
fi
! echo "$log" | grep -q "unaccounted"
zsf_point $? "leak: every page of the pool accounted for at destruction"
[ ! -e "/sys/kernel/debug/zsfast/$POOL" ]
zsf_point $? "leak: the pool's debugfs directory is gone"

ktap_check "rmmod zsfast_test" rmmod zsfast_test
zsft_pages_back "leak: "
zsf_expect "leak: zsfast's refcount back to $ref0 (the pool's reference dropped)" \
	"$(cat /sys/module/zsfast/refcnt)" = "$ref0"
zsft_end
exit 0
