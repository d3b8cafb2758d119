// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast_test run=leak: destroy a pool that still holds objects.
 *
 * zsf_destroy_pool() must report the leak in the kernel log (the guest
 * script looks for the pool's name there), free the memory anyway and not
 * crash.  Checked here: the pages come back to zsfast's total.  Checked by
 * the script: the log message, debugfs "pages:", zsfast's refcount.
 */
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/slab.h>

#include <zsfast.h>
#include <zsfast/testing.h>

#include "zsft.h"

#define ZSFT_LEAK_POOL	"zsf_leak_test"
#define ZSFT_LEAK_OBJS	200

int zsft_run_leak(void)
{
	unsigned long start, pages;
	struct zsf_pool *pool;
	struct zsft_rng rng;
	struct zsft_obj o;
	unsigned int i, live = 0;
	void *buf;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	zsft_rng_init(&rng, zsft_seed_param);
	start = zsf_test_total_pages();

	pool = zsf_create_pool(ZSFT_LEAK_POOL);
	if (!pool) {
		kfree(buf);
		zsft_point(false, "leak: zsf_create_pool");
		return 0;
	}
	for (i = 0; i < ZSFT_LEAK_OBJS; i++) {
		/* Small and huge objects; some in multi-page zspages. */
		u32 size = i % 10 ? 1 + zsft_rng_below(&rng, PAGE_SIZE) :
				    PAGE_SIZE;

		zsft_obj_alloc(pool, &o, size, i, NUMA_NO_NODE, buf);
		if (!o.handle)
			continue;
		/* Free a few, so the pool's free path has run too. */
		if (i % 7 == 0)
			zsf_free(pool, o.handle);
		else
			live++;
	}
	kfree(buf);
	pages = zsf_get_total_pages(pool);
	zsft_point(live > 0 && pages > 0,
		   "leak: pool " ZSFT_LEAK_POOL " holds %u objects in %lu pages",
		   live, pages);
	zsft_point(zsf_test_total_pages() == start + pages,
		   "leak: zsfast's total counts the pool's pages (%lu = %lu + %lu)",
		   zsf_test_total_pages(), start, pages);

	/* The guest script compares these numbers with the kernel log. */
	zsft_diag("leak: destroying pool " ZSFT_LEAK_POOL " live_objects=%u pages=%lu",
		  live, pages);
	zsf_destroy_pool(pool);

	zsft_point(zsft_wait_pages(NULL, start),
		   "leak: destroying the pool gave its pages back (total %lu, expected %lu)",
		   zsf_test_total_pages(), start);
	return 0;
}
