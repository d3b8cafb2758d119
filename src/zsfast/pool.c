// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pools and size classes: creation, destruction and the class geometry.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/highmem.h>

#include "zsfast/zsfast_internal.h"

/*
 * Pages per zspage for a class: the chain length that the kernel's own
 * zsmalloc would pick (src/compat/compat.h), so that both store the same
 * data in the same memory.  It scores each length from 1 up to the
 * kernel's limit, at most ZSF_CHAIN_SIZE, and keeps the first of the
 * best score: the fewest bytes wasted at the end of the zspage, or the
 * best whole percentage of it used.
 */
static unsigned int zsf_chain_size(unsigned int size)
{
	unsigned int i, bytes, waste, score, best = 0, chain = 1;

	for (i = 1; i <= min(ZSF_KERNEL_CHAIN_SIZE, ZSF_CHAIN_SIZE); i++) {
		bytes = i * PAGE_SIZE;
		waste = bytes % size;
		score = ZSF_CHAIN_BY_USEDPC ? (bytes - waste) * 100 / bytes :
					      UINT_MAX - waste;
		if (score > best) {
			best = score;
			chain = i;
		}
	}
	return chain;
}

/**
 * zsf_lookup_class_index() - the size class an allocation would use
 * @pool: the pool
 * @size: object size in bytes
 *
 * Return: the index of the class that zsf_malloc(@pool, @size, ...) uses.
 */
unsigned int zsf_lookup_class_index(struct zsf_pool *pool, unsigned int size)
{
	return zsf_class_for_size(pool, size)->index;
}
ZSF_EXPORT(zsf_lookup_class_index);

/**
 * zsf_huge_class_size() - the smallest size stored in a page of its own
 * @pool: the pool
 *
 * Return: the size in bytes.
 */
size_t zsf_huge_class_size(struct zsf_pool *pool)
{
	return pool->huge_class_size;
}
ZSF_EXPORT(zsf_huge_class_size);

/**
 * zsf_get_total_pages() - pages the pool holds from the page allocator
 * @pool: the pool
 *
 * Return: the number of pages.
 */
unsigned long zsf_get_total_pages(struct zsf_pool *pool)
{
	return atomic_long_read(&pool->pages_allocated);
}
ZSF_EXPORT(zsf_get_total_pages);

/**
 * zsf_pool_stats() - read the pool's statistics
 * @pool: the pool
 * @stats: overwritten with a snapshot
 */
void zsf_pool_stats(struct zsf_pool *pool, struct zsf_pool_stats *stats)
{
	struct zsf_pcpu_stats sum;

	zsf_sum_pcpu_stats(pool, &sum);
	atomic_long_set(&stats->pages_compacted,
			atomic_long_read(&pool->pages_compacted));
	stats->frees = sum.frees;
	stats->zspages_freed = sum.zspages_freed;
	stats->zspages_deferred = sum.zspages_deferred;
}
ZSF_EXPORT(zsf_pool_stats);

static void zsf_free_classes(struct zsf_pool *pool)
{
	int i;

	/*
	 * Upwards: a merged class takes the largest index of its group, so
	 * every other entry pointing at it comes before the one that frees
	 * it.
	 */
	for (i = 0; i < ZSF_NR_CLASSES; i++) {
		struct zsf_class *class = pool->size_class[i];

		if (class && class->index == i)
			kfree(class);
		pool->size_class[i] = NULL;
	}
}

static int zsf_init_classes(struct zsf_pool *pool)
{
	struct zsf_class *prev = NULL;
	int i, fg;

	/*
	 * From the largest size down, so that merged classes take the
	 * largest size of their group, and the first class that is not huge
	 * sets the huge threshold.
	 */
	for (i = ZSF_NR_CLASSES - 1; i >= 0; i--) {
		unsigned int size = ZSF_MIN_ALLOC_SIZE + i * ZSF_CLASS_DELTA;
		unsigned int pages, objs;
		struct zsf_class *class;

		if (size > ZSF_MAX_ALLOC_SIZE)
			size = ZSF_MAX_ALLOC_SIZE;
		pages = zsf_chain_size(size);
		objs = pages * PAGE_SIZE / size;

		/*
		 * zsf_malloc() adds the header before looking up the class,
		 * so anything of (largest ordinary size - header + 1) bytes
		 * or more lands in a huge class.
		 */
		if (objs > 1 && !pool->huge_class_size)
			pool->huge_class_size = size - ZSF_HANDLE_SIZE + 1;

		if (prev && prev->pages_per_zspage == pages &&
		    prev->objs_per_zspage == objs) {
			pool->size_class[i] = prev;
			continue;
		}

		class = kzalloc(sizeof(*class), GFP_KERNEL);
		if (!class)
			return -ENOMEM;
		spin_lock_init(&class->lock);
		for (fg = 0; fg < ZSF_NR_FULLNESS; fg++)
			INIT_LIST_HEAD(&class->fullness_list[fg]);
		class->size = size;
		class->index = i;
		class->pages_per_zspage = pages;
		class->objs_per_zspage = objs;
		class->huge = objs == 1;
		pool->size_class[i] = class;
		prev = class;
	}
	return 0;
}

/**
 * zsf_create_pool() - create a pool of compressed objects
 * @name: pool name, shown in debugfs and in the shrinker list
 *
 * Return: the new pool, or NULL if memory ran out.
 */
struct zsf_pool *zsf_create_pool(const char *name)
{
	struct zsf_pool *pool;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;

	pool->name = kstrdup(name, GFP_KERNEL);
	pool->pcpu_stats = alloc_percpu(struct zsf_pcpu_stats);
	if (!pool->name || !pool->pcpu_stats)
		goto err;
	init_llist_head(&pool->deferred);
	INIT_WORK(&pool->release_work, zsf_release_work);
#ifndef ZSF_CLASS_IN_OBJ
	rwlock_init(&pool->migrate_lock);
#endif
	if (zsf_init_classes(pool))
		goto err;
	if (zsf_shrinker_init(pool))
		goto err;

	__module_get(THIS_MODULE);
	mutex_lock(&zsf_pools_lock);
	list_add_tail(&pool->node, &zsf_pools);
	zsf_pool_debugfs_init(pool);
	mutex_unlock(&zsf_pools_lock);
	return pool;

err:
	zsf_free_classes(pool);
	free_percpu(pool->pcpu_stats);
	kfree(pool->name);
	kfree(pool);
	return NULL;
}
ZSF_EXPORT(zsf_create_pool);

/* Free the handles of the objects still allocated in @zspage. */
static unsigned long zsf_drop_live_handles(struct zsf_class *class,
					   struct zsf_zspage *zspage)
{
	unsigned long handle, n = 0;
	unsigned int idx = 0;

	while ((handle = zsf_next_allocated(class, zspage, &idx))) {
		kmem_cache_free(zsf_handle_cache, (void *)handle);
		n++;
		idx++;
	}
	return n;
}

/**
 * zsf_destroy_pool() - destroy a pool and free everything it holds
 * @pool: the pool; NULL is ignored
 *
 * Objects still allocated are reported and freed.
 */
void zsf_destroy_pool(struct zsf_pool *pool)
{
	unsigned long leaked_objs = 0, leaked_pages = 0;
	int i, fg;

	if (!pool)
		return;

	mutex_lock(&zsf_pools_lock);
	zsf_pool_debugfs_exit(pool);
	list_del(&pool->node);
	mutex_unlock(&zsf_pools_lock);

	zsf_shrinker_exit(pool);
	/* The worker may requeue itself; flush until nothing is pending. */
	do {
		flush_work(&pool->release_work);
	} while (!llist_empty(&pool->deferred));

	for (i = 0; i < ZSF_NR_CLASSES; i++) {
		struct zsf_class *class = pool->size_class[i];
		struct zsf_zspage *zspage, *tmp;
		LIST_HEAD(doomed);

		if (!class || class->index != i)
			continue;
		/*
		 * Retire the zspages under the class lock first: system
		 * compaction may still be migrating their pages, and it
		 * leaves dying zspages alone.
		 */
		spin_lock(&class->lock);
		for (fg = 0; fg < ZSF_NR_FULLNESS; fg++) {
			list_for_each_entry(zspage, &class->fullness_list[fg],
					    list)
				WRITE_ONCE(zspage->dying, true);
			list_splice_init(&class->fullness_list[fg], &doomed);
			class->nr_fullness[fg] = 0;
		}
		class->nr_zspages = 0;
		class->objs_inuse = 0;
		spin_unlock(&class->lock);

		list_for_each_entry_safe(zspage, tmp, &doomed, list) {
			list_del(&zspage->list);
			leaked_objs += zsf_drop_live_handles(class, zspage);
			leaked_pages += class->pages_per_zspage;
			zsf_free_zspage_sleepable(pool, zspage);
		}
	}

	if (leaked_objs)
		pr_err("pool %s destroyed with %lu objects still allocated in %lu pages; freed them\n",
		       pool->name, leaked_objs, leaked_pages);
	if (atomic_long_read(&pool->pages_allocated))
		pr_err("pool %s: %ld pages unaccounted for at destruction\n",
		       pool->name, atomic_long_read(&pool->pages_allocated));

	zsf_free_classes(pool);
	free_percpu(pool->pcpu_stats);
	kfree(pool->name);
	kfree(pool);
	module_put(THIS_MODULE);
}
ZSF_EXPORT(zsf_destroy_pool);
