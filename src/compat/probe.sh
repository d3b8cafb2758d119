#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Probe the kernel we build against for the features src/compat needs,
# and print one -DHAVE_* flag per feature found.
#
# usage: probe.sh [--cache FILE] SRCTREE OBJTREE [CC FLAGS...]
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
#
# A compile test takes about a second, and kbuild reads our Kbuild files
# several times a build.  With --cache FILE the result is kept in FILE,
# under a first line that holds the arguments (the trees, the compiler
# and its flags): it is used again while the arguments are the same and
# no table, probe or this script is newer than FILE.

cache=
if [ "$1" = --cache ]; then
	cache=$2
	shift 2
fi
dir=$(dirname "$0")
key="# $*"
if [ -n "$cache" ] && [ -f "$cache" ] &&
   [ "$(head -n 1 "$cache")" = "$key" ] &&
   [ -z "$(find "$dir" -newer "$cache" \( -name '*.txt' -o -name '*.c' \
	   -o -name probe.sh \))" ]; then
	sed -n 2p "$cache"
	exit 0
fi
srctree=$1
objtree=$2
shift 2

probe_all() {
	for table in "$dir"/features-*.txt; do
		[ -f "$table" ] || continue
		while read -r name path regex; do
			case "$name" in ''|'#'*) continue ;; esac
			if [ "$path" = compile ]; then
				if [ $# -gt 0 ] &&
				   "$@" -fsyntax-only \
					-Werror=incompatible-pointer-types \
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
}

flags=$(probe_all "$@")
if [ -n "$cache" ]; then
	# Written whole, then renamed: kbuild may probe in two makes at once.
	# A tree we cannot write to just probes every time.
	(printf '%s\n%s\n' "$key" "$flags" > "$cache.$$") 2> /dev/null &&
		mv -f "$cache.$$" "$cache"
fi
echo "$flags"
