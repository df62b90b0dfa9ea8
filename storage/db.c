/*
 * db.c -- LevelDB open/close, and errptr -> evl_err at the boundary.
 */
#include "db.h"

#include <evlog/evlog.h>
#include <stdio.h>
#include <string.h>

int
evls_db_err(char *err, const char *what)
{
	if (err == NULL)
		return 0;
	int rv = strncmp(err, "Corruption", 10) == 0 ? EVL_ECORRUPT : EVL_EIO;
	fprintf(stderr, "evlog storage: %s: %s\n", what, err);
	leveldb_free(err);
	return rv;
}

int
evls_db_open(evls_db *d, const char *path, const evls_db_config *c)
{
	char *err = NULL;
	memset(d, 0, sizeof(*d));
	d->opt     = leveldb_options_create();
	d->cache   = leveldb_cache_create_lru(c->cache_bytes);
	d->ro      = leveldb_readoptions_create();
	d->wo      = leveldb_writeoptions_create();
	d->wo_sync = leveldb_writeoptions_create();
	leveldb_options_set_create_if_missing(d->opt, 1);
	leveldb_options_set_write_buffer_size(d->opt, c->write_buffer_bytes);
	leveldb_options_set_max_file_size(d->opt, c->max_file_bytes);
	leveldb_options_set_block_size(d->opt, c->block_bytes);
	leveldb_options_set_cache(d->opt, d->cache);
	leveldb_options_set_compression(d->opt,
	    c->compress ? leveldb_snappy_compression : leveldb_no_compression);
	leveldb_writeoptions_set_sync(d->wo_sync, 1);
	d->db = leveldb_open(d->opt, path, &err);
	if (d->db == NULL) {
		int rv = evls_db_err(err, path);
		evls_db_close(d);
		return rv ? rv : EVL_EIO;
	}
	return 0;
}

void
evls_db_close(evls_db *d)
{
	if (d->db)
		leveldb_close(d->db);
	if (d->opt)
		leveldb_options_destroy(d->opt);
	if (d->cache)
		leveldb_cache_destroy(d->cache);
	if (d->ro)
		leveldb_readoptions_destroy(d->ro);
	if (d->wo)
		leveldb_writeoptions_destroy(d->wo);
	if (d->wo_sync)
		leveldb_writeoptions_destroy(d->wo_sync);
	memset(d, 0, sizeof(*d));
}

int
evls_db_write(evls_db *d, leveldb_writebatch_t *b, bool sync, const char *what)
{
	char *err = NULL;
	leveldb_write(d->db, sync ? d->wo_sync : d->wo, b, &err);
	return evls_db_err(err, what);
}

int
evls_db_get(evls_db *d, const void *key, size_t klen, char **val, size_t *vlen)
{
	char  *err = NULL;
	size_t n   = 0;
	char  *v   = leveldb_get(d->db, d->ro, key, klen, &n, &err);
	if (err != NULL)
		return evls_db_err(err, "get");
	if (v == NULL)
		return EVL_ENOTFOUND;
	*val  = v;
	*vlen = n;
	return 0;
}

leveldb_iterator_t *
evls_db_iter(evls_db *d)
{
	return leveldb_create_iterator(d->db, d->ro);
}

int
evls_db_iter_err(const leveldb_iterator_t *it, const char *what)
{
	char *err = NULL;
	leveldb_iter_get_error(it, &err);
	return evls_db_err(err, what);
}

bool
evls_db_iter_has_prefix(const leveldb_iterator_t *it, const void *pfx, size_t n)
{
	size_t      klen;
	const char *k;
	if (!leveldb_iter_valid(it))
		return false;
	k = leveldb_iter_key(it, &klen);
	return klen >= n && memcmp(k, pfx, n) == 0;
}
