// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stress: swap integrity under concurrency, for the debug-kernel lane.
 *
 *   stress [-p PROCS] [-t SECONDS] [-m MIB] [-f] [-q] [-X]
 *
 * PROCS worker processes (default 4) each run at least one round, and
 * start new rounds until SECONDS (default 60) have passed:
 *   1. mmap an anonymous region of MIB (default 8) and fill every page;
 *   2. madvise(MADV_PAGEOUT), count the pages mincore() says left memory,
 *      then read every page back and compare it;
 *   3. rewrite one half of about a third of the pages (a partial rewrite:
 *      the other half keeps its old contents);
 *   4. MADV_PAGEOUT again and compare every page again;
 *   5. munmap: every other round while the pages are still out, so that
 *      the swap slots are released without a swap-in.
 * Each half page's contents are a function of (worker, round, page, half,
 * generation), so any page that comes back with other bytes is a
 * mismatch.  Page kinds rotate with the page index: zero, same-filled,
 * incompressible, and "random prefix + zeros" with a prefix length that
 * varies with the generation, so compressed sizes cover every size class
 * (including objects that straddle two pages).
 *
 * -f  fault mode (t_fault.sh): a SIGBUS while touching a page is how the
 *     kernel reports a swap-in I/O error.  It is counted in "ioerrors",
 *     the page is not touched again in that round, and it is NOT a
 *     mismatch: the error was detected and reported, nothing returned
 *     wrong data.  Without -f a SIGBUS kills the worker, which fails.
 * -q  print only the summary line.
 * -X  self-test of the checker: after the first page-out of each round,
 *     flip one byte of one page, as a corrupting swap-in would.  The run
 *     must then report mismatches and exit 1 (t_stress.sh checks that).
 *
 * Output (last line):
 *   stress: procs=P seconds=S rounds=R checked=N out=O mismatches=M ioerrors=E failed_workers=W
 * "checked" counts page comparisons, "out" pages mincore() reported
 * non-resident right after MADV_PAGEOUT (swap traffic actually happened).
 * Exit status: 0 when mismatches == 0 and every worker exited normally
 * (and, without -f, ioerrors == 0); 1 otherwise; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdint.h>

#define ZT_PROG "stress"
#include "zt_prog.h"

#define HALF_SHIFT 1	/* two halves per page */
#define MAX_REPORTS 8	/* mismatch lines printed per worker */

struct counters {
	unsigned long rounds;
	unsigned long checked;
	unsigned long out;
	unsigned long mismatches;
	unsigned long ioerrors;
	int done;
};

static long page_size;
static int fault_mode;
static int quiet;
static int corrupt;

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static uint64_t half_seed(unsigned int worker, unsigned long round,
			  size_t page, unsigned int half, unsigned int gen)
{
	return zt_mix64(zt_mix64(zt_mix64(((uint64_t)worker << 32) ^ round) ^
				 page) ^ ((uint64_t)half << 16 | gen));
}

/* Fill (or compute the expected contents of) one half page. */
static void fill_half(uint64_t *w, size_t nwords, size_t page, uint64_t seed)
{
	size_t i, rnd;
	uint64_t x = seed;

	switch (page % 4) {
	case 0:		/* zero */
		memset(w, 0, nwords * sizeof(*w));
		break;
	case 1:		/* same-filled with a seed-dependent word */
		for (i = 0; i < nwords; i++)
			w[i] = seed | 1;
		break;
	case 2:		/* incompressible */
		for (i = 0; i < nwords; i++) {
			x = zt_mix64(x);
			w[i] = x;
		}
		break;
	default:	/* random prefix of varying length, then zeros */
		rnd = seed % (nwords + 1);
		for (i = 0; i < rnd; i++) {
			x = zt_mix64(x);
			w[i] = x;
		}
		for (; i < nwords; i++)
			w[i] = i;
		break;
	}
}

static void on_sigbus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct region {
	unsigned char *mem;
	size_t pages;
	unsigned char *gen;	/* [page][half] */
	unsigned char *lost;	/* page got a SIGBUS this round */
	uint64_t *expect;	/* one page of scratch */
};

static unsigned int worker_id;
static unsigned long round_no;

static void expected_page(struct region *r, size_t p)
{
	size_t hw = page_size / 2 / sizeof(uint64_t);
	unsigned int h;

	for (h = 0; h < 2; h++)
		fill_half(r->expect + h * hw, hw, p,
			  half_seed(worker_id, round_no, p, h,
				    r->gen[p << HALF_SHIFT | h]));
}

/*
 * Run fn on page p with SIGBUS armed.  Returns 0, or -1 if the access
 * raised SIGBUS (the page is then marked lost).
 */
#define GUARDED(r, p, c, stmt)						\
	({								\
		int __ret = 0;						\
		if (sigsetjmp(bus_jmp, 1)) {				\
			bus_armed = 0;					\
			(r)->lost[p] = 1;				\
			(c)->ioerrors++;				\
			__ret = -1;					\
		} else {						\
			bus_armed = 1;					\
			stmt;						\
			bus_armed = 0;					\
		}							\
		__ret;							\
	})

static void write_page(struct region *r, size_t p)
{
	expected_page(r, p);
	memcpy(r->mem + p * page_size, r->expect, page_size);
}

static void report_mismatch(struct region *r, size_t p, struct counters *c)
{
	const uint64_t *got = (const uint64_t *)(r->mem + p * page_size);
	size_t i, n = page_size / sizeof(uint64_t);

	c->mismatches++;
	if (c->mismatches > MAX_REPORTS)
		return;
	for (i = 0; i < n; i++)
		if (got[i] != r->expect[i])
			break;
	fprintf(stderr,
		"stress[%u]: MISMATCH round %lu page %zu (kind %zu, gen %u/%u) word %zu: got %016llx want %016llx\n",
		worker_id, round_no, p, p % 4,
		r->gen[p << HALF_SHIFT], r->gen[p << HALF_SHIFT | 1], i,
		(unsigned long long)got[i], (unsigned long long)r->expect[i]);
}

static void verify(struct region *r, struct counters *c)
{
	volatile int bad;
	size_t p;
	int lost;

	for (p = 0; p < r->pages; p++) {
		if (r->lost[p])
			continue;
		expected_page(r, p);
		bad = 0;
		lost = GUARDED(r, p, c,
			       bad = memcmp(r->mem + p * page_size, r->expect,
					    page_size) != 0);
		if (lost)
			continue;
		c->checked++;
		if (bad)
			report_mismatch(r, p, c);
	}
}

/* MADV_PAGEOUT once; count the pages that mincore() says left memory. */
static int page_out(struct region *r, struct counters *c)
{
	struct zt_out o;

	if (zt_page_out(r->mem, r->pages * page_size, 1, 0, &o) < 0)
		return -1;
	c->out += r->pages - o.resident;
	return 0;
}

static unsigned long mib = 8;
static time_t deadline;
static struct counters *cs;

static int worker(int id)
{
	struct region r = { .pages = (mib << 20) / page_size };
	struct counters *c = &cs[id];
	size_t p;

	worker_id = id;
	r.gen = calloc(r.pages, 2);
	r.lost = calloc(r.pages, 1);
	r.expect = malloc(page_size);
	if (!r.gen || !r.lost || !r.expect) {
		perror("stress: malloc");
		return 2;
	}
	if (fault_mode)
		signal(SIGBUS, on_sigbus);

	/* Every worker runs at least one round, however slow the machine. */
	for (round_no = 0; !round_no || time(NULL) < deadline; round_no++) {
		r.mem = zt_map(r.pages * page_size);
		memset(r.gen, 0, r.pages * 2);
		memset(r.lost, 0, r.pages);

		/* 1. write */
		for (p = 0; p < r.pages; p++)
			write_page(&r, p);
		/* 2. page out, verify */
		if (page_out(&r, c))
			return 2;
		if (corrupt && r.pages > 5)
			r.mem[5 * page_size + 100] ^= 0x40;
		verify(&r, c);
		/* 3. partial rewrite: one half of every third page */
		for (p = round_no % 3; p < r.pages; p += 3) {
			unsigned int h = (p / 3 + round_no) & 1;
			size_t hb = page_size / 2;

			if (r.lost[p])
				continue;
			r.gen[p << HALF_SHIFT | h]++;
			expected_page(&r, p);
			GUARDED(&r, p, c,
				memcpy(r.mem + p * page_size + h * hb,
				       (char *)r.expect + h * hb, hb));
		}
		/* 4. page out, verify again */
		if (page_out(&r, c))
			return 2;
		verify(&r, c);
		/* 5. munmap; every other round while still swapped out */
		if ((round_no & 1) && page_out(&r, c))
			return 2;
		munmap(r.mem, r.pages * page_size);
		c->rounds++;
	}
	c->done = 1;
	return c->mismatches ? 1 : 0;
}

#define USAGE "stress [-p procs] [-t seconds] [-m MiB] [-f] [-q] [-X]"

static int procs = 4;
static unsigned long seconds = 60;

int main(int argc, char **argv)
{
	static const struct zt_opt opts[] = {
		{ 'p', ZT_INT, &procs },
		{ 't', ZT_ULONG, &seconds },
		{ 'm', ZT_ULONG, &mib },
		{ 'f', ZT_FLAG, &fault_mode },
		{ 'q', ZT_FLAG, &quiet },
		{ 'X', ZT_FLAG, &corrupt },
		{ 0 }
	};
	struct counters tot = { 0 };
	struct zt_kids kids;
	int i, st, failed = 0;

	if (zt_getopt(argc, argv, opts, USAGE) != argc || procs < 1 || !mib)
		zt_usage(USAGE);
	page_size = sysconf(_SC_PAGESIZE);
	deadline = time(NULL) + seconds;

	cs = zt_shared(procs * sizeof(*cs));
	zt_fork_kids(&kids, procs, worker);
	zt_reap_kids(&kids, 0);
	for (i = 0; i < procs; i++) {
		st = kids.status[i];
		if (st < 0) {
			failed++;
			continue;
		}
		if (WIFSIGNALED(st)) {
			fprintf(stderr, "stress[%d]: killed by signal %d\n",
				i, WTERMSIG(st));
			failed++;
		} else if (WEXITSTATUS(st) == 2 || !cs[i].done) {
			fprintf(stderr, "stress[%d]: exit status %d\n",
				i, WEXITSTATUS(st));
			failed++;
		}
		if (!quiet)
			printf("stress[%d]: rounds=%lu checked=%lu out=%lu mismatches=%lu ioerrors=%lu\n",
			       i, cs[i].rounds, cs[i].checked, cs[i].out,
			       cs[i].mismatches, cs[i].ioerrors);
		tot.rounds += cs[i].rounds;
		tot.checked += cs[i].checked;
		tot.out += cs[i].out;
		tot.mismatches += cs[i].mismatches;
		tot.ioerrors += cs[i].ioerrors;
	}
	printf("stress: procs=%d seconds=%lu rounds=%lu checked=%lu out=%lu mismatches=%lu ioerrors=%lu failed_workers=%d\n",
	       procs, seconds, tot.rounds, tot.checked, tot.out,
	       tot.mismatches, tot.ioerrors, failed);
	return tot.mismatches || failed || (!fault_mode && tot.ioerrors);
}
