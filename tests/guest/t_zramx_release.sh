# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Release path: memory pushed out to /dev/${ZDRV}0 with MADV_PAGEOUT is
# released by munmap (processes still alive) and by exit; afterwards
# mm_stat orig_data_size and compr_data_size are back to what the swap
# header alone takes (mkswap writes page 0: orig_data_size one page, so "0"
# means "0 besides the header"), mem_used_total is back at its idle
# value, and for zramx so is the "pages:" count of zsfast's debugfs
# stats.
#
# zramx frees released objects in batches, in the releasing task before it
# returns to user space (src/zramx/gather.c): the test checks that the
# batches were used, and that zsfast's page count is at idle as soon as
# munmap returned, with no polling.  gather_batches=1 and =0 run the
# in-place bulk free and the notifier-only path.
#
# The swap core batches slot frees in per-CPU caches, so a few freed
# entries may not have reached the device when munmap/exit returns; each
# check first drains those caches (zx_drain_swap_slots) and says how much
# was still waiting.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load
# Only this device may take the pages.
zx_swapoff_all

algo=$(zx_lz4)
ktap_check "swapon $ZDEV" zx_swapon "$algo" 512M || exit 1

idle_mem=$(zx_mm mem_used_total)
idle_orig=$(zx_mm orig_data_size)
idle_compr=$(zx_mm compr_data_size)
idle_zsf=
if zx_is_zramx; then
	idle_zsf=$(zsf_pages)
	ktap_diag "idle: mem_used_total $idle_mem, zsfast pages ${idle_zsf:-?}"
fi
zx_diag_mm
[ "$idle_orig" = "$ZT_PAGE_SIZE" ] && [ "$idle_compr" -gt 0 ] &&
	[ "$idle_compr" -le "$ZT_PAGE_SIZE" ]
zsf_point $? "device holds only the swap header before the test"

# release -x and tracestop -x run tests/guest/zramx_hooks.sh, and so
# does release_case after release -e.
export ZT_DIR ZDRV
export IDLE_ORIG=$idle_orig IDLE_COMPR=$idle_compr

# check_idle WHAT: the device really held the data (mem_used_max went
# up by at least 1 MiB), and the pool gave back its pages.
check_idle() {
	_max=$(zx_mm mem_used_max)
	zsf_expect "$1: data went through $ZDEV (mem_used_max $_max)" \
		"$_max" -gt $((idle_mem + 1048576))
	zsf_poll 50 eval '[ "$(zx_mm mem_used_total)" -le "$idle_mem" ]'
	zsf_point $? "$1: mem_used_total back to $idle_mem" \
		"mm_stat: $(cat $ZSYS/mm_stat)"
	if ! zx_is_zramx; then
		ktap_skip "$1: zsfast pages back to idle" "not zsfast"
	elif [ -z "$idle_zsf" ]; then
		ktap_fail "$1: zsfast pages back to idle" \
			"no pages: line under $ZSF_DEBUG"
	else
		zsf_poll 50 eval '[ "$(zsf_pages)" = "$idle_zsf" ]'
		zsf_point $? "$1: zsfast pages back to $idle_zsf" \
			"zsfast pages: $(zsf_pages)"
	fi
}

# check_gathered DESC BEFORE [AFTER]: zramx freed the released slots'
# objects in batches, in the releasing tasks (none with gather_batches=0);
# AFTER defaults to the count now.
check_gathered() {
	zx_is_zramx || return 0
	_g=${3:-$(zx_dstat gathered)}
	if [ "$(cat $GATHER_PARAM)" = 0 ]; then
		zsf_expect "$1: gather_batches=0: every object freed in the notifier" \
			"$_g" = "$2"
	else
		[ "$_g" -gt "$2" ]
		zsf_point $? "$1: released objects freed in batches by the releasing tasks ($((_g - $2)))" \
			"debug_stat: $(sed -n 2p $ZSYS/debug_stat)"
	fi
}

# release_run DESC ARGS...: a point DESC, ok iff release ARGS succeeds;
# its log as diagnostics.
release_run() {
	_desc=$1
	shift
	if release "$@" > /tmp/zx_rel.log 2>&1; then
		ktap_ok "$_desc"
		sed 's/^/# /' /tmp/zx_rel.log
		return 0
	fi
	sed 's/^/# /' /tmp/zx_rel.log | tail -n 20
	ktap_fail "$_desc"
	return 1
}

# release_case munmap|exit DESC ARGS...: processes fill, page out, then
# munmap at once (and stay alive) or exit at once.
release_case() {
	_w=$1 _d=$2
	shift 2
	_g0=$(zx_dstat gathered)
	zx_set 0 $ZSYS/mem_used_max
	rm -f /tmp/zx_rel_rc /tmp/zx_rel_mm /tmp/zx_rel_zsf_now
	if [ "$_w" = exit ]; then
		release_run "$_d: pushed out to swap and exited" "$@" -e || return
		sh "$ZT_DIR/zramx_hooks.sh" released
		_when="after exit"
	else
		release_run "$_d: pushed out to swap and munmapped" "$@" \
			-x "sh $ZT_DIR/zramx_hooks.sh released" || return
		_when="after munmap, processes alive"
	fi
	sed 's/^/# /' /tmp/zx_rel_pre
	[ "$(cat /tmp/zx_rel_rc 2>/dev/null)" = 0 ] || { zx_diag_leftover; false; }
	zsf_point $? "$_d: orig/compr_data_size back to idle $_when" \
		"mm_stat: $(cat /tmp/zx_rel_mm 2>/dev/null)"
	# Read right after munmap and the drain returned, no polling:
	# nothing may be left for a worker or a later task.
	[ "$_w" = munmap ] && zx_is_zramx &&
		zsf_expect "$_d: zsfast pages at idle as soon as munmap returned" \
			"$(cat /tmp/zx_rel_zsf_now)" = "$idle_zsf"
	check_gathered "$_d" "$_g0"
	check_idle "$_d"
}

PARAM=/sys/module/zramx/parameters
GATHER_PARAM=$PARAM/gather_batches
TIMEOUT_PARAM=$PARAM/gather_timeout_ms

release_case munmap "munmap, 2 procs x 48 MiB mixed" -P 2 -s 48 -f mixed
release_case exit "exit, 2 procs x 48 MiB mixed" -P 2 -s 48 -f mixed
release_case munmap "munmap, 1 proc x 32 MiB incompressible" -P 1 -s 32 -f random
release_case exit "exit, 3 procs x 16 MiB text" -P 3 -s 16 -f text

# zramx: one batch per task, the rest freed in place one by one by the
# notifier; and no batches at all.
if zx_is_zramx && ! zx_can_gather; then
	# A build for a kernel without task_work_add: every object was
	# freed in the notifier (check_gathered said so), and that is all
	# there is.
	if zx_set 1 $GATHER_PARAM; then
		echo 0 > $GATHER_PARAM
		false
	fi
	zsf_point $? "no task_work_add: gather_batches stays 0 (writing 1 fails)" \
		"writing 1 succeeded"
elif zx_is_zramx; then
	# Swap-in by faults: each fault frees one slot and returns to user
	# space (on kernels with swap slot caches, a fault may drain 64),
	# and must not start a batch for it (gather_after).  thrbench
	# faults its 8 MiB back twice (4096 faults with 4 KiB pages), then
	# exits.
	_f=$((2 * 8 * 1048576 / ZT_PAGE_SIZE))
	_b0=$(zx_dstat gathers)
	thrbench -s 8 swap > /tmp/zx_thr.log 2>&1 &&
		_b=$(($(zx_dstat gathers) - _b0)) && [ $_b -le 128 ]
	zsf_point $? "$_f swap-in faults started $_b batches, at most 128" \
		"$(cat /tmp/zx_thr.log)" "gather_after $(cat $PARAM/gather_after)"
	for b in 1 0; do
		echo $b > $GATHER_PARAM
		release_case munmap "gather_batches=$b: munmap, 2 procs x 24 MiB mixed" \
			-P 2 -s 24 -f mixed
	done

	# A task at its limit frees the rest of its run in place, and
	# gathers again in its next system call (gather.c, "Bounds").  One
	# task on one CPU munmaps in two calls, each about two batches'
	# worth of slots (a batch is a page of handles): with
	# gather_batches=1 the first call fills its one batch and frees the
	# rest in place, and the second must start a batch again.
	echo 1 > $GATHER_PARAM
	_mb=$((ZT_PAGE_SIZE * ZT_PAGE_SIZE / 2 / 1048576))
	_d="gather_batches=1: a task at its limit gathers again in its next munmap"
	_b0=$(zx_dstat gathers)
	taskset 1 release -P 1 -s $_mb -f text -n 2 -q > /tmp/zx_rel.log 2>&1 &&
		_b=$(($(zx_dstat gathers) - _b0)) && [ $_b -ge 2 ]
	zsf_point $? "$_d ($_b batches in 2 calls of $((_mb / 2)) MiB)" \
		"$(tail -n 20 /tmp/zx_rel.log)" "debug_stat: $(sed -n 2p $ZSYS/debug_stat)"
	echo 128 > $GATHER_PARAM

	# The device's reap work must leave a running task's batches alone:
	# with gather_timeout_ms=1 a munmap of 32 MiB outlasts the timeout
	# many times over, yet it frees its own batches.  Only a sleeping
	# task's batch (this shell's, say, if it faulted in wait()) may be
	# taken: at most one batch, about 500 objects.
	_t0=$(zx_dstat gather_taken)
	_to=$(cat $TIMEOUT_PARAM)
	echo 1 > $TIMEOUT_PARAM
	release_case munmap "gather_timeout_ms=1: munmap, 1 proc x 32 MiB incompressible" \
		-P 1 -s 32 -f random
	echo "$_to" > $TIMEOUT_PARAM
	_t=$(($(zx_dstat gather_taken) - _t0))
	zsf_expect "gather_timeout_ms=1: the device took no batch of the running task ($_t objects taken)" \
		$_t -le 512
fi

swapoff $ZDEV && zx_fresh
zsf_point $? "swapoff and reset"

# zramx: a task stopped by its tracer at the end of the munmap has already
# freed its batch (ptrace_notify() runs pending task_work before the task
# stops), so while it is held the pool is at idle (once the slot caches
# are drained, as above) and the device can be swapped off and reset.
if zx_is_zramx; then
	if zx_swapon "$algo" 128M; then
		_g0=$(zx_dstat gathered)
		tracestop -s 16 -x "sh $ZT_DIR/zramx_hooks.sh held > /tmp/zx_held.out 2>&1" \
			> /tmp/zx_tr.log 2>&1
		_rc=$?
		sed 's/^/# /' /tmp/zx_tr.log /tmp/zx_held.out
		_held=$(sed -n 's/^pages while held: //p' /tmp/zx_held.out)
		_max=$(sed -n 's/^mem_used_max while held: //p' /tmp/zx_held.out)
		[ $_rc = 0 ] && [ "${_max:-0}" -gt 4194304 ] && [ "$_held" = "$idle_zsf" ]
		zsf_point $? "a task held at munmap's exit by its tracer has freed what it released" \
			"tracestop exit $_rc, mem_used_max ${_max:-?}, pages $_held, idle $idle_zsf"
		_g=$(sed -n 's/^gathered while held: //p' /tmp/zx_held.out)
		check_gathered "traced munmap" "$_g0" "${_g:-0}"
		grep -q '^swapoff-ok' /tmp/zx_held.out &&
			grep -q '^reset-ok' /tmp/zx_held.out &&
			[ "$(cat $ZSYS/initstate)" = 0 ] &&
			zsf_poll 50 eval '[ "$(zsf_pages)" = 0 ]'
		zsf_point $? "swapoff and reset while the task is held; zsfast holds no pages" \
			"initstate $(cat $ZSYS/initstate), zsfast pages $(zsf_pages)"
	else
		ktap_fail "set up $ZDEV for the traced-task check"
	fi
fi
