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
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/sysfs.h>

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
	ret = zramx_backends_show(zx->backend, buf);
	up_read(&zx->init_lock);
	return ret;
}

static ssize_t comp_algorithm_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t len)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	const struct zramx_backend *backend;
	int ret = 0;

	backend = zramx_backend_find(buf);
	if (!backend)
		return -EINVAL;

	down_write(&zx->init_lock);
	if (zramx_init_done(zx))
		ret = -EBUSY;
	else
		zx->backend = backend;
	up_write(&zx->init_lock);
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

/* version: 1, then writestall miss_free gathers gathered gather_taken */
static ssize_t debug_stat_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct zramx *zx = zramx_dev_to_zramx(dev);
	ssize_t ret;

	down_read(&zx->init_lock);
	ret = sysfs_emit(buf, "version: %d\n%8llu %8llu %8llu %8llu %8llu\n", 1,
			 (u64)atomic64_read(&zx->stats.writestall),
			 (u64)atomic64_read(&zx->stats.miss_free),
			 (u64)atomic64_read(&zx->stats.gathers),
			 (u64)atomic64_read(&zx->stats.gathered),
			 (u64)atomic64_read(&zx->stats.gather_taken));
	up_read(&zx->init_lock);
	return ret;
}

static DEVICE_ATTR_RW(disksize);
static DEVICE_ATTR_RO(initstate);
static DEVICE_ATTR_WO(reset);
static DEVICE_ATTR_RW(comp_algorithm);
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
