#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Deliberate-bug proof for the debug lane: plant a bug in a
# scratch copy of the tree under /tmp (never in the clone, never
# committed), build it against the debug kernel, boot it the way the lane
# does, and check that the kernel's checker names the bug.
#
#   tests/debug/deliberate.sh [--build-only] [uaf] [lockorder] [rtslot]
#                             [rawwake]                (default: all)
#
# --build-only: plant each bug and build it (ZSF_WERROR) against the
# kernel headers at $KDIR, with no debug kernel and no boot: that each
# plant still finds its anchor and builds.  The debug lane runs this
# against the debug kernel, so that a plant cannot rot unseen between
# runs of the full proof, which takes four debug boots and is run by
# hand.
#
# The bugs (uaf, lockorder, rtslot, rawwake), what each plants and the
# report it must draw: the table in tests/debug/README.md, and bug()
# below.  Each bug gets a boot of its own (one KASAN report turns lockdep off),
# running the stress test for DELIBERATE_SECONDS (default 120) so that
# frees, writes, zramx compaction and system compaction all happen.
# Output: KTAP on stdout; the matching report lines as diagnostics.
# Exit status 0 if every planted bug was reported.

set -euo pipefail

SRC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRATCH=${ZSF_SCRATCH:-/tmp/zsf-deliberate}
SECS=${DELIBERATE_SECONDS:-120}
BUILD_ONLY=0
if [ "${1:-}" = --build-only ]; then
	BUILD_ONLY=1
	shift
fi
BUGS=${*:-uaf lockorder rtslot rawwake}

# shellcheck source=tests/debug/build-kernel.sh
source "$SRC_ROOT/tests/debug/build-kernel.sh"

# With tests/lib/{build,guest}.sh: guest.sh's ZSF_SPLAT_RE is for the
# diagnostics of a bug that was not reported.
ZSF_LANE=deliberate
# shellcheck source=tests/lib/lane.sh
source "$SRC_ROOT/tests/lib/lane.sh"

# bug BUG: set FILE (the source it plants into), PLANT (the perl -0p
# program that plants it), RE (the report the kernel must print) and
# VARIANT (the debug kernel that can see it: rt, or "").
bug() {
	VARIANT=
	case "$1" in
	uaf)
		FILE=src/zsfast/alloc.c
		RE='BUG: KASAN: [a-z-]*use-after-free in zsf_free'
		PLANT='s{(class = zsf_lock_handle_class\(pool, handle, obj, &contended\);\n)(\tobj = zsf_handle_obj\(handle\);)}{$1\tkmem_cache_free(zsf_handle_cache, (void *)handle); /* PLANTED: use-after-free */\n$2}; s{(\tspin_unlock\(&class->lock\);\n\n)(\tzsf_handle_slot_free\(handle\);\n)(\tif \(unlikely\(contended\)\))}{$1\tif (0) /* PLANTED: freed above; kept so that it is used */\n\t$2$3}' ;;
	rtslot)
		FILE=src/zramx/zramx.h
		RE='BUG: sleeping function called from invalid context'
		VARIANT=rt
		PLANT='s#(\tspin_lock\(&zx->table\[index\]\.lock\);\n)#$1\tpreempt_disable(); /* PLANTED: a bit spinlock */\n#; s#(\treturn spin_trylock\(&zx->table\[index\]\.lock\))#\tif (!spin_trylock(&zx->table[index].lock))\n\t\treturn false;\n\tpreempt_disable(); /* PLANTED */\n\treturn true#; s#(\tspin_unlock\(&zx->table\[index\]\.lock\);)#\tpreempt_enable(); /* PLANTED */\n$1#' ;;
	rawwake)
		FILE=src/zramx/gather.c
		RE='BUG: Invalid wait context'
		PLANT='s#(/\* The handles of a claimed batch are freed)#static DECLARE_WAIT_QUEUE_HEAD(zsf_planted_wq); /* PLANTED */\n\n$1#; s#(\tif \(!--zx->gathers\)\n\t\tswake_up_one\(&zx->gather_wq\);\n)#\twake_up(&zsf_planted_wq); /* PLANTED: spinlock_t in a raw one */\n$1#' ;;
	lockorder)
		FILE=src/zsfast/access.c
		RE='WARNING: possible circular locking dependency detected'
		PLANT='s#(\t\tmemcpy_to_page\(page, 0, mem \+ first, len - first\);\n\t\}\n)(\tread_unlock\(&zspage->migrate_lock\);)#$1\tspin_lock(&class->lock); /* PLANTED: migrate_lock -> class lock */\n\tspin_unlock(&class->lock);\n$2#' ;;
	*)
		return 1 ;;
	esac
}

# planted BUG DIR: plant BUG in DIR's src/ and print the diff as
# diagnostics; a failed point if the anchor text is gone.
planted() {
	cp -r "$2/src" "$2/src.orig"
	perl -0pi -e "$PLANT" "$2/$FILE"
	if diff -ru "$2/src.orig" "$2/src" > "$2/planted.diff"; then
		ktap_point fail "$1: planted (anchor text not found; the source changed)"
		return 1
	fi
	rm -rf "$2/src.orig"
	sed 's/^/# /' "$2/planted.diff"
}

if [ $BUILD_ONLY = 1 ]; then
	: "${KDIR:?--build-only: set KDIR to the headers of a kernel}"
	# The unplanted build first, kept as base.  Each bug is built in
	# a copy of it at the same path (kbuild compares the command
	# lines, which hold the path), so that only what the plant touched
	# is compiled again.
	rm -rf "$SCRATCH/out" "$SCRATCH/base"
	if ZSF_ROOT=$SRC_ROOT zsf_build "$KDIR" "$SCRATCH/out" >&2; then
		cp -a "$SCRATCH/out" "$SCRATCH/base"
	else
		ktap_point fail "the tree as it is builds" "see $SCRATCH/out/build.log"
	fi
fi

for bug in $BUGS; do
	dir=$SCRATCH/$bug
	bug "$bug" || { ktap_point fail "$bug: unknown bug"; continue; }
	if [ $BUILD_ONLY = 1 ]; then
		[ -d "$SCRATCH/base" ] || break
		rm -rf "$dir" "$SCRATCH/out"
		mkdir -p "$dir"
		ZSF_ROOT=$SRC_ROOT zsf_copy_tree "$dir/tree"
		planted "$bug" "$dir/tree" || continue
		cp -a "$SCRATCH/base" "$SCRATCH/out"
		if ZSF_ROOT=$dir/tree zsf_build "$KDIR" "$SCRATCH/out" >&2; then
			ktap_point ok "$bug: plants and builds"
		else
			ktap_point fail "$bug: plants and builds" \
				"$(grep -E 'error|warning:' "$SCRATCH/out/build.log" | head -n 10)"
		fi
		cp "$SCRATCH/out/build.log" "$dir/"
		continue
	fi
	zsf_debug_kernel "$VARIANT" ||
		{ ktap_point fail "$bug: debug kernel"; continue; }
	rm -rf "$dir"
	mkdir -p "$dir"
	# The working tree as it is (uncommitted work included), without
	# git metadata and build output.
	rsync -a --exclude=.git --exclude=/build --exclude='*.o' \
		--exclude='*.ko' --exclude='.*.cmd' "$SRC_ROOT/" "$dir/"
	planted "$bug" "$dir" || continue

	(
		export ZSF_ROOT=$dir
		# shellcheck source=tests/lib/build.sh
		source "$dir/tests/lib/build.sh"
		# shellcheck source=tests/lib/guest.sh
		source "$dir/tests/lib/guest.sh"
		zsf_build "$KDIR" "$dir/out/mods" >&2 || exit 10
		zsf_build_progs "$dir/out/progs" >&2 || exit 11
		ktap_begin	# the boot's points are a document of their own
		GUEST_KOS=$dir/out/mods GUEST_PROGS=$dir/out/progs \
		GUEST_TESTS=stress GUEST_OUT=$dir/out/guest \
		GUEST_TIMEOUT=$((SECS * 3 + 600)) GUEST_EXPECT_SPLAT=1 \
		GUEST_APPEND="$DEBUG_ARGS slab_nomerge zsf.stress_seconds=$SECS" \
			zsf_guest_run > "$dir/out/guest.ktap" 2> "$dir/out/guest.stderr" || true
	) || { ktap_point fail "$bug: build in the scratch tree"; continue; }

	con=$SCRATCH/$bug/out/guest/console.log
	if tr -d '\r' < "$con" | grep -E -- "$RE" > /dev/null; then
		# (head closes the pipe early: not a failure under pipefail)
		tr -d '\r' < "$con" | grep -E -A 30 -- "$RE" | head -n 40 | sed 's/^/# /' || true
		ktap_point ok "$bug: reported by the kernel ($RE)"
	else
		# shellcheck disable=SC2031 # set above; the subshell's is the same
		tr -d '\r' < "$con" | grep -E "$ZSF_SPLAT_RE" 2>/dev/null | head -n 10 | sed 's/^/# /' || true
		ktap_point fail "$bug: reported by the kernel ($RE)"
	fi
	log "$bug: console $con"
done
finish
