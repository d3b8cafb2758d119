/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page content generators shared by the zramx test programs (blkio,
 * swapcheck, release).  Every page's content is a pure function of
 * (mode, seed, page index), so a reader can regenerate what it expects
 * and compare without keeping a copy.
 *
 * Modes:
 *   random  incompressible bytes (xorshift); stored whole ("huge") by zram
 *   text    text-like words from a small dictionary; compresses 2-4x
 *   zero    all zero (same-filled, value 0)
 *   same    one 64-bit value repeated over the page; the value depends on
 *           seed and index, so misplaced pages are still detected
 *   mixed   by index: random, text, zero, same, half random/half zero,
 *           sparse (mostly zero with a few words), text, sparse
 *   graded  random words up to a length set by the index, zero after:
 *           over any 513 pages in a row every length from 0 to the
 *           whole page, so the pages compress to every size class in
 *           turn, the huge one included
 *
 * Except for the same-filled modes, the first 16 bytes of a page hold
 * the seed and page index, so a page read back from the wrong place is
 * reported as such.
 */
#ifndef ZT_PATTERN_H
#define ZT_PATTERN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ZT_PAGE 4096UL
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum zt_mode {
	ZT_RANDOM,
	ZT_TEXT,
	ZT_ZERO,
	ZT_SAME,
	ZT_MIXED,
	ZT_HALF,
	ZT_SPARSE,
	ZT_GRADED,
};

static const char *const zt_mode_names[] = {
	[ZT_RANDOM] = "random",
	[ZT_TEXT] = "text",
	[ZT_ZERO] = "zero",
	[ZT_SAME] = "same",
	[ZT_MIXED] = "mixed",
	[ZT_HALF] = "half",
	[ZT_SPARSE] = "sparse",
	[ZT_GRADED] = "graded",
};

static inline int zt_parse_mode(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zt_mode_names); i++)
		if (!strcmp(s, zt_mode_names[i]))
			return (int)i;
	return -1;
}

static inline uint64_t zt_mix64(uint64_t x)
{
	/* splitmix64 finalizer */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The mode a page of a "mixed" buffer gets. */
static inline int zt_mixed_mode(uint64_t idx)
{
	static const int order[8] = {
		ZT_RANDOM, ZT_TEXT, ZT_ZERO, ZT_SAME,
		ZT_HALF, ZT_SPARSE, ZT_TEXT, ZT_SPARSE,
	};

	return order[idx % 8];
}

static inline void zt_random_fill(uint64_t *w, size_t nwords, uint64_t s)
{
	size_t i;

	s = zt_mix64(s) | 1;
	for (i = 0; i < nwords; i++) {
		/* xorshift64* */
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		w[i] = s * 0x2545f4914f6cdd1dULL;
	}
}

static inline void zt_text_fill(char *p, size_t len, uint64_t s)
{
	static const char *const words[] = {
		"the ", "swap ", "page ", "zram ", "compressed ", "memory ",
		"of ", "and ", "kernel ", "block ", "device ", "slot ",
		"free ", "handle ", "class ", "zspage ", "object ", "to ",
		"a ", "is ", "in ", "for ", "allocator ", "release\n",
	};
	size_t n = 0;

	s = zt_mix64(s);
	while (n < len) {
		const char *w;
		size_t l;

		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		w = words[(s >> 33) % ARRAY_SIZE(words)];
		l = strlen(w);
		if (l > len - n)
			l = len - n;
		memcpy(p + n, w, l);
		n += l;
	}
}

/* Fill one page: page @idx of (@mode, @seed). */
static inline void zt_fill_page(void *page, int mode, uint64_t seed,
				uint64_t idx)
{
	uint64_t *w = page;
	uint64_t key = zt_mix64(seed) ^ (idx * 0x9e3779b97f4a7c15ULL);
	size_t i;

	if (mode == ZT_MIXED)
		mode = zt_mixed_mode(idx);

	switch (mode) {
	case ZT_ZERO:
		memset(page, 0, ZT_PAGE);
		return;
	case ZT_SAME: {
		/* Never 0; a few classic fill values too: ~0, a byte pattern. */
		uint64_t v = zt_mix64(seed * 0x1000193ULL + idx);

		if (idx % 5 < 2)
			v = idx % 5 ? 0x5a5a5a5a5a5a5a5aULL : ~0ULL;
		else if (!v)
			v = 1;
		for (i = 0; i < ZT_PAGE / 8; i++)
			w[i] = v;
		return;
	}
	case ZT_RANDOM:
		zt_random_fill(w, ZT_PAGE / 8, key);
		break;
	case ZT_TEXT:
		zt_text_fill(page, ZT_PAGE, key);
		break;
	case ZT_HALF:
		zt_random_fill(w, ZT_PAGE / 16, key);
		memset((char *)page + ZT_PAGE / 2, 0, ZT_PAGE / 2);
		break;
	case ZT_GRADED: {
		/* 37 is prime to 513: idx mod 513 picks each length once. */
		size_t n = idx * 37 % (ZT_PAGE / 8 + 1);

		zt_random_fill(w, n, key);
		memset(w + n, 0, ZT_PAGE - n * 8);
		break;
	}
	case ZT_SPARSE:
	default:
		memset(page, 0, ZT_PAGE);
		for (i = 0; i < ZT_PAGE / 8; i += 61)
			w[i] = zt_mix64(key + i);
		break;
	}
	/* Tag: where this page belongs. */
	w[0] = seed;
	w[1] = idx;
}

/* Fill the @n pages at @p, the first of them page @idx. */
static inline void zt_fill(void *p, size_t n, int mode, uint64_t seed,
			   uint64_t idx)
{
	size_t i;

	for (i = 0; i < n; i++)
		zt_fill_page((char *)p + i * ZT_PAGE, mode, seed, idx + i);
}

/*
 * Compare @page, page @idx, with @want.  A mismatch is counted in *@bad
 * and, among the first 16, reported as @who's with its first differing
 * byte.  Returns 1 if they differ, else 0.
 */
static inline int zt_compare(const char *who, uint64_t idx, const void *page,
			     const void *want, uint64_t *bad)
{
	const unsigned char *x = page, *y = want;
	uint64_t got = 0, exp = 0;
	size_t off, o;

	if (!memcmp(page, want, ZT_PAGE))
		return 0;
	if ((*bad)++ >= 16)
		return 1;
	for (off = 0; x[off] == y[off]; off++)
		;
	o = off & ~7UL;
	memcpy(&got, x + o, 8);
	memcpy(&exp, y + o, 8);
	fprintf(stderr,
		"%s: MISMATCH page %llu byte %ld (word @%zu: got %016llx want %016llx; tag got seed=%llx idx=%llu)\n",
		who, (unsigned long long)idx, (long)off, o,
		(unsigned long long)got, (unsigned long long)exp,
		(unsigned long long)((const uint64_t *)page)[0],
		(unsigned long long)((const uint64_t *)page)[1]);
	return 1;
}

/* zt_compare() @page with page @idx of (@mode, @seed). */
static inline int zt_check_page(const void *page, int mode, uint64_t seed,
				uint64_t idx, const char *who, uint64_t *bad)
{
	static char want[ZT_PAGE];

	zt_fill_page(want, mode, seed, idx);
	return zt_compare(who, idx, page, want, bad);
}

#endif /* ZT_PATTERN_H */
