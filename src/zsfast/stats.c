// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Statistics in debugfs (root-only, as debugfs is):
 *
 *   zsfast/stats              module-wide: pools and pages
 *   zsfast/<pool>/classes     per-class table, like zsmalloc's
 *   zsfast/<pool>/free_stats  free-path and migration counters
 *
 * A pool whose name is taken gets "<name>.<n>".  Nothing here prints a
 * kernel address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "zsfast/zsfast_internal.h"

static struct dentry *zsf_debugfs_root;

void zsf_sum_pcpu_stats(struct zsf_pool *pool, struct zsf_pcpu_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct zsf_pcpu_stats *s = per_cpu_ptr(pool->pcpu_stats, cpu);

		sum->frees += READ_ONCE(s->frees);
		sum->lock_contended += READ_ONCE(s->lock_contended);
		sum->zspages_freed += READ_ONCE(s->zspages_freed);
		sum->zspages_deferred += READ_ONCE(s->zspages_deferred);
		sum->pages_migrated += READ_ONCE(s->pages_migrated);
		sum->bad_handles += READ_ONCE(s->bad_handles);
	}
}

/* Callers hold zsf_pools_lock. */
static unsigned long zsf_total_pages_locked(void)
{
	struct zsf_pool *pool;
	unsigned long pages = 0;

	list_for_each_entry(pool, &zsf_pools, node)
		pages += atomic_long_read(&pool->pages_allocated);
	return pages;
}

unsigned long zsf_total_pages(void)
{
	unsigned long pages;

	mutex_lock(&zsf_pools_lock);
	pages = zsf_total_pages_locked();
	mutex_unlock(&zsf_pools_lock);
	return pages;
}

static int zsf_global_stats_show(struct seq_file *s, void *v)
{
	struct zsf_pool *pool;
	unsigned long pools = 0;

	mutex_lock(&zsf_pools_lock);
	list_for_each_entry(pool, &zsf_pools, node)
		pools++;
	seq_printf(s, "pools: %lu\npages: %lu\n", pools,
		   zsf_total_pages_locked());
	mutex_unlock(&zsf_pools_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zsf_global_stats);

static int zsf_classes_show(struct seq_file *s, void *v)
{
	struct zsf_pool *pool = s->private;
	unsigned long tot_objs = 0, tot_used = 0, tot_pages = 0, tot_free = 0;
	int i, fg;

	seq_puts(s, " class  size ");
	for (fg = ZSF_FULLNESS_EMPTY + 1; fg < ZSF_FULLNESS_FULL; fg++)
		seq_printf(s, "%4d%%", fg == ZSF_FULLNESS_FULL - 1 ? 99 :
			   (fg - 1) * 10 + 9);
	seq_puts(s, "  full obj_allocated   obj_used pages_used pages_per_zspage freeable\n");

	for (i = 0; i < ZSF_NR_CLASSES; i++) {
		struct zsf_class *class = pool->size_class[i];
		unsigned long count[ZSF_NR_FULLNESS], objs, used, pages, freeable;

		if (class->index != i)
			continue;
		/* Counters, not a walk: O(1) under each class lock. */
		spin_lock(&class->lock);
		memcpy(count, class->nr_fullness, sizeof(count));
		objs = class->nr_zspages * class->objs_per_zspage;
		used = class->objs_inuse;
		pages = class->nr_zspages * class->pages_per_zspage;
		spin_unlock(&class->lock);
		freeable = zsf_class_freeable(class);

		seq_printf(s, " %5u %5u ", i, class->size);
		for (fg = ZSF_FULLNESS_EMPTY + 1; fg < ZSF_FULLNESS_FULL; fg++)
			seq_printf(s, "%5lu", count[fg]);
		seq_printf(s, " %5lu %13lu %10lu %10lu %16u %8lu\n",
			   count[ZSF_FULLNESS_FULL], objs, used, pages,
			   class->pages_per_zspage, freeable);
		tot_objs += objs;
		tot_used += used;
		tot_pages += pages;
		tot_free += freeable;
	}
	seq_printf(s, " Total %*s %13lu %10lu %10lu %16s %8lu\n",
		   5 * (ZSF_NR_FULLNESS - 2) + 5, "", tot_objs, tot_used,
		   tot_pages, "", tot_free);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zsf_classes);

static int zsf_free_stats_show(struct seq_file *s, void *v)
{
	struct zsf_pool *pool = s->private;
	struct zsf_pcpu_stats sum;

	zsf_sum_pcpu_stats(pool, &sum);
	seq_printf(s, "encoding: %s\n",
#ifdef ZSF_CLASS_IN_OBJ
		   "class-in-handle"
#else
		   "pool-lock"
#endif
		   );
	seq_printf(s, "frees: %lu\n", sum.frees);
	seq_printf(s, "class_lock_contended: %lu\n", sum.lock_contended);
	seq_printf(s, "zspages_freed: %lu\n", sum.zspages_freed);
	seq_printf(s, "zspages_deferred: %lu\n", sum.zspages_deferred);
	seq_printf(s, "pages_migrated: %lu\n", sum.pages_migrated);
	seq_printf(s, "bad_handles: %lu\n", sum.bad_handles);
	seq_printf(s, "pages_compacted: %ld\n",
		   atomic_long_read(&pool->pages_compacted));
	seq_printf(s, "pages_allocated: %ld\n",
		   atomic_long_read(&pool->pages_allocated));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zsf_free_stats);

/* Called with zsf_pools_lock held, so names are checked and taken at once. */
void zsf_pool_debugfs_init(struct zsf_pool *pool)
{
	struct dentry *dir, *old;
	char name[64];
	int n = 0;

	if (IS_ERR_OR_NULL(zsf_debugfs_root))
		return;

	strscpy(name, pool->name, sizeof(name));
	while ((old = debugfs_lookup(name, zsf_debugfs_root))) {
		dput(old);
		snprintf(name, sizeof(name), "%.50s.%d", pool->name, ++n);
	}
	dir = debugfs_create_dir(name, zsf_debugfs_root);
	if (IS_ERR(dir))
		return;
	debugfs_create_file("classes", 0400, dir, pool, &zsf_classes_fops);
	debugfs_create_file("free_stats", 0400, dir, pool,
			    &zsf_free_stats_fops);
	pool->debugfs_dir = dir;
}

void zsf_pool_debugfs_exit(struct zsf_pool *pool)
{
	debugfs_remove_recursive(pool->debugfs_dir);
	pool->debugfs_dir = NULL;
}

int zsf_debugfs_init(void)
{
	zsf_debugfs_root = debugfs_create_dir("zsfast", NULL);
	/* Statistics are optional: the allocator works without debugfs. */
	if (!IS_ERR(zsf_debugfs_root))
		debugfs_create_file("stats", 0400, zsf_debugfs_root, NULL,
				    &zsf_global_stats_fops);
	return 0;
}

void zsf_debugfs_exit(void)
{
	debugfs_remove_recursive(zsf_debugfs_root);
}
