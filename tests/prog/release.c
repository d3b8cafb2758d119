// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * release: time the release of swapped-out memory (munmap or exit).
 * Usage: USAGE below.
 *
 *   -s MB     anonymous memory per process (default 64; 256 with -B)
 *   -f MODE   fill (zt_pattern.h; default mixed, partly compressible)
 *   -P PROCS  processes (default 1, at most 64), which all release at
 *             once, after a barrier that waits until every one has
 *             filled its memory and pushed it out
 *   -e        release by exiting instead of munmap
 *   -x CMD    run CMD with sh -c after every process has released, while
 *             all are still alive (with -e: after all have exited); its
 *             failure fails release
 *   -q        print only the per-process result lines
 *   -n PARTS  munmap in PARTS equal calls (the last takes the rest), one
 *             after another; munmap_ns and cpu_ns cover them all
 *
 * Each process: mmap, fill, MADV_PAGEOUT (up to 3 times until 90% is out,
 * by VmSwap and by mincore()), barrier, then munmap (or _exit), and prints
 *
 *   release: proc=I pages=N swapped_kb=K resident=R munmap_ns=T cpu_ns=C
 *
 * T: the wall time of the munmap, C: the CPU time (user + system) of the
 * calling thread in it.  With -e it prints exit_ns=T instead: from just
 * before _exit() until the parent's wait() returned, the whole
 * exit_mmap() and also the reaping.  Then a summary:
 *   release: P=.. size_mb=.. mode=.. op=.. min_ns=.. max_ns=..
 *
 * -B: one round of the release-path benchmark (W1, bench/guest/
 * t_bench_*.sh): the same munmap workload (MADV_PAGEOUT up to 4 times),
 * with the release's CPU time accounted so that no deferred work hides.
 *
 *   -V STRIDE  read every STRIDE-th page (default 7, coprime with the
 *              8-page period of "mixed") back from swap and check it
 *              before pushing the memory out again; 0: none
 *   -Z FILE    zsfast debugfs stats: watch its "pages:" line
 *   -M FILE    a zram mm_stat: watch its mem_used_total
 *   -E FILE    write "1" to FILE at the barrier and "0" once the count
 *              settled (e.g. ftrace's function_profile_enabled)
 *   -L         latency as cyclictest measures it: from before the barrier
 *              until the count settled, a SCHED_FIFO process (priority
 *              90, memory locked) sleeps to every next millisecond
 *              (TIMER_ABSTIME) and records how late it woke
 *
 * Output, one line per process and a summary:
 *   relbench: proc=I munmap_ns=T cpu_ns=C
 *   relbench: P=.. mb=.. max_munmap_ns=.. cpu_ns=.. kthread_ns=..
 *             stat_ms=.. settle_ns=.. idle=.. residual=.. checked=..
 *             [lat_n=.. lat_p99_us=.. lat_max_us=..]
 *
 *   cpu_ns     sum over the processes of the thread CPU time of munmap
 *   kthread_ns sum of the CPU time of all kernel threads (kworkers,
 *              ksoftirqd, ...) from the barrier until the count settled
 *              (/proc/PID/schedstat; they sleep at both snapshots, so
 *              the values are exact)
 *   stat_ms    busy time of all CPUs (/proc/stat but idle and iowait)
 *              over the same window, USER_HZ resolution
 *   settle_ns  from the barrier until the watched count last changed;
 *              polled every 0.5 ms, settled when back at its value
 *              before the round (idle) or unchanged for 300 ms.  Entries
 *              still in the swap core's per-CPU slot caches are freed
 *              only when those drain, so residual (count - idle) may be
 *              a few pages; the caller drains and checks for leaks.
 *
 * Exit status: 0 ok; 1 not enough went out to swap, a data mismatch
 * (-B), a process failed or CMD failed; 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>

#define ZT_PROG "release"
#include "zt_prog.h"

#define MAXP 64
/* -L: a 1 ms period, at most two minutes of samples. */
#define LAT_PERIOD_NS	1000000ULL
#define LAT_MAX		120000

#define USAGE "release [-s MB] [-f MODE] [-P PROCS] [-e] [-x CMD] [-q] [-n PARTS]\n" \
	"       release -B [-s MB] [-P PROCS] [-f MODE] [-V STRIDE] [-Z FILE] [-M FILE] [-E FILE] [-L]"

struct proc_res {
	unsigned long long munmap_ns;
	unsigned long long cpu_ns;
	unsigned long long exit_start_ns;
	unsigned long long exit_ns;
	unsigned long pages;
	unsigned long swapped_kb;
	unsigned long resident;
	unsigned long checked;
};

/* -L: shared between the parent and the timer process. */
struct lat {
	int ready, stop;	/* __atomic: the other process writes */
	unsigned long n;
	unsigned int us[LAT_MAX];
};

static struct proc_res *res;
static struct lat *lat;
static pid_t lat_pid;
static struct zt_barrier start, end;
static struct zt_kids kids, lat_kid;

static struct {
	int procs, mode, do_exit, quiet, bench, lat;
	size_t mb, stride, parts;
	const char *cmd, *zsf, *mm, *flag;
} opt = { .procs = 1, .mode = ZT_MIXED, .stride = 7, .parts = 1 };

static const struct zt_opt opts[] = {
	{ 's', ZT_ULONG, &opt.mb },
	{ 'f', ZT_MODE, &opt.mode },
	{ 'P', ZT_INT, &opt.procs },
	{ 'e', ZT_FLAG, &opt.do_exit },
	{ 'x', ZT_STR, &opt.cmd },
	{ 'q', ZT_FLAG, &opt.quiet },
	{ 'B', ZT_FLAG, &opt.bench },
	{ 'V', ZT_ULONG, &opt.stride },
	{ 'Z', ZT_STR, &opt.zsf },
	{ 'M', ZT_STR, &opt.mm },
	{ 'E', ZT_STR, &opt.flag },
	{ 'L', ZT_FLAG, &opt.lat },
	{ 'n', ZT_ULONG, &opt.parts },
	{ 0 }
};

/* Page process @id's region out; says so if too little went to swap. */
static int push_out(int id, char *p, size_t len)
{
	struct proc_res *r = &res[id];
	struct zt_out o;
	int rc;

	rc = zt_page_out(p, len, opt.bench ? 4 : 3, 90, &o);
	if (rc < 0)
		return 2;
	r->swapped_kb = o.swap_kb;
	r->resident = o.resident;
	if (rc)
		fprintf(stderr,
			"release: proc %d: only %lu of %zu kB in swap, %lu of %zu pages resident\n",
			id, r->swapped_kb, len >> 10, r->resident,
			len / ZT_PAGE);
	return rc;
}

/* -B -V: read every stride-th page back from swap and check it. */
static int check_sample(int id, char *p, size_t pages, uint64_t seed)
{
	uint64_t bad = 0;
	size_t i;

	for (i = id % opt.stride; i < pages; i += opt.stride) {
		if (zt_check_page(p + i * ZT_PAGE, opt.mode, seed, i, ZT_PROG,
				  &bad))
			return 1;
		res[id].checked++;
	}
	return 0;
}

static int child(int id)
{
	struct proc_res *r = &res[id];
	size_t len = opt.mb << 20, pages = len / ZT_PAGE, i, part, off;
	uint64_t seed = 0x7e1ea5eULL + id;
	unsigned long long t0, c0;
	char *p = zt_map(len);
	int rc;

	zt_fill(p, pages, opt.mode, seed, 0);
	r->pages = pages;
	rc = push_out(id, p, len);
	if (!rc && opt.bench && opt.stride) {
		rc = check_sample(id, p, pages, seed);
		if (!rc)
			rc = push_out(id, p, len);
	}
	if (rc)
		return rc;

	zt_barrier_cross(&start);
	if (opt.do_exit) {
		r->exit_start_ns = zt_ns(CLOCK_MONOTONIC);
		return 0;
	}
	part = pages / opt.parts * ZT_PAGE;
	t0 = zt_ns(CLOCK_MONOTONIC);
	c0 = zt_ns(CLOCK_THREAD_CPUTIME_ID);
	for (off = 0, i = 1; i <= opt.parts; off += part, i++)
		if (munmap(p + off, i < opt.parts ? part : len - off))
			zt_die(2, "munmap");
	r->cpu_ns = zt_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	r->munmap_ns = zt_ns(CLOCK_MONOTONIC) - t0;
	/* Stay alive until the parent has looked (-x CMD). */
	zt_barrier_cross(&end);
	return 0;
}

/* -B: sum of the CPU time (ns) of every kernel thread. */
static unsigned long long kthread_ns(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned long long sum = 0;
	char path[300];

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		/* kthreadd (pid 2) and its children */
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		if (zt_proc_field(path, "PPid: %lu") != 2 &&
		    strcmp(e->d_name, "2"))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", e->d_name);
		sum += zt_proc_field(path, "%lu");
	}
	closedir(d);
	return sum;
}

/* -B: busy ticks of all CPUs (everything but idle and iowait). */
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

/* -B: the watched count (-Z or -M), or -1 if there is none. */
static long watch_value(void)
{
	const char *f = opt.zsf ? opt.zsf : opt.mm;

	if (!f || access(f, R_OK))
		return -1;
	return zt_proc_field(f, opt.zsf ? "pages: %lu" : "%*u %*u %lu");
}

/* -B -E: write @val to the flag file. */
static void write_flag(const char *val)
{
	FILE *f;

	if (!opt.flag)
		return;
	f = fopen(opt.flag, "w");
	if (!f || fputs(val, f) < 0 || fclose(f))
		perror("release: -E");
}

/* -B: wait until the watched count settles; returns when it last moved. */
static unsigned long long settle(long idle, long *last)
{
	unsigned long long t_last = zt_ns(CLOCK_MONOTONIC), t_now;
	long v;

	*last = watch_value();
	while (*last >= 0 && *last != idle) {
		usleep(500);
		t_now = zt_ns(CLOCK_MONOTONIC);
		v = watch_value();
		if (v != *last) {
			*last = v;
			t_last = t_now;
		} else if (t_now - t_last > 300000000ULL) {
			break;
		}
	}
	if (*last < 0)
		t_last = zt_ns(CLOCK_MONOTONIC);
	return t_last;
}

/* -L: the timer process: wake every period until told to stop. */
static int lat_loop(int id)
{
	struct sched_param sp = { .sched_priority = 90 };
	unsigned long long next;
	struct timespec ts;

	/* The barriers open at EOF: hold no write end of them. */
	close(start.go[1]);
	close(end.go[1]);
	if (sched_setscheduler(0, SCHED_FIFO, &sp) || mlockall(MCL_CURRENT))
		zt_die(2, "-L: SCHED_FIFO or mlockall");
	next = zt_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&lat->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&lat->stop, __ATOMIC_ACQUIRE) &&
	       lat->n < LAT_MAX) {
		next += LAT_PERIOD_NS;
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		lat->us[lat->n++] = (zt_ns(CLOCK_MONOTONIC) - next) / 1000;
	}
	return 0;
}

/* -L: start the timer process; returns once it runs at its priority. */
static void lat_start(void)
{
	lat = zt_shared(sizeof(*lat));
	zt_fork_kids(&lat_kid, 1, lat_loop);
	lat_pid = lat_kid.pid[0];
	while (!__atomic_load_n(&lat->ready, __ATOMIC_ACQUIRE)) {
		if (waitpid(lat_pid, NULL, WNOHANG) == lat_pid)
			zt_die(2, "-L: the timer process failed");
		usleep(1000);
	}
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* -L: stop the timer process and print its figures; 1 if it failed. */
static int lat_stop(void)
{
	int st;

	__atomic_store_n(&lat->stop, 1, __ATOMIC_RELEASE);
	if (waitpid(lat_pid, &st, 0) != lat_pid || st) {
		fprintf(stderr, "release: -L: the timer process failed (%#x)\n", st);
		return 1;
	}
	if (!lat->n)
		return 1;
	qsort(lat->us, lat->n, sizeof(lat->us[0]), cmp_uint);
	printf(" lat_n=%lu lat_p99_us=%u lat_max_us=%u", lat->n,
	       lat->us[lat->n * 99 / 100], lat->us[lat->n - 1]);
	return 0;
}

/* -B: the parent's side of a round, from the barrier on. */
static int bench_round(long idle)
{
	unsigned long long t_go, t_last, k0, k1, s0, s1;
	unsigned long long cpu = 0, maxv = 0, checked = 0;
	int i, failed;
	long last;

	if (opt.lat)
		lat_start();
	write_flag("1");
	k0 = kthread_ns();
	s0 = stat_busy();
	t_go = zt_ns(CLOCK_MONOTONIC);
	zt_barrier_open(&start);
	failed = zt_barrier_gather(&end, &kids, "");
	t_last = settle(idle, &last);
	k1 = kthread_ns();
	s1 = stat_busy();
	write_flag("0");

	for (i = 0; i < opt.procs && !failed; i++) {
		struct proc_res *r = &res[i];

		printf("relbench: proc=%d munmap_ns=%llu cpu_ns=%llu\n", i,
		       r->munmap_ns, r->cpu_ns);
		cpu += r->cpu_ns;
		checked += r->checked;
		if (r->munmap_ns > maxv)
			maxv = r->munmap_ns;
	}
	if (!failed)
		printf("relbench: P=%d mb=%zu max_munmap_ns=%llu cpu_ns=%llu kthread_ns=%llu stat_ms=%llu settle_ns=%llu idle=%ld residual=%ld checked=%llu",
		       opt.procs, opt.mb, maxv, cpu, k1 - k0,
		       (s1 - s0) * 1000 / sysconf(_SC_CLK_TCK), t_last - t_go,
		       idle, last < 0 ? 0 : last - idle, checked);
	if (opt.lat && lat_stop())
		failed = 1;
	if (!failed)
		printf("\n");
	return failed;
}

/* -e: reap the processes as they exit, timing each exit. */
static void time_exits(void)
{
	unsigned long long t;
	int i;

	while ((i = zt_wait_any(&kids)) >= 0) {
		t = zt_ns(CLOCK_MONOTONIC);
		if (res[i].exit_start_ns)
			res[i].exit_ns = t - res[i].exit_start_ns;
	}
}

/* Print the per-process lines; returns 1 if an exited process failed. */
static int report(unsigned long long *minv, unsigned long long *maxv)
{
	int i, failed = 0;

	for (i = 0; i < opt.procs; i++) {
		struct proc_res *r = &res[i];
		unsigned long long v = opt.do_exit ? r->exit_ns : r->munmap_ns;

		if (opt.do_exit && zt_kid_failed(&kids, i, 0)) {
			fprintf(stderr, "release: proc %d status %#x\n", i,
				kids.status[i]);
			failed = 1;
		}
		if (opt.do_exit)
			printf("release: proc=%d pages=%lu swapped_kb=%lu resident=%lu exit_ns=%llu\n",
			       i, r->pages, r->swapped_kb, r->resident, v);
		else
			printf("release: proc=%d pages=%lu swapped_kb=%lu resident=%lu munmap_ns=%llu cpu_ns=%llu\n",
			       i, r->pages, r->swapped_kb, r->resident, v,
			       r->cpu_ns);
		if (v < *minv)
			*minv = v;
		if (v > *maxv)
			*maxv = v;
	}
	return failed;
}

static void parse(int argc, char **argv)
{
	zt_getopt(argc, argv, opts, USAGE);
	if (!opt.mb)
		opt.mb = opt.bench ? 256 : 64;
	if (opt.procs < 1 || opt.procs > MAXP || opt.mode < 0 ||
	    optind != argc || (opt.bench && (opt.do_exit || opt.cmd)) ||
	    (opt.lat && !opt.bench) || !opt.parts ||
	    opt.parts > opt.mb * (1 << 20) / ZT_PAGE ||
	    (opt.parts > 1 && (opt.bench || opt.do_exit)))
		zt_usage(USAGE);
}

int main(int argc, char **argv)
{
	unsigned long long minv = ~0ULL, maxv = 0;
	int failed = 0;
	long idle;

	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	res = zt_shared(MAXP * sizeof(*res));
	zt_barrier_init(&start);
	zt_barrier_init(&end);
	idle = opt.bench ? watch_value() : 0;
	zt_fork_kids(&kids, opt.procs, child);

	if (zt_barrier_gather(&start, &kids, " before the barrier")) {
		zt_kill_kids(&kids);
		return 1;
	}
	if (opt.bench) {
		failed = bench_round(idle);
	} else {
		zt_barrier_open(&start);
		if (opt.do_exit)
			time_exits();
		else
			failed = zt_barrier_gather(&end, &kids, "");
		if (!failed)
			failed = report(&minv, &maxv);
	}
	if (!failed && opt.cmd) {
		int st = system(opt.cmd);

		if (st) {
			fprintf(stderr, "release: '%s' failed (status %#x)\n",
				opt.cmd, st);
			failed = 1;
		}
	}
	zt_barrier_open(&end);
	if (zt_reap_kids(&kids, 1))
		failed = 1;
	if (!opt.quiet && !opt.bench && !failed)
		printf("release: P=%d size_mb=%zu mode=%s op=%s min_ns=%llu max_ns=%llu\n",
		       opt.procs, opt.mb, zt_mode_names[opt.mode],
		       opt.do_exit ? "exit" : "munmap", minv, maxv);
	return failed;
}
