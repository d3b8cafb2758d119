# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# The demo, in the guest: what `make demo` (tests/demo.sh) shows.  It
# creates a zramx device with zramxctl, swaps MB MiB out to it and back,
# times the release of RMB MiB ROUNDS times on stock zram and on zramx,
# then resets and unloads.  "# demo| " lines are what the host prints.
#
# Arguments come on the kernel command line, from tests/demo.sh:
#   zsf.demo=MB,RMB,ROUNDS,ALGO   (default 384,128,3,lz4)

. "$(dirname "$0")/lib.sh"

IFS=, read -r MB RMB ROUNDS ALGO <<EOF_ARGS
$(zsf_cmdline zsf.demo 384,128,3,lz4)
EOF_ARGS
show() { sed 's/^/# demo| /'; }
step() { echo "# demo| "; echo "# demo| \$ $*"; }

step "zramxctl --find --size 1G --algorithm $ALGO"
if dev=$(zramxctl --find --size 1G --algorithm "$ALGO" 2> /tmp/err); then
	echo "$dev" | show
	ktap_ok "zramxctl --find --size 1G --algorithm $ALGO: $dev"
else
	show < /tmp/err
	ktap_fail "zramxctl --find --size 1G --algorithm $ALGO"
	exit 1
fi
lsmod | grep -E '^(zramx|zsfast) ' | sed 's/^/loaded: /' | show
step "mkswap $dev && swapon $dev"
mkswap "$dev" > /dev/null && swapon "$dev"
zsf_point $? "mkswap and swapon $dev" || exit 1

# The workload: memhog fills MB MiB with a 2:1-compressible pattern,
# pages it all out, waits while we look, then checks every word.
step "memhog -w /tmp/hold $MB   # fill $MB MiB, MADV_PAGEOUT, hold, verify"
t0=$(cut -d' ' -f1 /proc/uptime)
if zsf_hog_start /tmp/hold "$MB" 6000; then
	step "zramxctl"
	zramxctl | show
	step "cat /sys/block/zramx0/mm_stat"
	echo "# demo|   (orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages pages_compacted huge_pages huge_pages_since)"
	show < /sys/block/zramx0/mm_stat
	step "cat /proc/swaps"
	show < /proc/swaps
fi
zsf_hog_end /tmp/hold > /dev/null || { show < /tmp/hold.log; false; }
zsf_point $? "memhog: $MB MiB out to $dev and back, every word intact ($(echo "$t0 $(cut -d' ' -f1 /proc/uptime)" | awk '{ printf "%.1f", $2 - $1 }') s)"
swapoff "$dev"
zramxctl --reset "$dev"

# munmap of swapped-out memory: stock zram vs zramx, same boot, same
# algorithm and size, alternating so that neither gets a warmer cache.
if ! modprobe zram num_devices=1 || ! echo "$ALGO" > /sys/block/zram0/comp_algorithm ||
   ! echo 1G > /sys/block/zram0/disksize || ! mkswap /dev/zram0 > /dev/null; then
	ktap_fail "stock zram: modprobe, $ALGO, 1G, mkswap"
	exit 1
fi
zramxctl --size 1G --algorithm "$ALGO" "$dev" && mkswap "$dev" > /dev/null
step "release -s $RMB   # $RMB MiB, MADV_PAGEOUT, then time munmap; $ROUNDS runs per driver"
: > /tmp/times
for r in $(seq "$ROUNDS"); do
	for d in /dev/zram0 "$dev"; do
		swapon "$d" || { ktap_fail "swapon $d"; exit 1; }
		if release -q -s "$RMB" > /tmp/rel.log 2>&1; then
			ns=$(sed -n 's/.*munmap_ns=\([0-9]*\).*/\1/p' /tmp/rel.log | head -n 1)
			echo "${d#/dev/} $ns" >> /tmp/times
		else
			show < /tmp/rel.log
			ktap_fail "release on $d (round $r)"
		fi
		swapoff "$d"
	done
done
awk '{ n[$1]++; v[$1, n[$1]] = $2 }
END {
	printf "# demo|   %-6s %s\n", "driver", "munmap of '"$RMB"' MiB swapped out (ms), each run, then the median"
	for (d in n) {
		line = ""
		k = n[d]
		for (i = 1; i <= k; i++) { a[i] = v[d, i]; line = line sprintf(" %8.2f", a[i] / 1000000) }
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		printf "# demo|   %-6s%s   median %.2f\n", d, line, a[int((k + 1) / 2)] / 1000000
	}
}' /tmp/times | sort
nz=$(grep -c '^zram0 ' /tmp/times)
nx=$(grep -c '^zramx0 ' /tmp/times)
[ "$nz" = "$ROUNDS" ] && [ "$nx" = "$ROUNDS" ]
zsf_point $? "release timed $ROUNDS times on zram0 and on zramx0" "$nz and $nx runs"
step "zramxctl --reset $dev; rmmod zramx zsfast"
zramxctl --reset "$dev" && echo 1 > /sys/block/zram0/reset
rmmod zramx && rmmod zsfast
zsf_point $? "reset and rmmod zramx zsfast"
