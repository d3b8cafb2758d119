# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Block I/O round trip on /dev/${ZDRV}0, on every compressor the device
# lists: incompressible, text-like, same-filled (several values, zero
# included) and mixed pages written and read back with O_DIRECT; partial
# overwrites, O_DIRECT and buffered sub-page read-modify-write; discard
# followed by reads of zeros; I/O beyond the end; and mm_stat moving as
# it should (same_pages, huge_pages, orig_data_size), with the pool's
# pages in /proc/vmstat's nr_zspages.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load

# Layout, in 4 KiB pages, of a 16 MiB device (4096 pages).
R0=0		# random (incompressible), 512 pages
T0=512		# text-like, 512 pages
S0=1024		# same-filled with varying values, 256 pages
Z0=1280		# zero-filled, 256 pages
M0=1536		# mixed, 1024 pages
NP=2560		# pages written in total
# The mixed pattern (zt_pattern.h): per 8 pages, one random, one zero,
# one same-filled.
MIX_SAME=$((1024 / 8 * 2))
MIX_RANDOM=$((1024 / 8))

# blk_all OP RANGE...: blkio OP $ZDEV RANGE ("START COUNT PATTERN SEED")
# for every RANGE, even after one failed; 0 iff all succeeded.
blk_all() {
	_op=$1 _rc=0
	shift
	for _r in "$@"; do
		# shellcheck disable=SC2086 # RANGE splits into its words
		blkio $_op $ZDEV $_r >&2 || _rc=1
	done
	return $_rc
}

n=0
for algo in $(zx_algos); do
	n=$((n + 1))
	s=$((n * 100))		# per-algorithm seeds: stale data shows
	a="$algo:"

	if ! zx_setup "$algo" 16M; then
		ktap_fail "$a setup (reset, comp_algorithm, disksize)"
		continue
	fi
	zsp0=$(zsf_nr_zspages)
	sel=$(zx_algo_selected)
	zsf_expect "$a algorithm selected" "$sel" = "$algo"

	ktap_check "$a fresh device reads zeros" \
		blkio verify $ZDEV 0 4096 zero 0

	set -- "$R0 512 random $((s + 1))" "$T0 512 text $((s + 2))" \
		"$S0 256 same $((s + 3))" "$Z0 256 zero 0" "$M0 1024 mixed $((s + 4))"
	blk_all write "$@"
	zsf_point $? "$a O_DIRECT writes"
	zx_diag_mm

	zsf_expect "$a orig_data_size counts every page" \
		"$(zx_mm orig_data_size)" -eq $((NP * 4096))
	zsf_expect "$a same_pages counts same-filled and zero pages" \
		"$(zx_mm same_pages)" -eq $((256 + 256 + MIX_SAME))
	zsf_expect "$a huge_pages counts incompressible pages" \
		"$(zx_mm huge_pages)" -ge $((512 + MIX_RANDOM))
	zsf_expect "$a huge_pages not more than the non-compressible pages" \
		"$(zx_mm huge_pages)" -le $((512 + MIX_RANDOM * 2))
	zsf_expect "$a compr_data_size below orig_data_size" \
		"$(zx_mm compr_data_size)" -lt "$(zx_mm orig_data_size)"
	zsf_expect "$a mem_used_total nonzero" "$(zx_mm mem_used_total)" -gt 0
	zsf_expect "$a nr_zspages in /proc/vmstat counts the pool's pages" \
		$(($(zsf_nr_zspages) - zsp0)) \
		-eq $(($(zx_mm mem_used_total) / ZT_PAGE_SIZE))

	blk_all verify "$@" "$NP $((4096 - NP)) zero 0"
	zsf_point $? "$a O_DIRECT read back of every pattern"

	# Partial overwrites: random over part of the random region, text
	# over part of the zero region (same -> compressed), zero over part
	# of the text region (compressed -> same), with 4K O_DIRECT writes.
	same0=$(zx_mm same_pages)
	blk_all "-c 1 write" "100 50 random $((s + 11))"
	ok=$?
	blk_all "-c 3 write" "$((Z0 + 10)) 20 text $((s + 12))" || ok=1
	blk_all write "$((T0 + 200)) 8 zero 0" || ok=1
	blk_all verify "0 100 random $((s + 1))" "100 50 random $((s + 11))" \
		"150 362 random $((s + 1))" "$Z0 10 zero 0" \
		"$((Z0 + 10)) 20 text $((s + 12))" "$((Z0 + 30)) 226 zero 0" \
		"$T0 200 text $((s + 2))" "$((T0 + 200)) 8 zero 0" \
		"$((T0 + 208)) 304 text $((s + 2))" && [ $ok = 0 ]
	zsf_point $? "$a partial O_DIRECT overwrites read back"
	zsf_expect "$a same_pages follows overwrites (-20 +8)" \
		"$(zx_mm same_pages)" -eq $((same0 - 20 + 8))
	zsf_expect "$a orig_data_size unchanged by overwrites" \
		"$(zx_mm orig_data_size)" -eq $((NP * 4096))

	# Buffered sub-page writes + fsync: read-modify-write of text pages
	# and of same-filled pages (which stop being same-filled).
	same0=$(zx_mm same_pages)
	ktap_check "$a buffered sub-page RMW on text pages" \
		blkio rmw $ZDEV $((T0 + 300)) 64 text $((s + 2)) $((s + 21))
	ktap_check "$a buffered sub-page RMW on same-filled pages" \
		blkio rmw $ZDEV $S0 16 same $((s + 3)) $((s + 22))
	zsf_expect "$a same_pages drops by the 16 patched pages" \
		"$(zx_mm same_pages)" -eq $((same0 - 16))
	ktap_check "$a pages next to the RMW ones intact" \
		blkio verify $ZDEV $((S0 + 16)) 240 same $((s + 3))

	# Discard the random region: reads give zeros, stats drop.
	huge0=$(zx_mm huge_pages)
	orig0=$(zx_mm orig_data_size)
	ktap_check "$a BLKDISCARD of 512 pages" blkio discard $ZDEV $R0 512
	ktap_check "$a discarded pages read zeros" \
		blkio verify $ZDEV $R0 512 zero 0
	ktap_check "$a pages after the discarded range intact" \
		blkio verify $ZDEV $M0 1024 mixed $((s + 4))
	zsf_expect "$a orig_data_size drops by the discarded pages" \
		"$(zx_mm orig_data_size)" -eq $((orig0 - 512 * 4096))
	zsf_expect "$a huge_pages drops by the discarded huge pages" \
		"$(zx_mm huge_pages)" -le $((huge0 - 512))

	ktap_check "$a I/O beyond the end fails, straddling I/O stops at it" \
		blkio beyond $ZDEV

	# Reset frees everything.
	zx_fresh && zx_mm_empty
	zsf_point $? "$a reset empties mm_stat" "mm_stat: $(cat $ZSYS/mm_stat)"
	zsf_expect "$a reset gives nr_zspages back" "$(zsf_nr_zspages)" -eq "$zsp0"
done

if [ $n -eq 0 ]; then
	ktap_fail "device lists at least one algorithm" \
		"comp_algorithm: $(cat $ZSYS/comp_algorithm)"
else
	ktap_diag "algorithms tested: $(zx_algos)"
fi
