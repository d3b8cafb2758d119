// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Gathered release of swap slots, freed by the task that released them.
 *
 * swap_slot_free_notify() runs under the swap device's lock (si->lock,
 * which the swap core holds across a batch of up to 64 or 512 entries),
 * so whatever the notifier does serializes every task that releases swap
 * on the device.  zramx keeps the notifier to detaching the slot's object
 * and gathers the detached handles in a batch of the current task, which
 * that task frees with zsf_free_bulk() on its way back to user space (a
 * task_work with TWA_RESUME) or, if it is exiting, in exit_task_work().
 *
 *  - Nothing is handed to another thread.  The munmap(), exit() or fault
 *    that released the slots frees the objects before it returns to user
 *    space (before the parent's wait() returns, for an exit), and the
 *    time is charged to it.
 *  - Tasks releasing swap at the same time free in parallel, under
 *    zsfast's class locks instead of one after the other under si->lock.
 *  - A batch frees each run of one class under one class lock hold and
 *    returns the handles to the slab in one call.
 *
 * This is mmu_gather's pattern: batches are allocated with GFP_NOWAIT,
 * and a handle that cannot be gathered is freed in place as before: no
 * memory, a kernel thread or a user worker (io_uring, vhost: they run
 * kernel loops, not to user space), a task past
 * exit_task_work(), or ZRAMX_GATHERS_MAX batches already pending on the
 * device.  A task that has filled gather_batches batches on one CPU
 * frees the last one in place, with zsf_free_bulk(), and refills it.
 *
 * Finding the current task's batch
 * --------------------------------
 * zx->gather_slot is a per-CPU pointer to the batch last started on that
 * CPU.  The notifier runs with preemption disabled, an RCU read-side
 * critical section; batches come from a SLAB_TYPESAFE_BY_RCU cache, and a
 * batch is unhooked from its CPU's pointer (cmpxchg) before it is freed.
 * So a pointer read there always points at some batch, possibly recycled,
 * and the notifier adds to it only if it belongs to current, this device
 * and this CPU.  Only the owner adds to a batch and only the owner frees
 * it, never both at once, so ->nr and ->handles need no lock.
 *
 * Lifetime
 * --------
 * A pending batch holds a reference on this module (its callback is
 * module text) and counts in zx->gathers.  zramx_gather_wait(), called by
 * reset and removal before the pool is destroyed, waits for the count to
 * drop to zero.  A device can be reset only when nobody has it open, so
 * the only batches left then belong to tasks about to return to user
 * space (the one that ran swapoff, say).  For the same reason, rmmod
 * fails with EBUSY only in that instant.  As with any callback that drops
 * its own module's reference, the callback still returns through module
 * text after module_put(); unloading takes far longer than that return.
 *
 * Lock order: si->lock (swap core) -> slot lock -> zx->gather_lock.
 */
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/wait.h>

#include "zramx/zramx.h"

/* How long reset and hot_remove wait for pending batches. */
#define ZRAMX_GATHER_SETTLE	(5 * HZ)

/* Batches pending per device: 4 MiB of batches, about 2 GiB of slots. */
#define ZRAMX_GATHERS_MAX	1024

/*
 * Batches one task may fill on one CPU before it frees them in place.  A
 * pending batch keeps its objects' memory allocated until the task
 * returns to user space; that costs nothing for munmap() or exit(),
 * which free that memory anyway, but swapoff releases every slot of the
 * device in one long system call while it reads the pages back.  128
 * batches: about 64k objects, 256 MiB of swapped memory.
 */
static unsigned int gather_batches = 128;
module_param(gather_batches, uint, 0644);
MODULE_PARM_DESC(gather_batches,
		 "batches of released swap slots a task may leave pending per CPU, then they are freed in place (0: always in place; default 128)");

/**
 * struct zramx_gather - handles released by one task, not yet freed
 * @work:    the task_work that frees them
 * @zx:      the device
 * @owner:   the task that released them and will free them
 * @cpu:     the CPU whose zx->gather_slot may point here
 * @depth:   batches the owner started on this CPU before this one, since
 *           it last returned to user space
 * @bytes:   their objects' total size
 * @nr:      handles gathered
 * @handles: the handles
 */
struct zramx_gather {
	struct callback_head work;
	struct zramx *zx;
	struct task_struct *owner;
	unsigned int cpu;
	unsigned int depth;
	unsigned int nr;
	u64 bytes;
	unsigned long handles[];
};

#define ZRAMX_GATHER_BYTES	PAGE_SIZE
#define ZRAMX_GATHER_HANDLES	((ZRAMX_GATHER_BYTES - \
				  sizeof(struct zramx_gather)) / \
				 sizeof(unsigned long))

static struct kmem_cache *zramx_gather_cache;

/* Drop one pending batch; the last one wakes zramx_gather_wait(). */
static void zramx_gather_put(struct zramx *zx)
{
	/*
	 * Under the lock, so that the waiter, which takes it too, cannot
	 * see zero and free the device while the wake-up still runs.
	 */
	spin_lock(&zx->gather_lock);
	if (!--zx->gathers)
		wake_up(&zx->gather_wq);
	spin_unlock(&zx->gather_lock);
}

/* Free a batch's objects, and count them out of the statistics. */
static void zramx_gather_free(struct zramx *zx, struct zramx_gather *g)
{
	zsf_free_bulk(zx->pool, g->handles, g->nr);
	zramx_obj_uncount(zx, g->bytes, g->nr);
	atomic64_add(g->nr, &zx->stats.notify_free);
}

static void zramx_gather_flush(struct callback_head *work)
{
	struct zramx_gather *g = container_of(work, struct zramx_gather, work);
	struct zramx *zx = g->zx;

	/* No notifier may find the batch once it is back in the cache. */
	cmpxchg(per_cpu_ptr(zx->gather_slot, g->cpu), g, NULL);
	zramx_gather_free(zx, g);
	atomic64_add(g->nr, &zx->stats.gathered);
	kmem_cache_free(zramx_gather_cache, g);
	zramx_gather_put(zx);
	module_put(THIS_MODULE);
}

/* Start a batch for current on this CPU; NULL if that cannot be done. */
static struct zramx_gather *zramx_gather_start(struct zramx *zx,
					       unsigned int depth)
{
	struct zramx_gather *g;
	bool room;

	spin_lock(&zx->gather_lock);
	room = zx->gathers < ZRAMX_GATHERS_MAX;
	if (room)
		zx->gathers++;
	spin_unlock(&zx->gather_lock);
	if (!room)
		return NULL;

	if (!try_module_get(THIS_MODULE))
		goto out_put;
	g = kmem_cache_alloc(zramx_gather_cache, GFP_NOWAIT | __GFP_NOWARN);
	if (!g)
		goto out_module;
	/* Read by other tasks' notifiers, which may hold a stale pointer. */
	WRITE_ONCE(g->zx, zx);
	WRITE_ONCE(g->owner, current);
	WRITE_ONCE(g->cpu, smp_processor_id());
	g->depth = depth;
	g->nr = 0;
	g->bytes = 0;
	init_task_work(&g->work, zramx_gather_flush);
	/* Fails only once the task is past exit_task_work(). */
	if (task_work_add(current, &g->work, TWA_RESUME))
		goto out_free;
	return g;

out_free:
	kmem_cache_free(zramx_gather_cache, g);
out_module:
	module_put(THIS_MODULE);
out_put:
	zramx_gather_put(zx);
	return NULL;
}

/**
 * zramx_gather() - leave a detached handle for the current task to free
 * @zx: the device
 * @handle: a handle no slot refers to any more
 * @size: its object's size
 *
 * The object stays in compr_data_size and pages_stored, and the slot's
 * notification out of notify_free, until the batch is freed: the
 * statistics follow the memory, in one update per batch.
 *
 * Context: swap_slot_free_notify(): atomic, preemption disabled.
 * Return: true if the handle was gathered; otherwise the caller frees it
 * and counts it.
 */
bool zramx_gather(struct zramx *zx, unsigned long handle, unsigned int size)
{
	struct zramx_gather **slot, *g;
	unsigned int depth = 0;
	bool gathered = false;

	if (current->flags & ZRAMX_PF_NO_USER_RETURN ||
	    !READ_ONCE(gather_batches))
		return false;

	slot = get_cpu_ptr(zx->gather_slot);
	g = READ_ONCE(*slot);
	if (!g || READ_ONCE(g->owner) != current || READ_ONCE(g->zx) != zx ||
	    READ_ONCE(g->cpu) != smp_processor_id()) {
		g = NULL;
	} else if (g->nr == ZRAMX_GATHER_HANDLES) {
		depth = g->depth + 1;
		if (depth >= READ_ONCE(gather_batches)) {
			/* Enough pending: free this batch now and reuse it. */
			zramx_gather_free(zx, g);
			g->nr = 0;
			g->bytes = 0;
		} else {
			g = NULL;
		}
	}
	if (!g) {
		g = zramx_gather_start(zx, depth);
		if (!g)
			goto out;
		WRITE_ONCE(*slot, g);
		atomic64_inc(&zx->stats.gathers);
	}
	g->handles[g->nr++] = handle;
	g->bytes += size;
	gathered = true;
out:
	put_cpu_ptr(zx->gather_slot);
	return gathered;
}

static bool zramx_gather_none(struct zramx *zx)
{
	unsigned int n;

	spin_lock(&zx->gather_lock);
	n = zx->gathers;
	spin_unlock(&zx->gather_lock);
	return !n;
}

/**
 * zramx_gather_wait() - wait until no batch of the device is pending
 * @zx: the device, which nobody has open
 */
void zramx_gather_wait(struct zramx *zx)
{
	wait_event(zx->gather_wq, zramx_gather_none(zx));
}

/**
 * zramx_gather_settle() - wait a while for pending batches to be freed
 * @zx: the device, which nobody has open
 *
 * A batch waits for its task to return to user space, which follows
 * the release within the same system call; tracer and signal stops run
 * pending task_work before the task stops (ptrace_notify(),
 * get_signal()).  So a batch outlives this wait only if its task is
 * stuck in the kernel, and reset and hot_remove then fail with EBUSY
 * rather than sleep with it.
 *
 * Return: true if no batch is pending.
 */
bool zramx_gather_settle(struct zramx *zx)
{
	return wait_event_timeout(zx->gather_wq, zramx_gather_none(zx),
				  ZRAMX_GATHER_SETTLE) > 0;
}

/**
 * zramx_gather_init() - set up a new device's gathering
 * @zx: the device
 *
 * Return: 0, or -ENOMEM.
 */
int zramx_gather_init(struct zramx *zx)
{
	spin_lock_init(&zx->gather_lock);
	init_waitqueue_head(&zx->gather_wq);
	zx->gather_slot = alloc_percpu(struct zramx_gather *);
	return zx->gather_slot ? 0 : -ENOMEM;
}

/**
 * zramx_gather_exit() - undo zramx_gather_init()
 * @zx: the device, after zramx_gather_wait()
 */
void zramx_gather_exit(struct zramx *zx)
{
	free_percpu(zx->gather_slot);
}

int __init zramx_gather_module_init(void)
{
	zramx_gather_cache = kmem_cache_create("zramx_gather",
					       ZRAMX_GATHER_BYTES, 0,
					       SLAB_TYPESAFE_BY_RCU, NULL);
	return zramx_gather_cache ? 0 : -ENOMEM;
}

void zramx_gather_module_exit(void)
{
	kmem_cache_destroy(zramx_gather_cache);
}
