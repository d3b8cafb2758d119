/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block-layer differences that zramx meets across kernels, behind the
 * feature names of features-zramx.txt.  Nothing in src/zramx/ tests a
 * kernel version; it uses the helpers below or a HAVE_* name.
 */
#ifndef _ZSF_COMPAT_ZRAMX_H_
#define _ZSF_COMPAT_ZRAMX_H_

#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "compat/compat.h"

/* zramx stores data in pages; it accepts I/O in 4 KiB blocks. */
#define ZRAMX_LOGICAL_BLOCK_SIZE	4096

/*
 * Tasks that may not return to user space soon, or ever, and so must not
 * be left a task_work to run there: kernel threads, and the user-worker
 * threads (io_uring, vhost) that run kernel loops (PF_USER_WORKER is
 * v6.4+).
 */
#ifdef PF_USER_WORKER
#define ZRAMX_PF_NO_USER_RETURN	(PF_KTHREAD | PF_IO_WORKER | PF_USER_WORKER)
#else
#define ZRAMX_PF_NO_USER_RETURN	(PF_KTHREAD | PF_IO_WORKER)
#endif

/*
 * Gathering (gather.c) leaves a task_work, which is module text, on the
 * releasing task, and its callback returns through our text after it has
 * dropped its module reference.  Module exit must wait for such returns:
 * synchronize_rcu_tasks() does (a task passes a voluntary context switch
 * only once it has left the callback, which never sleeps), and so does a
 * normal grace period on a kernel that cannot be preempted.  zramx frees
 * released objects in place where it cannot gather:
 *  - a preemptible kernel without TASKS_RCU has no such wait;
 *  - a kernel whose Module.symvers does not export task_work_add (the
 *    symbol lists of Android's GKI leave it out), or a build with
 *    ZSF_NO_TASK_WORK=1, which stands for one.
 * Then neither task_work_add nor synchronize_rcu_tasks is referenced.
 */
#if (defined(CONFIG_TASKS_RCU) || !defined(CONFIG_PREEMPTION)) && \
	defined(HAVE_TASK_WORK_ADD_EXPORT) && !defined(ZSF_NO_TASK_WORK)
#define ZRAMX_CAN_GATHER	1
#else
#define ZRAMX_CAN_GATHER	0
#endif

#if ZRAMX_CAN_GATHER
#include <linux/task_work.h>

static inline int zramx_compat_task_work_add(struct callback_head *work)
{
	return task_work_add(current, work, TWA_RESUME);
}

static inline void zramx_compat_sync_task_callbacks(void)
{
#ifdef CONFIG_TASKS_RCU
	synchronize_rcu_tasks();
#else
	synchronize_rcu();
#endif
}
#else
static inline int zramx_compat_task_work_add(struct callback_head *work)
{
	return -EOPNOTSUPP;
}

/* No task was ever left a callback. */
static inline void zramx_compat_sync_task_callbacks(void)
{
}
#endif

/* Class attribute callbacks: const struct class since v6.4. */
#ifdef HAVE_CONST_CLASS_ATTR
#define ZRAMX_CLASS_CONST	const
#else
#define ZRAMX_CLASS_CONST
#endif

/*
 * block_device_operations.open(): the driver implements
 * zramx_disk_open(), and the fops point at zramx_compat_open(), whose
 * prototype is the one this kernel wants.
 */
int zramx_disk_open(struct gendisk *disk);

#ifdef HAVE_BLK_OPEN_GENDISK
static inline int zramx_compat_open(struct gendisk *disk, blk_mode_t mode)
{
	return zramx_disk_open(disk);
}
#else
static inline int zramx_compat_open(struct block_device *bdev, fmode_t mode)
{
	return zramx_disk_open(bdev->bd_disk);
}
#endif

/**
 * zramx_compat_alloc_disk() - allocate a gendisk with zramx's queue limits
 *
 * 4 KiB logical blocks, PAGE_SIZE physical blocks and I/O sizes, discard
 * and write-zeroes without a size limit, stable pages, non-rotational,
 * no entropy contribution, and, where the kernel has queue features,
 * BLK_FEAT_SYNCHRONOUS (swap then uses SWP_SYNCHRONOUS_IO).  Kernels
 * without queue features get SWP_SYNCHRONOUS_IO from .rw_page instead.
 *
 * Return: the disk, or an ERR_PTR() on failure.
 */
static inline struct gendisk *zramx_compat_alloc_disk(void)
{
#ifdef HAVE_BLK_ALLOC_DISK_LIMITS
	struct queue_limits lim = {
		.logical_block_size		= ZRAMX_LOGICAL_BLOCK_SIZE,
		.physical_block_size		= PAGE_SIZE,
		.io_min				= PAGE_SIZE,
		.io_opt				= PAGE_SIZE,
		.discard_granularity		= PAGE_SIZE,
		.max_hw_discard_sectors		= UINT_MAX,
		.max_write_zeroes_sectors	= UINT_MAX,
#ifdef HAVE_BLK_FEAT_SYNCHRONOUS
		.features			= BLK_FEAT_STABLE_WRITES |
						  BLK_FEAT_SYNCHRONOUS,
#endif
	};

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
#else
	struct gendisk *disk;
	struct request_queue *q;

	disk = blk_alloc_disk(NUMA_NO_NODE);
	if (!disk)
		return ERR_PTR(-ENOMEM);

	q = disk->queue;
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	blk_queue_flag_set(QUEUE_FLAG_STABLE_WRITES, q);
	blk_queue_physical_block_size(q, PAGE_SIZE);
	blk_queue_logical_block_size(q, ZRAMX_LOGICAL_BLOCK_SIZE);
	blk_queue_io_min(q, PAGE_SIZE);
	blk_queue_io_opt(q, PAGE_SIZE);
	q->limits.discard_granularity = PAGE_SIZE;
	blk_queue_max_discard_sectors(q, UINT_MAX);
	blk_queue_max_write_zeroes_sectors(q, UINT_MAX);
	return disk;
#endif
}

#ifdef HAVE_BLK_RW_PAGE
/* I/O accounting for .rw_page, which has no bio to account. */
static inline unsigned long
zramx_compat_rw_page_start(struct gendisk *disk, enum req_op op)
{
#ifdef HAVE_BDEV_IO_ACCT_SECTORS
	return bdev_start_io_acct(disk->part0, PAGE_SIZE >> SECTOR_SHIFT, op,
				  jiffies);
#else
	return jiffies;
#endif
}

static inline void zramx_compat_rw_page_end(struct gendisk *disk,
					    enum req_op op,
					    unsigned long start)
{
#ifdef HAVE_BDEV_IO_ACCT_SECTORS
	bdev_end_io_acct(disk->part0, op, start);
#endif
}
#endif /* HAVE_BLK_RW_PAGE */

/* The unbound system workqueue, under the name the kernel prefers. */
#ifdef HAVE_SYSTEM_DFL_WQ
#define zramx_compat_unbound_wq		system_dfl_wq
#else
#define zramx_compat_unbound_wq		system_unbound_wq
#endif

#endif /* _ZSF_COMPAT_ZRAMX_H_ */
