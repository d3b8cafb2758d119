// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zramx compressors: thin wrappers around the kernel's own library
 * compressors, which both target kernels export (lzo and lzo-rle and the
 * decompressors are built in; lz4, lz4hc and, on 6.1, zstd's compressor
 * are modules that zramx.ko depends on).  The library calls are used
 * rather than the crypto API because 6.12 has no zram lzo backend and the
 * crypto compression API differs between the two kernels.
 *
 * Every context is allocated in process context (CPU hotplug prepare
 * callbacks or device initialization); compress/decompress never
 * allocate.
 */

#include <linux/lz4.h>
#include <linux/lzo.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/zstd.h>

#include "zramx.h"

/* zstd's own default level; 6.1 does not export zstd_default_clevel(). */
#define ZRAMX_ZSTD_LEVEL	3

/* lzo and lzo-rle: a work area; both decompress with lzo1x. */
static void *zramx_lzo_create(void)
{
	return kvzalloc(LZO1X_MEM_COMPRESS, GFP_KERNEL);
}

static void zramx_kv_destroy(void *ctx)
{
	kvfree(ctx);
}

static int zramx_lzo_compress(void *ctx, const void *src, void *dst,
			      unsigned int *dst_len)
{
	size_t len = 2 * PAGE_SIZE;
	int ret;

	ret = lzo1x_1_compress(src, PAGE_SIZE, dst, &len, ctx);
	if (ret != LZO_E_OK)
		return -EINVAL;
	*dst_len = len;
	return 0;
}

static int zramx_lzorle_compress(void *ctx, const void *src, void *dst,
				 unsigned int *dst_len)
{
	size_t len = 2 * PAGE_SIZE;
	int ret;

	ret = lzorle1x_1_compress(src, PAGE_SIZE, dst, &len, ctx);
	if (ret != LZO_E_OK)
		return -EINVAL;
	*dst_len = len;
	return 0;
}

static int zramx_lzo_decompress(void *ctx, const void *src,
				unsigned int src_len, void *dst)
{
	size_t len = PAGE_SIZE;
	int ret;

	ret = lzo1x_decompress_safe(src, src_len, dst, &len);
	if (ret != LZO_E_OK || len != PAGE_SIZE)
		return -EINVAL;
	return 0;
}

/* lz4 and lz4hc: a work area; both decompress with LZ4_decompress_safe. */
static void *zramx_lz4_create(void)
{
	return kvzalloc(LZ4_MEM_COMPRESS, GFP_KERNEL);
}

static void *zramx_lz4hc_create(void)
{
	return kvzalloc(LZ4HC_MEM_COMPRESS, GFP_KERNEL);
}

static int zramx_lz4_compress(void *ctx, const void *src, void *dst,
			      unsigned int *dst_len)
{
	int ret;

	ret = LZ4_compress_default(src, dst, PAGE_SIZE, 2 * PAGE_SIZE, ctx);
	if (ret <= 0)
		return -EINVAL;
	*dst_len = ret;
	return 0;
}

static int zramx_lz4hc_compress(void *ctx, const void *src, void *dst,
				unsigned int *dst_len)
{
	int ret;

	ret = LZ4_compress_HC(src, dst, PAGE_SIZE, 2 * PAGE_SIZE,
			      LZ4HC_DEFAULT_CLEVEL, ctx);
	if (ret <= 0)
		return -EINVAL;
	*dst_len = ret;
	return 0;
}

static int zramx_lz4_decompress(void *ctx, const void *src,
				unsigned int src_len, void *dst)
{
	int ret;

	ret = LZ4_decompress_safe(src, dst, src_len, PAGE_SIZE);
	if (ret != PAGE_SIZE)
		return -EINVAL;
	return 0;
}

/* zstd: a compression and a decompression context in their workspaces. */
struct zramx_zstd_ctx {
	zstd_parameters params;
	zstd_cctx *cctx;
	zstd_dctx *dctx;
	void *cmem;
	void *dmem;
};

static void zramx_zstd_destroy(void *ctx)
{
	struct zramx_zstd_ctx *z = ctx;

	if (!z)
		return;
	kvfree(z->cmem);
	kvfree(z->dmem);
	kfree(z);
}

static void *zramx_zstd_create(void)
{
	struct zramx_zstd_ctx *z;
	size_t sz;

	z = kzalloc(sizeof(*z), GFP_KERNEL);
	if (!z)
		return NULL;

	z->params = zstd_get_params(ZRAMX_ZSTD_LEVEL, PAGE_SIZE);
	sz = zstd_cctx_workspace_bound(&z->params.cParams);
	z->cmem = kvzalloc(sz, GFP_KERNEL);
	if (!z->cmem)
		goto err;
	z->cctx = zstd_init_cctx(z->cmem, sz);
	if (!z->cctx)
		goto err;

	sz = zstd_dctx_workspace_bound();
	z->dmem = kvzalloc(sz, GFP_KERNEL);
	if (!z->dmem)
		goto err;
	z->dctx = zstd_init_dctx(z->dmem, sz);
	if (!z->dctx)
		goto err;
	return z;
err:
	zramx_zstd_destroy(z);
	return NULL;
}

static int zramx_zstd_compress(void *ctx, const void *src, void *dst,
			       unsigned int *dst_len)
{
	struct zramx_zstd_ctx *z = ctx;
	size_t ret;

	ret = zstd_compress_cctx(z->cctx, dst, 2 * PAGE_SIZE, src, PAGE_SIZE,
				 &z->params);
	if (zstd_is_error(ret))
		return -EINVAL;
	*dst_len = ret;
	return 0;
}

static int zramx_zstd_decompress(void *ctx, const void *src,
				 unsigned int src_len, void *dst)
{
	struct zramx_zstd_ctx *z = ctx;
	size_t ret;

	ret = zstd_decompress_dctx(z->dctx, dst, PAGE_SIZE, src, src_len);
	if (zstd_is_error(ret) || ret != PAGE_SIZE)
		return -EINVAL;
	return 0;
}

static const struct zramx_backend zramx_backend_lzorle = {
	.name		= "lzo-rle",
	.create		= zramx_lzo_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lzorle_compress,
	.decompress	= zramx_lzo_decompress,
};

static const struct zramx_backend zramx_backend_lzo = {
	.name		= "lzo",
	.create		= zramx_lzo_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lzo_compress,
	.decompress	= zramx_lzo_decompress,
};

static const struct zramx_backend zramx_backend_lz4 = {
	.name		= "lz4",
	.create		= zramx_lz4_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lz4_compress,
	.decompress	= zramx_lz4_decompress,
};

static const struct zramx_backend zramx_backend_lz4hc = {
	.name		= "lz4hc",
	.create		= zramx_lz4hc_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lz4hc_compress,
	.decompress	= zramx_lz4_decompress,
};

static const struct zramx_backend zramx_backend_zstd = {
	.name		= "zstd",
	.create		= zramx_zstd_create,
	.destroy	= zramx_zstd_destroy,
	.compress	= zramx_zstd_compress,
	.decompress	= zramx_zstd_decompress,
};

/* In the order comp_algorithm lists them, as stock zram does. */
const struct zramx_backend *const zramx_backends[] = {
	&zramx_backend_lzorle,
	&zramx_backend_lzo,
	&zramx_backend_lz4,
	&zramx_backend_lz4hc,
	&zramx_backend_zstd,
	NULL,
};

/**
 * zramx_backend_find() - look a compressor up by name
 * @name: the name; one trailing newline is ignored
 *
 * Return: the backend, or NULL if there is none of that name.
 */
const struct zramx_backend *zramx_backend_find(const char *name)
{
	int i;

	for (i = 0; zramx_backends[i]; i++)
		if (sysfs_streq(name, zramx_backends[i]->name))
			return zramx_backends[i];
	return NULL;
}

/**
 * zramx_backends_show() - list the compressors, the current one bracketed
 * @cur: the current compressor
 * @buf: a sysfs buffer
 *
 * Return: the length written.
 */
ssize_t zramx_backends_show(const struct zramx_backend *cur, char *buf)
{
	ssize_t sz = 0;
	int i;

	for (i = 0; zramx_backends[i]; i++) {
		const char *fmt = zramx_backends[i] == cur ? "[%s] " : "%s ";

		sz += scnprintf(buf + sz, PAGE_SIZE - sz - 2, fmt,
				zramx_backends[i]->name);
	}
	sz += scnprintf(buf + sz, PAGE_SIZE - sz, "\n");
	return sz;
}
