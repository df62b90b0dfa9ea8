/*
 * evl-storage-bench -- throughput of the log store, side by side with raw
 * LevelDB on the same machine and disk, so the store/raw ratio shows what
 * the store's layout and bookkeeping cost.
 *
 *   store appends  100-byte random records in batches of 1 and of 1,000,
 *                  fsync never and always, into 1 topic and into 16 topics
 *                  at once, from several appender threads each keeping a
 *                  window of appends in flight;
 *   store read     sequential evls_read of every record of the first run;
 *   raw LevelDB    WriteBatches of 1,000 100-byte values with one key per
 *                  record, and with one value per batch (what the store
 *                  writes), same options as the store's log database;
 *   layout         (the measurement behind storage/keys.h) 16 partitions
 *                  written interleaved into raw LevelDB, keyed (partition,
 *                  offset) in one database vs keyed by a global sequence.
 *
 * Usage: evl-storage-bench [--dir D] [--records N] [--small N]
 *        [--threads T] [--window W] [--repeat R] [--layout-mb M]
 *        [--no-layout]
 */
#include <leveldb/c.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "batch.h"
#include "endian.h"
#include "store.h"

#define VALUE_SIZE 100

static const char *bench_dir = "/tmp";
static long        threads   = 4;
static long        window    = 8;
static long        repeat    = 3;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rng();
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* A batch of count random 100-byte records; free with evlp_free. */
static uint8_t *
make_batch(uint32_t count, size_t *len)
{
	size_t             cap = 64 + (size_t) count * (VALUE_SIZE + 16);
	uint8_t           *buf = evlp_alloc(cap);
	uint8_t            val[VALUE_SIZE];
	evlp_batch_builder b;
	evlp_batch_build_init(&b, buf, cap);
	for (uint32_t i = 0; i < count; i++) {
		fill_random(val, sizeof(val));
		evlp_record_in r = { .value = val, .value_len = sizeof(val),
			.timestamp = 1700000000000 + i };
		if (evlp_batch_build_add(&b, &r) != 0)
			abort();
	}
	if (evlp_batch_build_finish(&b, len) != 0)
		abort();
	return buf;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

static void
report(const char *what, uint64_t records, double secs)
{
	printf("%-44s %10.0f rec/s %8.1f MB/s %7.2f s\n", what,
	    (double) records / secs,
	    (double) records * VALUE_SIZE / secs / 1e6, secs);
	fflush(stdout);
}

static char *
fresh_dir(const char *tag)
{
	char *d = malloc(512);
	snprintf(d, 512, "%s/evl-bench-%s-XXXXXX", bench_dir, tag);
	if (mkdtemp(d) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return d;
}

static void
rm_dir(const char *d)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d);
}

/* One appender thread: keeps `window` appends in flight, resubmitting
 * each as its done arrives, until its batches are all acknowledged. */
typedef struct appender {
	evls_store     *s;
	int             ntopics;
	int             first_topic;
	uint32_t        count; /* records per batch */
	uint64_t        batches;
	bool            sync;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	evls_append   **free_slots;
	size_t          nfree;
	uint64_t        acked;
} appender;

static char topic_names[16][16];

static void
bench_done(evls_append *a)
{
	appender *ap = a->arg;
	if (a->err != 0) {
		fprintf(stderr, "append: %s\n", evl_strerror(a->err));
		exit(1);
	}
	pthread_mutex_lock(&ap->mu);
	ap->free_slots[ap->nfree++] = a;
	ap->acked++;
	pthread_cond_signal(&ap->cv);
	pthread_mutex_unlock(&ap->mu);
}

static void *
appender_main(void *arg)
{
	appender *ap = arg;
	uint64_t  submitted = 0;
	int       t         = ap->first_topic;
	pthread_mutex_lock(&ap->mu);
	while (ap->acked < ap->batches) {
		if (ap->nfree == 0 || submitted == ap->batches) {
			pthread_cond_wait(&ap->cv, &ap->mu);
			continue;
		}
		evls_append *a = ap->free_slots[--ap->nfree];
		pthread_mutex_unlock(&ap->mu);
		a->topic = topic_names[t];
		t        = (t + 1) % ap->ntopics;
		a->sync  = ap->sync;
		if (evls_append_submit(ap->s, a) != 0)
			abort();
		submitted++;
		pthread_mutex_lock(&ap->mu);
	}
	pthread_mutex_unlock(&ap->mu);
	return NULL;
}

/* Appends `records` records in batches of `count` to ntopics topics;
 * returns records/s. */
static double
bench_append(const char *what, evls_store *s, int ntopics, uint32_t count,
    uint64_t records, bool sync)
{
	pthread_t th[64];
	appender  ap[64];
	long      nt = threads > 64 ? 64 : threads;
	uint64_t  per = records / count / (uint64_t) nt;
	if (per == 0)
		per = 1;
	for (long i = 0; i < nt; i++) {
		appender *a = &ap[i];
		memset(a, 0, sizeof(*a));
		a->s           = s;
		a->ntopics     = ntopics;
		a->first_topic = (int) (i % ntopics);
		a->count       = count;
		a->batches     = per;
		a->sync        = sync;
		pthread_mutex_init(&a->mu, NULL);
		pthread_cond_init(&a->cv, NULL);
		a->free_slots = calloc((size_t) window, sizeof(evls_append *));
		for (long w = 0; w < window; w++) {
			evls_append *x = calloc(1, sizeof(*x));
			x->batch       = make_batch(count, &x->len);
			x->done        = bench_done;
			x->arg         = a;
			a->free_slots[a->nfree++] = x;
		}
	}
	double t0 = now_s();
	for (long i = 0; i < nt; i++)
		pthread_create(&th[i], NULL, appender_main, &ap[i]);
	for (long i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	double   dt    = now_s() - t0;
	uint64_t total = per * (uint64_t) nt * count;
	report(what, total, dt);
	for (long i = 0; i < nt; i++) {
		for (size_t w = 0; w < ap[i].nfree; w++) {
			evlp_free(ap[i].free_slots[w]->batch);
			free(ap[i].free_slots[w]);
		}
		free(ap[i].free_slots);
	}
	return (double) total / dt;
}

static evls_store *
open_store(const char *dir, evls_fsync f, int ntopics)
{
	evls_options o;
	evls_store  *s;
	evls_options_init(&o);
	o.dir   = dir;
	o.fsync = f;
	if (evls_store_open(&s, &o) != 0)
		exit(1);
	for (int i = 0; i < ntopics; i++) {
		evls_topic_config c;
		evls_topic_config_init(&c);
		if (evls_topic_create(s, topic_names[i], &c) != 0)
			exit(1);
	}
	return s;
}

static int
count_sink(void *arg, const uint8_t *b, size_t len)
{
	evlp_batch_hdr h;
	if (evlp_batch_peek(b, len, &h) != 0)
		return EVL_ECORRUPT;
	*(uint64_t *) arg += h.count;
	return 0;
}

static void
bench_read(evls_store *s, uint64_t records)
{
	uint64_t            off = 0, got = 0;
	evls_partition_info info;
	double              t0 = now_s();
	while (got < records) {
		uint64_t n = 0;
		int rv = evls_read(s, topic_names[0], 0, off, 1 << 20,
		    count_sink, &n, &info);
		if (rv != 0 || n == 0)
			break;
		got += n;
		off += n;
	}
	report("store read, sequential, 1 MiB per read", got, now_s() - t0);
}

/* Raw LevelDB with the store's log options. */
static leveldb_t *
raw_open(const char *dir, leveldb_options_t **opt, leveldb_cache_t **cache,
    bool snappy)
{
	char *err = NULL;
	*opt      = leveldb_options_create();
	*cache    = leveldb_cache_create_lru(64u << 20);
	leveldb_options_set_create_if_missing(*opt, 1);
	leveldb_options_set_write_buffer_size(*opt, 64u << 20);
	leveldb_options_set_max_file_size(*opt, 64u << 20);
	leveldb_options_set_block_size(*opt, 64u << 10);
	leveldb_options_set_cache(*opt, *cache);
	leveldb_options_set_compression(*opt,
	    snappy ? leveldb_snappy_compression : leveldb_no_compression);
	leveldb_t *db = leveldb_open(*opt, dir, &err);
	if (err != NULL) {
		fprintf(stderr, "raw open: %s\n", err);
		exit(1);
	}
	return db;
}

static void
raw_close(leveldb_t *db, leveldb_options_t *opt, leveldb_cache_t *cache)
{
	leveldb_close(db);
	leveldb_options_destroy(opt);
	leveldb_cache_destroy(cache);
}

/* per_record: 1,000 keys per WriteBatch; else one 100 KB value.  snappy:
 * with LevelDB's compression on (the store's log has it off). */
static double
bench_raw(const char *what, uint64_t records, bool per_record, bool snappy)
{
	char                   *dir = fresh_dir("raw");
	leveldb_options_t      *opt;
	leveldb_cache_t        *cache;
	leveldb_t              *db = raw_open(dir, &opt, &cache, snappy);
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	leveldb_writebatch_t   *wb = leveldb_writebatch_create();
	size_t                  blen;
	uint8_t                *batch = make_batch(1000, &blen);
	uint8_t                 vals[1000][VALUE_SIZE];
	char                   *err = NULL;
	uint8_t                 k[16] = { 0 };
	fill_random(&vals[0][0], sizeof(vals));
	double t0 = now_s();
	for (uint64_t b = 0; b < records / 1000; b++) {
		leveldb_writebatch_clear(wb);
		if (per_record) {
			for (int i = 0; i < 1000; i++) {
				evlp_put_u64(k + 8, b * 1000 + (uint64_t) i);
				leveldb_writebatch_put(wb, (char *) k, 16,
				    (char *) vals[i], VALUE_SIZE);
			}
		} else {
			evlp_put_u64(k, b);
			leveldb_writebatch_put(
			    wb, (char *) k, 16, (char *) batch, blen);
		}
		leveldb_write(db, wo, wb, &err);
		if (err != NULL) {
			fprintf(stderr, "raw write: %s\n", err);
			exit(1);
		}
	}
	double dt = now_s() - t0;
	report(what, records / 1000 * 1000, dt);
	leveldb_writebatch_destroy(wb);
	leveldb_writeoptions_destroy(wo);
	raw_close(db, opt, cache);
	evlp_free(batch);
	rm_dir(dir);
	free(dir);
	return (double) records / dt;
}

/* The layout measurement: 16 partitions, interleaved, one 100 KB batch
 * per key, keyed (partition, offset) or (global seq).  Reports the rate
 * and how many bytes LevelDB wrote in compactions. */
static void
bench_layout(const char *what, uint64_t mb, bool seq_keys)
{
	char                   *dir = fresh_dir("layout");
	leveldb_options_t      *opt;
	leveldb_cache_t        *cache;
	leveldb_t              *db = raw_open(dir, &opt, &cache, false);
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	leveldb_writebatch_t   *wb = leveldb_writebatch_create();
	size_t                  blen;
	uint8_t                *batch = make_batch(1000, &blen);
	uint64_t                nb    = mb * 1000000 / blen;
	uint8_t                 k[16];
	char                   *err = NULL;
	double                  t0  = now_s();
	for (uint64_t b = 0; b < nb; b++) {
		uint32_t part = (uint32_t) (b % 16);
		if (seq_keys) {
			evlp_put_u64(k, b);
			evlp_put_u32(k + 8, 1);
			evlp_put_u32(k + 12, part);
		} else {
			evlp_put_u32(k, 1);
			evlp_put_u32(k + 4, part);
			evlp_put_u64(k + 8, (b / 16) * 1000);
		}
		leveldb_writebatch_clear(wb);
		leveldb_writebatch_put(wb, (char *) k, 16, (char *) batch, blen);
		leveldb_write(db, wo, wb, &err);
		if (err != NULL) {
			fprintf(stderr, "layout write: %s\n", err);
			exit(1);
		}
	}
	double dt = now_s() - t0;
	report(what, nb * 1000, dt);
	char *stats = leveldb_property_value(db, "leveldb.stats");
	if (stats != NULL) {
		/* Sum the "Write(MB)" column: bytes compactions wrote. */
		double w = 0;
		for (char *line = strtok(stats, "\n"); line;
		     line = strtok(NULL, "\n")) {
			int    lvl;
			double f, sz, t, r, wr;
			if (sscanf(line, "%d %lf %lf %lf %lf %lf", &lvl, &f, &sz,
			        &t, &r, &wr) == 6)
				w += wr;
		}
		printf("    table bytes written (flush+compaction): %.0f MB "
		       "for %.0f MB appended\n",
		    w, (double) nb * (double) blen / 1e6);
		leveldb_free(stats);
	}
	leveldb_writebatch_destroy(wb);
	leveldb_writeoptions_destroy(wo);
	raw_close(db, opt, cache);
	evlp_free(batch);
	rm_dir(dir);
	free(dir);
}

int
main(int argc, char **argv)
{
	uint64_t records = 5000000, small = 200000, layout_mb = 1000;
	bool     layout  = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--dir") == 0 && v)
			bench_dir = argv[++i];
		else if (strcmp(a, "--records") == 0 && v)
			records = strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--small") == 0 && v)
			small = strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--threads") == 0 && v)
			threads = strtol(argv[++i], NULL, 10);
		else if (strcmp(a, "--window") == 0 && v)
			window = strtol(argv[++i], NULL, 10);
		else if (strcmp(a, "--layout-mb") == 0 && v)
			layout_mb = strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--repeat") == 0 && v)
			repeat = strtol(argv[++i], NULL, 10);
		else if (strcmp(a, "--no-layout") == 0)
			layout = false;
		else {
			fprintf(stderr,
			    "usage: %s [--dir D] [--records N] [--small N] "
			    "[--threads T] [--window W] [--repeat R] "
			    "[--layout-mb M] [--no-layout]\n",
			    argv[0]);
			return 2;
		}
	}
	if (threads < 1 || window < 1 || records < 1000 || repeat < 1 ||
	    repeat > 16)
		return 2;
	for (int i = 0; i < 16; i++)
		snprintf(topic_names[i], sizeof(topic_names[i]), "topic%d", i);
	printf("evl-storage-bench: %llu records of %d bytes, %ld appender "
	       "threads x %ld in flight, dir %s, %ld CPUs\n",
	    (unsigned long long) records, VALUE_SIZE, threads, window,
	    bench_dir, sysconf(_SC_NPROCESSORS_ONLN));

	/* The headline pair alternates, `repeat` times, and the medians
	 * are compared: on a shared VM the disk's speed drifts between
	 * runs by more than the difference being measured. */
	double      st[16], rw[16];
	char       *dir;
	evls_store *s;
	for (long r = 0; r < repeat; r++) {
		dir   = fresh_dir("store");
		s     = open_store(dir, EVLS_FSYNC_NEVER, 1);
		st[r] = bench_append(
		    "store append, batch 1000, fsync never, 1 topic", s, 1,
		    1000, records, false);
		if (r == repeat - 1)
			bench_read(s, records);
		evls_store_close(s);
		rm_dir(dir);
		free(dir);
		rw[r] = bench_raw("raw leveldb, 1 value per WriteBatch",
		    records, false, false);
	}
	qsort(st, (size_t) repeat, sizeof(double), cmp_double);
	qsort(rw, (size_t) repeat, sizeof(double), cmp_double);
	printf("store/raw, medians of %ld (batch 1000, fsync never, 1 topic "
	       "vs 1 value per WriteBatch): %.0f / %.0f = %.2f\n",
	    repeat, st[repeat / 2], rw[repeat / 2],
	    st[repeat / 2] / rw[repeat / 2]);
	bench_raw("raw leveldb, 1000 keys per WriteBatch", records, true,
	    false);
	bench_raw("raw leveldb, 1 value per WriteBatch, snappy", records,
	    false, true);

	dir = fresh_dir("store");
	s   = open_store(dir, EVLS_FSYNC_NEVER, 16);
	bench_append("store append, batch 1000, fsync never, 16 topics", s,
	    16, 1000, records, false);
	evls_store_close(s);
	rm_dir(dir);
	free(dir);

	dir = fresh_dir("store");
	s   = open_store(dir, EVLS_FSYNC_ALWAYS, 16);
	bench_append("store append, batch 1000, fsync always, 1 topic", s, 1,
	    1000, records / 5, false);
	bench_append("store append, batch 1000, fsync always, 16 topics", s,
	    16, 1000, records / 5, false);
	evls_store_close(s);
	rm_dir(dir);
	free(dir);

	dir = fresh_dir("store");
	s   = open_store(dir, EVLS_FSYNC_NEVER, 16);
	bench_append("store append, batch 1, fsync never, 1 topic", s, 1, 1,
	    small, false);
	bench_append("store append, batch 1, fsync never, 16 topics", s, 16,
	    1, small, false);
	evls_store_close(s);
	rm_dir(dir);
	free(dir);

	dir = fresh_dir("store");
	s   = open_store(dir, EVLS_FSYNC_ALWAYS, 1);
	bench_append("store append, batch 1, fsync always, 1 topic", s, 1, 1,
	    small / 4, false);
	evls_store_close(s);
	rm_dir(dir);
	free(dir);

	if (layout) {
		printf("layout: 16 partitions interleaved, %llu MB, one batch "
		       "per key\n",
		    (unsigned long long) layout_mb);
		bench_layout("  keyed (partition, offset), one database",
		    layout_mb, false);
		bench_layout("  keyed by global sequence (the log db)",
		    layout_mb, true);
	}
	return 0;
}
