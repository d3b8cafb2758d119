// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Gathered release of swap slots, freed by the task that released them.
 *
 * swap_slot_free_notify() runs under the swap core's locks (si->lock on
 * 6.x before the cluster rework, with interrupts off when the per-CPU
 * slot cache drains), so whatever the notifier does serializes every
 * task that releases swap on the device.  zramx keeps the notifier to
 * detaching the slot's object and gathers the detached handles in a
 * batch of the current task, which that task frees with zsf_free_bulk()
 * on its way back to user space (a task_work with TWA_RESUME) or, if it
 * is exiting, in exit_task_work().
 *
 *  - The munmap(), exit() or fault that released the slots frees the
 *    objects before it returns to user space, and the time is charged
 *    to it.  Tasks releasing swap at the same time free in parallel,
 *    under zsfast's class locks instead of one after the other.
 *  - The notifier never frees in bulk: it adds a handle to a batch, or
 *    starts a batch, or frees that one handle with zsf_free().
 *
 * A batch pays for itself only over many objects.  A swap-in fault frees
 * one slot (on kernels without per-CPU swap slot caches it frees it at
 * once) and returns to user space: a batch for that one object costs
 * more than the free (12-15 % of swap-in throughput on 7.3).  So a task
 * starts a batch only at its gather_after-th free on a CPU with no fault
 * of its own in between, which the notifier tells by the task's fault
 * count: that grows by one as each fault completes, and not while a
 * munmap(), an exit() or the drain of a swap slot cache releases slot
 * after slot.  The frees before that are done in place.
 *
 * swapoff is the one long release that brings memory in: try_to_unuse()
 * reads every page of the device back and releases its slot, in one
 * system call, so its batches would hold the whole pool until the pages
 * are all back (with little memory to spare, the OOM killer then killed
 * swapoff).  It marks itself the OOM killer's first victim meanwhile
 * (set_current_oom_origin(), as KSM's unmerge does), and a task so
 * marked frees in place.
 *
 * The releasing task is not always the task whose memory it was: on
 * kernels with the per-CPU swap slot cache, whichever task frees the
 * 64th entry on a CPU drains all of them, and that task may then sleep
 * in the kernel for hours (a daemon that faulted inside ppoll()).  So
 * the device can take a batch back at any time: a batch that has waited
 * gather_timeout_ms while its task does not run is freed by the device's
 * reap work, and reset, removal, a write that would exceed mem_limit and
 * memory pressure (the device's shrinker) take every batch.  The reap
 * work leaves a running task's batches alone: that task is still
 * releasing (a long munmap() or exit) and frees them itself before it
 * returns to user space, which is the point of gathering;
 * gather_batches bounds what it holds until then, and the shrinker
 * takes them when memory is short.
 *
 * A batch
 * -------
 * ->count is the number of handles published in ->handles[], plus
 * ZRAMX_GATHER_CLOSED once somebody has claimed them.  Exactly one party
 * claims a batch, with atomic_fetch_or(): its task (zramx_gather_flush())
 * or the device (zramx_gather_take()); the claimer frees the handles.
 * The owner adds a handle by writing ->handles[n] and then moving
 * ->count from n to n + 1 with a cmpxchg; if the batch was claimed in
 * between, the cmpxchg fails and the notifier frees that handle itself.
 * A claimer reads only the n handles published before its claim, so the
 * owner's racing write to ->handles[n] touches nothing anybody reads.
 *
 * Two references keep a batch's memory: its task_work's (dropped when
 * the task runs it) and its place on the device (dropped by whoever
 * claimed the batch, once its handles are freed).  A task whose batch
 * was taken finds ZRAMX_GATHER_CLOSED and drops its reference without
 * touching ->handles or the device, which may be gone by then.
 *
 * Finding the current task's batch
 * --------------------------------
 * zx->gather_slot is a per-CPU pointer to the batch last started on that
 * CPU, under a local_lock: preemption disabled, or on PREEMPT_RT a
 * per-CPU sleeping lock, under which the notifier may allocate a batch.
 * The notifier reads it inside rcu_read_lock(); batches come from a
 * SLAB_TYPESAFE_BY_RCU cache, and
 * no slot points at a batch once it can be freed: whoever claims a batch
 * unhooks it from its CPU's pointer (cmpxchg) before dropping the
 * device's reference, and a notifier that hooked a batch claimed under
 * it unhooks it again.  So a pointer read there always points at some
 * batch, possibly recycled, and the notifier adds to it only if it
 * belongs to current, this device and this CPU.  Such a batch cannot be
 * freed, or recycled, under the notifier: its task_work reference is
 * current's, so its identity fields cannot change either.
 *
 * Bounds
 * ------
 *  - A task has at most gather_batches batches pending on a device,
 *    whatever CPUs it ran on; past that it frees in place.  The device
 *    counts them in zx->gather_owned[], by a hash of the task's address:
 *    tasks that hash alike share one count, so each may reach the limit
 *    early, never pass it.  The count is read under zx->gather_lock, so
 *    a run that found the task at its limit does not ask again: the rest
 *    of the run is freed in place, unless the task frees its batches on
 *    that CPU meanwhile.
 *  - A device has at most ZRAMX_GATHERS_MAX batches whose handles are
 *    not yet freed (zx->gathers).
 *  - A batch waits at most about gather_timeout_ms after its task stopped
 *    running (slept, or was stopped) before the device frees it; under
 *    memory pressure the device's shrinker frees it at once, its task
 *    running or not.
 *  - reset and removal take every pending batch and then wait only for
 *    batches whose task is freeing them at that moment: zsf_free_bulk()
 *    of at most ZRAMX_GATHER_HANDLES handles, which never sleeps.
 *
 * Module lifetime
 * ---------------
 * A batch holds a reference on this module until its task_work has run,
 * since the callback is module text; a module cannot cancel a task_work
 * (task_work_cancel() is not exported).  So rmmod fails with EBUSY, at
 * once, while a task that released slots has not yet returned to user
 * space, even after the device took its batch back: the task then holds
 * no object of any pool and no device, only its batch's page.  The
 * callback drops that reference and then still returns through module
 * text; module exit waits for every task to pass a voluntary context
 * switch (synchronize_rcu_tasks()), which a task does only once it has
 * left the callback, since the callback never sleeps.  Where the kernel
 * offers no such wait, zramx does not gather (ZRAMX_CAN_GATHER), nor where
 * task_work_add is not exported (Android's GKI): gather_batches is then 0
 * and stays 0, and the notifier frees every released object in place,
 * with zsf_free(), as stock zram does.
 *
 * Read without a lock: the reap work reads the state of a batch's owner
 * under zx->gather_lock.  That task_struct cannot be freed meanwhile: the
 * batch is on zx->gather_list, so its task_work has not finished (the
 * task unhooks a batch it claimed under zx->gather_lock before it leaves
 * the callback, and a batch somebody else claimed is off the list), and
 * a task runs its task_work before it can be freed.  The state is a hint,
 * read again at the next round of the work.
 *
 * Lock order: swap core locks -> gather_slot's local lock ->
 * zx->gather_lock, and zx->gather_walk -> zx->gather_lock.  The notifier
 * takes neither under the slot lock.  zx->gather_lock is a raw spinlock,
 * taken for a few list operations with interrupts off (the notifier may
 * run with them off), so that it nests anywhere on PREEMPT_RT too; it
 * protects zx->gather_list, zx->gather_owned and zx->gathers and is
 * never held across a free.  The notifier holds it for a few operations,
 * never for a walk of the list: only zramx_gather_take() walks it, in
 * the reap work, the shrinker, reset and a write past mem_limit, and
 * visits at most ZRAMX_GATHER_TAKE_CHUNK batches in one hold.  Nothing
 * under zx->gather_lock may take a spinlock_t, which sleeps on
 * PREEMPT_RT: so the wait queue of zramx_gather_drain() is a simple one
 * (swait), whose lock is raw.  It has one waiter at most, reset holding
 * zx->init_lock for write.
 *
 * zx->gather_walk, a mutex, serializes the walks.  It is taken in
 * process context under no spinlock (reset takes it under
 * zx->init_lock), and nothing allocates memory under it, since the
 * shrinker takes it in reclaim.
 */
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/local_lock.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/oom.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/swait.h>
#include <linux/task_work.h>
#include <linux/workqueue.h>

#include "zramx/zramx.h"

/* Batches whose handles are not yet freed, per device: about 2 GiB. */
#define ZRAMX_GATHERS_MAX	1024

/*
 * Batches zramx_gather_take() visits in one hold of zx->gather_lock, and
 * how many such holds make one walk of a full list.
 */
#define ZRAMX_GATHER_TAKE_CHUNK		16
#define ZRAMX_GATHER_TAKE_CHUNKS	(ZRAMX_GATHERS_MAX / \
					 ZRAMX_GATHER_TAKE_CHUNK)

/*
 * Batches one task may leave pending on a device; past that it frees in
 * place.  A pending batch keeps its objects' memory allocated until the
 * task returns to user space, which costs nothing for munmap() or exit()
 * but matters for swapoff, which releases every slot of the device in
 * one long system call.  128 batches: about 64k objects.
 */
static unsigned int gather_batches = ZRAMX_CAN_GATHER ? 128 : 0;

/* Where zramx cannot gather, gather_batches stays 0. */
static int gather_batches_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	if (n && !ZRAMX_CAN_GATHER)
		return -EINVAL;
	WRITE_ONCE(gather_batches, n);
	return 0;
}

static const struct kernel_param_ops gather_batches_ops = {
	.set = gather_batches_set,
	.get = param_get_uint,
};
module_param_cb(gather_batches, &gather_batches_ops, &gather_batches, 0644);
MODULE_PARM_DESC(gather_batches,
		 "batches of released swap slots a task may leave pending on a device, then it frees in place (0: always in place; default 128, or 0 and nothing else where the kernel offers no task_work_add)");

/*
 * Frees in a row by one task on a CPU, with no fault of its own in
 * between, before it starts a batch: the first gather_after - 1 are done
 * in place.
 */
static unsigned int gather_after = 8;
module_param(gather_after, uint, 0644);
MODULE_PARM_DESC(gather_after,
		 "a task starts a batch of released swap slots at its gather_after-th free in a row with no fault of its own in between; the ones before are freed in place (default 8; 0 or 1: from the first)");

/* How long a batch may wait for its task before the device frees it. */
static unsigned int gather_timeout_ms = 100;
module_param(gather_timeout_ms, uint, 0644);
MODULE_PARM_DESC(gather_timeout_ms,
		 "milliseconds a batch of released swap slots may wait for its task, once the task no longer runs, before the device frees it (default 100)");

/**
 * struct zramx_gather - handles released by one task, not yet freed
 * @work:    the task_work that frees them
 * @node:    in zx->gather_list until claimed
 * @zx:      the device
 * @owner:   the task that released them
 * @start:   jiffies when the batch was started
 * @cpu:     the CPU whose zx->gather_slot may point here
 * @ref:     the task_work's reference and the device's
 * @count:   handles published, | ZRAMX_GATHER_CLOSED once claimed
 * @handles: the handles
 */
struct zramx_gather {
	struct callback_head work;
	struct list_head node;
	struct zramx *zx;
	struct task_struct *owner;
	unsigned long start;
	unsigned int cpu;
	refcount_t ref;
	atomic_t count;
	unsigned long handles[];
};

#define ZRAMX_GATHER_CLOSED	BIT(30)
#define ZRAMX_GATHER_BYTES	PAGE_SIZE
#define ZRAMX_GATHER_HANDLES	((ZRAMX_GATHER_BYTES - \
				  sizeof(struct zramx_gather)) / \
				 sizeof(unsigned long))

/**
 * struct zramx_gather_slot - a device's batch last started on a CPU
 * @lock:   serializes the notifiers on this CPU
 * @batch:  that batch; cleared (cmpxchg) by whoever claims it
 * @task:   the task of the last free on this CPU; only compared, never
 *          followed (it may have exited)
 * @faults: its fault count then
 * @run:    frees in a row by @task at @faults, saturating
 * @full:   @task could not start a batch in this run (it has
 *          gather_batches pending): it frees in place until the run
 *          ends or it frees its batches on this CPU
 */
struct zramx_gather_slot {
	local_lock_t lock;
	struct zramx_gather *batch;
	struct task_struct *task;
	unsigned long faults;
	unsigned int run;
	bool full;
};

static struct kmem_cache *zramx_gather_cache;

static void zramx_gather_put(struct zramx_gather *g)
{
	if (refcount_dec_and_test(&g->ref))
		kmem_cache_free(zramx_gather_cache, g);
}

/*
 * Claim a batch's handles.  Return: how many there are, or -1 if
 * somebody else claimed them.
 */
static int zramx_gather_claim(struct zramx_gather *g)
{
	int n = atomic_fetch_or(ZRAMX_GATHER_CLOSED, &g->count);

	return n & ZRAMX_GATHER_CLOSED ? -1 : n;
}

/* @task's count of pending batches on @zx; zx->gather_lock held. */
static u16 *zramx_gather_owned(struct zramx *zx, struct task_struct *task)
{
	return &zx->gather_owned[hash_ptr(task, ZRAMX_GATHER_OWNER_BITS)];
}

/* Take a claimed batch off the device; zx->gather_lock held. */
static void zramx_gather_unhook(struct zramx *zx, struct zramx_gather *g)
{
	list_del_init(&g->node);
	(*zramx_gather_owned(zx, g->owner))--;
	cmpxchg(&per_cpu_ptr(zx->gather_slot, g->cpu)->batch, g, NULL);
}

/* The handles of a claimed batch are freed: let reset go on. */
static void zramx_gather_done(struct zramx *zx)
{
	unsigned long flags;

	/*
	 * Under the lock, so that a waiter, which takes it too, cannot
	 * see zero and free the device while the wake-up still runs.
	 */
	raw_spin_lock_irqsave(&zx->gather_lock, flags);
	if (!--zx->gathers)
		swake_up_one(&zx->gather_wq);
	raw_spin_unlock_irqrestore(&zx->gather_lock, flags);
}

/*
 * current freed a batch: if its run on this CPU found it at its limit,
 * it may start batches again.  A run marked full on another CPU stays
 * so until it ends there; its frees are then done in place, which costs
 * nothing but the gathering.
 */
static void zramx_gather_rearm(struct zramx *zx)
{
	struct zramx_gather_slot *gs;

	local_lock(&zx->gather_slot->lock);
	gs = this_cpu_ptr(zx->gather_slot);
	if (gs->task == current)
		gs->full = false;
	local_unlock(&zx->gather_slot->lock);
}

static void zramx_gather_flush(struct callback_head *work)
{
	struct zramx_gather *g = container_of(work, struct zramx_gather, work);
	struct zramx *zx = g->zx;
	unsigned long flags;
	int n = zramx_gather_claim(g);

	if (n >= 0) {
		/* Not taken: the device, and its pool, wait for us. */
		zsf_free_bulk(zx->pool, g->handles, n);
		atomic64_add(n, &zx->stats.gathered);
		raw_spin_lock_irqsave(&zx->gather_lock, flags);
		zramx_gather_unhook(zx, g);
		raw_spin_unlock_irqrestore(&zx->gather_lock, flags);
		zramx_gather_rearm(zx);
		zramx_gather_put(g);
		zramx_gather_done(zx);
	}
	zramx_gather_put(g);
	module_put(THIS_MODULE);
}

/*
 * Add @handle to @g, which belongs to current.  Return: false if @g is
 * full or was claimed.
 */
static bool zramx_gather_add(struct zramx_gather *g, unsigned long handle)
{
	int n = atomic_read(&g->count);

	if (n >= ZRAMX_GATHER_HANDLES)
		return false;
	g->handles[n] = handle;
	return atomic_cmpxchg(&g->count, n, n + 1) == n;
}

/*
 * Reserve a batch for current on @zx; false if current has @limit
 * pending already, or the device ZRAMX_GATHERS_MAX.
 */
static bool zramx_gather_reserve(struct zramx *zx, unsigned int limit)
{
	unsigned long flags;
	bool room;
	u16 *owned;

	raw_spin_lock_irqsave(&zx->gather_lock, flags);
	owned = zramx_gather_owned(zx, current);
	room = zx->gathers < ZRAMX_GATHERS_MAX && *owned < limit;
	if (room) {
		zx->gathers++;
		(*owned)++;
	}
	raw_spin_unlock_irqrestore(&zx->gather_lock, flags);
	return room;
}

/* Undo zramx_gather_reserve() for a batch that did not start. */
static void zramx_gather_unreserve(struct zramx *zx)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&zx->gather_lock, flags);
	(*zramx_gather_owned(zx, current))--;
	raw_spin_unlock_irqrestore(&zx->gather_lock, flags);
	zramx_gather_done(zx);
}

/* Start a batch for current on this CPU; NULL if that cannot be done. */
static struct zramx_gather *zramx_gather_start(struct zramx *zx,
					       unsigned int limit)
{
	struct zramx_gather *g;
	unsigned long flags;

	if (!zramx_gather_reserve(zx, limit))
		return NULL;
	if (!try_module_get(THIS_MODULE))
		goto out_done;
	g = kmem_cache_alloc(zramx_gather_cache, GFP_NOWAIT | __GFP_NOWARN);
	if (!g)
		goto out_module;
	/* Read by other tasks' notifiers, which may hold a stale pointer. */
	WRITE_ONCE(g->zx, zx);
	WRITE_ONCE(g->owner, current);
	WRITE_ONCE(g->cpu, smp_processor_id());
	g->start = jiffies;
	refcount_set(&g->ref, 2);
	atomic_set(&g->count, 0);
	init_task_work(&g->work, zramx_gather_flush);
	/* Fails only once the task is past exit_task_work(). */
	if (zramx_compat_task_work_add(&g->work))
		goto out_free;

	raw_spin_lock_irqsave(&zx->gather_lock, flags);
	list_add_tail(&g->node, &zx->gather_list);
	raw_spin_unlock_irqrestore(&zx->gather_lock, flags);
	queue_delayed_work(zramx_compat_unbound_wq, &zx->gather_reap,
			   msecs_to_jiffies(READ_ONCE(gather_timeout_ms)));
	atomic64_inc(&zx->stats.gathers);
	return g;

out_free:
	kmem_cache_free(zramx_gather_cache, g);
out_module:
	module_put(THIS_MODULE);
out_done:
	zramx_gather_unreserve(zx);
	return NULL;
}

/*
 * Count a free by current in @slot's run; true once it is at least the
 * gather_after-th in a row with no fault of current's in between, unless
 * the run could not start a batch.  A fault ends a run: the task's fault
 * count grows only when a fault is done.
 */
static bool zramx_gather_run(struct zramx_gather_slot *slot)
{
	unsigned long faults = current->min_flt + current->maj_flt;

	if (slot->task != current || slot->faults != faults) {
		slot->task = current;
		slot->faults = faults;
		slot->run = 0;
		slot->full = false;
	}
	if (slot->run < UINT_MAX)
		slot->run++;
	return !slot->full && slot->run >= READ_ONCE(gather_after);
}

/* Is @g, read from this CPU's slot, current's batch on @zx? */
static bool zramx_gather_mine(struct zramx *zx, struct zramx_gather *g)
{
	return g && READ_ONCE(g->owner) == current &&
	       READ_ONCE(g->zx) == zx &&
	       READ_ONCE(g->cpu) == smp_processor_id();
}

/**
 * zramx_gather() - leave a detached handle for the current task to free
 * @zx: the device
 * @handle: a handle no slot refers to any more, already uncounted
 *
 * Context: swap_slot_free_notify(): atomic, maybe with interrupts off
 * (on PREEMPT_RT, under the swap core's sleeping spinlocks).
 * Return: true if the handle was gathered; otherwise the caller frees it.
 */
bool zramx_gather(struct zramx *zx, unsigned long handle)
{
	unsigned int limit = READ_ONCE(gather_batches);
	struct zramx_gather_slot *gs;
	struct zramx_gather **slot, *g;
	bool gathered = true;

	if (!ZRAMX_CAN_GATHER || !limit ||
	    current->flags & ZRAMX_PF_NO_USER_RETURN ||
	    oom_task_origin(current))
		return false;

	rcu_read_lock();
	local_lock(&zx->gather_slot->lock);
	gs = this_cpu_ptr(zx->gather_slot);
	slot = &gs->batch;
	g = READ_ONCE(*slot);
	if (!zramx_gather_mine(zx, g) || !zramx_gather_add(g, handle)) {
		g = NULL;
		gathered = false;
		/*
		 * Starting a batch takes the device's gather_lock to
		 * count current's: once that fails, not again in this run.
		 */
		if (zramx_gather_run(gs)) {
			g = zramx_gather_start(zx, limit);
			gs->full = !g;
		}
		if (g) {
			WRITE_ONCE(*slot, g);
			gathered = zramx_gather_add(g, handle);
			/*
			 * Taken already: its taker may have unhooked it
			 * before we hooked it, and no slot may point at a
			 * batch once it can be freed.
			 */
			if (!gathered)
				cmpxchg(slot, g, NULL);
		}
	}
	local_unlock(&zx->gather_slot->lock);
	rcu_read_unlock();
	return gathered;
}

/*
 * Claim, and take off the device, the batches of one hold of
 * zx->gather_lock: from @cursor on, up to ZRAMX_GATHER_TAKE_CHUNK
 * batches visited, or to the end of the list or the first batch younger
 * than @age.  @cursor is left before the first batch not visited, or at
 * the end of the list once the walk is done.
 * Return: how many were claimed into @taken; *@end once the walk is done.
 */
static unsigned int zramx_gather_take_chunk(struct zramx *zx,
					    unsigned long age,
					    struct list_head *cursor,
					    struct zramx_gather **taken,
					    bool *end)
{
	struct list_head *pos;
	struct zramx_gather *g;
	unsigned int visits, n = 0;

	raw_spin_lock_irq(&zx->gather_lock);
	pos = cursor->next;
	for (visits = 0; visits < ZRAMX_GATHER_TAKE_CHUNK; visits++) {
		if (pos == &zx->gather_list)
			break;
		g = list_entry(pos, struct zramx_gather, node);
		/* The list is in start order. */
		if (age && time_before(jiffies, g->start + age)) {
			pos = &zx->gather_list;
			break;
		}
		pos = pos->next;
		/* Still releasing: it frees them on its way out. */
		if (age && task_is_running(g->owner))
			continue;
		if (zramx_gather_claim(g) < 0)
			continue;
		zramx_gather_unhook(zx, g);
		taken[n++] = g;
	}
	list_move_tail(cursor, pos);
	*end = pos == &zx->gather_list;
	raw_spin_unlock_irq(&zx->gather_lock);
	return n;
}

/**
 * zramx_gather_take() - free batches that their tasks have not freed
 * @zx: the device
 * @age: take only batches started at least this many jiffies ago whose
 *       task is not running; 0 for every batch
 *
 * Batches whose task is freeing them right now are left to it.  The
 * list is walked once, ZRAMX_GATHER_TAKE_CHUNK batches to a hold of
 * zx->gather_lock, each hold's batches freed before the next: so
 * interrupts are off for a few batches' claims at a time, not for
 * ZRAMX_GATHERS_MAX of them.  An on-stack cursor in the list keeps the
 * place meanwhile; zx->gather_walk serializes the walks, so that no walk
 * finds another's cursor.  Batches started during the walk are taken
 * too, up to ZRAMX_GATHERS_MAX visits in all.
 *
 * Context: process context, interrupts enabled; may sleep.
 * Return: the number of objects freed.
 */
unsigned long zramx_gather_take(struct zramx *zx, unsigned long age)
{
	struct zramx_gather *g, *taken[ZRAMX_GATHER_TAKE_CHUNK];
	unsigned int i, n, chunks;
	unsigned long freed = 0;
	LIST_HEAD(cursor);
	bool end = false;
	int nr;

	mutex_lock(&zx->gather_walk);
	raw_spin_lock_irq(&zx->gather_lock);
	list_add(&cursor, &zx->gather_list);
	raw_spin_unlock_irq(&zx->gather_lock);
	for (chunks = 0; !end && chunks < ZRAMX_GATHER_TAKE_CHUNKS; chunks++) {
		n = zramx_gather_take_chunk(zx, age, &cursor, taken, &end);
		for (i = 0; i < n; i++) {
			g = taken[i];
			/* Claimed by us: published handles only. */
			nr = atomic_read(&g->count) & ~ZRAMX_GATHER_CLOSED;
			zsf_free_bulk(zx->pool, g->handles, nr);
			freed += nr;
			zramx_gather_put(g);
			zramx_gather_done(zx);
			cond_resched();
		}
	}
	raw_spin_lock_irq(&zx->gather_lock);
	list_del(&cursor);
	raw_spin_unlock_irq(&zx->gather_lock);
	mutex_unlock(&zx->gather_walk);
	atomic64_add(freed, &zx->stats.gather_taken);
	return freed;
}

static void zramx_gather_reap(struct work_struct *work)
{
	struct zramx *zx = container_of(to_delayed_work(work), struct zramx,
					gather_reap);
	unsigned long age = msecs_to_jiffies(READ_ONCE(gather_timeout_ms));
	bool more;

	zramx_gather_take(zx, age ?: 1);
	raw_spin_lock_irq(&zx->gather_lock);
	more = !list_empty(&zx->gather_list);
	raw_spin_unlock_irq(&zx->gather_lock);
	if (more)
		queue_delayed_work(zramx_compat_unbound_wq, &zx->gather_reap,
				   age ?: 1);
}

static bool zramx_gather_none(struct zramx *zx)
{
	unsigned int n;

	raw_spin_lock_irq(&zx->gather_lock);
	n = zx->gathers;
	raw_spin_unlock_irq(&zx->gather_lock);
	return !n;
}

/**
 * zramx_gather_drain() - free every batch of a device nobody has open
 * @zx: the device
 *
 * Takes every pending batch, then waits for the batches whose task is
 * freeing them at this moment: a bounded wait, since such a task is
 * running zsf_free_bulk(), which never sleeps.  No new batch can start,
 * since nobody has the device open.
 *
 * Context: process context; may sleep.
 */
void zramx_gather_drain(struct zramx *zx)
{
	unsigned int i;

	zramx_gather_take(zx, 0);
	swait_event_exclusive(zx->gather_wq, zramx_gather_none(zx));
	/* Every batch is off the list, and so out of the counts. */
	for (i = 0; i < ARRAY_SIZE(zx->gather_owned); i++)
		WARN_ON_ONCE(zx->gather_owned[i]);
}

/*
 * The shrinker: under memory pressure, pending batches are taken whether
 * or not their task runs.  Their objects are released already; freeing
 * them gives zspages back to the page allocator and costs nothing that
 * would have to be redone.  Without it a task that is still releasing
 * (the munmap() or exit of a large swapped-out area) keeps up to
 * gather_batches of them however short memory gets.
 *
 * So it has no seek cost, and a scan takes every batch, as zsmalloc's
 * compacts the whole pool: the first reclaim pass frees them, at any
 * priority, before reclaim swaps more pages out into the same pool.
 * With DEFAULT_SEEKS, a count of a few batches was scanned only at
 * reclaim's last priorities, the ones just before an OOM
 * (do_shrink_slab() scans nothing below SHRINK_BATCH objects, or all of
 * them).  Counted in objects, a full batch's worth for each batch, so
 * that even one batch is past SHRINK_BATCH; zx->gathers is read without
 * the lock (a hint: the scan finds out under it).
 */
static unsigned long zramx_gather_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	struct zramx *zx = zsf_shrinker_priv(shrinker);

	return READ_ONCE(zx->gathers) * ZRAMX_GATHER_HANDLES;
}

static unsigned long zramx_gather_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	struct zramx *zx = zsf_shrinker_priv(shrinker);
	unsigned long freed = zramx_gather_take(zx, 0);

	return freed ?: SHRINK_STOP;
}

/**
 * zramx_gather_init() - set up a new device's gathering
 * @zx: the device
 *
 * Return: 0, or -ENOMEM.
 */
int zramx_gather_init(struct zramx *zx)
{
	int cpu;

	raw_spin_lock_init(&zx->gather_lock);
	mutex_init(&zx->gather_walk);
	INIT_LIST_HEAD(&zx->gather_list);
	init_swait_queue_head(&zx->gather_wq);
	INIT_DELAYED_WORK(&zx->gather_reap, zramx_gather_reap);
	zx->gather_slot = alloc_percpu(struct zramx_gather_slot);
	if (!zx->gather_slot)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		local_lock_init(&per_cpu_ptr(zx->gather_slot, cpu)->lock);
	if (ZRAMX_CAN_GATHER) {
		zx->gather_shrinker = zsf_shrinker_create("zramx-gather",
							  zramx_gather_count,
							  zramx_gather_scan,
							  0, zx);
		if (!zx->gather_shrinker)
			return -ENOMEM;
	}
	return 0;
}

/**
 * zramx_gather_exit() - undo zramx_gather_init(), also after it failed
 * @zx: the device, drained by zramx_gather_drain()
 */
void zramx_gather_exit(struct zramx *zx)
{
	if (zx->gather_shrinker)
		zsf_shrinker_destroy(zx->gather_shrinker);
	cancel_delayed_work_sync(&zx->gather_reap);
	free_percpu(zx->gather_slot);
}

int __init zramx_gather_module_init(void)
{
	zramx_gather_cache = kmem_cache_create("zramx_gather",
					       ZRAMX_GATHER_BYTES, 0,
					       SLAB_TYPESAFE_BY_RCU, NULL);
	return zramx_gather_cache ? 0 : -ENOMEM;
}

/*
 * Every batch's task_work has run (each held a module reference), but
 * the last callbacks may still be returning through our text after
 * their module_put(): wait for them (compat_zramx.h).
 */
void zramx_gather_module_exit(void)
{
	zramx_compat_sync_task_callbacks();
	kmem_cache_destroy(zramx_gather_cache);
}
