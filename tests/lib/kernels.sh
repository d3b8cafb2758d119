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
# For another ARCH (issue 5) the image and headers are downloaded as
# PKG:ARCH (dpkg --add-architecture ARCH and apt-get update are needed
# first); headers-common is architecture-independent, and linux-kbuild
# holds host tools, so it is always the host's.

ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}

_zsf_klog() {
	echo "kernels: $*" >&2
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
	*)	_zsf_klog "unknown flavor '$flavor' (6.1 or 6.12)"
		return 1 ;;
	esac
	suffix=
	[ "$arch" = "$host_arch" ] || suffix=":$arch"

	img=$(_zsf_resolve_meta "$img_meta$suffix" '^linux-image-[0-9]') || return 1
	hdr=$(_zsf_resolve_meta "$hdr_meta$suffix" '^linux-headers-[0-9]') || return 1
	KVER=${img#linux-image-}
	if [ "${hdr#linux-headers-}" != "$KVER" ]; then
		_zsf_klog "image $img and headers $hdr disagree"
		return 1
	fi

	SYSROOT=$ZSF_CACHE/sysroot/$KVER
	KDIR=$SYSROOT/usr/src/linux-headers-$KVER
	VMLINUZ=$SYSROOT/boot/vmlinuz-$KVER
	KMODDIR=$SYSROOT/lib/modules/$KVER
	export KVER SYSROOT KDIR VMLINUZ KMODDIR
	stamp=$SYSROOT/.zsf-fetched

	if [ -f "$stamp" ] && [ -f "$VMLINUZ" ] && [ -f "$KDIR/Makefile" ]; then
		return 0
	fi

	common=$(_zsf_pkg_dep "$hdr$suffix" '^linux-headers-.*-common')
	kbuild=$(_zsf_pkg_dep "$hdr$suffix" '^linux-kbuild-')
	if [ -z "$common" ] || [ -z "$kbuild" ]; then
		_zsf_klog "cannot find headers-common/kbuild in $hdr's Depends"
		return 1
	fi

	dl=$ZSF_CACHE/debs
	mkdir -p "$dl" || return 1
	pkgs="$img$suffix $hdr$suffix $common $kbuild"
	_zsf_klog "downloading $pkgs"
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root $pkgs >&2) || {
		_zsf_klog "apt-get download failed"
		return 1
	}

	_zsf_klog "unpacking into $SYSROOT"
	rm -rf "$SYSROOT.tmp"
	mkdir -p "$SYSROOT.tmp" || return 1
	for f in $pkgs; do
		f=${f%%:*}
		# The newest download of that package (the name carries the
		# version; a stale one from an older ABI can sit next to it).
		deb=$(ls -t "$dl/${f}_"*.deb 2>/dev/null | head -n 1)
		if [ -z "$deb" ]; then
			_zsf_klog "no .deb for $f in $dl"
			return 1
		fi
		dpkg-deb -x "$deb" "$SYSROOT.tmp" || return 1
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
		_zsf_klog "sysroot incomplete (scripts symlink or vmlinuz missing)"
		return 1
	fi

	# The image package leaves modules.dep to its postinst.
	depmod -b "$SYSROOT" "$KVER" || return 1

	_zsf_kernel_selftest || return 1
	touch "$stamp"
}

# Build a one-line module against $KDIR: proves the sysroot is usable.
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
		_zsf_klog "test module does not build against $KDIR:"
		tail -n 30 "$t/build.log" >&2
		rm -rf "$t"
		return 1
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
