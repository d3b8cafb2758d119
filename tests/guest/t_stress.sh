#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Long swap stress on /dev/zramx0.  Several processes cycle
# write -> MADV_PAGEOUT -> verify -> partial rewrite -> munmap
# (tests/prog/stress.c) while, at the same time:
#   - echo 1 > /sys/block/zramx0/compact                  (zsfast compaction)
#   - echo 1 > /proc/sys/vm/compact_memory                (page migration)
#   - CPU 1 offline/online        (per-CPU streams, cpuhp callbacks)
#   - hot_add of a second device, a write/read-back on it, hot_remove
# Pass: zero mismatches, every background loop ran and never failed,
# swap traffic really happened, no kernel report in dmesg, and the
# teardown leaves zsfast empty and no slab cache behind.
#
# Kernel command line knobs (the lane sets them):
#   zsf.stress_seconds=N   duration (default 600: ten minutes; make check passes 180)
#   zsf.stress_procs=N     worker processes (default 4)

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/dbg_lib.sh"

SECS=$(dbg_param stress_seconds 600)
PROCS=$(dbg_param stress_procs 4)
W=/tmp/t_stress
rm -rf "$W"
mkdir -p "$W"
STOP=$W/stop

# The checker must be able to see a corrupted page: run it once with a
# planted corruption (no kernel involved).  Pass only on exit status 1
# with mismatches counted: a worker that failed for another reason, or
# a run that compared nothing, proves nothing about the checker.
out=$(stress -p 1 -t 1 -m 1 -X -q 2>&1)
rc=$?
d="stress.c reports a planted mismatch (self-test)"
case "$rc:$out" in
1:*" mismatches="[1-9]*) ktap_ok "$d" ;;
*)	ktap_fail "$d" "$(echo "$out" | tail -n 20)" \
		"want exit 1 with mismatches > 0, got exit $rc" ;;
esac

dbg_start_zramx0 || exit 1

# Background loops.  Each counts its iterations in $W/NAME.ok and its
# failures in $W/NAME.err (one line per event, reasons kept).
# every NAME SECS FILE: write 1 to FILE every SECS seconds.
every() {
	while [ ! -e "$STOP" ]; do
		if echo 1 > "$3"; then
			echo . >> "$W/$1.ok"
		else
			echo "write to $3 failed" >> "$W/$1.err"
		fi
		sleep "$2"
	done
}

loop_compact() {
	every compact 1 /sys/block/zramx0/compact
}

loop_sysc() {
	every sysc 2 /proc/sys/vm/compact_memory
}

loop_hotplug() {
	c=/sys/devices/system/cpu/cpu1/online
	while [ ! -e "$STOP" ]; do
		if ! echo 0 > $c; then
			echo "cpu1 offline failed" >> "$W/hotplug.err"
		fi
		sleep 1
		if ! echo 1 > $c; then
			echo "cpu1 online failed" >> "$W/hotplug.err"
			sleep 1
			echo 1 > $c 2>/dev/null
		else
			echo . >> "$W/hotplug.ok"
		fi
		sleep 1
	done
}

# hot_add, 32M, 1 MiB of random data written and read back, hot_remove.
loop_hotadd() {
	ctl=/sys/class/zramx-control
	dd if=/dev/urandom of="$W/pat" bs=4096 count=256 2>/dev/null
	while [ ! -e "$STOP" ]; do
		id=$(cat $ctl/hot_add) || {
			echo "hot_add failed" >> "$W/hotadd.err"
			sleep 2
			continue
		}
		d=zramx$id
		zsf_poll 50 test -b /dev/$d
		if ! echo 32M > /sys/block/$d/disksize; then
			echo "$d: disksize failed" >> "$W/hotadd.err"
		elif ! dd if="$W/pat" of=/dev/$d bs=4096 conv=fsync 2>/dev/null; then
			echo "$d: write failed" >> "$W/hotadd.err"
		elif ! dd if=/dev/$d of="$W/back" bs=4096 count=256 2>/dev/null ||
		     ! cmp -s "$W/pat" "$W/back"; then
			echo "$d: read-back differs" >> "$W/hotadd.err"
		elif ! echo 1 > /sys/block/$d/reset; then
			echo "$d: reset failed" >> "$W/hotadd.err"
		fi
		if echo "$id" > $ctl/hot_remove; then
			echo . >> "$W/hotadd.ok"
		else
			echo "$d: hot_remove failed" >> "$W/hotadd.err"
		fi
		sleep 1
	done
}

mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
# Up to a quarter of RAM in flight, split among the workers.
# Capped at 16 MiB a worker: smaller regions give more rounds, i.e. more
# munmap releases and fresh allocations per minute.
mib=$((mem_kb / 1024 / 4 / PROCS))
[ "$mib" -gt 16 ] && mib=16
[ "$mib" -lt 4 ] && mib=4
ktap_diag "stress: $PROCS processes x ${mib} MiB for ${SECS}s, MemTotal ${mem_kb} kB"

out0=$(dbg_vmstat pswpout)
in0=$(dbg_vmstat pswpin)
pids=
for l in compact sysc hotplug hotadd; do
	: > "$W/$l.ok"
	: > "$W/$l.err"
	loop_$l &
	pids="$pids $!"
done

# A line every two minutes: the rig stops a guest that prints nothing
# for ZSF_GUEST_STALL seconds (tests/lib/guest.sh).
(
	_s=0
	while [ ! -e "$STOP" ]; do
		sleep 10
		_s=$((_s + 10))
		[ $((_s % 120)) = 0 ] && ktap_diag "stress: running, ${_s}s"
	done
) &
pids="$pids $!"
stress -p "$PROCS" -t "$SECS" -m "$mib" > "$W/stress.out" 2> "$W/stress.err"
rc=$?
touch "$STOP"
# shellcheck disable=SC2086
wait $pids
echo 1 > /sys/devices/system/cpu/cpu1/online 2>/dev/null

dbg_stress_verdict "stress: every page read back equals what was written" $rc

# Swap traffic must have gone through zramx0, or the run proved nothing.
out=$(($(dbg_vmstat pswpout) - out0))
in=$(($(dbg_vmstat pswpin) - in0))
ktap_diag "pswpout +$out, pswpin +$in; zramx0 io_stat: $(cat /sys/block/zramx0/io_stat)"
ktap_diag "zramx0 mm_stat: $(cat /sys/block/zramx0/mm_stat)"
[ "$out" -gt 1000 ] && [ "$in" -gt 1000 ]
zsf_point $? "swap traffic went through zramx0" "pswpout +$out pswpin +$in"

for l in compact sysc hotplug hotadd; do
	n=$(wc -l < "$W/$l.ok")
	e=$(wc -l < "$W/$l.err")
	[ "$n" -gt 0 ] && [ "$e" -eq 0 ]
	zsf_point $? "concurrent $l: $n rounds, no failure" \
		"$(sort "$W/$l.err" | uniq -c | head -n 5)" "$e failure(s)"
done
zsf_expect "cpu1 is back online" "$(cat /sys/devices/system/cpu/cpu1/online)" = 1

dbg_teardown_checks zramx0
