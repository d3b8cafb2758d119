// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * release: time the release of swapped-out memory (munmap or exit).
 *
 *   release [-s MB] [-f MODE] [-P PROCS] [-e] [-x CMD] [-m PCT] [-q]
 *
 *   -s MB     anonymous memory per process (default 64)
 *   -f MODE   fill (zt_pattern.h; default mixed, partly compressible)
 *   -P PROCS  processes (default 1); all of them release at the same
 *             moment, after a barrier that waits until every one has
 *             filled its memory and pushed it out
 *   -e        release by exiting instead of munmap
 *   -x CMD    after every process has released (munmap), and while all
 *             are still alive, run CMD with sh -c; its failure fails
 *             release.  With -e, CMD runs after all have exited.
 *   -m PCT    at least PCT% of each region must be out in swap before
 *             the barrier (default 90), checked with /proc/self/status
 *             VmSwap and with mincore()
 *   -q        print only the per-process result lines
 *
 * Each process: mmap, fill, MADV_PAGEOUT (repeated up to 3 times until
 * enough is out), barrier, then munmap (or _exit).  For munmap it prints
 *
 *   release: proc=I pages=N swapped_kb=K resident=R munmap_ns=T cpu_ns=C
 *
 * where T is the wall time of the munmap call and C the CPU time the
 * calling thread spent in it (user + system).  For -e it prints
 * exit_ns=T: from just before _exit() until the parent's waitpid()
 * returned, which includes the whole exit_mmap() but also the reaping.
 *
 * The last line is a summary: release: P=.. op=.. min_ns=.. max_ns=..
 * Exit status: 0 ok; 1 not enough went out to swap, a process failed or
 * CMD failed; 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zt_pattern.h"
#include "zt_proc.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define MAXP 64

struct proc_res {
	unsigned long long munmap_ns;
	unsigned long long cpu_ns;
	unsigned long long exit_start_ns;
	unsigned long long exit_ns;
	unsigned long pages;
	unsigned long swapped_kb;
	unsigned long resident;
	int status;
};

struct shared {
	volatile int ready;
	volatile int go;
	volatile int done;
	volatile int exit_ok;
	struct proc_res res[MAXP];
};

static struct shared *sh;

static unsigned long resident_pages(void *p, size_t len)
{
	size_t n = len / ZT_PAGE, i;
	unsigned char *vec = malloc(n);
	unsigned long r = 0;

	if (!vec || mincore(p, len, vec)) {
		perror("release: mincore");
		free(vec);
		return n;
	}
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	free(vec);
	return r;
}

static int child(int id, size_t mb, int mode, int do_exit, int min_pct)
{
	struct proc_res *res = &sh->res[id];
	size_t len = mb << 20, pages = len / ZT_PAGE, i;
	unsigned long long t0, c0;
	char *p;
	int tries;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("release: mmap");
		return 2;
	}
	for (i = 0; i < pages; i++)
		zt_fill_page(p + i * ZT_PAGE, mode, 0x7e1ea5e + id, i);

	for (tries = 0; tries < 3; tries++) {
		if (madvise(p, len, MADV_PAGEOUT)) {
			perror("release: MADV_PAGEOUT");
			return 2;
		}
		res->swapped_kb = zt_vm_swap_kb();
		res->resident = resident_pages(p, len);
		if (res->swapped_kb * 100 >= (unsigned long)min_pct * (len >> 10) &&
		    (pages - res->resident) * 100 >= (unsigned long)min_pct * pages)
			break;
	}
	res->pages = pages;
	if (tries == 3) {
		fprintf(stderr,
			"release: proc %d: only %lu of %zu kB in swap, %lu of %zu pages resident\n",
			id, res->swapped_kb, len >> 10, res->resident, pages);
		__sync_fetch_and_add(&sh->ready, 1);
		return 1;
	}

	__sync_fetch_and_add(&sh->ready, 1);
	while (!sh->go)
		sched_yield();

	if (do_exit) {
		res->exit_start_ns = zt_ns(CLOCK_MONOTONIC);
		return 0;
	}
	t0 = zt_ns(CLOCK_MONOTONIC);
	c0 = zt_ns(CLOCK_THREAD_CPUTIME_ID);
	if (munmap(p, len)) {
		perror("release: munmap");
		return 2;
	}
	res->cpu_ns = zt_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	res->munmap_ns = zt_ns(CLOCK_MONOTONIC) - t0;
	__sync_fetch_and_add(&sh->done, 1);
	while (!sh->exit_ok)
		usleep(1000);
	return 0;
}

/*
 * Wait until *count reaches procs, polling every millisecond.  A child
 * that exits first is reported (it "died" + @when) and ends the wait.
 * Returns 0, or 1 if a child died.
 */
static int wait_all(volatile int *count, int procs, pid_t *pids,
		    const char *when)
{
	int i, st, died = 0;

	while (*count < procs) {
		for (i = 0; i < procs; i++) {
			if (pids[i] && waitpid(pids[i], &st, WNOHANG) ==
			    pids[i]) {
				fprintf(stderr,
					"release: proc %d died%s (status %#x)\n",
					i, when, st);
				pids[i] = 0;
				died = 1;
			}
		}
		if (died)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: release [-s MB] [-f MODE] [-P PROCS] [-e] [-x CMD] [-m PCT] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int procs = 1, mode = ZT_MIXED, do_exit = 0, quiet = 0, min_pct = 90;
	unsigned long long minv = ~0ULL, maxv = 0;
	pid_t pids[MAXP];
	const char *cmd = NULL;
	size_t mb = 64;
	int c, i, failed = 0, alive;

	while ((c = getopt(argc, argv, "s:f:P:ex:m:q")) != -1) {
		switch (c) {
		case 's':
			mb = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			mode = zt_parse_mode(optarg);
			break;
		case 'P':
			procs = atoi(optarg);
			break;
		case 'e':
			do_exit = 1;
			break;
		case 'x':
			cmd = optarg;
			break;
		case 'm':
			min_pct = atoi(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (procs < 1 || procs > MAXP || mode < 0 || !mb || optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("release: mmap shared");
		return 2;
	}
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("release: fork");
			return 2;
		}
		if (!pids[i])
			_exit(child(i, mb, mode, do_exit, min_pct));
	}

	/* Barrier: wait until every process is ready, or one has died. */
	failed = wait_all(&sh->ready, procs, pids, " before the barrier");
	if (failed) {
		for (i = 0; i < procs; i++)
			if (pids[i])
				kill(pids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
		return 1;
	}
	sh->go = 1;

	if (do_exit) {
		for (alive = procs; alive > 0; alive--) {
			int st;
			pid_t pid = wait(&st);
			unsigned long long t = zt_ns(CLOCK_MONOTONIC);

			for (i = 0; i < procs; i++)
				if (pids[i] == pid)
					break;
			if (i == procs)
				continue;
			sh->res[i].status = st;
			if (sh->res[i].exit_start_ns)
				sh->res[i].exit_ns = t -
						     sh->res[i].exit_start_ns;
		}
	} else {
		failed = wait_all(&sh->done, procs, pids, "");
	}

	for (i = 0; i < procs && !failed; i++) {
		struct proc_res *r = &sh->res[i];
		unsigned long long v = do_exit ? r->exit_ns : r->munmap_ns;

		if (do_exit && (!WIFEXITED(r->status) ||
				WEXITSTATUS(r->status))) {
			fprintf(stderr, "release: proc %d status %#x\n", i,
				r->status);
			failed = 1;
		}
		if (do_exit)
			printf("release: proc=%d pages=%lu swapped_kb=%lu resident=%lu exit_ns=%llu\n",
			       i, r->pages, r->swapped_kb, r->resident, v);
		else
			printf("release: proc=%d pages=%lu swapped_kb=%lu resident=%lu munmap_ns=%llu cpu_ns=%llu\n",
			       i, r->pages, r->swapped_kb, r->resident, v,
			       r->cpu_ns);
		if (v < minv)
			minv = v;
		if (v > maxv)
			maxv = v;
	}

	if (!failed && cmd) {
		int st = system(cmd);

		if (st) {
			fprintf(stderr, "release: '%s' failed (status %#x)\n",
				cmd, st);
			failed = 1;
		}
	}
	sh->exit_ok = 1;
	if (!do_exit) {
		for (i = 0; i < procs; i++) {
			int st;

			if (!pids[i])
				continue;
			if (waitpid(pids[i], &st, 0) == pids[i] &&
			    (!WIFEXITED(st) || WEXITSTATUS(st)))
				failed = 1;
		}
	}
	if (!quiet && !failed)
		printf("release: P=%d size_mb=%zu mode=%s op=%s min_ns=%llu max_ns=%llu\n",
		       procs, mb, zt_mode_names[mode],
		       do_exit ? "exit" : "munmap", minv, maxv);
	return failed;
}
