#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Probe the kernel we build against for the features src/compat needs,
# and print one -DHAVE_* flag per feature found.
#
# usage: probe.sh SRCTREE OBJTREE [CC FLAGS...]
#
# Each src/compat/features-*.txt file lists features, one per line:
#     HAVE_NAME  path/relative/to/the/tree  extended-regex
# The feature is present when the regex matches a line of that file
# (a header, or Module.symvers for an export), looked up first in OBJTREE
# (generated headers) and then in SRCTREE.  Or:
#     HAVE_NAME  compile  probes/FILE.c
# a compile test, as OpenZFS's configure runs them: the feature is
# present when FILE.c compiles with CC FLAGS (the kernel's compiler and
# the flags of a module, src/compat/Kbuild.include passes them), where
# a layout or a prototype, not a spelling, decides.  Blank lines and
# lines starting with '#' are ignored.  Keeping each module's table in
# its own file lets the tables grow independently.

srctree=$1
objtree=$2
shift 2
dir=$(dirname "$0")

for table in "$dir"/features-*.txt; do
	[ -f "$table" ] || continue
	while read -r name path regex; do
		case "$name" in ''|'#'*) continue ;; esac
		if [ "$path" = compile ]; then
			if [ $# -gt 0 ] &&
			   "$@" -fsyntax-only -Werror=incompatible-pointer-types \
				-x c "$dir/$regex" > /dev/null 2>&1; then
				printf -- '-D%s ' "$name"
			fi
			continue
		fi
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
