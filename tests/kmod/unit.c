// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast_test run=unit: the single-threaded tests of zsfast's API.
 *
 * Handle geometry and encoding; error paths (sizes 0 and > PAGE_SIZE,
 * frees of 0 and error values); huge objects; a free leaves the object's
 * memory alone; every size from 1 to PAGE_SIZE (data, where each handle
 * points, objects that span pages, zspages that fill); alloc/free
 * sequences; zsf_compact(); zsf_free_bulk() with no-op entries; handles
 * with an out-of-range class index are refused by every entry point; two
 * pools are separate; zsfast's slab caches are not merged.  Along the
 * way, each class's counters (what debugfs prints) agree with its lists.
 */
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/pgtable.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <zsfast.h>
#include <zsfast/testing.h>

#include "zsft.h"

struct zsft_unit {
	struct zsf_pool *pool;
	struct zsft_rng rng;
	struct zsf_test_geometry geo;
	/* PAGE_SIZE of staging for writes */
	void *buf;
	/* 2 * PAGE_SIZE: a local copy, with room for a canary behind it */
	void *local;
	unsigned int max_overrun;
	u32 gen;
	/* class index of every size, [1..PAGE_SIZE] */
	unsigned int *cls;
	struct zsft_obj *objs;
	unsigned long *locs;
	unsigned int *idx;
	unsigned int max_objs;
	struct zsft_agg counters;
};

/* Each class's counters, which debugfs prints, agree with its lists. */
static void zsft_u_counters(struct zsft_unit *u, const char *when)
{
	unsigned int bad = zsf_test_check_counters(u->pool);

	zsft_check(&u->counters, !bad,
		   "%s: %u classes' counters differ from their lists", when,
		   bad);
}

/* Allocate an object of @size and write its pattern; 0 on failure. */
static unsigned long zsft_u_alloc(struct zsft_unit *u, struct zsft_obj *o,
				  u32 size)
{
	unsigned long h = zsft_obj_alloc(u->pool, o, size, ++u->gen,
					 NUMA_NO_NODE, u->buf);

	if (!o->handle)
		zsft_diag("zsf_malloc(%u) failed: %ld", size, (long)h);
	return o->handle;
}

static bool zsft_u_intact(struct zsft_unit *u, struct zsft_agg *agg,
			  const struct zsft_obj *o)
{
	return zsft_obj_intact(u->pool, agg, o, u->local);
}

static void zsft_u_free(struct zsft_unit *u, struct zsft_obj *o)
{
	if (o->handle)
		zsf_free(u->pool, o->handle);
	o->handle = 0;
}

static void zsft_u_free_all(struct zsft_unit *u, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		zsft_u_free(u, &u->objs[i]);
}

/* Free @k of objects 0 .. n - 1, chosen at random. */
static void zsft_u_free_random(struct zsft_unit *u, unsigned int n,
			       unsigned int k)
{
	zsft_shuffle(&u->rng, u->idx, n);
	while (k--)
		zsft_u_free(u, &u->objs[u->idx[k]]);
}

/*
 * Allocate the free ones of objects 0 .. n - 1: of @size, or for @size 0
 * of random sizes up to @max.  Return how many were allocated.
 */
static unsigned int zsft_u_fill(struct zsft_unit *u, unsigned int n,
				u32 size, u32 max)
{
	unsigned int i, got = 0;

	for (i = 0; i < n; i++)
		if (!u->objs[i].handle &&
		    zsft_u_alloc(u, &u->objs[i], size ? size :
				 1 + zsft_rng_below(&u->rng, max)))
			got++;
	return got;
}

/* Check the data of the live ones of objects 0 .. n - 1. */
static void zsft_u_verify(struct zsft_unit *u, struct zsft_agg *agg,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (u->objs[i].handle)
			zsft_u_intact(u, agg, &u->objs[i]);
}

/* ---- geometry and encoding ---- */

static void zsft_test_geometry(struct zsft_unit *u)
{
	struct zsf_test_geometry *g = &u->geo;
	bool ok;

	zsf_test_geometry(g);
	zsft_diag("geometry: pfn_bits %u class_bits %u idx_bits %u nr_classes %u max_objs %u class_in_obj %d",
		  g->pfn_bits, g->class_bits, g->idx_bits, g->nr_classes,
		  g->max_objs, g->class_in_obj);

	zsft_point(g->pfn_bits + g->class_bits + g->idx_bits <= BITS_PER_LONG,
		   "geometry: pfn + class + idx bits fit in a long");
	zsft_point(g->idx_bits > 0 && g->idx_bits < BITS_PER_LONG &&
		   (1UL << g->idx_bits) >= g->max_objs && g->max_objs > 0,
		   "geometry: idx_bits hold max_objs");
	if (g->class_in_obj)
		ok = g->class_bits > 0 && g->class_bits < BITS_PER_LONG &&
		     (1UL << g->class_bits) >= g->nr_classes;
	else
		ok = g->class_bits == 0;
	zsft_point(ok, "geometry: class_bits %s",
		   g->class_in_obj ? "hold nr_classes" :
				     "are 0 in the pool-lock fallback");
#ifdef ZSF_FORCE_POOL_LOCK
	zsft_point(!g->class_in_obj,
		   "geometry: ZSF_FORCE_POOL_LOCK build uses the pool-lock fallback");
#else
	zsft_point(g->class_in_obj == (BITS_PER_LONG == 64),
		   "geometry: class in obj exactly on 64-bit");
#endif
#ifdef MAX_POSSIBLE_PHYSMEM_BITS
	zsft_point(g->pfn_bits >= MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT,
		   "geometry: pfn_bits cover MAX_POSSIBLE_PHYSMEM_BITS (%u >= %u)",
		   g->pfn_bits, MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT);
#endif
}

static void zsft_roundtrip(struct zsft_agg *agg, unsigned long pfn,
			   unsigned int cls, unsigned int idx)
{
	unsigned long obj, p = ~0UL;
	unsigned int c = ~0U, i = ~0U;

	obj = zsf_test_encode(pfn, cls, idx);
	zsf_test_decode(obj, &p, &c, &i);
	zsft_check(agg, p == pfn && c == cls && i == idx,
		   "encode(%#lx, %u, %u) = %#lx decodes to (%#lx, %u, %u)",
		   pfn, cls, idx, obj, p, c, i);
}

/* Round trips of the extreme values and of random ones, for the maxima. */
static void zsft_encoding(struct zsft_unit *u, unsigned long pmax,
			  unsigned int cmax, unsigned int imax)
{
	struct zsft_agg agg = ZSFT_AGG("encoding: encode/decode round trips");
	const unsigned long pfns[] = { 0, 1, pmax, pmax - 1, pmax >> 1,
				       0x5555555555555555UL & pmax,
				       0xaaaaaaaaaaaaaaaaUL & pmax };
	const unsigned int clss[] = { 0, min(1U, cmax), cmax,
				      cmax ? cmax - 1 : 0,
				      u->geo.class_in_obj ?
				      u->geo.nr_classes - 1 : 0 };
	const unsigned int idxs[] = { 0, 1, imax, imax - 1,
				      u->geo.max_objs - 1 };
	unsigned int a, b, c, n;

	for (a = 0; a < ARRAY_SIZE(pfns); a++)
		for (b = 0; b < ARRAY_SIZE(clss); b++)
			for (c = 0; c < ARRAY_SIZE(idxs); c++)
				zsft_roundtrip(&agg, pfns[a], clss[b], idxs[c]);
	for (n = 0; n < 4096; n++)
		zsft_roundtrip(&agg, zsft_rng_next(&u->rng) & pmax,
			       cmax ? zsft_rng_below(&u->rng, cmax + 1) : 0,
			       zsft_rng_next(&u->rng) & imax);
	zsft_agg_point(&agg);

	/* The extremes on their own, so a failure names them. */
	agg = (struct zsft_agg)ZSFT_AGG("encoding: max pfn, max class, max idx round trip");
	zsft_roundtrip(&agg, pmax, cmax, imax);
	zsft_roundtrip(&agg, pmax, 0, 0);
	zsft_roundtrip(&agg, 0, cmax, 0);
	zsft_roundtrip(&agg, 0, 0, imax);
	zsft_agg_point(&agg);
}

static void zsft_test_encoding(struct zsft_unit *u)
{
	struct zsf_test_geometry *g = &u->geo;

	if (g->pfn_bits == 0 || g->pfn_bits > BITS_PER_LONG ||
	    g->idx_bits == 0 || g->idx_bits >= 32 || g->class_bits >= 32) {
		zsft_point(false, "encoding: geometry unusable for round trips");
		return;
	}
	zsft_encoding(u, g->pfn_bits == BITS_PER_LONG ? ~0UL :
			 (1UL << g->pfn_bits) - 1,
		      g->class_in_obj ? (1U << g->class_bits) - 1 : 0,
		      (1U << g->idx_bits) - 1);
}

/*
 * Decode a live handle and cross-check it against the size it was
 * allocated with.  Returns the location through @loc, or false.
 */
static bool zsft_u_locate(struct zsft_unit *u, struct zsft_agg *agg,
			  const struct zsft_obj *o, struct zsf_test_loc *loc)
{
	unsigned int want = u->cls[o->size];
	unsigned long p, page;
	unsigned int c, i;
	int ret;

	ret = zsf_test_locate(u->pool, o->handle, loc);
	/* The class field is decoded even when the rest does not check out. */
	zsft_check(agg, loc->class_idx == (u->geo.class_in_obj ? want : 0),
		   "size %u: class field %u, expected %u", o->size,
		   loc->class_idx, u->geo.class_in_obj ? want : 0);
	if (!zsft_check(agg, ret == 0, "size %u handle %#lx: locate error %d",
			o->size, o->handle, ret))
		return false;
	zsft_check(agg, loc->zspage_class_idx == want,
		   "size %u: zspage of class %u, lookup says %u", o->size,
		   loc->zspage_class_idx, want);
	/* The class's geometry, and where in its zspage the object is. */
	page = (unsigned long)loc->obj_idx * loc->class_size / PAGE_SIZE;
	zsft_check(agg, loc->class_size >= o->size &&
			loc->class_size <= PAGE_SIZE &&
			loc->objs_per_zspage > 0 &&
			loc->objs_per_zspage <= u->geo.max_objs &&
			(!loc->huge || (loc->objs_per_zspage == 1 &&
					loc->pages_per_zspage == 1)) &&
			loc->obj_idx < loc->objs_per_zspage &&
			loc->page_in_zspage < loc->pages_per_zspage &&
			loc->page_in_zspage == page,
		   "size %u: class size %u, huge %d, %u objects (max_objs %u) in %u pages; obj_idx %u starts in page %lu, pfn is page %u",
		   o->size, loc->class_size, loc->huge, loc->objs_per_zspage,
		   u->geo.max_objs, loc->pages_per_zspage, loc->obj_idx, page,
		   loc->page_in_zspage);
	/* obj re-encodes from its fields and decodes to them. */
	zsf_test_decode(loc->obj, &p, &c, &i);
	zsft_check(agg, zsf_test_encode(loc->pfn, loc->class_idx,
					loc->obj_idx) == loc->obj &&
			p == loc->pfn && c == loc->class_idx &&
			i == loc->obj_idx,
		   "size %u: obj %#lx decodes to (%#lx, %u, %u), locate says (%#lx, %u, %u)",
		   o->size, loc->obj, p, c, i, loc->pfn, loc->class_idx,
		   loc->obj_idx);
	return true;
}

/* The class of every size, which the other tests check handles against. */
static bool zsft_test_lookup(struct zsft_unit *u)
{
	struct zsft_agg lookup = ZSFT_AGG("lookup: zsf_lookup_class_index is monotonic and in range");
	unsigned int s;

	for (s = 1; s <= PAGE_SIZE; s++) {
		u->cls[s] = zsf_lookup_class_index(u->pool, s);
		zsft_check(&lookup, u->cls[s] < u->geo.nr_classes,
			   "size %u: class %u >= nr_classes %u", s, u->cls[s],
			   u->geo.nr_classes);
		if (s > 1)
			zsft_check(&lookup, u->cls[s] >= u->cls[s - 1],
				   "size %u: class %u < class %u of size %u",
				   s, u->cls[s], u->cls[s - 1], s - 1);
	}
	zsft_agg_point(&lookup);
	return !lookup.fails;
}

/*
 * Allocate an object of @size; check its data, its handle and that it is
 * huge (alone in its zspage) exactly when @huge; free it.
 */
static void zsft_u_probe(struct zsft_unit *u, struct zsft_agg *agg,
			 u32 size, bool huge)
{
	struct zsf_test_loc loc;
	struct zsft_obj o;

	if (!zsft_check(agg, zsft_u_alloc(u, &o, size),
			"size %u: allocation failed", size))
		return;
	zsft_u_intact(u, agg, &o);
	if (zsft_u_locate(u, agg, &o, &loc))
		zsft_check(agg, loc.huge == huge &&
				(loc.objs_per_zspage == 1) == huge,
			   "size %u: huge %d, %u objects a zspage; huge_class_size %zu",
			   size, loc.huge, loc.objs_per_zspage,
			   zsf_huge_class_size(u->pool));
	zsft_u_free(u, &o);
}

/* ---- error paths ---- */

static void zsft_test_errors(struct zsft_unit *u)
{
	static const size_t too_big[] = { PAGE_SIZE + 1, 2 * PAGE_SIZE,
					  SIZE_MAX };
	static const long errs[] = { -1, -EINVAL, -ENOMEM, -ENOSPC,
				     -MAX_ERRNO };
	struct zsft_agg agg = ZSFT_AGG("errors: live object survives no-op frees");
	struct zsf_pool_stats st0, st1;
	struct zsft_obj live;
	unsigned long h, pages;
	bool ok = true;
	unsigned int i;

	h = zsf_malloc(u->pool, 0, ZSFT_GFP, NUMA_NO_NODE);
	zsft_point(h == (unsigned long)ERR_PTR(-EINVAL),
		   "errors: zsf_malloc(0) returns -EINVAL (got %ld)", (long)h);
	if (!IS_ERR_VALUE(h) && h)
		zsf_free(u->pool, h);

	for (i = 0; i < ARRAY_SIZE(too_big); i++) {
		h = zsf_malloc(u->pool, too_big[i], ZSFT_GFP, NUMA_NO_NODE);
		if (h != (unsigned long)ERR_PTR(-ENOSPC)) {
			zsft_diag("zsf_malloc(%zu) returned %ld", too_big[i],
				  (long)h);
			ok = false;
		}
		if (!IS_ERR_VALUE(h) && h)
			zsf_free(u->pool, h);
	}
	zsft_point(ok, "errors: zsf_malloc(> PAGE_SIZE) returns -ENOSPC");

	if (!zsft_u_alloc(u, &live, 100)) {
		zsft_point(false, "errors: zsf_free(0 or error value) is a no-op");
		return;
	}
	pages = zsf_get_total_pages(u->pool);
	zsf_pool_stats(u->pool, &st0);
	zsf_free(u->pool, 0);
	for (i = 0; i < ARRAY_SIZE(errs); i++)
		zsf_free(u->pool, (unsigned long)ERR_PTR(errs[i]));
	zsf_pool_stats(u->pool, &st1);
	zsft_point(zsf_get_total_pages(u->pool) == pages &&
		   st1.frees == st0.frees &&
		   st1.zspages_freed == st0.zspages_freed,
		   "errors: zsf_free(0 or error value) is a no-op (pages %lu -> %lu, frees %lu -> %lu)",
		   pages, zsf_get_total_pages(u->pool), st0.frees, st1.frees);
	zsft_u_intact(u, &agg, &live);
	zsft_agg_point(&agg);

	/* One page-sized object, the largest allowed. */
	agg = (struct zsft_agg)ZSFT_AGG("errors: PAGE_SIZE object");
	zsft_u_probe(u, &agg, PAGE_SIZE, true);
	zsft_point(agg.checks && !agg.fails,
		   "errors: zsf_malloc(PAGE_SIZE) works and round-trips");
	zsft_u_free(u, &live);
}

static void zsft_test_huge(struct zsft_unit *u)
{
	struct zsft_agg agg = ZSFT_AGG("huge: objects from huge_class_size up are huge and round-trip");
	size_t hs = zsf_huge_class_size(u->pool);
	size_t sizes[] = { hs, hs + 1, PAGE_SIZE - 1, PAGE_SIZE };
	unsigned int i;

	zsft_point(hs > PAGE_SIZE / 2 && hs <= PAGE_SIZE,
		   "huge: zsf_huge_class_size() = %zu is in (PAGE_SIZE/2, PAGE_SIZE]",
		   hs);
	if (hs <= 1 || hs > PAGE_SIZE)
		return;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (sizes[i] <= PAGE_SIZE)
			zsft_u_probe(u, &agg, sizes[i], true);
	zsft_agg_point(&agg);

	agg = (struct zsft_agg)ZSFT_AGG("huge: huge_class_size - 1 is not huge");
	zsft_u_probe(u, &agg, hs - 1, false);
	zsft_agg_point(&agg);
}

static void zsft_peek(unsigned long pfn, size_t off, void *dst, size_t len)
{
	void *va = kmap_local_page(pfn_to_page(pfn));

	memcpy(dst, va + off, len);
	kunmap_local(va);
}

/*
 * A free marks the object in its zspage and leaves the object's memory
 * alone: swap release frees objects that have been cold since swap-out.
 * For two sizes whose zspage's map is inline and two whose map is not (the
 * smallest classes), free the middle one of three objects (so that the
 * zspage stays) and compare the object's first bytes in its page before
 * and after.
 */
static void zsft_test_free_untouched(struct zsft_unit *u)
{
	static const u32 sizes[] = { 32, 100, 1000, 3000 };
	struct zsft_agg agg = ZSFT_AGG("free: zsf_free leaves the freed object's memory as it was");
	u8 before[2 * sizeof(unsigned long)], after[sizeof(before)];
	struct zsft_obj o[3];
	struct zsf_test_loc loc;
	unsigned long pages;
	unsigned int i, j, n = 0;
	size_t off, len;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < 3; j++)
			zsft_u_alloc(u, &o[j], sizes[i]);
		if (!o[0].handle || !o[1].handle || !o[2].handle ||
		    !zsft_u_locate(u, &agg, &o[1], &loc) || loc.huge)
			goto next;
		off = (size_t)loc.obj_idx * loc.class_size % PAGE_SIZE;
		len = min3(sizeof(before), (size_t)loc.class_size,
			   PAGE_SIZE - off);
		zsft_peek(loc.pfn, off, before, len);
		pages = zsf_get_total_pages(u->pool);
		zsft_u_free(u, &o[1]);
		if (zsf_get_total_pages(u->pool) != pages) {
			zsft_diag("size %u: the free released the zspage: not checked",
				  sizes[i]);
			goto next;
		}
		zsft_peek(loc.pfn, off, after, len);
		zsft_check(&agg, !memcmp(before, after, len),
			   "size %u (class %u, %u objects a zspage): the free wrote the object's first %zu bytes",
			   sizes[i], loc.class_size, loc.objs_per_zspage, len);
		n++;
next:
		for (j = 0; j < 3; j++)
			zsft_u_free(u, &o[j]);
	}
	zsft_check(&agg, n >= 3, "only %u of %zu sizes checked", n,
		   ARRAY_SIZE(sizes));
	zsft_agg_point(&agg);
}

/*
 * Read a spanning object through a local copy surrounded by a canary, and
 * check that zsf_obj_read_begin() copied no further than the object's
 * class size.  Returns whether the local copy was used (written at all).
 */
#define ZSFT_CANARY	0xa5

static bool zsft_u_guarded_read(struct zsft_unit *u, struct zsft_agg *agg,
				const struct zsft_obj *o,
				const struct zsf_test_loc *loc)
{
	u8 *local = u->local;
	unsigned int i, last = 0;

	memset(local, ZSFT_CANARY, 2 * PAGE_SIZE);
	zsft_u_intact(u, agg, o);
	for (i = 0; i < 2 * PAGE_SIZE; i++)
		if (local[i] != ZSFT_CANARY)
			last = i + 1;
	if (last > o->size)
		u->max_overrun = max(u->max_overrun, last - o->size);
	zsft_check(agg, last <= loc->class_size,
		   "size %u (class size %u): local_copy written up to byte %u",
		   o->size, loc->class_size, last);
	return last > 0;
}

/* ---- every size ---- */

static int zsft_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void zsft_test_every_size(struct zsft_unit *u)
{
	struct zsft_agg a[] = {
		ZSFT_AGG("every size 1..PAGE_SIZE: data reads back identical"),
		ZSFT_AGG("every size: handle decodes to its size's class and a valid obj_idx"),
		ZSFT_AGG("every size: no two live objects share a location"),
		ZSFT_AGG("every size: each class filled at least 3 zspages"),
		ZSFT_AGG("every size: freeing a class's objects returns its pages"),
		ZSFT_AGG("every size: objects are huge exactly from zsf_huge_class_size() up"),
		ZSFT_AGG("every size: zsf_obj_read_begin writes local_copy only within the class size"),
	};
	struct zsft_agg *data = &a[0], *enc = &a[1], *uniq = &a[2],
			*fill = &a[3], *empty = &a[4], *huge = &a[5],
			*guard = &a[6];
	unsigned long spans = 0, far_pages = 0, nobjs = 0, local_used = 0;
	unsigned int nclasses = 0, multipage = 0, max_ppz = 0;
	size_t hs = zsf_huge_class_size(u->pool);
	unsigned int lo, hi, s, k, n, per, target;
	struct zsf_test_loc loc;

	for (lo = 1; lo <= PAGE_SIZE; lo = hi + 1) {
		unsigned long base = zsf_get_total_pages(u->pool);
		unsigned int ppz, opz;

		for (hi = lo; hi < PAGE_SIZE && u->cls[hi + 1] == u->cls[lo];)
			hi++;
		nclasses++;

		/* A first object tells the class's geometry. */
		if (!zsft_check(data, zsft_u_alloc(u, &u->objs[0], lo),
				"size %u: allocation failed", lo))
			continue;
		/* If it does not locate (a failure), still check the data. */
		opz = ppz = 0;
		if (zsft_u_locate(u, enc, &u->objs[0], &loc)) {
			opz = loc.objs_per_zspage;
			ppz = loc.pages_per_zspage;
		}
		if (ppz > 1)
			multipage++;
		max_ppz = max(max_ppz, ppz);

		/* Enough objects for 2 full zspages and part of a third. */
		target = opz ? 2 * opz + 1 : 4 * (hi - lo + 1);
		per = DIV_ROUND_UP(target, hi - lo + 1);
		n = 1;
		for (s = lo; s <= hi; s++) {
			for (k = (s == lo); k < per && n < u->max_objs; k++)
				if (zsft_check(data,
					       zsft_u_alloc(u, &u->objs[n], s),
					       "size %u: allocation failed", s))
					n++;
		}
		nobjs += n;
		zsft_check(fill, !opz || zsf_get_total_pages(u->pool) >=
					  base + 3UL * ppz,
			   "class %u (sizes %u..%u, %u objs/%u pages): %u objects use %lu pages",
			   u->cls[lo], lo, hi, opz, ppz, n,
			   zsf_get_total_pages(u->pool) - base);

		/* All written: check each one and where it lives. */
		for (k = 0; k < n; k++) {
			struct zsft_obj *o = &u->objs[k];
			unsigned long off;

			zsft_u_intact(u, data, o);
			if (!zsft_u_locate(u, enc, o, &loc)) {
				u->locs[k] = ~0UL - k;
				continue;
			}
			u->locs[k] = loc.obj;
			zsft_check(huge, loc.huge == (o->size >= hs),
				   "size %u: huge %d, huge_class_size %zu",
				   o->size, loc.huge, hs);
			/* The slot (header included) crosses a page end. */
			off = (unsigned long)loc.obj_idx * loc.class_size %
			      PAGE_SIZE;
			if (off + loc.class_size > PAGE_SIZE) {
				spans++;
				if (zsft_u_guarded_read(u, guard, o, &loc))
					local_used++;
			}
			if (loc.page_in_zspage > 0)
				far_pages++;
		}
		sort(u->locs, n, sizeof(u->locs[0]), zsft_cmp_ulong, NULL);
		for (k = 1; k < n; k++)
			zsft_check(uniq, u->locs[k] != u->locs[k - 1],
				   "class %u: two objects at obj %#lx",
				   u->cls[lo], u->locs[k]);

		zsft_u_free_all(u, n);
		zsft_check(empty, zsft_wait_pages(u->pool, base),
			   "class %u: %lu pages after freeing all, %lu before",
			   u->cls[lo], zsf_get_total_pages(u->pool), base);
	}

	zsft_agg_points(a, ARRAY_SIZE(a));
	zsft_diag("every size: read_begin wrote up to %u bytes past the object's size into local_copy",
		  u->max_overrun);
	zsft_diag("every size: %u classes, %lu objects, %lu span two pages (%lu read through the local copy), %lu start past a zspage's first page, %u classes with multi-page zspages (up to %u pages)",
		  nclasses, nobjs, spans, local_used, far_pages, multipage,
		  max_ppz);
	zsft_point(spans > 0 && far_pages > 0 && multipage > 0,
		   "every size: objects spanning two pages and multi-page zspages were exercised");
}

/* ---- alloc/free sequences ---- */

enum { SEQ_DATA, SEQ_EMPTY, SEQ_PACK, SEQ_STATS, SEQ_REUSE, SEQ_NR };

/* All freed (@how): the pool is back to 0 pages. */
static void zsft_seq_empty(struct zsft_unit *u, struct zsft_agg *a, u32 size,
			   const char *how)
{
	zsft_check(&a[SEQ_EMPTY], zsft_wait_pages(u->pool, 0),
		   "size %u: %lu pages after freeing all %s, expected 0",
		   size, zsf_get_total_pages(u->pool), how);
}

static void zsft_seq_one(struct zsft_unit *u, struct zsft_agg *a, u32 size)
{
	struct zsf_pool_stats st0, st1;
	struct zsf_test_loc loc;
	unsigned int opz, ppz, n, i, round, nz;
	unsigned long full, pages;

	if (!zsft_u_alloc(u, &u->objs[0], size) ||
	    zsf_test_locate(u->pool, u->objs[0].handle, &loc)) {
		zsft_check(&a[SEQ_DATA], false, "size %u: cannot start", size);
		zsft_u_free(u, &u->objs[0]);
		return;
	}
	opz = loc.objs_per_zspage;
	ppz = loc.pages_per_zspage;
	zsft_u_free(u, &u->objs[0]);
	if (!zsft_wait_pages(u->pool, 0)) {
		zsft_check(&a[SEQ_EMPTY], false, "size %u: pool not empty",
			   size);
		return;
	}
	n = min(4 * opz + 1, u->max_objs);
	nz = DIV_ROUND_UP(n, opz);

	/* Fill 4 zspages and a bit, then free in allocation order. */
	memset(u->objs, 0, n * sizeof(*u->objs));
	zsft_check(&a[SEQ_DATA], zsft_u_fill(u, n, size, 0) == n,
		   "size %u: could not allocate %u objects", size, n);
	full = zsf_get_total_pages(u->pool);
	zsft_check(&a[SEQ_PACK], full == (unsigned long)nz * ppz,
		   "size %u: %u objects (%u per %u-page zspage) use %lu pages, expected %lu",
		   size, n, opz, ppz, full, (unsigned long)nz * ppz);
	zsft_u_verify(u, &a[SEQ_DATA], n);
	zsf_pool_stats(u->pool, &st0);
	zsft_u_free_all(u, n);
	zsf_pool_stats(u->pool, &st1);
	zsft_seq_empty(u, a, size, "in order");
	zsft_check(&a[SEQ_STATS], st1.frees - st0.frees == n,
		   "size %u: %u frees counted as %lu", size, n,
		   st1.frees - st0.frees);
	zsf_pool_stats(u->pool, &st1);
	zsft_check(&a[SEQ_STATS], st1.zspages_freed - st0.zspages_freed == nz,
		   "size %u: %u zspages emptied, %lu counted as freed", size,
		   nz, st1.zspages_freed - st0.zspages_freed);

	/* Refill from empty: the same number of pages again. */
	zsft_check(&a[SEQ_DATA], zsft_u_fill(u, n, size, 0) == n,
		   "size %u: refill failed", size);
	zsft_check(&a[SEQ_PACK], zsf_get_total_pages(u->pool) == full,
		   "size %u: refill uses %lu pages, first fill %lu", size,
		   zsf_get_total_pages(u->pool), full);
	zsft_u_verify(u, &a[SEQ_DATA], n);

	/* Free every other object; the rest stay intact. */
	for (i = 0; i < n; i += 2)
		zsft_u_free(u, &u->objs[i]);
	zsft_u_verify(u, &a[SEQ_DATA], n);
	zsft_u_counters(u, "alloc/free, every other object freed");
	pages = zsf_get_total_pages(u->pool);
	zsft_check(&a[SEQ_REUSE], pages <= full,
		   "size %u: %lu pages after freeing half, %lu full", size,
		   pages, full);

	/* Refill the holes: they are reused, no new zspage is needed. */
	zsft_u_fill(u, n, size, 0);
	zsft_u_verify(u, &a[SEQ_DATA], n);
	zsft_check(&a[SEQ_REUSE], zsf_get_total_pages(u->pool) <= full,
		   "size %u: refilling holes grew the pool to %lu pages, full was %lu",
		   size, zsf_get_total_pages(u->pool), full);

	/* Free in reverse order. */
	for (i = n; i-- > 0;)
		zsft_u_free(u, &u->objs[i]);
	zsft_seq_empty(u, a, size, "in reverse");

	/* Random churn: free a random half, refill, check, three times. */
	zsft_u_fill(u, n, size, 0);
	for (round = 0; round < 3; round++) {
		zsft_u_free_random(u, n, n / 2);
		zsft_u_verify(u, &a[SEQ_DATA], n);
		zsft_u_fill(u, n, size, 0);
		zsft_u_verify(u, &a[SEQ_DATA], n);
	}
	zsft_u_free_random(u, n, n);
	zsft_seq_empty(u, a, size, "at random");
}

static void zsft_test_sequences(struct zsft_unit *u)
{
	struct zsft_agg a[SEQ_NR] = {
		[SEQ_DATA] = ZSFT_AGG("alloc/free: data intact through fill, free and refill"),
		[SEQ_EMPTY] = ZSFT_AGG("alloc/free: freeing everything returns the pool to its empty page count"),
		[SEQ_PACK] = ZSFT_AGG("alloc/free: objects fill whole zspages before new ones"),
		[SEQ_STATS] = ZSFT_AGG("alloc/free: frees and zspages_freed are counted"),
		[SEQ_REUSE] = ZSFT_AGG("alloc/free: freed slots are reused"),
	};
	size_t hs = zsf_huge_class_size(u->pool);
	u32 sizes[] = { 1, 48, 208, 600, 1000, 1700, 2200, 3000,
			hs - 1, hs, PAGE_SIZE };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (sizes[i] >= 1 && sizes[i] <= PAGE_SIZE)
			zsft_seq_one(u, a, sizes[i]);
	zsft_agg_points(a, SEQ_NR);
}

/* ---- zsf_compact ---- */

static void zsft_test_compact(struct zsft_unit *u)
{
	struct zsft_agg data = ZSFT_AGG("compact: every surviving object keeps its data");
	struct zsft_agg enc = ZSFT_AGG("compact: surviving handles still decode correctly");
	unsigned long before, after, freed, moved = 0;
	struct zsf_pool_stats st0, st1;
	struct zsf_test_loc loc;
	unsigned int n, i;

	n = min(8192U, u->max_objs);
	zsft_check(&data, zsft_u_fill(u, n, 0, 1024) == n,
		   "could not allocate %u objects", n);

	/* Free three objects in four, chosen at random. */
	zsft_u_free_random(u, n, n - n / 4);
	for (i = 0; i < n; i++) {
		u->locs[i] = 0;
		if (u->objs[i].handle &&
		    !zsf_test_locate(u->pool, u->objs[i].handle, &loc))
			u->locs[i] = loc.obj;
	}

	before = zsf_get_total_pages(u->pool);
	zsf_pool_stats(u->pool, &st0);
	zsft_u_counters(u, "compact, before");
	freed = zsf_compact(u->pool);
	zsf_pool_stats(u->pool, &st1);
	zsft_u_counters(u, "compact, after");
	/* Pages of freed zspages may be released by a worker. */
	zsft_wait_pages(u->pool, before - min(freed, before));
	after = zsf_get_total_pages(u->pool);
	zsft_diag("compact: %u objects, %u left; %lu pages before, %lu after, zsf_compact returned %lu",
		  n, n / 4, before, after, freed);

	zsft_point(freed > 0, "compact: zsf_compact frees pages (%lu)", freed);
	zsft_point(after < before && before - after >= freed,
		   "compact: the pool's page count drops by what zsf_compact returned");
	zsft_point(atomic_long_read(&st1.pages_compacted) -
		   atomic_long_read(&st0.pages_compacted) >= freed && freed,
		   "compact: pages_compacted grows by what zsf_compact returned (%ld -> %ld)",
		   atomic_long_read(&st0.pages_compacted),
		   atomic_long_read(&st1.pages_compacted));

	for (i = 0; i < n; i++) {
		struct zsft_obj *o = &u->objs[i];

		if (!o->handle)
			continue;
		zsft_u_intact(u, &data, o);
		if (zsft_u_locate(u, &enc, o, &loc) && loc.obj != u->locs[i])
			moved++;
	}
	zsft_agg_point(&data);
	zsft_agg_point(&enc);
	zsft_point(moved > 0, "compact: objects moved (%lu)", moved);

	zsft_u_free_all(u, n);
	zsft_point(zsft_wait_pages(u->pool, 0),
		   "compact: freeing the survivors empties the pool (%lu pages)",
		   zsf_get_total_pages(u->pool));
}

/* ---- zsf_free_bulk ---- */

/*
 * Free objects of every size in batches of awkward lengths, in random
 * order mixed with no-op entries, then in allocation order (long runs of
 * one class): survivors keep their data, the free count is exact, and the
 * pool ends empty.
 */
static void zsft_test_bulk(struct zsft_unit *u)
{
	struct zsft_agg data = ZSFT_AGG("bulk: objects not in a batch keep their data");
	static const unsigned int lens[] = { 1, 2, 7, 64, 255, 509 };
	unsigned long *batch, frees = 0, real = 0, before;
	struct zsf_pool_stats st0, st1;
	unsigned int n, i, k, got = 0, b, len, li = 0;

	n = min(8192U, u->max_objs);
	batch = kmalloc_array(512, sizeof(*batch), GFP_KERNEL);
	if (!batch) {
		zsft_point(false, "bulk: cannot allocate a batch");
		return;
	}
	got = zsft_u_fill(u, n, 0, PAGE_SIZE);
	zsft_check(&data, got == n, "allocated %u of %u", got, n);
	zsf_pool_stats(u->pool, &st0);
	before = zsf_get_total_pages(u->pool);

	/* Half of them, shuffled, with 0 and error entries in between. */
	zsft_shuffle(&u->rng, u->idx, n);
	for (i = 0; i < n / 2; ) {
		len = lens[li++ % ARRAY_SIZE(lens)];
		for (b = 0; b < len && i < n / 2; b++) {
			/* One entry in eight is a 0 or an error value. */
			k = zsft_rng_below(&u->rng, 16);
			if (k < 2) {
				batch[b] = k ? (unsigned long)ERR_PTR(-ENOMEM) : 0;
				continue;
			}
			k = u->idx[i++];
			batch[b] = u->objs[k].handle;
			u->objs[k].handle = 0;
			real++;
		}
		zsf_free_bulk(u->pool, batch, b);
	}
	zsf_pool_stats(u->pool, &st1);
	zsft_u_counters(u, "bulk, half freed");
	frees = st1.frees - st0.frees;
	zsft_point(frees == real,
		   "bulk: the pool counted %lu frees for %lu handles in batches with no-op entries",
		   frees, real);
	zsft_u_verify(u, &data, n);
	zsft_agg_point(&data);
	zsft_point(zsf_get_total_pages(u->pool) <= before,
		   "bulk: the pool did not grow (%lu -> %lu pages)", before,
		   zsf_get_total_pages(u->pool));

	/* The rest in allocation order, 509 at a time. */
	for (i = 0; i < n; ) {
		for (b = 0; b < 509 && i < n; i++) {
			if (!u->objs[i].handle)
				continue;
			batch[b++] = u->objs[i].handle;
			u->objs[i].handle = 0;
		}
		zsf_free_bulk(u->pool, batch, b);
	}
	zsf_pool_stats(u->pool, &st1);
	zsft_point(st1.frees - st0.frees == got,
		   "bulk: every object was counted once (%lu of %u)",
		   st1.frees - st0.frees, got);
	zsft_point(zsft_wait_pages(u->pool, 0),
		   "bulk: freeing everything in batches empties the pool (%lu pages)",
		   zsf_get_total_pages(u->pool));
	zsf_free_bulk(u->pool, batch, 0);
	kfree(batch);
}

/* ---- corrupted handles ---- */

/*
 * Corrupt a live handle's class index the way a stray write would (a
 * handle points at the word holding obj, see zsfast_internal.h), and
 * check that zsf_free(), zsf_free_bulk(), zsf_obj_read_begin/end(),
 * zsf_obj_write() and zsf_test_locate() refuse it and touch nothing;
 * then put obj back and free the object for real.
 */
static void zsft_test_bad_class(struct zsft_unit *u)
{
	struct zsft_agg agg = ZSFT_AGG("bad class: a handle with an out-of-range class index is refused and nothing is touched");
	struct zsf_test_geometry *g = &u->geo;
	unsigned long good, bad, pages, refused, batch[3];
	struct zsf_pool_stats st0, st1;
	struct zsf_test_loc loc;
	struct zsft_obj o;
	unsigned int cls;
	void *mem;

	if (!g->class_in_obj || (1UL << g->class_bits) <= g->nr_classes) {
		zsft_point(true, "bad class: refused # SKIP no class field, or no out-of-range index fits it");
		return;
	}
	if (!zsft_u_alloc(u, &o, 100) ||
	    zsf_test_locate(u->pool, o.handle, &loc)) {
		zsft_point(false, "bad class: cannot set up a live object");
		zsft_u_free(u, &o);
		return;
	}
	good = loc.obj;
	for (cls = g->nr_classes; cls < (1U << g->class_bits); cls++) {
		bad = zsf_test_encode(loc.pfn, cls, loc.obj_idx);
		WRITE_ONCE(*(unsigned long *)o.handle, bad);
		pages = zsf_get_total_pages(u->pool);
		zsf_pool_stats(u->pool, &st0);
		refused = zsf_test_bad_handles(u->pool);

		zsf_free(u->pool, o.handle);
		zsft_check(&agg, zsf_test_bad_handles(u->pool) == refused + 1,
			   "class %u: zsf_free: bad_handles %lu -> %lu", cls,
			   refused, zsf_test_bad_handles(u->pool));

		batch[0] = o.handle;
		batch[1] = 0;
		batch[2] = o.handle;
		zsf_free_bulk(u->pool, batch, ARRAY_SIZE(batch));
		zsft_check(&agg, zsf_test_bad_handles(u->pool) == refused + 3,
			   "class %u: zsf_free_bulk of two: bad_handles %lu -> %lu",
			   cls, refused + 1, zsf_test_bad_handles(u->pool));

		memset(u->local, 0xa5, PAGE_SIZE);
		mem = zsf_obj_read_begin(u->pool, o.handle, u->local);
		zsf_obj_read_end(u->pool, o.handle, mem);
		zsft_check(&agg, mem == u->local &&
				 !memchr_inv(mem, 0, PAGE_SIZE),
			   "class %u: zsf_obj_read_begin did not return a zeroed local copy",
			   cls);

		memset(u->buf, 0x5a, 100);
		zsf_obj_write(u->pool, o.handle, u->buf, 100);
		zsft_check(&agg, zsf_test_locate(u->pool, o.handle, &loc) ==
				 -EINVAL,
			   "class %u: zsf_test_locate accepted it", cls);
		zsft_check(&agg, zsf_test_bad_handles(u->pool) == refused + 6,
			   "class %u: read, write and locate: bad_handles %lu -> %lu",
			   cls, refused + 3, zsf_test_bad_handles(u->pool));

		zsf_pool_stats(u->pool, &st1);
		zsft_check(&agg, st1.frees == st0.frees &&
				 zsf_get_total_pages(u->pool) == pages,
			   "class %u: frees %lu -> %lu, pages %lu -> %lu", cls,
			   st0.frees, st1.frees, pages,
			   zsf_get_total_pages(u->pool));
		zsft_check(&agg, READ_ONCE(*(unsigned long *)o.handle) == bad,
			   "class %u: the handle was rewritten", cls);
		WRITE_ONCE(*(unsigned long *)o.handle, good);
	}
	/* The object is as it was: the refused write did not land. */
	zsft_u_intact(u, &agg, &o);
	zsf_pool_stats(u->pool, &st0);
	zsft_u_free(u, &o);
	zsf_pool_stats(u->pool, &st1);
	zsft_check(&agg, st1.frees == st0.frees + 1,
		   "the repaired handle was not freed");
	zsft_agg_point(&agg);
}

/* ---- slab caches ---- */

static void zsft_test_caches(void)
{
	int merged = zsf_test_caches_merged();

	zsft_point(merged == 0,
		   "slab: a cache of zsfast_handle's or zsfast_zspage's geometry is not merged with it (%d)",
		   merged);
}

/* ---- two pools ---- */

static void zsft_test_two_pools(struct zsft_unit *u)
{
	struct zsf_pool *other = zsf_create_pool("zsf_unit_other");
	struct zsft_agg agg = ZSFT_AGG("pools: a second pool is separate");
	unsigned long mine, total, h[16];
	struct zsf_test_loc loc;
	unsigned int i;

	if (!other) {
		zsft_point(false, "pools: cannot create a second pool");
		return;
	}
	mine = zsf_get_total_pages(u->pool);
	total = zsf_test_total_pages();
	for (i = 0; i < ARRAY_SIZE(h); i++) {
		h[i] = zsf_malloc(other, 64 * (i + 1), ZSFT_GFP, NUMA_NO_NODE);
		if (IS_ERR_VALUE(h[i]))
			h[i] = 0;
		zsft_check(&agg, h[i], "allocation %u failed", i);
	}
	zsft_check(&agg, zsf_get_total_pages(u->pool) == mine,
		   "first pool went from %lu to %lu pages", mine,
		   zsf_get_total_pages(u->pool));
	zsft_check(&agg, zsf_get_total_pages(other) > 0 &&
			zsf_test_total_pages() ==
			total + zsf_get_total_pages(other),
		   "module total %lu, was %lu, second pool %lu",
		   zsf_test_total_pages(), total, zsf_get_total_pages(other));
	for (i = 0; i < ARRAY_SIZE(h); i++)
		if (h[i])
			zsft_check(&agg, zsf_test_locate(u->pool, h[i], &loc) ==
					 -EINVAL,
				   "handle %#lx of the second pool located in the first",
				   h[i]);
	for (i = 0; i < ARRAY_SIZE(h); i++)
		zsf_free(other, h[i]);
	zsft_check(&agg, zsft_wait_pages(other, 0),
		   "second pool keeps %lu pages", zsf_get_total_pages(other));
	zsf_destroy_pool(other);
	zsft_check(&agg, zsft_wait_pages(NULL, total),
		   "module total %lu, expected %lu", zsf_test_total_pages(),
		   total);
	zsft_agg_point(&agg);
}

int zsft_run_unit(void)
{
	struct zsft_unit *u;
	unsigned long start;
	int ret = -ENOMEM;

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	zsft_rng_init(&u->rng, zsft_seed_param);
	u->counters = (struct zsft_agg)ZSFT_AGG("counters: each class's per-fullness counts match its lists");
	zsf_test_geometry(&u->geo);
	u->max_objs = max(2 * u->geo.max_objs + 1 + (unsigned int)PAGE_SIZE,
			  8192U);
	u->buf = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	u->cls = vcalloc(PAGE_SIZE + 1, sizeof(*u->cls));
	u->objs = vcalloc(u->max_objs, sizeof(*u->objs));
	u->locs = vcalloc(u->max_objs, sizeof(*u->locs));
	u->idx = vcalloc(u->max_objs, sizeof(*u->idx));
	if (!u->buf || !u->cls || !u->objs || !u->locs || !u->idx)
		goto out;
	u->local = u->buf + PAGE_SIZE;

	start = zsf_test_total_pages();
	u->pool = zsf_create_pool("zsf_unit");
	if (!u->pool) {
		zsft_point(false, "pool: zsf_create_pool");
		ret = 0;
		goto out;
	}
	zsft_point(zsf_get_total_pages(u->pool) == 0,
		   "pool: a new pool holds no pages");

	zsft_test_geometry(u);
	zsft_test_encoding(u);
	zsft_test_caches();
	if (zsft_test_lookup(u)) {
		zsft_test_errors(u);
		zsft_test_huge(u);
		zsft_test_free_untouched(u);
		zsft_test_every_size(u);
		zsft_test_sequences(u);
		zsft_test_compact(u);
		zsft_test_bulk(u);
		zsft_test_bad_class(u);
		zsft_test_two_pools(u);
	}

	zsft_point(zsft_wait_pages(u->pool, 0),
		   "pool: empty at the end (%lu pages)",
		   zsf_get_total_pages(u->pool));
	zsft_u_counters(u, "empty pool");
	zsft_agg_point(&u->counters);
	zsf_destroy_pool(u->pool);
	zsft_point(zsft_wait_pages(NULL, start),
		   "pool: zsfast's total pages back to %lu after destroy (%lu)",
		   start, zsf_test_total_pages());
	ret = 0;
out:
	vfree(u->idx);
	vfree(u->locs);
	vfree(u->objs);
	vfree(u->cls);
	kfree(u->buf);
	kfree(u);
	return ret;
}
