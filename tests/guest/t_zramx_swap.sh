# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Swap integrity: several processes push about twice the guest's free
# memory through /dev/${ZDRV}0 (MADV_PAGEOUT plus real memory pressure),
# with known content on every page (mixed compressibility, same-filled
# pages included), and check every page after it comes back in.  Free
# memory is what the device's compressed pool leaves of MemAvailable
# (POOL_SHARE below).
#
# Tunables (environment): ZX_SWAP_PROCS (3), ZX_SWAP_FACTOR (2.0),
# ZX_SWAP_ROUNDS (1), ZX_SWAP_AVAIL_MB (400): in a bigger guest swapcheck
# first pins memory (mlock) down to that much available for the
# processes, plus the pool's room, so that the run takes about the same
# time whatever GUEST_MEM is (~1 min under TCG).

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

PROCS=${ZX_SWAP_PROCS:-3}
FACTOR=${ZX_SWAP_FACTOR:-2.0}
ROUNDS=${ZX_SWAP_ROUNDS:-1}
AVAIL=${ZX_SWAP_AVAIL_MB:-400}
# The pool: the device keeps what is swapped out, compressed, in the same
# RAM, about a third of it for swapcheck's mixed content (mm_stat's
# mem_used_max over the run's size: 0.30 to 0.34 on every lane).  Sized
# against MemAvailable alone, the pool took two thirds of it, and on
# PREEMPT_RT 7.3 the rest was once too little for the read-back's faults
# and the kernel's (boosted) watermarks: the OOM killer took the pinned
# memory.  So swapcheck -c leaves the pool room.  Room for only the part
# of the run that did not fit in RAM was still too little: the pool peaks
# at the share of the whole run, since each process pushes all of its
# pages out before it reads any back, and on a 16 KiB-page 7.3 guest the
# OOM killer once took a swapcheck process (140 MiB pool, 70 MiB room).
# FACTOR x ZX_SWAP_AVAIL_MB still goes through swap.
POOL_SHARE=0.33

zx_load

vmstat() {
	sed -n "s/^$1 //p" /proc/vmstat
}

# Room for everything uncompressed: 4x RAM.
mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
size_kb=$((mem_kb * 4))
algo=$(zx_lz4)

ktap_check "swapon $ZDEV (${size_kb} kB, ${algo:-default algorithm})" \
	zx_swapon "$algo" "${size_kb}K" || exit 1

nf=$(zx_io notify_free)
pswpout=$(vmstat pswpout)
pswpin=$(vmstat pswpin)

ktap_diag "MemAvailable: $(sed -n 's/^MemAvailable: *//p' /proc/meminfo)"
log=/tmp/zx_swapcheck.log
swapcheck -p "$PROCS" -f "$FACTOR" -r "$ROUNDS" -A "$AVAIL" -c "$POOL_SHARE" > $log 2>&1
zsf_point $? "swapcheck: $PROCS processes, ${FACTOR}x MemAvailable beside the pool, every page intact" \
	"$(tail -n 40 $log)"
sed 's/^/# /' $log | grep -v MISMATCH | tail -n $((PROCS * ROUNDS + 4))

out=$(($(vmstat pswpout) - pswpout))
in=$(($(vmstat pswpin) - pswpin))
ktap_diag "pswpout +$out pswpin +$in; io_stat: $(cat $ZSYS/io_stat)"
zx_diag_mm

zsf_expect "pswpout moved" $out -gt 0
zsf_expect "pswpin moved" $in -gt 0
# The pages really went through this device: it held data at some
# point, and the swap core told it about freed slots.
[ "$(zx_mm mem_used_max)" -gt 0 ] && [ $(($(zx_io notify_free) - nf)) -gt 0 ]
zsf_point $? "$ZDEV carried the traffic (mem_used_max, notify_free)"
zsf_expect "no failed reads" "$(zx_io failed_reads)" = 0
# A write fails, as with stock zram, where swap-out in direct reclaim
# finds the reserves spent (once in a dozen runs on a 16 KiB-page
# guest).  The swap core keeps such a page, and swapcheck read it back.
# zramx counts those apart (debug_stat); any other failed write fails.
fw=$(zx_io failed_writes)
nomem=$(zx_dstat nomem_writes)	# 0 on stock zram, which has no such field
zsf_expect "no failed writes but for want of memory ($fw)" "$fw" = "$nomem"

# What swapcheck pushed is freed with its processes; what is left belongs
# to processes that memory pressure pushed out (init, this shell).
# swapoff brings that back in, after which the device holds only the
# swap header that mkswap wrote (one page).
ktap_diag "left after swapcheck: orig_data_size $(zx_mm orig_data_size)"
ktap_check "swapoff" swapoff $ZDEV
zsf_poll 50 eval 'zx_field_is orig_data_size "$ZT_PAGE_SIZE" &&
	[ "$(zx_mm compr_data_size)" -le "$ZT_PAGE_SIZE" ]'
zsf_point $? "after swapoff only the swap header is stored" "mm_stat: $(cat $ZSYS/mm_stat)"
ktap_check "reset" zx_fresh
