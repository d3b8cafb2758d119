/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal interfaces of zsfast_test.ko.
 *
 * Results are a KTAP document of their own, kept in a buffer that the
 * guest scripts nest as a subtest (tests/guest/zsft_lib.sh) from
 * /sys/kernel/debug/zsfast_test/results:
 *
 *     ok <N> <description>
 *     not ok <N> <description>
 *     # <diagnostic>
 *
 * N counts from 1 in each run.  A run that is complete ends with the
 * diagnostic "# zsfast_test run=<run> done: <passed> passed, <failed>
 * failed", so a script can tell it from one that died half way.
 */
#ifndef _ZSFT_H_
#define _ZSFT_H_

#include <linux/types.h>
#include <linux/compiler.h>

struct zsf_pool;
struct dentry;

/* Results: a point (@pass 0 or 1) or, for @pass < 0, a diagnostic. */
__printf(2, 3) void zsft_line(int pass, const char *fmt, ...);
#define zsft_point(pass, ...)	zsft_line(!!(pass), __VA_ARGS__)
#define zsft_diag(...)		zsft_line(-1, __VA_ARGS__)
void zsft_done(const char *what);

/*
 * An aggregated check: many individual checks behind one test point.
 * The first few failures are reported as diagnostics; the point passes
 * only if at least one check ran and none failed, so an aggregate that
 * silently checked nothing goes red.
 */
struct zsft_agg {
	const char *name;
	unsigned long checks;
	unsigned long fails;
};

#define ZSFT_AGG(n)	{ .name = (n) }
#define ZSFT_AGG_MAX_DIAG	8

__printf(3, 4) bool zsft_check(struct zsft_agg *agg, bool ok,
			       const char *fmt, ...);
/* The points of @n aggregates, in order. */
void zsft_agg_points(struct zsft_agg *agg, unsigned int n);
#define zsft_agg_point(agg)	zsft_agg_points(agg, 1)

/* A small, fast PRNG (xorshift64*), seedable for reproducible runs. */
struct zsft_rng {
	u64 s;
};

void zsft_rng_init(struct zsft_rng *rng, u64 seed);
u64 zsft_rng_next(struct zsft_rng *rng);
/* Uniform in [0, n); n > 0. */
u32 zsft_rng_below(struct zsft_rng *rng, u32 n);
/* @v = a random permutation of 0 .. n - 1. */
void zsft_shuffle(struct zsft_rng *rng, unsigned int *v, unsigned int n);

/*
 * Object data.  The pattern is derived from (handle, size, generation),
 * so a stale or misplaced object does not pass for the right one, and a
 * rewritten object does not pass with its old contents.
 */
struct zsft_obj {
	unsigned long handle;
	u32 size;
	u32 gen;
};

/*
 * zsf_malloc() an object of @size on node @nid into @o and write the
 * pattern of generation @gen, using @buf (PAGE_SIZE bytes) as staging.
 * Return what zsf_malloc() returned; @o->handle is 0 unless it worked.
 */
unsigned long zsft_obj_alloc(struct zsf_pool *pool, struct zsft_obj *o,
			     u32 size, u32 gen, int nid, void *buf);
/* (Re)write @o's pattern, of @o->gen. */
void zsft_obj_fill(struct zsf_pool *pool, const struct zsft_obj *o,
		   void *buf);
/*
 * Read the object back through zsf_obj_read_begin/end (with @local as the
 * local copy, PAGE_SIZE bytes) and compare, as one check of @agg.  Never
 * sleeps.
 */
bool zsft_obj_intact(struct zsf_pool *pool, struct zsft_agg *agg,
		     const struct zsft_obj *o, void *local);

/*
 * Poll until @pool (or, for NULL, all of zsfast) holds @want pages, for
 * as long as an empty zspage's deferred release may take.
 */
bool zsft_wait_pages(struct zsf_pool *pool, unsigned long want);

#define ZSFT_GFP	(GFP_KERNEL | __GFP_NOWARN | __GFP_HIGHMEM | \
			 __GFP_MOVABLE)

/* Module parameters shared by the tests. */
extern u64 zsft_seed_param;
extern unsigned int zsft_seconds;
extern unsigned int zsft_mb;

/* The tests. */
int zsft_run_unit(void);
int zsft_run_stress(void);
int zsft_run_leak(void);
int zsft_syscompact_init(struct dentry *dir);
void zsft_syscompact_exit(void);

#endif /* _ZSFT_H_ */
