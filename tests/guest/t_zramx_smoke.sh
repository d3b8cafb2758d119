#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Smoke test of zramx.ko (busybox sh, in the test guest): load, block I/O
# round trips on every compressor, bad input, swap through a tmpfs file
# larger than RAM, the release path, swapoff, reset, rmmod, and zsfast
# back to zero pages.  The full suite is t_zramx_*.sh; this is the
# driver author's quick check.

. "$(dirname "$0")/lib.sh"

KO=${ZSF_DIR:-/zsf}
SYS=/sys/block/zramx0
DEV=/dev/zramx0
ZSTATS=/sys/kernel/debug/zsfast/stats
T=/tmp/zxsmoke
mkdir -p $T

zsf_stat() {
	sed -n "s/^$1: *//p" $ZSTATS 2>/dev/null
}

mm() {
	# shellcheck disable=SC2046
	set -- "$1" $(cat $SYS/mm_stat)
	case $1 in
	orig) echo "$2" ;;
	compr) echo "$3" ;;
	used) echo "$4" ;;
	same) echo "$7" ;;
	huge) echo "$9" ;;
	esac
}

wr() {
	# wr FILE BLOCK4K: write FILE at 4 KiB block BLOCK4K, synchronously
	dd if="$1" of=$DEV bs=4096 seek="$2" conv=notrunc,fsync 2>/dev/null
}

rd_cmp() {
	# rd_cmp FILE BLOCK4K: read back and compare, bypassing the cache
	_n=$(($(stat -c %s "$1") / 4096))
	echo 3 > /proc/sys/vm/drop_caches
	dd if=$DEV of=$T/back bs=4096 skip="$2" count=$_n 2>/dev/null &&
		cmp -s "$1" $T/back
}

# The library compressors zramx links against are stock modules (built
# in on some kernels; modprobe of a built-in one may fail harmlessly).
for m in lz4_compress lz4hc_compress zstd_compress; do
	modprobe $m 2>/dev/null
done
[ -d /sys/module/zsfast ] || insmod $KO/zsfast.ko
if ! ktap_check "insmod zramx.ko" insmod $KO/zramx.ko num_devices=1; then
	exit 1
fi
ktap_check "zramx0 exists" test -b $DEV -a -d $SYS
ktap_check "default algorithm is lzo-rle" grep -q '\[lzo-rle\]' \
	$SYS/comp_algorithm
ktap_check "control class" test -e /sys/class/zramx-control/hot_add

# Test data: compressible text, random (incompressible), same-filled.
seq 1 200000 | head -c 262144 > $T/text
head -c 131072 /dev/urandom > $T/rand
tr '\0' '\377' < /dev/zero | head -c 32768 > $T/ff8
head -c 262144 /dev/zero > $T/zero

for alg in lzo lzo-rle lz4 lz4hc zstd; do
	echo 1 > $SYS/reset
	if ! echo $alg > $SYS/comp_algorithm; then
		ktap_fail "$alg: select"
		continue
	fi
	echo 64M > $SYS/disksize || { ktap_fail "$alg: disksize"; continue; }
	ok=1
	wr $T/text 0 && rd_cmp $T/text 0 || { ok=0; ktap_diag "$alg text"; }
	wr $T/rand 100 && rd_cmp $T/rand 100 || { ok=0; ktap_diag "$alg rand"; }
	wr $T/ff8 200 && rd_cmp $T/ff8 200 || { ok=0; ktap_diag "$alg same"; }
	# Overwrite part of the text with random data and back.
	wr $T/rand 8 && rd_cmp $T/rand 8 || { ok=0; ktap_diag "$alg over"; }
	wr $T/text 0 && rd_cmp $T/text 0 || { ok=0; ktap_diag "$alg over2"; }
	# Sub-page writes through the page cache (read-modify-write).
	printf 'hello' | dd of=$DEV bs=1 seek=1000 conv=notrunc,fsync \
		2>/dev/null
	echo 3 > /proc/sys/vm/drop_caches
	[ "$(dd if=$DEV bs=1 skip=1000 count=5 2>/dev/null)" = hello ] ||
		{ ok=0; ktap_diag "$alg partial"; }
	[ "$ok" = 1 ] && ktap_ok "$alg: round trips" ||
		ktap_fail "$alg: round trips"
	[ "$(mm same)" -ge 8 ] && [ "$(mm huge)" -ge 32 ] &&
		ktap_ok "$alg: same and huge pages counted" ||
		ktap_fail "$alg: same and huge pages counted" \
			"mm_stat: $(cat $SYS/mm_stat)"
	# Discard: the blocks read as zeros and their memory is released.
	before=$(mm orig)
	blkdiscard -o 0 -l 262144 $DEV 2>/dev/null
	rd_cmp $T/zero 0 && [ "$(mm orig)" -lt "$before" ] &&
		ktap_ok "$alg: discard" ||
		ktap_fail "$alg: discard" "mm_stat: $(cat $SYS/mm_stat)"
	ktap_diag "$alg mm_stat: $(cat $SYS/mm_stat)"
done

# Bad input.
ktap_expect_fail "disksize while initialized" sh -c "echo 1G > $SYS/disksize"
ktap_expect_fail "algorithm change while initialized" \
	sh -c "echo lz4 > $SYS/comp_algorithm"
ktap_expect_fail "I/O beyond the end" \
	dd if=$T/text of=$DEV bs=4096 seek=16383 count=2 conv=notrunc,fsync
echo 1 > $SYS/reset
ktap_expect_fail "garbage disksize" sh -c "echo 12xyz > $SYS/disksize"
ktap_expect_fail "zero disksize" sh -c "echo 0 > $SYS/disksize"
ktap_expect_fail "unknown algorithm" sh -c "echo lzma > $SYS/comp_algorithm"
ktap_check "algorithm kept" grep -q '\[lzo-rle\]' $SYS/comp_algorithm
ktap_expect_fail "garbage reset" sh -c "echo x > $SYS/reset"
ktap_expect_fail "garbage mem_limit" sh -c "echo abc > $SYS/mem_limit"

# mem_limit: writes past it fail, and what was stored stays intact.
echo 64M > $SYS/disksize
wr $T/text 0
echo 1M > $SYS/mem_limit
head -c 4194304 /dev/urandom > $T/rand4m
ktap_expect_fail "write past mem_limit fails" wr $T/rand4m 1000
ktap_check "failed_writes counted" test "$(awk "{print \$2}" $SYS/io_stat)" -gt 0
ktap_check "data intact after mem_limit failures" rd_cmp $T/text 0
ktap_check "pool within mem_limit" test "$(mm used)" -le $((1024 * 1024 + 65536))
ktap_diag "mem_limit: mm_stat: $(cat $SYS/mm_stat); io_stat: $(cat $SYS/io_stat)"
rm -f $T/rand4m
echo 1 > $SYS/reset

# hot_add / hot_remove.
id=$(cat /sys/class/zramx-control/hot_add)
ktap_check "hot_add returns an id" test -b /dev/zramx$id
ktap_check "hot_remove" sh -c "echo $id > /sys/class/zramx-control/hot_remove"
ktap_expect_fail "hot_remove of a missing id" \
	sh -c "echo 999 > /sys/class/zramx-control/hot_remove"

# Swap: a tmpfs file larger than the memory it may use goes out to
# zramx0.  A memory cgroup limit of 160 MiB makes the test independent of
# the guest's RAM; without memory cgroups, the file is 1.2 times RAM.
memcg=
if [ -d /sys/fs/cgroup ] && { [ -f /sys/fs/cgroup/cgroup.controllers ] ||
		mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; } &&
		grep -qw memory /sys/fs/cgroup/cgroup.controllers &&
		echo +memory > /sys/fs/cgroup/cgroup.subtree_control &&
		mkdir -p /sys/fs/cgroup/zxsmoke &&
		echo 160M > /sys/fs/cgroup/zxsmoke/memory.max; then
	memcg=/sys/fs/cgroup/zxsmoke
	file_mb=320
else
	mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)
	file_mb=$((mem_kb * 6 / 5 / 1024))
fi
ktap_diag "swap test: ${file_mb} MiB file, memcg: ${memcg:-none}"
echo lz4 > $SYS/comp_algorithm
echo $((file_mb * 2))M > $SYS/disksize
# Stock zram swapped on at the same time, when the guest has it, first
# so that it has the higher priority and fills up before zramx0.
zram=0
if modprobe zram num_devices=1 2>/dev/null && [ -b /dev/zram0 ]; then
	# 6.1's zram reaches its compressors through the crypto API (the
	# lzo-rle module); the guest must have it.
	echo 64M > /sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
		swapon /dev/zram0 && zram=1
	ktap_diag "zram0: $(cat /sys/block/zram0/comp_algorithm)"
	ktap_check "stock zram0 swapped on beside zramx0" \
		grep -q '^/dev/zram0 ' /proc/swaps
else
	ktap_skip "stock zram0 swapped on beside zramx0" "no stock zram module"
fi

ktap_check "mkswap" mkswap $DEV
ktap_check "swapon" swapon $DEV
ktap_expect_fail "reset while swapped on" sh -c "echo 1 > $SYS/reset"
ktap_expect_fail "hot_remove while swapped on" \
	sh -c "echo 0 > /sys/class/zramx-control/hot_remove"
ktap_expect_fail "rmmod while swapped on" rmmod zramx

mkdir -p /mnt/big
mount -t tmpfs -o size=$((file_mb * 2))m tmpfs /mnt/big
seq 1 400000 | head -c 1048576 > $T/chunk
t0=$(cut -d. -f1 /proc/uptime)
# Join the cgroup: the file's pages are charged to it.
[ -n "$memcg" ] && echo $$ > $memcg/cgroup.procs
sum1=$(i=0; while [ $i -lt "$file_mb" ]; do
	echo "chunk $i"; cat $T/chunk; i=$((i + 1)); done |
	tee /mnt/big/f | md5sum)
t1=$(cut -d. -f1 /proc/uptime)
swapped=$(mm orig)
ktap_diag "wrote ${file_mb} MiB in $((t1 - t0)) s; mm_stat: $(cat $SYS/mm_stat)"
ktap_diag "zsfast: $(tr '\n' ' ' < $ZSTATS)"
[ "$swapped" -gt 0 ] && ktap_ok "pages swapped out to zramx0" ||
	ktap_fail "pages swapped out to zramx0"
sum2=$(md5sum < /mnt/big/f)
[ "$sum1" = "$sum2" ] && ktap_ok "data intact after swap-in" ||
	ktap_fail "data intact after swap-in" "$sum1 != $sum2"
rm -f /mnt/big/f
umount /mnt/big
if [ -n "$memcg" ]; then
	echo $$ > /sys/fs/cgroup/cgroup.procs
	rmdir $memcg
fi
ktap_diag "after release: mm_stat: $(cat $SYS/mm_stat); io_stat: $(cat $SYS/io_stat); debug_stat: $(tr '\n' ' ' < $SYS/debug_stat)"
# Other processes' anonymous pages (the shells) may still be swapped
# out, and swap batches its frees per CPU: allow 1/20 of the peak.
ktap_check "released pages freed" test "$(mm orig)" -lt $((swapped / 20))
ktap_check "swapoff" swapoff $DEV
if [ $zram = 1 ]; then
	ktap_diag "zram0 mm_stat: $(cat /sys/block/zram0/mm_stat)"
	ktap_check "stock zram0 was used too (mem_used_max)" \
		test "$(awk '{print $5}' /sys/block/zram0/mm_stat)" -gt 1048576
	ktap_check "stock zram0 swapoff, reset, rmmod" sh -c \
		"swapoff /dev/zram0 && echo 1 > /sys/block/zram0/reset && rmmod zram"
fi
# Only the swap header (block 0, written by mkswap) is left.
ktap_check "only the swap header left after swapoff" \
	test "$(mm orig)" -le 4096 -a "$(mm used)" -lt 65536
ktap_diag "after swapoff: mm_stat: $(cat $SYS/mm_stat)"
ktap_check "reset" sh -c "echo 1 > $SYS/reset"
ktap_check "zsfast pools and pages 0 after reset" \
	test "$(zsf_stat pools)" = 0 -a "$(zsf_stat pages)" = 0
ktap_check "rmmod zramx" rmmod zramx
ktap_check "zsfast pages 0 after rmmod" test "$(zsf_stat pages)" = 0
ktap_check "rmmod zsfast" rmmod zsfast
exit 0
