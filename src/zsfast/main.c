// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zsfast module lifetime: the caches every pool shares and the list of
 * pools.  Cache and debugfs names are zsfast's own, so that the module
 * loads next to the kernel's zsmalloc.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "zsfast/zsfast_internal.h"

struct kmem_cache *zsf_handle_cache;
struct kmem_cache *zsf_zspage_cache;
LIST_HEAD(zsf_pools);
DEFINE_MUTEX(zsf_pools_lock);

static int __init zsf_init(void)
{
	int err;

	/* Caches of their own, so that slabinfo and debug reports name them. */
	zsf_handle_cache = zsf_kmem_cache_create_unmerged("zsfast_handle",
							  ZSF_HANDLE_SIZE, 0);
	if (!zsf_handle_cache)
		return -ENOMEM;

	zsf_zspage_cache = zsf_kmem_cache_create_unmerged("zsfast_zspage",
						sizeof(struct zsf_zspage),
						ZSF_ZSPAGE_ALIGN);
	if (!zsf_zspage_cache) {
		err = -ENOMEM;
		goto out_handle;
	}

	err = zsf_slot_batches_init();
	if (err)
		goto out_zspage;

	err = zsf_debugfs_init();
	if (err)
		goto out_batches;

	pr_info("loaded: %s encoding, %u size classes, %s pages\n",
#ifdef ZSF_CLASS_IN_OBJ
		"class-in-handle",
#else
		"pool-lock",
#endif
		(unsigned int)ZSF_NR_CLASSES,
		ZSF_MOVABLE_PAGES ? "movable" : "unmovable");
	return 0;

out_batches:
	zsf_slot_batches_exit();
out_zspage:
	kmem_cache_destroy(zsf_zspage_cache);
out_handle:
	kmem_cache_destroy(zsf_handle_cache);
	return err;
}

static void __exit zsf_exit(void)
{
	/* Every pool holds a module reference, so none is left here. */
	zsf_debugfs_exit();
	zsf_slot_batches_exit();
	/* zspage structs freed after a grace period (alloc.c). */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		rcu_barrier();
	kmem_cache_destroy(zsf_zspage_cache);
	kmem_cache_destroy(zsf_handle_cache);
}

module_init(zsf_init);
module_exit(zsf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("zsfast: compressed-object allocator in the zsmalloc design");
MODULE_AUTHOR("zsfast developers");
