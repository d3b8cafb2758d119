# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# zsfast under concurrency: insmod zsfast_test.ko run=stress seconds=N
# runs a kthread bound to every online CPU (alloc, write, read back,
# rewrite, free, with data checks) plus a concurrent zsf_compact() every
# 100 ms, N seconds with a pool per thread and N seconds on one shared
# pool (tests/kmod/stress.c).  N is ZSFT_STRESS_SECONDS (default 8, so
# 16 s in all; the debug lanes, under lockdep and KASAN, set 15).
#
# Needs: /zsf/zsfast.ko, /zsf/zsfast_test.ko.  ZSFT_SEED=N repeats a run.

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"

SECONDS_PER_PHASE=${ZSFT_STRESS_SECONDS:-8}
. "$ZT_DIR/zsft_lib.sh"

zsft_begin
ktap_diag "$(grep -c ^processor /proc/cpuinfo) CPUs online; $SECONDS_PER_PHASE s per phase"

t0=$(cut -d' ' -f1 /proc/uptime)
zsft_run run=stress seconds="$SECONDS_PER_PHASE"
t1=$(cut -d' ' -f1 /proc/uptime)
took=$(echo "$t0 $t1" | awk '{ printf "%d", $2 - $1 }')
ktap_diag "run=stress took $took s"
zsft_report stress
zsf_expect "stress ran for at least $((2 * SECONDS_PER_PHASE)) s" "$took" -ge $((2 * SECONDS_PER_PHASE))
ktap_check "rmmod zsfast_test" rmmod zsfast_test

zsft_pages_back
zsft_end
exit 0
