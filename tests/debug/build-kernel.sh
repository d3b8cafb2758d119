#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (or find in the cache) the debug kernel of the reliability lane:
# Debian's linux-source-6.12, tinyconfig + tests/debug/config.fragment,
# with KASAN, lockdep, DEBUG_VM and fault injection.  A variant adds
# tests/debug/config.VARIANT.fragment, whose lines replace those of
# config.fragment for the same option: "rt" is the PREEMPT_RT kernel of
# the debug-rt lane.
#
#   tests/debug/build-kernel.sh [VARIANT]  build, then print KEY=value lines
#   eval "$(tests/debug/build-kernel.sh)"  ... and use them
#   source tests/debug/build-kernel.sh; zsf_debug_kernel [VARIANT]
#                                          (sets + exports)
#
# The variables are those tests/lib/kernels.sh's zsf_kernel_fetch sets:
#     KVER     e.g. 6.12.117-zsfdebug
#     VMLINUZ  the bzImage
#     KDIR     a build tree usable for out-of-tree modules (make -C $KDIR M=...)
#     KMODDIR  the kernel's own modules (zram, zsmalloc, brd), with modules.dep
#     SYSROOT  the directory holding lib/modules/$KVER
#     DEBUG_ARGS  the kernel arguments its checkers want (kasan.fault=panic,
#              debug_pagealloc=on: those of the options it has)
#
# Everything lives outside the clone, under
#     ${ZSF_CACHE:-~/.cache/zsfast}/
#         src/linux-source-6.12_<version>/     the unpacked source (1.7 GB)
#         debug-kernel/<version>-<hash>/       one built kernel:
#             fragment (the options asked for),
#             vmlinuz, lib/modules/<KVER>/, build/ (KDIR), .done
#         ccache/                              compiler cache
# <hash> covers the options asked for (not the comments) and the recipe
# below (ZSF_DEBUG_RECIPE), so changing either builds a new kernel; an
# existing .done skips everything.
#
# Knobs: ZSF_CACHE, ZSF_JOBS (default 2), ZSF_NO_APT=1 or ZSF_NO_DEPS=1
# (do not apt-get).
# Progress goes to stderr; the build log to <cache>/build.log.

# Bump when the way the kernel is configured or built changes.
ZSF_DEBUG_RECIPE=2

ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}
_zsf_dbg_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_zsf_dlog() {
	echo "debug-kernel: $*" >&2
}

# The packages (tests/lib/deps.sh, entry "debug"); ZSF_NO_APT=1 is
# ZSF_NO_DEPS=1 here.
_zsf_debug_deps() {
	# shellcheck source=tests/lib/deps.sh
	source "$_zsf_dbg_dir/../lib/deps.sh" || return 1
	if [ "${ZSF_NO_APT:-0}" = 1 ]; then
		ZSF_NO_DEPS=1 zsf_deps debug
	else
		zsf_deps debug
	fi
}

# Every CONFIG_ line of the fragment must be in .config as written; a
# "# CONFIG_X is not set" line must not be set to y or m.
_zsf_debug_verify_config() {
	local frag=$1 config=$2 line opt bad=0

	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			if ! grep -qxF -- "$line" "$config"; then
				opt=${line%%=*}
				_zsf_dlog "fragment wants $line, .config has:" \
					"$(grep -E "^(# )?${opt}[= ]" "$config" || echo nothing)"
				bad=1
			fi ;;
		'# CONFIG_'*' is not set')
			opt=${line#\# }
			opt=${opt%% *}
			if grep -qE "^$opt=" "$config"; then
				_zsf_dlog "fragment wants $opt unset, .config has:" \
					"$(grep -E "^$opt=" "$config")"
				bad=1
			fi ;;
		esac
	done < "$frag"
	return $bad
}

# _zsf_debug_fragment [VARIANT]: the options asked for, one a line
# ("CONFIG_X=v" or "# CONFIG_X is not set"): config.fragment's, each
# replaced by the variant fragment's line for the same option, then the
# variant's other lines.
_zsf_debug_fragment() {
	local base=$_zsf_dbg_dir/config.fragment var=/dev/null

	if [ -n "${1:-}" ]; then
		var=$_zsf_dbg_dir/config.$1.fragment
		[ -f "$var" ] || { _zsf_dlog "no $var"; return 1; }
	fi
	awk '
		/^CONFIG_[A-Za-z0-9_]+=/ { o = $0; sub(/=.*/, "", o) }
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { o = $2 }
		o == "" { next }
		{ if (!(o in line)) order[n++] = o; line[o] = $0; o = "" }
		END { for (i = 0; i < n; i++) print line[order[i]] }
	' "$base" "$var"
}

zsf_debug_kernel() {
	local variant=${1:-} frag srcver hash key out src tarball
	local b jobs t0 rc

	_zsf_debug_deps || return 1
	srcver=$(dpkg-query -W -f '${Version}' linux-source-6.12) || return 1
	frag=$(_zsf_debug_fragment "$variant") || return 1
	hash=$( { echo "$frag"; echo "recipe=$ZSF_DEBUG_RECIPE"; } |
		sha256sum | cut -c1-12)
	key=$srcver-$hash
	out=$ZSF_CACHE/debug-kernel/$key
	src=$ZSF_CACHE/src/linux-source-6.12_$srcver
	b=$out/build
	jobs=${ZSF_JOBS:-2}

	mkdir -p "$ZSF_CACHE/debug-kernel" "$ZSF_CACHE/src" || return 1
	# One builder at a time per machine; the others wait and reuse.
	exec {_zsf_dbg_lock}>"$ZSF_CACHE/debug-kernel/.lock"
	flock "$_zsf_dbg_lock"

	if [ ! -f "$out/.done" ]; then
		t0=$(date +%s)
		mkdir -p "$out" && echo "$frag" > "$out/fragment" || return 1
		if [ ! -f "$src/.zsf-unpacked" ]; then
			tarball=$(dpkg -L linux-source-6.12 | grep -E '\.tar\.(xz|bz2|gz)$' | head -n 1)
			_zsf_dlog "unpacking $tarball into $src"
			rm -rf "$src" "$src.tmp"
			mkdir -p "$src.tmp" || return 1
			tar -xf "$tarball" -C "$src.tmp" --strip-components=1 || return 1
			mv "$src.tmp" "$src" || return 1
			touch "$src/.zsf-unpacked"
		fi

		mkdir -p "$b" || return 1
		_zsf_dlog "configuring in $b"
		{
			make -C "$src" O="$b" tinyconfig &&
			"$src/scripts/kconfig/merge_config.sh" -m -O "$b" \
				"$b/.config" "$out/fragment" &&
			make -C "$src" O="$b" olddefconfig
		} > "$out/config.log" 2>&1 || {
			tail -n 30 "$out/config.log" >&2
			return 1
		}
		if ! _zsf_debug_verify_config "$out/fragment" "$b/.config"; then
			_zsf_dlog "some fragment options did not take (see above)"
			return 1
		fi

		_zsf_dlog "building bzImage and modules (-j$jobs, log $out/build.log)"
		export CCACHE_DIR=${CCACHE_DIR:-$ZSF_CACHE/ccache}
		# Fixed build stamps: the same inputs give the same objects, and
		# ccache hits across rebuilds.
		export KBUILD_BUILD_TIMESTAMP='2025-01-01 00:00:00 UTC'
		export KBUILD_BUILD_USER=zsfast KBUILD_BUILD_HOST=debug-lane
		make -C "$src" O="$b" -j"$jobs" CC="ccache gcc" bzImage modules \
			> "$out/build.log" 2>&1
		rc=$?
		if [ $rc -ne 0 ]; then
			grep -E 'error|Error' "$out/build.log" | head -n 20 >&2
			tail -n 20 "$out/build.log" >&2
			_zsf_dlog "kernel build failed"
			return 1
		fi
		KVER=$(make -s -C "$src" O="$b" kernelrelease) || return 1
		rm -rf "${out:?}/lib"
		make -C "$src" O="$b" INSTALL_MOD_PATH="$out" INSTALL_MOD_STRIP=1 \
			modules_install >> "$out/build.log" 2>&1 || {
			_zsf_dlog "modules_install failed"
			return 1
		}
		# Drop the build/source links: KDIR is exported instead.
		rm -f "$out/lib/modules/$KVER/build" "$out/lib/modules/$KVER/source"
		depmod -b "$out" "$KVER" || return 1
		cp "$b/arch/x86/boot/bzImage" "$out/vmlinuz" || return 1
		echo "$KVER" > "$out/kver"
		_zsf_dlog "built $KVER in $(( $(date +%s) - t0 )) s"
		touch "$out/.done"
	fi
	flock -u "$_zsf_dbg_lock"
	exec {_zsf_dbg_lock}>&-

	KVER=$(cat "$out/kver")
	SYSROOT=$out
	VMLINUZ=$out/vmlinuz
	KDIR=$b
	KMODDIR=$out/lib/modules/$KVER
	# What this kernel's checkers want on the command line: a KASAN
	# report panics the boot; DEBUG_PAGEALLOC is off unless asked for.
	DEBUG_ARGS=
	if grep -qx CONFIG_KASAN=y "$out/fragment"; then
		DEBUG_ARGS=kasan.fault=panic
	fi
	if grep -qx CONFIG_DEBUG_PAGEALLOC=y "$out/fragment"; then
		DEBUG_ARGS="$DEBUG_ARGS debug_pagealloc=on"
	fi
	DEBUG_ARGS=${DEBUG_ARGS# }
	export KVER SYSROOT VMLINUZ KDIR KMODDIR DEBUG_ARGS
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	zsf_debug_kernel "${1:-}"
	for v in KVER SYSROOT VMLINUZ KDIR KMODDIR DEBUG_ARGS; do
		printf '%s=%q\n' "$v" "${!v}"
	done
fi
