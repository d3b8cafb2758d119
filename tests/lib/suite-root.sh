#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Minimal Debian roots made with debootstrap, for the lanes that need a
# Debian other than this machine's: the fresh lane (a pristine Debian 12
# root, as a tarball it unpacks anew for every run) and the build of
# modules against kernels whose tools need a newer glibc than this host's
# (a build root per distribution, kept as a directory).  Source it (bash).
#
#   zsf_mirror_of SUITE [DEFAULT]
#	The mirror apt uses here for SUITE/main, or DEFAULT (Debian's).
#
#   zsf_suite_sources SUITE MIRROR SECMIRROR
#	A deb822 sources file for SUITE as a fresh install has it: SUITE
#	and its -updates and -security, or, for sid, sid alone.  With
#	ZSF_SUITE_BACKPORTS=1 (and not sid), SUITE-backports too.
#
#   zsf_debootstrap SUITE DIR LOG
#	debootstrap --variant=minbase SUITE into DIR (which must not exist
#	or hold no mounts), with the fresh install's sources, no package
#	lists and no .debs left, from ZSF_MIRROR and ZSF_SECURITY_MIRROR
#	(default: this machine's).  The downloaded .debs are kept in
#	ZSF_DEBOOTSTRAP_CACHE ($ZSF_CACHE/debootstrap-cache/) for the next
#	time.
#
#   zsf_build_root SUITE PACKAGES [ARCH]
#	Print the path of a build root for SUITE ("trixie", "sid"; a
#	-backports suite uses its distribution's root, which lists the
#	backports), made on first use under $ZSF_CACHE/suite-root/ with
#	PACKAGES (a space list) installed in it; PACKAGES missing from an
#	existing root are installed, and package lists older than an hour
#	refreshed, on the next call.  With ARCH (arm64),
#	dpkg in the root knows that architecture too, so that apt there
#	resolves and downloads PKG:ARCH.  Locked, so that two lanes never
#	make or change the same root at once.
#
#   zsf_in_root ROOT CMD...
#	Run CMD (argv) as root in ROOT with /proc, /sys, /dev and the
#	directories of ZSF_ROOT_BINDS (space list of absolute paths, bound
#	at the same path) mounted, and an environment of PATH, HOME, LANG
#	and the names in ZSF_ROOT_ENV that are set.  The mounts live in a
#	mount namespace of CMD's own, so concurrent calls on one root do
#	not disturb each other and nothing stays mounted afterwards.

ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}
# Bump when the way the build roots are made changes.
ZSF_SUITE_ROOT_RECIPE=1

_zsf_rlog() {
	echo "suite-root: $*" >&2
}

zsf_mirror_of() {
	local m

	m=$(apt-cache policy 2>/dev/null |
	    awk -v s="$1/main" '$3 == s && $2 ~ /^https?:\/\// { print $2; exit }')
	echo "${m:-${2:-http://deb.debian.org/debian}}"
}

# _zsf_stanza URI SUITES: one deb822 stanza.
_zsf_stanza() {
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\n' "$1" "$2"
	echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
}

zsf_suite_sources() {
	local suite=$1 extra=

	if [ "$suite" = sid ] || [ "$suite" = unstable ]; then
		_zsf_stanza "$2" "$suite"
		return
	fi
	[ "${ZSF_SUITE_BACKPORTS:-0}" = 1 ] && extra=" $suite-backports"
	_zsf_stanza "$2" "$suite $suite-updates$extra"
	echo
	_zsf_stanza "$3" "$suite-security"
}

# This machine's suite (bookworm).
_zsf_host_suite() {
	local VERSION_CODENAME=

	# shellcheck disable=SC1091 # the machine's
	. /etc/os-release 2>/dev/null
	echo "${VERSION_CODENAME:-bookworm}"
}

zsf_debootstrap() {
	local suite=$1 b=$2 logf=$3 mirror sec
	local cache=${ZSF_DEBOOTSTRAP_CACHE:-$ZSF_CACHE/debootstrap-cache}

	# Never rm -rf a tree with something mounted in it.
	if grep -qF " $b/" /proc/mounts; then
		_zsf_rlog "$b has mounts; not touching it"
		return 1
	fi
	rm -rf --one-file-system "$b"
	# This machine's mirror serves every suite.
	mirror=${ZSF_MIRROR:-$(zsf_mirror_of "$(_zsf_host_suite)")}
	sec=${ZSF_SECURITY_MIRROR:-$(zsf_mirror_of "$(_zsf_host_suite)-security" \
		http://deb.debian.org/debian-security)}
	_zsf_rlog "debootstrap --variant=minbase $suite from $mirror (log: $logf)"
	mkdir -p "$cache"
	debootstrap --variant=minbase --cache-dir="$cache" \
		"$suite" "$b" "$mirror" > "$logf" 2>&1 || {
		tail -n 20 "$logf" >&2
		return 1
	}
	rm -f "$b/etc/apt/sources.list"
	zsf_suite_sources "$suite" "$mirror" "$sec" \
		> "$b/etc/apt/sources.list.d/debian.sources"
	# No package lists and no .debs in the root.
	rm -rf "$b"/var/lib/apt/lists/* "$b"/var/cache/apt/archives/*.deb
	mkdir -p "$b/var/lib/apt/lists/partial"
}

zsf_in_root() {
	local r=$1 m v
	local -a mnt=() envv=()

	shift
	for m in /proc /sys /dev ${ZSF_ROOT_BINDS:-}; do
		mkdir -p "$r$m" && mnt+=("$m") || return 1
	done
	for v in ${ZSF_ROOT_ENV:-}; do
		# Unset stays unset: kbuild reads an empty ARCH= as set.
		[ -n "${!v+set}" ] && envv+=("$v=${!v}")
	done
	# In a private mount namespace, the mounts are this call's alone and
	# go with it, however it ends: two calls on one root never see,
	# stack or undo each other's.
	# shellcheck disable=SC2016 # the inner shell's
	unshare --mount --propagation private /bin/bash -c '
		r=$1 n=$2
		shift 2
		for ((; n > 0; n--)); do
			mount --bind "$1" "$r$1" || exit 1
			shift
		done
		exec chroot "$r" "$@"' _ "$r" "${#mnt[@]}" "${mnt[@]}" \
		/usr/bin/env -i HOME=/root LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"${envv[@]}" "$@"
}

# The packages of the space list $2 that dpkg in root $1 lacks.
_zsf_root_missing() {
	local r=$1 p

	for p in $2; do
		# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
		chroot "$r" dpkg-query -W -f='${db:Status-Status}\n' "$p" \
			2>/dev/null | grep -qx installed || echo "$p"
	done
}

zsf_build_root() {
	local suite=${1%-backports} base r lockfd rc=0

	base=$ZSF_CACHE/suite-root
	r=$base/$suite-r$ZSF_SUITE_ROOT_RECIPE
	mkdir -p "$base" || return 1
	exec {lockfd}> "$base/.lock-$suite"
	flock "$lockfd"
	_zsf_root_update "$suite" "$r" "$2" "${3:-}" "$base/$suite.log" || rc=1
	flock -u "$lockfd"
	[ $rc = 0 ] && echo "$r"
}

# _zsf_root_update SUITE ROOT PACKAGES ARCH LOG: zsf_build_root's work,
# under its lock.
_zsf_root_update() {
	local suite=$1 r=$2 pkgs=$3 arch=$4 logf=$5 missing lists=

	if [ ! -f "$r/.zsf-root" ]; then
		ZSF_SUITE_BACKPORTS=1 zsf_debootstrap "$suite" "$r.tmp" "$logf" ||
			return 1
		rm -rf --one-file-system "$r"
		mv "$r.tmp" "$r" && touch "$r/.zsf-root" || return 1
	fi
	# The mirror may be a snapshot: sid's Release is valid for a week
	# only, and a build root must still resolve the kernel it names.
	echo 'Acquire::Check-Valid-Until "false";' \
		> "$r/etc/apt/apt.conf.d/99zsf-snapshot"
	if [ -n "$arch" ] && [ "$arch" != "$(chroot "$r" dpkg --print-architecture)" ] &&
	   ! chroot "$r" dpkg --print-foreign-architectures | grep -qx "$arch"; then
		_zsf_rlog "dpkg --add-architecture $arch in the $suite root"
		chroot "$r" dpkg --add-architecture "$arch" || return 1
	else
		# Package lists at most an hour old, so that a kernel's
		# meta package resolves to what the archive has now.
		lists=$(find "$r/var/lib/apt/lists" -maxdepth 1 -name '*_Packages*' \
			-mmin -60 2> /dev/null | head -n 1)
	fi
	missing=$(_zsf_root_missing "$r" "$pkgs")
	[ -z "$lists" ] || [ -n "$missing" ] || return 0
	_zsf_rlog "apt-get update${missing:+, install ${missing//$'\n'/ },} in the $suite root"
	# shellcheck disable=SC2016,SC2086 # the inner shell's; a list of names
	zsf_in_root "$r" /bin/sh -c 'apt-get update -q || exit 1
		[ $# = 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install \
			-y -q --no-install-recommends "$@" && apt-get clean' \
		sh $missing >> "$logf" 2>&1 || {
		tail -n 20 "$logf" >&2
		return 1
	}
}
