/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scaffolding shared by the in-guest test programs (tests/prog): error
 * exits, option tables, clocks and /proc readers, pushing memory out to
 * swap, forking P children, waiting for them, and a start barrier for
 * them.  It includes zt_pattern.h, the page contents.
 *
 * A program defines ZT_PROG, its name, before it includes this header:
 * every message printed here starts with "ZT_PROG: ".  Exit statuses
 * follow the programs' convention: 1 a check failed, 2 usage or setup
 * error.
 */
#ifndef ZT_PROG_H
#define ZT_PROG_H

#ifndef ZT_PROG
#error "define ZT_PROG (the program's name) before including zt_prog.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zt_pattern.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/* --- errors --------------------------------------------------------- */

/* Print "PROG: WHAT: strerror(errno)" and exit with @rc. */
static inline _Noreturn void zt_die(int rc, const char *what)
{
	fprintf(stderr, ZT_PROG ": %s: %s\n", what, strerror(errno));
	exit(rc);
}

/* Print "usage: SYNOPSIS" and exit 2. */
static inline _Noreturn void zt_usage(const char *synopsis)
{
	fprintf(stderr, "usage: %s\n", synopsis);
	exit(2);
}

/* --- options -------------------------------------------------------- */

/* What zt_getopt() makes of an option's argument. */
enum zt_opt_type {
	ZT_FLAG,	/* none: the int is set to 1 */
	ZT_INT,		/* an int, as atoi() reads it */
	ZT_ULONG,	/* an unsigned long or size_t, strtoul() in base 0 */
	ZT_DOUBLE,	/* a double, as atof() reads it */
	ZT_STR,		/* a const char *, the argument itself */
	ZT_MODE,	/* an int, zt_parse_mode(): -1 for no such mode */
};

/* One option: its letter, its type, and where its value goes. */
struct zt_opt {
	char c;
	enum zt_opt_type type;
	void *p;
};

/**
 * zt_getopt() - parse the options in @argv with getopt(), by a table
 * @opts: the options, ended by an entry whose letter is 0
 * @usage: the synopsis for zt_usage() if an option is not in @opts
 *
 * Return: optind, the index of the first operand.
 */
static inline int zt_getopt(int argc, char **argv, const struct zt_opt *opts,
			    const char *usage)
{
	char spec[64], *s = spec;
	const struct zt_opt *o;
	int c;

	for (o = opts; o->c; o++) {
		*s++ = o->c;
		if (o->type != ZT_FLAG)
			*s++ = ':';
	}
	*s = 0;
	while ((c = getopt(argc, argv, spec)) != -1) {
		for (o = opts; o->c && o->c != c; o++)
			;
		if (!o->c)
			zt_usage(usage);
		switch (o->type) {
		case ZT_FLAG:
			*(int *)o->p = 1;
			break;
		case ZT_INT:
			*(int *)o->p = atoi(optarg);
			break;
		case ZT_ULONG:
			*(unsigned long *)o->p = strtoul(optarg, NULL, 0);
			break;
		case ZT_DOUBLE:
			*(double *)o->p = atof(optarg);
			break;
		case ZT_STR:
			*(const char **)o->p = optarg;
			break;
		case ZT_MODE:
			*(int *)o->p = zt_parse_mode(optarg);
			break;
		}
	}
	return optind;
}

/* --- clocks and /proc ----------------------------------------------- */

/* @clk's time in nanoseconds. */
static inline unsigned long long zt_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The number after the first line of @path that matches @fmt (a
 * sscanf format with one %lu, e.g. "VmSwap: %lu"); 0 if there is none.
 */
static inline unsigned long zt_proc_field(const char *path, const char *fmt)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned long v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	fclose(f);
	return v;
}

/* VmSwap of this process in KiB; 0 if /proc does not say. */
static inline unsigned long zt_vm_swap_kb(void)
{
	return zt_proc_field("/proc/self/status", "VmSwap: %lu kB");
}

/* --- memory ---------------------------------------------------------- */

/*
 * An anonymous mapping of @len bytes, MAP_PRIVATE, or MAP_SHARED to share
 * it with the children forked later; exits 2 if there is none.
 */
static inline void *zt_map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		zt_die(2, "mmap");
	return p;
}

#define zt_map(len)	zt_map_anon(len, MAP_PRIVATE)
#define zt_shared(len)	zt_map_anon(len, MAP_SHARED)

/* Pages of [p, p + len) that mincore() says are resident (all on error). */
static inline unsigned long zt_resident_pages(void *p, size_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t n = (len + psz - 1) / psz, i;
	unsigned char *vec = malloc(n);
	unsigned long r = 0;

	if (!vec || mincore(p, len, vec)) {
		fprintf(stderr, ZT_PROG ": mincore: %s\n", strerror(errno));
		free(vec);
		return n;
	}
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	free(vec);
	return r;
}

/* What zt_page_out() measured after its last MADV_PAGEOUT. */
struct zt_out {
	unsigned long swap_kb;		/* VmSwap of the process */
	unsigned long resident;		/* resident pages of the region */
};

/*
 * Push [p, p + len) out with MADV_PAGEOUT, up to @tries times (reclaim
 * may leave pages behind), until at least @pct percent of it is out:
 * VmSwap shows that much in swap and mincore() that much non-resident.
 * Without @o nothing is measured and MADV_PAGEOUT runs @tries times.
 * Returns 0 when done, 1 if @pct was not reached, -1 (said on stderr)
 * if madvise() failed.
 */
static inline int zt_page_out(void *p, size_t len, int tries, int pct,
			      struct zt_out *o)
{
	unsigned long kb = len >> 10, pages = len / sysconf(_SC_PAGESIZE);

	while (tries-- > 0) {
		if (madvise(p, len, MADV_PAGEOUT)) {
			fprintf(stderr, ZT_PROG ": MADV_PAGEOUT: %s\n",
				strerror(errno));
			return -1;
		}
		if (!o)
			continue;
		o->swap_kb = zt_vm_swap_kb();
		o->resident = zt_resident_pages(p, len);
		if (o->swap_kb * 100 >= pct * kb &&
		    (pages - o->resident) * 100 >= pct * pages)
			return 0;
	}
	return o ? 1 : 0;
}

/* --- children -------------------------------------------------------- */

/* Forked children; status[i] is -1 until child i has been reaped. */
struct zt_kids {
	int n;
	pid_t *pid;
	int *status;
};

/*
 * Fork @n children; child i runs _exit(fn(i)).  Exits 2 if a fork
 * fails.  stdio is flushed first so that no child repeats its output.
 */
static inline void zt_fork_kids(struct zt_kids *k, int n, int (*fn)(int))
{
	int i;

	k->n = n;
	k->pid = calloc(n, sizeof(*k->pid));
	k->status = malloc(n * sizeof(*k->status));
	if (!k->pid || !k->status)
		zt_die(2, "malloc");
	fflush(NULL);
	for (i = 0; i < n; i++) {
		k->status[i] = -1;
		k->pid[i] = fork();
		if (k->pid[i] < 0)
			zt_die(2, "fork");
		if (!k->pid[i])
			_exit(fn(i));
	}
}

/*
 * Reap whichever child exits next (wait()) and keep its status.
 * Returns its index, or -1 when no child is left.
 */
static inline int zt_wait_any(struct zt_kids *k)
{
	int st, i;
	pid_t pid;

	while ((pid = wait(&st)) >= 0)
		for (i = 0; i < k->n; i++)
			if (k->pid[i] == pid && k->status[i] < 0) {
				k->status[i] = st;
				return i;
			}
	return -1;
}

/* Whether child @i was killed or exited non-zero; says so if @verbose. */
static inline int zt_kid_failed(const struct zt_kids *k, int i, int verbose)
{
	int st = k->status[i];

	if (st < 0 || (WIFEXITED(st) && !WEXITSTATUS(st)))
		return 0;
	if (!verbose)
		return 1;
	if (WIFSIGNALED(st))
		fprintf(stderr, ZT_PROG ": pid %d killed by signal %d\n",
			(int)k->pid[i], WTERMSIG(st));
	else
		fprintf(stderr, ZT_PROG ": pid %d exited %d\n",
			(int)k->pid[i], WEXITSTATUS(st));
	return 1;
}

/*
 * Reap every child still running, in the order they exit.  Returns how
 * many children (of all, reaped here or before) were killed or exited
 * non-zero; those reaped here are named on stderr if @verbose.
 */
static inline int zt_reap_kids(struct zt_kids *k, int verbose)
{
	int i, failed = 0;

	while ((i = zt_wait_any(k)) >= 0)
		zt_kid_failed(k, i, verbose);
	for (i = 0; i < k->n; i++)
		failed += zt_kid_failed(k, i, 0);
	return failed;
}

/* SIGKILL every child still running and reap them all. */
static inline void zt_kill_kids(struct zt_kids *k)
{
	int i;

	for (i = 0; i < k->n; i++)
		if (k->status[i] < 0)
			kill(k->pid[i], SIGKILL);
	zt_reap_kids(k, 0);
}

/* --- barrier --------------------------------------------------------- */

/*
 * A barrier between the parent and its forked children, in two pipes:
 * each child writes a byte to @ready when it arrives and then reads
 * @go, which returns only at EOF, when the parent has closed its end;
 * that wakes every child at once.  Set it up before forking.
 */
struct zt_barrier {
	int ready[2];
	int go[2];
};

/* Create the barrier's pipes (close-on-exec); exits 2 on failure. */
static inline void zt_barrier_init(struct zt_barrier *b)
{
	if (pipe2(b->ready, O_CLOEXEC) || pipe2(b->go, O_CLOEXEC))
		zt_die(2, "pipe");
}

/*
 * Child: arrive at the barrier and sleep until the parent opens it.
 * The child's copy of the go pipe's write end is closed first, so that
 * only the parent's keeps the pipe open.
 */
static inline void zt_barrier_cross(struct zt_barrier *b)
{
	char c = 0;

	close(b->go[1]);
	while (write(b->ready[1], &c, 1) < 0 && errno == EINTR)
		;
	while (read(b->go[0], &c, 1) != 0 && errno == EINTR)
		;
}

/*
 * Parent: wait until every child of @k has arrived.  Children that exit
 * first are reaped, reported as "PROG: proc I died@when (status S)", and
 * end the wait.  Returns 0, or 1 if a child died.
 */
static inline int zt_barrier_gather(struct zt_barrier *b, struct zt_kids *k,
				    const char *when)
{
	struct pollfd pfd = { .fd = b->ready[0], .events = POLLIN };
	int got = 0, died = 0, i;
	char buf[64];
	ssize_t r;

	while (got < k->n && !died) {
		if (poll(&pfd, 1, 1) > 0) {
			r = read(b->ready[0], buf, sizeof(buf));
			if (r > 0)
				got += r;
		}
		for (i = 0; got < k->n && i < k->n; i++) {
			if (k->status[i] >= 0 ||
			    waitpid(k->pid[i], &k->status[i], WNOHANG) != k->pid[i])
				continue;
			fprintf(stderr, ZT_PROG ": proc %d died%s (status %#x)\n",
				i, when, k->status[i]);
			died = 1;
		}
	}
	return died;
}

/* Parent: open the barrier, waking every child waiting at it. */
static inline void zt_barrier_open(struct zt_barrier *b)
{
	close(b->go[1]);
}

#endif /* ZT_PROG_H */
