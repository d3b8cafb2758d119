// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapcheck: push known data through swap from several processes and
 * check every page after it comes back in.
 *
 *   swapcheck [-p PROCS] [-m MB | -f FACTOR] [-r ROUNDS] [-A MB] [-c SHARE]
 *
 *   -p PROCS   processes (default 3)
 *   -m MB      anonymous memory per process, in MiB
 *   -f FACTOR  instead of -m: all processes together use FACTOR times
 *              MemAvailable (default 2.0), or with -c FACTOR times what
 *              the swap device's pool leaves of it
 *   -r ROUNDS  fill-and-check rounds (default 1); every round rewrites
 *              every page with new content
 *   -A MB      if MemAvailable is above MB MiB, first pin (mlock) the
 *              difference, so that the run's size and time do not grow
 *              with the guest's memory; -f is then relative to MB
 *   -c SHARE   the swap device keeps what is swapped out in the same
 *              RAM, in SHARE of its size (a compressed pool: zram's
 *              mem_used_max over the data swapped out).  Each process
 *              pushes all of its pages out before it reads any back, so
 *              at its peak the pool holds SHARE of the whole run.  It
 *              gets that room: -A pins down to MB plus SHARE of the run,
 *              and -f counts only the memory that this leaves,
 *              MemAvailable / (1 + SHARE * FACTOR), MB with -A.
 *              Default 0: a swap device that takes no RAM
 *
 * Each process fills its region page by page (zt_pattern.h's "mixed":
 * incompressible, text-like, zero, same-filled, half and sparse pages;
 * seed 0x5eed + process * 1000 + round), pushing every filled MiB out
 * with MADV_PAGEOUT (on top of the memory pressure that the size
 * creates), pushes the whole region out once more, and then reads every
 * page back in an interleaved order (odd MiB first, then even, each
 * backwards) and compares it with what it wrote.  Mismatches are printed
 * with process, page index and byte offset.
 *
 * Prints the /proc/vmstat pswpout and pswpin deltas.  Exit status: 0
 * all pages intact; 1 a mismatch, or a process died (e.g. OOM-killed);
 * 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <inttypes.h>

#define ZT_PROG "swapcheck"
#include "zt_prog.h"

#define MB_PAGES (1024 * 1024 / ZT_PAGE)

static unsigned long mem_available_kb(void)
{
	return zt_proc_field("/proc/meminfo", "MemAvailable: %lu kB");
}

/* Lock @mb MiB of memory for the life of this process. */
static int pin_memory(size_t mb)
{
	size_t len = mb << 20;
	char *p = zt_map(len);
	size_t i;

	madvise(p, len, MADV_DONTFORK);
	if (mlock(p, len)) {
		perror("swapcheck: mlock");
		return -1;
	}
	for (i = 0; i < len; i += ZT_PAGE)
		p[i] = 1;
	return 0;
}

static double now(void)
{
	return zt_ns(CLOCK_MONOTONIC) / 1e9;
}

static struct {
	int procs, rounds;
	size_t mb;
} opt = { .procs = 3, .rounds = 1 };

static int child(int id)
{
	size_t pages = opt.mb * MB_PAGES, half = opt.mb / 2, m, mm, j, idx;
	char *p = zt_map(pages * ZT_PAGE);
	uint64_t seed, rbad, bad = 0;
	char who[48];
	double t0;
	int r;

	for (r = 0; r < opt.rounds; r++) {
		seed = 0x5eed + (uint64_t)id * 1000 + r;
		rbad = 0;
		t0 = now();
		snprintf(who, sizeof(who), "swapcheck proc %d round %d", id, r);
		for (m = 0; m < opt.mb; m++) {
			zt_fill(p + (m << 20), MB_PAGES, ZT_MIXED, seed,
				m * MB_PAGES);
			madvise(p + (m << 20), 1 << 20, MADV_PAGEOUT);
		}
		zt_page_out(p, pages * ZT_PAGE, 1, 0, NULL);

		/* Odd MiB first, then even ones; each MiB backwards. */
		for (m = 0; m < opt.mb; m++) {
			mm = m < half ? 2 * m + 1 : 2 * (m - half);
			for (j = MB_PAGES; j-- > 0;) {
				idx = mm * MB_PAGES + j;
				zt_check_page(p + idx * ZT_PAGE, ZT_MIXED, seed,
					      idx, who, &rbad);
			}
		}
		printf("swapcheck: proc %d round %d pages %zu bad %" PRIu64
		       " (%.1f s)\n", id, r, pages, rbad, now() - t0);
		bad += rbad;
	}
	munmap(p, pages * ZT_PAGE);
	return bad ? 1 : 0;
}

#define USAGE "swapcheck [-p PROCS] [-m MB | -f FACTOR] [-r ROUNDS] [-A MB] [-c SHARE]"

int main(int argc, char **argv)
{
	unsigned long pswpout, pswpin;
	double factor = 2.0, share = 0, t0;
	size_t avail_cap = 0;
	struct zt_kids kids;
	int failed;

	const struct zt_opt opts[] = {
		{ 'p', ZT_INT, &opt.procs },
		{ 'm', ZT_ULONG, &opt.mb },
		{ 'f', ZT_DOUBLE, &factor },
		{ 'r', ZT_INT, &opt.rounds },
		{ 'A', ZT_ULONG, &avail_cap },
		{ 'c', ZT_DOUBLE, &share },
		{ 0 }
	};

	zt_getopt(argc, argv, opts, USAGE);
	if (opt.procs < 1 || opt.rounds < 1 || factor <= 0 || share < 0)
		zt_usage(USAGE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (avail_cap) {
		double run = opt.mb ? opt.mb * opt.procs : factor * avail_cap;
		size_t keep = avail_cap + share * run;
		size_t avail_mb = mem_available_kb() / 1024;

		if (avail_mb > keep) {
			if (pin_memory(avail_mb - keep))
				return 2;
			printf("swapcheck: pinned %zu MiB\n", avail_mb - keep);
		}
	}
	if (!opt.mb) {
		unsigned long avail = mem_available_kb();
		double room = avail / 1024.0;

		if (!avail) {
			fprintf(stderr, "swapcheck: no MemAvailable\n");
			return 2;
		}
		/* The room r with r + share * factor * r == MemAvailable. */
		room /= 1 + share * factor;
		opt.mb = (size_t)(room * factor / opt.procs);
		if (!opt.mb)
			opt.mb = 1;
		if (share)
			printf("swapcheck: %.0f MiB for the pages, %.0f MiB for the pool (share %.2f)\n",
			       room, avail / 1024.0 - room, share);
	}
	printf("swapcheck: %d procs x %zu MiB, mode mixed, %d round(s), MemAvailable %lu kB\n",
	       opt.procs, opt.mb, opt.rounds, mem_available_kb());

	pswpout = zt_proc_field("/proc/vmstat", "pswpout %lu");
	pswpin = zt_proc_field("/proc/vmstat", "pswpin %lu");
	t0 = now();
	zt_fork_kids(&kids, opt.procs, child);
	failed = zt_reap_kids(&kids, 1) ? 1 : 0;
	printf("swapcheck: pswpout=%lu pswpin=%lu time=%.1fs result=%s\n",
	       zt_proc_field("/proc/vmstat", "pswpout %lu") - pswpout,
	       zt_proc_field("/proc/vmstat", "pswpin %lu") - pswpin,
	       now() - t0, failed ? "FAIL" : "ok");
	return failed;
}
