// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pollhold: a task that releases swap and then sleeps in the kernel.
 *
 * It pages out a large pollfd array (MADV_PAGEOUT) and calls ppoll() on
 * it with no timeout: ppoll() copies the array in, so every page of it
 * is faulted back from swap inside the system call, and the swap slots
 * it frees are released by this task, which then sleeps in ppoll() on
 * an idle pipe until it is killed.  Pinned to one CPU, the task also
 * drains that CPU's swap slot cache itself (mm/swap_slots.c, where the
 * kernel has it).  Whatever the swap device left for "the releasing
 * task" to do on its way back to user space is then left for as long as
 * the task sleeps.
 *
 * The array is nearly incompressible: every entry but the first has a
 * random negative fd (ignored by poll) and random events.
 *
 * usage: pollhold [-s MiB] [-c CPU]
 *   -s  size of the array (default 8 MiB); RLIMIT_NOFILE is raised to
 *       the number of entries, which root may do up to fs.nr_open
 *   -c  CPU to run on (default 0)
 *
 * Prints "pollhold: pid N: K kB paged out" before it calls ppoll().
 * Exits 1 if it cannot set up, or if ppoll() ever returns.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/resource.h>

#define ZT_PROG "pollhold"
#include "zt_prog.h"

int main(int argc, char **argv)
{
	unsigned long mib = 8, i, n, bytes, kb;
	int cpu = 0, p[2];
	const struct zt_opt opts[] = {
		{ 's', ZT_ULONG, &mib },
		{ 'c', ZT_INT, &cpu },
		{ 0 }
	};
	struct rlimit rl;
	struct pollfd *fds;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct zt_out o = { 0 };
	cpu_set_t set;

	zt_getopt(argc, argv, opts, "pollhold [-s MiB] [-c CPU]");
	bytes = mib << 20;
	n = bytes / sizeof(*fds);

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		zt_die(1, "sched_setaffinity");
	rl.rlim_cur = rl.rlim_max = n;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		zt_die(1, "setrlimit(RLIMIT_NOFILE)");
	if (pipe(p))
		zt_die(1, "pipe");

	fds = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fds == MAP_FAILED)
		zt_die(1, "mmap");
	fds[0].fd = p[0];
	fds[0].events = POLLIN;
	for (i = 1; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fds[i].fd = (int)(x | 0x80000000u);
		fds[i].events = (short)(x >> 32);
		fds[i].revents = (short)(x >> 48);
	}

	/* Reclaim may leave a few pages behind: retry. */
	if (zt_page_out(fds, bytes, 10, 90, &o) < 0)
		return 1;
	kb = o.swap_kb;
	printf("pollhold: pid %d: %lu kB paged out\n", getpid(), kb);
	fflush(stdout);
	if (kb < bytes / 1024 / 2) {
		fprintf(stderr, "pollhold: only %lu kB went to swap\n", kb);
		return 1;
	}

	/* Faults the array back in, then sleeps: nothing writes the pipe. */
	ppoll(fds, n, NULL, NULL);
	zt_die(1, "ppoll returned");
	return 1;
}
