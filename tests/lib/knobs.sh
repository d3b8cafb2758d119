#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The rig's knobs against their documentation.  Source this file (bash),
# or run it: `bash tests/lib/knobs.sh`.
#
#   zsf_knobs_check
#	Fails, naming each on stderr, if tests/, bench/ (not the records of
#	throw-away runs in bench/results/), tools/ or the Makefile read a
#	knob that Documentation/knobs.rst has no entry for,
#	or knobs.rst has an entry (or two) for one that nothing reads.  A
#	knob: a ZSF_*, BENCH_*, STRESS_MINUTES, FAULT_SECONDS or
#	DELIBERATE_SECONDS variable read as ${NAME:-...}, ${NAME-...},
#	${NAME:?...}, ${NAME:+...}, or a make variable that the Makefile
#	forwards to Kbuild; a plain $NAME is one of the rig's constants.  An
#	entry: a line of just ``NAME`` (a definition list's term).  Prints
#	nothing and returns 0 when the two agree.

ZSF_ROOT=${ZSF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZSF_KNOBS_RE='ZSF_[A-Z0-9_]+|BENCH_[A-Z0-9_]+|STRESS_MINUTES|FAULT_SECONDS|DELIBERATE_SECONDS'

# A subshell: its own locale, options and directory.
zsf_knobs_check() (
	set +eu +o pipefail
	export LC_ALL=C
	cd "$ZSF_ROOT" || return 1
	local doc=Documentation/knobs.rst reads used listed n bad=0

	# "NAME FILE", one a line.
	reads=$({ grep -rIoE --exclude-dir=results '\$\{('"$ZSF_KNOBS_RE"'):?[-?=+]' \
			tests bench tools Makefile
		  grep -HoE '\$\(if \$\(ZSF_[A-Z0-9_]+\)' Makefile; } |
		sed -E 's/^([^:]+):.*[{(]([A-Z0-9_]+).*/\2 \1/' | sort -u)
	used=$(awk '{ print $1 }' <<< "$reads" | sort -u)
	listed=$(sed -nE 's/^``('"$ZSF_KNOBS_RE"')``[[:space:]]*$/\1/p' "$doc" | sort)
	for n in $(uniq -d <<< "$listed"); do
		echo "knobs: $doc lists $n more than once" >&2
		bad=1
	done
	for n in $(comm -23 <(echo "$used") <(uniq <<< "$listed")); do
		echo "knobs: $n is read by $(awk -v n="$n" '$1 == n { printf "%s%s", s, $2; s = ", " }' <<< "$reads") but not in $doc" >&2
		bad=1
	done
	for n in $(comm -13 <(echo "$used") <(uniq <<< "$listed")); do
		echo "knobs: $doc lists $n, which no script reads" >&2
		bad=1
	done
	return $bad
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	zsf_knobs_check
fi
