# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# tools/zramxctl in the guest: listing (zramctl's columns and options),
# --find (with and without a free device, i.e. hot_add), setting up a
# named device, --reset, and every error case: modules missing, device
# busy (swapped on, opened, already set up), bad size, bad algorithm,
# bad device, bad column.  Each error must exit non-zero, say why, and
# leave every device exactly as it was.
#
# zramxctl is looked up on PATH (the rig puts tools/zramxctl in
# /zsf/bin), then next to this script.  Modules: /zsf/zsfast.ko and
# /zsf/zramx.ko (insmod), or installed in /lib/modules (modprobe), in
# which case zramxctl --find must load them itself.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

ZXC=$(command -v zramxctl 2>/dev/null)
[ -z "$ZXC" ] && [ -f "$ZT_DIR/zramxctl" ] && ZXC="sh $ZT_DIR/zramxctl"
if [ -z "$ZXC" ]; then
	ktap_fail "zramxctl is in the guest" "no zramxctl on PATH ($PATH) or in $ZT_DIR"
	exit 1
fi
ktap_ok "zramxctl is in the guest ($ZXC)"

OUT=/tmp/zxc.out
ERR=/tmp/zxc.err

# run zramxctl, stdout to $OUT, stderr to $ERR; returns its status
# ($ZXC_MP, if set, replaces zramxctl's modprobe command.)
zxc() {
	if [ -n "$ZXC_MP" ]; then
		ZRAMXCTL_MODPROBE=$ZXC_MP $ZXC "$@" > $OUT 2> $ERR
	else
		$ZXC "$@" > $OUT 2> $ERR
	fi
}

# The state an error must not change: every device's initstate,
# disksize and algorithm, the swap list, the loaded modules.
zxc_state() {
	for _d in /sys/block/zramx*; do
		[ -d "$_d" ] || continue
		echo "${_d##*/} $(cat "$_d/initstate") $(cat "$_d/disksize") $(zx_algo_selected "$_d") $(cat "$_d/compressed_writeback" 2>/dev/null)"
	done
	awk 'NR > 1 { print "swap", $1 }' /proc/swaps
	for _m in zsfast zramx; do
		[ -d /sys/module/$_m ] && echo "module $_m"
	done
}

# expect_error DESC PATTERN ARGS...: zramxctl ARGS must fail, print a
# message matching PATTERN (grep -E, case-insensitive) on stderr, print
# nothing on stdout, and leave the state unchanged.
expect_error() {
	_desc=$1
	_pat=$2
	shift 2
	_before=$(zxc_state)
	if zxc "$@"; then
		ktap_fail "$_desc" "zramxctl $* succeeded: $(cat $OUT)"
		return 1
	fi
	_after=$(zxc_state)
	_why=
	grep -qiE -- "$_pat" $ERR || _why="stderr does not match '$_pat'"
	[ -s $OUT ] && _why="$_why; stdout not empty: $(head -n 2 $OUT)"
	[ "$_before" = "$_after" ] || _why="$_why; state changed: [$_before] -> [$_after]"
	if [ -z "$_why" ]; then
		ktap_ok "$_desc"
		ktap_diag "  $(head -n 1 $ERR)"
		return 0
	fi
	sed 's/^/# stderr: /' $ERR
	ktap_fail "$_desc" "$_why"
	return 1
}

ndevs() {
	ls -d /sys/block/zramx* 2>/dev/null | wc -l
}

# ---- 1. modules missing ------------------------------------------------
zx_swapoff_all
for m in zramx zsfast; do
	[ -d /sys/module/$m ] && rmmod $m
done
if [ -d /sys/module/zramx ] || [ -d /sys/module/zsfast ]; then
	ktap_fail "start without zramx/zsfast loaded" "rmmod failed"
	exit 1
fi

if modprobe -D zramx > /dev/null 2>&1; then
	# Installed (DKMS, make install, or the rig's extra/): --find loads
	# both modules; a module modprobe cannot find stands in for the
	# missing one.
	installed=1
	ZXC_MP="modprobe zramx_not_installed"
	expect_error "modules missing: --find fails when modprobe fails" \
		"module is not loaded.*'modprobe zramx_not_installed' failed" \
		--find --size 16M
	ZXC_MP=
else
	installed=0
	expect_error "modules missing: --find --size fails with a clear error" \
		"module is not loaded.*modprobe zramx.*failed" --find --size 16M
fi
expect_error "modules missing: listing fails with a clear error" \
	"module is not loaded"
expect_error "modules missing: --reset fails with a clear error" \
	"module is not loaded" --reset /dev/zramx0

if [ $installed = 1 ]; then
	zxc --find && [ -d /sys/module/zsfast ] && [ -d /sys/module/zramx ]
	zsf_point $? "--find loads zramx and zsfast with modprobe ($(cat $OUT))" \
		"$(cat $ERR)" || exit 1
else
	sh "$ZT_DIR/zx_load.sh" "$ZT_KO" num_devices=1 || {
		ktap_fail "insmod zsfast.ko zramx.ko"
		exit 1
	}
fi
zx_wait_path /sys/block/zramx0 && zx_wait_path /dev/zramx0

# Only zramx0 from here on.
for d in /sys/block/zramx*; do
	n=${d##*/zramx}
	[ "$n" = 0 ] || echo "$n" > /sys/class/zramx-control/hot_remove
done

# ---- 2. listing, find, set up -----------------------------------------
zxc && [ ! -s $OUT ]
zsf_point $? "no device set up: listing prints nothing, status 0" \
	"output: $(head -n 3 $OUT) $(cat $ERR)"

algo=$(zx_lz4)
[ -n "$algo" ] || algo=$(zx_algos | cut -d' ' -f1)

zxc --find --size 64M --algorithm $algo && [ "$(cat $OUT)" = /dev/zramx0 ]
zsf_point $? "--find --size 64M --algorithm $algo prints /dev/zramx0" \
	"got '$(cat $OUT)' $(cat $ERR)"
S0=/sys/block/zramx0
[ "$(cat $S0/disksize)" = 67108864 ] && [ "$(zx_algo_selected $S0)" = $algo ] &&
	[ "$(cat $S0/initstate)" = 1 ]
zsf_point $? "--find set disksize 67108864 and algorithm $algo" \
	"disksize $(cat $S0/disksize), $(cat $S0/comp_algorithm)"

# Some data, so DATA/COMPR/TOTAL are not zero: 2 MiB of text-like data.
blkio write /dev/zramx0 0 512 text 1 > /dev/null

zxc
zsf_expect "listing: zramctl's default columns" "$(head -n 1 $OUT | tr -s ' ')" = \
	"NAME ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT"
sed 's/^/#   /' $OUT
row=$(sed -n 2p $OUT | tr -s ' ')
set -- $row
streams=$(cat $S0/max_comp_streams)
[ "$(wc -l < $OUT)" = 2 ] && [ "$1" = /dev/zramx0 ] && [ "$2" = $algo ] &&
	[ "$3" = 64M ] && [ "$7" = "$streams" ] && [ $# = 7 ]
zsf_point $? "listing: one row, /dev/zramx0 $algo 64M ... $streams, no mountpoint" \
	"row: '$row'"
# Columns line up: every row as long as the header, up to MOUNTPOINT.
ktap_check "listing: columns aligned" awk 'NR == 1 { w = index($0, "MOUNTPOINT") }
	NR > 1 && substr($0, w - 1, 1) != " " { bad = 1 } END { exit bad }' $OUT

orig=$(zx_mm orig_data_size)
compr=$(zx_mm compr_data_size)
total=$(zx_mm mem_used_total)
zxc --bytes --raw --noheadings --output NAME,DISKSIZE,DATA,COMPR,TOTAL,ZERO-PAGES
want="/dev/zramx0 67108864 $orig $compr $total $(zx_mm same_pages)"
[ "$(cat $OUT)" = "$want" ] && [ "$orig" -gt 0 ]
zsf_point $? "--bytes --raw --noheadings --output: '$want' (mm_stat)" \
	"got '$(cat $OUT)', want '$want'"
zxc -n -o data,algorithm /dev/zramx0
human=$(awk -v b="$orig" 'BEGIN { s = sprintf("%.1f", b / 1048576); sub(/\.0$/, "", s); print s "M" }')
zsf_expect "-n -o data,algorithm DEVICE: human-readable size ($(cat $OUT))" \
	"$(tr -s ' ' < $OUT)" = "$human $algo"
zxc --output-all /dev/zramx0 && [ "$(head -n 1 $OUT | wc -w)" = 12 ]
zsf_point $? "--output-all: 12 columns" "$(head -n 1 $OUT)"

# No free device: --find hot-adds one.
n0=$(ndevs)
zxc --find --size 32M && [ "$(cat $OUT)" = /dev/zramx1 ] &&
	[ "$(ndevs)" = $((n0 + 1)) ] &&
	[ "$(cat /sys/block/zramx1/disksize)" = 33554432 ] && [ -b /dev/zramx1 ]
zsf_point $? "--find without a free device hot-adds /dev/zramx1 (32M)" \
	"got '$(cat $OUT)' $(cat $ERR), $(ndevs) devices"

# Swap on zramx0.
if mkswap /dev/zramx0 > /dev/null 2>&1 && swapon /dev/zramx0; then
	zxc -n -o name,mountpoint /dev/zramx0
	zsf_expect "swapon: MOUNTPOINT is [SWAP]" "$(tr -s ' ' < $OUT)" = "/dev/zramx0 [SWAP]"
else
	ktap_fail "mkswap and swapon /dev/zramx0"
fi

# ---- 3. errors -----------------------------------------------------------
expect_error "--reset of a swapped-on device: busy" "busy" --reset /dev/zramx0
expect_error "--size on a set-up device: busy" "busy" --size 128M /dev/zramx1
expect_error "--size on a swapped-on device: busy" "busy" --size 128M zramx0

# Opened by a process: only the kernel knows; its -EBUSY is reported.
# shellcheck disable=SC2217 # the redirection is the point: it holds the device open
sleep 60 < /dev/zramx1 &
holder=$!
sleep 0.2
expect_error "--reset of an open device: the kernel's busy error" "busy" --reset /dev/zramx1
kill $holder
wait $holder 2>/dev/null

# A free device for the bad-input cases: hot-added, so the error paths
# must not hot-add another one, nor touch this one.
echo 1 > /sys/block/zramx1/reset
for bad in 0 -1 12Q abc 1..5G 64MBB 0.0001; do
	expect_error "--find --size '$bad': invalid size" "invalid size|requires an argument" \
		--find --size "$bad" --algorithm $algo
done
expect_error "--find --algorithm nosuch (free device): unsupported" \
	"nosuch: unsupported compression algorithm" --find --size 16M --algorithm nosuch
expect_error "--size 16M --algorithm 'lz4;x': unsupported" \
	"unsupported compression algorithm" --size 16M --algorithm 'lz4;x' /dev/zramx1
expect_error "--find --streams 0: invalid" "invalid number of streams" \
	--find --size 16M --streams 0
# No free device: a bad algorithm must not leave a hot-added device.
zxc --size 16M /dev/zramx1 || ktap_diag "cannot set up zramx1: $(cat $ERR)"
expect_error "--find --algorithm nosuch (no free device): nothing hot-added" \
	"unsupported compression algorithm" --find --size 16M --algorithm nosuch
expect_error "--reset of a device that does not exist" "no such device" --reset /dev/zramx9
expect_error "a name that is not a zramx device" "not a zramx device" --reset /dev/sda
expect_error "--output with an unknown column" "unknown column" --output NAME,BOGUS
expect_error "--reset with --size" "cannot be combined" --reset --size 1G /dev/zramx1
expect_error "--find with a device name" "mutually exclusive" --find /dev/zramx1
expect_error "an unknown option" "unrecognized option" --frobnicate

# Algorithm parameters and a backing device (util-linux 2.41's
# --algorithm-params; --backing-dev is zramxctl's own).
echo 1 > /sys/block/zramx1/reset
expect_error "--algorithm-params level=99 for zstd: refused, undone" \
	"cannot write .* to disksize: Invalid argument" \
	--size 16M --algorithm zstd --algorithm-params level=99 /dev/zramx1
expect_error "--algorithm-params with a missing dictionary: refused, undone" \
	"No such file" --size 16M --algorithm zstd \
	--algorithm-params "level=3 dict=/nonexistent" /dev/zramx1
expect_error "--backing-dev that is no block device: refused, undone" \
	"Block device required" --size 16M --backing-dev /dev/null /dev/zramx1
expect_error "--compressed-writeback, then a bad --backing-dev: refused, undone" \
	"Block device required" --size 16M --compressed-writeback \
	--backing-dev /dev/null /dev/zramx1
expect_error "--algorithm-params without --size" "need --size" \
	--algorithm-params level=3 /dev/zramx1
if ! modprobe brd rd_nr=1 rd_size=4096 2>/dev/null; then
	ktap_skip "--backing-dev /dev/ram0" "no brd module in this guest"
elif zx_wait_path /dev/ram0 &&
   zxc --size 16M --algorithm zstd --algorithm-params level=1 \
	--backing-dev /dev/ram0 --compressed-writeback /dev/zramx1 &&
   [ "$(cat /sys/block/zramx1/backing_dev)" = /dev/ram0 ] &&
   [ "$(cat /sys/block/zramx1/compressed_writeback)" = 1 ] &&
   [ "$(zx_algo_selected /sys/block/zramx1)" = zstd ]; then
	ktap_ok "--algorithm zstd --algorithm-params level=1 --backing-dev /dev/ram0 --compressed-writeback"
else
	ktap_fail "--algorithm zstd --algorithm-params level=1 --backing-dev /dev/ram0 --compressed-writeback" \
		"$(cat $ERR)"
fi
zxc --reset /dev/zramx1
echo 0 > /sys/block/zramx1/compressed_writeback
rmmod brd 2>/dev/null

# ---- 4. reset ------------------------------------------------------------
zxc --reset /dev/zramx1 && [ "$(cat /sys/block/zramx1/initstate)" = 0 ] &&
	[ "$(cat /sys/block/zramx1/disksize)" = 0 ]
zsf_point $? "--reset /dev/zramx1: initstate 0, disksize 0" "$(cat $ERR)"
swapoff /dev/zramx0
zxc --reset zramx0 && zx_mm_empty $S0 && [ "$(cat $S0/initstate)" = 0 ]
zsf_point $? "swapoff, --reset zramx0: empty and uninitialized" \
	"$(cat $ERR); mm_stat $(cat $S0/mm_stat)"
zxc && [ ! -s $OUT ]
zsf_point $? "after reset: listing prints nothing" "$(cat $OUT)"
# --find now reuses the first free device, without hot_add.
n0=$(ndevs)
zxc --find && [ "$(cat $OUT)" = /dev/zramx0 ] && [ "$(ndevs)" = $n0 ] &&
	[ "$(cat $S0/initstate)" = 0 ]
zsf_point $? "--find without --size: prints the first free device, sets nothing up" \
	"'$(cat $OUT)' $(cat $ERR)"

# No device at all: --find must hot-add one to see its algorithms, and
# remove it again when the algorithm is bad.
for d in /sys/block/zramx*; do
	echo "${d##*/zramx}" > /sys/class/zramx-control/hot_remove
done
if [ "$(ndevs)" = 0 ]; then
	expect_error "--find --algorithm nosuch (no device at all): hot-added device removed" \
		"unsupported compression algorithm" --find --size 16M --algorithm nosuch
else
	ktap_fail "hot_remove every device" "$(ndevs) left"
fi
rmmod zramx && rmmod zsfast
zsf_point $? "rmmod zramx zsfast"

# ---- 5. the systemd unit's helper (tools/systemd/zramx-swap) ----------
ZXS=$(command -v zramx-swap 2>/dev/null)
if [ -z "$ZXS" ]; then
	ktap_fail "zramx-swap (tools/systemd) is in the guest" "not on PATH"
	exit 1
fi
mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
# disksize is page-aligned (PAGE_ALIGN in disksize_store).
want=$(( (mem_kb * 25 / 100 * 1024 + ZT_PAGE_SIZE - 1) / ZT_PAGE_SIZE * ZT_PAGE_SIZE ))
export ZRAMX_STATE=/run/zramx-swap-test
if [ $installed = 0 ]; then
	# zramx-swap's default is modprobe; here the modules are in $ZT_KO.
	export ZRAMX_MODPROBE="sh $ZT_DIR/zx_load.sh $ZT_KO num_devices=1"
fi
prio=77
if ! swapon --help 2>&1 | grep -q -- '-p'; then
	ktap_diag "this swapon has no -p: the priority is not checked"
	prio='*'
fi
ZRAMX_SIZE=25% ZRAMX_ALGORITHM=$algo ZRAMX_PRIORITY=77 $ZXS start 2> $ERR &&
	awk -v p="$prio" 'NR > 1 && $1 == "/dev/zramx0" && (p == "*" || $5 == p) { f = 1 } END { exit !f }' /proc/swaps &&
	[ "$(cat $S0/disksize)" = $want ] && [ "$(zx_algo_selected $S0)" = $algo ]
zsf_point $? "zramx-swap start: modprobe, 25% of RAM ($want), $algo, swapon (priority $prio)" \
	"$(cat $ERR /proc/swaps)" "disksize $(cat $S0/disksize 2>&1), want $want"
$ZXS stop 2> $ERR && ! grep -q zramx /proc/swaps &&
	[ ! -d /sys/module/zramx ] && [ ! -d /sys/module/zsfast ]
zsf_point $? "zramx-swap stop: swapoff, reset, modules unloaded" \
	"$(cat $ERR /proc/swaps)" "$(lsmod | grep -E 'zramx|zsfast')"
# Idle writeback to a backing device, as zramx-writeback.timer runs it.
if ! modprobe brd rd_nr=1 rd_size=65536 2>/dev/null; then
	ktap_skip "zramx-swap writeback to /dev/ram0" "no brd module in this guest"
elif zx_wait_path /dev/ram0 &&
   ZRAMX_SIZE=64M ZRAMX_ALGORITHM=$algo ZRAMX_WRITEBACK_DEVICE=/dev/ram0 \
	ZRAMX_WRITEBACK_COMPRESSED=1 $ZXS start 2> $ERR; then
	zsf_expect "zramx-swap start: ZRAMX_WRITEBACK_COMPRESSED=1 sets compressed_writeback" \
		"$(cat $S0/compressed_writeback)" = 1
	zsf_hog_start /tmp/zxs-hog 8 600
	# Access times are whole seconds: 2.5 s make every page of the
	# hog (8 MiB, 2048 units) older than 1 s by that clock.
	sleep 2.5
	ZRAMX_WRITEBACK_DEVICE=/dev/ram0 ZRAMX_WRITEBACK_IDLE_SEC=1 \
		$ZXS writeback 2> $ERR &&
		[ "$(awk '{ print $1 }' $S0/bd_stat)" -ge 2048 ]
	zsf_point $? "zramx-swap writeback: idle pages on /dev/ram0 ($(cat $ERR))" \
		"bd_stat $(cat $S0/bd_stat)"
	zsf_hog_end /tmp/zxs-hog
	zsf_point $? "the written-back pages came back intact"
	ktap_check "zramx-swap stop" $ZXS stop
else
	sed 's/^/# /' $ERR
	ktap_fail "zramx-swap start with ZRAMX_WRITEBACK_DEVICE=/dev/ram0, compressed"
fi
rmmod brd 2>/dev/null
ktap_check "zramx-swap writeback without a backing device does nothing" \
	env ZRAMX_WRITEBACK_DEVICE= $ZXS writeback

before=$(zxc_state)
! ZRAMX_SIZE=16M ZRAMX_ALGORITHM=nosuch $ZXS start 2> $ERR &&
	[ "$(zxc_state)" = "$before" ] && grep -q "unsupported compression" $ERR
zsf_point $? "zramx-swap start with a bad algorithm fails, everything undone" \
	"$(cat $ERR)" "state [$before] -> [$(zxc_state)]"
