// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx post-processing of stored pages: idle marking and recompression
 * with a secondary compressor, as stock zram's idle and recompress
 * attributes do them.
 *
 * Idle: every read and write of a slot clears ZRAMX_SLOT_IDLE and stamps
 * the slot's access time (io.c); zramx_mark_idle() sets the flag on each
 * slot holding an object that was not accessed since a cutoff.
 * Same-filled slots are never idle: nothing post-processes them.
 *
 * Recompression takes the slots one by one and never holds a slot lock
 * while it compresses or allocates:
 *   1. under the slot lock: select the slot, read (decompress) it into a
 *      private page, and mark it ZRAMX_SLOT_PP;
 *   2. without locks: compress the page with the secondary compressor
 *      (its per-CPU stream), copy the result out, allocate the new
 *      object (GFP_NOIO, may sleep) and write it;
 *   3. under the slot lock again: if the slot is still ZRAMX_SLOT_PP,
 *      nothing wrote or freed it meanwhile (zramx_slot_detach() clears
 *      every flag), so the new object replaces the old one, which is
 *      freed; otherwise the new object is.
 * So a concurrent write, discard or swap_slot_free_notify() always wins,
 * and the data a slot reads is never older than its last write.  The
 * caller holds init_lock for writing: one post-processing at a time, and
 * no reset under it.
 *
 * An object is replaced only if the new one lands in a smaller size
 * class (it would take the same memory otherwise), and, with a threshold,
 * only if it is smaller than the threshold.  When the last configured
 * compressor cannot shrink it, the slot is marked
 * ZRAMX_SLOT_INCOMPRESSIBLE and is not tried again until it is written.
 */

#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "zramx.h"

/**
 * zramx_mark_idle() - mark slots idle that were not accessed since @cutoff
 * @zx: the device, initialized, with init_lock held
 * @cutoff: boot time in seconds; 0 marks every slot holding an object
 *
 * Slots accessed since @cutoff lose the mark.
 */
void zramx_mark_idle(struct zramx *zx, u32 cutoff)
{
	u32 index, nr = zx->disksize >> PAGE_SHIFT;

	for (index = 0; index < nr; index++) {
		zramx_slot_lock(zx, index);
		if (zramx_slot_has_obj(zx, index)) {
			if (!cutoff || cutoff > zx->ac_time[index])
				zramx_slot_set(zx, index, ZRAMX_SLOT_IDLE);
			else
				zramx_slot_clear(zx, index, ZRAMX_SLOT_IDLE);
		}
		zramx_slot_unlock(zx, index);
		if (!(index % 4096))
			cond_resched();
	}
}

/* Is no compressor configured above @prio? */
static bool zramx_last_prio(struct zramx *zx, u32 prio)
{
	while (++prio < ZRAMX_MAX_COMPS)
		if (zx->comps[prio])
			return false;
	return true;
}

/* What one recompression works with, allocated once per request. */
struct zramx_recomp {
	u32 prio;		/* the compressor */
	bool idle, huge;	/* only idle, only huge slots */
	u32 threshold;		/* only objects this large or larger */
	u64 max_pages;		/* slots left to try */
	struct page *page;	/* the slot's data */
	void *buf;		/* the new object: 2 * PAGE_SIZE bytes */
};

/*
 * Step 1: select a locked slot and read it into rc->page.  Return 1 if
 * it is to be recompressed, 0 if not, or -EIO.
 */
static int zramx_recomp_select(struct zramx *zx, struct zramx_recomp *rc,
			       u32 index, unsigned int *old_len)
{
	int ret;

	if (!zramx_slot_has_obj(zx, index) ||
	    (rc->idle && !zramx_slot_test(zx, index, ZRAMX_SLOT_IDLE)) ||
	    (rc->huge && !zramx_slot_test(zx, index, ZRAMX_SLOT_HUGE)) ||
	    zramx_slot_test(zx, index, ZRAMX_SLOT_INCOMPRESSIBLE) ||
	    zramx_slot_prio(zx, index) >= rc->prio)
		return 0;

	*old_len = zramx_slot_size(zx, index);
	if (*old_len < rc->threshold)
		return 0;

	ret = zramx_slot_read(zx, index, rc->page, false);
	if (ret)
		return ret;
	/* Touched: no longer idle, so nothing else takes it as such. */
	zramx_slot_clear(zx, index, ZRAMX_SLOT_IDLE);
	zramx_slot_set(zx, index, ZRAMX_SLOT_PP);
	return 1;
}

/*
 * Step 2: compress rc->page into rc->buf.  Return its length, or 0 if
 * the new object would not save memory.
 */
static int zramx_recomp_compress(struct zramx *zx, struct zramx_recomp *rc,
				 unsigned int old_len, unsigned int *new_len)
{
	struct zramx_comp *comp = zx->comps[rc->prio];
	struct zramx_strm *strm;
	void *src;
	int ret;

	strm = zramx_stream_get(comp);
	src = kmap_local_page(rc->page);
	ret = comp->backend->compress(strm->ctx, src, strm->buffer, new_len);
	kunmap_local(src);
	if (!ret && *new_len < PAGE_SIZE)
		memcpy(rc->buf, strm->buffer, *new_len);
	zramx_stream_put(comp);
	if (ret)
		return ret;

	if (*new_len >= PAGE_SIZE ||
	    zsf_lookup_class_index(zx->pool, *new_len) >=
	    zsf_lookup_class_index(zx->pool, old_len) ||
	    (rc->threshold && *new_len >= rc->threshold))
		*new_len = 0;
	return 0;
}

/* Recompress slot @index; 0 or a negative errno that ends the request. */
static int zramx_recomp_slot(struct zramx *zx, struct zramx_recomp *rc,
			     u32 index)
{
	unsigned long handle = 0, old = 0;
	unsigned int old_len, new_len, size;
	int ret;

	zramx_slot_lock(zx, index);
	ret = zramx_recomp_select(zx, rc, index, &old_len);
	zramx_slot_unlock(zx, index);
	if (ret <= 0)
		return ret;

	/* Counted whatever comes of it: the work is spent. */
	rc->max_pages--;
	ret = zramx_recomp_compress(zx, rc, old_len, &new_len);
	if (!ret && new_len) {
		handle = zsf_malloc(zx->pool, new_len, ZRAMX_GFP_WAIT,
				    NUMA_NO_NODE);
		if (IS_ERR_VALUE(handle)) {
			ret = -ENOMEM;
			handle = 0;
		} else {
			zsf_obj_write(zx->pool, handle, rc->buf, new_len);
		}
	}

	zramx_slot_lock(zx, index);
	if (zramx_slot_test(zx, index, ZRAMX_SLOT_PP)) {
		zramx_slot_clear(zx, index, ZRAMX_SLOT_PP);
		if (handle) {
			old = zramx_slot_detach(zx, index, &size);
			zramx_slot_store(zx, index, handle, new_len);
			zramx_slot_set_prio(zx, index, rc->prio);
			handle = 0;
		} else if (!ret && zramx_last_prio(zx, rc->prio)) {
			zramx_slot_set(zx, index, ZRAMX_SLOT_INCOMPRESSIBLE);
		}
	}
	zramx_slot_unlock(zx, index);

	/* The loser: the old object, or a new one nobody wants now. */
	if (old) {
		zsf_free(zx->pool, old);
		zramx_obj_uncount(zx, size, 1);
	}
	zsf_free(zx->pool, handle);
	return ret;
}

/**
 * zramx_recompress() - recompress stored pages with a secondary compressor
 * @zx: the device, initialized, with init_lock held for writing
 * @prio: the compressor's priority; zx->comps[@prio] exists
 * @idle: only idle slots
 * @huge: only slots stored uncompressed
 * @threshold: only objects of at least this many bytes, and keep a new
 *             object only if it is smaller than this; 0 for any
 * @max_pages: try at most this many slots
 *
 * Slots already compressed with @prio or a higher priority are skipped.
 *
 * Context: process context, may sleep.
 * Return: 0, or the first error: -ENOMEM, or -EIO for a slot that does
 * not decompress.
 */
int zramx_recompress(struct zramx *zx, u32 prio, bool idle, bool huge,
		     u32 threshold, u64 max_pages)
{
	struct zramx_recomp rc = {
		.prio = prio, .idle = idle, .huge = huge,
		.threshold = threshold, .max_pages = max_pages,
	};
	u32 index, nr = zx->disksize >> PAGE_SHIFT;
	int ret = -ENOMEM;

	rc.page = alloc_page(GFP_KERNEL);
	rc.buf = kvmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	if (!rc.page || !rc.buf)
		goto out;

	ret = 0;
	for (index = 0; index < nr && rc.max_pages && !ret; index++) {
		ret = zramx_recomp_slot(zx, &rc, index);
		cond_resched();
	}
out:
	kvfree(rc.buf);
	if (rc.page)
		__free_page(rc.page);
	return ret;
}
