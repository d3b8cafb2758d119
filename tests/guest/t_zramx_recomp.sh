# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Idle marking, algorithm parameters and recompression on
# /dev/${ZDRV}0: recomp_algorithm, algorithm_params, idle and recompress
# take what stock zram takes and refuse the rest with its errno, leaving
# the device as it was; a level changes what is stored; dictionaries
# work (lz4's everywhere, lz4hc's and zstd's from 6.12); recompression shrinks what it should
# (only idle slots with type=idle, at most max_pages), and every page
# reads back intact afterwards, also through swap with recompression
# running beside the workload; nothing is left after reset.
#
# On stock zram (zdrv=zram) an attribute the kernel lacks is skipped:
# Debian builds zram without recompression, 6.1's has neither idle ages
# nor algorithm_params.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load
zx_swapoff_all

RA=$ZSYS/recomp_algorithm
AP=$ZSYS/algorithm_params
RC=$ZSYS/recompress

compr() {
	zx_mm compr_data_size
}

# --- recomp_algorithm ------------------------------------------------
zx_fresh
if zx_has recomp_algorithm "recomp_algorithm"; then
	ktap_check "recomp_algorithm: empty on a fresh device" test -z "$(cat $RA)"
	zx_expect_errno "recomp_algorithm: no algo" "$EINVAL" "priority=1" $RA
	zx_expect_errno "recomp_algorithm: unknown algo" "$EINVAL" "algo=nope" $RA
	zx_expect_errno "recomp_algorithm: priority 0" "$EINVAL" "algo=zstd priority=0" $RA
	zx_expect_errno "recomp_algorithm: priority 4" "$EINVAL" "algo=zstd priority=4" $RA
	zx_expect_errno "recomp_algorithm: key without a value" "$EINVAL" "algo=" $RA
	zx_expect_errno "recomp_algorithm: priority not a number" "$EINVAL" \
		"algo=zstd priority=x" $RA
	ktap_check "recomp_algorithm: still empty after bad input" \
		test -z "$(cat $RA)"
	zx_expect_write "recomp_algorithm: algo=zstd" "algo=zstd" $RA
	zx_expect_write "recomp_algorithm: algo=lz4hc priority=3" \
		"algo=lz4hc priority=3" $RA
	got=$(tr '\n' '|' < $RA)
	case $got in
	"#1: "*"[zstd]"*"|#3: "*"[lz4hc]"*"|") ktap_ok "recomp_algorithm: lists #1 zstd and #3 lz4hc" ;;
	*) ktap_fail "recomp_algorithm: lists #1 zstd and #3 lz4hc" "got $got" ;;
	esac
	ktap_check "disksize with secondary algorithms" zx_set 8M $ZSYS/disksize
	zx_expect_errno "recomp_algorithm: busy once initialized" "$EBUSY" "algo=lz4" $RA
	zx_fresh
	ktap_check "reset forgets the secondary algorithms" test -z "$(cat $RA)"
fi

# --- algorithm_params ------------------------------------------------
if zx_has algorithm_params "algorithm_params"; then
	zx_fresh
	zx_expect_errno "algorithm_params: level not a number" "$EINVAL" "level=abc" $AP
	zx_expect_errno "algorithm_params: key without a value" "$EINVAL" "level=" $AP
	zx_expect_errno "algorithm_params: algo not selected" "$EINVAL" \
		"algo=zstd level=3" $AP
	zx_expect_errno "algorithm_params: unknown algo" "$EINVAL" "algo=nope level=3" $AP
	zx_expect_errno "algorithm_params: priority 4" "$EINVAL" "priority=4 level=3" $AP
	zx_expect_errno "algorithm_params: missing dictionary" "$ENOENT" \
		"dict=/nonexistent" $AP
	: > /tmp/zx_empty.dict
	zx_expect_errno "algorithm_params: empty dictionary" "$EINVAL" \
		"dict=/tmp/zx_empty.dict" $AP

	# A level the algorithm refuses fails initialization, and leaves
	# the device with its settings.
	zx_set zstd $ZSYS/comp_algorithm
	zx_expect_write "algorithm_params: algo=zstd level=99 taken" \
		"algo=zstd level=99" $AP
	zx_expect_errno "disksize: zstd level 99 refused" "$EINVAL" 8M $ZSYS/disksize
	ktap_check "device still uninitialized, zstd still selected" \
		test "$(cat $ZSYS/initstate)/$(zx_algo_selected)" = 0/zstd
	zx_set lzo $ZSYS/comp_algorithm
	zx_expect_write "algorithm_params: level=3 for lzo taken" "level=3" $AP
	zx_expect_errno "disksize: level for lzo not supported" "$EOPNOTSUPP" 8M \
		$ZSYS/disksize
	zx_set lzo $ZSYS/comp_algorithm
	ktap_check "selecting the algorithm again forgets its parameters" \
		zx_set 8M $ZSYS/disksize
	zx_expect_errno "algorithm_params: busy once initialized" "$EBUSY" "level=1" $AP
	zx_fresh
	zx_set lz4 $ZSYS/comp_algorithm
	zx_set "level=99" $AP
	zx_fresh
	ktap_check "reset forgets the parameters" zx_set 8M $ZSYS/disksize

	# lz4's level is its acceleration: a high one stores more.
	for lvl in 1 1000; do
		zx_fresh && zx_set lz4 $ZSYS/comp_algorithm &&
			zx_set "algo=lz4 level=$lvl" $AP && zx_set 8M $ZSYS/disksize &&
			blkio write $ZDEV $ZX_T0 $ZX_TN text 7 > /dev/null
		eval "lz4_$lvl=$(compr)"
		ktap_check "lz4 level=$lvl: text pages read back" \
			blkio verify $ZDEV $ZX_T0 $ZX_TN text 7
	done
	# shellcheck disable=SC2154
	zsf_expect "lz4 level=1000 stores more than level=1 ($lz4_1000 > $lz4_1)" \
		"$lz4_1000" -gt "$lz4_1"

	# Dictionaries: lz4's everywhere, lz4hc's and zstd's where the
	# kernel has what they need (6.12+); lz4 keeps at most 64 KiB.
	cat /zsf/doc/*.rst /zsf/doc/*.rst /zsf/doc/*.rst > /tmp/zx.dict
	head -c 60000 /tmp/zx.dict > /tmp/zx64.dict
	for ad in zstd:/tmp/zx.dict lz4:/tmp/zx64.dict lz4hc:/tmp/zx64.dict; do
		a=${ad%%:*}
		d=${ad#*:}
		zx_fresh
		zx_set $a $ZSYS/comp_algorithm
		zx_expect_write "algorithm_params: $a with a dictionary" \
			"algo=$a dict=$d" $AP
		case $(uname -r)/$a in
		6.1.*/zstd | 6.1.*/lz4hc)
			zx_expect_errno "disksize: $a dictionary not supported on 6.1" \
				"$EOPNOTSUPP" 8M $ZSYS/disksize
			continue ;;
		esac
		zx_set 8M $ZSYS/disksize && zx_fill_layout ||
			ktap_diag "$a with a dictionary: cannot set the device up and write it"
		ktap_check "$a with a dictionary: every page reads back" zx_intact_layout
	done
	zx_fresh
	zx_set lz4 $ZSYS/comp_algorithm
	zx_set "dict=/tmp/zx.dict" $AP
	zx_expect_errno "disksize: lz4 dictionary over 64 KiB refused" "$EINVAL" \
		8M $ZSYS/disksize
	zx_fresh
fi

# --- idle and recompress ---------------------------------------------
if zx_has recompress "recompress" && zx_has idle "idle"; then
	zx_expect_errno "idle: not initialized" "$EINVAL" all $ZSYS/idle
	zx_expect_errno "recompress: not initialized" "$EINVAL" "type=idle" $RC
	zx_set lz4 $ZSYS/comp_algorithm
	zx_set "algo=zstd" $RA
	zx_set 8M $ZSYS/disksize && zx_fill_layout
	zsf_point $? "lz4 device with zstd for recompression, written"
	zx_expect_errno "idle: garbage" "$EINVAL" abc $ZSYS/idle
	zx_expect_errno "idle: negative" "$EINVAL" -1 $ZSYS/idle
	zx_expect_write "idle: an age above the uptime marks nothing" 4000000000 \
		$ZSYS/idle
	c0=$(compr)
	h0=$(zx_mm huge_pages)
	zx_expect_errno "recompress: unknown type" "$EINVAL" "type=cold" $RC
	zx_expect_errno "recompress: threshold too large" "$EINVAL" \
		"threshold=100000" $RC
	zx_expect_errno "recompress: no algorithm at priority 2" "$EINVAL" \
		"priority=2" $RC
	zx_expect_errno "recompress: algo not a secondary one" "$EINVAL" "algo=lz4" $RC
	zx_expect_errno "recompress: algo and priority disagree" "$EINVAL" \
		"algo=zstd priority=2" $RC
	zx_expect_errno "recompress: key without a value" "$EINVAL" "max_pages=" $RC
	zx_expect_write "recompress type=idle with nothing idle" "type=idle" $RC
	ktap_check "nothing changed ($c0 bytes stored)" test "$(compr)" = "$c0"

	# Mark all idle, then read the first half of the text pages: they
	# are no longer idle and stay as they are.
	zx_expect_write "idle all" all $ZSYS/idle
	blkio verify $ZDEV $ZX_T0 $((ZX_TN / 2)) text 7 > /dev/null
	zx_expect_write "recompress type=idle max_pages=1" "type=idle max_pages=1" $RC
	c1=$(compr)
	[ "$c1" -lt "$c0" ] && [ $((c0 - c1)) -le 4096 ]
	zsf_point $? "max_pages=1: one page smaller ($c0 -> $c1)"
	zx_expect_write "recompress type=idle" "type=idle" $RC
	c2=$(compr)
	zx_expect_write "recompress, every type" "algo=zstd" $RC
	c3=$(compr)
	[ "$c2" -lt "$c1" ] && [ "$c3" -lt "$c2" ]
	zsf_point $? "type=idle left the pages read since idle marking ($c1 -> $c2 -> $c3)"
	zx_expect_write "recompress type=huge" "type=huge" $RC
	ktap_check "incompressible pages stay whole ($h0)" \
		test "$(zx_mm huge_pages)" = "$h0"
	ktap_check "every page reads back after recompression" zx_intact_layout
	ktap_check "no failed reads" test "$(zx_io failed_reads)" = 0
	zx_fresh

	# Swap with idle marking and recompression running beside it.
	zx_set lz4 $ZSYS/comp_algorithm
	zx_set "algo=zstd" $RA
	mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	zx_set "$((mem_kb * 3))K" $ZSYS/disksize &&
		mkswap $ZDEV >/dev/null 2>&1 && swapon $ZDEV
	zsf_point $? "swap on lz4 with zstd for recompression"
	zx_swapcheck_beside recompression recompress type=idle
	zx_diag_mm
	[ $ZX_RUNS -ge 1 ] && [ $ZX_IDLE_ERRS$ZX_ATTR_ERRS = 00 ]
	zsf_point $? "idle and recompress ran $ZX_RUNS times during swap, no error" \
		"$ZX_IDLE_ERRS + $ZX_ATTR_ERRS errors"
	ktap_check "no failed reads or writes" \
		test "$(zx_io failed_reads)/$(zx_io failed_writes)" = 0/0
	ktap_check "swapoff" swapoff $ZDEV
	ktap_check "reset" zx_fresh
	zx_expect_pool_empty
fi
