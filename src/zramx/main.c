// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx: a zram-compatible compressed swap block device on zsfast.
 *
 * Module setup, device lifecycle (add, initialize, reset, remove) and the
 * zramx-control class with hot_add and hot_remove.  Everything a stock
 * zram could clash with has its own name: the block major is dynamic
 * ("zramx"), the class is "zramx-control", the CPU hotplug state is a
 * dynamic one named "block/zramx:prepare", and every global symbol starts
 * with zramx_.
 */

#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/part_stat.h>
#include <linux/slab.h>

#include "zramx.h"

static DEFINE_IDR(zramx_index_idr);
/* Protects zramx_index_idr and serializes hot_add / hot_remove. */
static DEFINE_MUTEX(zramx_index_mutex);

static int zramx_major;

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Number of pre-created zramx devices (default 1)");

/**
 * zramx_update_used_max() - raise the mem_used_max high-water mark
 * @zx: the device
 * @pages: the pool's current size in pages
 */
void zramx_update_used_max(struct zramx *zx, unsigned long pages)
{
	long cur = atomic_long_read(&zx->stats.max_used_pages);

	do {
		if (cur >= (long)pages)
			return;
	} while (!atomic_long_try_cmpxchg(&zx->stats.max_used_pages, &cur,
					  pages));
}

/* Destroy the compressors of every priority; the selections stay. */
static void zramx_comps_destroy(struct zramx *zx)
{
	u32 prio;

	for (prio = 0; prio < ZRAMX_MAX_COMPS; prio++) {
		zramx_comp_destroy(zx->comps[prio]);
		zx->comps[prio] = NULL;
	}
}

/* Create a compressor for each priority that has an algorithm. */
static int zramx_comps_create(struct zramx *zx)
{
	struct zramx_comp *comp;
	u32 prio;

	for (prio = 0; prio < ZRAMX_MAX_COMPS; prio++) {
		if (!zx->backends[prio])
			continue;
		comp = zramx_comp_create(zx->backends[prio], &zx->params[prio]);
		if (IS_ERR(comp)) {
			pr_err("zramx: %s: cannot initialise the %s compressor\n",
			       zx->disk->disk_name, zx->backends[prio]->name);
			zramx_comps_destroy(zx);
			return PTR_ERR(comp);
		}
		zx->comps[prio] = comp;
	}
	return 0;
}

/*
 * The default algorithm, no secondary one, no parameters: a new device's
 * and a reset one's, as in stock zram.
 */
static void zramx_algorithms_reset(struct zramx *zx)
{
	u32 prio;

	for (prio = 0; prio < ZRAMX_MAX_COMPS; prio++) {
		zx->backends[prio] = NULL;
		zramx_params_reset(&zx->params[prio]);
	}
	zx->backends[ZRAMX_PRIMARY_COMP] = zramx_backend_find(ZRAMX_DEFAULT_COMP);
}

/**
 * zramx_init_device() - allocate the slots, the pool and the streams
 * @zx: the device
 * @disksize: the size in bytes, already page aligned
 *
 * On failure the device is left as it was, with its algorithms and their
 * parameters.
 *
 * Context: process context; takes init_lock.
 * Return: 0, -EBUSY if already initialized, -ENOMEM, or the error of a
 * compressor that refuses its parameters (-EINVAL, -EOPNOTSUPP).
 */
int zramx_init_device(struct zramx *zx, u64 disksize)
{
	int ret;

	down_write(&zx->init_lock);
	if (zramx_init_done(zx)) {
		ret = -EBUSY;
		goto out;
	}

	ret = zramx_meta_alloc(zx, disksize);
	if (ret)
		goto out;

	ret = zramx_comps_create(zx);
	if (ret) {
		zramx_meta_free(zx);
		goto out;
	}

	zx->disksize = disksize;
	set_capacity_and_notify(zx->disk, disksize >> SECTOR_SHIFT);
out:
	up_write(&zx->init_lock);
	return ret;
}

/**
 * zramx_reset_device() - free everything the device stores
 * @zx: the device, with no I/O in flight
 *
 * Back to the uninitialized state, with the default algorithm, no
 * secondary one, no parameters, no memory limit and no backing device,
 * as stock zram does.
 */
void zramx_reset_device(struct zramx *zx)
{
	down_write(&zx->init_lock);

	/* Batches of released slots still hold objects of the pool. */
	zramx_gather_drain(zx);
	zx->limit_pages = 0;
	set_capacity_and_notify(zx->disk, 0);
	part_stat_set_all(zx->disk->part0, 0);

	zramx_meta_free(zx);
	zx->disksize = 0;
	zramx_bd_close(zx);
	zramx_comps_destroy(zx);
	zramx_algorithms_reset(zx);
	memset(&zx->stats, 0, sizeof(zx->stats));

	up_write(&zx->init_lock);
}

/**
 * zramx_reset_claimed() - reset a device unless it is open
 * @zx: the device
 *
 * Return: 0, or -EBUSY if the device is open (mounted, swapped on, held
 * by a process) or being reset or removed already.
 */
int zramx_reset_claimed(struct zramx *zx)
{
	struct gendisk *disk = zx->disk;

	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk) || zx->claim) {
		mutex_unlock(&disk->open_mutex);
		return -EBUSY;
	}
	/* From now on nobody can open the device. */
	zx->claim = true;
	mutex_unlock(&disk->open_mutex);

	/* Let any I/O still running finish. */
	sync_blockdev(disk->part0);
	zramx_reset_device(zx);

	mutex_lock(&disk->open_mutex);
	zx->claim = false;
	mutex_unlock(&disk->open_mutex);
	return 0;
}

/**
 * zramx_disk_open() - refuse opens while the device is reset or removed
 * @disk: the disk
 *
 * Context: called with the disk's open_mutex held.
 * Return: 0 or -EBUSY.
 */
int zramx_disk_open(struct gendisk *disk)
{
	struct zramx *zx = disk->private_data;

	lockdep_assert_held(&disk->open_mutex);
	return zx->claim ? -EBUSY : 0;
}

/* Create a device; returns its id or a negative errno. */
static int zramx_add(void)
{
	struct zramx *zx;
	int ret, id;

	zx = kzalloc(sizeof(*zx), GFP_KERNEL);
	if (!zx)
		return -ENOMEM;

	ret = idr_alloc(&zramx_index_idr, zx, 0, ZRAMX_MAX_DEVICES,
			GFP_KERNEL);
	if (ret < 0)
		goto out_free;
	id = ret;

	init_rwsem(&zx->init_lock);
	ret = zramx_gather_init(zx);
	if (ret)
		goto out_idr;
	zramx_algorithms_reset(zx);
	zx->wb_batch_size = 32;

	zx->disk = zramx_compat_alloc_disk();
	if (IS_ERR(zx->disk)) {
		ret = PTR_ERR(zx->disk);
		goto out_idr;
	}
	zx->disk->major = zramx_major;
	zx->disk->first_minor = id;
	zx->disk->minors = 1;
	zx->disk->flags |= GENHD_FL_NO_PART;
	zx->disk->fops = &zramx_devops;
	zx->disk->private_data = zx;
	snprintf(zx->disk->disk_name, sizeof(zx->disk->disk_name), "zramx%d",
		 id);

	/* The capacity is set by disksize. */
	set_capacity(zx->disk, 0);
	ret = device_add_disk(NULL, zx->disk, zramx_disk_groups);
	if (ret)
		goto out_put;

	pr_info("zramx: added device %s\n", zx->disk->disk_name);
	return id;

out_put:
	put_disk(zx->disk);
out_idr:
	zramx_gather_exit(zx);
	idr_remove(&zramx_index_idr, id);
out_free:
	kfree(zx);
	return ret;
}

/* Remove a device unless it is open; the caller holds the index mutex. */
static int zramx_remove(struct zramx *zx)
{
	bool claimed;

	mutex_lock(&zx->disk->open_mutex);
	if (disk_openers(zx->disk)) {
		mutex_unlock(&zx->disk->open_mutex);
		return -EBUSY;
	}
	claimed = zx->claim;
	zx->claim = true;
	mutex_unlock(&zx->disk->open_mutex);

	/*
	 * If a reset holds the claim, del_gendisk() waits for it through
	 * the sysfs attribute removal; otherwise reset here.
	 */
	if (!claimed) {
		sync_blockdev(zx->disk->part0);
		zramx_reset_device(zx);
	}

	pr_info("zramx: removed device %s\n", zx->disk->disk_name);
	del_gendisk(zx->disk);

	/* disksize may have been written before del_gendisk(): reset again. */
	zramx_reset_device(zx);

	put_disk(zx->disk);
	zramx_gather_exit(zx);
	kfree(zx);
	return 0;
}

/*
 * Like zram's hot_add: reading creates a device and returns its id.
 * Mode 0400, since reading has an effect.
 */
static ssize_t hot_add_show(ZRAMX_CLASS_CONST struct class *class,
			    ZRAMX_CLASS_CONST struct class_attribute *attr,
			    char *buf)
{
	int ret;

	mutex_lock(&zramx_index_mutex);
	ret = zramx_add();
	mutex_unlock(&zramx_index_mutex);

	if (ret < 0)
		return ret;
	return sysfs_emit(buf, "%d\n", ret);
}

static struct class_attribute class_attr_hot_add =
	__ATTR(hot_add, 0400, hot_add_show, NULL);

static ssize_t hot_remove_store(ZRAMX_CLASS_CONST struct class *class,
				ZRAMX_CLASS_CONST struct class_attribute *attr,
				const char *buf, size_t count)
{
	struct zramx *zx;
	int ret, id;

	ret = kstrtoint(buf, 10, &id);
	if (ret)
		return ret;
	if (id < 0)
		return -EINVAL;

	mutex_lock(&zramx_index_mutex);
	zx = idr_find(&zramx_index_idr, id);
	if (zx) {
		ret = zramx_remove(zx);
		if (!ret)
			idr_remove(&zramx_index_idr, id);
	} else {
		ret = -ENODEV;
	}
	mutex_unlock(&zramx_index_mutex);

	return ret ? ret : count;
}

static struct class_attribute class_attr_hot_remove =
	__ATTR(hot_remove, 0200, NULL, hot_remove_store);

static struct attribute *zramx_control_class_attrs[] = {
	&class_attr_hot_add.attr,
	&class_attr_hot_remove.attr,
	NULL,
};
ATTRIBUTE_GROUPS(zramx_control_class);

static struct class zramx_control_class = {
	.name		= "zramx-control",
	.class_groups	= zramx_control_class_groups,
};

static int zramx_remove_cb(int id, void *ptr, void *data)
{
	int ret = zramx_remove(ptr);

	/* The module is pinned while a device is open: this cannot fail. */
	if (ret)
		pr_err("zramx: cannot remove device %d: %d\n", id, ret);
	return 0;
}

static void zramx_destroy_devices(void)
{
	class_unregister(&zramx_control_class);
	mutex_lock(&zramx_index_mutex);
	idr_for_each(&zramx_index_idr, zramx_remove_cb, NULL);
	idr_destroy(&zramx_index_idr);
	mutex_unlock(&zramx_index_mutex);
	unregister_blkdev(zramx_major, "zramx");
	zramx_comp_module_exit();
	zramx_gather_module_exit();
}

static int __init zramx_init(void)
{
	unsigned int i;
	int ret;

	if (num_devices > ZRAMX_MAX_DEVICES) {
		pr_err("zramx: num_devices=%u is more than %u\n", num_devices,
		       ZRAMX_MAX_DEVICES);
		return -EINVAL;
	}

	ret = zramx_gather_module_init();
	if (ret)
		return ret;
	ret = zramx_comp_module_init();
	if (ret)
		goto out_gather;

	zramx_major = register_blkdev(0, "zramx");
	if (zramx_major <= 0) {
		pr_err("zramx: cannot get a major number\n");
		ret = -EBUSY;
		goto out_comp;
	}

	ret = class_register(&zramx_control_class);
	if (ret) {
		pr_err("zramx: cannot register the zramx-control class\n");
		unregister_blkdev(zramx_major, "zramx");
		goto out_comp;
	}

	for (i = 0; i < num_devices; i++) {
		mutex_lock(&zramx_index_mutex);
		ret = zramx_add();
		mutex_unlock(&zramx_index_mutex);
		if (ret < 0) {
			zramx_destroy_devices();
			return ret;
		}
	}
	return 0;

out_comp:
	zramx_comp_module_exit();
out_gather:
	zramx_gather_module_exit();
	return ret;
}

static void __exit zramx_exit(void)
{
	zramx_destroy_devices();
}

module_init(zramx_init);
module_exit(zramx_exit);

ZSF_IMPORT_NS();
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("zram-compatible compressed swap device on zsfast");
