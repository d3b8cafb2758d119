// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * thrbench: the timed rows of the throughput benchmark (W3;
 * bench/guest/t_bench_throughput.sh).  Usage: USAGE below.
 *
 *   -s MB       anonymous memory per process; dio: the span of DEV used,
 *               from its start (default 64)
 *   -P PROCS    processes or jobs (default 1, at most 32)
 *   -S SEED     page contents: zt_pattern.h's "mixed" (incompressible,
 *               text-like, zero, same-filled, half and sparse pages),
 *               process i with SEED + i; dio: DEV holds SEED's pages
 *               (blkio write DEV 0 PAGES mixed SEED) (default 1)
 *   -r READPCT  dio: percent of reads, the rest writes (default 100)
 *   -t MS       dio: how long each job runs (default 1000)
 *
 * swap: each process fills its memory, then three phases, each started
 * for every process at once (a barrier):
 *   swapout      MADV_PAGEOUT of the whole region, once
 *   swapin-seq   one read per page, in address order, faults it in;
 *                then every page is checked and pushed out again
 *   swapin-rand  the same in a random order (a permutation)
 * mixed: 2 x PROCS processes fill and push out their memory; at the
 * barrier PROCS readers fault theirs in (in order, then check it)
 * while PROCS releasers munmap theirs 1 MiB at a time, each MiB once
 * the readers have come that far through theirs, so that the releases
 * last as long as the reads.
 * dio: JOBS jobs read and write random 4 KiB blocks of DEV with
 * O_DIRECT for MS milliseconds; a write stores the block's own content
 * (so DEV still holds SEED's pages after it), a read checks the block's
 * tag (zt_pattern.h: seed and index in its first 16 bytes).
 *
 * Every phase prints one line:
 *
 *   thr: row=ROW p=PROCS bytes=B ns=T mbps=X
 *
 * ROW: swapout, swapin-seq, swapin-rand, mixed, randread (READPCT 100),
 * randwrite (0), randrwN (N% reads).  B: the bytes moved by all the
 * processes: swapped out (VmSwap after the MADV_PAGEOUT), faulted in
 * (the pages mincore() showed out), read and written; mixed counts the
 * readers'.  T: from the barrier until the last process finished the
 * phase (CLOCK_MONOTONIC, ns).  X: B / T in MiB/s.  mixed adds
 * release_ns, when the last releaser was done.
 *
 * Exit status: 0 ok; 1 a page read back differs, too little went out
 * to swap (under 90%) or a process failed; 2 usage or setup error.
 */
#define _GNU_SOURCE

#define ZT_PROG "thrbench"
#include "zt_prog.h"

#define MAXP	32
#define NPHASE	3
#define MIN_PCT	90
#define USAGE "thrbench [-s MB] [-P PROCS] [-S SEED] swap|mixed\n" \
	"       thrbench [-s MB] [-P JOBS] [-S SEED] [-r READPCT] [-t MS] dio DEV"

/* What each process reports of a phase; the parent adds them up. */
struct kid_res {
	unsigned long long end_ns[NPHASE];
	unsigned long long bytes[NPHASE];
};

static struct shared {
	unsigned long long open_ns[NPHASE];	/* when each barrier opened */
	unsigned long read_pages;		/* mixed: the readers' pages */
	struct kid_res kid[2 * MAXP];
} *sh;

static struct zt_barrier bar[NPHASE];
static struct zt_kids kids;
static long psz;
static char *img;	/* dio: the span's content, for the writes */

static struct {
	int procs, readpct;
	size_t mb;
	unsigned long seed, ms;
	const char *dev;
} opt = { .procs = 1, .readpct = 100, .mb = 64, .seed = 1, .ms = 1000 };

static const struct zt_opt opts[] = {
	{ 's', ZT_ULONG, &opt.mb },
	{ 'P', ZT_INT, &opt.procs },
	{ 'S', ZT_ULONG, &opt.seed },
	{ 'r', ZT_INT, &opt.readpct },
	{ 't', ZT_ULONG, &opt.ms },
	{ 0 }
};

/* Process @id has finished phase @ph, having moved @bytes. */
static void done(int id, int ph, unsigned long long bytes)
{
	sh->kid[id].end_ns[ph] = zt_ns(CLOCK_MONOTONIC);
	sh->kid[id].bytes[ph] = bytes;
}

/* 0 if every 4 KiB page of [p, p + len) holds @seed's content. */
static int check(const char *p, size_t len, uint64_t seed)
{
	uint64_t bad = 0;
	size_t i;

	for (i = 0; i < len / ZT_PAGE && !bad; i++)
		zt_check_page(p + i * ZT_PAGE, ZT_MIXED, seed, i, ZT_PROG, &bad);
	return bad != 0;
}

/* Push [p, p + len) out; returns the bytes out of memory, 0 if too few. */
static unsigned long long push_out(char *p, size_t len)
{
	unsigned long pages = len / psz;
	struct zt_out o = { 0 };

	if (zt_page_out(p, len, 4, MIN_PCT, &o)) {
		fprintf(stderr, ZT_PROG ": only %lu of %zu kB out in swap\n",
			o.swap_kb, len >> 10);
		return 0;
	}
	return (unsigned long long)(pages - o.resident) * psz;
}

/*
 * Fault [p, p + len) in, one read per page, in the order @order (or in
 * address order); with @count, add every 16 pages to the readers' count.
 */
static void touch(const char *p, size_t len, const unsigned int *order,
		  int count)
{
	size_t i, n = len / psz;

	for (i = 0; i < n; i++) {
		__atomic_load_n(p + (order ? order[i] : i) * psz,
				__ATOMIC_RELAXED);
		if (count && i % 16 == 15)
			__atomic_add_fetch(&sh->read_pages, 16,
					   __ATOMIC_RELAXED);
	}
}

/* A random permutation of 0 .. @n - 1 (Fisher-Yates). */
static unsigned int *permutation(size_t n, uint64_t seed)
{
	unsigned int *v = malloc(n * sizeof(*v)), t;
	size_t i, j;

	if (!v)
		zt_die(2, "malloc");
	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = zt_mix64(seed + i) % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	return v;
}

static int swap_child(int id)
{
	size_t len = opt.mb << 20;
	uint64_t seed = opt.seed + id;
	unsigned int *order = permutation(len / psz, seed);
	char *p = zt_map(len);
	unsigned long long out;
	int ph;

	zt_fill(p, len / ZT_PAGE, ZT_MIXED, seed, 0);
	zt_barrier_cross(&bar[0]);
	if (madvise(p, len, MADV_PAGEOUT))
		zt_die(2, "MADV_PAGEOUT");
	done(id, 0, (unsigned long long)zt_vm_swap_kb() << 10);

	/* swapin-seq, then swapin-rand */
	for (ph = 1; ph < NPHASE; ph++) {
		out = push_out(p, len);
		if (!out)
			return 1;
		zt_barrier_cross(&bar[ph]);
		touch(p, len, ph == 1 ? NULL : order, 0);
		done(id, ph, out);
		if (check(p, len, seed))
			return 1;
	}
	return 0;
}

/* mixed: munmap [p, p + len) 1 MiB at a time, as the readers advance. */
static void release_paced(char *p, size_t len)
{
	size_t n = len >> 20, c;
	unsigned long all = opt.procs * (len / psz);

	for (c = 0; c < n; c++) {
		while (__atomic_load_n(&sh->read_pages, __ATOMIC_RELAXED) * n <
		       c * all)
			usleep(1000);
		if (munmap(p + (c << 20), 1 << 20))
			zt_die(2, "munmap");
	}
}

static int mixed_child(int id)
{
	size_t len = opt.mb << 20;
	uint64_t seed = opt.seed + id;
	char *p = zt_map(len);
	unsigned long long out;

	zt_fill(p, len / ZT_PAGE, ZT_MIXED, seed, 0);
	out = push_out(p, len);
	if (!out)
		return 1;
	zt_barrier_cross(&bar[0]);
	if (id >= opt.procs) {
		release_paced(p, len);
		done(id, 0, 0);
		return 0;
	}
	touch(p, len, NULL, 1);
	done(id, 0, out);
	return check(p, len, seed);
}

static int dio_child(int id)
{
	int fd = open(opt.dev, O_RDWR | O_DIRECT);
	uint64_t *buf = zt_map(ZT_PAGE), key = zt_mix64(opt.seed + id), r;
	unsigned long long ops = 0, end;
	size_t n = (opt.mb << 20) / ZT_PAGE, i;
	ssize_t got;
	int m;

	if (fd < 0)
		zt_die(2, opt.dev);
	zt_barrier_cross(&bar[0]);
	end = __atomic_load_n(&sh->open_ns[0], __ATOMIC_ACQUIRE) +
	      opt.ms * 1000000ULL;
	while (ops % 16 || zt_ns(CLOCK_MONOTONIC) < end) {
		r = zt_mix64(key + ops++);
		i = (r >> 8) % n;
		if ((int)(r & 0xff) * 100 >= opt.readpct * 256) {
			got = pwrite(fd, img + i * ZT_PAGE, ZT_PAGE,
				     i * ZT_PAGE);
			if (got != (ssize_t)ZT_PAGE)
				zt_die(1, "O_DIRECT pwrite");
			continue;
		}
		got = pread(fd, buf, ZT_PAGE, i * ZT_PAGE);
		if (got != (ssize_t)ZT_PAGE)
			zt_die(1, "O_DIRECT pread");
		m = zt_mixed_mode(i);
		if (m != ZT_ZERO && m != ZT_SAME &&
		    (buf[0] != opt.seed || buf[1] != i)) {
			fprintf(stderr,
				ZT_PROG ": block %zu: tag of seed %llu block %llu\n",
				i, (unsigned long long)buf[0],
				(unsigned long long)buf[1]);
			return 1;
		}
	}
	done(id, 0, ops * ZT_PAGE);
	return 0;
}

/*
 * Fork @n processes running @fn and open the @nphase barriers one after
 * the other, each once every process has come to it.  Returns 1 as soon
 * as a process fails (the others are killed), else 0.
 */
static int run(int n, int nphase, int (*fn)(int))
{
	int i;

	zt_fork_kids(&kids, n, fn);
	for (i = 0; i < nphase; i++) {
		if (zt_barrier_gather(&bar[i], &kids, " before a barrier")) {
			zt_kill_kids(&kids);
			return 1;
		}
		__atomic_store_n(&sh->open_ns[i], zt_ns(CLOCK_MONOTONIC),
				 __ATOMIC_RELEASE);
		zt_barrier_open(&bar[i]);
	}
	while ((i = zt_wait_any(&kids)) >= 0) {
		if (zt_kid_failed(&kids, i, 1)) {
			zt_kill_kids(&kids);
			return 1;
		}
	}
	return 0;
}

/* Phase @ph's time for processes [k0, k1); adds their bytes to @bytes. */
static unsigned long long phase_ns(int ph, int k0, int k1,
				   unsigned long long *bytes)
{
	unsigned long long end = 0;
	int i;

	for (i = k0; i < k1; i++) {
		if (sh->kid[i].end_ns[ph] > end)
			end = sh->kid[i].end_ns[ph];
		*bytes += sh->kid[i].bytes[ph];
	}
	return end - sh->open_ns[ph];
}

/* Print phase @ph's line (the first PROCS processes), then @extra. */
static void print_row(const char *name, int ph, const char *extra)
{
	unsigned long long bytes = 0, ns = phase_ns(ph, 0, opt.procs, &bytes);

	printf("thr: row=%s p=%d bytes=%llu ns=%llu mbps=%.1f%s\n",
	       name, opt.procs, bytes, ns, ns ? bytes * 1e9 / ns / (1 << 20) : 0.0,
	       extra);
}

int main(int argc, char **argv)
{
	const char *mode;
	char name[40];
	int c, rc;

	zt_getopt(argc, argv, opts, USAGE);
	if (optind >= argc || !opt.mb || opt.procs < 1 || opt.procs > MAXP ||
	    opt.readpct < 0 || opt.readpct > 100)
		zt_usage(USAGE);
	mode = argv[optind++];
	if (!strcmp(mode, "dio") && optind < argc)
		opt.dev = argv[optind++];
	if (optind != argc || (!strcmp(mode, "dio") && !opt.dev))
		zt_usage(USAGE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = sysconf(_SC_PAGESIZE);
	sh = zt_shared(sizeof(*sh));
	for (c = 0; c < NPHASE; c++)
		zt_barrier_init(&bar[c]);

	if (!strcmp(mode, "swap")) {
		rc = run(opt.procs, 3, swap_child);
		if (!rc) {
			print_row("swapout", 0, "");
			print_row("swapin-seq", 1, "");
			print_row("swapin-rand", 2, "");
		}
	} else if (!strcmp(mode, "mixed")) {
		rc = run(2 * opt.procs, 1, mixed_child);
		if (!rc) {
			unsigned long long b = 0;

			snprintf(name, sizeof(name), " release_ns=%llu",
				 phase_ns(0, opt.procs, 2 * opt.procs, &b));
			print_row("mixed", 0, name);
		}
	} else if (!strcmp(mode, "dio")) {
		if (opt.readpct < 100) {
			img = zt_map(opt.mb << 20);
			zt_fill(img, (opt.mb << 20) / ZT_PAGE, ZT_MIXED,
				opt.seed, 0);
		}
		rc = run(opt.procs, 1, dio_child);
		if (opt.readpct % 100)
			snprintf(name, sizeof(name), "randrw%d", opt.readpct);
		else
			snprintf(name, sizeof(name), "rand%s",
				 opt.readpct ? "read" : "write");
		if (!rc)
			print_row(name, 0, "");
	} else {
		zt_usage(USAGE);
	}
	return rc;
}
