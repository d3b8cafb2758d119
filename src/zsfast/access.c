// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Object access: zsf_obj_read_begin/end and zsf_obj_write.
 *
 * An accessor finds its object under the class lock, then holds the
 * zspage's migrate_lock for read while it touches object memory, and
 * drops the class lock at once, so that long reads (decompression) do not
 * hold up allocation and free in the class.  Compaction and migration
 * take migrate_lock for write before they move memory.
 *
 * A handle whose class index is out of range is refused (see
 * zsf_refuse_handle()) without touching the memory it points at: a read
 * gets zeroes in the local copy, a write is dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/highmem.h>

#include "zsfast/zsfast_internal.h"

/*
 * Find a live handle's zspage and keep its pages in place.  *@obj comes
 * from zsf_check_handle() and is read again here.
 */
static struct zsf_zspage *zsf_pin_obj(struct zsf_pool *pool,
				      unsigned long handle,
				      unsigned long *obj)
	__acquires(&zspage->migrate_lock)
{
	struct zsf_class *class;
	struct zsf_zspage *zspage;

	class = zsf_lock_handle_class(pool, handle, *obj, NULL);
	*obj = zsf_handle_obj(handle);
	zspage = zsf_page_zspage(zsf_obj_page(*obj));
	read_lock(&zspage->migrate_lock);
	spin_unlock(&class->lock);
	return zspage;
}

/* Offset of an object's data from the start of its zspage. */
static unsigned long zsf_data_offset(struct zsf_class *class,
				     unsigned long obj)
{
	unsigned long off = zsf_obj_offset(class, zsf_obj_idx(obj));

	return class->huge ? off : off + ZSF_HANDLE_SIZE;
}

/**
 * zsf_obj_read_begin() - map an object for reading
 * @pool: the pool
 * @handle: a live handle
 * @local_copy: a PAGE_SIZE buffer, used when the object spans two pages
 *
 * Return: a pointer to the object's data; @local_copy, zeroed, if @handle
 * is refused.
 */
void *zsf_obj_read_begin(struct zsf_pool *pool, unsigned long handle,
			 void *local_copy)
	__acquires(&zspage->migrate_lock)
{
	struct zsf_zspage *zspage;
	struct zsf_class *class;
	unsigned long obj, off, len;
	struct page *page;

	if (unlikely(!zsf_check_handle(pool, handle, &obj))) {
		/* Nothing is held; zsf_obj_read_end() releases nothing. */
		__acquire(&zspage->migrate_lock);
		memset(local_copy, 0, PAGE_SIZE);
		return local_copy;
	}
	zspage = zsf_pin_obj(pool, handle, &obj);
	class = zspage->class;
	off = zsf_data_offset(class, obj);
	len = class->huge ? class->size : class->size - ZSF_HANDLE_SIZE;
	page = zspage->pages[off >> PAGE_SHIFT];
	off = offset_in_page(off);

	if (off + len <= PAGE_SIZE)
		return kmap_local_page(page) + off;

	/* The object spans two pages: hand out a copy. */
	memcpy_from_page(local_copy, page, off, PAGE_SIZE - off);
	page = zspage->pages[(zsf_data_offset(class, obj) >> PAGE_SHIFT) + 1];
	memcpy_from_page(local_copy + PAGE_SIZE - off, page, 0,
			 len - (PAGE_SIZE - off));
	return local_copy;
}
ZSF_EXPORT(zsf_obj_read_begin);

/**
 * zsf_obj_read_end() - finish a read started by zsf_obj_read_begin()
 * @pool: the pool
 * @handle: the handle
 * @mem: what zsf_obj_read_begin() returned
 */
void zsf_obj_read_end(struct zsf_pool *pool, unsigned long handle, void *mem)
	__releases(&zspage->migrate_lock)
{
	/* The read lock we hold keeps obj stable: no class lock needed. */
	unsigned long obj = zsf_handle_obj(handle);
	struct zsf_zspage *zspage;
	struct zsf_class *class;
	unsigned long off, len;

	/* Refused by zsf_obj_read_begin(), which took nothing. */
	if (unlikely(!zsf_obj_class_ok(obj))) {
		__release(&zspage->migrate_lock);
		return;
	}
	zspage = zsf_page_zspage(zsf_obj_page(obj));
	class = zspage->class;
	off = offset_in_page(zsf_data_offset(class, obj));
	len = class->huge ? class->size : class->size - ZSF_HANDLE_SIZE;
	if (off + len <= PAGE_SIZE)
		kunmap_local(mem);
	read_unlock(&zspage->migrate_lock);
}
ZSF_EXPORT(zsf_obj_read_end);

/**
 * zsf_obj_write() - copy data into an object
 * @pool: the pool
 * @handle: a live handle
 * @mem: the data
 * @len: its length, at most the size allocated
 */
void zsf_obj_write(struct zsf_pool *pool, unsigned long handle, void *mem,
		   size_t len)
{
	struct zsf_zspage *zspage;
	struct zsf_class *class;
	unsigned long obj, off;
	struct page *page;
	size_t room;

	if (unlikely(!zsf_check_handle(pool, handle, &obj)))
		return;
	zspage = zsf_pin_obj(pool, handle, &obj);
	class = zspage->class;
	room = class->huge ? class->size : class->size - ZSF_HANDLE_SIZE;
	if (unlikely(len > room)) {
		pr_err_ratelimited("%s: write of %zu bytes into a %zu-byte object truncated\n",
				   pool->name, len, room);
		len = room;
	}

	off = zsf_data_offset(class, obj);
	page = zspage->pages[off >> PAGE_SHIFT];
	off = offset_in_page(off);
	if (off + len <= PAGE_SIZE) {
		memcpy_to_page(page, off, mem, len);
	} else {
		size_t first = PAGE_SIZE - off;

		memcpy_to_page(page, off, mem, first);
		page = zspage->pages[(zsf_data_offset(class, obj) >>
				      PAGE_SHIFT) + 1];
		memcpy_to_page(page, 0, mem + first, len - first);
	}
	read_unlock(&zspage->migrate_lock);
}
ZSF_EXPORT(zsf_obj_write);
