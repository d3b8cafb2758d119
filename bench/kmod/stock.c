// SPDX-License-Identifier: GPL-2.0-or-later
/* freebench.c against the kernel's own zsmalloc (zs_*). */
#define FB_STOCK
#include "freebench.c"
