/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zsfast internals: the pool, size classes and zspages, and the rules that
 * keep them consistent.  Every file of src/zsfast includes this one.
 *
 * Structure
 * ---------
 * A pool has ZSF_NR_CLASSES size classes; neighbouring sizes with the same
 * geometry (pages per zspage, objects per zspage) share one struct
 * zsf_class, whose ->index is the largest index of the group.  A zspage is
 * 1..ZSF_CHAIN_SIZE order-0 pages holding objs_per_zspage objects of the
 * class size laid end to end, so an object may span two pages.  Each page
 * points back at its zspage through page->private (zspage pointer | page
 * index), which is the only struct page field zsfast owns.
 *
 * An allocated object starts with a header word, its handle, except in
 * huge classes (one object per single-page zspage), where the header would
 * not fit and zspage->huge_handle holds the handle instead.  Which objects
 * are free is kept in the zspage, one bit each (zsf_free_map()), not in
 * the objects: a free never touches the memory of the object it frees,
 * which swap release has not touched for as long as the page was out.
 * A handle is a slot from zsf_handle_cache holding the object's location,
 * "obj":
 *
 *   64-bit:   [ PFN | class index | object index ]   (see obj.h)
 *   fallback: [ PFN | object index ]
 *
 * Lock order
 * ----------
 *   page lock (taken by the migration core)
 *     pool->migrate_lock (pool-lock fallback only)
 *       class->lock
 *         zspage->migrate_lock
 *
 * Callers such as zramx hold their own slot locks outside all of these.
 *
 * - class->lock protects the class's fullness lists and counters, every
 *   zspage's inuse/free map/fullness/dying/huge_handle, object headers,
 *   and every write of a handle's obj.  Any
 *   code that rewrites obj (allocation, compaction, migration) holds it, so
 *   obj is stable while the lock of its class is held.  Frees take it,
 *   often with interrupts off under their callers' locks, so nobody holds
 *   it for long: compaction drops it after a page's worth of objects or
 *   as soon as someone waits (compact.c).
 * - zspage->migrate_lock keeps object memory in place: readers and writers
 *   of object data (zsf_obj_read_begin/end, zsf_obj_write) hold it for read;
 *   compaction holds it for write on the zspage it empties, migration on the
 *   zspage whose page it replaces.  zspage->pages[] changes only under
 *   class->lock plus this lock held for write.  On PREEMPT_RT a reader's
 *   read_unlock() may touch the lock after compaction has taken it for
 *   write, so there a released zspage's struct is freed after an RCU
 *   grace period (zsf_zspage_struct_free()).
 * - The page lock of any page of a zspage pins the zspage: it is freed only
 *   after all its pages have been locked (trylocked on the free path, which
 *   never sleeps; otherwise by the deferred-release worker).
 * - A CPU's array of freed handle slots (alloc.c, zsf_handle_slot_free())
 *   is used only by that CPU with preemption disabled, and by module exit
 *   once no pool is left.  No lock is needed: zsf_free() never runs in
 *   interrupts.
 *
 * Reads without a lock, and why they are safe
 * -------------------------------------------
 * - zsf_free(), zsf_free_bulk(), zsf_obj_read_begin() and zsf_obj_write()
 *   read a handle's obj with READ_ONCE() before taking any lock, and use
 *   only its class field: the class of an object never changes (compaction
 *   moves objects within their class, migration changes only the PFN), and
 *   obj is written with WRITE_ONCE() as one aligned word, so the field is
 *   never torn.  The field is read once, checked against ZSF_NR_CLASSES (zsf_check_handle():
 *   only a corrupted handle fails) and that same value picks the class.
 *   The PFN is used only after re-reading obj under class->lock.
 *   zsf_obj_read_end() reads obj under the zspage's migrate_lock, which
 *   keeps it stable, and checks the class field the same way.
 * - class->size, ->objs_per_zspage, ->pages_per_zspage, ->huge, ->index and
 *   zspage->class, ->pool are set before the class or zspage is published
 *   and never change.
 * - page->private of a zsfast page is read in the movable_operations
 *   callbacks under the page lock, which pins the zspage (see above).
 * - zspage->dying is read with READ_ONCE() by zsf_page_isolate(), under
 *   the page lock only, as a hint; it is written with WRITE_ONCE() and
 *   rechecked under class->lock before anything is moved.
 * - class->nr_zspages and ->objs_inuse are read with READ_ONCE() by
 *   zsf_class_freeable() for the shrinker's count, without the class
 *   lock: an estimate, which compaction checks again under the lock.
 * - pool->pages_allocated and the per-CPU statistics are counters, read
 *   racily for reporting.
 *
 * Invariants (under class->lock)
 * ------------------------------
 * - A zspage on a fullness list has 0 < inuse <= objs_per_zspage and sits on
 *   the list of zsf_fullness(inuse).  A zspage whose inuse drops to 0 is
 *   taken off its list and marked dying in the same critical section; a
 *   dying zspage is never linked again, never receives objects, and is not
 *   migrated.  Its pages go back to the buddy allocator after class->lock is
 *   dropped.
 * - class->objs_inuse is the sum of inuse, class->nr_zspages the number of
 *   linked zspages, class->nr_fullness[fg] the length of fullness_list[fg]
 *   (0 for the empty group).  zsf_fix_fullness_locked() is the one place
 *   that links, moves and unlinks zspages, and keeps them all; pool
 *   destruction resets them.
 * - pool->pages_allocated counts the pages of every zspage not yet returned
 *   to the buddy allocator, dying ones included.
 */
#ifndef _ZSF_INTERNAL_H_
#define _ZSF_INTERNAL_H_

#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/workqueue.h>
#include <linux/percpu.h>
#include <linux/mutex.h>

#include <zsfast.h>
#include "compat/compat.h"

/* Geometry ------------------------------------------------------------ */

/*
 * Pages in the longest zspage the handle layout allows (obj.h).  A class
 * uses what the kernel's own zsmalloc would, up to this (pool.c).
 */
#define ZSF_CHAIN_SIZE		8
#define ZSF_HANDLE_SIZE		sizeof(unsigned long)
#define ZSF_MAX_ALLOC_SIZE	PAGE_SIZE
#define ZSF_CLASS_DELTA		(PAGE_SIZE >> 8)

/* The page index rides in the low bits of page->private. */
#define ZSF_PAGE_IDX_MASK	(ZSF_CHAIN_SIZE - 1)
#define ZSF_ZSPAGE_ALIGN	ZSF_CHAIN_SIZE

#include "zsfast/obj.h"

/*
 * Fullness groups, by the share of objects in use: 0 is empty (never on a
 * list, see the invariants), 1..10 are 0-9%, ..., 90-99%, and 11 is full.
 */
#define ZSF_FULLNESS_EMPTY	0
#define ZSF_FULLNESS_FULL	11
#define ZSF_NR_FULLNESS		12

/* Structures ---------------------------------------------------------- */

struct zsf_pool;

struct zsf_class {
	spinlock_t lock;
	struct list_head fullness_list[ZSF_NR_FULLNESS];
	/* Zspages on each list, so that statistics need not walk them. */
	unsigned long nr_fullness[ZSF_NR_FULLNESS];
	unsigned long nr_zspages;
	unsigned long objs_inuse;

	/* Immutable after pool creation. */
	unsigned int size;
	unsigned int index;
	unsigned int objs_per_zspage;
	unsigned int pages_per_zspage;
	bool huge;
} ____cacheline_aligned_in_smp;

struct zsf_zspage {
	union {
		struct list_head list;	/* class->fullness_list, class->lock */
		struct rcu_head rcu;	/* freeing, on PREEMPT_RT */
	};
	struct llist_node release;	/* pool->deferred, once dying */
	struct zsf_class *class;	/* immutable */
	struct zsf_pool *pool;		/* immutable */
	unsigned int inuse;		/* class->lock */
	u8 fullness;			/* class->lock */
	bool dying;			/* class->lock */
	rwlock_t migrate_lock;
	unsigned long huge_handle;	/* class->lock; huge classes only */
	/*
	 * A bit set for each free object (class->lock): in the zspage for up
	 * to BITS_PER_LONG objects (with 4 KiB pages, every class from 512
	 * bytes up), kmalloc'ed for smaller classes.  See zsf_free_map().
	 */
	union {
		unsigned long free_word;
		unsigned long *free_map;
	};
	struct page *pages[ZSF_CHAIN_SIZE];
};

static inline bool zsf_class_map_inline(const struct zsf_class *class)
{
	return class->objs_per_zspage <= BITS_PER_LONG;
}

static inline unsigned long *zsf_free_map(const struct zsf_class *class,
					  struct zsf_zspage *zspage)
{
	return zsf_class_map_inline(class) ? &zspage->free_word :
					     zspage->free_map;
}

/* Per-CPU, so that the free path never bounces a shared counter. */
struct zsf_pcpu_stats {
	unsigned long frees;
	unsigned long lock_contended;
	unsigned long zspages_freed;
	unsigned long zspages_deferred;
	unsigned long pages_migrated;
	unsigned long bad_handles;
};

struct zsf_pool {
	const char *name;
	struct zsf_class *size_class[ZSF_NR_CLASSES];
	atomic_long_t pages_allocated;
	atomic_long_t pages_compacted;
	atomic_t compacting;
	struct zsf_pcpu_stats __percpu *pcpu_stats;
	struct shrinker *shrinker;

	/* Empty zspages whose pages were locked by migration. */
	struct llist_head deferred;
	struct work_struct release_work;

#ifndef ZSF_CLASS_IN_OBJ
	rwlock_t migrate_lock;
#endif
	size_t huge_class_size;
	struct dentry *debugfs_dir;
	struct list_head node;		/* zsf_pools, zsf_pools_lock */
};

/* main.c: module-wide state */
extern struct kmem_cache *zsf_handle_cache;
extern struct kmem_cache *zsf_zspage_cache;
extern struct list_head zsf_pools;
extern struct mutex zsf_pools_lock;

/* Small helpers ------------------------------------------------------- */

static inline unsigned long zsf_handle_obj(unsigned long handle)
{
	return READ_ONCE(*(unsigned long *)handle);
}

static inline void zsf_record_obj(unsigned long handle, unsigned long obj)
{
	WRITE_ONCE(*(unsigned long *)handle, obj);
}

static inline struct zsf_zspage *zsf_page_zspage(struct page *page)
{
	return (struct zsf_zspage *)(page_private(page) & ~ZSF_PAGE_IDX_MASK);
}

static inline unsigned int zsf_page_index(struct page *page)
{
	return page_private(page) & ZSF_PAGE_IDX_MASK;
}

static inline void zsf_set_page_owner(struct page *page,
				      struct zsf_zspage *zspage,
				      unsigned int idx)
{
	set_page_private(page, (unsigned long)zspage | idx);
}

static inline struct page *zsf_obj_page(unsigned long obj)
{
	return pfn_to_page(zsf_obj_pfn(obj));
}

/* Byte offset of object @idx from the start of its zspage. */
static inline unsigned long zsf_obj_offset(struct zsf_class *class,
					   unsigned int idx)
{
	return (unsigned long)class->size * idx;
}

static inline int zsf_fullness(struct zsf_class *class, unsigned int inuse)
{
	if (!inuse)
		return ZSF_FULLNESS_EMPTY;
	if (inuse == class->objs_per_zspage)
		return ZSF_FULLNESS_FULL;
	/* 1 of 127 objects is 0%, but belongs with the 0-9% group. */
	return 100 * inuse / class->objs_per_zspage / 10 + 1;
}

static inline unsigned int zsf_size_to_index(size_t size)
{
	if (size <= ZSF_MIN_ALLOC_SIZE)
		return 0;
	return min_t(size_t, DIV_ROUND_UP(size - ZSF_MIN_ALLOC_SIZE,
					  ZSF_CLASS_DELTA),
		     ZSF_NR_CLASSES - 1);
}

/* The class zsf_malloc(@size) allocates from: the header counts too. */
static inline struct zsf_class *zsf_class_for_size(struct zsf_pool *pool,
						   size_t size)
{
	return pool->size_class[zsf_size_to_index(size + ZSF_HANDLE_SIZE)];
}

#define zsf_stat_inc(pool, field)	this_cpu_inc((pool)->pcpu_stats->field)

/*
 * The pool lock of the fallback encoding: writers are compaction and
 * migration, readers are lookups from a handle to its class.
 */
#ifdef ZSF_CLASS_IN_OBJ
static inline void zsf_pool_move_lock(struct zsf_pool *pool) { }
static inline void zsf_pool_move_unlock(struct zsf_pool *pool) { }
static inline bool zsf_pool_move_contended(struct zsf_pool *pool)
{
	return false;
}
#else
static inline void zsf_pool_move_lock(struct zsf_pool *pool)
{
	write_lock(&pool->migrate_lock);
}

static inline void zsf_pool_move_unlock(struct zsf_pool *pool)
{
	write_unlock(&pool->migrate_lock);
}

/* Frees and accessors wait for the pool lock before any class lock. */
static inline bool zsf_pool_move_contended(struct zsf_pool *pool)
{
	return rwlock_is_contended(&pool->migrate_lock);
}
#endif

/*
 * Is obj's class field in range?  Only a corrupted handle fails this; the
 * callers refuse such a handle instead of indexing size_class[] with it.
 * The fallback encoding has no class field.
 */
static inline bool zsf_obj_class_ok(unsigned long obj)
{
#ifdef ZSF_CLASS_IN_OBJ
	return likely(zsf_obj_class_idx(obj) < ZSF_NR_CLASSES);
#else
	return true;
#endif
}

/* alloc.c */
void zsf_refuse_handle(struct zsf_pool *pool, unsigned long obj) __cold;
struct zsf_class *zsf_lock_handle_class(struct zsf_pool *pool,
					unsigned long handle, unsigned long obj,
					bool *contended)
	__acquires(&class->lock);

/*
 * Read a handle's obj, before any lock, for zsf_lock_handle_class().
 * False, and nothing is to be touched, if the handle is corrupted.
 */
static inline bool zsf_check_handle(struct zsf_pool *pool,
				    unsigned long handle, unsigned long *obj)
{
	*obj = zsf_handle_obj(handle);
	if (likely(zsf_obj_class_ok(*obj)))
		return true;
	zsf_refuse_handle(pool, *obj);
	return false;
}
void zsf_obj_free_locked(struct zsf_class *class, struct zsf_zspage *zspage,
			 unsigned int obj_idx);
unsigned int zsf_obj_take_locked(struct zsf_class *class,
				 struct zsf_zspage *zspage,
				 unsigned long handle);
bool zsf_fix_fullness_locked(struct zsf_class *class,
			     struct zsf_zspage *zspage);
void zsf_release_zspage(struct zsf_pool *pool, struct zsf_zspage *zspage);
void zsf_release_work(struct work_struct *work);
int zsf_slot_batches_init(void);
void zsf_slot_batches_exit(void);
void zsf_free_zspage_sleepable(struct zsf_pool *pool,
			       struct zsf_zspage *zspage);
unsigned long zsf_next_allocated(struct zsf_class *class,
				 struct zsf_zspage *zspage,
				 unsigned int *obj_idx);

/* compact.c */
unsigned long zsf_compact_class(struct zsf_pool *pool, struct zsf_class *class);
unsigned long zsf_class_freeable(struct zsf_class *class);
int zsf_shrinker_init(struct zsf_pool *pool);
void zsf_shrinker_exit(struct zsf_pool *pool);

/* migrate.c */
void zsf_set_movable(struct zsf_zspage *zspage);
void zsf_clear_movable(struct page *page);

/* stats.c */
void zsf_pool_debugfs_init(struct zsf_pool *pool);
void zsf_pool_debugfs_exit(struct zsf_pool *pool);
void zsf_sum_pcpu_stats(struct zsf_pool *pool, struct zsf_pcpu_stats *sum);
int zsf_debugfs_init(void);
void zsf_debugfs_exit(void);
unsigned long zsf_total_pages(void);

#endif /* _ZSF_INTERNAL_H_ */
