// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HAVE_BLK_FEAT_SYNCHRONOUS: queue features live in queue_limits.features
 * (v6.10+), where a synchronous device sets BLK_FEAT_SYNCHRONOUS.
 */
#include <linux/blkdev.h>

struct queue_limits zsf_probe = { .features = BLK_FEAT_SYNCHRONOUS };
