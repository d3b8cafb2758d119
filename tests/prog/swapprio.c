// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapprio: swapon with a priority, which busybox's swapon cannot set.
 *
 *   swapprio DEV PRIO
 *
 * Two devices swapped on with the same priority are used round-robin,
 * which t_zramx_coexist.sh needs to push traffic through both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/swap.h>

int main(int argc, char **argv)
{
	int prio;

	if (argc != 3) {
		fprintf(stderr, "usage: swapprio DEV PRIO\n");
		return 2;
	}
	prio = atoi(argv[2]);
	if (prio < 0 || prio > SWAP_FLAG_PRIO_MASK) {
		fprintf(stderr, "swapprio: priority out of range\n");
		return 2;
	}
	if (swapon(argv[1], SWAP_FLAG_PREFER |
		   ((prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK))) {
		fprintf(stderr, "swapprio: swapon %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	return 0;
}
