#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What every lane script (tests/<lane>/lane.sh) shares.  Set ZSF_LANE to
# the lane's name, then source this file (bash) first.  It exports
# ZSF_ROOT, ZSF_CACHE and ZSF_OUT (tests/check.sh's, or their defaults:
# this checkout, ~/.cache/zsfast, build/check) and sources
# tests/lib/{kernels,build,guest,tests}.sh.  A lane writes its document
# on stdout with tests/lib/ktap.sh (sourced here), its descriptions
# prefixed with "LANE: ", and its progress on stderr; under
# tests/check.sh the document is nested in make check's, alone it is one
# of its own.  A lane exits 0 only if every point passed.
#
#   log MSG...                     progress on stderr, "LANE: MSG"
#   finish                         exit: 0 only if something passed and
#                                  nothing failed ("P passed, F failed,
#                                  S s" on stderr)

ZSF_ROOT=${ZSF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export ZSF_ROOT
export ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}
export ZSF_OUT=${ZSF_OUT:-$ZSF_ROOT/build/check}
# shellcheck source=tests/lib/build.sh
source "$ZSF_ROOT/tests/lib/build.sh"
# shellcheck source=tests/lib/guest.sh
source "$ZSF_ROOT/tests/lib/guest.sh"
# shellcheck source=tests/lib/tests.sh
source "$ZSF_ROOT/tests/lib/tests.sh"
KTAP_PREFIX=$ZSF_LANE
[ -n "${KTAP_COUNTER_FILE:-}" ] || ktap_begin
T0=$(date +%s)
echo "KTAP version 1"

log() {
	echo "$ZSF_LANE: $*" >&2
}

finish() {
	local n pass fail

	read -r n pass fail <<< "$(ktap_counts)"
	log "$pass passed, $fail failed, $(($(date +%s) - T0)) s"
	[ "$fail" -eq 0 ] && [ "$n" -gt 0 ]
	exit
}
