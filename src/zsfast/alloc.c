// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Allocation and free of objects and zspages.
 *
 * The free path (zsf_free) is what swap release runs, once per swapped
 * page, under the caller's slot lock and often in atomic context:
 *
 *   1. read obj from the handle without a lock, take its class field
 *      (64-bit; see zsfast_internal.h for why the read is safe);
 *   2. take that class's lock, re-read obj for a stable PFN, mark the
 *      object free in its zspage's map (never touching the object's own
 *      memory), refile the zspage;
 *   3. drop the lock, free the handle slot, and, if the zspage became
 *      empty, give its pages back with the class lock already dropped.
 *
 * The handle slot goes back to its cache in a batch: zsf_free() leaves it
 * in a per-CPU array, which is handed to kmem_cache_free_bulk() when it
 * is full (zsf_handle_slot_free()).  Slots freed in allocation order
 * share slabs, and the bulk free takes each slab once instead of once a
 * slot.  Nothing reads a slot once it is in the array.
 *
 * No pool-wide lock or shared counter is touched on the way, except the
 * pool's page count when a zspage is released.
 *
 * zsf_free_bulk() does the same for an array of handles, keeping a class
 * lock across each run of handles of that class, and returning the
 * handle slots and the emptied zspages after the last lock is dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/err.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>

#include "zsfast/zsfast_internal.h"

/*
 * Handle slots freed by zsf_free(), not yet given back.  Only with SLUB
 * and without PREEMPT_RT: SLAB's kmem_cache_free_bulk() enables
 * interrupts, which zsf_free()'s callers may have disabled, and on
 * PREEMPT_RT SLUB's free takes sleeping locks, which the array's
 * preempt_disable() section must not.  zsf_free() is never called from
 * interrupts, so disabling preemption is enough to own this CPU's array.
 * The slots of a CPU that goes offline wait for it, or for module exit:
 * at most ZSF_SLOT_BATCH - 1 of them.
 */
#define ZSF_SLOT_BATCH		32
#define ZSF_BATCH_SLOTS		(IS_ENABLED(CONFIG_SLUB) && \
				 !IS_ENABLED(CONFIG_PREEMPT_RT))

struct zsf_slot_batch {
	unsigned int nr;
	void *slots[ZSF_SLOT_BATCH];
};

static struct zsf_slot_batch __percpu *zsf_slot_batches;

static void zsf_handle_slot_free(unsigned long handle)
{
	struct zsf_slot_batch *b;

	if (!ZSF_BATCH_SLOTS) {
		kmem_cache_free(zsf_handle_cache, (void *)handle);
		return;
	}
	b = get_cpu_ptr(zsf_slot_batches);
	b->slots[b->nr++] = (void *)handle;
	if (b->nr == ZSF_SLOT_BATCH) {
		kmem_cache_free_bulk(zsf_handle_cache, b->nr, b->slots);
		b->nr = 0;
	}
	put_cpu_ptr(zsf_slot_batches);
}

/**
 * zsf_slot_batches_init() - allocate the per-CPU arrays of freed handle slots
 *
 * Nothing to allocate where zsf_free() gives slots back one at a time.
 *
 * Return: 0, or -ENOMEM.
 */
int zsf_slot_batches_init(void)
{
	if (!ZSF_BATCH_SLOTS)
		return 0;
	zsf_slot_batches = alloc_percpu(struct zsf_slot_batch);
	return zsf_slot_batches ? 0 : -ENOMEM;
}

/**
 * zsf_slot_batches_exit() - give back every waiting handle slot, and the
 *	arrays
 *
 * Context: module exit, with no pool left, so no zsf_free() can run.
 */
void zsf_slot_batches_exit(void)
{
	int cpu;

	if (!zsf_slot_batches)
		return;
	for_each_possible_cpu(cpu) {
		struct zsf_slot_batch *b = per_cpu_ptr(zsf_slot_batches, cpu);

		if (b->nr)
			kmem_cache_free_bulk(zsf_handle_cache, b->nr, b->slots);
	}
	free_percpu(zsf_slot_batches);
}

/* Map the page holding the first word of object @idx; returns that word. */
static unsigned long *zsf_map_obj_word(struct zsf_class *class,
				       struct zsf_zspage *zspage,
				       unsigned int idx)
{
	unsigned long off = zsf_obj_offset(class, idx);
	void *vaddr = kmap_local_page(zspage->pages[off >> PAGE_SHIFT]);

	return vaddr + offset_in_page(off);
}

/* Every object free; a small class's map is allocated here. */
static bool zsf_init_free_map(struct zsf_class *class,
			      struct zsf_zspage *zspage, gfp_t gfp)
{
	if (!zsf_class_map_inline(class)) {
		zspage->free_map = bitmap_alloc(class->objs_per_zspage, gfp);
		if (!zspage->free_map)
			return false;
	}
	bitmap_fill(zsf_free_map(class, zspage), class->objs_per_zspage);
	return true;
}

static void zsf_zspage_struct_rcu_free(struct rcu_head *head)
{
	kmem_cache_free(zsf_zspage_cache,
			container_of(head, struct zsf_zspage, rcu));
}

/*
 * On PREEMPT_RT, read_unlock() may still touch migrate_lock after the
 * writer it lets in has taken it: compaction can then empty and release
 * the zspage while the reader is inside rt_read_unlock(), which holds
 * rcu_read_lock() until it is done with the lock (see rt_spin_unlock()).
 * So there the struct goes back after a grace period.
 */
static void zsf_zspage_struct_free(struct zsf_zspage *zspage)
{
	if (!zsf_class_map_inline(zspage->class))
		bitmap_free(zspage->free_map);
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		call_rcu(&zspage->rcu, zsf_zspage_struct_rcu_free);
	else
		kmem_cache_free(zsf_zspage_cache, zspage);
}

static void zsf_free_pages(struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		set_page_private(pages[i], 0);
		zsf_uncount_pool_page(pages[i]);
		__free_page(pages[i]);
	}
}

static struct zsf_zspage *zsf_alloc_zspage(struct zsf_pool *pool,
					   struct zsf_class *class,
					   gfp_t gfp, int nid)
{
	/* Not __GFP_ZERO: the cache may have a constructor (compat.h). */
	gfp_t sgfp = gfp & ~(__GFP_HIGHMEM | __GFP_MOVABLE | __GFP_ZERO);
	struct zsf_zspage *zspage;
	unsigned int i;

	zspage = kmem_cache_alloc(zsf_zspage_cache, sgfp);
	if (!zspage)
		return NULL;
	memset(zspage, 0, sizeof(*zspage));
	zspage->class = class;
	if (!zsf_init_free_map(class, zspage, sgfp)) {
		kmem_cache_free(zsf_zspage_cache, zspage);
		return NULL;
	}

	for (i = 0; i < class->pages_per_zspage; i++) {
		struct page *page;

		page = alloc_pages_node(nid, zsf_compat_page_gfp(gfp), 0);
		if (!page) {
			zsf_free_pages(zspage->pages, i);
			zsf_zspage_struct_free(zspage);
			return NULL;
		}
		zsf_count_pool_page(page);
		zsf_set_page_owner(page, zspage, i);
		zspage->pages[i] = page;
	}

	INIT_LIST_HEAD(&zspage->list);
	rwlock_init(&zspage->migrate_lock);
	zspage->pool = pool;
	atomic_long_add(class->pages_per_zspage, &pool->pages_allocated);
	return zspage;
}

/*
 * Put a zspage that no one else can reach back to the page allocator.
 * Every page is locked by the caller; the locks are dropped here.
 */
static void zsf_free_locked_zspage(struct zsf_pool *pool,
				   struct zsf_zspage *zspage)
{
	unsigned int i, nr = zspage->class->pages_per_zspage;

	for (i = 0; i < nr; i++) {
		struct page *page = zspage->pages[i];

		zsf_clear_movable(page);
		set_page_private(page, 0);
		zsf_uncount_pool_page(page);
		unlock_page(page);
		put_page(page);
	}
	atomic_long_sub(nr, &pool->pages_allocated);
	zsf_zspage_struct_free(zspage);
}

static bool zsf_trylock_zspage(struct zsf_zspage *zspage)
{
	unsigned int i, nr = zspage->class->pages_per_zspage;

	for (i = 0; i < nr; i++) {
		if (!trylock_page(zspage->pages[i])) {
			while (i--)
				unlock_page(zspage->pages[i]);
			return false;
		}
	}
	return true;
}

/**
 * zsf_free_zspage_sleepable() - free an unreachable zspage, waiting for
 *	migration to let go of its pages
 * @pool: its pool
 * @zspage: a dying zspage, or one of a pool being destroyed
 */
void zsf_free_zspage_sleepable(struct zsf_pool *pool,
			       struct zsf_zspage *zspage)
{
	unsigned int i;

	for (i = 0; i < zspage->class->pages_per_zspage; i++)
		lock_page(zspage->pages[i]);
	zsf_free_locked_zspage(pool, zspage);
}

void zsf_release_work(struct work_struct *work)
{
	struct zsf_pool *pool = container_of(work, struct zsf_pool,
					     release_work);
	struct zsf_zspage *zspage, *tmp;
	struct llist_node *list = llist_del_all(&pool->deferred);

	llist_for_each_entry_safe(zspage, tmp, list, release)
		zsf_free_zspage_sleepable(pool, zspage);
}

/**
 * zsf_release_zspage() - give a dying zspage's pages back
 * @pool: its pool
 * @zspage: a zspage taken off its class list with inuse == 0; the class
 *	lock must not be held
 *
 * Never sleeps.  If migration holds one of the pages, the release is
 * deferred to a worker, which can wait for the page lock.
 */
void zsf_release_zspage(struct zsf_pool *pool, struct zsf_zspage *zspage)
{
	if (likely(zsf_trylock_zspage(zspage))) {
		zsf_free_locked_zspage(pool, zspage);
		zsf_stat_inc(pool, zspages_freed);
		return;
	}
	zsf_stat_inc(pool, zspages_deferred);
	llist_add(&zspage->release, &pool->deferred);
	schedule_work(&pool->release_work);
}

/**
 * zsf_fix_fullness_locked() - refile a zspage after its inuse changed
 * @class: its class, locked
 * @zspage: the zspage
 *
 * Return: true if the zspage became empty; it is then unlinked and dying,
 * and the caller releases it after dropping the class lock.
 */
bool zsf_fix_fullness_locked(struct zsf_class *class,
			     struct zsf_zspage *zspage)
{
	int fg = zsf_fullness(class, zspage->inuse);

	if (fg == zspage->fullness)
		return false;

	/* Only a zspage not linked yet has the empty group. */
	if (zspage->fullness != ZSF_FULLNESS_EMPTY)
		class->nr_fullness[zspage->fullness]--;
	if (fg == ZSF_FULLNESS_EMPTY) {
		list_del_init(&zspage->list);
		/* Read without the lock by zsf_page_isolate(). */
		WRITE_ONCE(zspage->dying, true);
		zspage->fullness = fg;
		class->nr_zspages--;
		return true;
	}
	/* Most recently used first: allocation takes from the head. */
	list_move(&zspage->list, &class->fullness_list[fg]);
	class->nr_fullness[fg]++;
	zspage->fullness = fg;
	return false;
}

/**
 * zsf_obj_take_locked() - allocate an object slot in a zspage
 * @class: the zspage's class, locked
 * @zspage: a zspage with a free slot
 * @handle: the handle to record in the object header
 *
 * Return: the object index, the lowest free one.  The caller records obj
 * in the handle.
 */
unsigned int zsf_obj_take_locked(struct zsf_class *class,
				 struct zsf_zspage *zspage,
				 unsigned long handle)
{
	unsigned long *map = zsf_free_map(class, zspage);
	unsigned int idx = find_first_bit(map, class->objs_per_zspage);

	/* The caller picked a zspage with inuse < objs_per_zspage. */
	VM_WARN_ON_ONCE(idx >= class->objs_per_zspage);
	__clear_bit(idx, map);
	if (class->huge) {
		zspage->huge_handle = handle;
	} else {
		unsigned long *word = zsf_map_obj_word(class, zspage, idx);

		*word = handle;
		kunmap_local(word);
	}
	zspage->inuse++;
	class->objs_inuse++;
	return idx;
}

/**
 * zsf_obj_free_locked() - mark an object slot of a zspage free
 * @class: the zspage's class, locked
 * @zspage: the zspage
 * @obj_idx: the object
 *
 * Only the zspage is written: the object's memory is left as it is.
 */
void zsf_obj_free_locked(struct zsf_class *class, struct zsf_zspage *zspage,
			 unsigned int obj_idx)
{
	if (class->huge)
		zspage->huge_handle = 0;
	__set_bit(obj_idx, zsf_free_map(class, zspage));
	zspage->inuse--;
	class->objs_inuse--;
}

/**
 * zsf_next_allocated() - find the next allocated object of a zspage
 * @class: the zspage's class; locked, or the zspage is unreachable
 * @zspage: the zspage
 * @obj_idx: in: where to start looking; out: the object found
 *
 * Return: the object's handle, or 0 if there is none at or after *@obj_idx.
 */
unsigned long zsf_next_allocated(struct zsf_class *class,
				 struct zsf_zspage *zspage,
				 unsigned int *obj_idx)
{
	unsigned long *word, handle;
	unsigned int idx;

	if (class->huge)
		return *obj_idx == 0 ? zspage->huge_handle : 0;

	idx = find_next_zero_bit(zsf_free_map(class, zspage),
				 class->objs_per_zspage, *obj_idx);
	if (idx >= class->objs_per_zspage)
		return 0;
	word = zsf_map_obj_word(class, zspage, idx);
	handle = *word;
	kunmap_local(word);
	*obj_idx = idx;
	return handle;
}

static struct zsf_zspage *zsf_find_partial(struct zsf_class *class)
{
	int fg;

	/* The fullest partial zspage: keeps the others free to empty out. */
	for (fg = ZSF_FULLNESS_FULL - 1; fg > ZSF_FULLNESS_EMPTY; fg--) {
		struct zsf_zspage *zspage;

		zspage = list_first_entry_or_null(&class->fullness_list[fg],
						  struct zsf_zspage, list);
		if (zspage)
			return zspage;
	}
	return NULL;
}

static unsigned long zsf_alloc_in(struct zsf_class *class,
				  struct zsf_zspage *zspage,
				  unsigned long handle)
{
	unsigned int idx = zsf_obj_take_locked(class, zspage, handle);
	unsigned long page_nr = zsf_obj_offset(class, idx) >> PAGE_SHIFT;
	unsigned long obj;

	obj = zsf_encode_obj(page_to_pfn(zspage->pages[page_nr]),
			     class->index, idx);
	zsf_record_obj(handle, obj);
	zsf_fix_fullness_locked(class, zspage);
	return obj;
}

/**
 * zsf_malloc() - allocate an object
 * @pool: pool to allocate from
 * @size: object size, 1 to PAGE_SIZE bytes
 * @gfp: allocation flags
 * @nid: preferred NUMA node for new pages
 *
 * Return: a handle, or an error value (see include/zsfast.h).
 */
unsigned long zsf_malloc(struct zsf_pool *pool, size_t size, gfp_t gfp,
			 const int nid)
{
	struct zsf_class *class;
	struct zsf_zspage *zspage;
	unsigned long handle;

	if (unlikely(!size))
		return (unsigned long)ERR_PTR(-EINVAL);
	if (unlikely(size > ZSF_MAX_ALLOC_SIZE))
		return (unsigned long)ERR_PTR(-ENOSPC);

	/* The slot is written before use; see zsf_alloc_zspage(). */
	handle = (unsigned long)kmem_cache_alloc(zsf_handle_cache,
				gfp & ~(__GFP_HIGHMEM | __GFP_MOVABLE |
					__GFP_ZERO));
	if (!handle)
		return (unsigned long)ERR_PTR(-ENOMEM);

	class = zsf_class_for_size(pool, size);

	spin_lock(&class->lock);
	zspage = zsf_find_partial(class);
	if (likely(zspage)) {
		zsf_alloc_in(class, zspage, handle);
		spin_unlock(&class->lock);
		return handle;
	}
	spin_unlock(&class->lock);

	zspage = zsf_alloc_zspage(pool, class, gfp, nid);
	if (!zspage) {
		kmem_cache_free(zsf_handle_cache, (void *)handle);
		return (unsigned long)ERR_PTR(-ENOMEM);
	}

	spin_lock(&class->lock);
	class->nr_zspages++;
	/* Start from "empty" so that zsf_fix_fullness_locked() links it. */
	zspage->fullness = ZSF_FULLNESS_EMPTY;
	zsf_alloc_in(class, zspage, handle);
	/* Visible to migration only now that it is consistent and linked. */
	zsf_set_movable(zspage);
	spin_unlock(&class->lock);
	return handle;
}
ZSF_EXPORT(zsf_malloc);

/**
 * zsf_refuse_handle() - report a handle whose obj is out of range
 * @pool: the pool it was given for
 * @obj: what it holds
 *
 * The handle was corrupted (or never was one): the caller leaves it and
 * everything it points at alone.  Reported once in the log, and counted
 * (bad_handles in debugfs).  Not a WARN: the caller survives it, and a
 * stack trace would not say who scribbled on the handle.
 */
void zsf_refuse_handle(struct zsf_pool *pool, unsigned long obj)
{
	zsf_stat_inc(pool, bad_handles);
	pr_err_once("pool %s: refused a handle with class index %u, out of range (%u classes)\n",
		    pool->name, zsf_obj_class_idx(obj),
		    (unsigned int)ZSF_NR_CLASSES);
}

/**
 * zsf_lock_handle_class() - lock the class of a live handle
 * @pool: the pool
 * @handle: a live handle
 * @obj: its obj, read by zsf_check_handle()
 * @contended: if not NULL, set when the class lock was contended
 *
 * On return the class lock is held, so the handle's obj is stable; read it
 * again for the PFN.
 *
 * Return: the class, locked.
 */
struct zsf_class *zsf_lock_handle_class(struct zsf_pool *pool,
					unsigned long handle, unsigned long obj,
					bool *contended)
	__acquires(&class->lock)
{
	struct zsf_class *class;

#ifdef ZSF_CLASS_IN_OBJ
	class = pool->size_class[zsf_obj_class_idx(obj)];
#else
	/* The pool lock keeps migration from retiring the page under us. */
	read_lock(&pool->migrate_lock);
	class = zsf_page_zspage(zsf_obj_page(zsf_handle_obj(handle)))->class;
#endif
	if (spin_trylock(&class->lock)) {
		if (contended)
			*contended = false;
	} else {
		spin_lock(&class->lock);
		if (contended)
			*contended = true;
	}
#ifndef ZSF_CLASS_IN_OBJ
	read_unlock(&pool->migrate_lock);
#endif
	return class;
}

/**
 * zsf_free() - free an object
 * @pool: the pool
 * @handle: the handle; 0 and error values are ignored, and a corrupted
 *	one is refused (see zsf_refuse_handle())
 */
void zsf_free(struct zsf_pool *pool, unsigned long handle)
{
	struct zsf_zspage *zspage;
	struct zsf_class *class;
	unsigned long obj;
	bool contended, empty;

	if (IS_ERR_OR_NULL((void *)handle))
		return;

	if (unlikely(!zsf_check_handle(pool, handle, &obj)))
		return;
	class = zsf_lock_handle_class(pool, handle, obj, &contended);
	obj = zsf_handle_obj(handle);
	zspage = zsf_page_zspage(zsf_obj_page(obj));
	zsf_obj_free_locked(class, zspage, zsf_obj_idx(obj));
	empty = zsf_fix_fullness_locked(class, zspage);
	spin_unlock(&class->lock);

	zsf_handle_slot_free(handle);
	if (unlikely(contended))
		zsf_stat_inc(pool, lock_contended);
	zsf_stat_inc(pool, frees);
	if (empty)
		zsf_release_zspage(pool, zspage);
}
ZSF_EXPORT(zsf_free);

/*
 * Can the free of @next continue under the lock of @class, taken for the
 * handle before it?  Only where the class is encoded in obj: with the
 * fallback encoding the class of a PFN is stable only under the pool lock.
 */
static inline bool zsf_same_class(struct zsf_pool *pool,
				  struct zsf_class *class, unsigned long next)
{
#ifdef ZSF_CLASS_IN_OBJ
	unsigned long obj = zsf_handle_obj(next);

	return zsf_obj_class_ok(obj) &&
		pool->size_class[zsf_obj_class_idx(obj)] == class;
#else
	return false;
#endif
}

/*
 * zsf_free_bulk() keeps a class lock across a run of handles of that class
 * and leaves to the end what needs no class lock: the handle slots go back
 * in one kmem_cache_free_bulk(), and emptied zspages are released after
 * the last class lock has been dropped.  A refused handle is left out of
 * the slots given back.
 */
void zsf_free_bulk(struct zsf_pool *pool, unsigned long *handles,
		   unsigned int nr)
{
	struct zsf_zspage *zspage, *empty = NULL;
	unsigned int i = 0, kept = 0, freed = 0, contended = 0;
	struct zsf_class *class;
	unsigned long obj;
	bool busy;

	lockdep_assert_irqs_enabled();

	/* Drop the no-op entries first, so that a run is never split. */
	for (i = 0; i < nr; i++)
		if (!IS_ERR_OR_NULL((void *)handles[i]))
			handles[kept++] = handles[i];

	for (i = 0; i < kept; ) {
		if (unlikely(!zsf_check_handle(pool, handles[i], &obj))) {
			i++;
			continue;
		}
		class = zsf_lock_handle_class(pool, handles[i], obj, &busy);
		contended += busy;
		do {
			/* Behind i: the slots to give back. */
			handles[freed++] = handles[i];
			obj = zsf_handle_obj(handles[i]);
			zspage = zsf_page_zspage(zsf_obj_page(obj));
			zsf_obj_free_locked(class, zspage, zsf_obj_idx(obj));
			if (zsf_fix_fullness_locked(class, zspage)) {
				/* Unlinked and dying: ->release is ours. */
				zspage->release.next = (void *)empty;
				empty = zspage;
			}
		} while (++i < kept && zsf_same_class(pool, class, handles[i]));
		spin_unlock(&class->lock);
	}

	kmem_cache_free_bulk(zsf_handle_cache, freed, (void **)handles);
	this_cpu_add(pool->pcpu_stats->frees, freed);
	if (contended)
		this_cpu_add(pool->pcpu_stats->lock_contended, contended);
	while (empty) {
		zspage = empty;
		empty = (void *)zspage->release.next;
		zsf_release_zspage(pool, zspage);
	}
}
ZSF_EXPORT(zsf_free_bulk);
