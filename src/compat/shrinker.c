// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One shrinker interface over the two the kernels have.
 */
#include <linux/slab.h>
#include "compat/compat.h"

#ifdef HAVE_SHRINKER_ALLOC

struct shrinker *zsf_shrinker_create(const char *name, zsf_shrink_fn count,
				     zsf_shrink_fn scan, void *priv)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->batch = 0;
	s->seeks = DEFAULT_SEEKS;
	s->private_data = priv;
	shrinker_register(s);
	return s;
}

void zsf_shrinker_destroy(struct shrinker *shrinker)
{
	shrinker_free(shrinker);
}

void *zsf_shrinker_priv(struct shrinker *shrinker)
{
	return shrinker->private_data;
}

#else /* the shrinker is embedded in the user's structure */

struct zsf_shrinker {
	struct shrinker shrinker;
	void *priv;
};

struct shrinker *zsf_shrinker_create(const char *name, zsf_shrink_fn count,
				     zsf_shrink_fn scan, void *priv)
{
	struct zsf_shrinker *zs = kzalloc(sizeof(*zs), GFP_KERNEL);
	int err;

	if (!zs)
		return NULL;
	zs->shrinker.count_objects = count;
	zs->shrinker.scan_objects = scan;
	zs->shrinker.batch = 0;
	zs->shrinker.seeks = DEFAULT_SEEKS;
	zs->priv = priv;
#ifdef HAVE_REGISTER_SHRINKER_NAME
	err = register_shrinker(&zs->shrinker, "%s", name);
#else
	err = register_shrinker(&zs->shrinker);
#endif
	if (err) {
		kfree(zs);
		return NULL;
	}
	return &zs->shrinker;
}

void zsf_shrinker_destroy(struct shrinker *shrinker)
{
	unregister_shrinker(shrinker);
	kfree(container_of(shrinker, struct zsf_shrinker, shrinker));
}

void *zsf_shrinker_priv(struct shrinker *shrinker)
{
	return container_of(shrinker, struct zsf_shrinker, shrinker)->priv;
}

#endif
