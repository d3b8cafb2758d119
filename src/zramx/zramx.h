/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zramx: a zram-compatible compressed swap block device on zsfast.
 *
 * Internal declarations shared by the files of zramx.ko:
 *   main.c     module init/exit, device lifecycle, hot_add/hot_remove
 *   io.c       bio and rw_page handling, page read/write/discard
 *   slots.c    the slot table and its per-slot lock
 *   gather.c   released swap slots, freed in batches by the releasing task
 *   comp.c     per-CPU compression streams, CPU hotplug
 *   backends.c the compressors (lzo, lzo-rle, lz4, lz4hc, zstd)
 *   recomp.c   idle marking and recompression of stored pages
 *   writeback.c the backing device and writeback to it
 *   sysfs.c    the per-device attributes
 */
#ifndef _ZRAMX_H_
#define _ZRAMX_H_

#include <linux/atomic.h>
#include <linux/blkdev.h>
#include <linux/cpuhotplug.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/local_lock.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/swait.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <zsfast.h>

#include "compat/compat_zramx.h"

#define ZRAMX_SECTORS_PER_PAGE_SHIFT	(PAGE_SHIFT - SECTOR_SHIFT)
#define ZRAMX_SECTORS_PER_PAGE		(1 << ZRAMX_SECTORS_PER_PAGE_SHIFT)
#define ZRAMX_LOGICAL_SECTORS		(ZRAMX_LOGICAL_BLOCK_SIZE >> SECTOR_SHIFT)

/* Device ids are minors; this many devices at most. */
#define ZRAMX_MAX_DEVICES		1024

/* Default compressor, as stock zram of 6.1. */
#define ZRAMX_DEFAULT_COMP		"lzo-rle"

/*
 * Compressors by priority, as stock zram's: the primary one compresses
 * every write; secondary ones (1 .. ZRAMX_MAX_COMPS - 1) recompress
 * stored pages on request.  A slot records the priority it was
 * compressed with, in two bits.
 */
#define ZRAMX_PRIMARY_COMP		0U
#define ZRAMX_SECONDARY_COMP		1U
#define ZRAMX_MAX_COMPS			4U
#define ZRAMX_PRIO_MASK			0x3U

/*
 * A device counts its tasks' pending batches of released slots in
 * 1 << ZRAMX_GATHER_OWNER_BITS counters, by a hash of the task (gather.c).
 */
#define ZRAMX_GATHER_OWNER_BITS		8

/*
 * Object allocation.  Fast: no direct reclaim, called with a stream held.
 * Slow: may reclaim, but must not recurse into I/O.  zsfast drops
 * __GFP_MOVABLE where its pages cannot be movable.
 */
#define ZRAMX_GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN | \
				 __GFP_HIGHMEM | __GFP_MOVABLE)
#define ZRAMX_GFP_WAIT		(GFP_NOIO | __GFP_NOWARN | __GFP_HIGHMEM | \
				 __GFP_MOVABLE)

/* A compression level nobody set: the backend's default. */
#define ZRAMX_PARAM_NOT_SET		INT_MIN

/*
 * Slot flags word: the low ZRAMX_FLAG_SHIFT bits hold the stored object's
 * size (0 .. PAGE_SIZE), the bits above are enum zramx_slot_flag.
 */
#define ZRAMX_FLAG_SHIFT		(PAGE_SHIFT + 1)
#define ZRAMX_SIZE_MASK			((1U << ZRAMX_FLAG_SHIFT) - 1)

enum zramx_slot_flag {
	/* same-filled: ->handle holds the value */
	ZRAMX_SLOT_SAME = ZRAMX_FLAG_SHIFT,
	ZRAMX_SLOT_HUGE,	/* stored uncompressed, size PAGE_SIZE */
	ZRAMX_SLOT_IDLE,	/* not accessed since it was marked idle */
	ZRAMX_SLOT_PP,		/* being recompressed; cleared by a write */
	ZRAMX_SLOT_INCOMPRESSIBLE, /* no secondary compressor shrank it */
	/*
	 * written back: ->handle is the block of the backing device; the
	 * size is 0 if the block holds the page, else that of the object
	 * it holds (compressed_writeback), with its priority
	 */
	ZRAMX_SLOT_WB,
	ZRAMX_SLOT_PRIO,	/* two bits: the compressor's priority */
	ZRAMX_SLOT_PRIO_HI = ZRAMX_SLOT_PRIO + 1,
	__NR_ZRAMX_SLOT_FLAGS,
};

/**
 * struct zramx_slot - one PAGE_SIZE block of the device
 * @handle: the zsfast handle of the stored object, or for a same-filled
 *          page the fill value
 * @flags:  object size and enum zramx_slot_flag bits
 * @lock:   the slot lock (slots.c); 16 bytes in all without lock debugging
 *
 * A slot is empty when its size is 0 and it is neither same-filled nor
 * written back; empty slots read as zeros, and their flags are all
 * clear.  Every field is
 * read and written under @lock.  The slot's last access time is kept
 * beside the table, in struct zramx's @ac_time, under the same lock.
 */
struct zramx_slot {
	unsigned long handle;
	unsigned int flags;
	spinlock_t lock;
};

/* Statistics: the fields behind mm_stat, io_stat and debug_stat. */
struct zramx_stats {
	atomic64_t compr_data_size;	/* bytes of stored objects */
	atomic64_t failed_reads;
	atomic64_t failed_writes;
	atomic64_t invalid_io;		/* misaligned or out of range */
	atomic64_t notify_free;		/* slot free notifications + discards */
	atomic64_t same_pages;		/* same-filled pages stored */
	atomic64_t huge_pages;		/* incompressible pages stored */
	atomic64_t huge_pages_since;	/* ... since the device was set up */
	atomic64_t pages_stored;	/* slots holding data */
	atomic_long_t max_used_pages;	/* pool size high-water mark */
	atomic64_t writestall;		/* writes that took the slow path */
	atomic64_t nomem_writes;	/* writes refused for want of memory */
	atomic64_t miss_free;		/* notifications that lost a trylock */
	atomic64_t gathers;		/* batches of released slots started */
	atomic64_t gathered;		/* objects their tasks freed */
	atomic64_t gather_taken;	/* objects the device freed for them */
	atomic64_t bd_count;		/* pages on the backing device */
	atomic64_t bd_reads;		/* ... read from it */
	atomic64_t bd_writes;		/* ... written to it */
};

/**
 * struct zramx_params - a compressor's parameters, from algorithm_params
 * @level:   compression level, or ZRAMX_PARAM_NOT_SET
 * @dict:    dictionary (vmalloc()ed), or NULL
 * @dict_sz: its size in bytes
 * @priv:    what the backend's setup made of them, shared by the
 *           streams of every CPU
 */
struct zramx_params {
	s32 level;
	void *dict;
	size_t dict_sz;
	void *priv;
};

/**
 * struct zramx_backend - a compressor
 * @name:       its name in comp_algorithm
 * @setup:      check @params, set the defaults and build @params->priv;
 *              process context.  Return 0, or -EOPNOTSUPP for a
 *              parameter the compressor does not have, or -EINVAL for a
 *              value out of its range
 * @release:    free @params->priv; optional
 * @create:     allocate a per-stream context; process context
 * @destroy:    free it
 * @compress:   compress PAGE_SIZE bytes at @src into @dst, which holds
 *              2 * PAGE_SIZE bytes; store the output length
 * @decompress: decompress @src_len bytes into exactly PAGE_SIZE bytes
 *
 * compress and decompress run with preemption disabled and must not
 * sleep.  They return 0 or a negative errno.
 */
struct zramx_backend {
	const char *name;
	int (*setup)(struct zramx_params *params);
	void (*release)(struct zramx_params *params);
	void *(*create)(const struct zramx_params *params);
	void (*destroy)(void *ctx);
	int (*compress)(void *ctx, const void *src, void *dst,
			unsigned int *dst_len);
	int (*decompress)(void *ctx, const void *src, unsigned int src_len,
			  void *dst);
};

/**
 * struct zramx_strm - a per-CPU compression stream
 * @lock:   taken while the stream is in use
 * @buffer: 2 * PAGE_SIZE bytes: compression output, and the local copy
 *          for zsf_obj_read_begin() on reads
 * @ctx:    the backend's context
 */
struct zramx_strm {
	local_lock_t lock;
	void *buffer;
	void *ctx;
};

/**
 * struct zramx_comp - a device's compressor with its per-CPU streams
 * @backend: the compressor
 * @params:  its parameters, fixed while the compressor lives
 * @stream:  one stream per CPU, set up by CPU hotplug callbacks
 * @node:    instance of the module's dynamic cpuhp state
 */
struct zramx_comp {
	const struct zramx_backend *backend;
	struct zramx_params params;
	struct zramx_strm __percpu *stream;
	struct hlist_node node;
};

/**
 * struct zramx - one /dev/zramxN
 * @table:           the slot table, disksize / PAGE_SIZE entries
 * @ac_time:         per slot, the boot time in seconds of its last read
 *                   or write; under the slot's lock
 * @pool:            the zsfast pool holding compressed objects
 * @comps:           by priority, compressors and streams, while
 *                   initialized; NULL where no algorithm is selected
 * @backends:        by priority, the algorithms selected for the next
 *                   initialization; the primary one is never NULL
 * @params:          by priority, their parameters (algorithm_params);
 *                   the dictionaries are the device's, lent to @comps
 * @disk:            the gendisk
 * @init_lock:       serializes initialization and reset against the
 *                   sysfs attributes
 * @limit_pages:     mem_limit in pages, 0 for none
 * @huge_class_size: objects this large or larger are stored whole
 * @disksize:        bytes; nonzero iff initialized
 * @stats:           statistics
 * @claim:           set while reset or removal runs; open fails then.
 *                   Protected by the disk's open_mutex.
 * @gather_slot:     per CPU, the batch of released handles last started
 *                   there, and the local lock that guards it (gather.c)
 * @gather_lock:     protects @gather_list, @gathers and @gather_owned
 * @gather_list:     batches not yet taken off the device, in start
 *                   order, and the cursor of a zramx_gather_take() walk
 * @gather_walk:     serializes zramx_gather_take()'s walks of @gather_list
 * @gather_owned:    batches on @gather_list (or about to be), counted by
 *                   a hash of their task: what gather_batches bounds
 * @gathers:         batches whose handles are not yet freed; the pool
 *                   stays while there are any
 * @gather_wq:       zramx_gather_drain() sleeps here (a simple wait
 *                   queue: its lock is raw, woken under @gather_lock)
 * @gather_reap:     frees batches that waited too long for their task
 * @gather_shrinker: frees pending batches under memory pressure (NULL
 *                   where zramx does not gather)
 * @bd_file:         the backing device, opened exclusively, or NULL; set
 *                   and cleared only while not initialized, under
 *                   init_lock
 * @bdev:            its block device
 * @bd_bitmap:       its blocks of PAGE_SIZE in use, one bit each; set and
 *                   cleared atomically (the release path cannot sleep)
 * @bd_nr_pages:     its size in blocks
 * @wb_limit_enable: whether @wb_limit applies; read and written without
 *                   a lock (READ_ONCE/WRITE_ONCE): a writeback that sees
 *                   it change halfway applies it from then on
 * @wb_limit:        writeback budget in 4 KiB units; under init_lock,
 *                   which writeback holds while it counts it down
 * @wb_batch_size:   writeback_batch_size, kept for the ABI; no lock
 * @wb_compressed:   compressed_writeback: write objects back as stored;
 *                   set only while not initialized, under init_lock,
 *                   which writeback holds
 */
struct zramx {
	struct zramx_slot *table;
	u32 *ac_time;
	struct zsf_pool *pool;
	struct zramx_comp *comps[ZRAMX_MAX_COMPS];
	const struct zramx_backend *backends[ZRAMX_MAX_COMPS];
	struct zramx_params params[ZRAMX_MAX_COMPS];
	struct gendisk *disk;
	struct rw_semaphore init_lock;
	unsigned long limit_pages;
	size_t huge_class_size;
	u64 disksize;
	struct zramx_stats stats;
	bool claim;
	struct zramx_gather_slot __percpu *gather_slot;
	raw_spinlock_t gather_lock;
	struct list_head gather_list;
	struct mutex gather_walk;
	u16 gather_owned[1 << ZRAMX_GATHER_OWNER_BITS];
	unsigned int gathers;
	struct swait_queue_head gather_wq;
	struct delayed_work gather_reap;
	struct shrinker *gather_shrinker;
	struct file *bd_file;
	struct block_device *bdev;
	unsigned long *bd_bitmap;
	unsigned long bd_nr_pages;
	bool wb_limit_enable;
	u64 wb_limit;
	u32 wb_batch_size;
	bool wb_compressed;
};

static inline bool zramx_init_done(struct zramx *zx)
{
	return zx->disksize != 0;
}

/* slots.c */
static inline void zramx_slot_lock(struct zramx *zx, u32 index)
{
	spin_lock(&zx->table[index].lock);
}

static inline bool zramx_slot_trylock(struct zramx *zx, u32 index)
{
	return spin_trylock(&zx->table[index].lock);
}

static inline void zramx_slot_unlock(struct zramx *zx, u32 index)
{
	spin_unlock(&zx->table[index].lock);
}

static inline bool zramx_slot_test(struct zramx *zx, u32 index,
				   enum zramx_slot_flag flag)
{
	return zx->table[index].flags & (1U << flag);
}

static inline size_t zramx_slot_size(struct zramx *zx, u32 index)
{
	return zx->table[index].flags & ZRAMX_SIZE_MASK;
}

static inline u32 zramx_slot_prio(struct zramx *zx, u32 index)
{
	return (zx->table[index].flags >> ZRAMX_SLOT_PRIO) & ZRAMX_PRIO_MASK;
}

static inline void zramx_slot_set(struct zramx *zx, u32 index,
				  enum zramx_slot_flag flag)
{
	zx->table[index].flags |= 1U << flag;
}

static inline void zramx_slot_clear(struct zramx *zx, u32 index,
				    enum zramx_slot_flag flag)
{
	zx->table[index].flags &= ~(1U << flag);
}

/*
 * Does the slot hold an object of the pool (not empty, not same-filled,
 * not written back)?  Same-filled slots have size 0; a written-back
 * slot's size is that of the object its block holds (0: the page).
 */
static inline bool zramx_slot_has_obj(struct zramx *zx, u32 index)
{
	return zramx_slot_size(zx, index) &&
	       !zramx_slot_test(zx, index, ZRAMX_SLOT_SAME) &&
	       !zramx_slot_test(zx, index, ZRAMX_SLOT_WB);
}

/*
 * Was the slot written back compressed (compressed_writeback): does its
 * block hold an object that a read must decompress?
 */
static inline bool zramx_slot_wb_compressed(struct zramx *zx, u32 index)
{
	size_t size = zramx_slot_size(zx, index);

	return zramx_slot_test(zx, index, ZRAMX_SLOT_WB) &&
	       size && size < PAGE_SIZE;
}

void zramx_slot_free(struct zramx *zx, u32 index);
void zramx_slot_accessed(struct zramx *zx, u32 index);
void zramx_slot_set_prio(struct zramx *zx, u32 index, u32 prio);
unsigned long zramx_slot_detach(struct zramx *zx, u32 index,
				unsigned int *size);
void zramx_obj_uncount(struct zramx *zx, u64 bytes, unsigned int nr);

/* gather.c */
struct zramx_gather;
struct zramx_gather_slot;
bool zramx_gather(struct zramx *zx, unsigned long handle);
unsigned long zramx_gather_take(struct zramx *zx, unsigned long age);
void zramx_gather_drain(struct zramx *zx);
int zramx_gather_init(struct zramx *zx);
void zramx_gather_exit(struct zramx *zx);
int zramx_gather_module_init(void);
void zramx_gather_module_exit(void);
void zramx_slot_store(struct zramx *zx, u32 index, unsigned long handle,
		      unsigned int size);
void zramx_slot_store_same(struct zramx *zx, u32 index, unsigned long value);
void zramx_slot_store_wb(struct zramx *zx, u32 index, unsigned long blk,
			 unsigned int size, u32 prio);
int zramx_meta_alloc(struct zramx *zx, u64 disksize);
void zramx_meta_free(struct zramx *zx);

/* comp.c and backends.c */
extern const struct zramx_backend *const zramx_backends[];
const struct zramx_backend *zramx_backend_find(const char *name);
ssize_t zramx_backends_show(const struct zramx_backend *cur, char *buf,
			    ssize_t at);
struct zramx_comp *zramx_comp_create(const struct zramx_backend *backend,
				     const struct zramx_params *params);
void zramx_params_reset(struct zramx_params *params);
void zramx_comp_destroy(struct zramx_comp *comp);
/*
 * On PREEMPT_RT the stream's local_lock is a per-CPU spinlock_t, which
 * sparse tracks: these two take and drop it for their caller.
 */
#ifdef CONFIG_PREEMPT_RT
#define __zramx_takes_stream	__acquires(stream)
#define __zramx_drops_stream	__releases(stream)
#else
#define __zramx_takes_stream
#define __zramx_drops_stream
#endif
struct zramx_strm *zramx_stream_get(struct zramx_comp *comp)
	__zramx_takes_stream;
void zramx_stream_put(struct zramx_comp *comp) __zramx_drops_stream;
int zramx_comp_module_init(void);
void zramx_comp_module_exit(void);

/* io.c */
extern const struct block_device_operations zramx_devops;
int zramx_slot_read(struct zramx *zx, u32 index, struct page *page, bool raw);

/* recomp.c */
void zramx_mark_idle(struct zramx *zx, u32 cutoff);
int zramx_recompress(struct zramx *zx, u32 prio, bool idle, bool huge,
		     u32 threshold, u64 max_pages);

/* writeback.c */
int zramx_bd_open(struct zramx *zx, const char *path);
void zramx_bd_close(struct zramx *zx);
void zramx_bd_release(struct zramx *zx, unsigned long blk);
int zramx_bd_read(struct zramx *zx, unsigned long blk, struct page *page);
void zramx_bd_read_chained(struct zramx *zx, unsigned long blk,
			   struct page *page, struct bio *parent);
int zramx_writeback(struct zramx *zx, u32 lo, u32 hi, bool idle, bool huge,
		    bool incompressible);

/* main.c */
void zramx_reset_device(struct zramx *zx);
int zramx_init_device(struct zramx *zx, u64 disksize);
int zramx_reset_claimed(struct zramx *zx);
void zramx_update_used_max(struct zramx *zx, unsigned long pages);

/* sysfs.c */
extern const struct attribute_group *zramx_disk_groups[];

static inline struct zramx *zramx_dev_to_zramx(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

#endif /* _ZRAMX_H_ */
