#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch a Debian kernel (image + headers + kbuild) into a private sysroot,
# without installing anything: the packages are `apt-get download`ed and
# unpacked with `dpkg-deb -x`.
#
# Source it and call
#     zsf_kernel_fetch NAME [ARCH]
# or run it as
#     eval "$(tests/lib/kernels.sh fetch NAME [ARCH])"
#
# NAME is a kernel of tests/kernels.list (which says what its columns
# mean, and where a kernel of another Debian is built); ARCH defaults to
# amd64.  The result lands in
#     ${ZSF_CACHE:-~/.cache/zsfast}/sysroot/<KVER>/
# and these variables are set and exported:
#     KVER     e.g. 6.12.117+deb12-amd64
#     SYSROOT  the sysroot
#     KDIR     the flavour headers (make -C $KDIR M=...)
#     VMLINUZ  the kernel image
#     KMODDIR  $SYSROOT/lib/modules/$KVER (stock modules, modules.dep)
#     ZSF_KROOT  the build root to run kbuild in (zsf_kernel_run), or
#              empty: this machine
# A stamp file makes a second call cheap (no download, no unpacking).
#
# Other functions:
#     zsf_kernels [ROLE]      the kernels' names (of ROLE; !ROLE: of any
#                             other role), in list order
#     zsf_kernel_field NAME FIELD   suite|image|headers|cc|role|dkms of NAME
#     zsf_kernel_run CMD...   run CMD where the kernel fetched last is
#                             built: here, or in its build root with
#                             $ZSF_CACHE, $ZSF_ROOT and the paths of
#                             ZSF_KROOT_BINDS mounted at the same place
#     zsf_fetch_point FN NAME zsf_kernel_fetch (or FN) NAME as a test:
#                             on failure a failed KTAP point with the
#                             reason (needs tests/lib/ktap.sh)
#     zsf_stage_root ROOT     a scratch root for a guest of the kernel
#                             fetched last: ROOT/lib/modules/$KVER with
#                             its stock modules (hard links if it can)
#                             and module lists, for a make install or
#                             DKMS to add ours to
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

ZSF_ROOT=${ZSF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}
ZSF_KERNELS_LIST=$ZSF_ROOT/tests/kernels.list
ZSF_KROOT=${ZSF_KROOT:-}
# shellcheck source=tests/lib/suite-root.sh
source "$ZSF_ROOT/tests/lib/suite-root.sh"

# What a build root holds besides the kernel's compiler: kbuild's tools
# (tests/lib/deps.sh's kbuild group, for that suite), sparse, and apt's
# download helper.
ZSF_KROOT_PKGS="make libc6-dev binutils kmod dwarves bc libelf-dev xz-utils sparse"

# The entries of tests/kernels.list: NAME SUITE IMAGE HEADERS CC ROLE.
_zsf_kernels_entries() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ZSF_KERNELS_LIST"
}

# shellcheck disable=SC2120 # ROLE is optional
zsf_kernels() {
	_zsf_kernels_entries | awk -v r="${1:-}" '
		r == "" || $6 == r || (r ~ /^!/ && $6 != substr(r, 2)) { print $1 }'
}

zsf_kernel_field() {
	local col

	case "$2" in
	suite) col=2 ;; image) col=3 ;; headers) col=4 ;; cc) col=5 ;;
	role) col=6 ;; dkms) col=7 ;; *) return 1 ;;
	esac
	_zsf_kernels_entries | awk -v n="$1" -v c=$col '$1 == n { print $c; f = 1 }
		END { exit !f }'
}

zsf_stage_root() {
	local root=$1 f

	rm -rf "$root"
	mkdir -p "$root/lib/modules/$KVER"
	cp -al "$KMODDIR/kernel" "$root/lib/modules/$KVER/" 2>/dev/null ||
		cp -a "$KMODDIR/kernel" "$root/lib/modules/$KVER/" || return 1
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		if [ -f "$KMODDIR/$f" ]; then
			cp "$KMODDIR/$f" "$root/lib/modules/$KVER/" || return 1
		fi
	done
}

zsf_kernel_run() {
	local b binds=

	if [ -z "$ZSF_KROOT" ]; then
		"$@"
		return
	fi
	for b in "$ZSF_CACHE" "$ZSF_ROOT" ${ZSF_KROOT_BINDS:-}; do
		case " $binds " in *" $b "*) continue ;; esac
		[ -d "$b" ] && binds="$binds $b"
	done
	# ARCH and CROSS_COMPILE: kbuild's, for a cross build (arm64).
	ZSF_ROOT_BINDS=$binds \
	ZSF_ROOT_ENV="ZSF_ROOT ZSF_CACHE ARCH CROSS_COMPILE ${ZSF_ROOT_ENV:-}" \
		zsf_in_root "$ZSF_KROOT" "$@"
}

# apt in the kernel's root (or here), for SUITE: a -backports suite is
# made the default release, so that its meta packages win.
_zsf_kapt() {
	local suite=$1

	shift
	case "$suite" in
	*-backports) zsf_kernel_run "$@" -o APT::Default-Release="$suite" ;;
	*) zsf_kernel_run "$@" ;;
	esac
}

# Make ZSF_KROOT the build root for SUITE with compiler CC, for kernels
# of ARCH (empty for this machine's distribution), its package lists at
# most an hour old.
_zsf_kernel_root() {
	local suite=$1 cc=$2 arch=$3

	# Not exported: a lane script fetches its own kernel.
	ZSF_KROOT=
	[ "${suite%%-*}" = "$(_zsf_host_suite)" ] && return 0
	ZSF_KROOT=$(zsf_build_root "$suite" "$cc $ZSF_KROOT_PKGS" "$arch") || {
		ZSF_KROOT=
		return 1
	}
}

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

	dep=$(_zsf_kapt "$ZSF_KSUITE" apt-cache depends "$meta" 2>/dev/null |
	      awk '$1 == "Depends:" { print $2 }' | sed 's/:.*//' |
	      grep -E "$pattern" | head -n 1)
	if [ -z "$dep" ]; then
		_zsf_klog "cannot resolve $meta (run apt-get update?)"
		return 1
	fi
	echo "$dep"
}

# The dependencies of PKG, one a line (alternatives and version
# constraints stripped).
_zsf_pkg_deps() {
	_zsf_kapt "$ZSF_KSUITE" apt-cache show "$1" 2>/dev/null |
		awk '/^Depends:/ { sub(/^Depends: */, ""); print; exit }' |
		tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/^ *//; s/ *$//'
}

# One dependency of PKG whose name matches PATTERN.
_zsf_pkg_dep() {
	_zsf_pkg_deps "$1" | grep -E "$2" | head -n 1
}

# The packages that hold the image's files: the image package itself and,
# where it is split (7.x: linux-binary-KVER has vmlinuz, linux-modules-KVER
# the modules, linux-base-KVER the config), the parts it depends on.
_zsf_image_parts() {
	echo "$1"
	_zsf_pkg_deps "$1" | awk -v k="-$2" \
		'/^linux-[a-z]+-/ && substr($0, length($0) - length(k) + 1) == k'
}

zsf_kernel_fetch() {
	local name=$1 arch=${2:-amd64} host_arch suffix img_meta hdr_meta
	local img hdr common kbuild stamp dl deb pkgs f mk cc

	host_arch=$(dpkg --print-architecture)
	ZSF_KERNEL_ERROR=
	if ! ZSF_KSUITE=$(zsf_kernel_field "$name" suite); then
		_zsf_kfail 1 "unknown kernel '$name' (tests/kernels.list: $(zsf_kernels | tr '\n' ' '))"
		return
	fi
	img_meta=$(zsf_kernel_field "$name" image)
	hdr_meta=$(zsf_kernel_field "$name" headers)
	img_meta=${img_meta//ARCH/$arch}
	hdr_meta=${hdr_meta//ARCH/$arch}
	cc=$(zsf_kernel_field "$name" cc)
	_zsf_kernel_root "$ZSF_KSUITE" "$cc" "$arch" ||
		{ _zsf_kfail 1 "no build root for $ZSF_KSUITE"; return; }
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
	# A name that starts with a version promises that series.
	if [[ "$name" =~ ^([0-9]+\.[0-9]+) ]] &&
	   [[ "$KVER" != "${BASH_REMATCH[1]}".* ]]; then
		_zsf_kfail 1 "kernel $name: $img_meta now resolves to $img, not ${BASH_REMATCH[1]}.x (update tests/kernels.list)"
		return
	fi

	SYSROOT=$ZSF_CACHE/sysroot/$KVER
	KDIR=$SYSROOT/usr/src/linux-headers-$KVER
	# Up to 6.x the image is /boot/vmlinuz-KVER; from 7.x (merged /usr)
	# /usr/lib/modules/KVER/vmlinuz, and the sysroot's lib is a link.
	VMLINUZ=$SYSROOT/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || [ ! -f "$SYSROOT/usr/lib/modules/$KVER/vmlinuz" ] ||
		VMLINUZ=$SYSROOT/usr/lib/modules/$KVER/vmlinuz
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
	pkgs=
	for f in $(_zsf_image_parts "$img" "$KVER"); do
		pkgs="$pkgs$f$suffix "
	done
	pkgs="$pkgs$hdr$suffix $common $kbuild"
	_zsf_klog "downloading $pkgs"
	# shellcheck disable=SC2086 # a list of package names
	# shellcheck disable=SC2016 # expanded by the inner shell
	(cd "$dl" && _zsf_kapt "$ZSF_KSUITE" /bin/sh -c 'cd "$1" && shift &&
		apt-get download -q -o APT::Sandbox::User=root "$@"' sh \
		"$dl" $pkgs >&2) || {
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
	# Merged /usr: modules only under usr/lib/modules.
	if [ ! -e "$SYSROOT.tmp/lib" ] && [ -d "$SYSROOT.tmp/usr/lib/modules" ]; then
		ln -s usr/lib "$SYSROOT.tmp/lib" || return 1
	fi
	rm -rf "$SYSROOT"
	mv "$SYSROOT.tmp" "$SYSROOT" || return 1
	[ -f "$VMLINUZ" ] || VMLINUZ=$SYSROOT/usr/lib/modules/$KVER/vmlinuz

	# The flavour Makefile includes the common one by absolute path.
	mk=$KDIR/Makefile
	# From 7.x it also sets KBUILD_OUTPUT to its own absolute path.
	sed -i -e "s|^include /usr/src/|include $SYSROOT/usr/src/|" \
		-e "s|^KBUILD_OUTPUT=/usr/src/|KBUILD_OUTPUT=$SYSROOT/usr/src/|" "$mk"
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
	if ! zsf_kernel_run /bin/sh -c 'command -v depmod' > /dev/null; then
		_zsf_kfail 1 "depmod not found: it writes the sysroot's modules.dep; install kmod"
		return
	fi
	zsf_kernel_run depmod -b "$SYSROOT" "$KVER" ||
		{ _zsf_kfail 1 "depmod -b $SYSROOT $KVER failed"; return; }

	_zsf_kernel_can_build || return
	_zsf_kernel_selftest || return
	touch "$stamp"
}

# zsf_fetch_point FN NAME: FN NAME (zsf_kernel_fetch, zsf_arm64_fetch) in
# this shell; on failure a failed point (tests/lib/ktap.sh) that says
# whether the download or a module build against the headers failed,
# with the reason.  Returns FN's status.
zsf_fetch_point() {
	local err rc=0

	err=$(mktemp)
	"$1" "$2" 2> "$err" || rc=$?
	case $rc in
	0)	;;
	2)	ktap_fail "$2: build a module against the $KVER headers" \
			"$ZSF_KERNEL_ERROR" ;;
	*)	ktap_fail "$2: fetch the kernel" "$(tail -n 10 "$err")" ;;
	esac
	rm -f "$err"
	return $rc
}

# _zsf_kdir_common KDIR: the common headers that KDIR's Makefile includes.
_zsf_kdir_common() {
	sed -n 's|^include \(.*\)/Makefile$|\1|p' "$1/Makefile" | head -n 1
}

# From 6.15 kbuild validates sparse with scripts/checker-valid.sh before
# C=1/C=2, and disables it when the script fails, but Debian's
# linux-kbuild does not ship the script: without it sparse would never
# run.  Put kbuild's own script (scripts/checker-valid.sh, GPL-2.0) in
# the sysroot.
_zsf_kernel_checker_valid() {
	local common s

	common=$(_zsf_kdir_common "$KDIR")
	[ -n "$common" ] && grep -q 'scripts/checker-valid.sh' "$common/Makefile" ||
		return 0
	s=$common/scripts/checker-valid.sh
	[ -f "$s" ] && return 0
	cat > "$s" <<'EOF' || return 1
#!/bin/sh -eu
# SPDX-License-Identifier: GPL-2.0
# Written by the zsfast test rig (tests/lib/kernels.sh): kbuild's script,
# which Debian's linux-kbuild package does not ship.

[ ! -x "$(command -v "$1")" ] && exit 1

tmp_file=$(mktemp)
trap "rm -f $tmp_file" EXIT

cat << EOT >$tmp_file
static inline int u(const int *q)
{
	__typeof_unqual__(*q) v = *q;
	return v;
}
EOT

# sparse happily exits with 0 on error so validate
# there is none on stderr. Use awk as grep is a pain with sh -e
$@ $tmp_file 2>&1 | awk -v c=1 '/error/{c=0}END{print c}'
EOF
	chmod +x "$s"
}

# The tools first: status 2, naming the missing ones.
_zsf_kernel_can_build() {
	_zsf_kernel_checker_valid ||
		_zsf_klog "cannot write scripts/checker-valid.sh in $SYSROOT"
	if [ -n "$ZSF_KROOT" ]; then
		# shellcheck disable=SC2016 # expanded in the root
		ZSF_KERNEL_ERROR=$(zsf_kernel_run /bin/bash -c \
			'source "$ZSF_ROOT/tests/lib/kernels.sh" &&
			 zsf_kbuild_tools "$1" 2>/dev/null ||
			 { echo "$ZSF_KERNEL_ERROR"; exit 1; }' sh "$KDIR") &&
			return 0
		[ -n "$ZSF_KERNEL_ERROR" ] ||
			ZSF_KERNEL_ERROR="cannot run kbuild in $ZSF_KROOT"
	elif zsf_kbuild_tools "$KDIR"; then
		return 0
	fi
	ZSF_KERNEL_ERROR="cannot build modules against the $KVER headers ($KDIR): ${ZSF_KERNEL_ERROR}"
	_zsf_klog "cannot build modules against the $KVER headers ($KDIR)"
	return 2
}

# Build a one-line module against $KDIR: proves the sysroot is usable.
# Status 2 if it does not build.
_zsf_kernel_selftest() {
	local t rc

	mkdir -p "$ZSF_CACHE/tmp" || return 2
	t=$(mktemp -d "$ZSF_CACHE/tmp/selftest.XXXXXX")
	cat > "$t/zsf_probe.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/module.h>
static int __init zsf_probe_init(void) { return 0; }
module_init(zsf_probe_init);
MODULE_LICENSE("GPL");
EOF
	echo 'obj-m := zsf_probe.o' > "$t/Kbuild"
	zsf_kernel_run make -C "$KDIR" M="$t" -j2 modules > "$t/build.log" 2>&1
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
		for v in KVER SYSROOT KDIR VMLINUZ KMODDIR ZSF_KROOT; do
			printf '%s=%q\n' "$v" "${!v}"
		done
		;;
	*)
		echo "usage: $0 fetch NAME [ARCH] (NAME from tests/kernels.list)" >&2
		exit 2 ;;
	esac
fi
