// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast_test run=stress: one kthread bound to every online CPU allocates,
 * writes, reads back, rewrites and frees objects of random sizes, checking
 * the data on every read and before every free, while another kthread runs
 * zsf_compact() every 100 ms, and checks each class's counters against its
 * lists after each run.  Two phases of seconds=N each: first every
 * thread has a pool of its own, then all share one pool.  Some frees are
 * made with preemption disabled, since zsf_free() must never sleep.
 */
#include <linux/kernel.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include <zsfast.h>
#include <zsfast/testing.h>

#include "zsft.h"

#define ZSFT_SLOTS		2048
#define ZSFT_BATCH		64
#define ZSFT_WORKER_DIAGS	4

/* What a worker counts; only unsigned longs, summed as an array. */
struct zsft_counts {
	unsigned long allocs, frees, atomic_frees, bulk_frees, rewrites;
	unsigned long enomem, bad_alloc, bad_cpu;
};

struct zsft_worker {
	struct task_struct *task;
	struct zsf_pool *pool;
	unsigned int cpu;
	struct zsft_rng rng;
	struct zsft_obj *slots;
	void *buf;
	void *local;
	u32 gen;
	unsigned long bulk[ZSFT_BATCH];
	unsigned int nr_bulk;
	spinlock_t swap_lock;
	struct zsft_counts c;
	/* every read's data check; named "stress <mode>: cpu <cpu>" */
	struct zsft_agg data;
	char name[48];
	unsigned int diags;
};

struct zsft_compactor {
	struct task_struct *task;
	struct zsf_pool **pools;
	unsigned int nr_pools;
	unsigned long runs, pages, bad_counters;
};

/* A quarter of the sizes up to PAGE_SIZE, a quarter small, half medium. */
static u32 zsft_stress_size(struct zsft_rng *rng)
{
	static const u32 max[] = { PAGE_SIZE, 128, PAGE_SIZE / 2,
				   PAGE_SIZE / 2 };

	return 1 + zsft_rng_below(rng, max[zsft_rng_below(rng, 4)]);
}

/* Free the queued handles in one zsf_free_bulk(), under a spinlock. */
static void zsft_worker_flush(struct zsft_worker *w)
{
	spin_lock(&w->swap_lock);
	zsf_free_bulk(w->pool, w->bulk, w->nr_bulk);
	spin_unlock(&w->swap_lock);
	w->c.bulk_frees += w->nr_bulk;
	w->nr_bulk = 0;
}

static void zsft_worker_free(struct zsft_worker *w, struct zsft_obj *s,
			     bool atomic)
{
	/* Half the frees go through a batch, freed when it is full. */
	if (zsft_rng_below(&w->rng, 2)) {
		w->bulk[w->nr_bulk++] = s->handle;
		if (w->nr_bulk == ZSFT_BATCH)
			zsft_worker_flush(w);
	} else if (atomic) {
		/*
		 * As swap's notifier does, under a spinlock: preemption
		 * disabled, or on PREEMPT_RT a sleeping lock held.
		 */
		spin_lock(&w->swap_lock);
		zsf_free(w->pool, s->handle);
		spin_unlock(&w->swap_lock);
		w->c.atomic_frees++;
	} else {
		zsf_free(w->pool, s->handle);
	}
	w->c.frees++;
	s->handle = 0;
}

static void zsft_worker_step(struct zsft_worker *w)
{
	struct zsft_obj *s = &w->slots[zsft_rng_below(&w->rng, ZSFT_SLOTS)];
	unsigned long h;
	u32 op, size;

	if (!s->handle) {
		size = zsft_stress_size(&w->rng);
		h = zsft_obj_alloc(w->pool, s, size, w->gen + 1,
				   (w->gen & 1) ? NUMA_NO_NODE :
						  cpu_to_node(w->cpu), w->buf);
		if (s->handle) {
			w->gen++;
			w->c.allocs++;
		} else if (h == (unsigned long)ERR_PTR(-ENOMEM)) {
			w->c.enomem++;
		} else {
			w->c.bad_alloc++;
			if (w->diags++ < ZSFT_WORKER_DIAGS)
				zsft_diag("cpu %u: zsf_malloc(%u) returned %ld",
					  w->cpu, size, (long)h);
		}
		return;
	}

	zsft_obj_intact(w->pool, &w->data, s, w->local);
	op = zsft_rng_below(&w->rng, 8);
	if (op < 4)
		return;
	if (op < 6) {
		s->gen = ++w->gen;
		zsft_obj_fill(w->pool, s, w->buf);
		w->c.rewrites++;
		return;
	}
	zsft_worker_free(w, s, op == 7);
}

/* Verify and free whatever the worker still holds. */
static void zsft_worker_drain(struct zsft_worker *w)
{
	unsigned int i;

	for (i = 0; i < ZSFT_SLOTS; i++) {
		if (!w->slots[i].handle)
			continue;
		zsft_obj_intact(w->pool, &w->data, &w->slots[i], w->local);
		zsft_worker_free(w, &w->slots[i], false);
	}
	zsft_worker_flush(w);
}

static int zsft_worker_fn(void *arg)
{
	struct zsft_worker *w = arg;
	unsigned int i;

	while (!kthread_should_stop()) {
		for (i = 0; i < ZSFT_BATCH; i++)
			zsft_worker_step(w);
		if (raw_smp_processor_id() != w->cpu)
			w->c.bad_cpu++;
		cond_resched();
	}
	zsft_worker_drain(w);
	return 0;
}

static int zsft_compactor_fn(void *arg)
{
	struct zsft_compactor *c = arg;
	unsigned int i;

	while (!kthread_should_stop()) {
		for (i = 0; i < c->nr_pools; i++) {
			c->pages += zsf_compact(c->pools[i]);
			c->bad_counters +=
				zsf_test_check_counters(c->pools[i]);
		}
		c->runs++;
		schedule_timeout_interruptible(msecs_to_jiffies(100));
	}
	return 0;
}

static void zsft_stress_phase(bool shared, unsigned int seconds)
{
	const char *mode = shared ? "shared pool" : "pool per thread";
	unsigned int nr = num_online_cpus(), n = 0, i, k, cpu, idle = 0;
	unsigned long start_total, frees0 = 0, frees1 = 0, checks = 0;
	unsigned long bad_data = 0;
	struct zsft_counts sum = {};
	struct zsft_compactor comp = {};
	struct zsft_worker *workers;
	struct zsf_pool_stats st;
	unsigned long deadline;
	bool empty = true;

	workers = kcalloc(nr, sizeof(*workers), GFP_KERNEL);
	comp.pools = kcalloc(nr, sizeof(*comp.pools), GFP_KERNEL);
	if (!workers || !comp.pools) {
		zsft_point(false, "stress %s: out of memory", mode);
		goto out_free;
	}
	start_total = zsf_test_total_pages();

	comp.nr_pools = shared ? 1 : nr;
	for (i = 0; i < comp.nr_pools; i++) {
		comp.pools[i] = zsf_create_pool(shared ? "zsf_stress_shared" :
							 "zsf_stress");
		if (!comp.pools[i]) {
			zsft_point(false, "stress %s: zsf_create_pool", mode);
			goto out_pools;
		}
		zsf_pool_stats(comp.pools[i], &st);
		frees0 += st.frees;
	}

	for_each_online_cpu(cpu) {
		struct zsft_worker *w;

		if (n == nr)
			break;
		w = &workers[n];
		w->cpu = cpu;
		w->pool = comp.pools[shared ? 0 : n];
		snprintf(w->name, sizeof(w->name), "stress %s: cpu %u", mode,
			 cpu);
		w->data = (struct zsft_agg)ZSFT_AGG(w->name);
		spin_lock_init(&w->swap_lock);
		zsft_rng_init(&w->rng, zsft_seed_param ^ ((u64)cpu << 48) ^
				       ((u64)shared << 40));
		w->slots = vcalloc(ZSFT_SLOTS, sizeof(*w->slots));
		w->buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
		n++;
		if (!w->slots || !w->buf) {
			zsft_point(false, "stress %s: out of memory", mode);
			goto out_workers;
		}
		w->local = w->buf + PAGE_SIZE;
		w->task = kthread_create(zsft_worker_fn, w, "zsft_stress/%u",
					 cpu);
		if (IS_ERR(w->task)) {
			zsft_point(false, "stress %s: kthread_create: %ld",
				   mode, PTR_ERR(w->task));
			w->task = NULL;
			goto out_workers;
		}
		kthread_bind(w->task, cpu);
	}

	comp.task = kthread_run(zsft_compactor_fn, &comp, "zsft_compact");
	if (IS_ERR(comp.task)) {
		zsft_point(false, "stress %s: compactor kthread: %ld", mode,
			   PTR_ERR(comp.task));
		comp.task = NULL;
		goto out_workers;
	}
	for (i = 0; i < n; i++)
		wake_up_process(workers[i].task);

	deadline = jiffies + seconds * HZ;
	while (time_before(jiffies, deadline)) {
		msleep_interruptible(200);
		if (signal_pending(current))
			break;
	}

out_workers:
	/* kthread_stop() returns once the worker has drained its slots. */
	for (i = 0; i < n; i++)
		if (workers[i].task)
			kthread_stop(workers[i].task);
	if (comp.task)
		kthread_stop(comp.task);
	for (i = 0; i < n; i++) {
		struct zsft_worker *w = &workers[i];

		/* A worker that never ran has not drained. */
		if (w->slots)
			zsft_worker_drain(w);
		for (k = 0; k < sizeof(sum) / sizeof(long); k++)
			((unsigned long *)&sum)[k] +=
				((unsigned long *)&w->c)[k];
		checks += w->data.checks;
		bad_data += w->data.fails;
		if (!w->c.allocs)
			idle++;
		vfree(w->slots);
		kfree(w->buf);
	}

	zsft_diag("stress %s: %u threads, %lu allocs, %lu frees (%lu with preemption off, %lu by zsf_free_bulk), %lu reads checked, %lu rewrites, %lu -ENOMEM; compactor ran %lu times and freed %lu pages",
		  mode, n, sum.allocs, sum.frees, sum.atomic_frees,
		  sum.bulk_frees, checks, sum.rewrites, sum.enomem,
		  comp.runs, comp.pages);
	zsft_point(sum.bulk_frees && sum.bulk_frees < sum.frees,
		   "stress %s: frees took both zsf_free and zsf_free_bulk (%lu of %lu in bulk)",
		   mode, sum.bulk_frees, sum.frees);
	zsft_point(n == nr && !idle && sum.allocs && checks,
		   "stress %s: a worker ran on each of %u CPUs (%u idle)", mode,
		   nr, idle);
	zsft_point(!bad_data && checks,
		   "stress %s: data intact on every read (%lu checks, %lu bad)",
		   mode, checks, bad_data);
	zsft_point(!sum.bad_alloc,
		   "stress %s: zsf_malloc fails only with -ENOMEM (%lu other failures)",
		   mode, sum.bad_alloc);
	zsft_point(!sum.bad_cpu, "stress %s: workers stayed on their CPUs",
		   mode);
	zsft_point(comp.runs >= seconds,
		   "stress %s: zsf_compact ran concurrently (%lu times in %u s)",
		   mode, comp.runs, seconds);
	zsft_point(comp.runs && !comp.bad_counters,
		   "stress %s: class counters matched the lists after each compaction (%lu mismatches)",
		   mode, comp.bad_counters);

	for (i = 0; i < comp.nr_pools; i++) {
		if (!zsft_wait_pages(comp.pools[i], 0)) {
			zsft_diag("stress %s: pool %u keeps %lu pages", mode,
				  i, zsf_get_total_pages(comp.pools[i]));
			empty = false;
		}
		zsf_pool_stats(comp.pools[i], &st);
		frees1 += st.frees;
	}
	zsft_point(empty, "stress %s: every pool is back to 0 pages", mode);
	zsft_point(frees1 - frees0 == sum.frees,
		   "stress %s: the pools counted %lu frees, the workers made %lu",
		   mode, frees1 - frees0, sum.frees);

out_pools:
	for (i = 0; i < comp.nr_pools; i++)
		zsf_destroy_pool(comp.pools[i]);
	zsft_point(zsft_wait_pages(NULL, start_total),
		   "stress %s: zsfast's total pages back to %lu (%lu)",
		   mode, start_total, zsf_test_total_pages());
out_free:
	kfree(comp.pools);
	kfree(workers);
}

int zsft_run_stress(void)
{
	zsft_stress_phase(false, zsft_seconds);
	zsft_stress_phase(true, zsft_seconds);
	return 0;
}
