#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test list, tests/tests.list, for the lanes.  Source this file.
#
#   zsf_tests SERIES ARCH VARIANT [TIMES]
#	The tests of tests.list that run on kernel SERIES (a name of
#	tests/kernels.list: 6.1, 6.12, 7.3, ...), ARCH (amd64, arm64) and
#	VARIANT (stock, poollock, gki, debug, bench),
#	whose time class is in TIMES (a comma list; default all), as a
#	comma list in the file's order.  ZSF_GUEST_TESTS, a comma list,
#	replaces the result wherever it is set: a developer's shortcut.
#
#   zsf_tests_verify
#	Fails, naming them, if a t_*.sh of tests/guest/ or bench/guest/ is
#	not listed or a listed test has no script.
#
# ZSF_GUEST_STOCK: the stock modules a guest may modprobe (their
# dependencies come along).

ZSF_ROOT=${ZSF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZSF_TESTS_LIST=$ZSF_ROOT/tests/tests.list
# shellcheck disable=SC2034 # for the lanes that source this file
ZSF_GUEST_STOCK="zram zsmalloc brd loop lz4 lz4_compress lz4hc lz4hc_compress zstd"

# The entries of the list: NAME SERIES ARCHES VARIANTS TIME, one a line.
_zsf_tests_entries() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ZSF_TESTS_LIST"
}

zsf_tests() {
	if [ -n "${ZSF_GUEST_TESTS:-}" ]; then
		echo "$ZSF_GUEST_TESTS"
		return
	fi
	local role

	# The kernel's role in tests/kernels.list; a series that is not
	# there (a debug or bench kernel of that series) is primary.
	role=$(awk -v n="$1" '$1 == n { print $6 }' \
		"$ZSF_ROOT/tests/kernels.list" 2>/dev/null)
	_zsf_tests_entries | awk -v s="$1" -v r="${role:-primary}" \
				 -v a="$2" -v v="$3" \
				 -v t="${4:-short,medium,long}" '
		function has(list, x) {
			return list == "all" || index("," list ",", "," x ",")
		}
		# SERIES: "all" (every primary kernel), a role, or names.
		function series(list) {
			return (r == "primary" && has(list, "all")) ||
				index("," list ",", "," s ",") ||
				index("," list ",", "," r ",")
		}
		series($2) && has($3, a) && has($4, v) && has(t, $5) {
			out = out (out == "" ? "" : ",") $1
		}
		END { print out }'
}

zsf_tests_verify() {
	local listed f n bad=0

	listed=$(_zsf_tests_entries | awk '{ print $1 }')
	for f in "$ZSF_ROOT"/tests/guest/t_*.sh "$ZSF_ROOT"/bench/guest/t_*.sh; do
		n=${f##*/t_}
		n=${n%.sh}
		if ! grep -qx "$n" <<< "$listed"; then
			echo "tests: t_$n.sh is not in tests/tests.list" >&2
			bad=1
		fi
	done
	for n in $listed; do
		if [ ! -f "$ZSF_ROOT/tests/guest/t_$n.sh" ] &&
		   [ ! -f "$ZSF_ROOT/bench/guest/t_$n.sh" ]; then
			echo "tests: $n is listed, but neither tests/guest/ nor bench/guest/ has t_$n.sh" >&2
			bad=1
		fi
	done
	return $bad
}
