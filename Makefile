# SPDX-License-Identifier: GPL-2.0-or-later
#
# zsfast / zramx out-of-tree modules.
#
#   make                     build against the running kernel's headers
#   make KVER=<version>      build against /lib/modules/<version>/build
#   make KDIR=<dir>          build against a kernel build tree
#   make install             modules_install to updates/, then depmod
#   make check               the whole test suite (installs its own deps)
#   make check-debug         only the debug-kernel reliability lane
#   make bench               the release-path benchmarks
#   make demo                the main job: boot a stock kernel in QEMU and
#                            swap on /dev/zramx0

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PWD  := $(CURDIR)

# Forwarded to Kbuild.
ZSF_OPTS := $(if $(ZSF_FORCE_POOL_LOCK),ZSF_FORCE_POOL_LOCK=$(ZSF_FORCE_POOL_LOCK)) \
	    $(if $(ZSF_NO_TASK_WORK),ZSF_NO_TASK_WORK=$(ZSF_NO_TASK_WORK)) \
	    $(if $(ZSF_WERROR),ZSF_WERROR=$(ZSF_WERROR)) \
	    $(if $(ZSF_TESTS),ZSF_TESTS=$(ZSF_TESTS))

all: modules

# What the build needs beyond make, checked first so that a missing piece
# is named: the kernel's headers here; the kernel's compiler and pahole
# are checked by Kbuild (also for DKMS, which calls kbuild directly).
# `make` never installs anything; README.md lists the Debian packages.
ZSF_NEED_KDIR = $(if $(wildcard $(KDIR)/Makefile),,$(error no kernel \
	headers at $(KDIR): install linux-headers-$(KVER) (Debian), or \
	build with KVER=<version> or KDIR=<dir>))

modules:
	$(ZSF_NEED_KDIR)
	$(if $(filter install,$(MAKECMDGOALS)),$(ZSF_NEED_INSTALL))
	$(MAKE) -C $(KDIR) M=$(PWD) $(ZSF_OPTS) modules

clean:
	$(ZSF_NEED_KDIR)
	$(MAKE) -C $(KDIR) M=$(PWD) clean

# INSTALL_MOD_PATH=DIR installs into DIR/lib/modules/<release> instead
# (a scratch root; depmod -b DIR).  <release> is KDIR's UTS_RELEASE, the
# `uname -r` of the kernel those headers are for (not include/config/
# kernel.release, which Debian's 6.1 headers have as "6.1.<patchlevel>").
# Distribution kernels do not ship their module signing key: then kbuild
# is told not to try (it would print an "SSL error" and install the
# module unsigned anyway); see README.md (Troubleshooting) for signing with a MOK.
INSTALL_MOD_DIR ?= updates
ZSF_KREL = $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(KVER))
ZSF_NOSIGN = $(if $(wildcard $(KDIR)/output/signing_key.pem \
		$(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=)

# modules_install compresses the modules as the kernel's own are
# (CONFIG_MODULE_COMPRESS_*: xz on Debian's 6.12), then depmod runs.
ZSF_COMPRESSOR = $(if $(shell grep -sx 'CONFIG_MODULE_COMPRESS_XZ=y' $(KDIR)/.config),xz:xz-utils) \
	$(if $(shell grep -sx 'CONFIG_MODULE_COMPRESS_ZSTD=y' $(KDIR)/.config),zstd:zstd) \
	$(if $(shell grep -sx 'CONFIG_MODULE_COMPRESS_GZIP=y' $(KDIR)/.config),gzip:gzip)
ZSF_NEED_INSTALL = $(foreach t,$(ZSF_COMPRESSOR),$(if $(shell command -v \
	$(firstword $(subst :, ,$(t))) 2>/dev/null),,$(error \
	$(firstword $(subst :, ,$(t))) not found: the kernel compresses \
	installed modules with it (CONFIG_MODULE_COMPRESS_*); install \
	$(lastword $(subst :, ,$(t)))))) \
	$(if $(shell command -v depmod 2>/dev/null),,$(error depmod not \
	found in PATH: install kmod (and run make install as root, whose \
	PATH has /usr/sbin)))

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		KERNELRELEASE=$(ZSF_KREL) \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) \
		$(ZSF_NOSIGN) modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(ZSF_KREL)

check:
	env -u ZSF_GUEST_TESTS tests/check.sh

check-debug:
	STRESS_MINUTES=$${STRESS_MINUTES:-10} tests/check.sh --only debug

bench:
	bench/run.sh

demo:
	tests/demo.sh

.PHONY: all modules clean install check check-debug bench demo
