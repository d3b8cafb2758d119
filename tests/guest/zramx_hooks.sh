# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# What t_zramx_release.sh has release(1) and tracestop(1) run while their
# processes are held: "sh zramx_hooks.sh NAME", with ZT_DIR and ZDRV in
# the environment.
#
#   released  every process has munmapped and is still alive (or, run by
#             t_zramx_release.sh itself, has exited): drain the swap slot
#             caches, note zsfast's pages at once, then wait (5 s at most)
#             for orig/compr_data_size to drop to IDLE_ORIG/IDLE_COMPR.
#             Writes /tmp/zx_rel_{pre,zsf_now,rc,mm}.
#   held      a traced task is stopped at the exit of munmap
#             (TRACESTOP_CHILD): print what the pool and the device hold
#             ("pages", "mem_used_max" and "gathered while held: N"),
#             then swapoff and reset the device under it.

. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

at_idle() {
	zx_field_is orig_data_size "$IDLE_ORIG" &&
		zx_field_is compr_data_size "$IDLE_COMPR"
}

case $1 in
released)
	echo "before draining the swap slot caches: $(cat $ZSYS/mm_stat)" > /tmp/zx_rel_pre
	zx_drain_swap_slots ||
		echo "cannot drain the swap slot caches" >> /tmp/zx_rel_pre
	zsf_pages > /tmp/zx_rel_zsf_now
	zsf_poll 50 at_idle
	echo $? > /tmp/zx_rel_rc
	cat $ZSYS/mm_stat > /tmp/zx_rel_mm
	;;
held)
	# Entries still in the swap core's per-CPU slot caches have not
	# been released to the device yet: drain them (in this task) first.
	zx_drain_swap_slots || echo "cannot drain the swap slot caches"
	echo "pages while held: $(zsf_pages)"
	echo "child: $(grep -E 'VmRSS|VmSwap' /proc/"$TRACESTOP_CHILD"/status | tr '\n' ' ')"
	echo "mm_stat: $(cat $ZSYS/mm_stat); debug_stat: $(sed -n 2p $ZSYS/debug_stat)"
	echo "mem_used_max while held: $(zx_mm mem_used_max)"
	echo "gathered while held: $(zx_dstat gathered)"
	swapoff $ZDEV && echo swapoff-ok
	echo 1 > $ZSYS/reset && echo reset-ok
	;;
*)
	echo "zramx_hooks.sh: unknown hook '$1'" >&2
	exit 2
	;;
esac
exit 0
