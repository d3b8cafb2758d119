// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast_test.ko: zsfast's in-kernel tests.
 *
 *   run=unit               single-threaded API tests (unit.c)
 *   run=stress seconds=N   kthreads on every CPU, N s with a pool per
 *                          thread, then N s on a shared pool (stress.c)
 *   run=leak               destroy a pool with live objects (leak.c)
 *   run=syscompact mb=N    then write fill, verify, free to .../ctl
 *                          (syscompact.c)
 *
 * unit, stress and leak run to completion inside insmod.  Results are read
 * from /sys/kernel/debug/zsfast_test/results, a KTAP document (zsft.h).
 * seed=N makes a run reproducible; the seed used is printed as a
 * diagnostic.  An unknown run= is refused.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <compat/compat.h>

#include "zsft.h"

static char *run;
module_param(run, charp, 0444);
MODULE_PARM_DESC(run, "tests to run: unit, stress, syscompact or leak");

unsigned int zsft_seconds = 15;
module_param_named(seconds, zsft_seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "run=stress: seconds per phase (two phases)");

unsigned int zsft_mb = 32;
module_param_named(mb, zsft_mb, uint, 0444);
MODULE_PARM_DESC(mb, "run=syscompact: MiB of object data to keep live");

u64 zsft_seed_param;
module_param_named(seed, zsft_seed_param, ullong, 0444);
MODULE_PARM_DESC(seed, "PRNG seed; 0 picks one at random");

#define ZSFT_RESULTS_SIZE	(256 * 1024)
#define ZSFT_RESULTS_RESERVE	1024
#define ZSFT_LINE_MAX		256

static DEFINE_MUTEX(zsft_results_lock);
static char *zsft_results;
static size_t zsft_results_len;
static unsigned long zsft_passed, zsft_failed;
static bool zsft_overflow;
static struct dentry *zsft_dir;

static void zsft_append(const char *prefix, const char *text, bool reserve)
{
	size_t room = ZSFT_RESULTS_SIZE - zsft_results_len;
	int n;

	if (!reserve)
		room = room > ZSFT_RESULTS_RESERVE ?
		       room - ZSFT_RESULTS_RESERVE : 0;
	n = snprintf(zsft_results + zsft_results_len, room, "%s%s\n",
		     prefix, text);
	if (n < 0 || n >= room) {
		zsft_overflow = true;
		return;
	}
	zsft_results_len += n;
}

/*
 * One line of the results document: the point "ok N TEXT" or "not ok N
 * TEXT", numbered from 1 in the order written, or the diagnostic "# TEXT"
 * (@pass < 0); kept and logged.
 */
void zsft_line(int pass, const char *fmt, ...)
{
	char line[ZSFT_LINE_MAX], tag[32];
	va_list args;

	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	mutex_lock(&zsft_results_lock);
	if (pass > 0)
		zsft_passed++;
	else if (!pass)
		zsft_failed++;
	if (pass < 0)
		strscpy(tag, "# ", sizeof(tag));
	else
		snprintf(tag, sizeof(tag), "%sok %lu ", pass ? "" : "not ",
			 zsft_passed + zsft_failed);
	zsft_append(tag, line, false);
	mutex_unlock(&zsft_results_lock);
	pr_info("%s%s\n", tag, line);
}

void zsft_done(const char *what)
{
	char line[ZSFT_LINE_MAX];

	mutex_lock(&zsft_results_lock);
	if (zsft_overflow) {
		zsft_failed++;
		snprintf(line, sizeof(line), "%lu results buffer overflowed",
			 zsft_passed + zsft_failed);
		zsft_append("not ok ", line, true);
	}
	snprintf(line, sizeof(line), "run=%s done: %lu passed, %lu failed",
		 what, zsft_passed, zsft_failed);
	zsft_append("# zsfast_test ", line, true);
	mutex_unlock(&zsft_results_lock);
	pr_info("%s\n", line);
}

bool zsft_check(struct zsft_agg *agg, bool ok, const char *fmt, ...)
{
	char line[ZSFT_LINE_MAX];
	va_list args;

	agg->checks++;
	if (likely(ok))
		return true;
	if (agg->fails++ < ZSFT_AGG_MAX_DIAG) {
		va_start(args, fmt);
		vsnprintf(line, sizeof(line), fmt, args);
		va_end(args);
		zsft_diag("%s: %s", agg->name, line);
	}
	return false;
}

void zsft_agg_points(struct zsft_agg *agg, unsigned int n)
{
	for (; n--; agg++) {
		if (agg->fails > ZSFT_AGG_MAX_DIAG)
			zsft_diag("%s: %lu more failures not shown", agg->name,
				  agg->fails - ZSFT_AGG_MAX_DIAG);
		zsft_point(agg->checks && !agg->fails,
			   "%s (%lu checks, %lu failed)", agg->name,
			   agg->checks, agg->fails);
	}
}

static ssize_t zsft_results_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&zsft_results_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, zsft_results,
				      zsft_results_len);
	mutex_unlock(&zsft_results_lock);
	return ret;
}

static const struct file_operations zsft_results_fops = {
	.owner = THIS_MODULE,
	.read = zsft_results_read,
	.llseek = default_llseek,
};

/*
 * The runs.  A run with @fn runs to completion inside insmod; syscompact
 * (no @fn) is driven through its ctl file and finishes from there.  @need
 * is a parameter that must not be 0 for the run.
 */
static const struct zsft_run {
	const char *name;
	int (*fn)(void);
	const unsigned int *need;
	const char *need_name;
} zsft_runs[] = {
	{ "unit", zsft_run_unit },
	{ "stress", zsft_run_stress, &zsft_seconds, "seconds" },
	{ "syscompact", NULL, &zsft_mb, "mb" },
	{ "leak", zsft_run_leak },
};

static const struct zsft_run *zsft_cur;

static int __init zsft_init(void)
{
	const struct zsft_run *r;
	int ret;

	for (r = zsft_runs; r < zsft_runs + ARRAY_SIZE(zsft_runs); r++)
		if (run && !strcmp(run, r->name))
			zsft_cur = r;
	if (!zsft_cur) {
		pr_err("unknown run=%s; expected unit, stress, syscompact or leak\n",
		       run ? run : "(none)");
		return -EINVAL;
	}
	r = zsft_cur;
	if (r->need && !*r->need) {
		pr_err("run=%s needs %s=N with N > 0\n", r->name, r->need_name);
		return -EINVAL;
	}

	zsft_results = vzalloc(ZSFT_RESULTS_SIZE);
	if (!zsft_results)
		return -ENOMEM;

	zsft_dir = debugfs_create_dir("zsfast_test", NULL);
	if (IS_ERR_OR_NULL(zsft_dir)) {
		pr_err("cannot create debugfs directory zsfast_test\n");
		vfree(zsft_results);
		return -ENODEV;
	}
	debugfs_create_file("results", 0444, zsft_dir, NULL,
			    &zsft_results_fops);

	if (!zsft_seed_param)
		zsft_seed_param = get_random_u64();
	zsft_diag("run=%s seed=%llu", r->name, zsft_seed_param);

	if (!r->fn) {
		ret = zsft_syscompact_init(zsft_dir);
		if (ret) {
			debugfs_remove_recursive(zsft_dir);
			vfree(zsft_results);
		}
		return ret;
	}
	ret = r->fn();
	if (ret)
		zsft_point(false, "%s: could not run (error %d)", r->name, ret);
	zsft_done(r->name);
	return 0;
}

static void __exit zsft_exit(void)
{
	/* No ctl or results reader may be running past this. */
	debugfs_remove_recursive(zsft_dir);
	if (!zsft_cur->fn)
		zsft_syscompact_exit();
	vfree(zsft_results);
}

module_init(zsft_init);
module_exit(zsft_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("zsfast in-kernel tests");
ZSF_IMPORT_NS();
ZSF_IMPORT_TEST_NS();
