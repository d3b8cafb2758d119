// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tracestop: hold a task stopped at the end of the munmap() that released
 * its swapped-out memory, and run a command meanwhile.
 *
 *   tracestop [-s MB] -x CMD
 *
 * A child fills MB MiB (mixed content), pushes it to swap with
 * MADV_PAGEOUT and munmaps it.  The parent traces it (PTRACE_SYSCALL) and
 * stops it at the munmap's syscall-exit stop, which comes before the
 * child's return to user space, and so before any task_work queued
 * during the munmap has run.  While the child is held there, the parent
 * runs CMD with sh -c, with the child's pid in $TRACESTOP_CHILD; then it
 * lets the child go and waits for it.
 *
 * Exit status: CMD's exit status, or 2 if the tracing failed or the
 * child did not exit cleanly.  Lines starting "tracestop:" say what
 * happened.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zt_pattern.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static int child(size_t mb)
{
	size_t len = mb << 20, i;
	char *p;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL)) {
		perror("tracestop: PTRACE_TRACEME");
		return 2;
	}
	raise(SIGSTOP);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("tracestop: mmap");
		return 2;
	}
	for (i = 0; i < len / ZT_PAGE; i++)
		zt_fill_page(p + i * ZT_PAGE, ZT_MIXED, 7, i);
	for (i = 0; i < 3; i++)
		madvise(p, len, MADV_PAGEOUT);
	if (munmap(p, len)) {
		perror("tracestop: munmap");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct __ptrace_syscall_info info;
	const char *cmd = NULL;
	char pidstr[16];
	int c, status, rc = 2, held = 0;
	size_t mb = 16;
	pid_t pid;

	while ((c = getopt(argc, argv, "s:x:")) != -1) {
		switch (c) {
		case 's':
			mb = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			cmd = optarg;
			break;
		default:
			fprintf(stderr, "usage: tracestop [-s MB] -x CMD\n");
			return 2;
		}
	}
	if (!cmd || !mb) {
		fprintf(stderr, "usage: tracestop [-s MB] -x CMD\n");
		return 2;
	}

	pid = fork();
	if (pid < 0) {
		perror("tracestop: fork");
		return 2;
	}
	if (!pid)
		_exit(child(mb));

	/* The child's SIGSTOP: from here on it is traced. */
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		fprintf(stderr, "tracestop: child did not stop\n");
		return 2;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACESYSGOOD);
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL)) {
			perror("tracestop: PTRACE_SYSCALL");
			break;
		}
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			break;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		memset(&info, 0, sizeof(info));
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info),
			   &info) <= 0) {
			perror("tracestop: PTRACE_GET_SYSCALL_INFO");
			break;
		}
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
			held = info.entry.nr == SYS_munmap;
		else if (info.op == PTRACE_SYSCALL_INFO_EXIT && held)
			break;
	}
	if (held && WIFSTOPPED(status)) {
		printf("tracestop: child %d held at the exit of munmap (%zu MiB)\n",
		       (int)pid, mb);
		fflush(stdout);
		snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
		setenv("TRACESTOP_CHILD", pidstr, 1);
		c = system(cmd);
		rc = (c != -1 && WIFEXITED(c)) ? WEXITSTATUS(c) : 2;
		printf("tracestop: command exited with %d; letting the child go\n",
		       rc);
		fflush(stdout);
	} else {
		fprintf(stderr, "tracestop: munmap's exit stop not seen\n");
	}
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "tracestop: child did not exit cleanly (%#x)\n",
			status);
		return 2;
	}
	return held ? rc : 2;
}
