// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hooks for zsfast's own tests (tests/kmod, bench/kmod), exported in the
 * namespace ZSFAST_TEST.  See testing.h.
 */
#include <linux/module.h>
#include <linux/highmem.h>
#include <linux/slab.h>

#include "zsfast/zsfast_internal.h"
#include "zsfast/testing.h"

static struct zsf_zspage *zsf_test_find_zspage(struct zsf_class *class,
						struct page *page)
{
	struct zsf_zspage *zspage;
	unsigned int fg, i;

	for (fg = 0; fg < ZSF_NR_FULLNESS; fg++) {
		list_for_each_entry(zspage, &class->fullness_list[fg], list) {
			for (i = 0; i < class->pages_per_zspage; i++)
				if (zspage->pages[i] == page)
					return zspage;
		}
	}
	return NULL;
}

/**
 * zsf_test_locate() - decode a live handle and cross-check it
 * @pool: the pool
 * @handle: a live handle
 * @loc: filled in
 *
 * Return: 0, or -EINVAL if obj does not point at this handle's object.
 */
int zsf_test_locate(struct zsf_pool *pool, unsigned long handle,
		    struct zsf_test_loc *loc)
{
	struct zsf_class *class;
	struct zsf_zspage *zspage;
	struct page *page;
	unsigned long found;
	unsigned int idx;
	int ret = -EINVAL;

	memset(loc, 0, sizeof(*loc));
	if (!zsf_check_handle(pool, handle, &loc->obj)) {
		zsf_test_decode(loc->obj, &loc->pfn, &loc->class_idx,
				&loc->obj_idx);
		return -EINVAL;
	}
	class = zsf_lock_handle_class(pool, handle, loc->obj, NULL);
	loc->obj = zsf_handle_obj(handle);
	zsf_test_decode(loc->obj, &loc->pfn, &loc->class_idx, &loc->obj_idx);
	/*
	 * Do not trust page->private of a PFN that may be garbage when the
	 * encoding is broken: find the page among the class's zspages.
	 */
	if (!pfn_valid(loc->pfn))
		goto out;
	page = pfn_to_page(loc->pfn);
	zspage = zsf_test_find_zspage(class, page);
	if (!zspage || zspage->pool != pool)
		goto out;
	loc->page_in_zspage = zsf_page_index(page);
	if (zspage->pages[loc->page_in_zspage] != page)
		goto out;
	loc->zspage_class_idx = zspage->class->index;
	loc->class_size = zspage->class->size;
	loc->objs_per_zspage = zspage->class->objs_per_zspage;
	loc->pages_per_zspage = zspage->class->pages_per_zspage;
	loc->huge = zspage->class->huge;
	if (zspage->class != class || loc->obj_idx >= loc->objs_per_zspage)
		goto out;
	/* The object must start in the page obj names... */
	if (zsf_obj_offset(class, loc->obj_idx) >> PAGE_SHIFT !=
	    loc->page_in_zspage)
		goto out;
	/* ...and be allocated to this very handle. */
	idx = loc->obj_idx;
	found = zsf_next_allocated(class, zspage, &idx);
	if (found == handle && idx == loc->obj_idx)
		ret = 0;
out:
	spin_unlock(&class->lock);
	return ret;
}
ZSF_EXPORT_TEST(zsf_test_locate);

/**
 * zsf_test_encode() - the encoder, for round-trip tests
 * @pfn: page frame number
 * @class_idx: class index (ignored by the pool-lock fallback)
 * @obj_idx: object index
 *
 * Return: obj.
 */
unsigned long zsf_test_encode(unsigned long pfn, unsigned int class_idx,
			      unsigned int obj_idx)
{
	return zsf_encode_obj(pfn, class_idx, obj_idx);
}
ZSF_EXPORT_TEST(zsf_test_encode);

/**
 * zsf_test_decode() - the decoder, for round-trip tests
 * @obj: an obj value
 * @pfn: its PFN field
 * @class_idx: its class field (0 in the pool-lock fallback)
 * @obj_idx: its object index field
 */
void zsf_test_decode(unsigned long obj, unsigned long *pfn,
		     unsigned int *class_idx, unsigned int *obj_idx)
{
	*pfn = zsf_obj_pfn(obj);
	*class_idx = zsf_obj_class_idx(obj);
	*obj_idx = zsf_obj_idx(obj);
}
ZSF_EXPORT_TEST(zsf_test_decode);

/**
 * zsf_test_geometry() - the build's encoding parameters
 * @geo: filled in
 */
void zsf_test_geometry(struct zsf_test_geometry *geo)
{
	geo->pfn_bits = ZSF_PFN_BITS;
	geo->class_bits = ZSF_OBJ_CLASS_BITS;
	geo->idx_bits = ZSF_OBJ_IDX_BITS;
	geo->nr_classes = ZSF_NR_CLASSES;
	geo->max_objs = ZSF_MAX_OBJS;
#ifdef ZSF_CLASS_IN_OBJ
	geo->class_in_obj = true;
#else
	geo->class_in_obj = false;
#endif
}
ZSF_EXPORT_TEST(zsf_test_geometry);

/**
 * zsf_test_total_pages() - pages held by all zsfast pools together
 *
 * Return: the number of pages.
 */
unsigned long zsf_test_total_pages(void)
{
	return zsf_total_pages();
}
ZSF_EXPORT_TEST(zsf_test_total_pages);

/**
 * zsf_test_bad_handles() - handles the pool has refused
 * @pool: the pool
 *
 * Return: how many times a handle with an out-of-range class index was
 * refused (bad_handles in debugfs).
 */
unsigned long zsf_test_bad_handles(struct zsf_pool *pool)
{
	struct zsf_pcpu_stats sum;

	zsf_sum_pcpu_stats(pool, &sum);
	return sum.bad_handles;
}
ZSF_EXPORT_TEST(zsf_test_bad_handles);

/**
 * zsf_test_check_counters() - check each class's counters against its lists
 * @pool: the pool
 *
 * Walks every zspage of every class under the class lock and checks
 * nr_fullness[], nr_zspages and objs_inuse, and that each zspage sits on
 * the list of its fullness.
 *
 * Return: the number of classes whose counters do not match.
 */
unsigned int zsf_test_check_counters(struct zsf_pool *pool)
{
	unsigned int i, fg, bad = 0;

	for (i = 0; i < ZSF_NR_CLASSES; i++) {
		struct zsf_class *class = pool->size_class[i];
		unsigned long zspages = 0, inuse = 0, n;
		struct zsf_zspage *zspage;
		bool ok = true;

		if (class->index != i)
			continue;
		spin_lock(&class->lock);
		for (fg = 0; fg < ZSF_NR_FULLNESS; fg++) {
			n = 0;
			list_for_each_entry(zspage, &class->fullness_list[fg],
					    list) {
				n++;
				inuse += zspage->inuse;
				if (zspage->fullness != fg ||
				    zsf_fullness(class, zspage->inuse) != fg)
					ok = false;
			}
			if (n != class->nr_fullness[fg])
				ok = false;
			zspages += n;
		}
		if (zspages != class->nr_zspages || inuse != class->objs_inuse)
			ok = false;
		spin_unlock(&class->lock);
		bad += !ok;
	}
	return bad;
}
ZSF_EXPORT_TEST(zsf_test_check_counters);

/* Is a mergeable cache of @cache's geometry created now merged with it? */
static int zsf_test_probe_merge(struct kmem_cache *cache, const char *name,
				unsigned int size, unsigned int align)
{
	struct kmem_cache *probe = kmem_cache_create(name, size, align, 0,
						     NULL);
	int merged;

	if (!probe)
		return -ENOMEM;
	merged = probe == cache;
	kmem_cache_destroy(probe);
	return merged;
}

/**
 * zsf_test_caches_merged() - do zsfast's slab caches share their slabs?
 *
 * Creates, and destroys again, a mergeable cache of the geometry of each
 * of zsfast's caches: the slab allocator merges it with zsfast's if that
 * one is mergeable (or if both were merged into the same older cache).
 *
 * Return: a bitmask, bit 0 for zsfast_handle, bit 1 for zsfast_zspage,
 * set if the probe was merged with it; or -ENOMEM.
 */
int zsf_test_caches_merged(void)
{
	int h, z;

	h = zsf_test_probe_merge(zsf_handle_cache, "zsfast_probe_handle",
				 ZSF_HANDLE_SIZE, 0);
	z = zsf_test_probe_merge(zsf_zspage_cache, "zsfast_probe_zspage",
				 sizeof(struct zsf_zspage), ZSF_ZSPAGE_ALIGN);
	if (h < 0 || z < 0)
		return -ENOMEM;
	return h | z << 1;
}
ZSF_EXPORT_TEST(zsf_test_caches_merged);
