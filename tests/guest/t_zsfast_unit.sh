# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# zsfast's single-threaded in-kernel tests: insmod zsfast_test.ko run=unit
# runs them (see tests/kmod/unit.c); their KTAP document,
# /sys/kernel/debug/zsfast_test/results, is nested here as a subtest.
# Also: an unknown run= is refused, zsfast's slab caches are caches of
# their own (not merged into kmalloc-8 and the like, so that slabinfo and
# slub_debug name them), and zsfast's page total is back to where it was
# afterwards.
#
# Needs: /zsf/zsfast.ko, /zsf/zsfast_test.ko.  ZSFT_SEED=N repeats a run.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zsft_lib.sh"

zsft_begin

# A merged cache is only an alias (a symlink in /sys/kernel/slab) and has
# no line of its own in /proc/slabinfo.
for _c in zsfast_handle zsfast_zspage; do
	grep -q "^$_c " /proc/slabinfo
	zsf_point $? "slab: $_c is a cache of its own in /proc/slabinfo" \
		"$(ls -ld /sys/kernel/slab/$_c 2>&1)"
done

# Refused with a clear message, and not left loaded.
if insmod /zsf/zsfast_test.ko run=bogus 2>/dev/null; then
	rmmod zsfast_test
	ktap_fail "zsfast_test refuses run=bogus" "it loaded"
elif grep -q '^zsfast_test ' /proc/modules; then
	ktap_fail "zsfast_test refuses run=bogus" "left loaded"
elif dmesg | grep -q 'zsfast_test: unknown run=bogus'; then
	ktap_ok "zsfast_test refuses run=bogus with an error message"
else
	ktap_fail "zsfast_test refuses run=bogus with an error message" \
		"no 'unknown run=bogus' in the kernel log"
fi

t0=$(cut -d' ' -f1 /proc/uptime)
zsft_run run=unit
t1=$(cut -d' ' -f1 /proc/uptime)
ktap_diag "run=unit took $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s"
zsft_report unit
# The handles run=unit corrupted on purpose were reported once in the log
# (an error line, not a WARN: nothing that looks like a splat).
if grep -E '^ok [0-9]+ bad class: ' "$ZSFT_RESULTS" | grep -qv SKIP; then
	dmesg | grep -q 'zsfast: pool .*: refused a handle with class index'
	zsf_point $? "bad class: the refusal is reported in the kernel log" \
		"no 'refused a handle with class index' line in dmesg"
fi
ktap_check "rmmod zsfast_test" rmmod zsfast_test

zsft_pages_back
zsft_end
exit 0
