/*
 * storage_testutil.h -- helpers shared by the storage tests: a fresh
 * temporary directory per test, batches built with the real codec, a
 * settable clock, and a sink that collects what a read hands out.
 * Criterion forks a worker per test, so every store is opened inside the
 * test that uses it.
 */
#ifndef STORAGE_TESTUTIL_H
#define STORAGE_TESTUTIL_H

#include <dirent.h>
#include <leveldb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "batch.h"
#include "evl_test.h"
#include "store.h"

/* rm -r path. */
static inline void
tu_rm_tree(const char *path)
{
	struct stat    st;
	DIR           *d;
	struct dirent *e;
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char sub[1024];
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			int n = snprintf(sub, sizeof(sub), "%s/%s", path,
			    e->d_name);
			if (n > 0 && (size_t) n < sizeof(sub))
				tu_rm_tree(sub);
		}
		closedir(d);
	}
	remove(path);
}

/* Creates a fresh directory under /tmp; free with tu_rmdir. */
static inline char *
tu_mkdtemp(void)
{
	char *d = strdup("/tmp/evls-test-XXXXXX");
	cr_assert_not_null(mkdtemp(d));
	return d;
}

/* Removes dir and everything under it, and frees the name. */
static inline void
tu_rmdir(char *dir)
{
	tu_rm_tree(dir);
	free(dir);
}

/* A clock the test sets: evls_options.clock_ms with clock_arg = &clock. */
static inline int64_t
tu_clock(void *arg)
{
	return atomic_load((_Atomic int64_t *) arg);
}

static inline evls_store *
tu_open(const char *dir, evls_fsync fsync)
{
	evls_options o;
	evls_store  *s;
	evls_options_init(&o);
	o.dir   = dir;
	o.fsync = fsync;
	evl_assert_ok(evls_store_open(&s, &o));
	return s;
}

static inline void
tu_create(evls_store *s, const char *name, uint32_t partitions)
{
	evls_topic_config c;
	evls_topic_config_init(&c);
	c.partitions = partitions;
	evl_assert_ok(evls_topic_create(s, name, &c));
}

/*
 * Builds a batch of count records whose values are value_len bytes, record
 * i holding (tag + i) in its first 8 bytes; returns it (free with
 * evlp_free) and its size in *len.
 */
static inline uint8_t *
tu_batch(uint32_t count, size_t value_len, uint64_t tag, size_t *len)
{
	size_t             cap = 64 + (size_t) count * (value_len + 24);
	uint8_t           *buf = evlp_alloc(cap);
	uint8_t           *val = evlp_zalloc(value_len < 8 ? 8 : value_len);
	evlp_batch_builder b;
	cr_assert_not_null(buf);
	evlp_batch_build_init(&b, buf, cap);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t v = tag + i;
		memcpy(val, &v, 8);
		evlp_record_in r = { .value = val,
			.value_len          = value_len < 8 ? 8 : value_len,
			.timestamp          = 1000 + i };
		evl_assert_ok(evlp_batch_build_add(&b, &r));
	}
	evl_assert_ok(evlp_batch_build_finish(&b, len));
	evlp_free(val);
	return buf;
}

/* Appends one batch of count records and waits; returns the result and,
 * on success, the base offset in *base (may be NULL). */
static inline int
tu_append(evls_store *s, const char *topic, uint32_t part, uint32_t count,
    uint64_t *base)
{
	size_t      len;
	evls_append a = { .topic = topic, .partition = part };
	a.batch       = tu_batch(count, 100, 0, &len);
	a.len         = len;
	int rv        = evls_append_wait(s, &a);
	if (rv == 0 && base != NULL)
		*base = a.base_offset;
	evlp_free(a.batch);
	return rv;
}

/* What a read handed out. */
typedef struct tu_got {
	size_t   batches;
	size_t   bytes;
	uint64_t first_base; /* base offset of the first batch */
	uint64_t end;        /* one past the last record of the last batch */
	int64_t  last_time;
	int      fail_after; /* sink fails (EVL_ELIMIT) after this many; 0 =
	                        never */
} tu_got;

static inline int
tu_sink(void *arg, const uint8_t *b, size_t len)
{
	tu_got        *g = arg;
	evlp_batch_hdr h;
	evl_assert_ok(evlp_batch_check(b, len, &h));
	if (g->batches == 0)
		g->first_base = h.base_offset;
	else
		cr_assert_eq(h.base_offset, g->end, "batches are contiguous");
	g->end       = h.base_offset + h.count;
	g->last_time = h.append_time;
	g->batches++;
	g->bytes += len;
	if (g->fail_after && (int) g->batches >= g->fail_after)
		return EVL_ELIMIT;
	return 0;
}

/* Opens a raw LevelDB handle on one of the store's databases ("log" or
 * "meta"); the store must be closed.  Close with leveldb_close. */
static inline leveldb_t *
tu_raw_open(const char *dir, const char *which, leveldb_options_t **opt)
{
	char  path[512];
	char *err = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, which);
	*opt = leveldb_options_create();
	leveldb_t *db = leveldb_open(*opt, path, &err);
	cr_assert_null(err, "raw open: %s", err);
	return db;
}

static inline void
tu_raw_close(leveldb_t *db, leveldb_options_t *opt)
{
	leveldb_close(db);
	leveldb_options_destroy(opt);
}

/* Counts the entries of a raw database. */
static inline size_t
tu_raw_count(leveldb_t *db)
{
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	leveldb_iterator_t    *it = leveldb_create_iterator(db, ro);
	size_t                 n  = 0;
	for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it);
	     leveldb_iter_next(it))
		n++;
	leveldb_iter_destroy(it);
	leveldb_readoptions_destroy(ro);
	return n;
}

#endif /* STORAGE_TESTUTIL_H */
