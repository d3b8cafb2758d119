// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast_test: PRNG, data patterns and small helpers shared by the tests.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/mm.h>

#include <zsfast.h>
#include <zsfast/testing.h>

#include "zsft.h"

/* How long an empty zspage's deferred release may take. */
#define ZSFT_RELEASE_MS	3000

static u64 zsft_mix64(u64 x)
{
	/* splitmix64's finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

void zsft_rng_init(struct zsft_rng *rng, u64 seed)
{
	rng->s = zsft_mix64(seed + 0x9e3779b97f4a7c15ULL);
	if (!rng->s)
		rng->s = 1;
}

u64 zsft_rng_next(struct zsft_rng *rng)
{
	u64 x = rng->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

u32 zsft_rng_below(struct zsft_rng *rng, u32 n)
{
	return (u32)(((zsft_rng_next(rng) >> 32) * n) >> 32);
}

void zsft_shuffle(struct zsft_rng *rng, unsigned int *v, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n; i > 1; i--) {
		j = zsft_rng_below(rng, i);
		swap(v[i - 1], v[j]);
	}
}

static u64 zsft_seed(const struct zsft_obj *o)
{
	u64 x = zsft_mix64((u64)o->handle ^
			   zsft_mix64(((u64)o->size << 32) ^ o->gen));

	return x ? x : 1;
}

/* The pattern is the PRNG's stream from @seed, 8 bytes at a time. */
static void zsft_fill(void *buf, size_t len, u64 seed)
{
	struct zsft_rng r = { .s = seed };
	size_t off;
	u64 w;

	for (off = 0; off < len; off += sizeof(w)) {
		w = zsft_rng_next(&r);
		memcpy(buf + off, &w, min_t(size_t, sizeof(w), len - off));
	}
}

/* Return len if buf holds the pattern, else the first differing offset. */
static size_t zsft_mismatch(const void *buf, size_t len, u64 seed)
{
	struct zsft_rng r = { .s = seed };
	const u8 *p = buf;
	size_t off = 0, n, i;
	u64 w;

	for (off = 0; off < len; off += n) {
		w = zsft_rng_next(&r);
		n = min_t(size_t, sizeof(w), len - off);
		if (memcmp(p + off, &w, n)) {
			for (i = 0; i < n; i++)
				if (p[off + i] != ((u8 *)&w)[i])
					return off + i;
		}
	}
	return len;
}

void zsft_obj_fill(struct zsf_pool *pool, const struct zsft_obj *o,
		   void *buf)
{
	zsft_fill(buf, o->size, zsft_seed(o));
	zsf_obj_write(pool, o->handle, buf, o->size);
}

unsigned long zsft_obj_alloc(struct zsf_pool *pool, struct zsft_obj *o,
			     u32 size, u32 gen, int nid, void *buf)
{
	unsigned long h = zsf_malloc(pool, size, ZSFT_GFP, nid);

	o->handle = 0;
	if (IS_ERR_VALUE(h) || !h)
		return h;
	*o = (struct zsft_obj){ .handle = h, .size = size, .gen = gen };
	zsft_obj_fill(pool, o, buf);
	return h;
}

bool zsft_obj_intact(struct zsf_pool *pool, struct zsft_agg *agg,
		     const struct zsft_obj *o, void *local)
{
	void *mem = zsf_obj_read_begin(pool, o->handle, local);
	size_t off = zsft_mismatch(mem, o->size, zsft_seed(o));

	zsf_obj_read_end(pool, o->handle, mem);
	return zsft_check(agg, off == o->size,
			  "handle %#lx size %u: data differs at offset %zu",
			  o->handle, o->size, off);
}

bool zsft_wait_pages(struct zsf_pool *pool, unsigned long want)
{
	unsigned long end = jiffies + msecs_to_jiffies(ZSFT_RELEASE_MS);

	for (;;) {
		if ((pool ? zsf_get_total_pages(pool) :
			    zsf_test_total_pages()) == want)
			return true;
		if (time_after(jiffies, end))
			return false;
		msleep(20);
	}
}
