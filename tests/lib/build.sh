#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build helpers for the test suite.  Source this file (bash).
#
#   zsf_build KDIR OUTDIR [make args...]
#	Copy the buildable tree (Kbuild, Makefile, src/, include/,
#	tests/kmod/, bench/kmod/) into OUTDIR and build it
#	with ZSF_TESTS=1 ZSF_WERROR=1 against KDIR.  Use one OUTDIR per
#	kernel and variant, so objects of different kernels never mix.
#	The log is OUTDIR/build.log; any "warning:" in it is a failure.
#
#   zsf_build_sparse KDIR OUTDIR [make args...]
#	The same with C=1 (sparse).  Fails on any sparse or compiler
#	warning/error that points into our own files.  Sparse also reports
#	problems inside Debian's kernel headers (e.g. context imbalance or
#	address-space noise in include/linux/...); those point outside
#	OUTDIR, are not ours to fix, and are filtered out, but they are kept
#	in OUTDIR/sparse-ignored.log for reference.  Fails if sparse
#	checked no file; returns 3 if kbuild refused the sparse it has
#	(too old for the kernel's headers).
#
#   zsf_probe_check OUTDIR KERNEL
#	Compare the HAVE_* names that a zsf_build in OUTDIR compiled with
#	(from kbuild's saved command line of src/zsfast/main.o) with
#	the pinned values of src/compat/expected/KERNEL.txt ("HAVE_NAME
#	yes|no" lines, KERNEL a name of tests/kernels.list).  Fails, naming
#	them, on a probe whose value differs, a probe of features-*.txt
#	that is not pinned, or a pinned name that is no probe: a probe
#	that silently stops matching (a header moved a declaration, a
#	regex broke) is seen here before it changes what is compiled.
#
#   zsf_imports_check OUTDIR KERNEL ARCH
#	Compare the kernel symbols that OUTDIR's zsfast.ko and zramx.ko
#	import (nm -u, less what zsfast.ko itself defines) with the list
#	in Documentation/imports.rst between the "kernel-imports"
#	markers: one symbol a line, then where it is imported: "all",
#	"amd64" (every kernel of tests/kernels.list), names of
#	tests/kernels.list (their amd64 builds), "arm64" (every build of
#	the arm64 lane) or "arm64-NAME" (its build for that kernel: it
#	passes KERNEL=arm64-6.12-16k, ARCH=arm64).  Fails, naming them, on a
#	symbol imported but not listed for KERNEL on ARCH, or listed but
#	not imported: a GKI user checks that list against their kernel's.
#	ZSF_NM: the nm to use (a cross nm for another architecture).
#
#   zsf_build_progs OUTDIR [CC]
#	Compile every tests/prog/*.c into a static binary OUTDIR/NAME
#	(CC, default gcc, -static -O2 -Wall -Werror) for the guest, unless
#	it is up to date; each binary is replaced by a rename, so a lane
#	beside this one never packs a half-written one.
#
#   zsf_checkpatch [LOG]
#	Run the kernel's scripts/checkpatch.pl (--no-tree -f, no --strict:
#	ERROR and WARNING are what upstream requires; CHECK-level items are
#	style preferences) on every .c/.h under src/, include/, tests/kmod/,
#	tests/prog/ and bench/kmod/.  Fails on any ERROR or WARNING.
#	checkpatch.pl and its data files come from Debian's linux-source-6.12 package, cached
#	under ${ZSF_CACHE:-~/.cache/zsfast}/checkpatch/.  Known false
#	positives are listed, per file and type, in
#	ZSF_CHECKPATCH_EXCEPTIONS below.
#
# zsf_build and zsf_build_sparse run kbuild where tests/lib/kernels.sh's
# zsf_kernel_run does: in the build root of the kernel fetched last
# (ZSF_KROOT), if it has one.
#
# All functions return non-zero on failure and print a short reason on
# stderr; they never exit the calling shell.

ZSF_ROOT=${ZSF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}
if ! declare -F zsf_kernel_run > /dev/null; then
	# shellcheck source=tests/lib/kernels.sh
	source "$ZSF_ROOT/tests/lib/kernels.sh"
fi

_zsf_blog() {
	echo "build: $*" >&2
}

# Files that a build produces: kept by the copy, so rebuilds are
# incremental, and ignored when looking for stale sources.
_ZSF_BUILD_PRODUCTS=(--filter='P *.o' --filter='P *.ko' --filter='P *.mod'
	--filter='P *.mod.c' --filter='P .*.cmd' --filter='P *.a'
	--filter='P modules.order' --filter='P Module.symvers'
	--filter='P .tmp_*' --filter='P *.log' --filter='P *.dwo'
	--filter='P .cache.mk' --filter='P .module-common.o')

# zsf_copy_tree OUTDIR: mirror the buildable part of the tree into OUTDIR.
# Sources deleted from the tree are deleted from OUTDIR too (Kbuild picks
# up src/zramx/*.c by wildcard), build products are kept.
zsf_copy_tree() {
	local out=$1 d

	mkdir -p "$out" || return 1
	for d in Kbuild Makefile src include tests/kmod bench/kmod; do
		mkdir -p "$out/$(dirname "$d")"
		rsync -a --delete "${_ZSF_BUILD_PRODUCTS[@]}" \
			"$ZSF_ROOT/$d" "$out/$(dirname "$d")/" || return 1
	done
}

# _zsf_make KDIR OUTDIR args...: copy the tree into OUTDIR and run kbuild
# there, logging everything in OUTDIR/build.log; on failure, name its
# interesting lines.
_zsf_make() {
	local kdir=$1 out=$2 log=$2/build.log rc

	shift 2
	zsf_copy_tree "$out" || { _zsf_blog "cannot copy the tree"; return 1; }
	{
		echo "# make -C $kdir M=$out ZSF_TESTS=1 ZSF_WERROR=1 -j2 $* modules"
		echo "# $(date -u '+%F %T') UTC"
	} > "$log"
	# In the kernel's build root, if it has one (tests/lib/kernels.sh).
	ZSF_KROOT_BINDS=$out zsf_kernel_run make -C "$kdir" M="$out" \
		ZSF_TESTS=1 ZSF_WERROR=1 -j2 "$@" modules >> "$log" 2>&1
	rc=$?
	echo "# exit status $rc" >> "$log"
	[ $rc -eq 0 ] && return 0
	_zsf_blog "make${*:+ $*} failed, see $log:"
	grep -E 'error|Error|warning:|No such file|No rule' "$log" | head -n 30 >&2
	return 1
}

zsf_build() {
	local kdir=$1 out=$2 log=$2/build.log

	shift 2
	if [ ! -f "$kdir/Makefile" ]; then
		_zsf_blog "no kernel headers at $kdir"
		return 1
	fi
	_zsf_make "$kdir" "$out" "$@" || return 1
	if grep -q 'warning:' "$log"; then
		_zsf_blog "warnings in $log:"
		grep 'warning:' "$log" | head -n 30 >&2
		return 1
	fi
	if ! ls "$out"/*.ko > /dev/null 2>&1; then
		_zsf_blog "no module was built in $out"
		return 1
	fi
	return 0
}

# Is PATH (as sparse or gcc printed it: absolute, or relative to KDIR
# where kbuild runs) one of our files?
_zsf_is_ours() {
	local path=$1 out=$2 kdir=$3

	case "$path" in
	"$out"/*) return 0 ;;
	/*) return 1 ;;
	esac
	[ -e "$out/$path" ] && [ ! -e "$kdir/$path" ]
}

# _zsf_sparse_too_old KDIR: does the sparse that kbuild would run fail
# KDIR's scripts/checker-valid.sh (from 6.15: no __typeof_unqual__)?
# Not if the script is missing.
_zsf_sparse_too_old() {
	local s

	s=$(_zsf_kdir_common "$1")/scripts/checker-valid.sh
	[ -x "$s" ] && [ "$(zsf_kernel_run "$s" sparse 2>/dev/null)" = 0 ]
}

zsf_build_sparse() {
	local kdir=$1 out=$2 log=$2/build.log line path bad=0

	shift 2
	if ! zsf_kernel_run /bin/sh -c 'command -v sparse' > /dev/null; then
		_zsf_blog "sparse is not installed${ZSF_KROOT:+ in $ZSF_KROOT}"
		return 1
	fi
	# C=2 checks every file, whether or not it is rebuilt.
	_zsf_make "$kdir" "$out" C=2 "$@" || return 1
	# kbuild disables C= when its checker-valid.sh rejects sparse (a
	# sparse too old for the kernel: status 3, the caller skips);
	# otherwise sparse must have checked something.
	if grep -q 'specified, but .* is not available or not up to date' "$log"; then
		if _zsf_sparse_too_old "$kdir"; then
			_zsf_blog "kbuild did not run sparse: $(zsf_kernel_run sparse --version 2>&1 | head -n 1) is too old for these headers (no __typeof_unqual__)"
			return 3
		fi
		_zsf_blog "kbuild did not run sparse, which handles __typeof_unqual__: is scripts/checker-valid.sh missing?"
		return 1
	fi
	if ! grep -q '^ *CHECK ' "$log"; then
		_zsf_blog "sparse checked no file (no CHECK line in $log)"
		return 1
	fi
	: > "$out/sparse-ignored.log"
	: > "$out/sparse-ours.log"
	while IFS= read -r line; do
		case "$line" in
		*": warning: "*|*": error: "*) ;;
		*) continue ;;
		esac
		path=${line%%:*}
		if _zsf_is_ours "$path" "$out" "$kdir"; then
			echo "$line" >> "$out/sparse-ours.log"
			bad=1
		else
			echo "$line" >> "$out/sparse-ignored.log"
		fi
	done < "$log"
	if [ $bad -ne 0 ]; then
		_zsf_blog "sparse/compiler findings in our files (see $log):"
		head -n 30 "$out/sparse-ours.log" >&2
		return 1
	fi
	return 0
}

zsf_probe_check() {
	local out=$1 kernel=$2 exp cmd have name want got bad=0

	exp=$ZSF_ROOT/src/compat/expected/$kernel.txt
	cmd=$out/src/zsfast/.main.o.cmd
	if [ ! -f "$exp" ]; then
		_zsf_blog "no pinned probes for $kernel: src/compat/expected/$kernel.txt"
		return 1
	fi
	if [ ! -f "$cmd" ]; then
		_zsf_blog "no $cmd: was the tree built there?"
		return 1
	fi
	have=" $(grep -o -- '-DHAVE_[A-Za-z0-9_]*' "$cmd" | sed 's/^-D//' |
		sort -u | tr '\n' ' ') "
	while read -r name; do
		want=$(awk -v n="$name" '$1 == n { print $2 }' "$exp")
		got=no
		[[ "$have" == *" $name "* ]] && got=yes
		if [ -z "$want" ]; then
			_zsf_blog "$name ($got on $kernel) is not pinned in $exp"
			bad=1
		elif [ "$want" != "$got" ]; then
			_zsf_blog "$name: $got on $kernel, pinned $want in $exp"
			bad=1
		fi
	done < <(cat "$ZSF_ROOT"/src/compat/features-*.txt |
		 awk '$1 ~ /^HAVE_/ { print $1 }' | sort -u)
	while read -r name; do
		grep -q "^${name}[[:space:]]" "$ZSF_ROOT"/src/compat/features-*.txt ||
			{ _zsf_blog "$exp pins $name, which no features-*.txt probes"; bad=1; }
	done < <(awk '$1 ~ /^HAVE_/ { print $1 }' "$exp")
	return $bad
}

zsf_imports_check() {
	local out=$1 kernel=$2 arch=$3 doc=Documentation/imports.rst
	local list=$ZSF_ROOT/$doc got want

	if [ ! -f "$out/zsfast.ko" ] || [ ! -f "$out/zramx.ko" ]; then
		_zsf_blog "no zsfast.ko and zramx.ko in $out"
		return 1
	fi
	got=$(comm -23 <(${ZSF_NM:-nm} -u "$out/zsfast.ko" "$out/zramx.ko" |
			 awk 'NF == 2 { print $2 }' | sort -u) \
		       <(${ZSF_NM:-nm} --defined-only "$out/zsfast.ko" |
			 awk '{ print $3 }' | sort -u))
	want=$(sed -n '/^\.\. kernel-imports: begin/,/^\.\. kernel-imports: end/p' \
		"$list" | awk -v k="$kernel" -v a="$arch" '
		NF >= 2 && $1 != ".." {
			for (i = 2; i <= NF; i++)
				if ($i == "all" || $i == k || $i == a)
					print $1
		}' | sort -u)
	if [ -z "$want" ]; then
		_zsf_blog "no kernel-imports list in $list for $kernel ($arch)"
		return 1
	fi
	[ "$got" = "$want" ] && return 0
	comm -23 <(echo "$got") <(echo "$want") |
		sed "s|^|imported on $kernel ($arch), not listed in $doc: |" >&2
	comm -13 <(echo "$got") <(echo "$want") |
		sed "s|^|listed in $doc for $kernel ($arch), not imported: |" >&2
	return 1
}

zsf_build_progs() {
	local out=$1 cc=${2:-gcc} src name rc=0 n=0

	mkdir -p "$out" || return 1
	: >> "$out/progs.log"
	for src in "$ZSF_ROOT"/tests/prog/*.c; do
		[ -f "$src" ] || continue
		name=$(basename "$src" .c)
		n=$((n + 1))
		# Up to date: newer than its source and the headers, built
		# by the same compiler (lanes running side by side share
		# this directory, and a guest may be packing it).
		if [ "$out/$name" -nt "$src" ] &&
		   [ "$(cat "$out/.$name.cc" 2>/dev/null)" = "$cc" ] &&
		   [ -z "$(find "$ZSF_ROOT/tests/prog" -name '*.h' \
			-newer "$out/$name")" ]; then
			continue
		fi
		echo "# $cc -static -O2 -Wall -Werror -pthread -o $name $src" \
			>> "$out/progs.log"
		if "$cc" -static -O2 -Wall -Werror -pthread -o "$out/$name.new.$$" \
			"$src" >> "$out/progs.log" 2>&1; then
			echo "$cc" > "$out/.$name.cc"
			mv -f "$out/$name.new.$$" "$out/$name"
		else
			_zsf_blog "cannot build $src:"
			tail -n 20 "$out/progs.log" >&2
			rm -f "$out/$name.new.$$"
			rc=1
		fi
	done
	[ $n -gt 0 ] || _zsf_blog "note: no programs in tests/prog"
	return $rc
}

# Fetch checkpatch.pl and its data files from linux-source-6.12 (once)
# and print the script's path.
zsf_checkpatch_fetch() {
	local dir=$ZSF_CACHE/checkpatch dl ver deb tarball tmp m

	if [ -x "$dir/scripts/checkpatch.pl" ] &&
	   [ -f "$dir/scripts/spelling.txt" ] &&
	   [ -f "$dir/scripts/const_structs.checkpatch" ]; then
		echo "$dir/scripts/checkpatch.pl"
		return 0
	fi
	dl=$ZSF_CACHE/debs
	mkdir -p "$dl" || return 1
	_zsf_blog "fetching checkpatch.pl from linux-source-6.12"
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root \
		linux-source-6.12 >&2) || return 1
	deb=$(ls -t "$dl"/linux-source-6.12_*.deb | head -n 1)
	tmp=$(mktemp -d)
	# The .deb holds usr/src/linux-source-6.12.tar.xz; pull only the
	# three members we need out of it, without unpacking the source.
	tarball=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | \
		grep -E 'usr/src/linux-source-[^/]*\.tar\.(xz|gz|bz2)$' | head -n 1)
	if [ -z "$tarball" ]; then
		_zsf_blog "no source tarball in $deb"
		rm -rf "$tmp"
		return 1
	fi
	m=$(basename "$tarball")
	m=${m%.tar.*}
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" | \
		tar -xJ -C "$tmp" "$m/scripts/checkpatch.pl" \
			"$m/scripts/spelling.txt" \
			"$m/scripts/const_structs.checkpatch" || {
		_zsf_blog "cannot extract checkpatch from $tarball"
		rm -rf "$tmp"
		return 1
	}
	rm -rf "$dir"
	mkdir -p "$dir"
	mv "$tmp/$m/scripts" "$dir/scripts"
	ver=${deb##*/}
	echo "$ver" > "$dir/source-package"
	rm -rf "$tmp"
	# The .deb is 150 MB and we have what we need from it.
	rm -f "$dl"/linux-source-6.12_*.deb
	echo "$dir/scripts/checkpatch.pl"
}

# Per-file checkpatch exceptions, "path:TYPE", each a known false
# positive, dropped from its findings:
#   src/compat/compat.h:EXPORT_SYMBOL  the file defines the ZSF_EXPORT()
#	wrappers around EXPORT_SYMBOL_NS_GPL(); checkpatch takes each
#	definition for an export that does not follow its function.
#   tests/prog/stress.c:VOLATILE  a user program: C wants the SIGBUS
#	handler's flag volatile sig_atomic_t, and a local that must keep
#	its value across siglongjmp() volatile.
ZSF_CHECKPATCH_EXCEPTIONS=(
	"src/compat/compat.h:EXPORT_SYMBOL"
	"tests/prog/stress.c:VOLATILE"
)

zsf_checkpatch() {
	local log=${1:-/dev/null} cp out found e rc=0
	local -a files

	cp=$(zsf_checkpatch_fetch) || { _zsf_blog "no checkpatch.pl"; return 1; }
	mapfile -t files < <(cd "$ZSF_ROOT" && find src include tests/kmod \
		tests/prog bench/kmod -name '*.[ch]' 2>/dev/null | sort)
	if [ ${#files[@]} -eq 0 ]; then
		_zsf_blog "no C files to check"
		return 1
	fi
	out=$(cd "$ZSF_ROOT" && perl "$cp" --no-tree --show-types --terse \
		--no-summary -f "${files[@]}" 2>&1) || rc=$?
	printf '%s\n' "$out" > "$log"
	found=$(grep -E ': (ERROR|WARNING):' <<< "$out")
	for e in "${ZSF_CHECKPATCH_EXCEPTIONS[@]}"; do
		found=$(grep -v "^${e%%:*}:[0-9]*: [A-Z]*:${e#*:}:" <<< "$found")
	done
	if [ -n "$found" ]; then
		_zsf_blog "checkpatch found problems:"
		head -n 30 <<< "$found" >&2
		return 1
	fi
	# Its status is 1 for the exceptions' findings; else it is its own.
	if [ $rc -ne 0 ] && ! grep -qE ': (ERROR|WARNING):' <<< "$out"; then
		_zsf_blog "checkpatch exited with $rc:"
		tail -n 20 <<< "$out" >&2
		return 1
	fi
}
