/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel-version differences that zsfast and zramx share, behind feature
 * names.  The HAVE_* macros come from probe.sh, which reads the headers
 * being built against; nothing outside src/compat/ tests a kernel version.
 */
#ifndef _ZSF_COMPAT_H_
#define _ZSF_COMPAT_H_

#include <linux/module.h>
#include <linux/export.h>
#include <linux/shrinker.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/vmstat.h>

/* Symbol namespaces: a bare token up to v6.12, a string literal after. */
#ifdef HAVE_NS_TOKEN
#define ZSF_EXPORT(sym)		EXPORT_SYMBOL_NS_GPL(sym, ZSFAST)
#define ZSF_EXPORT_TEST(sym)	EXPORT_SYMBOL_NS_GPL(sym, ZSFAST_TEST)
#define ZSF_IMPORT_NS()		MODULE_IMPORT_NS(ZSFAST)
#define ZSF_IMPORT_TEST_NS()	MODULE_IMPORT_NS(ZSFAST_TEST)
#else
#define ZSF_EXPORT(sym)		EXPORT_SYMBOL_NS_GPL(sym, "ZSFAST")
#define ZSF_EXPORT_TEST(sym)	EXPORT_SYMBOL_NS_GPL(sym, "ZSFAST_TEST")
#define ZSF_IMPORT_NS()		MODULE_IMPORT_NS("ZSFAST")
#define ZSF_IMPORT_TEST_NS()	MODULE_IMPORT_NS("ZSFAST_TEST")
#endif

/*
 * Page migration.  Where a module may register movable_operations, zsfast
 * pages are allocated movable and system compaction can move them.
 * Elsewhere they are allocated without __GFP_MOVABLE, so that they do not
 * sit in movable pageblocks pretending to be movable.
 */
#ifdef HAVE_MOVABLE_OPS
#define ZSF_MOVABLE_PAGES	1
static inline gfp_t zsf_compat_page_gfp(gfp_t gfp)
{
	return gfp;
}
#else
#define ZSF_MOVABLE_PAGES	0
static inline gfp_t zsf_compat_page_gfp(gfp_t gfp)
{
	return gfp & ~__GFP_MOVABLE;
}
#endif

/*
 * A kernel built with zsmalloc counts its pages in the zone counter
 * NR_ZSPAGES: nr_zspages in /proc/vmstat, zspages: in the OOM report's
 * Mem-Info.  zsfast counts its pages there too, so that whoever reads
 * those sees a zramx device's pool as a zram device's.  Without
 * CONFIG_ZSMALLOC the counter does not exist, and nothing is counted.
 */
static inline void zsf_count_pool_page(struct page *page)
{
#if IS_ENABLED(CONFIG_ZSMALLOC)
	inc_zone_page_state(page, NR_ZSPAGES);
#endif
}

static inline void zsf_uncount_pool_page(struct page *page)
{
#if IS_ENABLED(CONFIG_ZSMALLOC)
	dec_zone_page_state(page, NR_ZSPAGES);
#endif
}

/*
 * A slab cache of zsfast's own, never merged with another cache of the
 * same geometry (kmalloc-8, or another module's 8-byte cache, for the
 * handles), so that /proc/slabinfo, slub_debug=,zsfast_handle and KASAN
 * reports name it.  SLAB_NO_MERGE says so since v6.5.  Before, a cache
 * with a constructor is never merged; the constructor does nothing else.
 * On SLUB it costs a word per object, since the free pointer can no
 * longer overlay the object.  Allocate from such a cache without
 * __GFP_ZERO, which slab allocators refuse (WARN) for caches with a
 * constructor.
 */
#ifdef HAVE_SLAB_NO_MERGE
static inline struct kmem_cache *
zsf_kmem_cache_create_unmerged(const char *name, unsigned int size,
			       unsigned int align)
{
	return kmem_cache_create(name, size, align, SLAB_NO_MERGE, NULL);
}
#else
static inline void zsf_unmerged_ctor(void *obj)
{
}

static inline struct kmem_cache *
zsf_kmem_cache_create_unmerged(const char *name, unsigned int size,
			       unsigned int align)
{
	return kmem_cache_create(name, size, align, 0, zsf_unmerged_ctor);
}
#endif

/*
 * The zspage geometry of the kernel's own zsmalloc, which zsfast follows
 * so that it spends the memory stock zram would on the same data: the
 * length of a class's zspage and, through it, which classes are huge
 * and so which pages zram stores uncompressed.  Since v6.3 the length is
 * the one of least waste up to CONFIG_ZSMALLOC_CHAIN_SIZE pages; before,
 * the one of the best whole used percentage up to 4 pages.
 */
#ifdef HAVE_ZSMALLOC_CHAIN_SIZE
#define ZSF_KERNEL_CHAIN_SIZE	CONFIG_ZSMALLOC_CHAIN_SIZE
#define ZSF_CHAIN_BY_USEDPC	0
#else
#define ZSF_KERNEL_CHAIN_SIZE	4
#define ZSF_CHAIN_BY_USEDPC	1
#endif

/*
 * Shrinkers: allocated by the core since v6.7, embedded by the user
 * before.  Callers see one interface; zsf_shrinker_priv() returns the
 * pointer given to zsf_shrinker_create(), and @seeks is the shrinker's
 * cost to recreate an object (DEFAULT_SEEKS, or 0 for objects that cost
 * nothing to recreate: the core then scans half of them at every pass,
 * whatever the reclaim priority).  Inline, since both modules have
 * shrinkers (zsfast's pools, zramx's pending batches).
 */
typedef unsigned long (*zsf_shrink_fn)(struct shrinker *,
				       struct shrink_control *);

#ifdef HAVE_SHRINKER_ALLOC

static inline struct shrinker *zsf_shrinker_create(const char *name,
						   zsf_shrink_fn count,
						   zsf_shrink_fn scan,
						   int seeks, void *priv)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->batch = 0;
	s->seeks = seeks;
	s->private_data = priv;
	shrinker_register(s);
	return s;
}

static inline void zsf_shrinker_destroy(struct shrinker *shrinker)
{
	shrinker_free(shrinker);
}

static inline void *zsf_shrinker_priv(struct shrinker *shrinker)
{
	return shrinker->private_data;
}

#else /* the shrinker is embedded in the user's structure */

struct zsf_shrinker {
	struct shrinker shrinker;
	void *priv;
};

static inline struct shrinker *zsf_shrinker_create(const char *name,
						   zsf_shrink_fn count,
						   zsf_shrink_fn scan,
						   int seeks, void *priv)
{
	struct zsf_shrinker *zs = kzalloc(sizeof(*zs), GFP_KERNEL);
	int err;

	if (!zs)
		return NULL;
	zs->shrinker.count_objects = count;
	zs->shrinker.scan_objects = scan;
	zs->shrinker.batch = 0;
	zs->shrinker.seeks = seeks;
	zs->priv = priv;
#ifdef HAVE_REGISTER_SHRINKER_NAME
	err = register_shrinker(&zs->shrinker, "%s", name);
#else
	err = register_shrinker(&zs->shrinker);
#endif
	if (err) {
		kfree(zs);
		return NULL;
	}
	return &zs->shrinker;
}

static inline void zsf_shrinker_destroy(struct shrinker *shrinker)
{
	unregister_shrinker(shrinker);
	kfree(container_of(shrinker, struct zsf_shrinker, shrinker));
}

static inline void *zsf_shrinker_priv(struct shrinker *shrinker)
{
	return container_of(shrinker, struct zsf_shrinker, shrinker)->priv;
}

#endif /* HAVE_SHRINKER_ALLOC */

#endif /* _ZSF_COMPAT_H_ */
