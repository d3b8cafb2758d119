#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot a kernel in QEMU (TCG) with a busybox initramfs and run in-guest
# tests.  Source this file (bash) and call zsf_guest_run; everything is
# passed in environment variables:
#
#   VMLINUZ           kernel image (required)
#   KVER              its release, uname -r (required)
#   KMODDIR           ROOT/lib/modules/$KVER of that kernel, with
#                     modules.dep (depmod is run if it is missing)
#   GUEST_KOS         directory: every *.ko under it goes flat to /zsf/
#                     (insmod them; load the stock modules they need,
#                     e.g. lz4hc_compress, with modprobe first)
#   GUEST_PROGS       directory of static binaries -> /zsf/bin (on PATH)
#   GUEST_TESTS       comma list; NAME runs t_NAME.sh of tests/guest/ or
#                     bench/guest/, in order.  "shell" gives an
#                     interactive shell (on the terminal, no timeout)
#   GUEST_STOCK_MODS  space list of stock modules ("zram brd"); they and
#                     their dependencies (modules.dep) go to the guest's
#                     /lib/modules/$KVER, decompressed, and depmod -b runs
#                     so that modprobe works in the guest.  Built-in
#                     modules are skipped.
#   GUEST_MEM         MiB (default 1024)
#   GUEST_SMP         CPUs (default 2)
#   GUEST_TIMEOUT     seconds for the whole boot, a backstop (default
#                     900); a boot that prints nothing for
#                     ZSF_GUEST_STALL seconds (default 600) is stopped
#                     first, naming the test it was in
#   GUEST_APPEND      extra kernel command line
#   GUEST_OUT         output directory (default: a new mktemp -d); gets
#                     console.log, results.ktap, initramfs.cpio.gz
#   GUEST_QEMU        default qemu-system-x86_64
#   GUEST_ARGS        extra qemu arguments (word-split)
#   GUEST_EXPECT_SPLAT=1  deliberate-bug runs: success means the console
#                     DID show a splat; the guest's document becomes
#                     diagnostics
#   GUEST_SPLAT_IGNORE  extended regex of console lines that are not
#                     splats even though they match (e.g. a debug
#                     kernel's lockdep banner); default: none
#
# stdout: KTAP points of the caller's document (tests/lib/ktap.sh; the
# caller's KTAP_PREFIX applies): the guest's own document, one subtest
# per test script, as the subtest "guest: tests", then the rig's points
# "guest: completion marker" and "guest: console free of kernel splats".
# Timings go to stderr.
#
# A boot in which the kernel dies (or hangs for ZSF_INIT_TIMEOUT seconds,
# default 300) before /init prints its first line has run nothing of
# ours; it is tried once more, with a "# guest: kernel died before /init"
# diagnostic and the first console kept as console.early-death.log.  A
# second early death fails like any other boot.
#
# Return: 0 only if the completion marker arrived, the console holds no
# splat, at least one test point was reported and none failed.
#
# Console splat patterns: one extended regex (case-sensitive), in
# tests/lib/splat.re, which the guest's zsf_splats uses too.  Besides
# the checkers' reports it matches "vmstat_refresh: nr_zspages", the
# kernel's report of that counter below zero when a test folds the
# counters (zsf_nr_zspages): zsfast's pages counted out more often than
# in.  Not the other counters: a counter that is busy while the CPUs'
# parts are folded may read below zero for a moment, and there the
# kernel's report would be noise.
#
# zsf_guest_boot NAME ERR CMD...
#	One boot as a lane runs it: CMD (zsf_guest_run, or the arm64
#	lane's zsf_arm64_guest_run, with its GUEST_* in the environment)
#	writes its points into the caller's document, their descriptions
#	prefixed "NAME: " (after the caller's KTAP_PREFIX); its stderr
#	goes to the file ERR, then in as diagnostics, with the boot's
#	time and logs.  A failed boot with no failed point gets one.
#	Returns 0: a failure is a point.
ZSF_ROOT=${ZSF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

ZSF_SPLAT_RE=$(cat "$ZSF_ROOT/tests/lib/splat.re")
# shellcheck source=tests/lib/ktap.sh
source "$ZSF_ROOT/tests/lib/ktap.sh"

_zsf_glog() {
	echo "guest: $*" >&2
}

# _zsf_stage_stock_mods STAGE: copy GUEST_STOCK_MODS and dependencies.
_zsf_stage_stock_mods() {
	local stage=$1 root m line path rel dst n=0

	root=${KMODDIR%/lib/modules/*}
	if [ "$root/lib/modules/$KVER" != "$KMODDIR" ]; then
		_zsf_glog "KMODDIR must be ROOT/lib/modules/\$KVER: $KMODDIR"
		return 1
	fi
	if [ ! -f "$KMODDIR/modules.dep" ]; then
		depmod -b "$root" "$KVER" || return 1
	fi
	mkdir -p "$stage/lib/modules/$KVER"
	for m in $GUEST_STOCK_MODS; do
		# kmod resolves names, aliases and dependencies for us.
		if ! line=$(modprobe -d "$root" -S "$KVER" --show-depends "$m" \
				2>&1); then
			_zsf_glog "stock module $m not found for $KVER: $line"
			return 1
		fi
		while read -r kind path _; do
			[ "$kind" = insmod ] || continue
			rel=${path#"$root"/lib/modules/"$KVER"/}
			dst=$stage/lib/modules/$KVER/$rel
			mkdir -p "$(dirname "$dst")"
			case "$path" in
			*.ko.xz)  xz -dc "$path" > "${dst%.xz}" ;;
			*.ko.zst) zstd -qdc "$path" > "${dst%.zst}" ;;
			*.ko.gz)  gzip -dc "$path" > "${dst%.gz}" ;;
			*)        cp "$path" "$dst" ;;
			esac || return 1
			n=$((n + 1))
		done <<< "$line"
	done
	_zsf_glog "staged $n stock module file(s) for: $GUEST_STOCK_MODS"
}

# _zsf_make_initramfs STAGE OUT.cpio.gz
_zsf_make_initramfs() {
	local stage=$1 img=$2 bb a f

	bb=$(command -v busybox) || { _zsf_glog "busybox missing"; return 1; }
	if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
		# busybox-static installs the static one as /bin/busybox too.
		_zsf_glog "warning: $bb may not be static (install busybox-static)"
	fi
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc} \
		"$stage"/zsf/bin "$stage"/zsf/tests "$stage"/lib/modules
	cp "$bb" "$stage/bin/busybox"
	while read -r a; do
		[ "$a" = bin/busybox ] && continue
		mkdir -p "$stage/$(dirname "$a")"
		ln -sf /bin/busybox "$stage/$a"
	done < <("$bb" --list-full)
	ln -sf /bin/busybox "$stage/bin/sh"
	cp "$ZSF_ROOT/tests/guest/init" "$stage/init"
	chmod 755 "$stage/init"
	cp "$ZSF_ROOT"/tests/guest/*.sh "$ZSF_ROOT"/bench/guest/*.sh \
		"$ZSF_ROOT/tests/lib/ktap.sh" "$ZSF_ROOT/tests/lib/splat.re" \
		"$stage/zsf/tests/" 2>/dev/null
	# The ABI reference, which t_zramx_abi.sh checks the modules against.
	mkdir -p "$stage/zsf/doc"
	cp "$ZSF_ROOT"/Documentation/*.rst "$stage/zsf/doc/" 2>/dev/null
	if [ -n "${GUEST_PROGS:-}" ]; then
		find "$GUEST_PROGS" -maxdepth 1 -type f -perm -u+x \
			-exec cp {} "$stage/zsf/bin/" \;
	fi
	# The user tools (zramxctl, zramx-swap), on PATH in every guest.
	for f in tools/zramxctl tools/systemd/zramx-swap; do
		if [ -f "$ZSF_ROOT/$f" ]; then
			install -m 755 "$ZSF_ROOT/$f" "$stage/zsf/bin/" || return 1
		fi
	done
	if [ -n "${GUEST_STOCK_MODS:-}" ]; then
		_zsf_stage_stock_mods "$stage" || return 1
	fi
	# Our modules go flat to /zsf/ only, not into /lib/modules: there
	# depmod would resolve stock modules' symbols to them, and a clash
	# with a stock symbol would load ours in place of the stock module
	# instead of failing the way it fails on a real machine.
	if [ -n "${GUEST_KOS:-}" ]; then
		while IFS= read -r f; do
			cp "$f" "$stage/zsf/" || return 1
		done < <(find "$GUEST_KOS" -name '*.ko' -type f)
	fi
	if [ -d "$stage/lib/modules/$KVER" ]; then
		for f in modules.builtin modules.builtin.modinfo modules.order; do
			if [ -n "${KMODDIR:-}" ] && [ -f "$KMODDIR/$f" ]; then
				cp "$KMODDIR/$f" "$stage/lib/modules/$KVER/"
			else
				: > "$stage/lib/modules/$KVER/$f"
			fi
		done
		depmod -b "$stage" "$KVER" || return 1
	fi
	# The kernel opens /dev/console before /init runs.
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null
	(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 > "$img"
}

# Seconds a boot may take to reach /init before it counts as a kernel
# that died early (the KASAN kernel takes 5-30 s under load).
ZSF_INIT_TIMEOUT=${ZSF_INIT_TIMEOUT:-300}

# _zsf_init_started OUT: did /init print its first line?
_zsf_init_started() {
	grep -q 'zsf-init: kernel ' "$1/console.log" 2>/dev/null
}

# Seconds a running guest may go without printing a byte (console or
# results) before it counts as stuck and is stopped: a slow host only
# makes a guest slower, a stuck one stops talking.  A test with a long
# quiet phase prints a diagnostic now and then (t_stress.sh does).
ZSF_GUEST_STALL=${ZSF_GUEST_STALL:-600}

# _zsf_out_bytes OUT: bytes the guest has printed so far.
_zsf_out_bytes() {
	stat -c %s "$1/console.log" "$1/results.ktap" 2>/dev/null |
		awk '{ n += $1 } END { print n + 0 }'
}

# _zsf_boot TIMEOUT OUT CMD...: run qemu; stop it early if /init has not
# started within ZSF_INIT_TIMEOUT, or if it then prints nothing for
# ZSF_GUEST_STALL seconds (OUT/stalled gets those seconds).  TIMEOUT is
# only a backstop.  Returns qemu's (or timeout's) status; 124 when
# stopped for silence.
_zsf_boot() {
	local tmo=$1 out=$2 qpid waited=0 quiet=0 bytes=0 now rc=0

	shift 2
	rm -f "$out/stalled"
	timeout -k 10 "$tmo" "$@" < /dev/null > "$out/qemu.log" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null && ! _zsf_init_started "$out"; do
		if [ $waited -ge "$ZSF_INIT_TIMEOUT" ]; then
			_zsf_glog "no /init after ${waited}s; stopping qemu"
			kill "$qpid" 2>/dev/null
			break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 5
		now=$(_zsf_out_bytes "$out")
		if [ "$now" != "$bytes" ]; then
			bytes=$now
			quiet=0
			continue
		fi
		quiet=$((quiet + 5))
		if [ $quiet -ge "$ZSF_GUEST_STALL" ]; then
			_zsf_glog "no output for ${quiet}s; stopping qemu"
			echo "$quiet" > "$out/stalled"
			kill "$qpid" 2>/dev/null
			break
		fi
	done
	wait "$qpid" || rc=$?
	[ -f "$out/stalled" ] && rc=124
	return $rc
}

zsf_guest_run() {
	local out qemu mem smp tmo append nonce img stage rc=0 t0 t1 boot retried
	local marker=0 splat=0 splats fails shell=0 last why

	: "${VMLINUZ:?VMLINUZ not set}" "${KVER:?KVER not set}"
	out=${GUEST_OUT:-$(mktemp -d /tmp/zsf-guest.XXXXXX)}
	mkdir -p "$out"
	qemu=${GUEST_QEMU:-qemu-system-x86_64}
	mem=${GUEST_MEM:-1024}
	smp=${GUEST_SMP:-2}
	tmo=${GUEST_TIMEOUT:-900}
	nonce=$RANDOM$RANDOM
	case ",${GUEST_TESTS:-}," in *,shell,*) shell=1 ;; esac

	stage=$out/initramfs
	rm -rf "$stage"
	img=$out/initramfs.cpio.gz
	if ! _zsf_make_initramfs "$stage" "$img"; then
		_zsf_glog "cannot build the initramfs"
		ktap_fail "guest: initramfs"
		return 1
	fi
	rm -rf "$stage"

	append="panic=-1 panic_on_warn=1 oops=panic console=ttyS0"
	append+=" zsf.tests=${GUEST_TESTS:-} zsf.nonce=$nonce ${GUEST_APPEND:-}"
	: > "$out/console.log"
	: > "$out/results.ktap"
	local -a cmd=("$qemu" -nographic -no-reboot -accel tcg -nic none
		-smp "$smp" -m "$mem" -kernel "$VMLINUZ" -initrd "$img"
		-append "$append")
	# RDRAND, so that the kernel's CRNG is ready in start_kernel(), on
	# one CPU (arm64's -cpu max has RNDR).  Without it the CRNG became
	# ready seconds into the tests, and flipping its static key then,
	# with int3 text patching while the other vCPU ran, was seen to
	# end in "Oops: int3" in get_random_u32() or getrandom() under TCG.
	[ "$qemu" != qemu-system-x86_64 ] || cmd+=(-cpu "qemu64,+rdrand")
	if [ $shell = 1 ]; then
		cmd+=(-serial mon:stdio -serial "file:$out/results.ktap")
	else
		cmd+=(-monitor none -serial "file:$out/console.log"
		      -serial "file:$out/results.ktap")
	fi
	# shellcheck disable=SC2206
	cmd+=(${GUEST_ARGS:-})
	echo "${cmd[*]}" > "$out/qemu.cmd"

	t0=$(date +%s.%N)
	if [ $shell = 1 ]; then
		"${cmd[@]}" || rc=$?
	else
		# A kernel that dies before /init has not run a line of ours
		# (TCG has been seen to trip over the kernel's own int3 text
		# patching at 1 s of uptime).  Such a boot, and only such a
		# boot, is tried once more; the first console is kept.
		_zsf_boot "$tmo" "$out" "${cmd[@]}" || rc=$?
		if ! _zsf_init_started "$out"; then
			mv "$out/console.log" "$out/console.early-death.log"
			retried=$(tr -d '\r' < "$out/console.early-death.log" |
				grep -E -m 1 -- "$ZSF_SPLAT_RE" ||
				echo "qemu status $rc, no /init within ${ZSF_INIT_TIMEOUT}s")
			echo "# guest: kernel died before /init ($retried), see" \
				"$out/console.early-death.log; booting again"
			_zsf_glog "$KVER: kernel died before /init; booting again"
			: > "$out/console.log"
			: > "$out/results.ktap"
			rc=0
			_zsf_boot "$tmo" "$out" "${cmd[@]}" || rc=$?
		fi
	fi
	t1=$(date +%s.%N)
	# Time to the first line /init prints: the boot time.
	boot=$(tr -d '\r' < "$out/console.log" |
		sed -n 's/.*zsf-init: kernel .*, uptime \([0-9.]*\),.*/\1/p' |
		head -n 1)
	_zsf_glog "$KVER: qemu exit $rc after $(printf '%.1f' \
		"$(echo "$t1 - $t0" | bc)") s${boot:+, /init started at guest uptime ${boot}s}"
	echo "$t1 - $t0" | bc > "$out/seconds"

	tr -d '\r' < "$out/results.ktap" > "$out/results.clean"
	grep -qx "# zsf-done $nonce" "$out/results.clean" && marker=1
	# Without GUEST_SPLAT_IGNORE only empty lines go, which hold no splat.
	splats=$(tr -d '\r' < "$out/console.log" |
		grep -Ev -- "${GUEST_SPLAT_IGNORE:-^\$}" |
		grep -E -- "$ZSF_SPLAT_RE" | head -n 20)
	[ -n "$splats" ] && splat=1

	if [ "${GUEST_EXPECT_SPLAT:-0}" = 1 ]; then
		sed 's/^/# guest: /' "$out/results.clean"
		if [ $splat = 1 ]; then
			echo "$splats" | head -n 5 | sed 's/^/# splat: /'
			ktap_ok "guest: expected kernel splat seen"
			return 0
		fi
		ktap_fail "guest: expected kernel splat seen" "console: $out/console.log"
		return 1
	fi

	fails=$(ktap_failures)
	if [ $shell = 0 ]; then
		grep -v '^# zsf-done ' "$out/results.clean" > "$out/results.guest"
		ktap_nest "guest: tests" "$out/results.guest"
	fi
	if [ $marker = 1 ]; then
		ktap_ok "guest: completion marker"
	else
		last=$(grep '^# zsf-start ' "$out/results.clean" | tail -n 1)
		last=${last#\# zsf-start }
		if [ -f "$out/stalled" ]; then
			why="stopped: no output for $(cat "$out/stalled")s${last:+, in test $last}"
		elif [ $rc = 124 ] || [ $rc = 137 ]; then
			why="timed out after ${tmo}s${last:+, in test $last}"
		else
			why="qemu exit status $rc${last:+, last started: $last}"
		fi
		ktap_fail "guest: completion marker ($why)" \
			"$(tr -d '\r' < "$out/console.log" | tail -n 15 | sed 's/^/console: /')"
	fi
	if [ $shell = 1 ]; then
		ktap_skip "guest: console free of kernel splats" "interactive console not logged"
	elif [ $splat = 0 ]; then
		ktap_ok "guest: console free of kernel splats"
	else
		ktap_fail "guest: console free of kernel splats" \
			"$(echo "$splats" | head -n 10 | sed 's/^/splat: /')" \
			"console: $out/console.log"
	fi
	[ "$(ktap_failures)" -eq "$fails" ]
}

zsf_guest_boot() {
	local name=$1 err=$2 rc=0 f0 t

	shift 2
	f0=$(ktap_failures)
	t=$(date +%s)
	KTAP_PREFIX="${KTAP_PREFIX:+$KTAP_PREFIX: }$name" "$@" 2> "$err" || rc=$?
	ktap_diag "$(cat "$err")"
	ktap_diag "$name: guest boot $(($(date +%s) - t)) s, status $rc; logs: ${GUEST_OUT:-}"
	if [ $rc -ne 0 ] && [ "$(ktap_failures)" -eq "$f0" ]; then
		ktap_fail "$name: guest run" "$1 exited with status $rc"
	fi
}
