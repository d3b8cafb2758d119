# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# hot_add / hot_remove of ${ZDRV}-control: hot_add returns a new id whose
# device appears and works; hot_remove of it succeeds and the device goes
# away; hot_remove of a busy device (open, swapped on) fails and leaves
# it working; hot_remove of a bad id fails.

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load

gone() {
	[ ! -e "/sys/block/${ZDRV}$1" ] && [ ! -e "/dev/${ZDRV}$1" ]
}

id=$(cat $ZCTL/hot_add)
rc=$?
case $id in
'' | *[!0-9]*) ok=0 ;;
*) ok=1 ;;
esac
if [ $rc = 0 ] && [ $ok = 1 ] && [ "$id" != 0 ]; then
	ktap_ok "hot_add returns a new id ($id)"
else
	ktap_fail "hot_add returns a new id" "rc $rc, '$id'"
	exit 1
fi
D=/dev/${ZDRV}$id
S=/sys/block/${ZDRV}$id
if zx_wait_path $S && zx_wait_path $D; then
	ktap_ok "$D and $S appear"
else
	ktap_fail "$D and $S appear"
fi

a=$(zx_algo_selected $S)
if zx_set 8M $S/disksize &&
	blkio write $D 0 512 mixed 31 >/dev/null &&
	blkio verify $D 0 512 mixed 31 >&2; then
	ktap_ok "new device works (8M, $a, 512 pages round trip)"
else
	ktap_fail "new device works (8M, $a, 512 pages round trip)"
fi
if [ "$(zx_mm orig_data_size $S)" = $((512 * 4096)) ]; then
	ktap_ok "its mm_stat counts its pages"
else
	ktap_fail "its mm_stat counts its pages" "$(cat $S/mm_stat)"
fi
if [ "$(zx_mm orig_data_size)" != $((512 * 4096)) ] ||
	[ "$(cat $ZSYS/initstate)" = 0 ]; then
	ktap_ok "device 0 not affected"
else
	ktap_fail "device 0 not affected" "$(cat $ZSYS/mm_stat)"
fi

id2=$(cat $ZCTL/hot_add)
if [ -n "$id2" ] && [ "$id2" != "$id" ] && [ "$id2" != 0 ] &&
	zx_wait_path /sys/block/${ZDRV}$id2; then
	ktap_ok "second hot_add returns another id ($id2)"
	if zx_set "$id2" $ZCTL/hot_remove && zsf_poll 50 gone "$id2"; then
		ktap_ok "hot_remove of an unused device succeeds"
	else
		ktap_fail "hot_remove of an unused device succeeds"
	fi
else
	ktap_fail "second hot_add returns another id" "'$id2'"
fi

exec 5< $D
if zx_set "$id" $ZCTL/hot_remove; then
	ktap_fail "hot_remove of an open device fails"
else
	ktap_ok "hot_remove of an open device fails"
fi
exec 5<&-
ktap_check "device still there and intact" blkio verify $D 0 512 mixed 31

if mkswap $D >/dev/null 2>&1 && swapon $D; then
	ktap_ok "swapon $D"
	if zx_set "$id" $ZCTL/hot_remove; then
		ktap_fail "hot_remove of a swapped-on device fails"
	else
		ktap_ok "hot_remove of a swapped-on device fails"
	fi
	ktap_check "swapoff $D" swapoff $D
else
	ktap_fail "swapon $D"
fi

expect_bad() {
	if zx_set "$1" $ZCTL/hot_remove; then
		ktap_fail "hot_remove of bad id '$1' fails"
	else
		ktap_ok "hot_remove of bad id '$1' fails"
	fi
}
expect_bad 9999
expect_bad -1
expect_bad garbage
expect_bad ""

if zx_set "$id" $ZCTL/hot_remove && zsf_poll 50 gone "$id"; then
	ktap_ok "hot_remove of an initialized, closed device succeeds"
else
	ktap_fail "hot_remove of an initialized, closed device succeeds"
fi
expect_bad "$id"

zx_setup "" 4M
ktap_check "device 0 still works" sh -c \
	"blkio write $ZDEV 0 64 text 32 && blkio verify $ZDEV 0 64 text 32"
zx_fresh

id3=$(cat $ZCTL/hot_add)
if [ -n "$id3" ] && zx_wait_path /sys/block/${ZDRV}$id3 &&
	zx_set "$id3" $ZCTL/hot_remove && zsf_poll 50 gone "$id3"; then
	ktap_ok "hot_add after hot_remove works ($id3), and is removed again"
else
	ktap_fail "hot_add after hot_remove works, and is removed again" \
		"'$id3'"
fi
