# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Documentation/zramx.rst against the running modules: its abi-table
# tables list every module parameter, per-device attribute and control
# class attribute that zramx has, with its mode, and nothing else.  A
# device's own attributes are the files of /sys/block/zramx0 that a
# plain block device (brd's ram0) does not have.  And zramx has every
# device and control class attribute of the kernel's own zram.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

DOC=/zsf/doc/zramx.rst
if ! zx_is_zramx; then
	ktap_skip "Documentation/zramx.rst" "$ZDRV is not zramx"
	exit 0
fi
if [ ! -f $DOC ]; then
	ktap_fail "Documentation/zramx.rst is in the guest"
	exit 1
fi
zx_load

# doc_table NAME: "name mode" of each row of abi-table NAME, sorted.
doc_table() {
	awk -v t="$1" '
		/^\.\. abi-table: / { cur = $3; rule = 0; next }
		cur == t && /^=+ / { if (++rule == 3) cur = ""; next }
		cur == t && rule == 2 && /^[a-z_]+ +0[0-7][0-7][0-7] / { print $1, substr($2, 2) }
	' $DOC | sort
}

# sys_files DIR: "name mode" of each regular file in DIR, sorted.
sys_files() {
	for _f in "$1"/*; do
		[ -f "$_f" ] && echo "${_f##*/} $(stat -c %a "$_f")"
	done | sort
}

# check WHAT DOCUMENTED ACTUAL
check() {
	if [ -z "$2" ]; then
		ktap_fail "$1: the table is in Documentation/zramx.rst"
	elif [ "$2" = "$3" ]; then
		ktap_ok "$1: documented, with modes ($(echo "$2" | wc -l))"
	else
		ktap_fail "$1: documented, with modes" \
			"documented: $(echo "$2" | tr '\n' ',') running: $(echo "$3" | tr '\n' ',')"
	fi
}

check "zramx module parameters" "$(doc_table parameters)" \
	"$(sys_files /sys/module/zramx/parameters)"
zsf_expect "zsfast has no module parameter, as documented" \
	"$(ls /sys/module/zsfast/parameters 2>/dev/null | tr '\n' ' ')" = ""
check "control class attributes" "$(doc_table control)" "$(sys_files $ZCTL)"

if ! modprobe brd rd_nr=1 rd_size=1024 || ! zx_wait_path /sys/block/ram0; then
	ktap_fail "per-device attributes: a plain block device to compare with"
	exit 1
fi
plain=$(sys_files /sys/block/ram0 | cut -d' ' -f1)
own=$(sys_files $ZSYS | while read -r _n _m; do
	echo "$plain" | grep -qx "$_n" || echo "$_n $_m"
done)
rmmod brd
check "per-device attributes" "$(doc_table device)" "$own"

# What stock zram has on this kernel, zramx has too: every attribute of
# its device and control class, with the same mode.
if ! modprobe zram num_devices=1 || ! zx_wait_path /sys/block/zram0; then
	ktap_fail "stock zram's attributes: load stock zram"
	exit 1
fi
lacks=$( (sys_files /sys/block/zram0 | sed 's,^,device ,'
	sys_files /sys/class/zram-control | sed 's,^,control ,') |
	while read -r _w _n _m; do
		_d=$ZSYS
		[ "$_w" = control ] && _d=$ZCTL
		[ "$(stat -c %a "$_d/$_n" 2>/dev/null)" = "$_m" ] ||
			echo "$_w $_n $_m"
	done)
rmmod zram
zsf_expect "every attribute of stock zram on $(uname -r) is zramx's too, with its mode" \
	"$(echo $lacks)" = ""
