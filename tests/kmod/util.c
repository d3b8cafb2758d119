// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast_test: PRNG, data patterns and small helpers shared by the tests.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mm.h>

#include <zsfast.h>
#include <zsfast/testing.h>

#include "zsft.h"

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

static inline u64 zsft_xorshift(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

u64 zsft_rng_next(struct zsft_rng *rng)
{
	return zsft_xorshift(&rng->s);
}

u32 zsft_rng_below(struct zsft_rng *rng, u32 n)
{
	return (u32)(((zsft_rng_next(rng) >> 32) * n) >> 32);
}

void zsft_shuffle(struct zsft_rng *rng, unsigned int *v, unsigned int n)
{
	unsigned int i, j, t;

	for (i = n; i > 1; i--) {
		j = zsft_rng_below(rng, i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

u64 zsft_seed(unsigned long handle, size_t size, u32 gen)
{
	u64 x = zsft_mix64((u64)handle ^
			   zsft_mix64(((u64)size << 32) ^ gen));

	return x ? x : 1;
}

void zsft_fill(void *buf, size_t len, u64 seed)
{
	u8 *p = buf;
	u64 s = seed, w;

	while (len >= sizeof(w)) {
		w = zsft_xorshift(&s);
		memcpy(p, &w, sizeof(w));
		p += sizeof(w);
		len -= sizeof(w);
	}
	if (len) {
		w = zsft_xorshift(&s);
		memcpy(p, &w, len);
	}
}

size_t zsft_mismatch(const void *buf, size_t len, u64 seed)
{
	const u8 *p = buf;
	u64 s = seed, w;
	size_t off = 0, n, i;

	while (off < len) {
		w = zsft_xorshift(&s);
		n = min_t(size_t, sizeof(w), len - off);
		if (memcmp(p + off, &w, n)) {
			for (i = 0; i < n; i++)
				if (p[off + i] != ((u8 *)&w)[i])
					return off + i;
		}
		off += n;
	}
	return len;
}

void zsft_obj_fill(struct zsf_pool *pool, unsigned long handle, size_t size,
		   u32 gen, void *buf)
{
	zsft_fill(buf, size, zsft_seed(handle, size, gen));
	zsf_obj_write(pool, handle, buf, size);
}

size_t zsft_obj_check(struct zsf_pool *pool, unsigned long handle,
		      size_t size, u32 gen, void *local)
{
	size_t off;
	void *mem;

	mem = zsf_obj_read_begin(pool, handle, local);
	off = zsft_mismatch(mem, size, zsft_seed(handle, size, gen));
	zsf_obj_read_end(pool, handle, mem);
	return off;
}

bool zsft_wait_pool_pages(struct zsf_pool *pool, unsigned long want,
			  unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	for (;;) {
		if (zsf_get_total_pages(pool) == want)
			return true;
		if (time_after(jiffies, end))
			return false;
		msleep(20);
	}
}

bool zsft_wait_total_pages(unsigned long want, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	for (;;) {
		if (zsf_test_total_pages() == want)
			return true;
		if (time_after(jiffies, end))
			return false;
		msleep(20);
	}
}
