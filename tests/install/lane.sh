#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The install lane: install the modules the way users
# do, for both Debian kernels, without touching this machine's own
# /lib/modules, /usr/src or /var/lib/dkms, and without the kernels
# running here.
#
# Per kernel (6.1 and 6.12, or $ZSF_INSTALL_FLAVORS; a kernel of another
# Debian, such as Debian 13's, in its build root with that Debian's DKMS
# and make, as on a machine of that Debian):
#   - dkms add / build / install with a private --sourcetree, --dkmstree
#     and --installtree (a scratch root whose lib/modules/KVER holds
#     hard links to the stock modules of that kernel, so depmod resolves
#     zramx's dependencies the way it does on a real system) and
#     --no-depmod; then depmod -b on the scratch root.  The headers:
#     if /lib/modules/KVER/build is installed here (Debian's
#     linux-headers package, as for 6.1), DKMS finds them itself, the way
#     it does for a user; otherwise (6.12: its headers package depends on
#     the image) --kernelsourcedir points at the extracted sysroot.  The
#     modules are signed with a throw-away MOK key in the scratch dir
#     (as DKMS does with /var/lib/dkms/mok.key), to check the Secure
#     Boot path.
#   - modinfo of the installed zramx.ko: depends contains zsfast,
#     vermagic equals a stock module's of that kernel, import_ns ZSFAST,
#     signer is the MOK key;
#   - modules.dep and `modprobe --show-depends zramx` pull zsfast first;
#   - `make install INSTALL_MOD_PATH=...` does the same without DKMS
#     (on the primary kernels of tests/kernels.list);
#   - a guest boot with only the DKMS-installed modules (in the guest's
#     /lib/modules via the rig's GUEST_STOCK_MODS, with brd for a
#     backing device) runs the tests of tests/tests.list for variant
#     install: t_zramxctl.sh, which loads them with modprobe (zramxctl
#     --find) and zramx-swap;
#   - dkms remove takes them out again.
# Once: BUILD_EXCLUSIVE keeps DKMS off a kernel without CONFIG_64BIT and
# off a 5.10 kernel (status 77), and systemd-analyze verify accepts
# the units of tools/systemd/.  Output and exit status: tests/lib/lane.sh.
# Environment: Documentation/knobs.rst, "Lane install".

set -euo pipefail

ZSF_LANE=install
# shellcheck source=tests/lib/lane.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lane.sh"
FLAVORS=${ZSF_INSTALL_FLAVORS:-6.1 6.12}
GUEST=${ZSF_INSTALL_GUEST:-1}
W=$ZSF_OUT/install
PKG=zsfast
PKGVER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ZSF_ROOT/dkms.conf")

# A kernel of another Debian (a build root, ZSF_KROOT): DKMS runs there,
# as it would on a machine of that Debian.
ZSF_KROOT_PKGS="$ZSF_KROOT_PKGS dkms openssl"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# shellcheck source=tests/lib/deps.sh
source "$ZSF_ROOT/tests/lib/deps.sh"
mkdir -p "$ZSF_OUT"
if ! ZSF_DEPS_LOG=$ZSF_OUT/install-deps.log zsf_deps install 2> "$ZSF_OUT/install-deps.err"; then
	ktap_point fail "the packages the lane needs are installed (zsf_deps install)" \
		"$(tail -n 20 "$ZSF_OUT/install-deps.err")"
	exit 1
fi
if ! command -v dkms > /dev/null; then
	ktap_point fail "dkms is installed" "not installed (ZSF_NO_DEPS=1?)"
	exit 1
fi

rm -rf "$W"
mkdir -p "$W"
SRCTREE=$W/usr-src
DKMSTREE=$W/var-lib-dkms
mkdir -p "$SRCTREE" "$DKMSTREE"
# What a user's checkout holds (dkms add copies the directory): the
# buildable tree and dkms.conf, without build products.
CHECKOUT=$W/checkout
mkdir -p "$CHECKOUT"
cp -r "$ZSF_ROOT"/{Kbuild,Makefile,dkms.conf,src,include} "$CHECKOUT/"
find "$CHECKOUT" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' \
	-o -name '.*.cmd' \) -delete

HOST_DKMS=(${SUDO:+"$SUDO"} dkms --sourcetree "$SRCTREE" --dkmstree "$DKMSTREE")
DKMS=("${HOST_DKMS[@]}")

# in_kroot CMD...: run CMD in the fetched kernel's build root, with this
# lane's directory and DKMS's signing variables.
in_kroot() {
	ZSF_KROOT_BINDS=$W \
	ZSF_ROOT_ENV="mok_signing_key mok_certificate sign_file" \
		zsf_kernel_run "$@"
}
# The signing key DKMS generates when it has none: kept in the scratch
# dir, not in /var/lib/dkms.
export mok_signing_key=$W/mok.key mok_certificate=$W/mok.pub

ktap_check "dkms add ($PKG/$PKGVER)" "${DKMS[@]}" add "$CHECKOUT"

# ---- BUILD_EXCLUSIVE ------------------------------------------------------
# A kernel tree that is 32-bit (no CONFIG_64BIT): DKMS must refuse (77).
# Built from the 6.12 headers' .config with CONFIG_64BIT taken out.
excl_test() {	# excl_test DESC KVER CONFIG-EDIT
	local desc=$1 kver=$2 edit=$3 fake rc=0 out

	fake=$W/fake-$kver
	mkdir -p "$fake/include"
	sed "$edit" "$KDIR/.config" > "$fake/.config"
	out=$("${HOST_DKMS[@]}" build "$PKG/$PKGVER" -k "$kver" \
		--kernelsourcedir "$fake" 2>&1) || rc=$?
	ktap_if "$desc" "$(printf '%s\n' "$out" | tail -n 10
		echo "dkms build exited $rc, want 77 (excluded)")" [ $rc -eq 77 ]
}

# ---- per kernel -----------------------------------------------------------

# The module file of NAME under DIR (.ko or compressed).
modfile() {
	find "$1" -name "$2.ko" -o -name "$2.ko.xz" -o -name "$2.ko.zst" \
		-o -name "$2.ko.gz" | head -n 1
}

# modinfo checks on an installed zramx.ko (and zsfast.ko next to it).
modinfo_checks() {	# modinfo_checks TAG DIR [SIGNED]
	local tag=$1 dir=$2 signed=${3:-} zx zs stock vm want dep ns signer

	zx=$(modfile "$dir" zramx)
	zs=$(modfile "$dir" zsfast)
	if [ -z "$zx" ] || [ -z "$zs" ]; then
		ktap_point fail "$tag: zsfast.ko and zramx.ko installed in ${dir#"$W"/}" \
			"$(find "$dir" | head)"
		return
	fi
	ktap_point ok "$tag: zsfast.ko and zramx.ko installed in ${dir#"$W"/}"
	dep=$(modinfo -F depends "$zx" 2>&1) || true
	if [[ ",$dep," == *,zsfast,* ]]; then
		ktap_point ok "$tag: modinfo zramx.ko: depends: $dep"
	else
		ktap_point fail "$tag: modinfo zramx.ko: depends has zsfast" "depends: '$dep'"
	fi
	# Any stock module (lz4_compress is built in on 7.x).
	stock=$(find "$KMODDIR/kernel/lib" -name '*.ko*' | head -n 1)
	want=$(modinfo -F vermagic "$stock" 2>&1) || true
	vm=$(modinfo -F vermagic "$zx" 2>&1) || true
	if [ -n "$want" ] && [ "$vm" = "$want" ] &&
	   [ "$(modinfo -F vermagic "$zs")" = "$want" ] && [[ "$vm" == "$KVER "* ]]; then
		ktap_point ok "$tag: vermagic '$vm' (as the kernel's own modules)"
	else
		ktap_point fail "$tag: vermagic matches the kernel's" \
			"zramx: '$vm', zsfast: '$(modinfo -F vermagic "$zs")', stock: '$want'"
	fi
	ns=$(modinfo -F import_ns "$zx" 2>&1) || true
	ktap_if "$tag: zramx imports namespace ZSFAST" "import_ns: '$ns'" \
		[ "$ns" = ZSFAST ]
	if [ -n "$signed" ]; then
		signer=$(modinfo -F signer "$zx" 2>&1) || true
		if [ "$signer" = "DKMS module signing key" ] &&
		   [ "$(modinfo -F signer "$zs")" = "$signer" ]; then
			ktap_point ok "$tag: signed with the MOK key ($signer)"
		else
			ktap_point fail "$tag: signed with the MOK key" "signer: '$signer'"
		fi
	fi
}

# modules.dep and modprobe: zramx pulls zsfast, before itself.
depmod_checks() {	# depmod_checks TAG ROOT SUBDIR
	local tag=$1 root=$2 sub=$3 line deps need ok m

	if ! depmod -b "$root" "$KVER" 2> "$W/depmod.err"; then
		ktap_point fail "$tag: depmod" "$(cat "$W/depmod.err")"
		return
	fi
	line=$(grep -E "^$sub/zramx\.ko(\.[a-z]+)?:" "$root/lib/modules/$KVER/modules.dep" || true)
	if [[ "$line" =~ $sub/zsfast\.ko ]]; then
		ktap_point ok "$tag: modules.dep: $line"
	else
		ktap_point fail "$tag: modules.dep: zramx needs zsfast" "line: '$line'"
	fi
	deps=$(modprobe -d "$root" -S "$KVER" --show-depends zramx 2>&1 |
		awk '{ print $2 }' | sed 's|.*/||; s|\.ko.*||' | tr '\n' ' ') || true
	# zsfast and every module zramx depends on, before zramx.
	need=$(modinfo -F depends "$(modfile "$root/lib/modules/$KVER/$sub" zramx)" |
		tr ',' ' ')
	ok=1
	[[ " $deps" =~ \ zsfast\ .*zramx\ $ ]] || ok=0
	for m in $need; do
		[[ " ${deps%zramx *}" == *" $m "* ]] || ok=0
	done
	if [ $ok = 1 ]; then
		ktap_point ok "$tag: modprobe zramx loads: $deps"
	else
		ktap_point fail "$tag: modprobe zramx loads zsfast and its other dependencies ($need) first" \
			"order: '$deps'"
	fi
}

# The guests' test programs, once for every kernel.
if [ "$GUEST" = 1 ] && ! zsf_build_progs "$ZSF_OUT/progs" 2> "$W/progs.err"; then
	ktap_point fail "the static test programs for the guests" \
		"$(tail -n 20 "$W/progs.err")"
	GUEST=0
fi

for f in $FLAVORS; do
	t=$(date +%s)
	zsf_fetch_point zsf_kernel_fetch "$f" || continue
	echo "# $f: $KVER"
	ROOT=$W/root-$KVER
	if ! zsf_stage_root "$ROOT"; then
		ktap_point fail "$f: a scratch root with the stock modules"
		continue
	fi
	# The headers: installed here, or only in the sysroot.
	ksrc=()
	if [ -f "/lib/modules/$KVER/build/Makefile" ]; then
		echo "# $f: headers installed here (/lib/modules/$KVER/build), DKMS finds them"
	else
		echo "# $f: no /lib/modules/$KVER/build here: --kernelsourcedir $KDIR"
		ksrc=(--kernelsourcedir "$KDIR")
	fi
	# Debian's DKMS looks for sign-file in /usr/lib/linux-kbuild-X.Y.
	export sign_file=$KDIR/scripts/sign-file
	# In a build root: that Debian's own DKMS, with its own trees.
	DKMS=("${HOST_DKMS[@]}")
	dtree=$DKMSTREE
	KRUN=()
	if [ -n "$ZSF_KROOT" ]; then
		dtree=$W/dkms-$KVER
		echo "# $f: DKMS and make run in the build root $ZSF_KROOT"
		KRUN=(in_kroot)
		DKMS=(in_kroot dkms --sourcetree "$W/src-$KVER" --dkmstree "$dtree")
		mkdir -p "$W/src-$KVER" "$dtree"
		ktap_check "$f: dkms add ($PKG/$PKGVER, $(in_kroot dkms --version 2>&1 | head -n 1))" \
			"${DKMS[@]}" add "$CHECKOUT" || continue
	fi
	ktap_check "$f: dkms build -k $KVER" "${DKMS[@]}" build "$PKG/$PKGVER" \
		-k "$KVER" "${ksrc[@]}" -j 2 || {
		tail -n 20 "$dtree/$PKG/$PKGVER/build/make.log" 2>/dev/null | sed 's/^/# /'
		continue
	}
	ktap_check "$f: dkms install -k $KVER (--installtree, --no-depmod)" \
		"${DKMS[@]}" install "$PKG/$PKGVER" -k "$KVER" "${ksrc[@]}" \
		--installtree "$ROOT/lib/modules" --no-depmod || continue
	st=$("${DKMS[@]}" status "$PKG/$PKGVER" -k "$KVER" \
		--installtree "$ROOT/lib/modules" 2>&1 || true)
	if [[ "$st" == *"$KVER"*installed* ]] && [[ "$st" != *WARNING* ]]; then
		ktap_point ok "$f: dkms status: $st"
	else
		ktap_point fail "$f: dkms status says installed" "$st"
	fi
	modinfo_checks "$f dkms" "$ROOT/lib/modules/$KVER/updates" signed
	depmod_checks "$f dkms" "$ROOT" "updates/dkms"
	if [ "$GUEST" = 1 ]; then
		log "$KVER: booting with the DKMS-installed modules"
		KMODDIR=$ROOT/lib/modules/$KVER GUEST_KOS='' GUEST_PROGS=$ZSF_OUT/progs \
		GUEST_TESTS=$(zsf_tests "$f" amd64 install) GUEST_STOCK_MODS="zramx brd" \
		GUEST_OUT=$W/guest-$KVER GUEST_TIMEOUT=${ZSF_GUEST_TIMEOUT:-1800} \
			zsf_guest_boot "$f dkms guest" "$W/guest-$KVER.stderr" zsf_guest_run
	fi
	ktap_check "$f: dkms remove -k $KVER" "${DKMS[@]}" remove "$PKG/$PKGVER" \
		-k "$KVER" --installtree "$ROOT/lib/modules" --no-depmod
	left=$(find "$ROOT/lib/modules/$KVER/updates" -name '*.ko*' 2>/dev/null || true)
	ktap_if "$f: after dkms remove, no module left in updates/" "$left" \
		[ -z "$left" ]

	# make install, the way without DKMS: on the primary kernels (the
	# role column of tests/kernels.list); the others only with DKMS.
	if [ "$(zsf_kernel_field "$f" role)" != primary ]; then
		echo "# $f: $(($(date +%s) - t)) s (make install: on the primary kernels only)"
		continue
	fi
	MROOT=$W/mroot-$KVER
	if ! zsf_stage_root "$MROOT"; then
		ktap_point fail "$f: a scratch root for make install"
		continue
	fi
	rm -rf "$W/make-$KVER"
	cp -r "$CHECKOUT" "$W/make-$KVER"
	if "${KRUN[@]}" make -C "$W/make-$KVER" KDIR="$KDIR" INSTALL_MOD_PATH="$MROOT" \
		install > "$W/make-install-$KVER.log" 2>&1; then
		ktap_point ok "$f: make install INSTALL_MOD_PATH=<scratch root>"
		if grep -q "SSL error" "$W/make-install-$KVER.log"; then
			ktap_point fail "$f: make install does not try the missing distribution key" \
				 "$(grep -m 2 "SSL error" "$W/make-install-$KVER.log")"
		fi
		modinfo_checks "$f make install" "$MROOT/lib/modules/$KVER/updates"
		depmod_checks "$f make install" "$MROOT" "updates"
	else
		ktap_point fail "$f: make install INSTALL_MOD_PATH=<scratch root>" \
			"$(tail -n 20 "$W/make-install-$KVER.log")"
	fi
	echo "# $f: $(($(date +%s) - t)) s"
done

# BUILD_EXCLUSIVE, against the last fetched kernel's .config.
if [ -n "${KDIR:-}" ] && [ -f "$KDIR/.config" ]; then
	excl_test "BUILD_EXCLUSIVE: dkms build refuses a kernel without CONFIG_64BIT (77)" \
		"$KVER" 's/^CONFIG_64BIT=y/# CONFIG_64BIT is not set/'
	excl_test "BUILD_EXCLUSIVE: dkms build refuses kernel 5.10 (77)" \
		"5.10.0-99-amd64" 's/^$//'
	excl_test "BUILD_EXCLUSIVE: dkms build refuses a kernel without zstd (77)" \
		"$KVER" '/^CONFIG_ZSTD_COMPRESS=/d'
fi

# The systemd units, with their commands pointed at the tree.
if command -v systemd-analyze > /dev/null; then
	mkdir -p "$W/unit"
	for u in zramx-swap.service zramx-writeback.service zramx-writeback.timer; do
		sed "s|/usr/local/sbin/zramx-swap|$ZSF_ROOT/tools/systemd/zramx-swap|" \
			"$ZSF_ROOT/tools/systemd/$u" > "$W/unit/$u"
		out=$(cd "$W/unit" && systemd-analyze verify "./$u" 2>&1) ||
			out+=" (exit status $?)"
		ktap_if "systemd-analyze verify $u: clean" "$out" [ -z "$out" ]
	done
else
	ktap_skip "systemd-analyze verify" "systemd-analyze not installed"
fi

finish
