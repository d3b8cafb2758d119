#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Probe the kernel headers we build against for the features src/compat
# needs, and print one -DHAVE_* flag per feature found.
#
# usage: probe.sh SRCTREE [OBJTREE]
#
# Each src/compat/features-*.txt file lists features, one per line:
#     HAVE_NAME  path/relative/to/the/tree  extended-regex
# The feature is present when the regex matches a line of that header,
# looked up first in OBJTREE (generated headers) and then in SRCTREE.
# Blank lines and lines starting with '#' are ignored.  Keeping each
# module's table in its own file lets the tables grow independently.

srctree=$1
objtree=${2:-$1}
dir=$(dirname "$0")

for table in "$dir"/features-*.txt; do
	[ -f "$table" ] || continue
	while read -r name path regex; do
		case "$name" in ''|'#'*) continue ;; esac
		for tree in "$objtree" "$srctree"; do
			if [ -f "$tree/$path" ]; then
				if grep -Eq -- "$regex" "$tree/$path"; then
					printf -- '-D%s ' "$name"
				fi
				break
			fi
		done
	done < "$table"
done
echo
