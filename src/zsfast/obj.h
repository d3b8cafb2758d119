/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Object location encoding ("obj"), the value a handle holds.
 *
 * On 64-bit kernels the size class rides in obj, so that zsf_free() finds
 * the class, and so the only lock it needs, from the handle alone:
 *
 *   BITS_PER_LONG-1                                                   0
 *   +-------------------+-----------------------+--------------------+
 *   |        PFN        |      class index      |    object index    |
 *   |   ZSF_PFN_BITS    |  ZSF_OBJ_CLASS_BITS   |  ZSF_OBJ_IDX_BITS  |
 *   +-------------------+-----------------------+--------------------+
 *
 * ZSF_PFN_BITS covers every page the architecture can ever address
 * (MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT: 40 on x86_64 with 5-level
 * paging), the class field every size class, and the object index field,
 * which takes the bits left over, the largest object count of any zspage.
 * static_assert()s below prove that they fit.
 *
 * The widths depend on the page size; with MAX_POSSIBLE_PHYSMEM_BITS 52
 * (x86_64 with 5-level paging, arm64 with 52-bit physical addresses):
 *
 *   page size  size classes  largest objs/zspage  PFN  class  index (needed)
 *   4 KiB           255             1024          40     8     16 (10)
 *   16 KiB          257             4096          38     9     17 (12)
 *   64 KiB          257            16384          36     9     19 (14)
 *
 * (classes: (PAGE_SIZE - 32) / (PAGE_SIZE / 256) rounded up, plus one;
 * objects: ZSF_CHAIN_SIZE pages of 32-byte objects.)  The build asserts
 * this table for all three page sizes, whatever its own, with the same
 * macros as its own layout (ZSF_LAYOUT_*), so a 16 KiB or 64 KiB kernel
 * meets no surprise.
 *
 * Where they cannot fit (32-bit), or when built with ZSF_FORCE_POOL_LOCK=1
 * so that the suite keeps this path alive, obj is [PFN | object index] as
 * in upstream zsmalloc, and the class is found through the page under the
 * pool's migrate_lock, held for read; compaction and migration then take
 * it for write.
 */
#ifndef _ZSF_OBJ_H_
#define _ZSF_OBJ_H_

#include <linux/build_bug.h>
#include <linux/log2.h>
#include <asm/page.h>

#ifndef MAX_POSSIBLE_PHYSMEM_BITS
#ifdef MAX_PHYSMEM_BITS
#define MAX_POSSIBLE_PHYSMEM_BITS MAX_PHYSMEM_BITS
#else
#define MAX_POSSIBLE_PHYSMEM_BITS BITS_PER_LONG
#endif
#endif

#define ZSF_PFN_BITS		(MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT)

#if BITS_PER_LONG >= 64 && !defined(ZSF_FORCE_POOL_LOCK)
#define ZSF_CLASS_IN_OBJ
#endif

#ifdef ZSF_CLASS_IN_OBJ
/* Object indexes are plentiful: the smallest class can be 32 bytes. */
#define ZSF_MIN_ALLOC_SIZE	32
#else
/* As upstream: raise the smallest size until the index field suffices. */
#define ZSF_IDX_ROOM		(BITS_PER_LONG - ZSF_PFN_BITS)
#define ZSF_MIN_ALLOC_SIZE						\
	(((ZSF_CHAIN_SIZE << PAGE_SHIFT) >> ZSF_IDX_ROOM) > 32 ?	\
	 ((ZSF_CHAIN_SIZE << PAGE_SHIFT) >> ZSF_IDX_ROOM) : 32)
#endif

#define ZSF_NR_CLASSES							\
	(DIV_ROUND_UP(PAGE_SIZE - ZSF_MIN_ALLOC_SIZE, ZSF_CLASS_DELTA) + 1)
#define ZSF_MAX_OBJS		(ZSF_CHAIN_SIZE * PAGE_SIZE / ZSF_MIN_ALLOC_SIZE)
#define ZSF_OBJ_IDX_BITS_NEEDED	(ilog2(ZSF_MAX_OBJS - 1) + 1)

#ifdef ZSF_CLASS_IN_OBJ
#define ZSF_OBJ_CLASS_BITS	(ilog2(ZSF_NR_CLASSES - 1) + 1)
#else
#define ZSF_OBJ_CLASS_BITS	0
#endif
#define ZSF_OBJ_IDX_BITS	(BITS_PER_LONG - ZSF_PFN_BITS - ZSF_OBJ_CLASS_BITS)
#define ZSF_OBJ_IDX_MASK	((1UL << ZSF_OBJ_IDX_BITS) - 1)
#define ZSF_OBJ_PFN_SHIFT	(ZSF_OBJ_IDX_BITS + ZSF_OBJ_CLASS_BITS)

static_assert(ZSF_PFN_BITS + ZSF_OBJ_CLASS_BITS + ZSF_OBJ_IDX_BITS_NEEDED <=
	      BITS_PER_LONG,
	      "zsfast: PFN, class and object index do not fit in obj");
static_assert(ZSF_OBJ_IDX_BITS >= ZSF_OBJ_IDX_BITS_NEEDED);
/* Object headers are aligned words, so they never straddle two pages. */
static_assert(ZSF_CLASS_DELTA % sizeof(unsigned long) == 0);
static_assert(ZSF_MIN_ALLOC_SIZE % sizeof(unsigned long) == 0);

#ifdef ZSF_CLASS_IN_OBJ
/* The layout for a page shift @sh and physical address bits @pa. */
#define ZSF_LAYOUT_CLASSES(sh)						\
	(DIV_ROUND_UP((1UL << (sh)) - 32, (1UL << (sh)) >> 8) + 1)
#define ZSF_LAYOUT_CLASS_BITS(sh)	(ilog2(ZSF_LAYOUT_CLASSES(sh) - 1) + 1)
#define ZSF_LAYOUT_IDX_NEEDED(sh)					\
	(ilog2(ZSF_CHAIN_SIZE * (1UL << (sh)) / 32 - 1) + 1)
#define ZSF_LAYOUT_IDX_BITS(pa, sh)					\
	(64 - ((pa) - (sh)) - ZSF_LAYOUT_CLASS_BITS(sh))

/* This build's layout is the table's formula... */
static_assert(ZSF_LAYOUT_CLASSES(PAGE_SHIFT) == ZSF_NR_CLASSES);
static_assert(ZSF_LAYOUT_CLASS_BITS(PAGE_SHIFT) == ZSF_OBJ_CLASS_BITS);
static_assert(ZSF_LAYOUT_IDX_NEEDED(PAGE_SHIFT) == ZSF_OBJ_IDX_BITS_NEEDED);
/* ...and the table's rows hold: 4 KiB, 16 KiB and 64 KiB pages. */
static_assert((ZSF_LAYOUT_CLASSES(12) == 255) &&
	      (ZSF_LAYOUT_CLASS_BITS(12) == 8) &&
	      (ZSF_LAYOUT_IDX_NEEDED(12) == 10) &&
	      (ZSF_LAYOUT_IDX_BITS(52, 12) == 16));
static_assert((ZSF_LAYOUT_CLASSES(14) == 257) &&
	      (ZSF_LAYOUT_CLASS_BITS(14) == 9) &&
	      (ZSF_LAYOUT_IDX_NEEDED(14) == 12) &&
	      (ZSF_LAYOUT_IDX_BITS(52, 14) == 17));
static_assert((ZSF_LAYOUT_CLASSES(16) == 257) &&
	      (ZSF_LAYOUT_CLASS_BITS(16) == 9) &&
	      (ZSF_LAYOUT_IDX_NEEDED(16) == 14) &&
	      (ZSF_LAYOUT_IDX_BITS(52, 16) == 19));

#define ZSF_OBJ_CLASS_MASK	((1UL << ZSF_OBJ_CLASS_BITS) - 1)
static_assert(ZSF_NR_CLASSES - 1 <= ZSF_OBJ_CLASS_MASK);

static inline unsigned int zsf_obj_class_idx(unsigned long obj)
{
	return (obj >> ZSF_OBJ_IDX_BITS) & ZSF_OBJ_CLASS_MASK;
}
#else
static inline unsigned int zsf_obj_class_idx(unsigned long obj)
{
	return 0;
}
#endif

static inline unsigned long zsf_encode_obj(unsigned long pfn,
					   unsigned int class_idx,
					   unsigned int obj_idx)
{
	unsigned long obj = pfn << ZSF_OBJ_PFN_SHIFT;

#ifdef ZSF_CLASS_IN_OBJ
	obj |= (unsigned long)(class_idx & ZSF_OBJ_CLASS_MASK) <<
		ZSF_OBJ_IDX_BITS;
#endif
	return obj | (obj_idx & ZSF_OBJ_IDX_MASK);
}

static inline unsigned long zsf_obj_pfn(unsigned long obj)
{
	return obj >> ZSF_OBJ_PFN_SHIFT;
}

static inline unsigned int zsf_obj_idx(unsigned long obj)
{
	return obj & ZSF_OBJ_IDX_MASK;
}

#endif /* _ZSF_OBJ_H_ */
