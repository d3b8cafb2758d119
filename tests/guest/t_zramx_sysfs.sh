# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Every sysfs attribute of /sys/block/${ZDRV}0 and ${ZDRV}-control: modes,
# formats, and every bad input the ABI rejects (each must fail cleanly and
# lose nothing): garbage or busy disksize, unknown or late algorithm,
# reset / hot_remove / rmmod while in use, I/O past the end, mem_limit,
# compact, max_comp_streams, and no kernel address in any attribute or
# debugfs file.

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load
zx_swapoff_all

# expect_set_fails DESC VALUE FILE: writing VALUE to FILE must fail.
expect_set_fails() {
	if zx_set "$2" "$3"; then
		ktap_fail "$1" "echo '$2' > $3 succeeded"
	else
		ktap_ok "$1"
	fi
}

# expect_set DESC VALUE FILE: writing VALUE to FILE must succeed.
expect_set() {
	if zx_set "$2" "$3"; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "echo '$2' > $3 failed"
	fi
}

# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "got '$2', want '$3'"
	fi
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
expect_eq "no attribute writable by group or others, all owned by root" \
	"$bad" ""

if [ -r /sys/module/$ZDRV/parameters/num_devices ] ||
	! zx_is_zramx; then
	ktap_ok "num_devices module parameter"
else
	ktap_fail "num_devices module parameter"
fi

# --- formats, uninitialized --------------------------------------------
expect_eq "initstate 0 after reset" "$(cat $ZSYS/initstate)" 0
ca=$(cat $ZSYS/comp_algorithm)
nsel=$(echo "$ca" | tr ' ' '\n' | grep -c '^\[[a-z0-9-]*\]$')
nbad=$(echo "$ca" | tr ' ' '\n' | grep -v '^$' |
	grep -vc '^\[\{0,1\}[a-z0-9-][a-z0-9-]*\]\{0,1\}$')
if [ "$nsel" = 1 ] && [ "$nbad" = 0 ]; then
	ktap_ok "comp_algorithm: a list with exactly one [selected]"
else
	ktap_fail "comp_algorithm: a list with exactly one [selected]" "'$ca'"
fi

# --- bad input, uninitialized --------------------------------------------
expect_set_fails "garbage disksize rejected" garbage $ZSYS/disksize
expect_set_fails "disksize 0 rejected" 0 $ZSYS/disksize
expect_eq "initstate still 0" "$(cat $ZSYS/initstate)" 0
expect_set "algorithm $A accepted" "$A" $ZSYS/comp_algorithm
expect_set_fails "unknown algorithm rejected" nosuchalgo \
	$ZSYS/comp_algorithm
expect_eq "algorithm unchanged by the unknown one" "$(zx_algo_selected)" "$A"
expect_set_fails "empty algorithm rejected" "" $ZSYS/comp_algorithm
expect_eq "algorithm unchanged by the empty one" "$(zx_algo_selected)" "$A"

# --- initialized ---------------------------------------------------------
expect_set "disksize 64M accepted" 64M $ZSYS/disksize
expect_eq "initstate 1" "$(cat $ZSYS/initstate)" 1
expect_eq "disksize reads back" "$(cat $ZSYS/disksize)" 67108864
expect_eq "block device size" "$(blkio size $ZDEV)" 67108864

if numeric_fields 9 "$(cat $ZSYS/mm_stat)"; then
	ktap_ok "mm_stat: 9 numeric fields"
else
	ktap_fail "mm_stat: 9 numeric fields" "'$(cat $ZSYS/mm_stat)'"
fi
if numeric_fields 4 "$(cat $ZSYS/io_stat)"; then
	ktap_ok "io_stat: 4 numeric fields"
else
	ktap_fail "io_stat: 4 numeric fields" "'$(cat $ZSYS/io_stat)'"
fi
l1=$(sed -n 1p $ZSYS/debug_stat)
rest=$(sed 1d $ZSYS/debug_stat)
case $l1 in
"version: "*[0-9]) v_ok=1 ;;
*) v_ok=0 ;;
esac
if [ $v_ok = 1 ] && [ -n "$rest" ] &&
	numeric_fields "$(echo $rest | wc -w)" "$rest"; then
	ktap_ok "debug_stat: 'version: N' then numeric fields"
else
	ktap_fail "debug_stat: 'version: N' then numeric fields" \
		"'$(cat $ZSYS/debug_stat)'"
fi
mcs=$(cat $ZSYS/max_comp_streams)
if numeric_fields 1 "$mcs" && [ "$mcs" -ge 1 ]; then
	ktap_ok "max_comp_streams readable ($mcs)"
else
	ktap_fail "max_comp_streams readable" "'$mcs'"
fi
expect_set "max_comp_streams writable" 2 $ZSYS/max_comp_streams
numeric_fields 1 "$(cat $ZSYS/max_comp_streams)" &&
	ktap_ok "max_comp_streams still a number" ||
	ktap_fail "max_comp_streams still a number"

blkio write $ZDEV 0 1024 mixed 1 >/dev/null
expect_set_fails "disksize change while initialized rejected" 32M \
	$ZSYS/disksize
expect_eq "disksize unchanged" "$(cat $ZSYS/disksize)" 67108864
expect_set_fails "algorithm change after init rejected" "$B" \
	$ZSYS/comp_algorithm
expect_set_fails "unknown algorithm after init rejected" nosuchalgo \
	$ZSYS/comp_algorithm
expect_eq "algorithm still $A" "$(zx_algo_selected)" "$A"
expect_set_fails "reset with 0 rejected" 0 $ZSYS/reset
expect_set_fails "reset with garbage rejected" garbage $ZSYS/reset
expect_eq "initstate still 1" "$(cat $ZSYS/initstate)" 1
expect_set_fails "mem_used_max: only 0 accepted" 5 $ZSYS/mem_used_max
expect_set "mem_used_max: 0 resets it" 0 $ZSYS/mem_used_max
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
expect_eq "no kernel address in any attribute or debugfs file" "$leak" ""

if zx_is_zramx; then
	bad=
	# shellcheck disable=SC2044
	for f in $(find $ZSF_DEBUG -type f 2>/dev/null); do
		m=$(stat -c %a "$f")
		case $m in
		*[1-7] | *[1-7]?) bad="$bad $f:$m" ;;
		esac
	done
	if [ -d $ZSF_DEBUG ]; then
		expect_eq "zsfast debugfs files are root-only" "$bad" ""
	else
		ktap_fail "zsfast debugfs files are root-only" "no $ZSF_DEBUG"
	fi
else
	ktap_skip "zsfast debugfs files are root-only" "not zsfast"
fi

# --- mem_limit -----------------------------------------------------------
zx_setup "$A" 64M
blkio write $ZDEV 0 64 text 2 >/dev/null
expect_set "mem_limit 1M accepted" 1M $ZSYS/mem_limit
expect_eq "mm_stat shows mem_limit" "$(zx_mm mem_limit)" 1048576
fw=$(zx_io failed_writes)
out=$(blkio -c 1 write $ZDEV 64 1024 random 3 2>/dev/null)
rc=$?
k=$(echo "$out" | sed -n 's/^written=//p')
if [ $rc -ne 0 ] && [ -n "$k" ] && [ "$k" -lt 1024 ]; then
	ktap_ok "writes fail once mem_limit is reached (after $k pages)"
else
	ktap_fail "writes fail once mem_limit is reached" "rc $rc, $out"
	k=0
fi
if [ "$(zx_io failed_writes)" -gt "$fw" ]; then
	ktap_ok "io_stat failed_writes counted it"
else
	ktap_fail "io_stat failed_writes counted it" "$(cat $ZSYS/io_stat)"
fi
ktap_check "data written before the limit intact" \
	blkio verify $ZDEV 0 64 text 2
if [ "$k" -gt 0 ]; then
	ktap_check "pages accepted up to the limit intact" \
		blkio verify $ZDEV 64 "$k" random 3
fi
expect_set "mem_limit 0 lifts the limit" 0 $ZSYS/mem_limit
ktap_check "writes succeed again" blkio write $ZDEV 64 1024 random 4
ktap_check "and read back" blkio verify $ZDEV 64 1024 random 4
ktap_check "earlier data still intact" blkio verify $ZDEV 0 64 text 2

# --- compact ---------------------------------------------------------------
zx_setup "$A" 64M
blkio write $ZDEV 0 8192 text 5 >/dev/null
blkio punch $ZDEV 0 8192 2
used0=$(zx_mm mem_used_total)
pc0=$(zx_mm pages_compacted)
expect_set "compact accepted" 1 $ZSYS/compact
used1=$(zx_mm mem_used_total)
pc1=$(zx_mm pages_compacted)
ktap_diag "compact: mem_used_total $used0 -> $used1, pages_compacted $pc0 -> $pc1"
if [ "$pc1" -gt "$pc0" ] && [ "$used1" -lt "$used0" ]; then
	ktap_ok "compact freed pages (pages_compacted up, mem_used_total down)"
else
	ktap_fail "compact freed pages (pages_compacted up, mem_used_total down)"
fi
ktap_check "data intact after compact" \
	blkio -p 2 verify $ZDEV 0 8192 text 5

# --- busy: swapped on --------------------------------------------------------
zx_setup "$A" 64M
if mkswap $ZDEV >/dev/null 2>&1 && swapon $ZDEV; then
	ktap_ok "swapon $ZDEV"
else
	ktap_fail "swapon $ZDEV"
fi
expect_set_fails "reset while swapped on rejected" 1 $ZSYS/reset
expect_eq "initstate still 1" "$(cat $ZSYS/initstate)" 1
expect_set_fails "disksize change while swapped on rejected" 128M \
	$ZSYS/disksize
expect_set_fails "hot_remove while swapped on rejected" 0 $ZCTL/hot_remove
ktap_check "device still there" test -b $ZDEV -a -d $ZSYS
if rmmod $ZDRV 2>/dev/null; then
	ktap_fail "rmmod $ZDRV while swapped on refused"
	zx_load
else
	ktap_ok "rmmod $ZDRV while swapped on refused"
fi
ktap_check "$ZDRV still loaded" test -d /sys/module/$ZDRV
if zx_is_zramx; then
	if rmmod zsfast 2>/dev/null; then
		ktap_fail "rmmod zsfast while zramx uses it refused"
	else
		ktap_ok "rmmod zsfast while zramx uses it refused"
	fi
fi
po=$(sed -n 's/^pswpout //p' /proc/vmstat)
ktap_check "swap still works (swapcheck 1 x 16 MiB)" \
	swapcheck -p 1 -m 16
if [ "$(sed -n 's/^pswpout //p' /proc/vmstat)" -gt "$po" ]; then
	ktap_ok "pswpout moved"
else
	ktap_fail "pswpout moved"
fi
ktap_check "swapoff" swapoff $ZDEV

# --- busy: open --------------------------------------------------------------
exec 5< $ZDEV
expect_set_fails "reset while open rejected" 1 $ZSYS/reset
expect_set_fails "hot_remove while open rejected" 0 $ZCTL/hot_remove
ktap_check "device still there" test -b $ZDEV -a -d $ZSYS
exec 5<&-
expect_set "reset once closed" 1 $ZSYS/reset
expect_eq "initstate 0" "$(cat $ZSYS/initstate)" 0
