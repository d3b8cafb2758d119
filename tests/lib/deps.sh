#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian 12 packages each entry point needs, and the one helper that
# installs them.  Source it (bash) and call
#     zsf_deps ENTRY...
# or run it as
#     tests/lib/deps.sh install ENTRY...    # the same
#     tests/lib/deps.sh list ENTRY...       # print the packages
#     tests/lib/deps.sh entries             # print the entry names
#
# zsf_deps installs, with apt-get, those packages of the ENTRY lists that
# dpkg-query does not show as installed, and nothing else.  It runs
# `apt-get update` first when apt has no package lists or a missing
# package has no candidate, and once more (then retries) if the install
# fails (stale lists).  Everything apt prints goes to $ZSF_DEPS_LOG
# (default $ZSF_OUT/deps.log, or /tmp/zsf-deps.log); on failure it names
# each package that could not be installed, and why, on stderr.
#
# ZSF_NO_DEPS=1: do not apt-get.  zsf_deps then only says which packages
# are missing (on stderr) and returns 0, so that the step that needs one
# fails and names its tool.
#
# Returns 0 when everything is installed (or ZSF_NO_DEPS=1), 1 otherwise.

# ---- the package lists: the one place to change them --------------------
# Groups, by what they are for.
declare -gA ZSF_PKGS=(
	# kbuild: build out-of-tree modules against Debian's kernel headers.  The
	#	kernel's CC is gcc-12 (x86_64-linux-gnu-gcc-12 on 6.12), binutils
	#	its LD; pahole (dwarves, which pulls pahole) writes the modules'
	#	BTF when the headers ship vmlinux and CONFIG_DEBUG_INFO_BTF_MODULES
	#	is set (6.12); depmod and modprobe (kmod); xz compresses modules at
	#	`make install` on 6.12 (CONFIG_MODULE_COMPRESS_XZ).
	[kbuild]="make gcc gcc-12 binutils libc6-dev kmod dwarves bc libelf-dev xz-utils"
	# fetch: apt-get download and dpkg-deb -x of the kernel packages (apt and
	#	dpkg themselves are in every Debian).
	[fetch]="apt-utils ca-certificates"
	# progs: the static test programs (libc.a is in libc6-dev).
	[progs]="gcc libc6-dev"
	# guest: the QEMU rig (tests/lib/guest.sh): busybox initramfs, the stock
	#	modules decompressed (xz, zstd) and resolved (kmod), TCG.
	[guest]="qemu-system-x86 busybox-static cpio gzip xz-utils zstd file kmod"
	# tree: copying the tree into build directories.
	[tree]="rsync"
	# lint: sparse (C=2), checkpatch.pl (perl).
	[lint]="sparse perl"
	# dkms: the install lane (dkms; openssl, with which DKMS makes its
	#	signing key; systemd-analyze).
	[dkms]="dkms openssl systemd"
	# plot: bench/report.sh's charts.
	[plot]="gnuplot-nox"
	# debugk: tests/debug/build-kernel.sh builds a kernel from linux-source.
	[debugk]="linux-source-6.12 ccache bc bison flex libelf-dev libssl-dev cpio kmod dwarves xz-utils make gcc"
	# arm64: the cross compiler and qemu-system-aarch64 (the arm64 kernels
	#	and busybox are downloaded, not installed); dpkg must know arm64
	#	first (tests/arm64/lib.sh).
	[arm64]="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
	# suiteroot: the build roots of kernels from another Debian
	#	(tests/kernels.list, tests/lib/suite-root.sh): debootstrap; mount
	#	and chroot are in every Debian.
	[suiteroot]="debootstrap"
	# rootfs: the fresh lane's Debian root (debootstrap), its pristine
	#	tarball (zstd) and the clean copy of the repository (git).
	[rootfs]="debootstrap git tar zstd"
)

# Entry points and lanes -> groups.
_zsf_deps_groups() {
	case "$1" in
	demo)	 echo "kbuild fetch progs guest tree" ;;	# make demo
	bench)	 echo "kbuild fetch progs guest tree plot" ;;	# make bench
	build)	 echo "kbuild fetch progs tree lint suiteroot" ;; # lane build
	guest)	 echo "kbuild fetch progs guest tree suiteroot" ;; # lanes guest-*
	install) echo "kbuild fetch progs guest tree dkms" ;;	# lane install
	arm64)	 echo "kbuild fetch progs guest tree arm64" ;;	# lane arm64
	debug)	 echo "debugk kbuild fetch progs guest tree" ;;	# lane debug
	fresh)	 echo "rootfs" ;;				# lane fresh
	# make check: every lane's.
	check)	 local l
		 for l in build guest install arm64 debug fresh; do
			 _zsf_deps_groups "$l"
		 done ;;
	*)	 return 1 ;;
	esac
}
ZSF_DEPS_ENTRIES="demo bench build guest install arm64 debug fresh check"
# --------------------------------------------------------------------------

_zsf_deplog() {
	echo "deps: $*" >&2
}

# zsf_deps_list ENTRY...: the packages, one a line, sorted, no repeats.
zsf_deps_list() {
	local e g groups

	for e in "$@"; do
		if ! groups=$(_zsf_deps_groups "$e"); then
			_zsf_deplog "unknown entry '$e' (entries: $ZSF_DEPS_ENTRIES)"
			return 1
		fi
		for g in $groups; do
			# shellcheck disable=SC2086 # a list, split on purpose
			printf '%s\n' ${ZSF_PKGS[$g]}
		done
	done | sort -u
}

# The packages of PKG... that dpkg does not show as installed.
_zsf_deps_missing() {
	local p

	for p in "$@"; do
		[ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
			echo "$p"
	done
}

_zsf_deps_candidate() {	# _zsf_deps_candidate PKG: apt can install some version
	local c

	c=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	[ -n "$c" ] && [ "$c" != "(none)" ]
}

# apt-get update, for zsf_deps (its apt, log and updated).
_zsf_deps_update() {
	_zsf_deplog "apt-get update"
	updated=1
	"${apt[@]}" update >> "$log" 2>&1
}

_zsf_deps_have_lists() {
	compgen -G '/var/lib/apt/lists/*_Packages*' > /dev/null
}

zsf_deps() {
	local log p updated=0 rc why pkgs
	local -a missing still apt

	pkgs=$(zsf_deps_list "$@") && [ -n "$pkgs" ] || return 1
	# shellcheck disable=SC2086 # a list of package names
	mapfile -t missing < <(_zsf_deps_missing $pkgs)
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "${ZSF_NO_DEPS:-0}" = 1 ]; then
		_zsf_deplog "not installed, and ZSF_NO_DEPS=1: ${missing[*]}"
		return 0
	fi

	apt=()
	[ "$(id -u)" = 0 ] || apt=(sudo)
	log=${ZSF_DEPS_LOG:-${ZSF_OUT:+$ZSF_OUT/deps.log}}
	log=${log:-/tmp/zsf-deps.log}
	mkdir -p "$(dirname "$log")" || return 1
	echo "# $(date -u '+%F %T') UTC: zsf_deps $*: missing ${missing[*]}" >> "$log"
	apt+=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q
	     -o DPkg::Lock::Timeout=600)

	if ! _zsf_deps_have_lists; then
		_zsf_deps_update || true
	else
		for p in "${missing[@]}"; do
			if ! _zsf_deps_candidate "$p"; then
				_zsf_deps_update || true
				break
			fi
		done
	fi
	_zsf_deplog "installing ${missing[*]} (apt-get, log: $log)"
	while :; do
		rc=0
		"${apt[@]}" install --no-install-recommends "${missing[@]}" \
			>> "$log" 2>&1 || rc=$?
		[ $rc -ne 0 ] && [ $updated = 0 ] || break
		_zsf_deps_update || true
	done

	mapfile -t still < <(_zsf_deps_missing "${missing[@]}")
	[ $rc -eq 0 ] && [ ${#still[@]} -eq 0 ] && return 0

	# Name the culprits: apt installs all or nothing, so try each.
	_zsf_deplog "apt-get install failed (status $rc); the last lines of $log:"
	tail -n 15 "$log" | sed 's/^/deps:   /' >&2
	for p in "${still[@]}"; do
		if ! _zsf_deps_candidate "$p"; then
			why="no such package in the configured archive (apt-cache policy $p: no candidate)"
		elif ! why=$("${apt[@]}" install -s --no-install-recommends "$p" 2>&1); then
			why=$(printf '%s\n' "$why" | grep -E '^(E:| [^ ].*: Depends)' | head -n 3 |
				tr '\n' ' ')
			why="cannot be installed: ${why:-apt-get install -s $p failed}"
		elif ! "${apt[@]}" install --no-install-recommends "$p" >> "$log" 2>&1; then
			why="apt-get install $p failed (see $log)"
		else
			continue
		fi
		_zsf_deplog "could not install $p: $why"
	done
	mapfile -t still < <(_zsf_deps_missing "${missing[@]}")
	[ ${#still[@]} -eq 0 ] && return 0
	_zsf_deplog "not installed: ${still[*]}"
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case "${1:-}" in
	install) shift; zsf_deps "$@" ;;
	list)	 shift; zsf_deps_list "$@" ;;
	entries) echo "$ZSF_DEPS_ENTRIES" ;;
	*)	 echo "usage: $0 install|list ENTRY... | entries" >&2
		 exit 2 ;;
	esac
fi
