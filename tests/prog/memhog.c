// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memhog: push anonymous memory through swap and check that it comes back.
 *
 * usage: memhog [-s SEED] [-r ROUNDS] [-w DIR] [-q] MIB
 *
 * Each round maps MIB MiB of anonymous memory, fills every page with a
 * pattern unique to (seed, round, page, word), asks the kernel to page it
 * all out with MADV_PAGEOUT, and reads it back, comparing every word.
 * The pattern is neither same-filled (zram would not store it in its
 * allocator) nor random (it compresses about 2:1).
 *
 * -w DIR: in the last round, after paging out, create DIR/ready and wait
 *	   until DIR/go exists before verifying, so that a test can do
 *	   things while the data sits in swap.
 *
 * Prints VmSwap after each page-out.  Exit status: 0 when all data was
 * intact, 1 on a mismatch, 2 on a usage or system error.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#define ZT_PROG "memhog"
#include "zt_prog.h"

static long page_size;
static int quiet;

static uint64_t pattern(uint64_t seed, uint64_t page, uint64_t word)
{
	/* Per-page constant in the high bytes, word index in the low. */
	uint64_t base = (seed * 0x9e3779b97f4a7c15ULL) ^
			(page * 0xbf58476d1ce4e5b9ULL);

	return (base & ~0xffffULL) | ((word + page) & 0xffff);
}

static void fill(uint64_t *mem, size_t pages, uint64_t seed)
{
	size_t words = page_size / sizeof(uint64_t);
	size_t p, w;

	for (p = 0; p < pages; p++)
		for (w = 0; w < words; w++)
			mem[p * words + w] = pattern(seed, p, w);
}

static size_t verify(const uint64_t *mem, size_t pages, uint64_t seed)
{
	size_t words = page_size / sizeof(uint64_t);
	size_t p, w, bad_pages = 0;

	for (p = 0; p < pages; p++) {
		size_t bad = 0;

		for (w = 0; w < words; w++) {
			uint64_t want = pattern(seed, p, w);
			uint64_t got = mem[p * words + w];

			if (got == want)
				continue;
			if (bad_pages < 5 && bad < 2)
				fprintf(stderr,
					"memhog: page %zu word %zu: got %016llx want %016llx\n",
					p, w, (unsigned long long)got,
					(unsigned long long)want);
			bad++;
		}
		if (bad)
			bad_pages++;
	}
	return bad_pages;
}

static void wait_for_go(const char *dir)
{
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/ready", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		zt_die(2, path);
	close(fd);
	snprintf(path, sizeof(path), "%s/go", dir);
	while (stat(path, &st))
		usleep(100000);
}

#define USAGE "memhog [-s SEED] [-r ROUNDS] [-w DIR] [-q] MIB"

int main(int argc, char **argv)
{
	const char *wait_dir = NULL;
	int rounds = 1, r;
	uint64_t seed = 1;
	const struct zt_opt opts[] = {
		{ 's', ZT_U64, &seed },
		{ 'r', ZT_INT, &rounds },
		{ 'w', ZT_STR, &wait_dir },
		{ 'q', ZT_FLAG, &quiet },
		{ 0 }
	};
	size_t len, pages, bad;
	long mib;

	zt_getopt(argc, argv, opts, USAGE);
	if (optind != argc - 1 || rounds < 1)
		zt_usage(USAGE);
	mib = atol(argv[optind]);
	if (mib <= 0)
		zt_usage(USAGE);

	page_size = sysconf(_SC_PAGESIZE);
	len = (size_t)mib << 20;
	pages = len / page_size;

	for (r = 0; r < rounds; r++) {
		uint64_t s = seed + r;
		uint64_t *mem = zt_map(len);

		fill(mem, pages, s);
		if (zt_page_out(mem, len, 1, 0, NULL))
			return 2;
		if (!quiet)
			printf("memhog: round %d: %ld MiB paged out, VmSwap %lu kB\n",
			       r, mib, zt_vm_swap_kb());
		fflush(stdout);
		if (wait_dir && r == rounds - 1)
			wait_for_go(wait_dir);
		bad = verify(mem, pages, s);
		if (bad) {
			fprintf(stderr, "memhog: round %d: %zu of %zu pages corrupt\n",
				r, bad, pages);
			printf("memhog: FAIL\n");
			return 1;
		}
		munmap(mem, len);
	}
	printf("memhog: OK, %d round(s) of %ld MiB verified\n", rounds, mib);
	return 0;
}
