// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast_test run=syscompact: objects stay live while the guest script
 * runs system-wide compaction (echo 1 > /proc/sys/vm/compact_memory).
 * The script drives the phases through /sys/kernel/debug/zsfast_test/ctl:
 *
 *   echo fill   > ctl    allocate mb=N MiB of objects and write them;
 *                        movable pages allocated in between are then freed,
 *                        leaving holes for compaction to fill
 *   echo verify > ctl    check every object's data and handle; reports how
 *                        many objects changed page since the previous phase
 *   echo free   > ctl    free everything, destroy the pool, check the pages
 *                        went back, and finish the run ("done" line)
 *
 * Reading ctl shows the state.  A write fails with -EINVAL for an unknown
 * command and -EBUSY for one out of order.
 */
#include <linux/kernel.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include <zsfast.h>
#include <zsfast/testing.h>

#include "zsft.h"

struct zsft_sc_obj {
	struct zsft_obj o;
	unsigned long pfn;
};

enum zsft_sc_state { ZSFT_SC_NEW, ZSFT_SC_FILLED, ZSFT_SC_DONE };

static DEFINE_MUTEX(zsft_sc_lock);
static enum zsft_sc_state zsft_sc_state;
static struct zsf_pool *zsft_sc_pool;
static struct zsft_sc_obj *zsft_sc_objs;
static unsigned int zsft_sc_nr, zsft_sc_max;
static unsigned int zsft_sc_verifies;
static unsigned long zsft_sc_moved_total, zsft_sc_start;
static struct zsft_rng zsft_sc_rng;
static void *zsft_sc_buf, *zsft_sc_local;

static const char * const zsft_sc_state_names[] = {
	[ZSFT_SC_NEW] = "new",
	[ZSFT_SC_FILLED] = "filled",
	[ZSFT_SC_DONE] = "done",
};

static int zsft_sc_fill(void)
{
	unsigned long bytes = 0, want = (unsigned long)zsft_mb << 20;
	unsigned long scratch_pages = 0, fails = 0;
	struct zsf_test_loc loc;
	struct page *page, *tmp;
	LIST_HEAD(scratch);
	u32 gen = 0;

	while (bytes < want && zsft_sc_nr < zsft_sc_max) {
		struct zsft_sc_obj *o = &zsft_sc_objs[zsft_sc_nr];
		u32 size = 256 + zsft_rng_below(&zsft_sc_rng,
						 PAGE_SIZE * 3 / 4 - 256);
		unsigned long h;

		h = zsft_obj_alloc(zsft_sc_pool, &o->o, size, ++gen,
				   NUMA_NO_NODE, zsft_sc_buf);
		if (!o->o.handle) {
			if (fails++ < 4)
				zsft_diag("syscompact fill: zsf_malloc(%u) returned %ld",
					  size, (long)h);
			if (fails > 64)
				break;
			continue;
		}
		o->pfn = zsf_test_locate(zsft_sc_pool, h, &loc) ? 0 : loc.pfn;
		zsft_sc_nr++;
		bytes += size;

		/* Interleave movable pages, freed below, to fragment memory. */
		if (zsft_sc_nr % 2 == 0) {
			page = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
			if (page) {
				list_add(&page->lru, &scratch);
				scratch_pages++;
			}
		}
	}
	list_for_each_entry_safe(page, tmp, &scratch, lru) {
		list_del(&page->lru);
		__free_page(page);
	}

	zsft_diag("syscompact fill: %u objects, %lu bytes in %lu pages; %lu scratch pages freed around them",
		  zsft_sc_nr, bytes, zsf_get_total_pages(zsft_sc_pool),
		  scratch_pages);
	zsft_point(!fails && bytes >= want,
		   "syscompact fill: %u MiB of objects allocated and written (%lu failures)",
		   zsft_mb, fails);
	zsft_sc_state = ZSFT_SC_FILLED;
	return 0;
}

static int zsft_sc_verify(void)
{
	struct zsft_agg data = ZSFT_AGG("syscompact verify: every object keeps its data");
	struct zsft_agg loc_agg = ZSFT_AGG("syscompact verify: every handle locates");
	unsigned long moved = 0;
	struct zsf_test_loc loc;
	unsigned int i;
	int ret;

	zsft_sc_verifies++;
	for (i = 0; i < zsft_sc_nr; i++) {
		struct zsft_sc_obj *o = &zsft_sc_objs[i];

		zsft_obj_intact(zsft_sc_pool, &data, &o->o, zsft_sc_local);
		ret = zsf_test_locate(zsft_sc_pool, o->o.handle, &loc);
		if (zsft_check(&loc_agg, !ret, "handle %#lx: locate error %d",
			       o->o.handle, ret)) {
			if (loc.pfn != o->pfn)
				moved++;
			o->pfn = loc.pfn;
		}
		if (i % 1024 == 0)
			cond_resched();
	}
	zsft_sc_moved_total += moved;
	zsft_diag("syscompact verify #%u: %lu of %u objects changed page since the previous phase (%lu in all)",
		  zsft_sc_verifies, moved, zsft_sc_nr, zsft_sc_moved_total);
	zsft_agg_point(&data);
	zsft_agg_point(&loc_agg);
	return 0;
}

static void zsft_sc_free_objs(void)
{
	unsigned int i;

	for (i = 0; i < zsft_sc_nr; i++)
		zsf_free(zsft_sc_pool, zsft_sc_objs[i].o.handle);
	zsft_sc_nr = 0;
}

static int zsft_sc_free(void)
{
	zsft_sc_free_objs();
	zsft_point(zsft_wait_pages(zsft_sc_pool, 0),
		   "syscompact free: the pool is back to 0 pages (%lu)",
		   zsf_get_total_pages(zsft_sc_pool));
	zsf_destroy_pool(zsft_sc_pool);
	zsft_sc_pool = NULL;
	zsft_point(zsft_wait_pages(NULL, zsft_sc_start),
		   "syscompact free: zsfast's total pages back to %lu (%lu)",
		   zsft_sc_start, zsf_test_total_pages());
	zsft_point(zsft_sc_verifies > 0,
		   "syscompact: data was verified while objects were live (%u times)",
		   zsft_sc_verifies);
	zsft_diag("syscompact: %lu object moves seen in all (migration is a diagnostic, not a pass condition)",
		  zsft_sc_moved_total);
	zsft_sc_state = ZSFT_SC_DONE;
	zsft_done("syscompact");
	return 0;
}

/* The ctl commands, and the state each is accepted in. */
static const struct {
	const char *name;
	enum zsft_sc_state state;
	int (*fn)(void);
} zsft_sc_cmds[] = {
	{ "fill", ZSFT_SC_NEW, zsft_sc_fill },
	{ "verify", ZSFT_SC_FILLED, zsft_sc_verify },
	{ "free", ZSFT_SC_FILLED, zsft_sc_free },
};

static ssize_t zsft_sc_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char cmd[16];
	size_t n = min(count, sizeof(cmd) - 1), i;
	int ret;

	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = '\0';
	strim(cmd);

	mutex_lock(&zsft_sc_lock);
	ret = -EINVAL;
	for (i = 0; i < ARRAY_SIZE(zsft_sc_cmds); i++) {
		if (strcmp(cmd, zsft_sc_cmds[i].name))
			continue;
		ret = zsft_sc_state == zsft_sc_cmds[i].state ?
		      zsft_sc_cmds[i].fn() : -EBUSY;
	}
	mutex_unlock(&zsft_sc_lock);
	return ret ? ret : count;
}

static ssize_t zsft_sc_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char line[128];
	int n;

	mutex_lock(&zsft_sc_lock);
	n = scnprintf(line, sizeof(line), "state %s objects %u pages %lu\n",
		      zsft_sc_state_names[zsft_sc_state], zsft_sc_nr,
		      zsft_sc_pool ? zsf_get_total_pages(zsft_sc_pool) : 0);
	mutex_unlock(&zsft_sc_lock);
	return simple_read_from_buffer(ubuf, count, ppos, line, n);
}

static const struct file_operations zsft_sc_fops = {
	.owner = THIS_MODULE,
	.read = zsft_sc_read,
	.write = zsft_sc_write,
	.llseek = default_llseek,
};

int zsft_syscompact_init(struct dentry *dir)
{
	zsft_rng_init(&zsft_sc_rng, zsft_seed_param);
	/* The smallest object is 256 bytes. */
	zsft_sc_max = ((unsigned long)zsft_mb << 20) / 256 + 1;
	zsft_sc_objs = vcalloc(zsft_sc_max, sizeof(*zsft_sc_objs));
	zsft_sc_buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	if (!zsft_sc_objs || !zsft_sc_buf)
		goto nomem;
	zsft_sc_local = zsft_sc_buf + PAGE_SIZE;
	zsft_sc_start = zsf_test_total_pages();
	zsft_sc_pool = zsf_create_pool("zsf_syscompact");
	if (!zsft_sc_pool)
		goto nomem;
	debugfs_create_file("ctl", 0644, dir, NULL, &zsft_sc_fops);
	return 0;

nomem:
	zsft_syscompact_exit();
	return -ENOMEM;
}

void zsft_syscompact_exit(void)
{
	/* Unloaded before "free": clean up without reporting. */
	zsft_sc_free_objs();
	zsf_destroy_pool(zsft_sc_pool);
	kfree(zsft_sc_buf);
	vfree(zsft_sc_objs);
}
