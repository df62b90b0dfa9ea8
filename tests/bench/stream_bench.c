/*
 * evl-stream-bench -- per-key stream reads do not scan the topic.
 *
 * Fills a key-indexed topic (4 partitions) with KEYS x EVENTS records
 * (10,000 x 100 = 1,000,000 by default, 100-byte values) and then reads
 * every key's stream back through evls_stream_read, checking that each
 * comes back whole and in version order, and timing the reads.  Two
 * fills, as two kinds of producer write them:
 *
 *   per-key   each append is one key's events (an aggregate's command:
 *             here 1 event per append, keys round-robin), so a stream's
 *             events sit in their own small batches;
 *   mixed     appends of 100 records of 100 different keys (a bulk
 *             import), so reading a key fetches 100 batches of 100 keys.
 *
 * A read costs one Seek in the version index plus one batch fetch per
 * batch holding the key's records, whatever the topic's size.
 *
 * Usage: evl-stream-bench [--dir D] [--keys N] [--events N]
 *        [--mixed-only | --per-key-only]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "batch.h"
#include "partition.h"
#include "store.h"

#define PARTS  4
#define WINDOW 64

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
die(const char *what, int rv)
{
	fprintf(stderr, "evl-stream-bench: %s: %s\n", what, evl_strerror(rv));
	exit(1);
}

/* Appends in flight, bounded by WINDOW, one submitter thread. */
typedef struct inflight {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             n;
	int             err;
} inflight;

static void
done(evls_append *a)
{
	inflight *f = a->arg;
	pthread_mutex_lock(&f->mu);
	if (a->err && !f->err)
		f->err = a->err;
	f->n--;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	evlp_free(a->batch);
	evlp_free(a);
}

static void
key_of(char *k, size_t cap, uint32_t key)
{
	snprintf(k, cap, "acct-%06u", key);
}

/* One batch of the given keys (one record each), all on partition part,
 * submitted with the window. */
static void
submit(evls_store *s, inflight *f, const uint32_t *keys, size_t n,
    uint32_t ver, uint32_t part)
{
	size_t             cap = 64 + n * 160, len;
	uint8_t           *buf = evlp_alloc(cap);
	evlp_batch_builder b;
	char               val[100], k[32];
	evlp_batch_build_init(&b, buf, cap);
	for (size_t i = 0; i < n; i++) {
		key_of(k, sizeof(k), keys[i]);
		memset(val, 'x', sizeof(val));
		int m = snprintf(val, sizeof(val), "%s:%u:", k, ver);
		val[m] = 'x';
		evlp_record_in r = { .key = k,
			.key_len = strlen(k),
			.value = val,
			.value_len = sizeof(val) };
		if (evlp_batch_build_add(&b, &r) != 0)
			die("batch", EVL_ETOOBIG);
	}
	evlp_batch_build_finish(&b, &len);
	evls_append *a = evlp_zalloc(sizeof(*a));
	a->topic = "streams";
	a->partition = part;
	a->batch = buf;
	a->len = len;
	a->done = done;
	a->arg = f;
	pthread_mutex_lock(&f->mu);
	while (f->n >= WINDOW)
		pthread_cond_wait(&f->cv, &f->mu);
	f->n++;
	pthread_mutex_unlock(&f->mu);
	int rv = evls_append_submit(s, a);
	if (rv)
		die("submit", rv);
}

static void
drain(inflight *f)
{
	pthread_mutex_lock(&f->mu);
	while (f->n > 0)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	if (f->err)
		die("append", f->err);
}

static void
fill(evls_store *s, uint32_t keys, uint32_t events, bool mixed)
{
	inflight f
	    = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	uint32_t *bypart[PARTS];
	size_t    nby[PARTS] = { 0 };
	for (int p = 0; p < PARTS; p++)
		bypart[p] = malloc(sizeof(uint32_t) * keys);
	for (uint32_t k = 0; k < keys; k++) {
		char name[32];
		key_of(name, sizeof(name), k);
		uint32_t p = evlp_partition_for_key(name, strlen(name), PARTS);
		bypart[p][nby[p]++] = k;
	}
	double t0 = now_s();
	for (uint32_t v = 0; v < events; v++) {
		for (int p = 0; p < PARTS; p++) {
			if (!mixed) {
				for (size_t i = 0; i < nby[p]; i++)
					submit(s, &f, &bypart[p][i], 1, v,
					    (uint32_t) p);
				continue;
			}
			for (size_t i = 0; i < nby[p]; i += 100) {
				size_t n = nby[p] - i < 100 ? nby[p] - i : 100;
				submit(
				    s, &f, &bypart[p][i], n, v, (uint32_t) p);
			}
		}
	}
	drain(&f);
	double t = now_s() - t0;
	printf("  fill: %" PRIu64 " records in %.1f s (%.0f records/s)\n",
	    (uint64_t) keys * events, t, (double) keys * events / t);
	for (int p = 0; p < PARTS; p++)
		free(bypart[p]);
}

typedef struct check {
	const char *key;
	int64_t     next;
} check;

static int
check_sink(void *arg, int64_t version, const evlp_record *rec)
{
	check *c = arg;
	char   want[48];
	int    n
	    = snprintf(want, sizeof(want), "%s:%" PRId64 ":", c->key, version);
	if (version != c->next || rec->value.len != 100
	    || memcmp(rec->value.p, want, (size_t) n) != 0) {
		fprintf(stderr,
		    "evl-stream-bench: %s version %" PRId64 ": wrong event\n",
		    c->key, version);
		exit(1);
	}
	c->next++;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

static void
read_all(evls_store *s, uint32_t keys, uint32_t events)
{
	double *lat = malloc(sizeof(double) * keys);
	double  t0 = now_s();
	for (uint32_t k = 0; k < keys; k++) {
		char  name[32];
		check c = { name, 0 };
		key_of(name, sizeof(name), k);
		double a = now_s();
		int rv = evls_stream_read(s, "streams", name, strlen(name), 0,
		    false, 0, SIZE_MAX, check_sink, &c, NULL);
		lat[k] = now_s() - a;
		if (rv)
			die("stream read", rv);
		if (c.next != events) {
			fprintf(stderr,
			    "evl-stream-bench: %s: %" PRId64
			    " events, want %u\n",
			    name, c.next, events);
			exit(1);
		}
	}
	double t = now_s() - t0;
	qsort(lat, keys, sizeof(double), cmp_double);
	printf("  read: %u streams of %u events, all whole and in order, in "
	       "%.2f s\n",
	    keys, events, t);
	printf("  one stream: median %.3f ms, p99 %.3f ms, max %.3f ms\n",
	    lat[keys / 2] * 1e3, lat[keys * 99 / 100] * 1e3,
	    lat[keys - 1] * 1e3);
	free(lat);
}

static void
run(const char *base, uint32_t keys, uint32_t events, bool mixed)
{
	char              dir[512];
	evls_options      o;
	evls_store       *s;
	evls_topic_config c;
	snprintf(dir, sizeof(dir), "%s/%s", base, mixed ? "mixed" : "perkey");
	evls_options_init(&o);
	o.dir = dir;
	o.fsync = EVLS_FSYNC_NEVER;
	int rv = evls_store_open(&s, &o);
	if (rv)
		die(dir, rv);
	evls_topic_config_init(&c);
	c.partitions = PARTS;
	c.key_index = true;
	if ((rv = evls_topic_create(s, "streams", &c)) != 0)
		die("create", rv);
	printf("%s appends (%s):\n", mixed ? "mixed" : "per-key",
	    mixed ? "100 keys per batch" : "1 event per batch");
	fill(s, keys, events, mixed);
	read_all(s, keys, events);
	evls_store_close(s);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	uint32_t    keys = 10000, events = 100;
	bool        perkey = true, mixed = true;
	char        tmp[] = "/tmp/evl-stream-bench-XXXXXX";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc)
			keys = (uint32_t) strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
			events = (uint32_t) strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--mixed-only") == 0)
			perkey = false;
		else if (strcmp(argv[i], "--per-key-only") == 0)
			mixed = false;
		else {
			fprintf(stderr,
			    "usage: evl-stream-bench [--dir D] "
			    "[--keys N] [--events N] [--mixed-only | "
			    "--per-key-only]\n");
			return 2;
		}
	}
	if (keys == 0 || events == 0)
		return 2;
	if (dir == NULL && (dir = mkdtemp(tmp)) == NULL)
		return 1;
	if (perkey)
		run(dir, keys, events, false);
	if (mixed)
		run(dir, keys, events, true);
	printf("(data left in %s)\n", dir);
	return 0;
}
