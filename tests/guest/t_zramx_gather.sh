# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Batches of released slots whose task sleeps in the kernel
# (src/zramx/gather.c).  pollhold pages out an 8 MiB pollfd array and
# ppoll()s it: the faults inside ppoll() release its swap slots (and
# drain the CPU's swap slot cache, on kernels that have one), so the
# task holds batches, and then it sleeps on an idle pipe.  The device
# must not be held hostage by that task:
#   A. with the default gather_timeout_ms, the device frees the batches;
#   B. with a long timeout, gather_batches bounds what one task holds,
#      swapoff works, and a write that would pass mem_limit frees the
#      batches first and succeeds; memory pressure (reclaim's first pass,
#      and drop_caches=2) frees them too; swapoff, which brings memory
#      in, does not gather, and so is not OOM-killed with little spare;
#   C. reset and hot_remove racing each other take the batches back, in
#      bounded time, and the pool is gone;
#   D. rmmod fails at once, without hanging, while the task sleeps (its
#      task_work still points at zramx's text) and succeeds once it is
#      killed, leaving no slab cache behind.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

if ! zx_is_zramx; then
	ktap_skip "batches of released slots" "$ZDRV has none"
	exit 0
fi
zx_load
if ! zx_can_gather; then
	ktap_skip "batches of released slots" "built without task_work_add"
	exit 0
fi
zx_swapoff_all
PARAM=/sys/module/zramx/parameters
# pollhold's faults free one slot each where the swap core has no slot
# caches: a batch from the first free, so that the task holds some.
echo 1 > $PARAM/gather_after

now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

holders=

# pollhold's process has paged out its array and sleeps in ppoll(), which
# faulted all of the array back in first.  (VmSwap cannot tell: on 6.1 a
# task's counters reach the mm only every 64 events.)
asleep() {
	grep -q 'paged out' "$2" &&
		[ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/"$1"/status)" = S ] &&
		grep -q poll /proc/"$1"/wchan
}

# hold DESC [MiB]: start a pollhold of MiB (8) and wait until it sleeps.
# With 4 KiB pages, 48 MiB is about 24 batches, more than the device
# takes in one hold of its lock (ZRAMX_GATHER_TAKE_CHUNK): the reap work
# (A), the shrinker (B2) and reset (C) must each go on from where their
# last hold left off.  The default fs.nr_open (1M entries) allows 8 MiB.
echo $((8 << 20)) > /proc/sys/fs/nr_open
hold() {
	_log=/tmp/pollhold.$(echo "$holders" | wc -w)
	pollhold -s "${2:-8}" -c 0 > "$_log" 2>&1 &
	_pid=$!
	holders="$holders $_pid"
	zsf_poll 1200 asleep "$_pid" "$_log"
	zsf_point $? "$1: the task faulted its array back in and sleeps in ppoll()" \
		"$(cat "$_log")" \
		"$(grep -E '^(State|VmSwap)' /proc/"$_pid"/status 2>/dev/null | tr '\n' ' ') wchan $(cat /proc/"$_pid"/wchan 2>/dev/null)"
}

# dstat: debug_stat's counters, for a diagnostic.
dstat() {
	echo "debug_stat: $(sed -n 2p $ZSYS/debug_stat)"
}

# swapon_again DESC: swap on $ZDEV (lz4, 256M), or a failed point DESC
# and the end of the script.
swapon_again() {
	zx_swapon lz4 256M && return 0
	ktap_fail "$1"
	exit 1
}

# --- A: the device frees what the task left pending ----------------------
swapon_again "swapon $ZDEV"
idle=$(zsf_pages)
g0=$(zx_dstat gathers)
t0=$(zx_dstat gather_taken)
hold "timeout" 48 || exit 1
g1=$(zx_dstat gathers)
[ "$g1" -gt "$g0" ]
zsf_point $? "timeout: the sleeping task released slots into batches ($((g1 - g0)))" "$(dstat)"
zsf_poll 20 eval '[ "$(zx_dstat gather_taken)" -gt "$t0" ]'
zsf_point $? "timeout: the device freed them within 2 s ($(($(zx_dstat gather_taken) - t0)) objects), gather_timeout_ms $(cat $PARAM/gather_timeout_ms)" \
	"$(dstat)"
zx_drain_swap_slots || ktap_diag "cannot drain the swap slot caches"
zsf_poll 20 eval '[ "$(zsf_pages)" = "$idle" ]' || { zx_diag_leftover; false; }
zsf_point $? "timeout: zsfast pages back to idle ($idle) while the task sleeps" \
	"zsfast pages $(zsf_pages)"

# --- B: a long timeout; gather_batches; swapoff; mem_limit ---------------
echo 600000 > $PARAM/gather_timeout_ms
echo 3 > $PARAM/gather_batches
swapoff $ZDEV
swapon_again "pending: swapon $ZDEV again"
g0=$(zx_dstat gathers)
t0=$(zx_dstat gather_taken)
hold "pending" || exit 1
g1=$(zx_dstat gathers)
[ "$g1" -gt "$g0" ] && [ "$g1" -le $((g0 + 3)) ]
zsf_point $? "pending: gather_batches=3 bounds the task's batches ($((g1 - g0)))"
echo 128 > $PARAM/gather_batches
t=$(now_ms)
swapoff $ZDEV
zsf_point $? "pending: swapoff in $(($(now_ms) - t)) ms"
held=$(zx_mm mem_used_total)
[ "$held" -ge $((3 << 20)) ] && [ "$(zx_dstat gather_taken)" = "$t0" ]
zsf_point $? "pending: batches hold $((held >> 10)) KiB for the sleeping task" \
	"want at least 3 MiB: mem_used_total $held; $(dstat)"
# 2 MiB of random data fits under mem_limit only once the batches are
# freed: without that, the first write fails.
zx_set "$held" $ZSYS/mem_limit
blkio write $ZDEV 1 512 random 7 > /tmp/blkio.log 2>&1 &&
	blkio verify $ZDEV 1 512 random 7 >> /tmp/blkio.log 2>&1
zsf_point $? "pending: a write that would pass mem_limit frees the batches and succeeds" \
	"$(tail -n 5 /tmp/blkio.log)" "mm_stat: $(cat $ZSYS/mm_stat); $(dstat)"
zsf_expect "pending: the write freed $(($(zx_dstat gather_taken) - t0)) objects of the batches" \
	"$(zx_dstat gather_taken)" -gt "$t0"
zx_set 0 $ZSYS/mem_limit

# --- B2: memory pressure takes the batches ------------------------------
# A sleeping task's batches, then a reclaim of 1 MiB through the root
# cgroup's memory.reclaim with 64 MiB of clean page cache (the device read
# through its page cache): reclaim stops at its first priorities, where a
# shrinker with a seek cost is not scanned for a few batches (on 6.12,
# with DEFAULT_SEEKS: none taken, slabs_scanned 0).  Then drop_caches=2,
# which runs every shrinker at the last priority, for a second task's
# larger set.  The shrinker must take them either way.
pressure() {
	swapon_again "pressure: swapon $ZDEV again"
	hold "pressure, $1" "$2" || exit 1
	swapoff $ZDEV
	t0=$(zx_dstat gather_taken)
	held=$(zx_mm mem_used_total)
	shift 2
	"$@"
	left=$(zx_mm mem_used_total)
	[ "$held" -ge $((3 << 20)) ] && [ "$left" -lt $((held / 4)) ] &&
		[ "$(zx_dstat gather_taken)" -gt "$t0" ]
}
CG=/sys/fs/cgroup
[ -e $CG/memory.reclaim ] || mount -t cgroup2 none $CG 2> /dev/null
# The device's page cache lasts while it is open (the last close drops it).
reclaim_1m() {
	exec 3< $ZDEV
	dd if=$ZDEV of=/dev/null bs=1M count=64 2> /dev/null
	echo 1M > $CG/memory.reclaim
	exec 3<&-
}
drop_slab() {
	echo 2 > /proc/sys/vm/drop_caches
}
# pressure_point RC HOW: the point of the pressure run that returned RC.
pressure_point() {
	zsf_point "$1" "pressure: $2 a sleeping task's batches ($((held >> 10)) KiB, $((left >> 10)) KiB left)" \
		"mem_used_total $held before, $left after; $(dstat)"
}
# Every kernel of the suite (5.19 on) has it in the root cgroup: a fail,
# not a skip, so that the point cannot go quietly missing.
if [ ! -e $CG/memory.reclaim ]; then
	ktap_fail "pressure: reclaim's first pass takes a sleeping task's batches" \
		"no memory.reclaim in the root cgroup: $(grep cgroup /proc/mounts | tr '\n' ' ')"
else
	pressure reclaim 8 reclaim_1m
	pressure_point $? "reclaim's first pass takes"
fi
pressure drop_caches 48 drop_slab
pressure_point $? "the shrinker frees"

# --- B3: swapoff with little memory to spare -----------------------------
# swapoff brings every page back and releases its slot in one system
# call: batches would hold the whole pool until it returns.  All but
# SPARE MiB of the memory is filled with tmpfs pages, which cannot go to
# swap while its only device is being removed.  SPARE is 4/7 of the data,
# more than swapoff needs when the pool shrinks as it goes (about half
# of the data), less than all of it; with batches held to the end the
# OOM killer killed swapoff, 3 rounds of 3 on 6.12.  Plus 8 MiB for each
# 4 KiB of the page size, for the free pages that the per-CPU lists hold
# out of reach: on a 16 KiB-page 7.3 guest with 48 MiB to spare, the OOM
# killer once took swapoff with 49 MiB on those lists (free_pcp) and
# 20 MiB free, freeing in place.
avail_mib() {
	awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo
}
oom_kills() {
	dmesg | grep -c 'Killed process'
}
if [ -e /proc/lockdep ]; then
	ktap_skip "swapoff: little memory to spare" \
		"a debug kernel: its checkers' memory makes the margin unknown"
else
	avail=$(avail_mib)
	mib=$((avail / 4))
	[ $mib -le 192 ] || mib=192
	spare=$((mib * 4 / 7 + 8 * ZT_PAGE_SIZE / 4096))
	if ! zx_swapon lz4 $((mib * 2))M || ! zsf_hog_start /tmp/zx-hog $mib; then
		ktap_fail "swapoff: page $mib MiB out"
		exit 1
	fi
	mkdir -p /tmp/zx-fill
	mount -t tmpfs -o size=${avail}m none /tmp/zx-fill
	fill=$(($(avail_mib) - spare))
	dd if=/dev/zero of=/tmp/zx-fill/f bs=1M count=$fill 2> /dev/null
	g0=$(zx_dstat gathers)
	k0=$(oom_kills)
	swapoff $ZDEV
	so=$?
	rm -f /tmp/zx-fill/f
	umount /tmp/zx-fill
	kills=$(($(oom_kills) - k0))
	started=$(($(zx_dstat gathers) - g0))
	[ $so = 0 ] && [ $kills = 0 ] && [ $started = 0 ] && zsf_hog_end /tmp/zx-hog
	zsf_point $? "swapoff: $mib MiB back with $spare MiB to spare, freed in place, data intact" \
		"swapoff status $so, $kills OOM kills, $started batches started" || {
		touch /tmp/zx-hog/go
		swapoff $ZDEV 2> /dev/null
	}
fi

# --- C: reset and hot_remove racing, batches stuck -----------------------
swapon_again "race: swapon $ZDEV again"
hold "race" 48 || exit 1
swapoff $ZDEV
rm -f /tmp/reset.rc
t=$(now_ms)
(zx_set 1 $ZSYS/reset; echo $? > /tmp/reset.rc) &
sleep 0.1
zx_set 0 $ZCTL/hot_remove
rm_rc=$?
rm_ms=$(($(now_ms) - t))
zsf_poll 100 test -e /tmp/reset.rc
reset_ms=$(($(now_ms) - t))
[ $rm_rc = 0 ] && [ $rm_ms -lt 5000 ] && [ -e /tmp/reset.rc ] && [ ! -e /sys/block/zramx0 ]
zsf_point $? "race: reset and hot_remove with a batch stuck: hot_remove in $rm_ms ms, reset status $(cat /tmp/reset.rc 2>/dev/null || echo running) by $reset_ms ms" \
	"want both within 5 s"
zsf_expect "race: zsfast holds no pages" "$(zsf_pages)" = 0

# --- D: rmmod -----------------------------------------------------------
t=$(now_ms)
rmmod zramx 2> /tmp/rmmod.err
rc=$?
ms=$(($(now_ms) - t))
[ $rc != 0 ] && [ $ms -lt 2000 ]
zsf_point $? "rmmod: refused at once ($ms ms) while a task that released slots sleeps" \
	"rmmod status $rc after $ms ms (0: it succeeded, though that task's task_work points at zramx's text)"
for p in $holders; do
	kill "$p"
done
for p in $holders; do
	wait "$p"
done
zsf_poll 50 rmmod zramx && rmmod zsfast
zsf_point $? "rmmod zramx zsfast once the tasks are gone" \
	"$(lsmod | grep -E '^(zramx|zsfast) ')"
zsf_expect "no zramx or zsfast slab cache after rmmod" \
	"$(grep -E '^(zramx_|zsfast_)' /proc/slabinfo | cut -c1-60)" = ""
