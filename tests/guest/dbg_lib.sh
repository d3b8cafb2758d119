# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Helpers shared by the debug lane's guest tests (t_fault.sh,
# t_stress.sh).  busybox sh; source after lib.sh.

ZSF_DIR=${ZSF_DIR:-/zsf}

# dbg_stress_verdict DESC RC: copy stress's output in $W (stress.out,
# the head of stress.err) as diagnostics, and one point DESC: stress
# exited RC 0 and its summary line counts no mismatch.  Sets SUMMARY to
# that line.
dbg_stress_verdict() {
	sed 's/^/# /' "$W/stress.out"
	head -n 20 "$W/stress.err" | sed 's/^/# /'
	SUMMARY=$(tail -n 1 "$W/stress.out")
	[ "$2" -eq 0 ] && echo "$SUMMARY" | grep -q ' mismatches=0 '
	zsf_point $? "$1" "stress exit status $2"
}

# dbg_param NAME DEFAULT: value of zsf.NAME= on the kernel command line.
dbg_param() {
	zsf_cmdline "zsf.$1" "$2"
}

# dbg_load_modules [zramx args]: insmod zsfast and zramx if not loaded.
# Stock dependencies (compressor libraries on distro kernels) first.
dbg_load_modules() {
	for _m in $(tr "\\0" "\\n" < "$ZSF_DIR/zramx.ko" | sed -n "s/^depends=//p" | tr , " "); do
		[ "$_m" = zsfast ] || modprobe -q "$_m" 2>/dev/null
	done
	grep -q '^zsfast ' /proc/modules || insmod "$ZSF_DIR/zsfast.ko" || return 1
	grep -q '^zramx ' /proc/modules || insmod "$ZSF_DIR/zramx.ko" "$@" || return 1
}

# dbg_swap_setup DEV SIZE: size, mkswap and swapon a zramx device.
dbg_swap_setup() {
	echo lz4 > "/sys/block/$1/comp_algorithm" 2>/dev/null
	echo "$2" > "/sys/block/$1/disksize" || return 1
	mkswap "/dev/$1" > /dev/null || return 1
	swapon "/dev/$1" || return 1
}

# dbg_start_zramx0: load zsfast and zramx and swap on a 512M zramx0, one
# KTAP point per step, then clear the kernel log; fails at the first step
# that fails.
dbg_start_zramx0() {
	if ! dbg_load_modules num_devices=1; then
		ktap_fail "load zsfast and zramx"
		return 1
	fi
	ktap_ok "load zsfast and zramx"
	if ! dbg_swap_setup zramx0 512M; then
		ktap_fail "swapon /dev/zramx0"
		return 1
	fi
	ktap_ok "swapon /dev/zramx0 (512M)"
	dmesg -c > /dev/null
}

# dbg_vmstat NAME: a /proc/vmstat counter.
dbg_vmstat() {
	awk -v n="$1" '$1 == n { print $2 }' /proc/vmstat
}

# dbg_teardown_checks: no kernel report in dmesg since the start, then
# swapoff, reset, "pages: 0", rmmod, slab clean.
# One test point each.  Our slab caches are those whose name starts
# with "zsf" or "zramx" (see src/zsfast and src/zramx).
dbg_teardown_checks() {
	_dev=${1:-zramx0}
	zsf_expect "no kernel report (KASAN, lockdep, DEBUG_VM, list, WARN) in dmesg" \
		"$(zsf_splats)" = ""
	ktap_check "swapoff /dev/$_dev" swapoff "/dev/$_dev"
	ktap_check "reset $_dev" sh -c "echo 1 > /sys/block/$_dev/reset"
	zsf_expect "zsfast pages: 0 after swapoff and reset" "$(zsf_pages)" = 0
	# Positive control: the pattern must see our caches while loaded,
	# or the check after rmmod proves nothing.  (Boot with slab_nomerge,
	# as the debug lane does, so that no cache hides behind an alias.)
	_caches=$(grep -E '^(zsf|zramx)' /proc/slabinfo | awk '{ print $1 }' | tr '\n' ' ')
	[ -n "$_caches" ]
	zsf_point $? "our slab caches listed while loaded: $_caches" \
		"no /proc/slabinfo line starts with zsf or zramx"
	ktap_check "rmmod zramx" rmmod zramx
	ktap_check "rmmod zsfast" rmmod zsfast
	zsf_expect "no zsfast/zramx slab cache left after rmmod" \
		"$(grep -E '^(zsf|zramx)' /proc/slabinfo | head -n 5)" = ""
}
