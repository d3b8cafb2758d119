#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch a Debian kernel (image + headers + kbuild) into a private sysroot,
# without installing anything: the packages are `apt-get download`ed and
# unpacked with `dpkg-deb -x`.
#
# Source it and call
#     zsf_kernel_fetch FLAVOR [ARCH]
# or run it as
#     eval "$(tests/lib/kernels.sh fetch FLAVOR [ARCH])"
#
# FLAVOR is 6.1 (meta packages linux-image-ARCH / linux-headers-ARCH) or
# 6.12 (linux-image-6.12-ARCH / linux-headers-6.12-ARCH); ARCH defaults to
# amd64.  The versioned packages are resolved from the meta packages, so
# nothing here names an ABI number.  The result lands in
#     ${ZSF_CACHE:-~/.cache/zsfast}/sysroot/<KVER>/
# and these variables are set and exported:
#     KVER     e.g. 6.12.117+deb12-amd64
#     SYSROOT  the sysroot
#     KDIR     the flavour headers (make -C $KDIR M=...)
#     VMLINUZ  the kernel image
#     KMODDIR  $SYSROOT/lib/modules/$KVER (stock modules, modules.dep)
# A stamp file makes a second call cheap (no apt, no unpacking).
#
# Return status: 0; 1 if the kernel could not be fetched (the meta
# packages do not resolve, apt-get download or the unpacking failed);
# 2 if it was fetched but a module cannot be built against its headers
# (a tool the kernel's build runs is missing: make, the kernel's gcc,
# pahole, ...; or the test module does not build).  Every call checks
# the tools (zsf_kbuild_tools), also when the stamp is there.  The
# reason is on stderr and in ZSF_KERNEL_ERROR.
#
# For another ARCH the image and headers are downloaded as
# PKG:ARCH (dpkg --add-architecture ARCH and apt-get update are needed
# first); headers-common is architecture-independent, and linux-kbuild
# holds host tools, so it is always the host's.

ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}

_zsf_klog() {
	echo "kernels: $*" >&2
}

# _zsf_kfail STATUS MESSAGE: log it, keep it in ZSF_KERNEL_ERROR.
_zsf_kfail() {
	ZSF_KERNEL_ERROR=$2
	_zsf_klog "$2"
	return "$1"
}

# The Debian package that installs TOOL, for the messages.
_zsf_tool_pkg() {
	local tool=$1 host triplet

	host=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
	case "$tool" in
	pahole)	echo "dwarves" ;;
	make)	echo "make" ;;
	gcc-[0-9]*|"$host"-gcc-[0-9]*)
		echo "gcc-${tool##*gcc-}" ;;
	*-gcc-[0-9]*)
		triplet=${tool%-gcc-*}
		echo "gcc-${tool##*-gcc-}-${triplet//_/-}" ;;
	ld|"$host"-ld) echo "binutils" ;;
	*-ld)	triplet=${tool%-ld}
		echo "binutils-${triplet//_/-}" ;;
	*)	echo "the package that provides $tool" ;;
	esac
}

# zsf_kbuild_tools KDIR [make args...]: are the tools that the kernel's
# build runs for an out-of-tree module there?  kbuild itself is asked for
# its CC, LD and PAHOLE (with the same make args and environment, e.g.
# ARCH= CROSS_COMPILE=; Debian's headers set CC to gcc-12 or
# x86_64-linux-gnu-gcc-12 in .kernelvariables).  pahole is needed only
# where kbuild runs it: CONFIG_DEBUG_INFO_BTF_MODULES=y and a vmlinux in
# KDIR (Debian's 6.12 headers ship one; without it, as with 6.1's
# headers, kbuild skips the modules' BTF).  Prints one line per missing
# tool, "TOOL not found: WHY; install PACKAGE", on stderr and sets
# ZSF_KERNEL_ERROR to them; returns 1 if one is missing.
zsf_kbuild_tools() {
	local kdir=$1 probe out cc ld pahole w
	local -a missing=()

	shift
	ZSF_KERNEL_ERROR=
	if ! command -v make > /dev/null; then
		_zsf_kfail 1 "make not found: kbuild is run by make; install make"
		return 1
	fi
	probe=$(mktemp -d) || return 1
	echo 'obj-m := zsf_probe.o' > "$probe/Kbuild"
	# shellcheck disable=SC2016 # kbuild expands these, not the shell
	out=$(make -s --no-print-directory -C "$kdir" M="$probe" "$@" \
		--eval='zsf-print-tools: ; @echo "zsf-tools|$(CC)|$(LD)|$(PAHOLE)"' \
		zsf-print-tools 2>&1)
	rm -rf "$probe"
	out=$(printf '%s\n' "$out" | grep '^zsf-tools|' | tail -n 1)
	if [ -z "$out" ]; then
		_zsf_kfail 1 "cannot ask kbuild in $kdir for its compiler (make -C $kdir failed)"
		return 1
	fi
	IFS='|' read -r _ cc ld pahole <<< "$out"
	read -r cc <<< "$cc"
	for w in $cc; do
		case "$w" in ccache) continue ;; esac	# only with DEBIAN_KERNEL_USE_CCACHE
		command -v "$w" > /dev/null ||
			missing+=("$w not found: it is the kernel's compiler (CC = $cc); install $(_zsf_tool_pkg "$w")")
	done
	for w in $ld; do
		command -v "$w" > /dev/null ||
			missing+=("$w not found: it is the kernel's linker (LD); install $(_zsf_tool_pkg "$w")")
	done
	if grep -qx 'CONFIG_DEBUG_INFO_BTF_MODULES=y' "$kdir/.config" 2>/dev/null &&
	   [ -f "$kdir/vmlinux" ]; then
		command -v "${pahole:-pahole}" > /dev/null ||
			missing+=("${pahole:-pahole} not found: the kernel builds BTF for modules (CONFIG_DEBUG_INFO_BTF_MODULES); install $(_zsf_tool_pkg "${pahole:-pahole}")")
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	ZSF_KERNEL_ERROR=$(printf '%s\n' "${missing[@]}")
	printf 'kernels: %s\n' "${missing[@]}" >&2
	return 1
}

# The single package a meta package depends on, e.g.
# linux-image-amd64 -> linux-image-6.1.0-56-amd64.
_zsf_resolve_meta() {
	local meta=$1 pattern=$2 dep

	dep=$(apt-cache depends "$meta" 2>/dev/null |
	      awk '$1 == "Depends:" { print $2 }' | sed 's/:.*//' |
	      grep -E "$pattern" | head -n 1)
	if [ -z "$dep" ]; then
		_zsf_klog "cannot resolve $meta (run apt-get update?)"
		return 1
	fi
	echo "$dep"
}

# One dependency of PKG whose name matches PATTERN (alternatives and
# version constraints stripped).
_zsf_pkg_dep() {
	local pkg=$1 pattern=$2

	apt-cache show "$pkg" 2>/dev/null |
		awk '/^Depends:/ { sub(/^Depends: */, ""); print; exit }' |
		tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/^ *//; s/ *$//' |
		grep -E "$pattern" | head -n 1
}

zsf_kernel_fetch() {
	local flavor=$1 arch=${2:-amd64} host_arch suffix img_meta hdr_meta
	local img hdr common kbuild stamp dl deb pkgs f mk

	host_arch=$(dpkg --print-architecture)
	case "$flavor" in
	6.1)	img_meta=linux-image-$arch
		hdr_meta=linux-headers-$arch ;;
	6.12)	img_meta=linux-image-6.12-$arch
		hdr_meta=linux-headers-6.12-$arch ;;
	*)	_zsf_kfail 1 "unknown flavor '$flavor' (6.1 or 6.12)"
		return ;;
	esac
	suffix=
	[ "$arch" = "$host_arch" ] || suffix=":$arch"
	ZSF_KERNEL_ERROR=

	img=$(_zsf_resolve_meta "$img_meta$suffix" '^linux-image-[0-9]') ||
		{ _zsf_kfail 1 "cannot resolve $img_meta$suffix"; return; }
	hdr=$(_zsf_resolve_meta "$hdr_meta$suffix" '^linux-headers-[0-9]') ||
		{ _zsf_kfail 1 "cannot resolve $hdr_meta$suffix"; return; }
	KVER=${img#linux-image-}
	if [ "${hdr#linux-headers-}" != "$KVER" ]; then
		_zsf_kfail 1 "image $img and headers $hdr disagree"
		return
	fi

	SYSROOT=$ZSF_CACHE/sysroot/$KVER
	KDIR=$SYSROOT/usr/src/linux-headers-$KVER
	VMLINUZ=$SYSROOT/boot/vmlinuz-$KVER
	KMODDIR=$SYSROOT/lib/modules/$KVER
	export KVER SYSROOT KDIR VMLINUZ KMODDIR
	stamp=$SYSROOT/.zsf-fetched

	if [ -f "$stamp" ] && [ -f "$VMLINUZ" ] && [ -f "$KDIR/Makefile" ]; then
		_zsf_kernel_can_build
		return
	fi

	common=$(_zsf_pkg_dep "$hdr$suffix" '^linux-headers-.*-common')
	kbuild=$(_zsf_pkg_dep "$hdr$suffix" '^linux-kbuild-')
	if [ -z "$common" ] || [ -z "$kbuild" ]; then
		_zsf_kfail 1 "cannot find headers-common/kbuild in $hdr's Depends"
		return
	fi

	dl=$ZSF_CACHE/debs
	mkdir -p "$dl" || return 1
	pkgs="$img$suffix $hdr$suffix $common $kbuild"
	_zsf_klog "downloading $pkgs"
	# shellcheck disable=SC2086 # a list of package names
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root $pkgs >&2) || {
		_zsf_kfail 1 "apt-get download $pkgs failed"
		return
	}

	_zsf_klog "unpacking into $SYSROOT"
	rm -rf "$SYSROOT.tmp"
	mkdir -p "$SYSROOT.tmp" || return 1
	for f in $pkgs; do
		f=${f%%:*}
		# The newest download of that package (the name carries the
		# version; a stale one from an older ABI can sit next to it).
		# shellcheck disable=SC2012 # .deb names have no odd characters
		deb=$(ls -t "$dl/${f}_"*.deb 2>/dev/null | head -n 1)
		if [ -z "$deb" ]; then
			_zsf_kfail 1 "no .deb for $f in $dl"
			return
		fi
		dpkg-deb -x "$deb" "$SYSROOT.tmp" ||
			{ _zsf_kfail 1 "dpkg-deb -x $deb failed"; return; }
	done
	rm -rf "$SYSROOT"
	mv "$SYSROOT.tmp" "$SYSROOT" || return 1

	# The flavour Makefile includes the common one by absolute path.
	mk=$KDIR/Makefile
	sed -i "s|^include /usr/src/|include $SYSROOT/usr/src/|" "$mk"
	if ! grep -q "^include $SYSROOT/" "$mk"; then
		_zsf_klog "unexpected $mk:"
		cat "$mk" >&2
		return 1
	fi
	if [ ! -x "$KDIR/scripts/basic/fixdep" ] || [ ! -f "$VMLINUZ" ]; then
		_zsf_kfail 1 "sysroot incomplete (scripts symlink or vmlinuz missing)"
		return
	fi

	# The image package leaves modules.dep to its postinst.
	if ! command -v depmod > /dev/null; then
		_zsf_kfail 1 "depmod not found: it writes the sysroot's modules.dep; install kmod"
		return
	fi
	depmod -b "$SYSROOT" "$KVER" ||
		{ _zsf_kfail 1 "depmod -b $SYSROOT $KVER failed"; return; }

	_zsf_kernel_can_build || return
	_zsf_kernel_selftest || return
	touch "$stamp"
}

# The tools first: status 2, naming the missing ones.
_zsf_kernel_can_build() {
	zsf_kbuild_tools "$KDIR" && return 0
	ZSF_KERNEL_ERROR="cannot build modules against the $KVER headers ($KDIR): ${ZSF_KERNEL_ERROR}"
	_zsf_klog "cannot build modules against the $KVER headers ($KDIR)"
	return 2
}

# Build a one-line module against $KDIR: proves the sysroot is usable.
# Status 2 if it does not build.
_zsf_kernel_selftest() {
	local t rc

	t=$(mktemp -d)
	cat > "$t/zsf_probe.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/module.h>
static int __init zsf_probe_init(void) { return 0; }
module_init(zsf_probe_init);
MODULE_LICENSE("GPL");
EOF
	echo 'obj-m := zsf_probe.o' > "$t/Kbuild"
	make -C "$KDIR" M="$t" -j2 modules > "$t/build.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || [ ! -f "$t/zsf_probe.ko" ]; then
		tail -n 30 "$t/build.log" >&2
		ZSF_KERNEL_ERROR="a test module does not build against the $KVER headers ($KDIR): $(
			grep -E 'not found|rror' "$t/build.log" | head -n 3 | tr '\n' ' ')"
		_zsf_klog "$ZSF_KERNEL_ERROR"
		rm -rf "$t"
		return 2
	fi
	rm -rf "$t"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case "${1:-}" in
	fetch)
		shift
		zsf_kernel_fetch "$@"
		for v in KVER SYSROOT KDIR VMLINUZ KMODDIR; do
			printf '%s=%q\n' "$v" "${!v}"
		done
		;;
	*)
		echo "usage: $0 fetch 6.1|6.12 [ARCH]" >&2
		exit 2 ;;
	esac
fi
