// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx slot table.
 *
 * One struct zramx_slot per PAGE_SIZE block of the device, each with its
 * own spinlock_t, as stock zram has on 6.12: on PREEMPT_RT a spinlock_t
 * is a sleeping lock, and what is taken under the slot lock (the
 * per-CPU stream's local_lock, zsfast's class locks) is too, so nothing
 * sleeps with preemption disabled; elsewhere it is a plain spinlock, as
 * cheap to take and to trylock as the bit spinlock it replaces, and
 * lockdep sees it (one class for all slots of all devices, since no path
 * holds two slot locks).  The slot stays 16 bytes; the access time
 * that idle marking reads is a u32 of a parallel array, so stock zram's
 * 4 bytes a slot for it become 4 bytes here too, not 8 of padding.
 *
 * Lock order: slot lock -> per-CPU stream lock -> zsfast's locks.  The
 * write path compresses and allocates without the slot lock, and takes
 * the slot lock only to install the new object, so it never holds a
 * stream while taking a slot lock.  swap_slot_free_notify() runs under
 * the swap core's locks and only trylocks the slot.
 */

#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "zramx.h"

static void zramx_slot_set_size(struct zramx *zx, u32 index, size_t size)
{
	unsigned int *flags = &zx->table[index].flags;

	*flags = (*flags & ~ZRAMX_SIZE_MASK) | size;
}

/**
 * zramx_slot_accessed() - note a read or write of a locked slot
 * @zx: the device
 * @index: the slot
 *
 * The slot is no longer idle, and its access time is now.
 */
void zramx_slot_accessed(struct zramx *zx, u32 index)
{
	zramx_slot_clear(zx, index, ZRAMX_SLOT_IDLE);
	zx->ac_time[index] = (u32)ktime_get_boottime_seconds();
}

/**
 * zramx_slot_set_prio() - record the compressor of a locked slot's object
 * @zx: the device
 * @index: the slot
 * @prio: the compressor's priority, below ZRAMX_MAX_COMPS
 */
void zramx_slot_set_prio(struct zramx *zx, u32 index, u32 prio)
{
	unsigned int *flags = &zx->table[index].flags;

	*flags &= ~(ZRAMX_PRIO_MASK << ZRAMX_SLOT_PRIO);
	*flags |= (prio & ZRAMX_PRIO_MASK) << ZRAMX_SLOT_PRIO;
}

/**
 * zramx_slot_detach() - empty a slot, keeping its object
 * @zx: the device
 * @index: the slot, locked by the caller
 * @size: set to the object's size, 0 if there is none
 *
 * The slot reads as zeros from now on.  Its object, which nothing refers
 * to any more, is the caller's to free, under the slot lock or not, and
 * to uncount with zramx_obj_uncount(): until then compr_data_size and
 * pages_stored still count it, as the memory is still in use.
 *
 * Every flag of the slot is cleared: a recompression that selected it
 * (ZRAMX_SLOT_PP) sees that and drops its result.
 *
 * A written-back slot's block of the backing device is released here,
 * without sleeping.
 *
 * Return: the object's handle, or 0 if the slot held none (empty,
 * same-filled or written back: that is uncounted here).
 */
unsigned long zramx_slot_detach(struct zramx *zx, u32 index,
				unsigned int *size)
{
	struct zramx_slot *slot = &zx->table[index];
	unsigned long handle = slot->handle;
	unsigned int flags = slot->flags;

	slot->flags = 0;
	slot->handle = 0;
	*size = 0;
	if (flags & (1U << ZRAMX_SLOT_SAME)) {
		atomic64_dec(&zx->stats.same_pages);
		atomic64_dec(&zx->stats.pages_stored);
		return 0;
	}
	if (unlikely(flags & (1U << ZRAMX_SLOT_WB))) {
		zramx_bd_release(zx, handle);
		atomic64_dec(&zx->stats.pages_stored);
		return 0;
	}

	*size = flags & ZRAMX_SIZE_MASK;
	if (!*size)
		return 0;

	if (unlikely(flags & (1U << ZRAMX_SLOT_HUGE)))
		atomic64_dec(&zx->stats.huge_pages);
	return handle;
}

/**
 * zramx_obj_uncount() - take freed objects out of the statistics
 * @zx: the device
 * @bytes: their total size
 * @nr: how many
 */
void zramx_obj_uncount(struct zramx *zx, u64 bytes, unsigned int nr)
{
	atomic64_sub(bytes, &zx->stats.compr_data_size);
	atomic64_sub(nr, &zx->stats.pages_stored);
}

/**
 * zramx_slot_free() - drop what a slot holds
 * @zx: the device
 * @index: the slot, locked by the caller
 *
 * The object goes straight back to zsfast with zsf_free(), which never
 * sleeps.
 */
void zramx_slot_free(struct zramx *zx, u32 index)
{
	unsigned int size;
	unsigned long handle = zramx_slot_detach(zx, index, &size);

	if (handle) {
		zsf_free(zx->pool, handle);
		zramx_obj_uncount(zx, size, 1);
	}
}

/**
 * zramx_slot_store() - install an object in an empty, locked slot
 * @zx: the device
 * @index: the slot
 * @handle: the object
 * @size: its size; PAGE_SIZE means stored uncompressed
 *
 * The object is the primary compressor's; a recompression sets the
 * priority of its own with zramx_slot_set_prio().
 */
void zramx_slot_store(struct zramx *zx, u32 index, unsigned long handle,
		      unsigned int size)
{
	zx->table[index].handle = handle;
	zramx_slot_set_size(zx, index, size);
	if (size == PAGE_SIZE) {
		zramx_slot_set(zx, index, ZRAMX_SLOT_HUGE);
		atomic64_inc(&zx->stats.huge_pages);
		atomic64_inc(&zx->stats.huge_pages_since);
	}
	atomic64_add(size, &zx->stats.compr_data_size);
	atomic64_inc(&zx->stats.pages_stored);
}

/**
 * zramx_slot_store_same() - mark an empty, locked slot same-filled
 * @zx: the device
 * @index: the slot
 * @value: the word the page is filled with
 */
void zramx_slot_store_same(struct zramx *zx, u32 index, unsigned long value)
{
	zx->table[index].handle = value;
	zramx_slot_set(zx, index, ZRAMX_SLOT_SAME);
	atomic64_inc(&zx->stats.same_pages);
	atomic64_inc(&zx->stats.pages_stored);
}

/**
 * zramx_slot_store_wb() - mark an empty, locked slot written back
 * @zx: the device
 * @index: the slot
 * @blk: the block of the backing device that holds its page
 * @size: 0 if the block holds the page; else the size of the object it
 *        holds, as the pool held it (PAGE_SIZE: uncompressed)
 * @prio: the priority of the object's compressor
 */
void zramx_slot_store_wb(struct zramx *zx, u32 index, unsigned long blk,
			 unsigned int size, u32 prio)
{
	zx->table[index].handle = blk;
	zramx_slot_set_size(zx, index, size);
	zramx_slot_set_prio(zx, index, prio);
	zramx_slot_set(zx, index, ZRAMX_SLOT_WB);
	atomic64_inc(&zx->stats.pages_stored);
}

/**
 * zramx_meta_alloc() - allocate the slot table and the pool
 * @zx: the device, not initialized
 * @disksize: its size in bytes, a multiple of PAGE_SIZE
 *
 * Return: 0, or -ENOMEM.
 */
int zramx_meta_alloc(struct zramx *zx, u64 disksize)
{
	size_t num_pages = disksize >> PAGE_SHIFT;
	size_t bytes = array_size(num_pages, sizeof(*zx->table));
	size_t index;

	BUILD_BUG_ON(BITS_PER_TYPE(zx->table->flags) < __NR_ZRAMX_SLOT_FLAGS);
	BUILD_BUG_ON(ZRAMX_MAX_COMPS - 1 > ZRAMX_PRIO_MASK);

	/* A huge disksize is the user's mistake: fail quietly. */
	zx->table = __vmalloc(bytes, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN |
			      __GFP_RETRY_MAYFAIL);
	zx->ac_time = __vmalloc(array_size(num_pages, sizeof(*zx->ac_time)),
				GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN |
				__GFP_RETRY_MAYFAIL);
	if (!zx->table || !zx->ac_time)
		goto err;
	for (index = 0; index < num_pages; index++)
		spin_lock_init(&zx->table[index].lock);

	zx->pool = zsf_create_pool(zx->disk->disk_name);
	if (!zx->pool)
		goto err;
	zx->huge_class_size = zsf_huge_class_size(zx->pool);
	return 0;
err:
	vfree(zx->ac_time);
	zx->ac_time = NULL;
	vfree(zx->table);
	zx->table = NULL;
	return -ENOMEM;
}

/**
 * zramx_meta_free() - free every slot, the pool and the table
 * @zx: the device; no I/O may be in flight
 */
void zramx_meta_free(struct zramx *zx)
{
	size_t num_pages = zx->disksize >> PAGE_SHIFT;
	size_t index;

	if (!zx->table)
		return;

	for (index = 0; index < num_pages; index++) {
		zramx_slot_lock(zx, index);
		zramx_slot_free(zx, index);
		zramx_slot_unlock(zx, index);
		if (!(index % 4096))
			cond_resched();
	}

	zsf_destroy_pool(zx->pool);
	zx->pool = NULL;
	vfree(zx->ac_time);
	zx->ac_time = NULL;
	vfree(zx->table);
	zx->table = NULL;
}
