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
#define _GNU_SOURCE
#include <sys/ptrace.h>
#include <sys/syscall.h>

#define ZT_PROG "tracestop"
#include "zt_prog.h"

#define USAGE "tracestop [-s MB] -x CMD"

static size_t mb = 16;

/*
 * The traced child.  Between its SIGSTOP and the munmap it makes no
 * other munmap call: zt_page_out() without a zt_out reads no /proc file.
 */
static int child(int id)
{
	size_t len = mb << 20;
	char *p;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		zt_die(2, "PTRACE_TRACEME");
	raise(SIGSTOP);
	p = zt_map(len);
	zt_fill(p, len / ZT_PAGE, ZT_MIXED, 7, 0);
	zt_page_out(p, len, 3, 0, NULL);
	if (munmap(p, len))
		zt_die(2, "munmap");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = NULL;
	const struct zt_opt opts[] = {
		{ 's', ZT_ULONG, &mb },
		{ 'x', ZT_STR, &cmd },
		{ 0 }
	};
	struct __ptrace_syscall_info info;
	struct zt_kids kids;
	char pidstr[16];
	int c, status, rc = 2, held = 0;
	pid_t pid;

	zt_getopt(argc, argv, opts, USAGE);
	if (!cmd || !mb)
		zt_usage(USAGE);

	zt_fork_kids(&kids, 1, child);
	pid = kids.pid[0];

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
