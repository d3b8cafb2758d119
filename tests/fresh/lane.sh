#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The fresh lane: `make demo` on a Debian 12 that has never run anything
# of ours, to prove that the demo installs everything it needs.
#
#   1. A minimal Debian 12 root (debootstrap --variant=minbase bookworm,
#      from the mirror this machine's apt uses, with bookworm-updates and
#      bookworm-security as a fresh install has them) is made once and
#      kept as a pristine tarball in $ZSF_CACHE/fresh-root/.
#   2. Every run unpacks a new copy of it, so that a package installed
#      by an earlier run can never hide one the demo fails to install.
#   3. A clean copy of the repository goes to /root/zsfast in it: `git
#      archive` of HEAD (what CI checks out: committed files only, no
#      build products); ZSF_FRESH_REV=worktree takes the tracked files
#      with their uncommitted changes instead (git stash create).
#   4. With /etc/resolv.conf copied, as root in the chroot: `apt-get
#      install make` (the README's first step: make demo needs make to
#      start), then `make demo`, with an empty environment and /proc,
#      /sys, /dev and /dev/pts mounted in a mount namespace of their
#      own, which ends with them.  A trap removes the copy, also on
#      failure or interrupt.
#
# Shared downloads.  Downloading is slow, so the chroot gets, as hard
# links: the .debs of this machine's apt cache (/var/cache/apt/archives)
# and of earlier runs ($ZSF_CACHE/fresh-root/apt-archives) in its
# /var/cache/apt/archives, and the kernel .debs ($ZSF_CACHE/debs, and
# $ZSF_CACHE/fresh-root/kernel-debs from earlier runs) in its
# $ZSF_CACHE/debs.  They save download time only: a .deb in a cache is
# not an installed package, so each package must still be installed in
# the chroot by the demo's own dependency step (zsf_deps demo), and a
# package missing from the demo's list is still missing there.  The
# kernel is still unpacked, and the modules built, by the demo itself:
# the chroot's ZSF_CACHE holds nothing else (no sysroot).
#
# Output (tests/lib/lane.sh): the demo's own document
# (build/demo/steps.ktap, the guest's nested in it) nested as "make
# demo: steps", so that a failure says which step failed.  Logs in
# $ZSF_OUT/fresh/.
#
# Needs root; as another user it runs itself again with sudo.
# Environment: Documentation/knobs.rst, "Lane fresh" (ZSF_NO_DEPS=1
# spares only this machine: the chroot always installs).

set -euo pipefail

ZSF_LANE=fresh
# shellcheck source=tests/lib/lane.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lane.sh"
W=$ZSF_OUT/fresh
FR=$ZSF_CACHE/fresh-root
SUITE=bookworm
# Bump when the way the pristine root is made changes.
RECIPE=1
TARBALL=$FR/$SUITE-minbase-r$RECIPE.tar.zst
REV=${ZSF_FRESH_REV:-HEAD}
TIMEOUT=${ZSF_FRESH_TIMEOUT:-3600}
RUN=
R=

# debootstrap, mount and chroot need root: as another user, run again
# under sudo.
if [ "$(id -u)" != 0 ]; then
	if [ -z "${ZSF_FRESH_SUDO:-}" ] && command -v sudo > /dev/null; then
		export ZSF_FRESH_SUDO=1
		exec sudo --preserve-env=ZSF_ROOT,ZSF_CACHE,ZSF_OUT,ZSF_NO_DEPS,ZSF_FRESH_SUDO,ZSF_FRESH_REV,ZSF_FRESH_TIMEOUT,ZSF_FRESH_KEEP,ZSF_FRESH_MIRROR,ZSF_FRESH_SECURITY_MIRROR \
			"${BASH_SOURCE[0]}" "$@"
	fi
	ktap_point fail "runs as root (or with sudo)" "debootstrap, mount and chroot need root"
	finish
fi
mkdir -p "$W" "$FR"
rm -f "$W"/*.log "$W"/*.err
rm -rf "$W/demo"

# ---- this machine's tools -------------------------------------------------
# shellcheck source=tests/lib/deps.sh
source "$ZSF_ROOT/tests/lib/deps.sh"
if ! ZSF_DEPS_LOG=$W/deps.log zsf_deps fresh 2> "$W/deps.err"; then
	ktap_point fail "debootstrap, git, zstd installed here (zsf_deps fresh)" \
		"$(tail -n 20 "$W/deps.err")"
	finish
fi

# shellcheck source=tests/lib/suite-root.sh
source "$ZSF_ROOT/tests/lib/suite-root.sh"
MIRROR=${ZSF_FRESH_MIRROR:-$(zsf_mirror_of "$SUITE")}
SECMIRROR=${ZSF_FRESH_SECURITY_MIRROR:-$(zsf_mirror_of "$SUITE-security" \
	http://deb.debian.org/debian-security)}

# ---- 1. the pristine root -------------------------------------------------
make_pristine() {
	local b=$FR/bootstrap.tmp

	# The sources of a fresh Debian 12 install (tests/lib/suite-root.sh).
	ZSF_MIRROR=$MIRROR ZSF_SECURITY_MIRROR=$SECMIRROR \
	ZSF_DEBOOTSTRAP_CACHE=$FR/debootstrap-cache \
		zsf_debootstrap "$SUITE" "$b" "$W/debootstrap.log" || return 1
	tar -C "$b" --numeric-owner -cf - . | zstd -q -T0 > "$TARBALL.tmp" &&
		mv "$TARBALL.tmp" "$TARBALL" || return 1
	rm -rf --one-file-system "$b"
}

t=$(date +%s)
exec {lockfd}> "$FR/.lock"
flock "$lockfd"
if [ -f "$TARBALL" ]; then
	ktap_point ok "pristine Debian 12 root: $(basename "$TARBALL") (made $(date -u -r "$TARBALL" '+%F %H:%M') UTC)"
elif make_pristine 2> "$W/pristine.err"; then
	ktap_point ok "pristine Debian 12 root: debootstrap --variant=minbase $SUITE, $(($(date +%s) - t)) s"
else
	ktap_point fail "pristine Debian 12 root: debootstrap --variant=minbase $SUITE" \
		"$(tail -n 20 "$W/pristine.err")"
	finish
fi
flock -u "$lockfd"
T_ROOT=$(($(date +%s) - t))

# ---- 2. a new copy, and the cleanup ---------------------------------------
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	local p

	[ -n "$R" ] || return 0
	# Processes left in the chroot (a timed-out qemu): ours, by pid.
	# The mounts (in_root) went with the last of them.
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] || continue
		kill -9 "${p#/proc/}" 2>/dev/null || true
	done
	if [ "${ZSF_FRESH_KEEP:-0}" = 1 ]; then
		log "kept $RUN (ZSF_FRESH_KEEP=1)"
	else
		rm -rf --one-file-system "$RUN"
	fi
	R=
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

t=$(date +%s)
RUN=$(mktemp -d "$FR/run.XXXXXX")
R=$RUN/root
mkdir -p "$R"
if zstd -qdc "$TARBALL" | tar -C "$R" --numeric-owner -xf - 2> "$W/unpack.err"; then
	ktap_point ok "a new copy of the root in $RUN ($(($(date +%s) - t)) s)"
else
	ktap_point fail "a new copy of the root in $RUN" "$(tail -n 10 "$W/unpack.err")"
	finish
fi

# ---- 3. shared downloads (see the top: they cannot hide a package) --------
link_debs() {	# link_debs [--new] DEST SRCDIR...: hard-link (or copy) the
		# .debs; --new: only those with one link (downloaded in the
		# chroot, not linked in from here)
	local new=0 dest d f n=0

	[ "$1" = --new ] && { new=1; shift; }
	dest=$1
	shift
	mkdir -p "$dest"
	for d in "$@"; do
		for f in "$d"/*.deb; do
			[ -f "$f" ] || continue
			[ -e "$dest/${f##*/}" ] && continue
			[ $new = 1 ] && [ "$(stat -c %h "$f")" != 1 ] && continue
			ln "$f" "$dest/" 2>/dev/null || cp "$f" "$dest/" || continue
			n=$((n + 1))
		done
	done
	echo $n
}
CROOT_CACHE=$R/root/.cache/zsfast
mkdir -p "$FR/apt-archives" "$FR/kernel-debs"
na=$(link_debs "$R/var/cache/apt/archives" /var/cache/apt/archives "$FR/apt-archives")
nk=$(link_debs "$CROOT_CACHE/debs" "$ZSF_CACHE/debs" "$FR/kernel-debs")
ktap_point ok "shared downloads, not installed: $na apt .debs, $nk kernel .debs"

# ---- 4. the repository ------------------------------------------------------
t=$(date +%s)
rev=$REV
GIT=(git -c safe.directory="$ZSF_ROOT" -C "$ZSF_ROOT")
if [ "$REV" = worktree ]; then
	rev=$("${GIT[@]}" stash create 2>/dev/null || true)
	rev=${rev:-HEAD}
fi
if sha=$("${GIT[@]}" rev-parse --verify "$rev^{commit}" 2> "$W/git.err") &&
   "${GIT[@]}" archive --prefix=zsfast/ "$sha" 2>> "$W/git.err" |
	tar -C "$R/root" -xf - 2>> "$W/git.err"; then
	ktap_point ok "clean copy of the repository: git archive ${sha:0:12} ($REV)"
else
	ktap_point fail "clean copy of the repository (git archive $REV)" "$(tail -n 10 "$W/git.err")"
	finish
fi

# in_root LOG CMD: run a shell command as root in the chroot, with /proc,
# /sys, /dev and /dev/pts mounted in a mount namespace of its own
# (zsf_in_root) and an empty environment (nothing of this machine's ZSF_*
# leaks in).
in_root() {
	local logf=$1

	shift
	TERM=dumb ZSF_ROOT_BINDS=/dev/pts ZSF_ROOT_ENV=TERM zsf_in_root "$R" \
		timeout -k 30 "$TIMEOUT" /bin/sh -c "$*" > "$logf" 2>&1
}
if cp -L --remove-destination /etc/resolv.conf "$R/etc/resolv.conf"; then
	ktap_point ok "copied /etc/resolv.conf"
else
	ktap_point fail "copy /etc/resolv.conf"
	finish
fi

# ---- 5. make, then make demo -------------------------------------------------
t=$(date +%s)
if in_root "$W/make.log" 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make'; then
	ktap_point ok "apt-get install make (the README's first step), $(($(date +%s) - t)) s"
else
	ktap_point fail "apt-get install make (the README's first step)" "$(tail -n 15 "$W/make.log")"
	finish
fi

t=$(date +%s)
log "make demo in the chroot (log: $W/demo.log); this takes a while"
rc=0
in_root "$W/demo.log" 'cd /root/zsfast && make demo' || rc=$?
T_DEMO=$(($(date +%s) - t))

# The demo's logs, and the downloads worth keeping for the next run.
D=$R/root/zsfast/build/demo
mkdir -p "$W/demo"
for f in steps.ktap deps.log build.log result.ktap guest.stderr guest/console.log; do
	[ -f "$D/$f" ] && cp "$D/$f" "$W/demo/${f//\//-}"
done
link_debs --new "$FR/apt-archives" "$R/var/cache/apt/archives" > /dev/null
link_debs --new "$FR/kernel-debs" "$CROOT_CACHE/debs" > /dev/null

# The demo's steps: its own document, nested.
nfail_before=$(ktap_failures)
if [ -f "$D/steps.ktap" ]; then
	ktap_nest "make demo: steps" "$D/steps.ktap"
fi
if [ $rc -ne 0 ]; then
	why="make demo exited with status $rc"
	[ $rc -eq 124 ] && why="make demo timed out after $TIMEOUT s"
	# What the demo said last (the failed step and its cause).
	echo "# make demo's last words (all in $W/demo.log):"
	grep -v '^ *$' "$W/demo.log" | tail -n 12 | sed 's/^/#   /'
	if [ "$(ktap_failures)" -eq "$nfail_before" ]; then
		ktap_point fail "make demo ($why)"
	fi
else
	ktap_point ok "make demo: exit status 0 in a fresh Debian 12, $T_DEMO s"
fi
# Remove the copy now (the trap would, too), so that the lane's time
# includes it.
t=$(date +%s)
cleanup
echo "# times: pristine root $T_ROOT s, make demo $T_DEMO s, cleanup $(($(date +%s) - t)) s"
finish
