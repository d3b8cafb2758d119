#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Swap traffic through /dev/zramx0 while failslab and fail_page_alloc
# fail about 10% of the allocations made by our modules.
#
# Scope: both injectors get require-start/require-end set to the .text
# of zsfast and zramx (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER): an
# allocation can fail only when a return address in its call stack lies
# in our code, so an allocation that zsfast/zramx makes -- directly, or
# through kvmalloc, vmalloc, alloc_page, kmem_cache_alloc -- can fail,
# and the rest of the kernel is left alone.  The range runs from the
# lower module's .text to the end of the higher one's last function
# (from /proc/kallsyms); if another module's text lies in between, only
# zsfast's own range is used.  Without the stack filter the kernel
# cannot scope the injection; the test then injects system-wide at 1%.
#
# failslab and fail_page_alloc skip sleeping allocations by default
# (ignore-gfp-wait=Y) and fail_page_alloc skips __GFP_HIGHMEM ones,
# which zramx uses for its objects; both are turned off here.
# "times" starts at 1000000 and counts down per injected failure, which
# gives the number of failures injected.
#
# Pass:
#   - stress -f: every page that came back equals what was written.  A
#     swap-in I/O error reaches the process as SIGBUS; stress counts it
#     as an I/O error (reported, not silent) and never reads the page
#     again in that round, so it is not a mismatch.
#   - failures were injected (else the test proved nothing);
#   - the failed writes were reported to the swap layer as I/O errors:
#     zramx's failed_writes and the kernel's "Write-error on swap-device" (6.12; swap-entry on 6.1);
#   - each of them was an allocation failure (debug_stat's nomem_writes);
#   - no kernel report (KASAN, lockdep, WARN, BUG, list corruption);
#   - swapoff, reset: zsfast pages 0; rmmod; no slab cache left.
#
# Knobs (kernel command line): zsf.fault_seconds=N (default 90),
# zsf.fault_percent=N (default 10).

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/dbg_lib.sh"
. "$ZT_DIR/zramx_lib.sh"

SECS=$(dbg_param fault_seconds 90)
PCT=$(dbg_param fault_percent 10)
TIMES=1000000
DBG=/sys/kernel/debug
W=/tmp/t_fault
rm -rf "$W"
mkdir -p "$W"

dbg_start_zramx0 || exit 1

# text_range MOD: "START END" of MOD's code, as 0x... strings.
text_range() {
	_s=$(cat "/sys/module/$1/sections/.text" 2>/dev/null) || return 1
	_last=$(awk -v m="[$1]" '$4 == m && ($2 == "t" || $2 == "T") { print $1 }' \
		/proc/kallsyms | sort | tail -n 1)
	[ -n "$_last" ] || return 1
	# The last function's size is unknown: round up to the next page,
	# plus a page.  Module code is page aligned.
	_e=$(( (0x$_last + 8191) & ~4095 ))
	printf '%s %#x\n' "$_s" "$_e"
}

scoped=1
for f in failslab fail_page_alloc; do
	[ -e "$DBG/$f/require-start" ] || scoped=0
done
r1=$(text_range zsfast)
r2=$(text_range zramx)
if [ $scoped = 1 ] && [ -n "$r1" ] && [ -n "$r2" ]; then
	# shellcheck disable=SC2086
	set -- $r1 $r2
	start=$1 end=$2
	[ $(($3)) -lt $((start)) ] && start=$3
	[ $(($4)) -gt $((end)) ] && end=$(printf '%#x' $(($4)))
	# Another module's code inside the range would be hit too.
	others=$(awk '$1 != "zsfast" && $1 != "zramx" { print $1, $6 }' /proc/modules |
		while read -r m a; do
			if [ $((a)) -ge $((start)) ] && [ $((a)) -lt $((end)) ]; then
				echo "$m"
			fi
		done)
	if [ -n "$others" ]; then
		ktap_diag "modules inside the range: $others; using zsfast only"
		# shellcheck disable=SC2086
		set -- $r1
		start=$1 end=$2
	fi
	ktap_diag "zsfast .text: $r1; zramx .text: $r2; failing in [$start, $end)"
	rate=$PCT
else
	ktap_diag "no stack filter (require-start) or no module ranges: system-wide at 1%"
	rate=1
fi

# inject_setup DIR PROBABILITY
inject_setup() {
	_d=$DBG/$1
	echo 0 > "$_d/probability"
	echo 0 > "$_d/verbose"
	echo 1 > "$_d/interval"
	echo 0 > "$_d/space"
	echo N > "$_d/task-filter"
	echo N > "$_d/ignore-gfp-wait"
	[ -e "$_d/ignore-gfp-highmem" ] && echo N > "$_d/ignore-gfp-highmem"
	[ -e "$_d/min-order" ] && echo 0 > "$_d/min-order"
	if [ $scoped = 1 ]; then
		echo 32 > "$_d/stacktrace-depth"
		echo "$start" > "$_d/require-start"
		echo "$end" > "$_d/require-end"
		echo 0 > "$_d/reject-start"
		echo 0 > "$_d/reject-end"
	fi
	echo $TIMES > "$_d/times"
	echo "$2" > "$_d/probability"
}

inject_off() {
	echo 0 > "$DBG/$1/probability"
	echo -1 > "$DBG/$1/times"
}

injected() {
	echo $((TIMES - $(cat "$DBG/$1/times")))
}

fw0=$(zx_io failed_writes)
fr0=$(zx_io failed_reads)
nomem0=$(zx_dstat nomem_writes)
out0=$(dbg_vmstat pswpout)

inject_setup failslab "$rate" && inject_setup fail_page_alloc "$rate"
zsf_point $? "failslab and fail_page_alloc armed at ${rate}%"

mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
mib=$((mem_kb / 1024 / 4 / 3))
[ "$mib" -gt 16 ] && mib=16
stress -f -p 3 -t "$SECS" -m "$mib" > "$W/stress.out" 2> "$W/stress.err"
rc=$?

n_slab=$(injected failslab)
n_page=$(injected fail_page_alloc)
inject_off failslab
inject_off fail_page_alloc

dbg_stress_verdict "every page read back intact equals what was written" $rc
ioerr=$(echo "$SUMMARY" | sed -n 's/.* ioerrors=\([0-9]*\).*/\1/p')
ktap_diag "swap-in I/O errors seen as SIGBUS: ${ioerr:-?} (counted apart from mismatches)"

ktap_diag "injected failures: failslab $n_slab, fail_page_alloc $n_page"
zsf_expect "allocation failures were injected into our modules" $((n_slab + n_page)) -gt 0

fw=$(($(zx_io failed_writes) - fw0))
fr=$(($(zx_io failed_reads) - fr0))
nomem=$(($(zx_dstat nomem_writes) - nomem0))
out=$(($(dbg_vmstat pswpout) - out0))
kerr=$(dmesg | grep -c 'Write-error on swap-')
ktap_diag "pswpout +$out; zramx0 failed_writes +$fw (nomem_writes +$nomem), failed_reads +$fr; kernel write-error lines: $kerr"
ktap_diag "zramx0 debug_stat: $(tr "\\n" " " < /sys/block/zramx0/debug_stat 2>/dev/null)"
zsf_expect "swap traffic went through zramx0 during injection" "$out" -gt 1000
if [ "$fw" -gt 0 ] && [ "$kerr" -gt 0 ]; then
	ktap_ok "failed writes surfaced as I/O errors (zramx $fw, swap layer saw them)"
elif [ "$fw" -eq 0 ]; then
	ktap_skip "failed writes surfaced as I/O errors" "no write failed (every allocation retry succeeded)"
else
	ktap_fail "failed writes surfaced as I/O errors" \
		"zramx counted $fw failed writes, the swap layer logged none"
fi

# Swap writes whole pages, so a write can fail here only where
# zsf_malloc() found no memory: anything else is a wrong error path.
zsf_expect "every failed write was one refused for want of memory ($fw)" "$fw" -eq "$nomem"

dbg_teardown_checks zramx0
