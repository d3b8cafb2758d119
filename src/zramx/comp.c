// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx per-CPU compression streams.
 *
 * Each initialized device has one stream per online CPU: a backend
 * context plus a two-page buffer.  Streams come and go with CPUs through
 * an instance of a dynamic CPU hotplug state in the prepare section
 * (CPUHP_BP_PREPARE_DYN, "block/zramx:prepare"), so the stock zram's fixed
 * CPUHP_ZCOMP_PREPARE slot is never touched.  A stream is used under its
 * local lock, which pins the task to the CPU.
 */

#include <linux/cpu.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "zramx.h"

static enum cpuhp_state zramx_cpuhp_state;

static void zramx_strm_free(struct zramx_comp *comp, struct zramx_strm *strm)
{
	if (strm->ctx)
		comp->backend->destroy(strm->ctx);
	strm->ctx = NULL;
	vfree(strm->buffer);
	strm->buffer = NULL;
}

static int zramx_cpu_up_prepare(unsigned int cpu, struct hlist_node *node)
{
	struct zramx_comp *comp = hlist_entry(node, struct zramx_comp, node);
	struct zramx_strm *strm = per_cpu_ptr(comp->stream, cpu);

	local_lock_init(&strm->lock);
	strm->ctx = comp->backend->create(&comp->params);
	strm->buffer = vzalloc(2 * PAGE_SIZE);
	if (!strm->ctx || !strm->buffer) {
		zramx_strm_free(comp, strm);
		pr_err("zramx: cannot allocate a %s stream for CPU %u\n",
		       comp->backend->name, cpu);
		return -ENOMEM;
	}
	return 0;
}

static int zramx_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct zramx_comp *comp = hlist_entry(node, struct zramx_comp, node);

	zramx_strm_free(comp, per_cpu_ptr(comp->stream, cpu));
	return 0;
}

/**
 * zramx_params_reset() - forget a compressor's parameters
 * @params: the device's parameters of one priority
 */
void zramx_params_reset(struct zramx_params *params)
{
	vfree(params->dict);
	params->dict = NULL;
	params->dict_sz = 0;
	params->level = ZRAMX_PARAM_NOT_SET;
	params->priv = NULL;
}

static void zramx_comp_free(struct zramx_comp *comp)
{
	if (comp->backend->release)
		comp->backend->release(&comp->params);
	free_percpu(comp->stream);
	kfree(comp);
}

/**
 * zramx_comp_create() - set up a compressor with a stream on every CPU
 * @backend: the compressor
 * @params: its parameters; the dictionary, if any, must outlive the
 *          compressor
 *
 * Context: process context, may sleep.
 * Return: the new zramx_comp, or an ERR_PTR(): -EOPNOTSUPP or -EINVAL
 * for parameters the backend refuses, -ENOMEM.
 */
struct zramx_comp *zramx_comp_create(const struct zramx_backend *backend,
				     const struct zramx_params *params)
{
	struct zramx_comp *comp;
	int ret;

	comp = kzalloc(sizeof(*comp), GFP_KERNEL);
	if (!comp)
		return ERR_PTR(-ENOMEM);

	comp->backend = backend;
	comp->params = *params;
	comp->params.priv = NULL;
	ret = backend->setup(&comp->params);
	if (ret) {
		kfree(comp);
		return ERR_PTR(ret);
	}

	comp->stream = alloc_percpu(struct zramx_strm);
	if (!comp->stream) {
		zramx_comp_free(comp);
		return ERR_PTR(-ENOMEM);
	}

	/* Runs zramx_cpu_up_prepare() for every online CPU. */
	ret = cpuhp_state_add_instance(zramx_cpuhp_state, &comp->node);
	if (ret < 0) {
		zramx_comp_free(comp);
		return ERR_PTR(ret);
	}
	return comp;
}

/**
 * zramx_comp_destroy() - free a compressor and all its streams
 * @comp: from zramx_comp_create(); NULL is ignored
 */
void zramx_comp_destroy(struct zramx_comp *comp)
{
	if (!comp)
		return;
	cpuhp_state_remove_instance(zramx_cpuhp_state, &comp->node);
	zramx_comp_free(comp);
}

/**
 * zramx_stream_get() - take this CPU's stream
 * @comp: the compressor
 *
 * Context: disables migration (and, without PREEMPT_RT, preemption) until
 * zramx_stream_put().
 * Return: the stream.
 */
struct zramx_strm *zramx_stream_get(struct zramx_comp *comp)
	__zramx_takes_stream
{
	local_lock(&comp->stream->lock);
	return this_cpu_ptr(comp->stream);
}

/**
 * zramx_stream_put() - release the stream taken by zramx_stream_get()
 * @comp: the compressor
 */
void zramx_stream_put(struct zramx_comp *comp)
	__zramx_drops_stream
{
	local_unlock(&comp->stream->lock);
}

/**
 * zramx_comp_module_init() - register the dynamic CPU hotplug state
 *
 * Return: 0 or a negative errno.
 */
int zramx_comp_module_init(void)
{
	int ret;

	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN,
				      "block/zramx:prepare",
				      zramx_cpu_up_prepare, zramx_cpu_dead);
	if (ret < 0)
		return ret;
	zramx_cpuhp_state = ret;
	return 0;
}

/**
 * zramx_comp_module_exit() - remove the CPU hotplug state
 *
 * Every zramx_comp must have been destroyed.
 */
void zramx_comp_module_exit(void)
{
	cpuhp_remove_multi_state(zramx_cpuhp_state);
}
