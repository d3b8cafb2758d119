// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memhog: push anonymous memory through swap and check that it comes back.
 *
 * usage: memhog [-w DIR] [-q] MIB
 *
 * It maps MIB MiB of anonymous memory, fills every page with a pattern
 * unique to (page, word), asks the kernel to page it all out with
 * MADV_PAGEOUT, and reads it back, comparing every word.
 * The pattern is neither same-filled (zram would not store it in its
 * allocator) nor random (it compresses about 2:1).
 *
 * -w DIR: after paging out, create DIR/ready and wait until DIR/go
 *	   exists before verifying, so that a test can do things while the
 *	   data sits in swap.
 * -q: do not print VmSwap after the page-out.
 *
 * Its lines still say "round 0" and "1 round(s)", from when it had
 * rounds.  Exit status: 0 when all data was intact, 1 on a mismatch, 2
 * on a usage or system error.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#define ZT_PROG "memhog"
#include "zt_prog.h"

static long page_size;

static uint64_t pattern(uint64_t page, uint64_t word)
{
	/* Per-page constant in the high bytes, word index in the low. */
	uint64_t base = 0x9e3779b97f4a7c15ULL ^ (page * 0xbf58476d1ce4e5b9ULL);

	return (base & ~0xffffULL) | ((word + page) & 0xffff);
}

static void fill(uint64_t *mem, size_t pages)
{
	size_t words = page_size / sizeof(uint64_t);
	size_t p, w;

	for (p = 0; p < pages; p++)
		for (w = 0; w < words; w++)
			mem[p * words + w] = pattern(p, w);
}

static size_t verify(const uint64_t *mem, size_t pages)
{
	size_t words = page_size / sizeof(uint64_t);
	size_t p, w, bad_pages = 0;

	for (p = 0; p < pages; p++) {
		size_t bad = 0;

		for (w = 0; w < words; w++) {
			uint64_t want = pattern(p, w);
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

#define USAGE "memhog [-w DIR] [-q] MIB"

int main(int argc, char **argv)
{
	const char *wait_dir = NULL;
	int quiet = 0;
	const struct zt_opt opts[] = {
		{ 'w', ZT_STR, &wait_dir },
		{ 'q', ZT_FLAG, &quiet },
		{ 0 }
	};
	size_t len, pages, bad;
	uint64_t *mem;
	long mib;

	if (zt_getopt(argc, argv, opts, USAGE) != argc - 1)
		zt_usage(USAGE);
	mib = atol(argv[optind]);
	if (mib <= 0)
		zt_usage(USAGE);

	page_size = sysconf(_SC_PAGESIZE);
	len = (size_t)mib << 20;
	pages = len / page_size;
	mem = zt_map(len);
	fill(mem, pages);
	if (zt_page_out(mem, len, 1, 0, NULL))
		return 2;
	if (!quiet)
		printf("memhog: round 0: %ld MiB paged out, VmSwap %lu kB\n",
		       mib, zt_vm_swap_kb());
	fflush(stdout);
	if (wait_dir)
		wait_for_go(wait_dir);
	bad = verify(mem, pages);
	if (bad) {
		fprintf(stderr, "memhog: round 0: %zu of %zu pages corrupt\n",
			bad, pages);
		printf("memhog: FAIL\n");
		return 1;
	}
	printf("memhog: OK, 1 round(s) of %ld MiB verified\n", mib);
	return 0;
}
