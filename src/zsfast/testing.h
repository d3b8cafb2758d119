/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hooks for zsfast's own in-kernel tests.  They are exported in the
 * separate symbol namespace ZSFAST_TEST and are not part of the API in
 * include/zsfast.h: only tests/kmod and bench/kmod use them.
 */
#ifndef _ZSF_TESTING_H_
#define _ZSF_TESTING_H_

#include <linux/types.h>

struct zsf_pool;

/**
 * struct zsf_test_loc - where an object lives, decoded from its handle
 * @obj:              the raw obj value the handle holds
 * @pfn:              PFN field of obj
 * @class_idx:        class field of obj (equals @zspage_class_idx unless
 *                    the encoding is broken; 0 in the pool-lock fallback)
 * @obj_idx:          object index field of obj
 * @zspage_class_idx: index of the class that owns the zspage the PFN
 *                    belongs to, read from the zspage under the class lock
 * @class_size:       that class's object size (including any header)
 * @objs_per_zspage:  objects per zspage in that class
 * @pages_per_zspage: pages per zspage in that class
 * @page_in_zspage:   which page of its zspage @pfn is
 * @huge:             the object has a page of its own
 */
struct zsf_test_loc {
	unsigned long obj;
	unsigned long pfn;
	unsigned int class_idx;
	unsigned int obj_idx;
	unsigned int zspage_class_idx;
	unsigned int class_size;
	unsigned int objs_per_zspage;
	unsigned int pages_per_zspage;
	unsigned int page_in_zspage;
	bool huge;
};

/**
 * zsf_test_locate() - decode a live handle and cross-check it
 * @pool: the pool
 * @handle: a live handle
 * @loc: filled in
 *
 * Return: 0, or -EINVAL if the handle's obj does not point at an allocated
 * object of the pool (the PFN is not a zsfast page of this pool, obj_idx is
 * out of range, or the object's header does not name this handle).
 */
int zsf_test_locate(struct zsf_pool *pool, unsigned long handle,
		    struct zsf_test_loc *loc);

/* The pure encoding functions, for round-trip tests. */
unsigned long zsf_test_encode(unsigned long pfn, unsigned int class_idx,
			      unsigned int obj_idx);
void zsf_test_decode(unsigned long obj, unsigned long *pfn,
		     unsigned int *class_idx, unsigned int *obj_idx);

/**
 * struct zsf_test_geometry - the build's encoding parameters
 * @pfn_bits:     width of the PFN field
 * @class_bits:   width of the class field (0 in the pool-lock fallback)
 * @idx_bits:     width of the object index field
 * @nr_classes:   number of size classes (before merging)
 * @max_objs:     most objects any zspage holds
 * @class_in_obj: true unless built with the pool-lock fallback
 */
struct zsf_test_geometry {
	unsigned int pfn_bits;
	unsigned int class_bits;
	unsigned int idx_bits;
	unsigned int nr_classes;
	unsigned int max_objs;
	bool class_in_obj;
};

void zsf_test_geometry(struct zsf_test_geometry *geo);

/**
 * zsf_test_total_pages() - pages held by every zsfast pool together
 *
 * Return: the module-wide count; also shown in debugfs as zsfast/stats.
 */
unsigned long zsf_test_total_pages(void);

/**
 * zsf_test_bad_handles() - handles the pool has refused
 * @pool: the pool
 *
 * Return: how many times zsf_free(), zsf_free_bulk() or an object access
 * refused a handle whose class index is out of range.
 */
unsigned long zsf_test_bad_handles(struct zsf_pool *pool);

/**
 * zsf_test_check_counters() - check each class's counters against its lists
 * @pool: the pool
 *
 * Return: the number of classes whose per-fullness zspage counts, zspage
 * count or object count differ from what walking their lists finds.
 */
unsigned int zsf_test_check_counters(struct zsf_pool *pool);

/**
 * zsf_test_caches_merged() - do zsfast's slab caches share their slabs?
 *
 * Return: a bitmask, bit 0 for zsfast_handle, bit 1 for zsfast_zspage,
 * set if a mergeable cache of its geometry created now is merged with it;
 * or -ENOMEM.
 */
int zsf_test_caches_merged(void);

#endif /* _ZSF_TESTING_H_ */
