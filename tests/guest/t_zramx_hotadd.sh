# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# hot_add / hot_remove of ${ZDRV}-control: hot_add returns a new id whose
# device appears and works; hot_remove of it succeeds and the device goes
# away; hot_remove of a busy device (open, swapped on) fails and leaves
# it working; hot_remove of a bad id fails.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load

gone() {
	[ ! -e "/sys/block/${ZDRV}$1" ] && [ ! -e "/dev/${ZDRV}$1" ]
}

id=$(cat $ZCTL/hot_add)
rc=$?
case $id in
'' | 0 | *[!0-9]*) rc=1 ;;
esac
zsf_point $rc "hot_add returns a new id ($id)" "'$id'" || exit 1
D=/dev/${ZDRV}$id
S=/sys/block/${ZDRV}$id
zx_wait_path $S && zx_wait_path $D
zsf_point $? "$D and $S appear"

a=$(zx_algo_selected $S)
zx_set 8M $S/disksize && blkio write $D 0 512 mixed 31 >/dev/null &&
	blkio verify $D 0 512 mixed 31 >&2
zsf_point $? "new device works (8M, $a, 512 pages round trip)"
zsf_expect "its mm_stat counts its pages" "$(zx_mm orig_data_size $S)" = $((512 * 4096))
[ "$(zx_mm orig_data_size)" != $((512 * 4096)) ] || [ "$(cat $ZSYS/initstate)" = 0 ]
zsf_point $? "device 0 not affected" "$(cat $ZSYS/mm_stat)"

id2=$(cat $ZCTL/hot_add)
if [ -n "$id2" ] && [ "$id2" != "$id" ] && [ "$id2" != 0 ] &&
	zx_wait_path /sys/block/${ZDRV}$id2; then
	ktap_ok "second hot_add returns another id ($id2)"
	zx_set "$id2" $ZCTL/hot_remove && zsf_poll 50 gone "$id2"
	zsf_point $? "hot_remove of an unused device succeeds"
else
	ktap_fail "second hot_add returns another id" "'$id2'"
fi

# expect_bad DESC ID: hot_remove of ID must fail.
expect_bad() {
	zx_expect_errno "$1" "" "$2" $ZCTL/hot_remove
}
exec 5< $D
expect_bad "hot_remove of an open device fails" "$id"
exec 5<&-
ktap_check "device still there and intact" blkio verify $D 0 512 mixed 31

if mkswap $D >/dev/null 2>&1 && swapon $D; then
	ktap_ok "swapon $D"
	expect_bad "hot_remove of a swapped-on device fails" "$id"
	ktap_check "swapoff $D" swapoff $D
else
	ktap_fail "swapon $D"
fi

for bad in 9999 -1 garbage ""; do
	expect_bad "hot_remove of bad id '$bad' fails" "$bad"
done

zx_set "$id" $ZCTL/hot_remove && zsf_poll 50 gone "$id"
zsf_point $? "hot_remove of an initialized, closed device succeeds"
expect_bad "hot_remove of bad id '$id' fails" "$id"

zx_setup "" 4M
ktap_check "device 0 still works" sh -c \
	"blkio write $ZDEV 0 64 text 32 && blkio verify $ZDEV 0 64 text 32"
zx_fresh

id3=$(cat $ZCTL/hot_add)
[ -n "$id3" ] && zx_wait_path /sys/block/${ZDRV}$id3 &&
	zx_set "$id3" $ZCTL/hot_remove && zsf_poll 50 gone "$id3"
zsf_point $? "hot_add after hot_remove works ($id3), and is removed again"
