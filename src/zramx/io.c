// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx block I/O: bios, .rw_page where the kernel has it, and the swap
 * slot free notification.
 *
 * A write compresses the page into this CPU's stream buffer, allocates
 * an object (first without sleeping, with the stream held; then, if that
 * failed, with the stream released and GFP_NOIO, compressing again), and
 * only then takes the slot lock to swap the new object in for the old
 * one.  A write that would pass mem_limit first frees the objects of
 * released slots still waiting in batches (gather.c), and tries again
 * once.  A failed write leaves the slot as it was.  A read holds the slot
 * lock while it copies or decompresses the object, so a concurrent
 * free cannot pull it away.  A page written back to the backing device
 * is read from there (writeback.c); one written back compressed is read
 * and waited for, and then decompressed under the slot lock, which is
 * where its size and compressor are kept.
 */

#include <linux/bio.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/part_stat.h>

#include "zramx.h"

static bool zramx_page_same_filled(const void *ptr, unsigned long *value)
{
	const unsigned long *page = ptr;
	unsigned int pos, last = PAGE_SIZE / sizeof(*page) - 1;
	unsigned long val = page[0];

	if (val != page[last])
		return false;
	for (pos = 1; pos < last; pos++)
		if (page[pos] != val)
			return false;
	*value = val;
	return true;
}

/**
 * zramx_slot_read() - read a locked slot into a page
 * @zx: the device
 * @index: the slot, locked by the caller, not written back
 * @page: where to put the data; an empty slot reads as zeros
 * @raw: copy the object as stored, its size in bytes, and zero the rest
 *       of @page, for compressed writeback; the slot must hold an object
 *
 * The object is decompressed with the compressor of the priority it was
 * stored with.
 *
 * Return: 0, or -EIO if the object does not decompress.
 */
int zramx_slot_read(struct zramx *zx, u32 index, struct page *page, bool raw)
{
	unsigned long handle = zx->table[index].handle;
	size_t size = zramx_slot_size(zx, index);
	struct zramx_comp *comp;
	struct zramx_strm *strm;
	void *src, *dst;
	int ret = 0;

	if (zramx_slot_test(zx, index, ZRAMX_SLOT_SAME) || !size) {
		/* Same-filled: @handle is the value.  Empty: it is 0. */
		dst = kmap_local_page(page);
		memset_l(dst, handle, PAGE_SIZE / sizeof(unsigned long));
		kunmap_local(dst);
		return 0;
	}

	comp = zx->comps[zramx_slot_prio(zx, index)];
	strm = zramx_stream_get(comp);
	src = zsf_obj_read_begin(zx->pool, handle, strm->buffer);
	dst = kmap_local_page(page);
	if (size == PAGE_SIZE || raw) {
		memcpy(dst, src, size);
		memset(dst + size, 0, PAGE_SIZE - size);
	} else {
		ret = comp->backend->decompress(strm->ctx, src, size, dst);
	}
	kunmap_local(dst);
	zsf_obj_read_end(zx->pool, handle, src);
	zramx_stream_put(comp);

	if (unlikely(ret)) {
		pr_err_ratelimited("zramx: %s: decompression of block %u failed: %d\n",
				   zx->disk->disk_name, index, ret);
		return -EIO;
	}
	return 0;
}

/*
 * Decompress, in place, @page, just read from block @blk for slot @index,
 * which was written back compressed.  -EIO if the object does not
 * decompress, or if the slot no longer is that block: it was written or
 * discarded meanwhile, which only a user that races a read with a write
 * or discard of the same block does.
 */
static int zramx_wb_decompress(struct zramx *zx, u32 index, unsigned long blk,
			       struct page *page)
{
	struct zramx_comp *comp;
	struct zramx_strm *strm;
	size_t size;
	void *mem;
	int ret = -ESTALE;

	zramx_slot_lock(zx, index);
	if (zramx_slot_wb_compressed(zx, index) &&
	    zx->table[index].handle == blk) {
		size = zramx_slot_size(zx, index);
		comp = zx->comps[zramx_slot_prio(zx, index)];
		strm = zramx_stream_get(comp);
		mem = kmap_local_page(page);
		memcpy(strm->buffer, mem, size);
		ret = comp->backend->decompress(strm->ctx, strm->buffer, size,
						mem);
		kunmap_local(mem);
		zramx_stream_put(comp);
	}
	zramx_slot_unlock(zx, index);

	if (unlikely(ret)) {
		pr_err_ratelimited("zramx: %s: decompression of written-back block %u failed: %d\n",
				   zx->disk->disk_name, index, ret);
		return -EIO;
	}
	return 0;
}

/*
 * Read slot @index into @page, for I/O: the slot has been accessed.  A
 * written-back slot is read from the backing device, without the slot
 * lock, as stock zram does: a slot is not freed while it is read, unless
 * its user races a read with a discard of the same block.  With @parent,
 * the bio that @page belongs to whole, that read is a bio chained to it;
 * otherwise, or if the block holds a compressed object, it is waited for.
 */
static int zramx_read_page(struct zramx *zx, struct page *page, u32 index,
			   struct bio *parent)
{
	unsigned long blk;
	bool compressed;
	int ret;

	zramx_slot_lock(zx, index);
	if (unlikely(zramx_slot_test(zx, index, ZRAMX_SLOT_WB))) {
		blk = zx->table[index].handle;
		compressed = zramx_slot_wb_compressed(zx, index);
		zramx_slot_accessed(zx, index);
		zramx_slot_unlock(zx, index);
		if (compressed)
			return zramx_bd_read(zx, blk, page) ?:
			       zramx_wb_decompress(zx, index, blk, page);
		if (parent) {
			zramx_bd_read_chained(zx, blk, page, parent);
			return 0;
		}
		return zramx_bd_read(zx, blk, page);
	}
	ret = zramx_slot_read(zx, index, page, false);
	zramx_slot_accessed(zx, index);
	zramx_slot_unlock(zx, index);
	return ret;
}

static void zramx_store_same(struct zramx *zx, u32 index, unsigned long value)
{
	zramx_slot_lock(zx, index);
	zramx_slot_free(zx, index);
	zramx_slot_store_same(zx, index, value);
	zramx_slot_accessed(zx, index);
	zramx_slot_unlock(zx, index);
}

/* Write @page to slot @index. */
static int zramx_write_page(struct zramx *zx, struct page *page, u32 index)
{
	struct zramx_comp *comp = zx->comps[ZRAMX_PRIMARY_COMP];
	struct zramx_strm *strm;
	unsigned long handle = 0, value, total, limit;
	unsigned int comp_len, alloc_len = 0;
	bool reclaimed = false;
	void *mem;
	int ret;

	mem = kmap_local_page(page);
	if (zramx_page_same_filled(mem, &value)) {
		kunmap_local(mem);
		zramx_store_same(zx, index, value);
		return 0;
	}
	kunmap_local(mem);

compress:
	strm = zramx_stream_get(comp);
	mem = kmap_local_page(page);
	ret = comp->backend->compress(strm->ctx, mem, strm->buffer, &comp_len);
	kunmap_local(mem);
	if (unlikely(ret)) {
		zramx_stream_put(comp);
		pr_err_ratelimited("zramx: %s: compression failed: %d\n",
				   zx->disk->disk_name, ret);
		goto out_free;
	}

	/* Incompressible: stored whole, from the page itself. */
	if (comp_len >= zx->huge_class_size)
		comp_len = PAGE_SIZE;

	/* Compression is deterministic; this is only a safety net. */
	if (handle && alloc_len != comp_len) {
		zsf_free(zx->pool, handle);
		handle = 0;
	}

	/*
	 * The stream is held from here to the copy and released on every
	 * path, whether or not its buffer is used, as upstream zram does:
	 * a conditional release is one sparse cannot follow on PREEMPT_RT.
	 */
	if (!handle) {
		handle = zsf_malloc(zx->pool, comp_len, ZRAMX_GFP_NOWAIT,
				    NUMA_NO_NODE);
		alloc_len = comp_len;
		if (IS_ERR_VALUE(handle)) {
			zramx_stream_put(comp);
			atomic64_inc(&zx->stats.writestall);
			handle = zsf_malloc(zx->pool, comp_len, ZRAMX_GFP_WAIT,
					    NUMA_NO_NODE);
			if (IS_ERR_VALUE(handle)) {
				/*
				 * Swap-out runs in reclaim: once the reserves
				 * are spent, even this fails.  The swap core
				 * keeps the page dirty and writes it later.
				 */
				atomic64_inc(&zx->stats.nomem_writes);
				pr_warn_ratelimited("zramx: %s: no memory for a %u-byte object, write refused\n",
						    zx->disk->disk_name,
						    comp_len);
				handle = 0;
				ret = -ENOMEM;
				goto out_free;
			}
			/* The stream was released: its buffer is stale. */
			goto compress;
		}
	}

	total = zsf_get_total_pages(zx->pool);
	zramx_update_used_max(zx, total);
	limit = READ_ONCE(zx->limit_pages);
	if (limit && total > limit) {
		zramx_stream_put(comp);
		zsf_free(zx->pool, handle);
		handle = 0;
		/* Objects of released slots may still wait in batches. */
		if (!reclaimed && zramx_gather_take(zx, 0)) {
			reclaimed = true;
			goto compress;
		}
		ret = -ENOMEM;
		goto out_free;
	}

	if (comp_len == PAGE_SIZE) {
		mem = kmap_local_page(page);
		zsf_obj_write(zx->pool, handle, mem, PAGE_SIZE);
		kunmap_local(mem);
	} else {
		zsf_obj_write(zx->pool, handle, strm->buffer, comp_len);
	}
	zramx_stream_put(comp);

	zramx_slot_lock(zx, index);
	zramx_slot_free(zx, index);
	zramx_slot_store(zx, index, handle, comp_len);
	zramx_slot_accessed(zx, index);
	zramx_slot_unlock(zx, index);
	return 0;

out_free:
	zsf_free(zx->pool, handle);
	return ret;
}

/* Part of a page: bounce through a whole page. */
static int zramx_bvec_read(struct zramx *zx, struct bio_vec *bv, u32 index,
			   u32 offset, struct bio *parent)
{
	struct page *page;
	int ret;

	if (bv->bv_len == PAGE_SIZE)
		return zramx_read_page(zx, bv->bv_page, index, parent);

	page = alloc_page(GFP_NOIO);
	if (!page)
		return -ENOMEM;
	ret = zramx_read_page(zx, page, index, NULL);
	if (!ret)
		memcpy_to_bvec(bv, page_address(page) + offset);
	__free_page(page);
	return ret;
}

static int zramx_bvec_write(struct zramx *zx, struct bio_vec *bv, u32 index,
			    u32 offset)
{
	struct page *page;
	int ret;

	if (bv->bv_len == PAGE_SIZE)
		return zramx_write_page(zx, bv->bv_page, index);

	page = alloc_page(GFP_NOIO);
	if (!page) {
		atomic64_inc(&zx->stats.nomem_writes);
		return -ENOMEM;
	}
	ret = zramx_read_page(zx, page, index, NULL);
	if (!ret) {
		memcpy_from_bvec(page_address(page) + offset, bv);
		ret = zramx_write_page(zx, page, index);
	}
	__free_page(page);
	return ret;
}

/* I/O must be in whole logical blocks and inside the device. */
static bool zramx_valid_io(struct zramx *zx, sector_t sector,
			   unsigned int size)
{
	u64 end, bound;

	if (unlikely(sector & (ZRAMX_LOGICAL_SECTORS - 1)))
		return false;
	if (unlikely(size & (ZRAMX_LOGICAL_BLOCK_SIZE - 1)))
		return false;

	end = sector + (size >> SECTOR_SHIFT);
	bound = zx->disksize >> SECTOR_SHIFT;
	return sector <= bound && end <= bound && end >= sector;
}

static void zramx_bio_discard(struct zramx *zx, struct bio *bio)
{
	u32 index = bio->bi_iter.bi_sector >> ZRAMX_SECTORS_PER_PAGE_SHIFT;
	u32 offset = (bio->bi_iter.bi_sector & (ZRAMX_SECTORS_PER_PAGE - 1)) <<
		     SECTOR_SHIFT;
	size_t n = bio->bi_iter.bi_size;

	/*
	 * Only whole pages are freed.  With 4 KiB logical blocks and 4 KiB
	 * pages that is every discard; on larger pages the partial pages
	 * at either end keep their data, as stock zram does.
	 */
	if (offset) {
		if (n <= PAGE_SIZE - offset)
			goto out;
		n -= PAGE_SIZE - offset;
		index++;
	}

	while (n >= PAGE_SIZE) {
		zramx_slot_lock(zx, index);
		zramx_slot_free(zx, index);
		zramx_slot_unlock(zx, index);
		atomic64_inc(&zx->stats.notify_free);
		index++;
		n -= PAGE_SIZE;
	}
out:
	bio_endio(bio);
}

static void zramx_bio_rw(struct zramx *zx, struct bio *bio, bool write)
{
	unsigned long start = bio_start_io_acct(bio);
	struct bvec_iter iter = bio->bi_iter;

	while (iter.bi_size) {
		u32 index = iter.bi_sector >> ZRAMX_SECTORS_PER_PAGE_SHIFT;
		u32 offset = (iter.bi_sector & (ZRAMX_SECTORS_PER_PAGE - 1)) <<
			     SECTOR_SHIFT;
		struct bio_vec bv = bio_iter_iovec(bio, iter);
		int ret;

		bv.bv_len = min_t(u32, bv.bv_len, PAGE_SIZE - offset);
		if (write) {
			ret = zramx_bvec_write(zx, &bv, index, offset);
		} else {
			ret = zramx_bvec_read(zx, &bv, index, offset, bio);
			flush_dcache_page(bv.bv_page);
		}
		if (unlikely(ret)) {
			atomic64_inc(write ? &zx->stats.failed_writes :
				     &zx->stats.failed_reads);
			bio->bi_status = errno_to_blk_status(ret);
			break;
		}
		bio_advance_iter_single(bio, &iter, bv.bv_len);
	}

	bio_end_io_acct(bio, start);
	bio_endio(bio);
}

static void zramx_submit_bio(struct bio *bio)
{
	struct zramx *zx = bio->bi_bdev->bd_disk->private_data;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		break;
	default:
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		return;
	}

	if (!zramx_valid_io(zx, bio->bi_iter.bi_sector,
			    bio->bi_iter.bi_size)) {
		atomic64_inc(&zx->stats.invalid_io);
		bio_io_error(bio);
		return;
	}

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		zramx_bio_rw(zx, bio, false);
		break;
	case REQ_OP_WRITE:
		zramx_bio_rw(zx, bio, true);
		break;
	default:
		/* A freed slot reads as zeros: write-zeroes is a discard. */
		zramx_bio_discard(zx, bio);
		break;
	}
}

#ifdef HAVE_BLK_RW_PAGE
/*
 * Swap on kernels with .rw_page uses SWP_SYNCHRONOUS_IO only when the
 * driver has it.  On an error the page is not ended: the caller retries
 * with a bio, which then fails and reports the error.
 */
static int zramx_rw_page(struct block_device *bdev, sector_t sector,
			 struct page *page, enum req_op op)
{
	struct zramx *zx = bdev->bd_disk->private_data;
	unsigned long start;
	u32 index;
	int ret;

	if (PageTransHuge(page))
		return -EOPNOTSUPP;
	if (!zramx_valid_io(zx, sector, PAGE_SIZE)) {
		atomic64_inc(&zx->stats.invalid_io);
		return -EINVAL;
	}

	index = sector >> ZRAMX_SECTORS_PER_PAGE_SHIFT;
	start = zramx_compat_rw_page_start(bdev->bd_disk, op);
	if (op_is_write(op)) {
		ret = zramx_write_page(zx, page, index);
		if (ret)
			atomic64_inc(&zx->stats.failed_writes);
	} else {
		ret = zramx_read_page(zx, page, index, NULL);
		if (ret)
			atomic64_inc(&zx->stats.failed_reads);
		else
			flush_dcache_page(page);
	}
	zramx_compat_rw_page_end(bdev->bd_disk, op, start);

	if (!ret)
		page_endio(page, op_is_write(op), 0);
	return ret;
}
#endif

/*
 * Called by swap, in atomic context under the swap core's locks, when a
 * swap slot is no longer used.  Empty the slot under a trylock and leave
 * its object to the releasing task's batch (gather.c), or free it here
 * if it cannot be gathered.  The slot leaves the statistics now, whenever
 * its object is freed.  If the slot is busy (a read or write of it is
 * running), count a miss; the slot is freed when it is next written, or
 * at reset.
 */
static void zramx_slot_free_notify(struct block_device *bdev,
				   unsigned long index)
{
	struct zramx *zx = bdev->bd_disk->private_data;
	unsigned long handle;
	unsigned int size;

	atomic64_inc(&zx->stats.notify_free);
	if (!zramx_slot_trylock(zx, index)) {
		atomic64_inc(&zx->stats.miss_free);
		return;
	}
	handle = zramx_slot_detach(zx, index, &size);
	zramx_slot_unlock(zx, index);
	if (!handle)
		return;
	zramx_obj_uncount(zx, size, 1);
	if (!zramx_gather(zx, handle))
		zsf_free(zx->pool, handle);
}

const struct block_device_operations zramx_devops = {
	.owner			= THIS_MODULE,
	.open			= zramx_compat_open,
	.submit_bio		= zramx_submit_bio,
	.swap_slot_free_notify	= zramx_slot_free_notify,
#ifdef HAVE_BLK_RW_PAGE
	.rw_page		= zramx_rw_page,
#endif
};
