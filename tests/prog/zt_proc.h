/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small process helpers shared by the test and benchmark programs
 * (tests/prog, bench/prog): clocks in nanoseconds, and how much of this
 * process is swapped out.
 */
#ifndef ZT_PROC_H
#define ZT_PROC_H

#include <stdio.h>
#include <time.h>

static inline unsigned long long zt_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* VmSwap of this process in KiB; 0 if /proc does not say. */
static inline unsigned long zt_vm_swap_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSwap: %lu kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

#endif /* ZT_PROC_H */
