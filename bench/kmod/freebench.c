// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The zs_free micro-benchmark (W2), built twice from this one
 * source: zsfbench_stock.ko against the kernel's zsmalloc (zs_*) and
 * zsfbench_zsf.ko against zsfast (zsf_*); see stock.c and zsf.c, which
 * set FB_STOCK and include this file.
 *
 * At load time it creates a pool, allocates threads * count handles of
 * mixed sizes (thread t's handles in one run, so every thread frees its
 * own zspages, as exiting processes free their own swap slots), then
 * starts one kthread per thread bound to CPU (t % online CPUs); they
 * wait for each other and each frees its handles in allocation order.
 * The module prints one line and stays loaded until rmmod:
 *
 *   freebench: impl=stock|zsfast|zsfast-bulk tag=.. threads=N count=M
 *              ns_per_free=.. max_thread_ns=.. wall_ns=.. pages_left=..
 *
 * ns_per_free is the mean over the threads of (a thread's time to free
 * its M handles) / M.  pages_left is the pool's page count right after
 * the frees (zspages a free could not release at once go to a worker).
 * The pool is destroyed before the module returns from init.
 *
 * zsfbench_zsf.ko bulk=B frees with zsf_free_bulk(), B handles per call
 * (impl=zsfast-bulk), as zramx frees a batch of released swap slots.
 *
 * compact=R measures instead how long a single free can wait for
 * compaction: count objects (of size bytes each, or zram-like mixed
 * sizes with size=0) are allocated, a kthread on one CPU runs
 * zs_compact()/zsf_compact() in a loop, and a kthread on another CPU, R
 * times, frees a random half of the objects, timing each free with
 * interrupts off (as the swap core frees, under its lock), and allocates
 * them again.  The line printed is
 *
 *   freebench: impl=..-compact tag=.. size=.. count=.. rounds=..
 *              frees=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=..
 *              compactions=.. pages_compacted=..
 *
 * compactor=N leaves the compacting kthread idle: what is left is the
 * latency of a free on its own, and the noise of the machine (under
 * QEMU, the host descheduling a vCPU).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/overflow.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/cpumask.h>
#include <linux/sched/clock.h>
#include <linux/sort.h>

#ifdef FB_STOCK
#include <linux/zsmalloc.h>
#define FB_IMPL			"stock"
#define fb_pool			zs_pool
#define fb_create_pool(n)	zs_create_pool(n)
#define fb_destroy_pool(p)	zs_destroy_pool(p)
#ifdef HAVE_ZS_MALLOC_NID
#define fb_malloc(p, s, g)	zs_malloc(p, s, g, NUMA_NO_NODE)
#else
#define fb_malloc(p, s, g)	zs_malloc(p, s, g)
#endif
#define fb_free(p, h)		zs_free(p, h)
#define fb_total_pages(p)	zs_get_total_pages(p)
#define fb_compact(p)		zs_compact(p)
static const unsigned int bulk;	/* zsmalloc frees one at a time */
#else
#include <zsfast.h>
#include <compat/compat.h>
#define FB_IMPL			"zsfast"
#define fb_pool			zsf_pool
#define fb_create_pool(n)	zsf_create_pool(n)
#define fb_destroy_pool(p)	zsf_destroy_pool(p)
#define fb_malloc(p, s, g)	zsf_malloc(p, s, g, NUMA_NO_NODE)
#define fb_free(p, h)		zsf_free(p, h)
#define fb_total_pages(p)	zsf_get_total_pages(p)
#define fb_compact(p)		zsf_compact(p)
ZSF_IMPORT_NS();

static unsigned int bulk;
module_param(bulk, uint, 0444);
MODULE_PARM_DESC(bulk, "free with zsf_free_bulk(), this many per call");
#endif
#define fb_impl()		(bulk ? FB_IMPL "-bulk" : FB_IMPL)

static unsigned int threads;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "freeing kthreads (default: online CPUs)");
static unsigned int count = 65536;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "handles each kthread frees");
static unsigned int seed = 1;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the object sizes");
static unsigned int tag;
module_param(tag, uint, 0444);
MODULE_PARM_DESC(tag, "echoed in the result line");
static unsigned int compact;
module_param(compact, uint, 0444);
MODULE_PARM_DESC(compact, "rounds of frees timed against a compacting kthread (0: W2)");
static unsigned int size;
module_param(size, uint, 0444);
MODULE_PARM_DESC(size, "compact=: object size (0: mixed, as zram stores)");
static bool compactor = true;
module_param(compactor, bool, 0444);
MODULE_PARM_DESC(compactor, "compact=: run the compacting kthread (N: the same frees without it, the noise floor)");

struct fb_thread {
	struct fb_pool *pool;
	unsigned long *handles;
	unsigned int n;
	u64 ns;
	struct completion done;
};

static DECLARE_COMPLETION(fb_start);

/* xorshift32: reproducible from seed=. */
static u32 fb_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Sizes like zram's: compressed pages 32 .. 4000 bytes, 1 in 8 whole. */
static size_t fb_size(u32 *state)
{
	u32 x = fb_rand(state);

	if (!(x % 8))
		return PAGE_SIZE;
	return 32 + (x >> 8) % 3968;
}

/* One object of fb_size() bytes (compact=: of size= bytes, if set), or 0. */
static unsigned long fb_alloc(struct fb_pool *pool, u32 *state)
{
	unsigned long h = fb_malloc(pool, compact && size ? size : fb_size(state),
				    GFP_KERNEL | __GFP_NOWARN);

	return IS_ERR_OR_NULL((void *)h) ? 0 : h;
}

/* Fill @h[0 .. n - 1] with new objects: 0, or -ENOMEM. */
static int fb_fill(struct fb_pool *pool, unsigned long *h, size_t n,
		   u32 *state)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h[i] = fb_alloc(pool, state);
		if (!h[i])
			return -ENOMEM;
	}
	return 0;
}

/* Free the objects of @h[0 .. n - 1] that are not 0, then @h itself. */
static void fb_free_all(struct fb_pool *pool, unsigned long *h, size_t n)
{
	size_t i;

	for (i = 0; h && i < n; i++)
		if (h[i])
			fb_free(pool, h[i]);
	vfree(h);
}

static int fb_thread_fn(void *data)
{
	struct fb_thread *t = data;
	unsigned int i;
	u64 t0;

	/* Start together with the other threads. */
	wait_for_completion(&fb_start);
	t0 = ktime_get_ns();
#ifndef FB_STOCK
	if (bulk)
		for (i = 0; i < t->n; i += bulk)
			zsf_free_bulk(t->pool, t->handles + i,
				      min(bulk, t->n - i));
	else
#endif
		for (i = 0; i < t->n; i++)
			fb_free(t->pool, t->handles[i]);
	t->ns = ktime_get_ns() - t0;
	complete(&t->done);
	return 0;
}

/* compact=R: free latency while another kthread compacts the pool. */
struct fb_compact {
	struct fb_pool *pool;
	unsigned long *handles;
	unsigned int *order;
	u32 *lat;
	unsigned int nlat;
	unsigned long runs, pages;
	u32 state;
	int err;
	struct completion done;
};

static int fb_compactor_fn(void *data)
{
	struct fb_compact *c = data;

	while (!kthread_should_stop()) {
		if (!compactor) {
			schedule_timeout_interruptible(HZ / 10);
			continue;
		}
		c->pages += fb_compact(c->pool);
		c->runs++;
		cond_resched();
	}
	return 0;
}

static int fb_churn_fn(void *data)
{
	struct fb_compact *c = data;
	unsigned int r, i, j, k, half = count / 2;
	unsigned long flags;
	u64 t0;

	for (r = 0; r < compact; r++) {
		for (i = 0; i < count; i++)
			c->order[i] = i;
		for (i = count - 1; i > 0; i--) {
			j = fb_rand(&c->state) % (i + 1);
			swap(c->order[i], c->order[j]);
		}
		for (i = 0; i < half; i++) {
			k = c->order[i];
			local_irq_save(flags);
			t0 = local_clock();
			fb_free(c->pool, c->handles[k]);
			c->lat[c->nlat++] = min_t(u64, local_clock() - t0,
						  U32_MAX);
			local_irq_restore(flags);
			c->handles[k] = 0;
		}
		for (i = 0; i < half; i++) {
			k = c->order[i];
			c->handles[k] = fb_alloc(c->pool, &c->state);
			if (!c->handles[k]) {
				c->err = -ENOMEM;
				goto out;
			}
		}
		cond_resched();
	}
out:
	complete(&c->done);
	return 0;
}

static int fb_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static int fb_compact_run(void)
{
	unsigned int ncpu = num_online_cpus();
	struct task_struct *comp, *churn;
	struct fb_compact c = { .state = seed ? seed : 1 };
	int ret;

	if (count < 2 || size > PAGE_SIZE || ncpu < 2)
		return -EINVAL;
	init_completion(&c.done);
	c.pool = fb_create_pool("freebench");
	c.handles = vcalloc(count, sizeof(*c.handles));
	c.order = vcalloc(count, sizeof(*c.order));
	c.lat = vcalloc(array_size(compact, count / 2), sizeof(*c.lat));
	ret = c.pool && c.handles && c.order && c.lat ?
	      fb_fill(c.pool, c.handles, count, &c.state) : -ENOMEM;
	if (ret)
		goto out;

	comp = kthread_create(fb_compactor_fn, &c, "freebench/compact");
	if (IS_ERR(comp)) {
		ret = PTR_ERR(comp);
		goto out;
	}
	churn = kthread_create(fb_churn_fn, &c, "freebench/free");
	if (IS_ERR(churn)) {
		kthread_stop(comp);
		ret = PTR_ERR(churn);
		goto out;
	}
	kthread_bind(comp, 1);
	kthread_bind(churn, 0);
	wake_up_process(comp);
	wake_up_process(churn);
	wait_for_completion(&c.done);
	kthread_stop(comp);
	ret = c.err;
	if (ret || !c.nlat)
		goto out;

	sort(c.lat, c.nlat, sizeof(*c.lat), fb_cmp_u32, NULL);
	pr_info("freebench: impl=%s-%s tag=%u size=%u count=%u rounds=%u frees=%u p50_ns=%u p99_ns=%u p999_ns=%u max_ns=%u compactions=%lu pages_compacted=%lu\n",
		fb_impl(), compactor ? "compact" : "idle", tag, size, count,
		compact, c.nlat,
		c.lat[c.nlat / 2], c.lat[(u64)c.nlat * 99 / 100],
		c.lat[(u64)c.nlat * 999 / 1000], c.lat[c.nlat - 1], c.runs,
		c.pages);
out:
	fb_free_all(c.pool, c.handles, count);
	if (c.pool)
		fb_destroy_pool(c.pool);
	vfree(c.lat);
	vfree(c.order);
	return ret;
}

static int __init fb_init(void)
{
	unsigned int nt = threads ? threads : num_online_cpus();
	unsigned int i, ncpu = num_online_cpus();
	size_t total = (size_t)nt * count;
	unsigned long *handles, left;
	struct task_struct *task;
	struct fb_thread *t;
	struct fb_pool *pool;
	u64 sum = 0, max = 0, w0, wall;
	u32 state = seed ? seed : 1;
	int ret;

	if (!count)
		return -EINVAL;
	if (compact)
		return fb_compact_run();
	t = kcalloc(nt, sizeof(*t), GFP_KERNEL);
	pool = fb_create_pool("freebench");
	/* Zeroed: the cleanup frees what is not 0. */
	handles = vcalloc(total, sizeof(*handles));
	ret = t && pool && handles ? fb_fill(pool, handles, total, &state) :
				     -ENOMEM;
	if (ret)
		goto out;

	for (i = 0; i < nt; i++) {
		t[i].pool = pool;
		t[i].handles = handles + (size_t)i * count;
		t[i].n = count;
		init_completion(&t[i].done);
		task = kthread_create(fb_thread_fn, &t[i], "freebench/%u", i);
		if (IS_ERR(task)) {
			/* Freed by the cleanup below instead. */
			t[i].n = 0;
			complete(&t[i].done);
			ret = PTR_ERR(task);
			continue;
		}
		kthread_bind(task, i % ncpu);
		wake_up_process(task);
	}
	/* Every thread sleeps in wait_for_completion(&fb_start) now. */
	w0 = ktime_get_ns();
	complete_all(&fb_start);
	for (i = 0; i < nt; i++)
		wait_for_completion(&t[i].done);
	wall = ktime_get_ns() - w0;
	left = fb_total_pages(pool);
	for (i = 0; i < nt; i++) {
		/* Freed: nothing for the cleanup to free again. */
		if (t[i].n)
			memset(t[i].handles, 0, sizeof(*handles) * count);
		sum += t[i].ns;
		max = max(max, t[i].ns);
	}
	if (!ret)
		pr_info("freebench: impl=%s tag=%u threads=%u count=%u ns_per_free=%llu max_thread_ns=%llu wall_ns=%llu pages_left=%lu\n",
			fb_impl(), tag, nt, count, div_u64(sum, (u64)nt * count),
			max, wall, left);
out:
	fb_free_all(pool, handles, total);
	if (pool)
		fb_destroy_pool(pool);
	kfree(t);
	return ret;
}

static void __exit fb_exit(void)
{
}

module_init(fb_init);
module_exit(fb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("zs_free/zsf_free micro-benchmark (" FB_IMPL ")");
