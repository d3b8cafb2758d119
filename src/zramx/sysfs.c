// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx per-device sysfs attributes, /sys/block/zramxN/.
 *
 * Names and formats follow stock zram's where the two overlap, so that
 * scripts written for zram work by changing the device name.  The
 * reference is Documentation/zramx.rst.  Every writable attribute is
 * root-only (0644 or 0200).
 */

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kernel_read_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "zramx.h"

/* The largest device: slot indices are u32. */
#define ZRAMX_MAX_DISKSIZE	((u64)U32_MAX << PAGE_SHIFT)

/*
 * Parse a size with an optional K/M/G/T/P/E suffix, as memparse() does,
 * but reject anything left over except trailing white space.
 */
static int zramx_parse_size(const char *buf, u64 *size)
{
	char *end;

	*size = memparse(buf, &end);
	if (end == buf)
		return -EINVAL;
	while (isspace(*end))
		end++;
	return *end ? -EINVAL : 0;
}

static ssize_t disksize_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u64 size;

	down_read(&zx->init_lock);
	size = zx->disksize;
	up_read(&zx->init_lock);
	return sysfs_emit(buf, "%llu\n", size);
}

static ssize_t disksize_store(struct device *dev,
			      struct device_attribute *attr,
			      const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u64 size;
	int ret;

	ret = zramx_parse_size(buf, &size);
	if (ret)
		return ret;
	if (!size || size > ZRAMX_MAX_DISKSIZE)
		return -EINVAL;

	ret = zramx_init_device(zx, PAGE_ALIGN(size));
	return ret ? ret : len;
}

static ssize_t initstate_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u32 val;

	down_read(&zx->init_lock);
	val = zramx_init_done(zx);
	up_read(&zx->init_lock);
	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	unsigned short do_reset;
	int ret;

	ret = kstrtou16(buf, 10, &do_reset);
	if (ret)
		return ret;
	if (!do_reset)
		return -EINVAL;

	ret = zramx_reset_claimed(zx);
	return ret ? ret : len;
}

static ssize_t comp_algorithm_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	ssize_t ret;

	down_read(&zx->init_lock);
	ret = zramx_backends_show(zx->backends[ZRAMX_PRIMARY_COMP], buf, 0);
	up_read(&zx->init_lock);
	return ret;
}

/*
 * Select the algorithm of priority @prio, forgetting the parameters of the
 * one it replaces, as stock zram does.
 */
static int zramx_algorithm_store(struct zramx *zx, u32 prio, const char *name)
{
	const struct zramx_backend *backend;
	int ret = 0;

	backend = zramx_backend_find(name);
	if (!backend)
		return -EINVAL;

	down_write(&zx->init_lock);
	if (zramx_init_done(zx)) {
		ret = -EBUSY;
	} else {
		zx->backends[prio] = backend;
		zramx_params_reset(&zx->params[prio]);
	}
	up_write(&zx->init_lock);
	return ret;
}

static ssize_t comp_algorithm_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	int ret;

	ret = zramx_algorithm_store(zx, ZRAMX_PRIMARY_COMP, buf);
	return ret ? ret : len;
}

/*
 * "#PRIO: " and the list of algorithms, the selected one bracketed, for
 * each secondary priority that has one.
 */
static ssize_t recomp_algorithm_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	ssize_t sz = 0;
	u32 prio;

	down_read(&zx->init_lock);
	for (prio = ZRAMX_SECONDARY_COMP; prio < ZRAMX_MAX_COMPS; prio++) {
		if (!zx->backends[prio])
			continue;
		sz += sysfs_emit_at(buf, sz, "#%u: ", prio);
		sz += zramx_backends_show(zx->backends[prio], buf, sz);
	}
	up_read(&zx->init_lock);
	return sz;
}

/*
 * The key=value arguments of the post-processing attributes, as stock
 * zram parses them: a key without a value is an error, an unknown key
 * is ignored.
 */
struct zramx_args {
	s32 prio;		/* priority=, or -1 */
	s32 level;		/* level=, or ZRAMX_PARAM_NOT_SET */
	const char *algo;	/* algo= */
	const char *dict;	/* dict= */
	const char *type;	/* type= */
	u64 max_pages;		/* max_pages=, or U64_MAX */
	u32 threshold;		/* threshold=, or 0 */
};

static int zramx_parse_args(char *args, struct zramx_args *a)
{
	char *param, *val;
	int ret = 0;

	*a = (struct zramx_args){ .prio = -1, .level = ZRAMX_PARAM_NOT_SET,
				  .max_pages = U64_MAX };
	args = skip_spaces(args);
	while (*args && !ret) {
		args = next_arg(args, &param, &val);
		if (!val || !*val)
			return -EINVAL;
		if (!strcmp(param, "priority"))
			ret = kstrtoint(val, 10, &a->prio);
		else if (!strcmp(param, "level"))
			ret = kstrtoint(val, 10, &a->level);
		else if (!strcmp(param, "max_pages"))
			ret = kstrtoull(val, 10, &a->max_pages);
		else if (!strcmp(param, "threshold"))
			ret = kstrtouint(val, 10, &a->threshold);
		else if (!strcmp(param, "algo"))
			a->algo = val;
		else if (!strcmp(param, "dict"))
			a->dict = val;
		else if (!strcmp(param, "type"))
			a->type = val;
	}
	return ret;
}

/*
 * The priority that @a names, with init_lock held: priority=, algo= (the
 * lowest priority from @min with that algorithm), or both, which must
 * agree; @def if neither.  -EINVAL if there is none.
 */
static s32 zramx_args_prio(struct zramx *zx, const struct zramx_args *a,
			   u32 min, u32 def)
{
	const struct zramx_backend *backend = NULL;
	u32 prio;

	if (a->algo) {
		backend = zramx_backend_find(a->algo);
		if (!backend)
			return -EINVAL;
	}
	if (a->prio >= 0) {
		if (a->prio < min || a->prio >= ZRAMX_MAX_COMPS)
			return -EINVAL;
		if (backend && zx->backends[a->prio] != backend)
			return -EINVAL;
		return a->prio;
	}
	if (!backend)
		return def;
	for (prio = min; prio < ZRAMX_MAX_COMPS; prio++)
		if (zx->backends[prio] == backend)
			return prio;
	return -EINVAL;
}

/* Copy a sysfs write into a NUL-terminated string for next_arg(). */
static char *zramx_args_dup(const char *buf, size_t len)
{
	return kmemdup_nul(buf, len, GFP_KERNEL);
}

/* algo=NAME [priority=N]: the algorithm of a secondary priority. */
static ssize_t recomp_algorithm_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	struct zramx_args a;
	char *args;
	int ret;

	args = zramx_args_dup(buf, len);
	if (!args)
		return -ENOMEM;
	ret = zramx_parse_args(args, &a);
	if (!ret && !a.algo)
		ret = -EINVAL;
	if (!ret && a.prio < 0)
		a.prio = ZRAMX_SECONDARY_COMP;
	if (!ret && (a.prio < ZRAMX_SECONDARY_COMP ||
		     a.prio >= ZRAMX_MAX_COMPS))
		ret = -EINVAL;
	if (!ret)
		ret = zramx_algorithm_store(zx, a.prio, a.algo);
	kfree(args);
	return ret ? ret : len;
}

/* With init_lock held: -EBUSY once initialized, else the priority @a names. */
static s32 zramx_params_prio(struct zramx *zx, const struct zramx_args *a)
{
	if (zramx_init_done(zx))
		return -EBUSY;
	return zramx_args_prio(zx, a, ZRAMX_PRIMARY_COMP, ZRAMX_PRIMARY_COMP);
}

/*
 * [algo=NAME] [priority=N] [level=N] [dict=PATH]: replace every parameter
 * of one priority's algorithm (the primary one by default).  The values
 * are checked when the device is initialized.  The errors come in stock
 * zram's order: busy, no such priority, then the dictionary's.
 */
static ssize_t algorithm_params_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	struct zramx_params params = { .level = ZRAMX_PARAM_NOT_SET };
	struct zramx_args a;
	char *args;
	ssize_t sz;
	s32 prio;
	int ret;

	args = zramx_args_dup(buf, len);
	if (!args)
		return -ENOMEM;
	ret = zramx_parse_args(args, &a);
	if (ret)
		goto out;

	down_read(&zx->init_lock);
	prio = zramx_params_prio(zx, &a);
	up_read(&zx->init_lock);
	if (prio < 0) {
		ret = prio;
		goto out;
	}

	/* Read without the lock: the file may be large, or slow to read. */
	params.level = a.level;
	if (a.dict) {
		sz = kernel_read_file_from_path(a.dict, 0, &params.dict,
						INT_MAX, NULL, READING_POLICY);
		if (sz <= 0) {
			pr_err("zramx: %s: cannot load dictionary %s: %zd\n",
			       zx->disk->disk_name, a.dict, sz);
			ret = sz ? sz : -EINVAL;
			goto out;
		}
		params.dict_sz = sz;
	}

	down_write(&zx->init_lock);
	prio = zramx_params_prio(zx, &a);
	if (prio < 0) {
		ret = prio;
	} else {
		zramx_params_reset(&zx->params[prio]);
		zx->params[prio] = params;
		params.dict = NULL;
	}
	up_write(&zx->init_lock);
out:
	vfree(params.dict);
	kfree(args);
	return ret ? ret : len;
}

/* "all", or an age in seconds: mark the slots not accessed since idle. */
static ssize_t idle_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u32 cutoff = 0, age, uptime;
	int ret = 0;

	if (!sysfs_streq(buf, "all")) {
		if (kstrtouint(buf, 0, &age))
			return -EINVAL;
		/* No slot is older than the system. */
		uptime = ktime_get_boottime_seconds();
		if (age >= uptime)
			return len;
		cutoff = uptime - age;
	}

	down_read(&zx->init_lock);
	if (zramx_init_done(zx))
		zramx_mark_idle(zx, cutoff);
	else
		ret = -EINVAL;
	up_read(&zx->init_lock);
	return ret ? ret : len;
}

/*
 * [type=idle|huge|huge_idle] [threshold=BYTES] [max_pages=N] [algo=NAME]
 * [priority=N]: recompress stored pages with a secondary algorithm.
 */
static ssize_t recompress_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	bool idle = false, huge = false;
	struct zramx_args a;
	char *args;
	s32 prio;
	int ret;

	args = zramx_args_dup(buf, len);
	if (!args)
		return -ENOMEM;
	ret = zramx_parse_args(args, &a);
	if (ret)
		goto out;
	if (a.type) {
		idle = !strcmp(a.type, "idle") || !strcmp(a.type, "huge_idle");
		huge = !strcmp(a.type, "huge") || !strcmp(a.type, "huge_idle");
		if (!idle && !huge) {
			ret = -EINVAL;
			goto out;
		}
	}

	down_write(&zx->init_lock);
	prio = zramx_args_prio(zx, &a, ZRAMX_SECONDARY_COMP,
			       ZRAMX_SECONDARY_COMP);
	if (!zramx_init_done(zx) || a.threshold >= zx->huge_class_size ||
	    prio < 0 || !zx->comps[prio])
		ret = -EINVAL;
	else
		ret = zramx_recompress(zx, prio, idle, huge, a.threshold,
				       a.max_pages);
	up_write(&zx->init_lock);
out:
	kfree(args);
	return ret ? ret : len;
}

/* Streams are per CPU, as in stock zram; the value is kept for the ABI. */
static ssize_t max_comp_streams_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", num_online_cpus());
}

static ssize_t max_comp_streams_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t len)
{
	unsigned int val;

	if (kstrtouint(buf, 10, &val) || !val)
		return -EINVAL;
	return len;
}

static ssize_t mem_limit_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u64 limit;
	int ret;

	ret = zramx_parse_size(buf, &limit);
	if (ret)
		return ret;
	if (limit > (u64)ULONG_MAX - PAGE_SIZE)
		return -EINVAL;

	down_write(&zx->init_lock);
	WRITE_ONCE(zx->limit_pages, PAGE_ALIGN(limit) >> PAGE_SHIFT);
	up_write(&zx->init_lock);
	return len;
}

static ssize_t mem_used_max_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	unsigned long val;

	if (kstrtoul(buf, 10, &val) || val != 0)
		return -EINVAL;

	down_read(&zx->init_lock);
	if (zramx_init_done(zx))
		atomic_long_set(&zx->stats.max_used_pages,
				zsf_get_total_pages(zx->pool));
	up_read(&zx->init_lock);
	return len;
}

static ssize_t compact_store(struct device *dev,
			     struct device_attribute *attr,
			     const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);

	down_read(&zx->init_lock);
	if (!zramx_init_done(zx)) {
		up_read(&zx->init_lock);
		return -EINVAL;
	}
	zsf_compact(zx->pool);
	up_read(&zx->init_lock);
	return len;
}

/* failed_reads failed_writes invalid_io notify_free */
static ssize_t io_stat_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	ssize_t ret;

	down_read(&zx->init_lock);
	ret = sysfs_emit(buf, "%8llu %8llu %8llu %8llu\n",
			 (u64)atomic64_read(&zx->stats.failed_reads),
			 (u64)atomic64_read(&zx->stats.failed_writes),
			 (u64)atomic64_read(&zx->stats.invalid_io),
			 (u64)atomic64_read(&zx->stats.notify_free));
	up_read(&zx->init_lock);
	return ret;
}

/*
 * orig_data_size compr_data_size mem_used_total mem_limit mem_used_max
 * same_pages pages_compacted huge_pages huge_pages_since
 */
static ssize_t mm_stat_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	struct zsf_pool_stats pool_stats;
	u64 orig_size, mem_used = 0;
	long max_used;
	ssize_t ret;

	memset(&pool_stats, 0, sizeof(pool_stats));

	down_read(&zx->init_lock);
	if (zramx_init_done(zx)) {
		mem_used = zsf_get_total_pages(zx->pool);
		zsf_pool_stats(zx->pool, &pool_stats);
	}
	orig_size = atomic64_read(&zx->stats.pages_stored);
	max_used = atomic_long_read(&zx->stats.max_used_pages);

	ret = sysfs_emit(buf,
			 "%8llu %8llu %8llu %8lu %8ld %8llu %8lu %8llu %8llu\n",
			 orig_size << PAGE_SHIFT,
			 (u64)atomic64_read(&zx->stats.compr_data_size),
			 mem_used << PAGE_SHIFT,
			 zx->limit_pages << PAGE_SHIFT,
			 max_used << PAGE_SHIFT,
			 (u64)atomic64_read(&zx->stats.same_pages),
			 atomic_long_read(&pool_stats.pages_compacted),
			 (u64)atomic64_read(&zx->stats.huge_pages),
			 (u64)atomic64_read(&zx->stats.huge_pages_since));
	up_read(&zx->init_lock);
	return ret;
}

/*
 * version: 1, then writestall miss_free gathers gathered gather_taken
 * nomem_writes
 */
static ssize_t debug_stat_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	ssize_t ret;

	down_read(&zx->init_lock);
	ret = sysfs_emit(buf, "version: %d\n%8llu %8llu %8llu %8llu %8llu %8llu\n",
			 1, (u64)atomic64_read(&zx->stats.writestall),
			 (u64)atomic64_read(&zx->stats.miss_free),
			 (u64)atomic64_read(&zx->stats.gathers),
			 (u64)atomic64_read(&zx->stats.gathered),
			 (u64)atomic64_read(&zx->stats.gather_taken),
			 (u64)atomic64_read(&zx->stats.nomem_writes));
	up_read(&zx->init_lock);
	return ret;
}

/* The backing device's path, or "none". */
static ssize_t backing_dev_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	ssize_t ret;
	char *p;

	down_read(&zx->init_lock);
	if (!zx->bd_file) {
		ret = sysfs_emit(buf, "none\n");
	} else {
		p = file_path(zx->bd_file, buf, PAGE_SIZE - 1);
		if (IS_ERR(p)) {
			ret = PTR_ERR(p);
		} else {
			ret = strlen(p);
			memmove(buf, p, ret);
			buf[ret++] = '\n';
		}
	}
	up_read(&zx->init_lock);
	return ret;
}

static ssize_t backing_dev_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	char *copy;
	int ret;

	copy = kstrndup(buf, min_t(size_t, len, PATH_MAX), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;

	down_write(&zx->init_lock);
	if (zramx_init_done(zx))
		ret = -EBUSY;
	else
		ret = zramx_bd_open(zx, strim(copy));
	up_write(&zx->init_lock);
	kfree(copy);
	return ret ? ret : len;
}

/* A writeback mode word: idle, huge, huge_idle or incompressible. */
static int zramx_wb_parse_mode(const char *val, bool *idle, bool *huge,
			       bool *incompressible)
{
	*idle = !strcmp(val, "idle") || !strcmp(val, "huge_idle");
	*huge = !strcmp(val, "huge") || !strcmp(val, "huge_idle");
	*incompressible = !strcmp(val, "incompressible");
	return *idle || *huge || *incompressible ? 0 : -EINVAL;
}

/* page_index=N or page_indexes=N-M: the slots [*lo, *hi). */
static int zramx_wb_parse_range(char *val, bool range, u32 nr, u32 *lo,
				u32 *hi)
{
	char *dash = NULL;
	int ret;

	if (range) {
		dash = strchr(val, '-');
		if (!dash)
			return -EINVAL;
		*dash++ = '\0';
	}
	ret = kstrtou32(val, 10, lo);
	if (ret)
		return ret;
	if (*lo >= nr)
		return -ERANGE;
	*hi = *lo;
	if (dash) {
		ret = kstrtou32(dash, 10, hi);
		if (ret)
			return ret;
		if (*hi >= nr || *lo > *hi)
			return -ERANGE;
	}
	(*hi)++;
	return 0;
}

/*
 * The mode alone (idle, huge, huge_idle, incompressible: the old form),
 * type=MODE, or page_index=N or page_indexes=N-M, as many as wanted:
 * write those pages to the backing device.  A mode ends the request.
 */
static ssize_t writeback_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	bool idle, huge, incompressible;
	char *args, *arg, *param, *val;
	int ret = 0;
	u32 lo, hi;

	args = zramx_args_dup(buf, len);
	if (!args)
		return -ENOMEM;

	down_write(&zx->init_lock);
	if (!zramx_init_done(zx)) {
		ret = -EINVAL;
		goto out;
	}
	if (!zx->bd_file) {
		ret = -ENODEV;
		goto out;
	}

	lo = 0;
	hi = zx->disksize >> PAGE_SHIFT;
	arg = skip_spaces(args);
	while (*arg) {
		arg = next_arg(arg, &param, &val);
		if (!val || !*val || !strcmp(param, "type")) {
			ret = zramx_wb_parse_mode(val && *val ? val : param,
						  &idle, &huge, &incompressible);
			if (!ret)
				ret = zramx_writeback(zx, lo, hi, idle, huge,
						      incompressible);
			break;
		}
		if (strcmp(param, "page_index") && strcmp(param, "page_indexes"))
			continue;
		ret = zramx_wb_parse_range(val, !strcmp(param, "page_indexes"),
					   zx->disksize >> PAGE_SHIFT, &lo, &hi);
		if (!ret)
			ret = zramx_writeback(zx, lo, hi, false, false, false);
		if (ret)
			break;
	}
out:
	up_write(&zx->init_lock);
	kfree(args);
	return ret ? ret : len;
}

static ssize_t writeback_limit_enable_show(struct device *dev,
					   struct device_attribute *attr,
					   char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(zx->wb_limit_enable));
}

/* Any unsigned integer, as stock zram takes it: nonzero enables. */
static ssize_t writeback_limit_enable_store(struct device *dev,
					    struct device_attribute *attr,
					    const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u64 val;

	if (kstrtoull(buf, 10, &val))
		return -EINVAL;
	WRITE_ONCE(zx->wb_limit_enable, val != 0);
	return len;
}

/* The budget in 4 KiB units, rounded down to whole pages. */
static ssize_t writeback_limit_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u64 val;

	down_read(&zx->init_lock);
	val = zx->wb_limit;
	up_read(&zx->init_lock);
	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t writeback_limit_store(struct device *dev,
				     struct device_attribute *attr,
				     const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u64 val;

	if (kstrtoull(buf, 10, &val))
		return -EINVAL;
	down_write(&zx->init_lock);
	zx->wb_limit = rounddown(val, PAGE_SIZE / SZ_4K);
	up_write(&zx->init_lock);
	return len;
}

static ssize_t writeback_batch_size_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(zx->wb_batch_size));
}

static ssize_t writeback_batch_size_store(struct device *dev,
					  struct device_attribute *attr,
					  const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u32 val;

	if (kstrtouint(buf, 10, &val) || !val)
		return -EINVAL;
	WRITE_ONCE(zx->wb_batch_size, val);
	return len;
}

static ssize_t compressed_writeback_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	bool val;

	down_read(&zx->init_lock);
	val = zx->wb_compressed;
	up_read(&zx->init_lock);
	return sysfs_emit(buf, "%d\n", val);
}

/* A kstrtobool() word, while not initialized, as stock zram takes it. */
static ssize_t compressed_writeback_store(struct device *dev,
					  struct device_attribute *attr,
					  const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	int ret = 0;
	bool val;

	if (kstrtobool(buf, &val))
		return -EINVAL;
	down_write(&zx->init_lock);
	if (zramx_init_done(zx))
		ret = -EBUSY;
	else
		zx->wb_compressed = val;
	up_write(&zx->init_lock);
	return ret ? ret : len;
}

/* bd_count bd_reads bd_writes, in 4 KiB units */
static ssize_t bd_stat_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	u64 units = PAGE_SIZE / SZ_4K;

	return sysfs_emit(buf, "%8llu %8llu %8llu\n",
			  units * atomic64_read(&zx->stats.bd_count),
			  units * atomic64_read(&zx->stats.bd_reads),
			  units * atomic64_read(&zx->stats.bd_writes));
}

static DEVICE_ATTR_RW(disksize);
static DEVICE_ATTR_RO(initstate);
static DEVICE_ATTR_WO(reset);
static DEVICE_ATTR_RW(comp_algorithm);
static DEVICE_ATTR_RW(recomp_algorithm);
static DEVICE_ATTR_WO(algorithm_params);
static DEVICE_ATTR_WO(idle);
static DEVICE_ATTR_WO(recompress);
static DEVICE_ATTR_RW(backing_dev);
static DEVICE_ATTR_WO(writeback);
static DEVICE_ATTR_RW(writeback_limit);
static DEVICE_ATTR_RW(writeback_limit_enable);
static DEVICE_ATTR_RW(writeback_batch_size);
static DEVICE_ATTR_RW(compressed_writeback);
static DEVICE_ATTR_RO(bd_stat);
static DEVICE_ATTR_RW(max_comp_streams);
static DEVICE_ATTR_WO(mem_limit);
static DEVICE_ATTR_WO(mem_used_max);
static DEVICE_ATTR_WO(compact);
static DEVICE_ATTR_RO(io_stat);
static DEVICE_ATTR_RO(mm_stat);
static DEVICE_ATTR_RO(debug_stat);

static struct attribute *zramx_disk_attrs[] = {
	&dev_attr_disksize.attr,
	&dev_attr_initstate.attr,
	&dev_attr_reset.attr,
	&dev_attr_comp_algorithm.attr,
	&dev_attr_recomp_algorithm.attr,
	&dev_attr_algorithm_params.attr,
	&dev_attr_idle.attr,
	&dev_attr_recompress.attr,
	&dev_attr_backing_dev.attr,
	&dev_attr_writeback.attr,
	&dev_attr_writeback_limit.attr,
	&dev_attr_writeback_limit_enable.attr,
	&dev_attr_writeback_batch_size.attr,
	&dev_attr_compressed_writeback.attr,
	&dev_attr_bd_stat.attr,
	&dev_attr_max_comp_streams.attr,
	&dev_attr_mem_limit.attr,
	&dev_attr_mem_used_max.attr,
	&dev_attr_compact.attr,
	&dev_attr_io_stat.attr,
	&dev_attr_mm_stat.attr,
	&dev_attr_debug_stat.attr,
	NULL,
};

static const struct attribute_group zramx_disk_group = {
	.attrs = zramx_disk_attrs,
};

const struct attribute_group *zramx_disk_groups[] = {
	&zramx_disk_group,
	NULL,
};
