// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx writeback: stored pages moved to a backing block device, as stock
 * zram's CONFIG_ZRAM_WRITEBACK does it.
 *
 * backing_dev names a block device (a disk or a partition), which is
 * opened exclusively while the device is not initialized and closed at
 * reset.  Each of its blocks of PAGE_SIZE holds one page, uncompressed;
 * or, with compressed_writeback set, one object as the pool held it
 * (compressed, or the page if it did not compress), zero-filled after
 * its end, which a read decompresses once the block is in (io.c): the
 * slot keeps that object's size and compressor.  A bitmap says which
 * blocks are in use; blocks are taken and given back with atomic bit
 * operations, so that swap_slot_free_notify() releases a written-back
 * slot's block in atomic context without sleeping (zramx_slot_detach()).
 *
 * Writeback takes the slots one at a time, as recompression does
 * (recomp.c):
 *   1. under the slot lock: select the slot, read it into a private page
 *      (decompressed, or as stored), and mark it ZRAMX_SLOT_PP;
 *   2. without locks: take a free block, write the page there and wait;
 *   3. under the slot lock again: if the slot is still ZRAMX_SLOT_PP,
 *      nothing wrote or freed it meanwhile, so it holds the object that
 *      was read: that is freed and the slot points to the block;
 *      otherwise the block is given back.
 * A write error gives the block back and leaves the slot as it was, in
 * memory: nothing is lost.  The request goes on with the next slot and
 * returns the last error, as stock zram does.  Pages are written one at
 * a time and waited for: writeback_batch_size is kept for the ABI only.
 * The caller holds init_lock for writing, which also guards the budget
 * (writeback_limit).
 *
 * A read of a written-back slot for a bio that holds its whole page is a
 * bio chained to that one, as stock zram's: it is submitted inside our
 * own submit_bio() and dispatched when we return (current->bio_list).
 * Any other read (a part of a page; .rw_page; a block that holds a
 * compressed object, which is decompressed once it is in) must wait, so
 * it submits its bio from a worker and waits for that, as stock zram's
 * synchronous read does: waiting for a bio queued on our own bio_list
 * would never end.  Stock zram reads a compressed block asynchronously
 * and decompresses it in a worker; zramx waits, so a swap readahead over
 * such blocks reads them one after the other.
 */

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "zramx.h"

#define ZRAMX_NO_BLOCK		ULONG_MAX
/* The budget counts 4 KiB units, as stock zram's. */
#define ZRAMX_WB_UNITS		(PAGE_SIZE / SZ_4K)

/**
 * zramx_bd_open() - set up the backing device
 * @zx: the device, not initialized, with init_lock held for writing
 * @path: the block device's path
 *
 * Any backing device set before is closed first, once the new one is
 * open.
 *
 * Return: 0; the error of opening @path (-ENOENT, -EBUSY if another
 * holder has it exclusively...); -ENOTBLK if it is no block device;
 * -EINVAL if it holds no whole page (zramx itself, not initialized, is
 * such a device); -ENOMEM.
 */
int zramx_bd_open(struct zramx *zx, const char *path)
{
	unsigned long nr, *bitmap;
	struct inode *inode;
	struct file *file;
	int ret;

	file = filp_open(path, O_RDWR | O_LARGEFILE | O_EXCL, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);

	inode = file->f_mapping->host;
	ret = -ENOTBLK;
	if (!S_ISBLK(inode->i_mode))
		goto err;
	nr = i_size_read(inode) >> PAGE_SHIFT;
	ret = -EINVAL;
	if (!nr)
		goto err;
	ret = -ENOMEM;
	bitmap = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	if (!bitmap)
		goto err;

	zramx_bd_close(zx);
	zx->bd_file = file;
	zx->bdev = I_BDEV(inode);
	zx->bd_bitmap = bitmap;
	zx->bd_nr_pages = nr;
	return 0;
err:
	filp_close(file, NULL);
	return ret;
}

/**
 * zramx_bd_close() - close the backing device, if there is one
 * @zx: the device, with no slot written back (reset frees them first)
 */
void zramx_bd_close(struct zramx *zx)
{
	if (!zx->bd_file)
		return;
	filp_close(zx->bd_file, NULL);
	zx->bd_file = NULL;
	zx->bdev = NULL;
	kvfree(zx->bd_bitmap);
	zx->bd_bitmap = NULL;
	zx->bd_nr_pages = 0;
}

/* Take a free block, or ZRAMX_NO_BLOCK if there is none. */
static unsigned long zramx_bd_reserve(struct zramx *zx)
{
	unsigned long blk = 0;

	do {
		blk = find_next_zero_bit(zx->bd_bitmap, zx->bd_nr_pages, blk);
		if (blk >= zx->bd_nr_pages)
			return ZRAMX_NO_BLOCK;
	} while (test_and_set_bit(blk, zx->bd_bitmap));
	atomic64_inc(&zx->stats.bd_count);
	return blk;
}

/**
 * zramx_bd_release() - give a block of the backing device back
 * @zx: the device
 * @blk: the block
 *
 * Context: any context; does not sleep.
 */
void zramx_bd_release(struct zramx *zx, unsigned long blk)
{
	WARN_ON_ONCE(!test_and_clear_bit(blk, zx->bd_bitmap));
	atomic64_dec(&zx->stats.bd_count);
}

/* Read or write one block, synchronously. */
static int zramx_bd_rw(struct zramx *zx, unsigned long blk, struct page *page,
		       blk_opf_t opf)
{
	struct bio_vec bvec;
	struct bio bio;
	int ret;

	bio_init(&bio, zx->bdev, &bvec, 1, opf);
	bio.bi_iter.bi_sector = (sector_t)blk << ZRAMX_SECTORS_PER_PAGE_SHIFT;
	__bio_add_page(&bio, page, PAGE_SIZE, 0);
	ret = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return ret;
}

struct zramx_bd_req {
	struct work_struct work;
	struct zramx *zx;
	unsigned long blk;
	struct page *page;
	int ret;
};

static void zramx_bd_read_work(struct work_struct *work)
{
	struct zramx_bd_req *req = container_of(work, struct zramx_bd_req,
						 work);

	req->ret = zramx_bd_rw(req->zx, req->blk, req->page, REQ_OP_READ);
}

/**
 * zramx_bd_read() - read a written-back page
 * @zx: the device
 * @blk: its block
 * @page: where to put it
 *
 * Context: process context, may sleep.
 * Return: 0, or the error of the backing device.
 */
int zramx_bd_read(struct zramx *zx, unsigned long blk, struct page *page)
{
	struct zramx_bd_req req = { .zx = zx, .blk = blk, .page = page };

	atomic64_inc(&zx->stats.bd_reads);
	INIT_WORK_ONSTACK(&req.work, zramx_bd_read_work);
	queue_work(zramx_compat_unbound_wq, &req.work);
	flush_work(&req.work);
	destroy_work_on_stack(&req.work);
	if (req.ret)
		pr_err_ratelimited("zramx: %s: reading block %lu of the backing device failed: %d\n",
				   zx->disk->disk_name, blk, req.ret);
	return req.ret;
}

/**
 * zramx_bd_read_chained() - read a written-back page, chained to a bio
 * @zx: the device
 * @blk: its block
 * @page: where to put it
 * @parent: the bio being served; it completes once this read has, and
 *          fails if it fails
 *
 * The read is only submitted: inside our submit_bio() it is dispatched
 * when we return, so nothing waits for it here.
 */
void zramx_bd_read_chained(struct zramx *zx, unsigned long blk,
			   struct page *page, struct bio *parent)
{
	struct bio *bio = bio_alloc(zx->bdev, 1, parent->bi_opf, GFP_NOIO);

	atomic64_inc(&zx->stats.bd_reads);
	bio->bi_iter.bi_sector = (sector_t)blk << ZRAMX_SECTORS_PER_PAGE_SHIFT;
	__bio_add_page(bio, page, PAGE_SIZE, 0);
	bio_chain(bio, parent);
	submit_bio(bio);
}

/* Which slots a writeback takes. */
struct zramx_wb_mode {
	bool idle, huge, incompressible;
};

/* Step 1: select a locked slot.  1 if selected, 0 if not, or -EIO. */
static int zramx_wb_select(struct zramx *zx, const struct zramx_wb_mode *m,
			   u32 index, struct page *page)
{
	int ret;

	if (!zramx_slot_has_obj(zx, index) ||
	    (m->idle && !zramx_slot_test(zx, index, ZRAMX_SLOT_IDLE)) ||
	    (m->huge && !zramx_slot_test(zx, index, ZRAMX_SLOT_HUGE)) ||
	    (m->incompressible &&
	     !zramx_slot_test(zx, index, ZRAMX_SLOT_INCOMPRESSIBLE)))
		return 0;
	ret = zramx_slot_read(zx, index, page, zx->wb_compressed);
	if (ret)
		return ret;
	zramx_slot_set(zx, index, ZRAMX_SLOT_PP);
	return 1;
}

/* Step 2: write @page to a new block; the block, or ZRAMX_NO_BLOCK. */
static unsigned long zramx_wb_write(struct zramx *zx, struct page *page,
				    int *ret)
{
	unsigned long blk;

	if (READ_ONCE(zx->wb_limit_enable) && !zx->wb_limit) {
		*ret = -EIO;
		return ZRAMX_NO_BLOCK;
	}
	blk = zramx_bd_reserve(zx);
	if (blk == ZRAMX_NO_BLOCK) {
		*ret = -ENOSPC;
		return blk;
	}

	*ret = zramx_bd_rw(zx, blk, page, REQ_OP_WRITE);
	if (*ret) {
		pr_err_ratelimited("zramx: %s: writing block %lu of the backing device failed: %d\n",
				   zx->disk->disk_name, blk, *ret);
		zramx_bd_release(zx, blk);
		return ZRAMX_NO_BLOCK;
	}
	atomic64_inc(&zx->stats.bd_writes);
	if (READ_ONCE(zx->wb_limit_enable))
		zx->wb_limit -= min_t(u64, zx->wb_limit, ZRAMX_WB_UNITS);
	return blk;
}

/* Write slot @index back; 0 or a negative errno. */
static int zramx_wb_slot(struct zramx *zx, const struct zramx_wb_mode *m,
			 u32 index, struct page *page)
{
	unsigned long blk = ZRAMX_NO_BLOCK, handle = 0;
	unsigned int size;
	u32 prio;
	int ret;

	zramx_slot_lock(zx, index);
	ret = zramx_wb_select(zx, m, index, page);
	zramx_slot_unlock(zx, index);
	if (ret <= 0)
		return ret;

	blk = zramx_wb_write(zx, page, &ret);

	zramx_slot_lock(zx, index);
	if (zramx_slot_test(zx, index, ZRAMX_SLOT_PP)) {
		zramx_slot_clear(zx, index, ZRAMX_SLOT_PP);
		if (blk != ZRAMX_NO_BLOCK) {
			prio = zramx_slot_prio(zx, index);
			handle = zramx_slot_detach(zx, index, &size);
			zramx_slot_store_wb(zx, index, blk,
					    zx->wb_compressed ? size : 0, prio);
			blk = ZRAMX_NO_BLOCK;
		}
	}
	zramx_slot_unlock(zx, index);

	/* Written, but the slot changed meanwhile: the block is not needed. */
	if (blk != ZRAMX_NO_BLOCK)
		zramx_bd_release(zx, blk);
	if (handle) {
		zsf_free(zx->pool, handle);
		zramx_obj_uncount(zx, size, 1);
	}
	return ret;
}

/**
 * zramx_writeback() - write stored pages to the backing device
 * @zx: the device, initialized, with a backing device, and init_lock held
 *      for writing
 * @lo: the first slot to consider
 * @hi: one past the last
 * @idle: only idle slots
 * @huge: only slots stored uncompressed
 * @incompressible: only slots no secondary algorithm could shrink
 *
 * Context: process context, may sleep.
 * Return: 0; -EIO once the budget (writeback_limit) is spent; -ENOSPC
 * once the backing device is full; otherwise the last error of a write
 * (the other slots were written back) or of a slot that does not
 * decompress.
 */
int zramx_writeback(struct zramx *zx, u32 lo, u32 hi, bool idle, bool huge,
		    bool incompressible)
{
	const struct zramx_wb_mode m = {
		.idle = idle, .huge = huge, .incompressible = incompressible,
	};
	struct page *page;
	int ret = 0, err;
	u32 index;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	for (index = lo; index < hi; index++) {
		err = zramx_wb_slot(zx, &m, index, page);
		if (err) {
			ret = err;
			if (err == -ENOSPC ||
			    (err == -EIO && READ_ONCE(zx->wb_limit_enable) &&
			     !zx->wb_limit))
				break;
		}
		cond_resched();
	}
	__free_page(page);
	return ret;
}
