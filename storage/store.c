/*
 * store.c -- the store handle: options, open (directory, databases,
 * recovery, writer), close.
 *
 * The log database gets a large memtable, large table files and no
 * compression (README.md, "Measurements"): its values are producer
 * batches that rarely shrink, and its keys only ever grow, so LevelDB
 * mostly moves its tables between levels rather than rewriting them.  The
 * meta database holds small, compressible keys.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alloc.h"
#include "endian.h"
#include "store_int.h"

#define MIB (1024u * 1024u)

void
evls_options_init(evls_options *o)
{
	memset(o, 0, sizeof(*o));
	o->fsync             = EVLS_FSYNC_INTERVAL;
	o->fsync_interval_ms = 1000;
}

void
evls_store_test_hooks(evls_store *s, unsigned hooks)
{
	atomic_store(&s->hooks, hooks);
}

int64_t
evls_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mkdir -p: creates path and its missing parents. */
static int
store_mkdirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p     = '\0';
		int rv = mkdir(path, 0755);
		*p     = c;
		if (rv != 0 && errno != EEXIST) {
			fprintf(stderr, "evlog storage: mkdir %s: %s\n", path,
			    strerror(errno));
			return EVL_EIO;
		}
		if (c == '\0')
			return 0;
	}
}

/* Checks (or, in a new store, writes) the format version singleton. */
static int
store_check_version(evls_store *s)
{
	uint8_t k[2], v[4];
	char   *val;
	size_t  vlen;
	evls_key_singleton(k, EVLS_S_VERSION);
	int rv = evls_db_get(&s->meta, k, sizeof(k), &val, &vlen);
	if (rv == EVL_ENOTFOUND) {
		leveldb_writebatch_t *b = leveldb_writebatch_create();
		evlp_put_u32(v, EVLS_FORMAT_VERSION);
		leveldb_writebatch_put(b, (char *) k, 2, (char *) v, 4);
		rv = evls_db_write(&s->meta, b, true, "write format version");
		leveldb_writebatch_destroy(b);
		return rv;
	}
	if (rv != 0)
		return rv;
	uint32_t ver = vlen == 4 ? evlp_get_u32((uint8_t *) val) : 0;
	leveldb_free(val);
	if (ver != EVLS_FORMAT_VERSION) {
		fprintf(stderr, "evlog storage: %s: format %u, want %u\n",
		    s->dir, ver, EVLS_FORMAT_VERSION);
		return vlen == 4 ? EVL_EVERSION : EVL_ECORRUPT;
	}
	return 0;
}

static int
store_open_dbs(evls_store *s)
{
	size_t plen = strlen(s->dir) + sizeof("/meta");
	char  *path = evlp_alloc(plen);
	if (path == NULL)
		return EVL_ENOMEM;
	evls_db_config lc = {
		.cache_bytes = s->opt.cache_bytes ? s->opt.cache_bytes
		                                  : 64 * MIB,
		.write_buffer_bytes = s->opt.write_buffer_bytes
		    ? s->opt.write_buffer_bytes
		    : 64 * MIB,
		.max_file_bytes = 64 * MIB,
		.block_bytes    = 64 * 1024,
		.compress       = false,
	};
	evls_db_config mc = {
		.cache_bytes        = 8 * MIB,
		.write_buffer_bytes = 8 * MIB,
		.max_file_bytes     = 4 * MIB,
		.block_bytes        = 4096,
		.compress           = true,
	};
	snprintf(path, plen, "%s/meta", s->dir);
	int rv = evls_db_open(&s->meta, path, &mc);
	if (rv == 0) {
		snprintf(path, plen, "%s/log", s->dir);
		rv = evls_db_open(&s->log, path, &lc);
	}
	evlp_free(path);
	return rv;
}

/* Stops the writer if it runs and frees everything open() built. */
static void
store_free(evls_store *s)
{
	evls_writer_stop(s);
	for (size_t i = 0; i < s->ntopics; i++)
		evls_topic_free(s->topics[i]);
	evlp_free(s->topics);
	evls_db_close(&s->log);
	evls_db_close(&s->meta);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->commit_mu);
	pthread_mutex_destroy(&s->admin_mu);
	evlp_free(s->dir);
	evlp_free(s);
}

int
evls_store_open(evls_store **out, const evls_options *o)
{
	evls_store        *s;
	pthread_condattr_t ca;
	int                rv;

	if (o == NULL || o->dir == NULL || o->dir[0] == '\0' ||
	    o->fsync > EVLS_FSYNC_ALWAYS)
		return EVL_EINVAL;
	if (EVLP_ALLOC_STRUCT(s) == NULL)
		return EVL_ENOMEM;
	s->opt = *o;
	if ((s->dir = evlp_strdup(o->dir)) == NULL) {
		evlp_free(s);
		return EVL_ENOMEM;
	}
	s->opt.dir          = s->dir;
	s->meta_dirty_since = -1;
	pthread_mutex_init(&s->admin_mu, NULL);
	pthread_mutex_init(&s->commit_mu, NULL);
	pthread_mutex_init(&s->mu, NULL);
	/* Sync deadlines are monotonic: a clock step must not delay one. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);

	if ((rv = store_mkdirs(s->dir)) != 0 ||
	    (rv = store_open_dbs(s)) != 0 ||
	    (rv = store_check_version(s)) != 0 ||
	    (rv = evls_topic_load(s)) != 0 || (rv = evls_recover(s)) != 0 ||
	    (rv = evls_writer_start(s)) != 0) {
		store_free(s);
		return rv;
	}
	*out = s;
	return 0;
}

void
evls_store_close(evls_store *s)
{
	if (s != NULL)
		store_free(s);
}
