// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page migration, so that system-wide compaction can move zsfast pages.
 *
 * Where the kernel lets a module register movable_operations (v5.19 to
 * v6.16; see compat.h), every zsfast page is made movable once its zspage
 * is linked.  The migration core calls us with the page locked, which pins
 * the zspage (it is freed only with all its pages locked).  We then take
 * the class lock, which makes every obj in the class stable, and the
 * zspage's migrate_lock for write, which waits out readers, before
 * copying the page and pointing the objects that start in it at the new
 * page.
 *
 * Elsewhere zsfast pages are allocated without __GFP_MOVABLE and none of
 * this is built.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/pagemap.h>

#include "zsfast/zsfast_internal.h"

#ifdef HAVE_MOVABLE_OPS

static const struct movable_operations zsf_mops;

static bool zsf_page_is_movable(struct page *page)
{
	return (unsigned long)page->mapping ==
		((unsigned long)&zsf_mops | PAGE_MAPPING_MOVABLE);
}

static bool zsf_page_isolate(struct page *page, isolate_mode_t mode)
{
	/*
	 * Nothing to do: we keep no list of movable pages.  A dying zspage
	 * is about to go away, so moving its pages is wasted work; the flag
	 * is rechecked under the class lock in zsf_page_migrate().
	 */
	return !READ_ONCE(zsf_page_zspage(page)->dying);
}

/* Point every allocated object that starts in page @pidx at @newpage. */
static void zsf_retarget_objs(struct zsf_class *class,
			      struct zsf_zspage *zspage, unsigned int pidx,
			      struct page *newpage)
{
	unsigned int idx = DIV_ROUND_UP(pidx * PAGE_SIZE, class->size);
	unsigned int last = ((pidx + 1) * PAGE_SIZE - 1) / class->size;
	unsigned long pfn = page_to_pfn(newpage);
	unsigned long handle;

	last = min(last, class->objs_per_zspage - 1);
	while (idx <= last &&
	       (handle = zsf_next_allocated(class, zspage, &idx)) &&
	       idx <= last) {
		zsf_record_obj(handle, zsf_encode_obj(pfn, class->index, idx));
		idx++;
	}
}

static int zsf_page_migrate(struct page *newpage, struct page *page,
			    enum migrate_mode mode)
{
	struct zsf_zspage *zspage = zsf_page_zspage(page);
	unsigned int pidx = zsf_page_index(page);
	struct zsf_class *class = zspage->class;
	struct zsf_pool *pool = zspage->pool;

#ifdef HAVE_MIGRATE_SYNC_NO_COPY
	/* The copy has to happen under our locks. */
	if (mode == MIGRATE_SYNC_NO_COPY)
		return -EINVAL;
#endif

	zsf_pool_move_lock(pool);
	spin_lock(&class->lock);
	if (zspage->dying) {
		/* Its release waits for this page's lock; let it go. */
		spin_unlock(&class->lock);
		zsf_pool_move_unlock(pool);
		return -EBUSY;
	}
	write_lock(&zspage->migrate_lock);

	copy_highpage(newpage, page);
	zsf_retarget_objs(class, zspage, pidx, newpage);
	zsf_set_page_owner(newpage, zspage, pidx);
	zspage->pages[pidx] = newpage;
	zsf_count_pool_page(newpage);
	get_page(newpage);
	__SetPageMovable(newpage, &zsf_mops);

	write_unlock(&zspage->migrate_lock);
	spin_unlock(&class->lock);
	zsf_pool_move_unlock(pool);

	zsf_stat_inc(pool, pages_migrated);
	set_page_private(page, 0);
	zsf_uncount_pool_page(page);
	__ClearPageMovable(page);
	put_page(page);
	return MIGRATEPAGE_SUCCESS;
}

static void zsf_page_putback(struct page *page)
{
}

static const struct movable_operations zsf_mops = {
	.isolate_page = zsf_page_isolate,
	.migrate_page = zsf_page_migrate,
	.putback_page = zsf_page_putback,
};

/**
 * zsf_set_movable() - let system compaction migrate a zspage's pages
 * @zspage: a zspage just linked into its class; the class lock is held
 */
void zsf_set_movable(struct zsf_zspage *zspage)
{
	unsigned int i;

	for (i = 0; i < zspage->class->pages_per_zspage; i++) {
		struct page *page = zspage->pages[i];

		/*
		 * PFN scanners lock a page they do not own only once it is
		 * movable (isolate_movable_page()), and this one is fresh
		 * from the page allocator: nobody can hold its lock, as in
		 * upstream's SetZsPageMovable().  Should someone, say so
		 * and leave the page unmovable rather than unlock their
		 * lock.
		 */
		if (WARN_ON_ONCE(!trylock_page(page)))
			continue;
		__SetPageMovable(page, &zsf_mops);
		unlock_page(page);
	}
}

/**
 * zsf_clear_movable() - undo zsf_set_movable() for a page being freed
 * @page: the page, locked
 */
void zsf_clear_movable(struct page *page)
{
	if (zsf_page_is_movable(page))
		__ClearPageMovable(page);
}

#else /* !HAVE_MOVABLE_OPS */

void zsf_set_movable(struct zsf_zspage *zspage)
{
}

void zsf_clear_movable(struct page *page)
{
}

#endif
