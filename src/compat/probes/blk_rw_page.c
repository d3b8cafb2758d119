// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HAVE_BLK_RW_PAGE: block_device_operations.rw_page, taking an enum
 * req_op (v5.19 .. v6.2), the form zramx implements.
 */
#include <linux/blkdev.h>

static int zsf_rw_page(struct block_device *bdev, sector_t sector,
		       struct page *page, enum req_op op)
{
	return 0;
}

const struct block_device_operations zsf_probe = { .rw_page = zsf_rw_page };
