# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Where the release time goes.  Run by bench/run.sh in a boot of
# its own (tracing must not disturb W1/W2): one W1 round per backend (P =
# bench.prof_p, default 2) with ftrace's function_graph tracer on, from
# the barrier until the page count settled (release -B -E), limited to the
# functions of the swap release path that the kernel lets us trace
# (Debian's kernels have no CONFIG_FUNCTION_PROFILER).  Each traced
# call's duration includes its traced and untraced callees; the script
# prints "# PROF be=.. fn=.. calls=.. total_us=.." summed over the CPUs,
# and the lost-event count.  Tracing inflates every number, so read them
# against each other, not against W1.
#
# Fails only if a round does not run (release -B fails: data mismatch,
# too little in swap).

. "$(dirname "$0")/bench_lib.sh"

MB=$(zsf_cmdline bench.mb 256)
P=$(zsf_cmdline bench.prof_p 2)
DISK=$((P * MB * 5 / 4 + 16))

T=/sys/kernel/tracing
[ -f $T/current_tracer ] || mount -t tracefs nodev $T 2>/dev/null
if ! grep -qw function_graph $T/available_tracers 2>/dev/null; then
	ktap_skip "profile" "no function_graph tracer in this kernel"
	exit 0
fi

# Load the modules first: set_ftrace_filter only knows loaded functions.
zx_swapoff_all
modprobe zram num_devices=2 2>/dev/null
zx_load_drv zramx
[ -e /dev/ram0 ] || modprobe brd rd_nr=1 rd_size=$((DISK * 1024))

# Called once or a few times per freed swap entry (free_swap_and_cache,
# the notify, zs_free), per zspage (the page frees) or per munmap.  Every
# traced call costs the tracer's overhead, so both drivers get the same
# depth: notify -> zs_free/zsf_free -> free_zspage/zsf_release_zspage
# (not __free_zspage nor zramx_slot_free, which only one side has).
FUNCS="unmap_page_range free_swap_and_cache free_swap_and_cache_nr
free_swap_slot swapcache_free_entries swap_range_free
zram_slot_free_notify zs_free free_zspage async_free_zspage
zramx_slot_free_notify zsf_free zsf_release_zspage zsf_release_work
zramx_gather zramx_gather_flush zsf_free_bulk kmem_cache_free_bulk
native_queued_spin_lock_slowpath queued_read_lock_slowpath
queued_write_lock_slowpath
tlb_finish_mmu release_pages free_pages_and_swap_cache
free_unref_page_list free_unref_folios free_pcppages_bulk"

echo 0 > $T/tracing_on
echo nop > $T/current_tracer
: > $T/set_ftrace_filter
n=0
for f in $FUNCS; do
	if echo "$f" >> $T/set_ftrace_filter 2>/dev/null; then
		n=$((n + 1))
	fi
done
echo 65536 > $T/buffer_size_kb
echo function_graph > $T/current_tracer
echo funcgraph-tail > $T/trace_options 2>/dev/null
echo nofuncgraph-irqs > $T/trace_options 2>/dev/null
ktap_diag "PROF config kernel=$(uname -r) P=$P mb=$MB traced=$n: $(tr '\n' ' ' < $T/set_ftrace_filter)"

fails=0
for b in stock ours floor; do
	bench_dev $b
	[ -z "$SYS" ] || zx_setup lz4 ${DISK}M "$SYS"
	if ! { mkswap "$DEV" >/dev/null 2>&1 && swapon "$DEV"; }; then
		ktap_fail "profile $b: swapon"
		fails=$((fails + 1))
		continue
	fi
	# release -B -E traces only the release: it turns tracing on at the
	# barrier and off once the page count settled.
	: > $T/trace
	# shellcheck disable=SC2086
	release -B -s "$MB" -P "$P" -V 0 $WATCH -E $T/tracing_on \
		> /tmp/prof.out 2>&1
	rc=$?
	echo 0 > $T/tracing_on
	sed -n "s/^relbench: /# PROF be=$b /p" /tmp/prof.out
	if [ $rc != 0 ]; then
		sed 's/^/# /' /tmp/prof.out | tail -n 10
		ktap_fail "profile $b: release -B"
		fails=$((fails + 1))
	fi
	ktap_diag "PROF be=$b lost events: $(sed -n 's/^overrun: //p' $T/per_cpu/cpu*/stats | tr '\n' ' ')"
	# " 1)   2.345 us    |  zs_free();" and " 1) + 12.3 us  |  } /* zs_free */"
	awk -v b=$b '
		/us +\|/ {
			d = $0; sub(/ us.*/, "", d); sub(/.*[ !+#*@$]/, "", d)
			f = $0; sub(/.*\| */, "", f)
			if (f ~ /^} \/\* /) { sub(/^} \/\* /, "", f); sub(/ \*\/.*/, "", f) }
			else if (f ~ /\(\);/) sub(/\(\);.*/, "", f)
			else next
			c[f]++; t[f] += d
		}
		END {
			for (f in c)
				printf("# PROF be=%s fn=%s calls=%d total_us=%.0f\n", b, f, c[f], t[f])
		}' $T/trace | sort -t= -k5 -n -r
	swapoff "$DEV"
	[ -n "$SYS" ] && zx_set 1 "$SYS/reset"
done
echo nop > $T/current_tracer
: > $T/set_ftrace_filter
[ $fails = 0 ] && ktap_ok "profile: a round per backend under function_graph"
