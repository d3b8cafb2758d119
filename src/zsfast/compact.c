// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compaction: within each class, move objects from the least used
 * zspages into the most used ones, so that the former empty out and go
 * back to the page allocator.  Runs from zsf_compact() and the shrinker.
 *
 * Compaction holds the class lock while it moves objects (it rewrites
 * obj) and the source zspage's migrate_lock for write (it moves object
 * memory that readers may have mapped).  Frees run under the class lock
 * too, often with interrupts off under their caller's locks, so a hold is
 * kept short, as upstream's __zs_compact() does: the locks are dropped
 * when the source zspage is empty, when the destination is full, when
 * anyone waits for them, and after ZSF_COMPACT_BATCH bytes moved.  Both
 * zspages stay on their lists (zsf_fix_fullness_locked() refiles them),
 * so nothing has to be put back; the next round picks again.
 *
 * "Anyone waits" is spin_is_contended() (rwlock_is_contended() for the
 * pool lock of the fallback encoding), not spin_needbreak(): recent
 * kernels make that false unless they are preemptible, and Debian's
 * preempt voluntarily.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/highmem.h>
#include <linux/sched.h>

#include "zsfast/zsfast_internal.h"

/*
 * Most bytes of objects moved per hold of the class lock: about the work
 * of migrating one page.  At least one object moves per hold.
 */
#define ZSF_COMPACT_BATCH	PAGE_SIZE

/* Does a free, an allocation or a reader wait for compaction's locks? */
static bool zsf_compact_contended(struct zsf_pool *pool,
				  struct zsf_class *class)
{
	return spin_is_contended(&class->lock) ||
		zsf_pool_move_contended(pool) || need_resched();
}

/* Copy object @sidx of @src to object @didx of @dst, header included. */
static void zsf_copy_obj(struct zsf_class *class,
			 struct zsf_zspage *dst, unsigned int didx,
			 struct zsf_zspage *src, unsigned int sidx)
{
	unsigned long soff = zsf_obj_offset(class, sidx);
	unsigned long doff = zsf_obj_offset(class, didx);
	unsigned int left = class->size;

	while (left) {
		unsigned int chunk = min3((unsigned long)left,
					  PAGE_SIZE - offset_in_page(soff),
					  PAGE_SIZE - offset_in_page(doff));
		void *s = kmap_local_page(src->pages[soff >> PAGE_SHIFT]);
		void *d = kmap_local_page(dst->pages[doff >> PAGE_SHIFT]);

		memcpy(d + offset_in_page(doff), s + offset_in_page(soff),
		       chunk);
		kunmap_local(d);
		kunmap_local(s);
		soff += chunk;
		doff += chunk;
		left -= chunk;
	}
}

/*
 * Move objects from @src to @dst until @src is empty, @dst is full, a
 * batch has moved or someone waits for the locks.
 */
static void zsf_move_objects(struct zsf_pool *pool, struct zsf_class *class,
			     struct zsf_zspage *dst, struct zsf_zspage *src)
{
	unsigned int sidx = 0, moved = 0;
	unsigned long handle;

	while (dst->inuse < class->objs_per_zspage &&
	       (handle = zsf_next_allocated(class, src, &sidx))) {
		unsigned int didx = zsf_obj_take_locked(class, dst, handle);
		unsigned long page_nr = zsf_obj_offset(class, didx) >>
					PAGE_SHIFT;

		zsf_copy_obj(class, dst, didx, src, sidx);
		zsf_record_obj(handle,
			       zsf_encode_obj(page_to_pfn(dst->pages[page_nr]),
					      class->index, didx));
		zsf_obj_free_locked(class, src, sidx);
		sidx++;
		moved += class->size;
		if (moved >= ZSF_COMPACT_BATCH ||
		    zsf_compact_contended(pool, class))
			break;
	}
}

/**
 * zsf_class_freeable() - pages compaction could free in a class
 * @class: the class; read without its lock, for an estimate
 *
 * Return: the number of pages.
 */
unsigned long zsf_class_freeable(struct zsf_class *class)
{
	unsigned long allocated, inuse;

	if (class->huge)
		return 0;
	allocated = READ_ONCE(class->nr_zspages) * class->objs_per_zspage;
	inuse = READ_ONCE(class->objs_inuse);
	if (allocated <= inuse)
		return 0;
	return (allocated - inuse) / class->objs_per_zspage *
		class->pages_per_zspage;
}

static struct zsf_zspage *zsf_pick(struct zsf_class *class, bool fullest,
				   struct zsf_zspage *not)
{
	int fg, step = fullest ? -1 : 1;

	for (fg = fullest ? ZSF_FULLNESS_FULL - 1 : ZSF_FULLNESS_EMPTY + 1;
	     fg > ZSF_FULLNESS_EMPTY && fg < ZSF_FULLNESS_FULL; fg += step) {
		struct list_head *head = &class->fullness_list[fg];
		struct zsf_zspage *zspage;

		list_for_each_entry(zspage, head, list) {
			if (zspage != not)
				return zspage;
		}
	}
	return NULL;
}

/**
 * zsf_compact_class() - compact one class
 * @pool: the pool
 * @class: the class
 *
 * Return: the number of pages freed.
 */
unsigned long zsf_compact_class(struct zsf_pool *pool, struct zsf_class *class)
{
	unsigned long freed = 0;

	if (class->huge)
		return 0;

	for (;;) {
		struct zsf_zspage *dst, *src;
		bool empty;

		zsf_pool_move_lock(pool);
		spin_lock(&class->lock);
		dst = zsf_class_freeable(class) ? zsf_pick(class, true, NULL) :
						  NULL;
		src = dst ? zsf_pick(class, false, dst) : NULL;
		if (!src || src->inuse > dst->inuse) {
			spin_unlock(&class->lock);
			zsf_pool_move_unlock(pool);
			break;
		}

		write_lock(&src->migrate_lock);
		zsf_move_objects(pool, class, dst, src);
		write_unlock(&src->migrate_lock);

		zsf_fix_fullness_locked(class, dst);
		empty = zsf_fix_fullness_locked(class, src);
		/* Every batch ends the hold: src empty, dst full, or enough. */
		spin_unlock(&class->lock);
		zsf_pool_move_unlock(pool);
		if (empty) {
			zsf_release_zspage(pool, src);
			freed += class->pages_per_zspage;
		}
		cond_resched();
	}
	return freed;
}

static unsigned long zsf_compact_pool(struct zsf_pool *pool)
{
	unsigned long freed = 0;
	int i;

	/* One compaction at a time per pool; others have nothing to add. */
	if (atomic_xchg(&pool->compacting, 1))
		return 0;
	for (i = ZSF_NR_CLASSES - 1; i >= 0; i--) {
		struct zsf_class *class = pool->size_class[i];

		if (class->index != i)
			continue;
		freed += zsf_compact_class(pool, class);
	}
	atomic_long_add(freed, &pool->pages_compacted);
	atomic_set(&pool->compacting, 0);
	return freed;
}

/**
 * zsf_compact() - move objects to free as many zspages as possible
 * @pool: the pool
 *
 * Return: the number of pages freed by this call.
 */
unsigned long zsf_compact(struct zsf_pool *pool)
{
	return zsf_compact_pool(pool);
}
ZSF_EXPORT(zsf_compact);

static unsigned long zsf_shrinker_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	struct zsf_pool *pool = zsf_shrinker_priv(shrinker);
	unsigned long freeable = 0;
	int i;

	for (i = ZSF_NR_CLASSES - 1; i >= 0; i--) {
		struct zsf_class *class = pool->size_class[i];

		if (class->index == i)
			freeable += zsf_class_freeable(class);
	}
	return freeable;
}

static unsigned long zsf_shrinker_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	struct zsf_pool *pool = zsf_shrinker_priv(shrinker);
	unsigned long freed = zsf_compact_pool(pool);

	return freed ? freed : SHRINK_STOP;
}

int zsf_shrinker_init(struct zsf_pool *pool)
{
	char name[64];

	snprintf(name, sizeof(name), "zsfast-%s", pool->name);
	pool->shrinker = zsf_shrinker_create(name, zsf_shrinker_count,
					     zsf_shrinker_scan, DEFAULT_SEEKS,
					     pool);
	return pool->shrinker ? 0 : -ENOMEM;
}

void zsf_shrinker_exit(struct zsf_pool *pool)
{
	zsf_shrinker_destroy(pool->shrinker);
}
