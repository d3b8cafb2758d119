// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blkio: block I/O round trips on a zram-like device, for
 * tests/guest/t_zramx_blkio.sh and t_zramx_sysfs.sh (usage: USAGE below).
 *
 * START and NPAGES count 4 KiB pages.  MODE is one of the zt_pattern.h
 * modes (random text zero same mixed half sparse graded).  write and
 * verify use O_DIRECT, CHUNK pages per system call (default 64).
 *
 * write prints "written=N" (pages) and fails at the first error, so a
 * caller can verify exactly what was stored before a mem_limit hit.
 * verify reports every mismatching page (the first 16 in detail) with
 * its offset and fails if there is any.
 * rmw writes a short record at a page-dependent sub-page offset of every
 * page through the page cache (buffered, unaligned), calls fsync, and
 * then checks with O_DIRECT that each page is the BASEMODE/BASESEED
 * content with exactly that record patched in.
 * discard issues BLKDISCARD over the range.
 * punch discards one page in every STRIDE (those with index % STRIDE ==
 * 0), one BLKDISCARD each, to free objects all over the pool; verify -p
 * STRIDE then expects zeros in exactly those pages.
 * beyond checks that I/O at and past the end of the device fails or
 * transfers nothing, and that a write straddling the end stops at it.
 *
 * Exit status: 0 success, 1 a check failed, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#define ZT_PROG "blkio"
#include "zt_prog.h"

#define USAGE "blkio [-c CHUNK] [-p STRIDE] write|verify DEV START NPAGES MODE SEED\n" \
	"       blkio rmw DEV START NPAGES BASEMODE BASESEED SEED\n" \
	"       blkio discard DEV START NPAGES\n" \
	"       blkio punch DEV START NPAGES STRIDE\n" \
	"       blkio beyond|size DEV"

static unsigned long chunk = 64, stride;

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "blkio: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int mode_arg(const char *s)
{
	int m = zt_parse_mode(s);

	if (m < 0) {
		fprintf(stderr, "blkio: bad mode '%s'\n", s);
		exit(2);
	}
	return m;
}

static void *page_buf(size_t pages)
{
	void *p;

	if (posix_memalign(&p, ZT_PAGE, pages * ZT_PAGE))
		zt_die(2, "posix_memalign");
	return p;
}

static int open_dev(const char *dev, int flags)
{
	int fd = open(dev, flags);

	if (fd < 0)
		zt_die(2, dev);
	return fd;
}

/* write (@wr) or verify NPAGES pages from START, CHUNK pages per call. */
static int cmd_rw(int wr, const char *dev, uint64_t start, uint64_t n,
		  int mode, uint64_t seed)
{
	int fd = open_dev(dev, (wr ? O_RDWR : O_RDONLY) | O_DIRECT);
	char *buf = page_buf(chunk);
	uint64_t done, cnt, i, idx, bad = 0;
	off_t pos;
	ssize_t r;

	for (done = 0; done < n; done += cnt) {
		cnt = n - done < chunk ? n - done : chunk;
		pos = (off_t)((start + done) * ZT_PAGE);
		if (wr)
			zt_fill(buf, cnt, mode, seed, start + done);
		r = wr ? pwrite(fd, buf, cnt * ZT_PAGE, pos) :
			 pread(fd, buf, cnt * ZT_PAGE, pos);
		if (r != (ssize_t)(cnt * ZT_PAGE)) {
			int e = errno;

			if (wr)
				printf("written=%" PRIu64 "\n", done);
			fprintf(stderr, "blkio: %s at page %" PRIu64 ": %s\n",
				wr ? "write" : "read", start + done,
				r >= 0 ? (wr ? "short write" : "short read") :
				strerror(e));
			return 1;
		}
		/* verify -p: every STRIDE-th page was punched, reads zero */
		for (i = 0; !wr && i < cnt; i++) {
			idx = start + done + i;
			zt_check_page(buf + i * ZT_PAGE, stride &&
				      idx % stride == 0 ? ZT_ZERO : mode, seed,
				      idx, "blkio verify", &bad);
		}
	}
	if (wr && fsync(fd))
		zt_die(2, "fsync");
	close(fd);
	if (wr)
		printf("written=%" PRIu64 "\n", n);
	else
		printf("verified=%" PRIu64 " bad=%" PRIu64 "\n", n, bad);
	return bad ? 1 : 0;
}

/* The sub-page record rmw writes into page @idx. */
static size_t rmw_record(char *rec, uint64_t seed, uint64_t idx,
			 size_t *off)
{
	int len;

	/* Unaligned offset, never 512-aligned, record never crosses a page. */
	*off = 1 + (size_t)((idx * 4099 + seed * 131) % (ZT_PAGE - 200));
	len = snprintf(rec, 128, "<rmw seed=%" PRIu64 " page=%" PRIu64 ">",
		       seed, idx);
	return (size_t)len;
}

static int cmd_rmw(const char *dev, uint64_t start, uint64_t n, int bmode,
		   uint64_t bseed, uint64_t seed)
{
	int fd = open_dev(dev, O_RDWR);
	char *exp = page_buf(1);
	char *buf = page_buf(1);
	char rec[128];
	uint64_t i, bad = 0;
	int dfd;

	for (i = start; i < start + n; i++) {
		size_t off, len = rmw_record(rec, seed, i, &off);

		if (pwrite(fd, rec, len, (off_t)(i * ZT_PAGE + off)) !=
		    (ssize_t)len)
			zt_die(2, "buffered pwrite");
	}
	if (fsync(fd))
		zt_die(2, "fsync");
	close(fd);

	dfd = open_dev(dev, O_RDONLY | O_DIRECT);
	for (i = start; i < start + n; i++) {
		size_t off, len = rmw_record(rec, seed, i, &off);

		if (pread(dfd, buf, ZT_PAGE, (off_t)(i * ZT_PAGE)) !=
		    (ssize_t)ZT_PAGE)
			zt_die(2, "O_DIRECT pread");
		zt_fill_page(exp, bmode, bseed, i);
		memcpy(exp + off, rec, len);
		zt_compare("blkio rmw", i, buf, exp, &bad);
	}
	close(dfd);
	printf("rmw=%" PRIu64 " bad=%" PRIu64 "\n", n, bad);
	return bad ? 1 : 0;
}

/* BLKDISCARD @n pages from page @page of @fd. */
static int discard(int fd, uint64_t page, uint64_t n)
{
	uint64_t range[2] = { page * ZT_PAGE, n * ZT_PAGE };

	if (!ioctl(fd, BLKDISCARD, range))
		return 0;
	fprintf(stderr, "blkio: BLKDISCARD page %" PRIu64 ": %s\n", page,
		strerror(errno));
	return 1;
}

/* punch: discard every page whose index @step divides, one at a time. */
static int cmd_punch(const char *dev, uint64_t start, uint64_t n,
		     uint64_t step)
{
	int fd = open_dev(dev, O_RDWR);
	uint64_t i;

	for (i = start; step && i < start + n; i++)
		if (i % step == 0 && discard(fd, i, 1))
			return 1;
	return step ? 0 : 2;
}

static uint64_t dev_size(int fd)
{
	uint64_t sz;

	if (ioctl(fd, BLKGETSIZE64, &sz))
		zt_die(2, "BLKGETSIZE64");
	return sz;
}

/* I/O at and past the end: reads transfer nothing, writes fail. */
static const struct past_end {
	int direct, wr;		/* O_DIRECT or buffered, pwrite or pread */
	size_t len, off;	/* bytes, at this offset from the end */
	const char *what;
} past[] = {
	{ 1, 0, ZT_PAGE, 0, "O_DIRECT read at end" },
	{ 1, 0, ZT_PAGE, 16 * ZT_PAGE, "O_DIRECT read past end" },
	{ 0, 0, 100, 10, "buffered read past end" },
	{ 1, 1, ZT_PAGE, 0, "O_DIRECT write at end" },
	{ 1, 1, ZT_PAGE, 16 * ZT_PAGE, "O_DIRECT write past end" },
	{ 0, 1, 100, 10, "buffered write past end" },
};

static int cmd_beyond(const char *dev)
{
	int fd = open_dev(dev, O_RDWR | O_DIRECT);
	int bfd = open_dev(dev, O_RDWR);
	uint64_t sz = dev_size(fd);
	char *buf = page_buf(2);
	int fails = 0;
	size_t i;
	ssize_t r;

	memset(buf, 0xa5, 2 * ZT_PAGE);
	for (i = 0; i < ARRAY_SIZE(past); i++) {
		const struct past_end *t = &past[i];
		int f = t->direct ? fd : bfd;
		off_t o = (off_t)(sz + t->off);

		r = t->wr ? pwrite(f, buf, t->len, o) :
			    pread(f, buf, t->len, o);
		if (t->wr ? r >= 0 : r > 0) {
			fprintf(stderr, "blkio: %s returned %zd\n", t->what, r);
			fails++;
		}
	}
	/* A write straddling the end stops at the end. */
	r = pwrite(fd, buf, 2 * ZT_PAGE, (off_t)(sz - ZT_PAGE));
	if (r != (ssize_t)ZT_PAGE && r >= 0) {
		fprintf(stderr,
			"blkio: straddling write returned %zd, want %lu\n",
			r, ZT_PAGE);
		fails++;
	}
	/* And the last page still reads back. */
	memset(buf, 0, ZT_PAGE);
	r = pread(fd, buf, 2 * ZT_PAGE, (off_t)(sz - ZT_PAGE));
	if (r != (ssize_t)ZT_PAGE) {
		fprintf(stderr, "blkio: read of last page returned %zd\n", r);
		fails++;
	}
	close(fd);
	close(bfd);
	printf("size=%" PRIu64 " beyond_failures=%d\n", sz, fails);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct zt_opt opts[] = {
		{ 'c', ZT_ULONG, &chunk },
		{ 'p', ZT_ULONG, &stride },
		{ 0 }
	};
	const char *cmd, *dev;

	argc -= zt_getopt(argc, argv, opts, USAGE);
	argv += optind;
	if (argc < 2 || !chunk)
		zt_usage(USAGE);
	cmd = argv[0];
	dev = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if ((!strcmp(cmd, "write") || !strcmp(cmd, "verify")) && argc == 6)
		return cmd_rw(!strcmp(cmd, "write"), dev, num(argv[2]),
			      num(argv[3]), mode_arg(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "rmw") && argc == 7)
		return cmd_rmw(dev, num(argv[2]), num(argv[3]),
			       mode_arg(argv[4]), num(argv[5]), num(argv[6]));
	if (!strcmp(cmd, "discard") && argc == 4)
		return discard(open_dev(dev, O_RDWR), num(argv[2]),
			       num(argv[3]));
	if (!strcmp(cmd, "punch") && argc == 5)
		return cmd_punch(dev, num(argv[2]), num(argv[3]),
				 num(argv[4]));
	if (!strcmp(cmd, "beyond") && argc == 2)
		return cmd_beyond(dev);
	if (!strcmp(cmd, "size") && argc == 2) {
		printf("%" PRIu64 "\n", dev_size(open_dev(dev, O_RDONLY)));
		return 0;
	}
	zt_usage(USAGE);
}
