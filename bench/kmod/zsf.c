// SPDX-License-Identifier: GPL-2.0-or-later
/* freebench.c against zsfast (zsf_*). */
#include "freebench.c"
