/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zsfast: a compressed-object allocator in the zsmalloc design.
 *
 * The API is upstream zsmalloc's (include/linux/zsmalloc.h, late 2025)
 * with a zsf_ prefix.  Every symbol is exported GPL-only in the symbol
 * namespace ZSFAST; users add MODULE_IMPORT_NS(ZSFAST) (spelled through
 * ZSF_IMPORT_NS() from compat, since the macro's form differs across
 * kernels).
 *
 * Handles are opaque unsigned longs.  0 is never a valid handle, and
 * neither is an error value, so zsf_free() accepts both as no-ops.
 */
#ifndef _ZSFAST_H_
#define _ZSFAST_H_

#include <linux/types.h>
#include <linux/atomic.h>

struct zsf_pool;

/**
 * struct zsf_pool_stats - statistics reported by zsf_pool_stats()
 * @pages_compacted: pages given back to the buddy allocator by compaction,
 *                   since the pool was created.
 * @frees:           objects freed, by zsf_free() or zsf_free_bulk().
 * @zspages_freed:   zspages that became empty and were released.
 * @zspages_deferred: of those, releases that had to be deferred to a
 *                   worker because migration held one of the pages.
 */
struct zsf_pool_stats {
	atomic_long_t pages_compacted;
	unsigned long frees;
	unsigned long zspages_freed;
	unsigned long zspages_deferred;
};

/**
 * zsf_create_pool() - create a pool of compressed objects
 * @name: name of the pool, shown in debugfs and in the shrinker list.
 *        It need not be unique.
 *
 * Context: process context, may sleep.
 * Return: the new pool, or NULL if memory ran out.  While the pool
 * exists it holds a reference on the zsfast module.
 */
struct zsf_pool *zsf_create_pool(const char *name);

/**
 * zsf_destroy_pool() - destroy a pool and free everything it holds
 * @pool: pool from zsf_create_pool(); NULL is ignored.
 *
 * Objects still allocated are a bug in the caller: they are reported in
 * the kernel log (without a WARN) and their memory is freed anyway, so
 * nothing leaks.  Their handles become invalid.
 *
 * Context: process context, may sleep.
 */
void zsf_destroy_pool(struct zsf_pool *pool);

/**
 * zsf_malloc() - allocate an object
 * @pool: pool to allocate from
 * @size: object size in bytes, 1 to PAGE_SIZE
 * @gfp: allocation flags for the backing pages; __GFP_MOVABLE is dropped
 *       on kernels where zsfast cannot make its pages movable
 * @nid: preferred NUMA node for new backing pages, or NUMA_NO_NODE
 *
 * Upstream zsmalloc's convention for failure is kept: the return value is
 * an error pointer cast to unsigned long, so callers test it with
 * IS_ERR_VALUE().
 *
 * Context: process context; atomic only with a non-sleeping @gfp.
 * Return: a handle, or (unsigned long)ERR_PTR(-EINVAL) for size 0,
 * (unsigned long)ERR_PTR(-ENOSPC) for size > PAGE_SIZE, and
 * (unsigned long)ERR_PTR(-ENOMEM) when memory ran out.
 */
unsigned long zsf_malloc(struct zsf_pool *pool, size_t size, gfp_t gfp,
			 const int nid);

/**
 * zsf_free() - free an object
 * @pool: pool the object was allocated from
 * @handle: handle from zsf_malloc(); 0 and error values are ignored.
 *
 * On 64-bit kernels this takes no pool-wide lock: the size class is
 * encoded in the object location, so only that class's lock is taken.
 * A zspage that becomes empty is given back to the page allocator after
 * the class lock has been dropped.
 *
 * A handle whose location names a size class that does not exist has been
 * corrupted: it is refused, reported once in the kernel log and counted,
 * and neither it nor the memory it points at is touched.  The same holds
 * for zsf_free_bulk(), zsf_obj_read_begin() and zsf_obj_write().
 *
 * Context: process context, atomic or not (under the caller's spinlocks,
 * with preemption disabled); never sleeps.  Not from hard or soft
 * interrupt context: the class locks are not interrupt-safe, as in
 * upstream zsmalloc.
 */
void zsf_free(struct zsf_pool *pool, unsigned long handle);

/**
 * zsf_free_bulk() - free many objects at once
 * @pool: pool the objects were allocated from
 * @handles: handles from zsf_malloc(); 0 and error values are ignored.
 *	The array is used as scratch space and its contents are undefined
 *	on return.
 * @nr: number of entries in @handles
 *
 * Does what @nr calls of zsf_free() would, with less locking: a class
 * lock is taken once for each run of consecutive handles of one class
 * (64-bit kernels), and the handle slots are returned in one bulk call.
 * Callers that free many objects, such as a swap device draining a batch
 * of released slots, get the most from ordering @handles as allocated.
 *
 * Context: process context, interrupts enabled (asserted under lockdep):
 * the handle slots go back through kmem_cache_free_bulk(), which must be
 * called with interrupts enabled (SLAB disables and re-enables them).
 * Unlike zsf_free(), not under a spinlock that disables interrupts; under
 * the caller's other spinlocks, with preemption disabled, it is fine.
 * Never sleeps.  The time spent with a class lock held grows with the run
 * length, so callers should pass at most a few hundred handles at a time.
 */
void zsf_free_bulk(struct zsf_pool *pool, unsigned long *handles,
		   unsigned int nr);

/**
 * zsf_huge_class_size() - the smallest size stored in a page of its own
 * @pool: the pool
 *
 * Objects of this size or larger occupy a whole page, so storing them
 * compressed gains nothing.  zram-style users store such data
 * uncompressed.
 *
 * Return: the size in bytes.
 */
size_t zsf_huge_class_size(struct zsf_pool *pool);

/**
 * zsf_obj_read_begin() - map an object for reading
 * @pool: the pool
 * @handle: a live handle
 * @local_copy: a buffer of PAGE_SIZE bytes, used when the object spans
 *              two pages.  Up to the size of the object's class is
 *              written to it, which may exceed the size given to
 *              zsf_malloc() (classes are merged), so a buffer sized to the
 *              object is not enough.
 *
 * The object cannot move until zsf_obj_read_end().  The caller must not
 * sleep in between.
 *
 * Context: process context, atomic or not; returns with preemption
 * disabled.
 * Return: a pointer to the object's data: either into the backing page or
 * to @local_copy.  For a corrupted handle (see zsf_free()), @local_copy
 * filled with zeroes.
 */
void *zsf_obj_read_begin(struct zsf_pool *pool, unsigned long handle,
			 void *local_copy);

/**
 * zsf_obj_read_end() - finish a read started by zsf_obj_read_begin()
 * @pool: the pool
 * @handle: the handle given to zsf_obj_read_begin()
 * @mem: the pointer zsf_obj_read_begin() returned
 */
void zsf_obj_read_end(struct zsf_pool *pool, unsigned long handle,
		      void *mem);

/**
 * zsf_obj_write() - copy data into an object
 * @pool: the pool
 * @handle: a live handle
 * @mem: the data
 * @len: its length; at most the size given to zsf_malloc()
 *
 * Context: process context, atomic or not; never sleeps.
 */
void zsf_obj_write(struct zsf_pool *pool, unsigned long handle,
		   void *mem, size_t len);

/**
 * zsf_get_total_pages() - pages the pool holds from the page allocator
 * @pool: the pool
 *
 * Return: the number of pages, including those of empty zspages whose
 * release is still pending.
 */
unsigned long zsf_get_total_pages(struct zsf_pool *pool);

/**
 * zsf_compact() - move objects to free as many zspages as possible
 * @pool: the pool
 *
 * Context: process context, may sleep.
 * Return: the number of pages freed by this call.
 */
unsigned long zsf_compact(struct zsf_pool *pool);

/**
 * zsf_lookup_class_index() - the size class an allocation would use
 * @pool: the pool
 * @size: object size in bytes
 *
 * Classes that share their geometry are merged, so several sizes map to
 * the same index.
 *
 * Return: the class index.
 */
unsigned int zsf_lookup_class_index(struct zsf_pool *pool, unsigned int size);

/**
 * zsf_pool_stats() - read the pool's statistics
 * @pool: the pool
 * @stats: overwritten with a snapshot of the pool's counters
 */
void zsf_pool_stats(struct zsf_pool *pool, struct zsf_pool_stats *stats);

#endif /* _ZSFAST_H_ */
