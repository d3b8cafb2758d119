# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Memory efficiency: the same corpus of page contents stored on stock
# zram (the kernel's zsmalloc) and on zramx (zsfast), with the same
# algorithm and disksize; run by bench/run.sh (make bench), not by make
# check.
#
# The corpus (bench.mem_mb MiB, default 64), made in the guest's tmpfs
# from what the guest holds, in this order:
#   text      40%  /proc/kallsyms and the test scripts, repeated
#   binaries  30%  the static test programs, our modules and the stock
#                  modules of the guest (ELF), repeated
#   zero      10%  zero pages (same-filled: no object)
#   random    20%  /dev/urandom (incompressible: the huge class)
# For each algorithm (bench.mem_algos, default lz4,zstd) and backend,
# interleaved: a fresh device, the corpus written (dd, fsync), then
#   full       as written
#   holed      every other 64 KiB of the data part overwritten with
#              zeros, freeing half the objects, spread over every class
#   compacted  after `echo 1 > compact`
# and at each step one line
#   # MEM be=stock|zramx algo=A phase=P orig=B compr=B mem=B pages=N
# (mm_stat's orig_data_size, compr_data_size, mem_used_total in bytes;
# pages_compacted), which bench/report.sh turns into mem/orig (RAM per
# stored byte) and compr/mem (the share of the pool's memory that holds
# data: 1 - the allocator's waste).
#
# Points fail only on wrong results: the device's content read back
# differs from what was written, or mm_stat is not back at zero after
# reset.

. "$(dirname "$0")/bench_lib.sh"

MB=$(zsf_cmdline bench.mem_mb 64)
ALGOS=$(zsf_cmdline bench.mem_algos lz4,zstd | tr ',' ' ')
PG=$ZT_PAGE_SIZE
W=/tmp/bench-memory
CORPUS=$W/corpus
EXPECT=$W/expect
HOLE_KB=64
rm -rf $W
mkdir -p $W

# fill FILE KIB SOURCE...: FILE gets KIB KiB of the SOURCEs, repeated.
fill() {
	_out=$1 _kb=$2
	shift 2
	: > "$_out.src"
	cat "$@" > "$_out.src" 2>/dev/null
	[ -s "$_out.src" ] || return 1
	: > "$_out"
	while [ "$(($(wc -c < "$_out") / 1024))" -lt "$_kb" ]; do
		cat "$_out.src" >> "$_out"
	done
	head -c $((_kb * 1024)) "$_out" > "$_out.cut" && mv "$_out.cut" "$_out"
	rm -f "$_out.src"
}

kb=$((MB * 1024))
cat /proc/kallsyms > $W/kallsyms
mods=$(find /lib/modules -name '*.ko' 2>/dev/null)
# shellcheck disable=SC2086 # $mods: one word per module file
if fill $W/text $((kb * 40 / 100)) $W/kallsyms "$ZT_DIR"/*.sh &&
	fill $W/bin $((kb * 30 / 100)) "$ZT_BIN"/* "$ZT_KO"/*.ko $mods &&
	head -c $((kb * 1024 / 10)) /dev/zero > $W/zero &&
	head -c $((kb * 1024 / 5)) /dev/urandom > $W/random &&
	cat $W/text $W/bin $W/zero $W/random > $CORPUS; then
	rm -f $W/text $W/bin $W/zero $W/random $W/kallsyms
	ktap_ok "MEM: corpus of $MB MiB (text 40%, binaries 30%, zero 10%, random 20%)"
else
	ktap_fail "MEM: corpus of $MB MiB"
	exit 1
fi
BYTES=$(wc -c < $CORPUS)
DISK=$((MB + 16))M
ktap_diag "MEM config kernel=$(uname -r) mb=$MB page=$PG algos=$ALGOS hole_kb=$HOLE_KB"

# holes FILE CONV: every other HOLE_KB of the corpus's length zeroed in
# FILE (the holes start at the first chunk).
holes() {
	for _i in $(seq 0 2 $((BYTES / 1024 / HOLE_KB - 1))); do
		dd if=/dev/zero of="$1" bs=${HOLE_KB}k seek="$_i" count=1 \
			conv="$2" 2>/dev/null || return 1
	done
}

# The expected content after the holes.
cp $CORPUS $EXPECT
holes $EXPECT notrunc

zx_swapoff_all
modprobe lz4_compress 2>/dev/null
modprobe zstd 2>/dev/null
ktap_check "MEM: load zram and zramx" bench_load || exit 1

# line BE ALGO PHASE SYS
line() {
	ktap_diag "MEM be=$1 algo=$2 phase=$3 orig=$(zx_mm orig_data_size "$4") compr=$(zx_mm compr_data_size "$4") mem=$(zx_mm mem_used_total "$4") pages=$(zx_mm pages_compacted "$4")"
}

# run BE ALGO
run() {
	_be=$1 _a=$2
	bench_dev "$_be"
	_id="MEM $_be $_a"
	if ! zx_setup "$_a" "$DISK" "$SYS" ||
		[ "$(zx_algo_selected "$SYS")" != "$_a" ]; then
		ktap_skip "$_id" "$_a not offered by $_be"
		return
	fi
	if ! dd if=$CORPUS of="$DEV" bs=1M conv=fsync 2>/dev/null; then
		ktap_fail "$_id: write the corpus"
		return
	fi
	line "$_be" "$_a" full "$SYS"
	holes "$DEV" notrunc,fsync
	line "$_be" "$_a" holed "$SYS"
	zx_set 1 "$SYS"/compact
	line "$_be" "$_a" compacted "$SYS"
	# Drop the page cache's copy, so that the device is read.
	echo 3 > /proc/sys/vm/drop_caches
	ktap_check "$_id: content read back as written" \
		eval 'head -c "$BYTES" "$DEV" | cmp - $EXPECT'
	zx_set 1 "$SYS"/reset
	zx_mm_empty "$SYS" || ktap_fail "$_id: mm_stat empty after reset" \
		"$(cat "$SYS"/mm_stat)"
}

for a in $ALGOS; do
	for be in stock zramx; do
		run $be "$a"
	done
done
rm -rf $W
