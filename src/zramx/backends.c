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
 *
 * Parameters (algorithm_params) as stock zram's backends take them: a
 * level for lz4 (its acceleration), lz4hc and zstd, none for lzo and
 * lzo-rle; a dictionary for lz4, and for lz4hc and zstd where the
 * kernel exports what they need (HAVE_LZ4HC_RESET_STREAM,
 * HAVE_ZSTD_DICT: from 6.12 on Debian).  A parameter a backend
 * does not take fails the device's initialization with -EOPNOTSUPP, a
 * value out of range with -EINVAL.
 */

#include <linux/lz4.h>
#include <linux/lzo.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>
#include <linux/zstd.h>

#include "zramx.h"

/* zstd's own default level; 6.1 does not export zstd_default_clevel(). */
#define ZRAMX_ZSTD_LEVEL	3

/* Say what a backend does not support, as stock zram does. */
static int zramx_no_dict(const char *name, const struct zramx_params *p)
{
	if (!p->dict_sz)
		return 0;
	pr_err("zramx: %s: dictionary is not supported\n", name);
	return -EOPNOTSUPP;
}

static int zramx_bad_level(const char *name, s32 level)
{
	pr_err("zramx: %s: invalid compression level %d\n", name, level);
	return -EINVAL;
}

/* lzo and lzo-rle: no parameters. */
static int zramx_lzo_setup(struct zramx_params *p)
{
	if (p->level != ZRAMX_PARAM_NOT_SET) {
		pr_err("zramx: lzo: compression level is not supported\n");
		return -EOPNOTSUPP;
	}
	return zramx_no_dict("lzo", p);
}

/* lzo and lzo-rle: a work area; both decompress with lzo1x. */
static void *zramx_lzo_create(const struct zramx_params *p)
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

/*
 * lz4: the level is the acceleration (1, the default, compresses best);
 * lz4hc: the level is lz4hc's, 1 .. LZ4HC_MAX_CLEVEL.  The work area is
 * lz4's stream, so that with a dictionary (at most 64 KiB: lz4 keeps no
 * more) it serves the _continue() calls: lz4 copies in a stream that
 * setup loaded the dictionary into (params->priv), lz4hc loads it at
 * every compression, as stock zram does.  Decompression with a
 * dictionary restarts a decode stream on it.
 */
struct zramx_lz4_ctx {
	const struct zramx_params *params;
	LZ4_streamDecode_t dstrm;
	u8 mem[] __aligned(sizeof(u64));
};

static int zramx_lz4_dict_check(const char *name, struct zramx_params *p)
{
	if (p->dict_sz <= SZ_64K)
		return 0;
	pr_err("zramx: %s: dictionary larger than 64 KiB\n", name);
	return -EINVAL;
}

static void zramx_lz4_release(struct zramx_params *p)
{
	kfree(p->priv);
	p->priv = NULL;
}

static int zramx_lz4_setup(struct zramx_params *p)
{
	LZ4_stream_t *dict;

	if (p->level == ZRAMX_PARAM_NOT_SET)
		p->level = LZ4_ACCELERATION_DEFAULT;
	else if (p->level < LZ4_ACCELERATION_DEFAULT)
		return zramx_bad_level("lz4", p->level);
	if (!p->dict_sz)
		return 0;
	if (zramx_lz4_dict_check("lz4", p))
		return -EINVAL;
	dict = kzalloc(sizeof(*dict), GFP_KERNEL);
	if (!dict)
		return -ENOMEM;
	if (LZ4_loadDict(dict, p->dict, p->dict_sz) != p->dict_sz) {
		kfree(dict);
		return -EINVAL;
	}
	p->priv = dict;
	return 0;
}

#ifdef HAVE_LZ4HC_RESET_STREAM
#define ZRAMX_LZ4HC_DICT	true

/* Compress with the dictionary: loaded into the stream every time. */
static int zramx_lz4hc_compress_dict(LZ4_streamHC_t *strm,
				     const struct zramx_params *p,
				     const void *src, void *dst)
{
	LZ4_resetStreamHC(strm, p->level);
	if (LZ4_loadDictHC(strm, p->dict, p->dict_sz) != p->dict_sz)
		return 0;
	return LZ4_compress_HC_continue(strm, src, dst, PAGE_SIZE,
					2 * PAGE_SIZE);
}
#else
#define ZRAMX_LZ4HC_DICT	false

/* Never called: setup refuses a dictionary (before v6.12). */
static int zramx_lz4hc_compress_dict(LZ4_streamHC_t *strm,
				     const struct zramx_params *p,
				     const void *src, void *dst)
{
	return 0;
}
#endif

static int zramx_lz4hc_setup(struct zramx_params *p)
{
	if (p->level == ZRAMX_PARAM_NOT_SET)
		p->level = LZ4HC_DEFAULT_CLEVEL;
	else if (p->level < 1 || p->level > LZ4HC_MAX_CLEVEL)
		return zramx_bad_level("lz4hc", p->level);
	if (!ZRAMX_LZ4HC_DICT)
		return zramx_no_dict("lz4hc", p);
	return zramx_lz4_dict_check("lz4hc", p);
}


static void *zramx_lz4_ctx_create(const struct zramx_params *p, size_t mem)
{
	struct zramx_lz4_ctx *z = kvzalloc(struct_size(z, mem, mem),
					   GFP_KERNEL);

	if (z)
		z->params = p;
	return z;
}

static void *zramx_lz4_create(const struct zramx_params *p)
{
	BUILD_BUG_ON(sizeof(LZ4_stream_t) > LZ4_MEM_COMPRESS);
	return zramx_lz4_ctx_create(p, LZ4_MEM_COMPRESS);
}

static void *zramx_lz4hc_create(const struct zramx_params *p)
{
	BUILD_BUG_ON(sizeof(LZ4_streamHC_t) > LZ4HC_MEM_COMPRESS);
	return zramx_lz4_ctx_create(p, LZ4HC_MEM_COMPRESS);
}

static int zramx_lz4_compress(void *ctx, const void *src, void *dst,
			      unsigned int *dst_len)
{
	struct zramx_lz4_ctx *z = ctx;
	const struct zramx_params *p = z->params;
	LZ4_stream_t *strm = (LZ4_stream_t *)z->mem;
	int ret;

	if (!p->dict_sz) {
		ret = LZ4_compress_fast(src, dst, PAGE_SIZE, 2 * PAGE_SIZE,
					p->level, z->mem);
	} else {
		memcpy(strm, p->priv, sizeof(*strm));
		ret = LZ4_compress_fast_continue(strm, src, dst, PAGE_SIZE,
						 2 * PAGE_SIZE, p->level);
	}
	if (ret <= 0)
		return -EINVAL;
	*dst_len = ret;
	return 0;
}

static int zramx_lz4hc_compress(void *ctx, const void *src, void *dst,
				unsigned int *dst_len)
{
	struct zramx_lz4_ctx *z = ctx;
	const struct zramx_params *p = z->params;
	LZ4_streamHC_t *strm = (LZ4_streamHC_t *)z->mem;
	int ret;

	if (!p->dict_sz) {
		ret = LZ4_compress_HC(src, dst, PAGE_SIZE, 2 * PAGE_SIZE,
				      p->level, z->mem);
	} else {
		ret = zramx_lz4hc_compress_dict(strm, p, src, dst);
	}
	if (ret <= 0)
		return -EINVAL;
	*dst_len = ret;
	return 0;
}

static int zramx_lz4_decompress(void *ctx, const void *src,
				unsigned int src_len, void *dst)
{
	struct zramx_lz4_ctx *z = ctx;
	const struct zramx_params *p = z->params;
	int ret;

	if (!p->dict_sz) {
		ret = LZ4_decompress_safe(src, dst, src_len, PAGE_SIZE);
	} else {
		if (!LZ4_setStreamDecode(&z->dstrm, p->dict, p->dict_sz))
			return -EINVAL;
		ret = LZ4_decompress_safe_continue(&z->dstrm, src, dst,
						   src_len, PAGE_SIZE);
	}
	if (ret != PAGE_SIZE)
		return -EINVAL;
	return 0;
}

/*
 * zstd: a compression and a decompression context, each in a workspace
 * of its own sized for the level, so that neither ever allocates: they
 * run with preemption disabled.  With a dictionary, the digested
 * dictionaries are shared by every stream (struct zramx_zstd_dict, built
 * by setup in process context), and the workspace is sized for the
 * parameters the dictionary's compression uses.
 */
struct zramx_zstd_ctx {
	zstd_parameters params;
	const struct zramx_zstd_dict *dict;
	zstd_cctx *cctx;
	zstd_dctx *dctx;
	void *cmem;
	void *dmem;
};

#ifdef HAVE_ZSTD_DICT
struct zramx_zstd_dict {
	zstd_cdict *cdict;
	zstd_ddict *ddict;
};

static void *zramx_zstd_alloc(void *opaque, size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static void zramx_zstd_free(void *opaque, void *address)
{
	kvfree(address);
}

static const zstd_custom_mem zramx_zstd_mem = {
	.customAlloc	= zramx_zstd_alloc,
	.customFree	= zramx_zstd_free,
};

static void zramx_zstd_release(struct zramx_params *p)
{
	struct zramx_zstd_dict *d = p->priv;

	p->priv = NULL;
	if (!d)
		return;
	zstd_free_cdict(d->cdict);
	zstd_free_ddict(d->ddict);
	kfree(d);
}

static int zramx_zstd_dict_setup(struct zramx_params *p)
{
	struct zramx_zstd_dict *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	p->priv = d;
	d->cdict = zstd_create_cdict_byreference(p->dict, p->dict_sz,
			zstd_get_cparams(p->level, PAGE_SIZE, p->dict_sz),
			zramx_zstd_mem);
	d->ddict = zstd_create_ddict_byreference(p->dict, p->dict_sz,
						 zramx_zstd_mem);
	if (!d->cdict || !d->ddict) {
		zramx_zstd_release(p);
		return -EINVAL;
	}
	return 0;
}

static size_t zramx_zstd_cbound(const struct zramx_params *p,
				const zstd_parameters *params)
{
	zstd_compression_parameters cp;

	if (!p->dict_sz)
		return zstd_cctx_workspace_bound(&params->cParams);
	cp = zstd_get_cparams(p->level, PAGE_SIZE, p->dict_sz);
	return zstd_cctx_workspace_bound(&cp);
}

static size_t zramx_zstd_compress_dict(struct zramx_zstd_ctx *z, void *dst,
				       const void *src)
{
	return zstd_compress_using_cdict(z->cctx, dst, 2 * PAGE_SIZE, src,
					 PAGE_SIZE, z->dict->cdict);
}

static size_t zramx_zstd_decompress_dict(struct zramx_zstd_ctx *z,
					 void *dst, const void *src,
					 unsigned int src_len)
{
	return zstd_decompress_using_ddict(z->dctx, dst, PAGE_SIZE, src,
					   src_len, z->dict->ddict);
}
#else
/* No zstd dictionary API (before v6.10): setup refuses a dictionary. */
#define zramx_zstd_release	NULL

static int zramx_zstd_dict_setup(struct zramx_params *p)
{
	return zramx_no_dict("zstd", p);
}

static size_t zramx_zstd_cbound(const struct zramx_params *p,
				const zstd_parameters *params)
{
	return zstd_cctx_workspace_bound(&params->cParams);
}

/* Never called: without a dictionary, z->dict is NULL. */
static size_t zramx_zstd_compress_dict(struct zramx_zstd_ctx *z, void *dst,
				       const void *src)
{
	return -1;
}

static size_t zramx_zstd_decompress_dict(struct zramx_zstd_ctx *z,
					 void *dst, const void *src,
					 unsigned int src_len)
{
	return -1;
}
#endif

static int zramx_zstd_setup(struct zramx_params *p)
{
	if (p->level == ZRAMX_PARAM_NOT_SET)
		p->level = ZRAMX_ZSTD_LEVEL;
	else if (p->level < zstd_min_clevel() || p->level > zstd_max_clevel())
		return zramx_bad_level("zstd", p->level);
	return p->dict_sz ? zramx_zstd_dict_setup(p) : 0;
}

static void zramx_zstd_destroy(void *ctx)
{
	struct zramx_zstd_ctx *z = ctx;

	if (!z)
		return;
	kvfree(z->cmem);
	kvfree(z->dmem);
	kfree(z);
}

static void *zramx_zstd_create(const struct zramx_params *p)
{
	struct zramx_zstd_ctx *z;
	size_t sz;

	z = kzalloc(sizeof(*z), GFP_KERNEL);
	if (!z)
		return NULL;

	z->dict = p->priv;
	z->params = zstd_get_params(p->level, PAGE_SIZE);
	sz = zramx_zstd_cbound(p, &z->params);
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

	if (z->dict)
		ret = zramx_zstd_compress_dict(z, dst, src);
	else
		ret = zstd_compress_cctx(z->cctx, dst, 2 * PAGE_SIZE, src,
					 PAGE_SIZE, &z->params);
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

	if (z->dict)
		ret = zramx_zstd_decompress_dict(z, dst, src, src_len);
	else
		ret = zstd_decompress_dctx(z->dctx, dst, PAGE_SIZE, src,
					   src_len);
	if (zstd_is_error(ret) || ret != PAGE_SIZE)
		return -EINVAL;
	return 0;
}

static const struct zramx_backend zramx_backend_lzorle = {
	.name		= "lzo-rle",
	.setup		= zramx_lzo_setup,
	.create		= zramx_lzo_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lzorle_compress,
	.decompress	= zramx_lzo_decompress,
};

static const struct zramx_backend zramx_backend_lzo = {
	.name		= "lzo",
	.setup		= zramx_lzo_setup,
	.create		= zramx_lzo_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lzo_compress,
	.decompress	= zramx_lzo_decompress,
};

static const struct zramx_backend zramx_backend_lz4 = {
	.name		= "lz4",
	.setup		= zramx_lz4_setup,
	.release	= zramx_lz4_release,
	.create		= zramx_lz4_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lz4_compress,
	.decompress	= zramx_lz4_decompress,
};

static const struct zramx_backend zramx_backend_lz4hc = {
	.name		= "lz4hc",
	.setup		= zramx_lz4hc_setup,
	.create		= zramx_lz4hc_create,
	.destroy	= zramx_kv_destroy,
	.compress	= zramx_lz4hc_compress,
	.decompress	= zramx_lz4_decompress,
};

static const struct zramx_backend zramx_backend_zstd = {
	.name		= "zstd",
	.setup		= zramx_zstd_setup,
	.release	= zramx_zstd_release,
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
 * @cur: the current compressor, or NULL
 * @buf: a sysfs buffer
 * @at: where in @buf to start
 *
 * Return: the length written.
 */
ssize_t zramx_backends_show(const struct zramx_backend *cur, char *buf,
			    ssize_t at)
{
	ssize_t sz = 0;
	int i;

	for (i = 0; zramx_backends[i]; i++) {
		const char *fmt = zramx_backends[i] == cur ? "[%s] " : "%s ";

		sz += sysfs_emit_at(buf, at + sz, fmt,
				    zramx_backends[i]->name);
	}
	sz += sysfs_emit_at(buf, at + sz, "\n");
	return sz;
}
