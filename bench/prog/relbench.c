// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relbench: one round of the release-path benchmark (issue 4, W1).
 *
 *   relbench [-s MB] [-P PROCS] [-f MODE] [-V STRIDE] [-Z FILE] [-M FILE]
 *            [-E FILE]
 *
 *   -s MB      anonymous memory per process (default 256)
 *   -P PROCS   processes (default 1)
 *   -f MODE    fill, see tests/prog/zt_pattern.h (default mixed)
 *   -V STRIDE  data check: every STRIDE-th page (default 7, coprime with
 *              the 8-page period of "mixed") is read back from swap and
 *              compared before the memory is pushed out again; 0: none
 *   -Z FILE    zsfast debugfs stats: watch its "pages:" line
 *   -M FILE    a zram mm_stat: watch its mem_used_total
 *   -E FILE    write "1" to FILE at the barrier and "0" once the count
 *              settled (e.g. ftrace's function_profile_enabled)
 *
 * The same workload as tests/prog/release.c: every process mmaps, fills,
 * MADV_PAGEOUTs (and checks), waits at a barrier, and then all munmap at
 * once.  On top of that it accounts the release's CPU time so that no
 * deferred work can hide:
 *
 *   cpu_ns     sum over the processes of the thread CPU time of munmap
 *   kthread_ns sum over all kernel threads (kworkers, ksoftirqd, ...) of
 *              the CPU time they used from the barrier until the watched
 *              count settled (/proc/PID/schedstat, ns; kernel threads
 *              are asleep at both snapshots, so the values are exact)
 *   stat_ms    busy time of all CPUs (/proc/stat, all but idle and
 *              iowait) over the same window, in ms, USER_HZ resolution
 *   settle_ns  from the barrier until the watched count (-Z or -M) last
 *              changed: it is polled every 0.5 ms, and counted as
 *              settled when it is back at its value before the round or
 *              has not changed for 300 ms.  Entries that the swap core
 *              still holds in its per-CPU slot caches are freed only
 *              when those are drained, so "residual" (count minus idle)
 *              may be a few pages; the caller drains and checks for leaks.
 *
 * Output, one line per process, then a summary:
 *   relbench: proc=I munmap_ns=T cpu_ns=C
 *   relbench: P=.. mb=.. max_munmap_ns=.. cpu_ns=.. kthread_ns=..
 *             stat_ms=.. settle_ns=.. idle=.. residual=.. checked=..
 * Exit status: 0 ok; 1 data mismatch, too little in swap, or a process
 * failed; 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

#include "../../tests/prog/zt_pattern.h"
#include "../../tests/prog/zt_proc.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define MAXP 16

struct proc_res {
	unsigned long long munmap_ns;
	unsigned long long cpu_ns;
	unsigned long checked;
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

static int page_out(char *p, size_t len)
{
	int tries;

	for (tries = 0; tries < 4; tries++) {
		if (madvise(p, len, MADV_PAGEOUT)) {
			perror("relbench: MADV_PAGEOUT");
			return 2;
		}
		if (zt_vm_swap_kb() * 100 >= 90 * (len >> 10))
			return 0;
	}
	fprintf(stderr, "relbench: only %lu of %zu kB in swap\n",
		zt_vm_swap_kb(), len >> 10);
	return 1;
}

static int child(int id, size_t mb, int mode, size_t stride)
{
	struct proc_res *res = &sh->res[id];
	size_t len = mb << 20, pages = len / ZT_PAGE, i;
	uint64_t seed = 0x7e1ea5eULL + id;
	unsigned long long t0, c0;
	static char scratch[ZT_PAGE];
	char *p;
	int rc;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("relbench: mmap");
		return 2;
	}
	for (i = 0; i < pages; i++)
		zt_fill_page(p + i * ZT_PAGE, mode, seed, i);
	rc = page_out(p, len);
	if (rc)
		goto out;
	if (stride) {
		/* Read a sample back through the backend. */
		for (i = id % stride; i < pages; i += stride) {
			long off = zt_check_page(p + i * ZT_PAGE, scratch,
						 mode, seed, i);

			if (off >= 0) {
				zt_report("relbench", i, off, p + i * ZT_PAGE,
					  scratch);
				rc = 1;
				goto out;
			}
			res->checked++;
		}
		rc = page_out(p, len);
		if (rc)
			goto out;
	}
out:
	__sync_fetch_and_add(&sh->ready, 1);
	if (rc)
		return rc;
	while (!sh->go)
		sched_yield();

	t0 = zt_ns(CLOCK_MONOTONIC);
	c0 = zt_ns(CLOCK_THREAD_CPUTIME_ID);
	if (munmap(p, len)) {
		perror("relbench: munmap");
		return 2;
	}
	res->cpu_ns = zt_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	res->munmap_ns = zt_ns(CLOCK_MONOTONIC) - t0;
	__sync_fetch_and_add(&sh->done, 1);
	while (!sh->exit_ok)
		usleep(1000);
	return 0;
}

/* Sum of the CPU time (ns) of every kernel thread. */
static unsigned long long kthread_ns(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned long long sum = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], buf[512], *q;
		unsigned long long run;
		int ppid;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		q = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (!q)
			continue;
		q = strrchr(buf, ')');
		if (!q || sscanf(q + 2, "%*c %d", &ppid) != 1)
			continue;
		if (ppid != 2 && strcmp(e->d_name, "2"))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			sum += run;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* Busy ticks of all CPUs (everything but idle and iowait). */
static unsigned long long stat_busy(void)
{
	unsigned long long v[10] = { 0 }, sum = 0;
	FILE *f = fopen("/proc/stat", "r");
	int i;

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]) < 8)
		v[0] = 0;
	fclose(f);
	for (i = 0; i < 8; i++)
		if (i != 3 && i != 4)
			sum += v[i];
	return sum;
}

/* The watched count, or -1. */
static long watch_value(const char *zsf, const char *mm)
{
	char line[256];
	long v = -1;
	FILE *f;

	if (zsf) {
		f = fopen(zsf, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "pages: %ld", &v) == 1)
				break;
		fclose(f);
	} else if (mm) {
		f = fopen(mm, "r");
		if (!f)
			return -1;
		if (fscanf(f, "%*u %*u %ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void write_flag(const char *path, const char *val)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f || fputs(val, f) < 0 || fclose(f))
		perror("relbench: -E");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: relbench [-s MB] [-P PROCS] [-f MODE] [-V STRIDE] [-Z FILE] [-M FILE] [-E FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int procs = 1, mode = ZT_MIXED, c, i, failed = 0;
	unsigned long long t_go, t_last, t_now, k0, k1, s0, s1;
	unsigned long long cpu = 0, maxv = 0, checked = 0;
	const char *zsf = NULL, *mm = NULL, *flag = NULL;
	size_t mb = 256, stride = 7;
	long idle, v, last;
	pid_t pids[MAXP];

	while ((c = getopt(argc, argv, "s:P:f:V:Z:M:E:")) != -1) {
		switch (c) {
		case 's':
			mb = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			procs = atoi(optarg);
			break;
		case 'f':
			mode = zt_parse_mode(optarg);
			break;
		case 'V':
			stride = strtoul(optarg, NULL, 0);
			break;
		case 'Z':
			zsf = optarg;
			break;
		case 'M':
			mm = optarg;
			break;
		case 'E':
			flag = optarg;
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
		perror("relbench: mmap shared");
		return 2;
	}
	idle = watch_value(zsf, mm);
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("relbench: fork");
			return 2;
		}
		if (!pids[i])
			_exit(child(i, mb, mode, stride));
	}

	while (sh->ready < procs)
		usleep(1000);
	for (i = 0; i < procs; i++) {
		int st;

		if (waitpid(pids[i], &st, WNOHANG) == pids[i]) {
			fprintf(stderr,
				"relbench: proc %d failed before the barrier (status %#x)\n",
				i, st);
			pids[i] = 0;
			failed = 1;
		}
	}
	if (failed) {
		for (i = 0; i < procs; i++)
			if (pids[i])
				kill(pids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
		return 1;
	}

	write_flag(flag, "1");
	k0 = kthread_ns();
	s0 = stat_busy();
	t_go = zt_ns(CLOCK_MONOTONIC);
	sh->go = 1;
	while (sh->done < procs)
		usleep(500);

	/* Wait for the watched count to settle. */
	t_last = zt_ns(CLOCK_MONOTONIC);
	last = watch_value(zsf, mm);
	while (last >= 0 && last != idle) {
		usleep(500);
		t_now = zt_ns(CLOCK_MONOTONIC);
		v = watch_value(zsf, mm);
		if (v != last) {
			last = v;
			t_last = t_now;
		} else if (t_now - t_last > 300000000ULL) {
			break;
		}
	}
	if (last < 0)
		t_last = zt_ns(CLOCK_MONOTONIC);
	k1 = kthread_ns();
	s1 = stat_busy();
	write_flag(flag, "0");

	for (i = 0; i < procs; i++) {
		struct proc_res *r = &sh->res[i];

		printf("relbench: proc=%d munmap_ns=%llu cpu_ns=%llu\n", i,
		       r->munmap_ns, r->cpu_ns);
		cpu += r->cpu_ns;
		checked += r->checked;
		if (r->munmap_ns > maxv)
			maxv = r->munmap_ns;
	}
	printf("relbench: P=%d mb=%zu max_munmap_ns=%llu cpu_ns=%llu kthread_ns=%llu stat_ms=%llu settle_ns=%llu idle=%ld residual=%ld checked=%llu\n",
	       procs, mb, maxv, cpu, k1 - k0,
	       (s1 - s0) * 1000 / sysconf(_SC_CLK_TCK), t_last - t_go,
	       idle, last < 0 ? 0 : last - idle, checked);

	sh->exit_ok = 1;
	for (i = 0; i < procs; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) == pids[i] &&
		    (!WIFEXITED(st) || WEXITSTATUS(st)))
			failed = 1;
	}
	return failed;
}
