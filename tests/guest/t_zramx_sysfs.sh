# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Every sysfs attribute of /sys/block/${ZDRV}0 and ${ZDRV}-control: modes,
# formats, and every bad input the ABI rejects (each must fail cleanly and
# lose nothing): garbage or busy disksize, unknown or late algorithm,
# reset / hot_remove / rmmod while in use, I/O past the end, mem_limit,
# compact, max_comp_streams, and no kernel address in any attribute or
# debugfs file.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load
zx_swapoff_all

# expect_set_fails DESC VALUE FILE: writing VALUE to FILE must fail.
expect_set_fails() {
	zx_expect_errno "$1" "" "$2" "$3"
}

numeric_fields() {
	# numeric_fields N TEXT: TEXT is exactly N unsigned decimal fields
	_want=$1
	shift
	# Word splitting is the point here.
	# shellcheck disable=SC2048,SC2086
	set -- $*
	[ $# -eq "$_want" ] || return 1
	for _x in "$@"; do
		case $_x in
		'' | *[!0-9]*) return 1 ;;
		esac
	done
	return 0
}

algos=$(zx_algos)
set -- $algos
A=$1
B=${2:-$1}
ktap_diag "$ZDRV algorithms: $algos (A=$A B=$B)"

# --- modes -----------------------------------------------------------
zx_fresh
for am in disksize:644 initstate:444 reset:200 comp_algorithm:644 \
	max_comp_streams:644 mem_limit:200,644 mem_used_max:200,644 \
	compact:200,644 mm_stat:444 io_stat:444 debug_stat:444 \
	ctl/hot_add:400,444 ctl/hot_remove:200,644; do
	a=${am%%:*}
	want=${am#*:}
	case $a in
	ctl/*) f=$ZCTL/${a#ctl/} ;;
	*) f=$ZSYS/$a ;;
	esac
	if [ ! -f "$f" ]; then
		ktap_fail "attribute $a exists" "no $f"
		continue
	fi
	m=$(stat -c %a "$f")
	case ",$want," in
	*,$m,*) ktap_ok "attribute $a mode $m" ;;
	*) ktap_fail "attribute $a mode $m" "want one of $want" ;;
	esac
done

bad=
for f in $ZSYS/* $ZCTL/* /sys/module/$ZDRV/parameters/*; do
	[ -f "$f" ] || continue
	m=$(stat -c %a "$f")
	case $m in
	*[2367] | *[2367]?) bad="$bad $f:$m" ;;
	esac
	[ "$(stat -c %u "$f")" = 0 ] || bad="$bad $f:uid$(stat -c %u "$f")"
done
zsf_expect "no attribute writable by group or others, all owned by root" \
	"$bad" = ""

[ -r /sys/module/$ZDRV/parameters/num_devices ] || ! zx_is_zramx
zsf_point $? "num_devices module parameter"

# --- formats, uninitialized --------------------------------------------
zsf_expect "initstate 0 after reset" "$(cat $ZSYS/initstate)" = 0
ca=$(cat $ZSYS/comp_algorithm)
nsel=$(echo "$ca" | tr ' ' '\n' | grep -c '^\[[a-z0-9-]*\]$')
nbad=$(echo "$ca" | tr ' ' '\n' | grep -v '^$' |
	grep -vc '^\[\{0,1\}[a-z0-9-][a-z0-9-]*\]\{0,1\}$')
[ "$nsel" = 1 ] && [ "$nbad" = 0 ]
zsf_point $? "comp_algorithm: a list with exactly one [selected]" "'$ca'"

# --- bad input, uninitialized --------------------------------------------
expect_set_fails "garbage disksize rejected" garbage $ZSYS/disksize
expect_set_fails "disksize 0 rejected" 0 $ZSYS/disksize
zsf_expect "initstate still 0" "$(cat $ZSYS/initstate)" = 0
zx_expect_write "algorithm $A accepted" "$A" $ZSYS/comp_algorithm
expect_set_fails "unknown algorithm rejected" nosuchalgo \
	$ZSYS/comp_algorithm
zsf_expect "algorithm unchanged by the unknown one" "$(zx_algo_selected)" = "$A"
expect_set_fails "empty algorithm rejected" "" $ZSYS/comp_algorithm
zsf_expect "algorithm unchanged by the empty one" "$(zx_algo_selected)" = "$A"

# --- initialized ---------------------------------------------------------
zx_expect_write "disksize 64M accepted" 64M $ZSYS/disksize
zsf_expect "initstate 1" "$(cat $ZSYS/initstate)" = 1
zsf_expect "disksize reads back" "$(cat $ZSYS/disksize)" = 67108864
zsf_expect "block device size" "$(blkio size $ZDEV)" = 67108864

for fn in mm_stat:9 io_stat:4; do
	f=$ZSYS/${fn%:*}
	numeric_fields "${fn#*:}" "$(cat "$f")"
	zsf_point $? "${fn%:*}: ${fn#*:} numeric fields" "'$(cat "$f")'"
done
rest=$(sed 1d $ZSYS/debug_stat)
case $(sed -n 1p $ZSYS/debug_stat) in
"version: "*[0-9]) [ -n "$rest" ] && numeric_fields "$(echo $rest | wc -w)" "$rest" ;;
*) false ;;
esac
zsf_point $? "debug_stat: 'version: N' then numeric fields" "'$(cat $ZSYS/debug_stat)'"
mcs=$(cat $ZSYS/max_comp_streams)
numeric_fields 1 "$mcs" && [ "$mcs" -ge 1 ]
zsf_point $? "max_comp_streams readable ($mcs)" "'$mcs'"
zx_expect_write "max_comp_streams writable" 2 $ZSYS/max_comp_streams
numeric_fields 1 "$(cat $ZSYS/max_comp_streams)"
zsf_point $? "max_comp_streams still a number"

blkio write $ZDEV 0 1024 mixed 1 >/dev/null
expect_set_fails "disksize change while initialized rejected" 32M \
	$ZSYS/disksize
zsf_expect "disksize unchanged" "$(cat $ZSYS/disksize)" = 67108864
expect_set_fails "algorithm change after init rejected" "$B" \
	$ZSYS/comp_algorithm
expect_set_fails "unknown algorithm after init rejected" nosuchalgo \
	$ZSYS/comp_algorithm
zsf_expect "algorithm still $A" "$(zx_algo_selected)" = "$A"
expect_set_fails "reset with 0 rejected" 0 $ZSYS/reset
expect_set_fails "reset with garbage rejected" garbage $ZSYS/reset
zsf_expect "initstate still 1" "$(cat $ZSYS/initstate)" = 1
expect_set_fails "mem_used_max: only 0 accepted" 5 $ZSYS/mem_used_max
zx_expect_write "mem_used_max: 0 resets it" 0 $ZSYS/mem_used_max
ktap_check "data intact after all the rejected writes" \
	blkio verify $ZDEV 0 1024 mixed 1
ktap_check "I/O beyond the end fails" blkio beyond $ZDEV

# --- no kernel addresses (device holds data now) ---------------------------
leak=
files="$ZSYS/* /sys/module/$ZDRV/parameters/*"
for f in $files $(find /sys/kernel/debug/zsfast /sys/kernel/debug/$ZDRV \
	-type f 2>/dev/null); do
	[ -f "$f" ] && [ -r "$f" ] || continue
	case $f in
	*/hot_add | */uevent) continue ;;
	esac
	if grep -qE 'ffff[0-9a-f]{12}' "$f" 2>/dev/null; then
		leak="$leak $f"
	fi
done
zsf_expect "no kernel address in any attribute or debugfs file" "$leak" = ""

if zx_is_zramx; then
	bad=
	# shellcheck disable=SC2044
	for f in $(find $ZSF_DEBUG -type f 2>/dev/null); do
		m=$(stat -c %a "$f")
		case $m in
		*[1-7] | *[1-7]?) bad="$bad $f:$m" ;;
		esac
	done
	[ -d $ZSF_DEBUG ] || bad="no $ZSF_DEBUG"
	zsf_expect "zsfast debugfs files are root-only" "$bad" = ""
else
	ktap_skip "zsfast debugfs files are root-only" "not zsfast"
fi

# --- mem_limit -----------------------------------------------------------
zx_setup "$A" 64M
blkio write $ZDEV 0 64 text 2 >/dev/null
zx_expect_write "mem_limit 1M accepted" 1M $ZSYS/mem_limit
zsf_expect "mm_stat shows mem_limit" "$(zx_mm mem_limit)" = 1048576
fw=$(zx_io failed_writes)
out=$(blkio -c 1 write $ZDEV 64 1024 random 3 2>/dev/null)
rc=$?
k=$(echo "$out" | sed -n 's/^written=//p')
[ $rc -ne 0 ] && [ -n "$k" ] && [ "$k" -lt 1024 ]
zsf_point $? "writes fail once mem_limit is reached (after $k pages)" "rc $rc, $out" ||
	k=0
zsf_expect "io_stat failed_writes counted it" "$(zx_io failed_writes)" -gt "$fw"
ktap_check "data written before the limit intact" \
	blkio verify $ZDEV 0 64 text 2
if [ "$k" -gt 0 ]; then
	ktap_check "pages accepted up to the limit intact" \
		blkio verify $ZDEV 64 "$k" random 3
fi
zx_expect_write "mem_limit 0 lifts the limit" 0 $ZSYS/mem_limit
ktap_check "writes succeed again" blkio write $ZDEV 64 1024 random 4
ktap_check "and read back" blkio verify $ZDEV 64 1024 random 4
ktap_check "earlier data still intact" blkio verify $ZDEV 0 64 text 2

# --- compact ---------------------------------------------------------------
zx_setup "$A" 64M
blkio write $ZDEV 0 8192 text 5 >/dev/null
blkio punch $ZDEV 0 8192 2
used0=$(zx_mm mem_used_total)
pc0=$(zx_mm pages_compacted)
zx_expect_write "compact accepted" 1 $ZSYS/compact
used1=$(zx_mm mem_used_total)
pc1=$(zx_mm pages_compacted)
ktap_diag "compact: mem_used_total $used0 -> $used1, pages_compacted $pc0 -> $pc1"
[ "$pc1" -gt "$pc0" ] && [ "$used1" -lt "$used0" ]
zsf_point $? "compact freed pages (pages_compacted up, mem_used_total down)"
ktap_check "data intact after compact" \
	blkio -p 2 verify $ZDEV 0 8192 text 5

# --- busy: swapped on --------------------------------------------------------
zx_setup "$A" 64M
mkswap $ZDEV >/dev/null 2>&1 && swapon $ZDEV
zsf_point $? "swapon $ZDEV"
expect_set_fails "reset while swapped on rejected" 1 $ZSYS/reset
zsf_expect "initstate still 1" "$(cat $ZSYS/initstate)" = 1
expect_set_fails "disksize change while swapped on rejected" 128M \
	$ZSYS/disksize
expect_set_fails "hot_remove while swapped on rejected" 0 $ZCTL/hot_remove
ktap_check "device still there" test -b $ZDEV -a -d $ZSYS
! rmmod $ZDRV 2>/dev/null || { zx_load; false; }
zsf_point $? "rmmod $ZDRV while swapped on refused"
ktap_check "$ZDRV still loaded" test -d /sys/module/$ZDRV
if zx_is_zramx; then
	! rmmod zsfast 2>/dev/null
	zsf_point $? "rmmod zsfast while zramx uses it refused"
fi
po=$(sed -n 's/^pswpout //p' /proc/vmstat)
ktap_check "swap still works (swapcheck 1 x 16 MiB)" \
	swapcheck -p 1 -m 16
zsf_expect "pswpout moved" "$(sed -n 's/^pswpout //p' /proc/vmstat)" -gt "$po"
ktap_check "swapoff" swapoff $ZDEV

# --- busy: open --------------------------------------------------------------
exec 5< $ZDEV
expect_set_fails "reset while open rejected" 1 $ZSYS/reset
expect_set_fails "hot_remove while open rejected" 0 $ZCTL/hot_remove
ktap_check "device still there" test -b $ZDEV -a -d $ZSYS
exec 5<&-
zx_expect_write "reset once closed" 1 $ZSYS/reset
zsf_expect "initstate 0" "$(cat $ZSYS/initstate)" = 0
