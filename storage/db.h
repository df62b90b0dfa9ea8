/*
 * db.h -- one LevelDB instance and the boundary between LevelDB's C API
 * and evlog's errors.
 *
 * LevelDB reports failures as a malloc'ed string through an errptr.  Every
 * such string is turned into an evl_err here (EVL_ECORRUPT for LevelDB's
 * "Corruption", EVL_EIO otherwise), printed once to stderr with what the
 * store was doing, and released with leveldb_free (STYLE.md 13).
 */
#ifndef EVLS_DB_H
#define EVLS_DB_H

#include <leveldb/c.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct evls_db_config {
	size_t cache_bytes;        /* block cache */
	size_t write_buffer_bytes; /* memtable */
	size_t max_file_bytes;     /* table file target size */
	size_t block_bytes;
	bool   compress; /* snappy; off for the log (batches rarely shrink) */
} evls_db_config;

typedef struct evls_db {
	leveldb_t              *db;
	leveldb_options_t      *opt;
	leveldb_cache_t        *cache;
	leveldb_readoptions_t  *ro;
	leveldb_writeoptions_t *wo;      /* no sync */
	leveldb_writeoptions_t *wo_sync; /* fsync the WAL before returning */
} evls_db;

/*
 * evls_db_open opens (creating if missing) the database at path into *d.
 * On failure *d is left closed.  Errors: EVL_EIO, EVL_ECORRUPT.
 */
int evls_db_open(evls_db *d, const char *path, const evls_db_config *c);

/* evls_db_close closes d and frees its options; a closed d is a no-op. */
void evls_db_close(evls_db *d);

/*
 * evls_db_err converts a LevelDB errptr: NULL gives 0; otherwise the text
 * is logged with `what`, freed with leveldb_free, and the evl_err
 * returned.  Takes ownership of err.
 */
int evls_db_err(char *err, const char *what);

/* Writes b (sync: the WAL is fsynced first).  Errors: EVL_EIO,
 * EVL_ECORRUPT. */
int evls_db_write(
    evls_db *d, leveldb_writebatch_t *b, bool sync, const char *what);

/*
 * evls_db_get looks up key.  On success *val holds the value, which the
 * caller frees with leveldb_free.  Errors: EVL_ENOTFOUND (no such key,
 * *val untouched), EVL_EIO, EVL_ECORRUPT.
 */
int evls_db_get(
    evls_db *d, const void *key, size_t klen, char **val, size_t *vlen);

/* An iterator over d's current state (an implicit snapshot).  Caller
 * destroys it with leveldb_iter_destroy. */
leveldb_iterator_t *evls_db_iter(evls_db *d);

/* The iterator's error, converted as by evls_db_err (0 if none). */
int evls_db_iter_err(const leveldb_iterator_t *it, const char *what);

/* True when the iterator sits on a key that starts with pfx. */
bool evls_db_iter_has_prefix(
    const leveldb_iterator_t *it, const void *pfx, size_t n);

#endif /* EVLS_DB_H */
