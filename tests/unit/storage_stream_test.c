/*
 * Per-key streams in the store (storage/heads.c, storage/stream.c):
 * dense versions, expected-version checks by the writer (including
 * concurrent appenders to one key), reads forwards and backwards, stream
 * info, deletes, snapshots, replay on open, and idempotent producer
 * sequences.
 */
#include "storage_testutil.h"

#include <pthread.h>

#include "crc32c.h"
#include "partition.h"

static void
tu_streams(evls_store *s, const char *name, uint32_t partitions)
{
	evls_topic_config c;
	evls_topic_config_init(&c);
	c.partitions = partitions;
	c.key_index = true;
	evl_assert_ok(evls_topic_create(s, name, &c));
}

/* A batch of count records all keyed key, values "key:i" from first;
 * attrs applies to every record. */
static uint8_t *
kbatch(const char *key, uint32_t count, uint32_t first, uint32_t attrs,
    size_t *len)
{
	size_t             cap = 64 + (size_t) count * 256;
	uint8_t           *buf = evlp_alloc(cap);
	evlp_batch_builder b;
	evlp_batch_build_init(&b, buf, cap);
	for (uint32_t i = 0; i < count; i++) {
		char v[128];
		int  n = snprintf(v, sizeof(v), "%s:%u", key, first + i);
		evlp_header    h = { { (const uint8_t *) "h", 1 },
			   { (const uint8_t *) "secret", 6 } };
		evlp_record_in r = { .key = key,
			.key_len = strlen(key),
			.value = v,
			.value_len = (size_t) n,
			.headers = &h,
			.header_count = 1,
			.timestamp = 1,
			.attributes = attrs };
		evl_assert_ok(evlp_batch_build_add(&b, &r));
	}
	evl_assert_ok(evlp_batch_build_finish(&b, len));
	return buf;
}

static uint32_t
kpart(const char *key, uint32_t partitions)
{
	return evlp_partition_for_key(key, strlen(key), partitions);
}

/* Appends count records to stream key of topic t (partitions given) with
 * an expected version; returns the result, the append in *out. */
static int
kappend(evls_store *s, const char *t, uint32_t partitions, const char *key,
    uint32_t count, bool check, int64_t expected, evls_append *out)
{
	size_t      len;
	evls_append a = { .topic = t, .partition = kpart(key, partitions) };
	a.batch = kbatch(key, count, 0, 0, &len);
	a.len = len;
	a.check_version = check;
	a.expected_version = expected;
	int rv = evls_append_wait(s, &a);
	evlp_free(a.batch);
	a.batch = NULL;
	if (out != NULL)
		*out = a;
	return rv;
}

typedef struct got {
	int     n;
	int64_t versions[64];
	char    values[64][32];
	bool    erased_seen;
} got;

static int
got_sink(void *arg, int64_t version, const evlp_record *rec)
{
	got *g = arg;
	cr_assert_lt(g->n, 64);
	g->versions[g->n] = version;
	snprintf(g->values[g->n], sizeof(g->values[0]), "%.*s",
	    (int) rec->value.len, (const char *) rec->value.p);
	g->n++;
	return 0;
}

Test(stream, versions_are_dense_per_key)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_append a;
	tu_streams(s, "acct", 4);

	evl_assert_ok(kappend(s, "acct", 4, "a-1", 1, false, 0, &a));
	cr_assert_eq(a.version, 0);
	evl_assert_ok(kappend(s, "acct", 4, "a-1", 3, false, 0, &a));
	cr_assert_eq(a.version, 3, "3 records: versions 1, 2, 3");
	evl_assert_ok(kappend(s, "acct", 4, "a-2", 2, false, 0, &a));
	cr_assert_eq(a.version, 1, "another key counts apart");

	evls_stream_info i;
	evl_assert_ok(evls_stream_info_get(s, "acct", "a-1", 3, &i));
	cr_assert_eq(i.version, 3);
	cr_assert_eq(i.partition, kpart("a-1", 4));
	cr_assert_eq(i.first_version, 0);
	evl_assert_ok(evls_stream_info_get(s, "acct", "nope", 4, &i));
	cr_assert_eq(i.version, -1, "a key never written has no version");

	/* A key on another partition than its hash is refused. */
	size_t      len;
	evls_append w
	    = { .topic = "acct", .partition = (kpart("a-1", 4) + 1) % 4 };
	w.batch = kbatch("a-1", 1, 0, 0, &len);
	w.len = len;
	evl_assert_err(evls_append_wait(s, &w), EVL_EINVAL);
	evlp_free(w.batch);
	evl_assert_ok(evls_stream_info_get(s, "acct", "a-1", 3, &i));
	cr_assert_eq(i.version, 3, "the refused append changed nothing");
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(stream, expected_versions)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_append a;
	tu_streams(s, "acct", 2);
	tu_create(s, "plain", 1);

	evl_assert_err(
	    kappend(s, "acct", 2, "k", 1, true, EVLS_VERSION_EXISTS, &a),
	    EVL_EWRONGVERSION);
	cr_assert_eq(a.version, -1, "the conflict carries the version");
	evl_assert_ok(
	    kappend(s, "acct", 2, "k", 2, true, EVLS_VERSION_NO_STREAM, &a));
	cr_assert_eq(a.version, 1);
	evl_assert_err(
	    kappend(s, "acct", 2, "k", 1, true, EVLS_VERSION_NO_STREAM, &a),
	    EVL_EWRONGVERSION);
	cr_assert_eq(a.version, 1);
	evl_assert_err(
	    kappend(s, "acct", 2, "k", 1, true, 0, &a), EVL_EWRONGVERSION);
	cr_assert_eq(a.version, 1);
	evl_assert_ok(kappend(s, "acct", 2, "k", 3, true, 1, &a));
	cr_assert_eq(a.version, 4, "first record got N+1, all consecutive");
	evl_assert_ok(
	    kappend(s, "acct", 2, "k", 1, true, EVLS_VERSION_EXISTS, &a));
	evl_assert_ok(
	    kappend(s, "acct", 2, "k", 1, true, EVLS_VERSION_ANY, &a));
	cr_assert_eq(a.version, 6);

	/* Expected versions need a key index, and one key per batch. */
	evl_assert_err(
	    kappend(s, "plain", 1, "k", 1, true, 0, NULL), EVL_EINVAL);
	size_t             len, cap = 512;
	uint8_t           *buf = evlp_alloc(cap);
	evlp_batch_builder b;
	evlp_batch_build_init(&b, buf, cap);
	/* "k" and "k2" share a partition of 1 ... use a 1-partition topic. */
	tu_streams(s, "one", 1);
	evlp_record_in r1
	    = { .key = "x", .key_len = 1, .value = "1", .value_len = 1 };
	evlp_record_in r2
	    = { .key = "y", .key_len = 1, .value = "2", .value_len = 1 };
	evl_assert_ok(evlp_batch_build_add(&b, &r1));
	evl_assert_ok(evlp_batch_build_add(&b, &r2));
	evl_assert_ok(evlp_batch_build_finish(&b, &len));
	evls_append m = { .topic = "one",
		.batch = buf,
		.len = len,
		.check_version = true,
		.expected_version = EVLS_VERSION_ANY };
	evl_assert_err(evls_append_wait(s, &m), EVL_EINVAL);
	m.check_version = false;
	evl_assert_ok(evls_append_wait(s, &m));
	cr_assert_eq(m.version, 0, "two keys, each at version 0");
	evlp_free(buf);
	evls_stream_info i;
	evl_assert_ok(evls_stream_info_get(s, "one", "y", 1, &i));
	cr_assert_eq(i.version, 0);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* N appenders submit at once with the same expected version: the writer
 * sees them in one or several groups, and exactly one wins. */
typedef struct racer {
	evls_store        *s;
	pthread_barrier_t *bar;
	int64_t            expected;
	int                rv;
	int64_t            version;
} racer;

static void *
racer_main(void *arg)
{
	racer      *r = arg;
	evls_append a;
	pthread_barrier_wait(r->bar);
	r->rv = kappend(r->s, "acct", 3, "hot", 1, true, r->expected, &a);
	r->version = a.version;
	return NULL;
}

Test(stream, concurrent_appenders_exactly_one_wins)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_streams(s, "acct", 3);
	evl_assert_ok(kappend(s, "acct", 3, "hot", 1, false, 0, NULL));

	for (int round = 0; round < 20; round++) {
		enum { N = 8 };
		pthread_t         th[N];
		racer             r[N];
		pthread_barrier_t bar;
		pthread_barrier_init(&bar, NULL, N);
		for (int i = 0; i < N; i++) {
			r[i] = (racer) { s, &bar, round, -1, -2 };
			pthread_create(&th[i], NULL, racer_main, &r[i]);
		}
		int wins = 0;
		for (int i = 0; i < N; i++) {
			pthread_join(th[i], NULL);
			if (r[i].rv == 0) {
				wins++;
				cr_assert_eq(r[i].version, round + 1);
			} else {
				evl_assert_err(r[i].rv, EVL_EWRONGVERSION);
				cr_assert_eq(r[i].version, round + 1,
				    "a loser learns the winner's version");
			}
		}
		pthread_barrier_destroy(&bar);
		cr_assert_eq(wins, 1, "round %d: %d winners", round, wins);
	}
	evls_stream_info i;
	evl_assert_ok(evls_stream_info_get(s, "acct", "hot", 3, &i));
	cr_assert_eq(i.version, 20);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* 8 threads each add 25 events with the load-decide-append loop: no lost
 * update, versions dense, every conflict reports a newer version. */
typedef struct looper {
	evls_store *s;
	int         id;
	int         conflicts;
} looper;

static void *
looper_main(void *arg)
{
	looper *l = arg;
	for (int done = 0; done < 25;) {
		evls_stream_info i;
		evls_append      a;
		evl_assert_ok(
		    evls_stream_info_get(l->s, "acct", "ctr", 3, &i));
		int rv = kappend(l->s, "acct", 3, "ctr", 1, true,
		    i.version < 0 ? EVLS_VERSION_NO_STREAM : i.version, &a);
		if (rv == 0) {
			done++;
			cr_assert_eq(a.version, i.version + 1);
		} else {
			cr_assert_eq(rv, EVL_EWRONGVERSION);
			cr_assert_gt(a.version, i.version);
			l->conflicts++;
		}
	}
	return NULL;
}

Test(stream, retry_loops_lose_no_update)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_streams(s, "acct", 3);
	pthread_t th[8];
	looper    l[8];
	for (int i = 0; i < 8; i++) {
		l[i] = (looper) { s, i, 0 };
		pthread_create(&th[i], NULL, looper_main, &l[i]);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	evls_stream_info i;
	evl_assert_ok(evls_stream_info_get(s, "acct", "ctr", 3, &i));
	cr_assert_eq(i.version, 199, "8 x 25 appends, none lost");
	got     g = { 0 };
	int64_t from = 0;
	for (;;) {
		int n0 = g.n;
		g.n = 0;
		evl_assert_ok(evls_stream_read(s, "acct", "ctr", 3, from,
		    false, 64, SIZE_MAX, got_sink, &g, NULL));
		for (int k = 0; k < g.n; k++)
			cr_assert_eq(g.versions[k], from + k, "dense");
		from += g.n;
		if (g.n == 0)
			break;
		(void) n0;
	}
	cr_assert_eq(from, 200);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(stream, read_forwards_backwards_and_snapshots)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_streams(s, "acct", 2);
	/* Interleave two keys in one partition-sized topic so batches mix
	 * keys... each append is one key; several batches per key. */
	for (int i = 0; i < 5; i++) {
		evl_assert_ok(kappend(s, "acct", 2, "k", 2, false, 0, NULL));
		evl_assert_ok(
		    kappend(s, "acct", 2, "other", 1, false, 0, NULL));
	}
	got              g = { 0 };
	evls_stream_info i;
	evl_assert_ok(evls_stream_read(
	    s, "acct", "k", 1, 3, false, 0, SIZE_MAX, got_sink, &g, &i));
	cr_assert_eq(g.n, 7, "versions 3..9");
	cr_assert_eq(g.versions[0], 3);
	cr_assert_str_eq(g.values[0], "k:1",
	    "version 3 is record 1 of the "
	    "second batch");
	cr_assert_eq(i.version, 9);

	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(s, "acct", "k", 1, EVLS_FROM_END, true,
	    4, SIZE_MAX, got_sink, &g, NULL));
	cr_assert_eq(g.n, 4);
	for (int k = 0; k < 4; k++)
		cr_assert_eq(g.versions[k], 9 - k, "newest first");

	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(
	    s, "acct", "k", 1, 5, true, 0, SIZE_MAX, got_sink, &g, NULL));
	cr_assert_eq(g.n, 6, "5 down to 0");

	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(
	    s, "acct", "k", 1, 0, false, 0, 1, got_sink, &g, NULL));
	cr_assert_eq(g.n, 1, "max_bytes: the first always goes");

	/* A snapshot record: reads can start there. */
	size_t      len;
	evls_append a = { .topic = "acct", .partition = kpart("k", 2) };
	a.batch = kbatch("k", 1, 100, EVLP_REC_SNAPSHOT, &len);
	a.len = len;
	evl_assert_ok(evls_append_wait(s, &a));
	evlp_free(a.batch);
	evl_assert_ok(kappend(s, "acct", 2, "k", 1, false, 0, NULL));
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(s, "acct", "k", 1, EVLS_FROM_SNAPSHOT,
	    false, 0, SIZE_MAX, got_sink, &g, &i));
	cr_assert_eq(i.snapshot, 10);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.versions[0], 10);
	cr_assert_str_eq(g.values[0], "k:100");

	/* Without a snapshot, FROM_SNAPSHOT reads everything. */
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(s, "acct", "other", 5,
	    EVLS_FROM_SNAPSHOT, false, 0, SIZE_MAX, got_sink, &g, &i));
	cr_assert_eq(g.n, 5);
	evl_assert_err(evls_stream_read(s, "acct", "k", 1, -3, false, 0,
	                   SIZE_MAX, got_sink, &g, NULL),
	    EVL_EINVAL);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* Looks for `needle` anywhere in the partition's stored batches. */
typedef struct scan {
	const char *needle;
	bool        found;
	int         erased;
} scan;

static int
scan_sink(void *arg, const uint8_t *b, size_t len)
{
	scan           *sc = arg;
	evlp_batch_hdr  h;
	evlp_batch_iter it;
	evlp_record     rec;
	evl_assert_ok(evlp_crc32c(0, b + 24, len - 24) == evlp_get_u32(b + 20)
	        ? 0
	        : EVL_ECRC);
	(void) h;
	evl_assert_ok(evlp_batch_iter_init(&it, b, len));
	while (evlp_batch_next(&it, &rec))
		if (rec.attributes & EVLP_REC_ERASED)
			sc->erased++;
	cr_assert_eq(it.rd.err, 0);
	size_t n = strlen(sc->needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(b + i, sc->needle, n) == 0)
			sc->found = true;
	return 0;
}

Test(stream, delete_erases_and_keeps_the_version)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_streams(s, "p", 1);
	evl_assert_ok(kappend(s, "p", 1, "alice", 3, false, 0, NULL));
	evl_assert_ok(kappend(s, "p", 1, "bob", 2, false, 0, NULL));
	evl_assert_ok(kappend(s, "p", 1, "alice", 2, false, 0, NULL));

	int64_t cur = -9;
	evl_assert_err(evls_stream_delete(s, "p", "alice", 5, 2, false, &cur),
	    EVL_EWRONGVERSION);
	cr_assert_eq(cur, 4);
	evl_assert_err(evls_stream_delete(s, "p", "carol", 5, -1, false, NULL),
	    EVL_ENOTFOUND);
	evl_assert_ok(evls_stream_delete(s, "p", "alice", 5, 4, false, NULL));

	got              g = { 0 };
	evls_stream_info i;
	evl_assert_ok(evls_stream_read(
	    s, "p", "alice", 5, 0, false, 0, SIZE_MAX, got_sink, &g, &i));
	cr_assert_eq(g.n, 0, "unreadable at once");
	cr_assert_eq(i.version, 4, "the version is kept");
	cr_assert(i.deleted);
	scan sc = { .needle = "alice:" };
	evl_assert_ok(evls_read(s, "p", 0, 0, SIZE_MAX, scan_sink, &sc, NULL));
	cr_assert(!sc.found, "no byte of alice's values is left in the log");
	cr_assert_eq(sc.erased, 5);
	sc = (scan) { .needle = "secret" };
	evl_assert_ok(evls_read(s, "p", 0, 0, SIZE_MAX, scan_sink, &sc, NULL));
	cr_assert(sc.found, "bob's headers are untouched");
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(
	    s, "p", "bob", 3, 0, false, 0, SIZE_MAX, got_sink, &g, NULL));
	cr_assert_eq(g.n, 2, "bob's stream is whole");
	cr_assert_str_eq(g.values[1], "bob:1");

	/* Appends continue after the tombstone. */
	evls_append a;
	evl_assert_ok(kappend(s, "p", 1, "alice", 1, true, 4, &a));
	cr_assert_eq(a.version, 5);
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(
	    s, "p", "alice", 5, 0, false, 0, SIZE_MAX, got_sink, &g, NULL));
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.versions[0], 5);

	/* forget_versions: the key starts over. */
	evl_assert_ok(evls_stream_delete(s, "p", "alice", 5, -1, true, NULL));
	evl_assert_ok(evls_stream_info_get(s, "p", "alice", 5, &i));
	cr_assert_eq(i.version, -1);
	evl_assert_ok(
	    kappend(s, "p", 1, "alice", 1, true, EVLS_VERSION_NO_STREAM, &a));
	cr_assert_eq(a.version, 0);
	evls_store_close(s);

	/* Everything survives a reopen. */
	s = tu_open(dir, EVLS_FSYNC_NEVER);
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(
	    s, "p", "alice", 5, 0, false, 0, SIZE_MAX, got_sink, &g, &i));
	cr_assert_eq(g.n, 1);
	cr_assert_eq(i.version, 0);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(stream, replay_rebuilds_versions)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_streams(s, "acct", 2);
	evl_assert_ok(kappend(s, "acct", 2, "k", 2, false, 0, NULL));
	evls_store_test_hooks(s, EVLS_HOOK_SKIP_META);
	evl_assert_ok(kappend(s, "acct", 2, "k", 3, true, 1, NULL));
	evls_store_close(s);

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_stream_info i;
	got              g = { 0 };
	evl_assert_ok(evls_stream_read(
	    s, "acct", "k", 1, 0, false, 0, SIZE_MAX, got_sink, &g, &i));
	cr_assert_eq(i.version, 4, "the unindexed append was replayed");
	cr_assert_eq(g.n, 5);
	evls_append a;
	evl_assert_err(
	    kappend(s, "acct", 2, "k", 1, true, 1, &a), EVL_EWRONGVERSION);
	cr_assert_eq(a.version, 4);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* A batch from producer pid with the given epoch and base sequence. */
static int
pappend(evls_store *s, int64_t pid, int16_t epoch, int32_t seq, uint32_t count,
    evls_append *out)
{
	size_t             len, cap = 64 + count * 64;
	uint8_t           *buf = evlp_alloc(cap);
	evlp_batch_builder b;
	evlp_batch_build_init(&b, buf, cap);
	evlp_batch_build_producer(&b, pid, epoch, seq);
	for (uint32_t i = 0; i < count; i++) {
		evlp_record_in r = { .value = "v", .value_len = 1 };
		evl_assert_ok(evlp_batch_build_add(&b, &r));
	}
	evl_assert_ok(evlp_batch_build_finish(&b, &len));
	evls_append a
	    = { .topic = "t", .partition = 0, .batch = buf, .len = len };
	int rv = evls_append_wait(s, &a);
	evlp_free(buf);
	a.batch = NULL;
	*out = a;
	return rv;
}

Test(stream, idempotent_producer_sequences)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_append a;
	tu_create(s, "t", 1);
	evl_assert_ok(tu_append(s, "t", 0, 2, NULL));

	evl_assert_err(pappend(s, 7, 0, 3, 2, &a), EVL_ESEQUENCE);
	evl_assert_ok(pappend(s, 7, 0, 0, 3, &a));
	cr_assert_eq(a.base_offset, 2);
	cr_assert(!a.duplicate);
	evl_assert_ok(pappend(s, 7, 0, 0, 3, &a));
	cr_assert(a.duplicate, "a retry");
	cr_assert_eq(a.base_offset, 2, "the original offsets");
	evl_assert_err(pappend(s, 7, 0, 4, 1, &a), EVL_ESEQUENCE);
	evl_assert_ok(pappend(s, 7, 0, 3, 1, &a));
	cr_assert_eq(a.base_offset, 5);
	evl_assert_err(pappend(s, 7, -1, 4, 1, &a), EVL_EINVAL);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.next_offset, 6, "nothing appended twice");
	evls_store_close(s);

	/* The state survives a restart, also when it was only in the log. */
	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evl_assert_ok(pappend(s, 7, 0, 3, 1, &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 5);
	evls_store_test_hooks(s, EVLS_HOOK_SKIP_META);
	evl_assert_ok(pappend(s, 7, 0, 4, 2, &a));
	cr_assert_eq(a.base_offset, 6);
	evls_store_close(s);
	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evl_assert_ok(pappend(s, 7, 0, 4, 2, &a));
	cr_assert(a.duplicate, "replayed state");
	cr_assert_eq(a.base_offset, 6);

	/* A new epoch restarts at 0 and fences the old one. */
	evl_assert_err(pappend(s, 7, 1, 6, 1, &a), EVL_ESEQUENCE);
	evl_assert_ok(pappend(s, 7, 1, 0, 1, &a));
	evl_assert_err(pappend(s, 7, 0, 6, 1, &a), EVL_EFENCEDPRODUCER);
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.next_offset, 9);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* A retry queued in the same group as its original takes its answer. */
static void
noop_done(evls_append *a)
{
	atomic_fetch_add((atomic_int *) a->arg, 1);
}

Test(stream, duplicate_in_the_same_group)
{
	char       *dir = tu_mkdtemp();
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 1);
	size_t             len, cap = 256;
	uint8_t           *b1 = evlp_alloc(cap), *b2 = evlp_alloc(cap);
	evlp_batch_builder b;
	evlp_batch_build_init(&b, b1, cap);
	evlp_batch_build_producer(&b, 9, 0, 0);
	evlp_record_in r = { .value = "v", .value_len = 1 };
	evl_assert_ok(evlp_batch_build_add(&b, &r));
	evl_assert_ok(evlp_batch_build_finish(&b, &len));
	memcpy(b2, b1, len);
	atomic_int  done = 0;
	evls_append a1 = { .topic = "t",
		.batch = b1,
		.len = len,
		.done = noop_done,
		.arg = &done };
	evls_append a2 = a1;
	a2.batch = b2;
	/* Queue many so that both likely share a group; correct either
	 * way. */
	evl_assert_ok(evls_append_submit(s, &a1));
	evl_assert_ok(evls_append_submit(s, &a2));
	evls_store_close(s); /* drains the queue */
	cr_assert_eq(atomic_load(&done), 2);
	evl_assert_ok(a1.err);
	evl_assert_ok(a2.err);
	cr_assert(a2.duplicate);
	cr_assert_eq(a2.base_offset, a1.base_offset);
	cr_assert_eq(a2.append_time, a1.append_time);
	evlp_free(b1);
	evlp_free(b2);
	tu_rmdir(dir);
}

/* A power cut lost the log's last batches after the metadata saw them
 * (fsync NEVER): open pulls the stream heads back with the partition's,
 * so versions stay dense and no version names a reused offset. */
Test(stream, log_shortened_by_power_cut)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_append a;
	tu_streams(s, "acct", 1);
	evl_assert_ok(kappend(s, "acct", 1, "k", 2, false, 0, NULL)); /* seq 1 */
	evl_assert_ok(kappend(s, "acct", 1, "j", 1, false, 0, NULL)); /* seq 2 */
	evl_assert_ok(kappend(s, "acct", 1, "k", 3, false, 0, NULL)); /* seq 3 */
	evl_assert_ok(kappend(s, "acct", 1, "n", 1, false, 0, NULL)); /* seq 4 */
	evls_store_close(s);

	/* Lose seqs 3 and 4: k's versions 2..4 and all of n. */
	leveldb_options_t      *opt;
	leveldb_t              *db  = tu_raw_open(dir, "log", &opt);
	leveldb_writeoptions_t *wo  = leveldb_writeoptions_create();
	char                   *err = NULL;
	for (uint64_t seq = 3; seq <= 4; seq++) {
		uint8_t k[16] = { 0 };
		evlp_put_u64(k, seq);
		evlp_put_u32(k + 8, 1);
		leveldb_delete(db, wo, (char *) k, 16, &err);
		cr_assert_null(err);
	}
	leveldb_writeoptions_destroy(wo);
	tu_raw_close(db, opt);

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_stream_info i;
	evl_assert_ok(evls_stream_info_get(s, "acct", "k", 1, &i));
	cr_assert_eq(i.version, 1, "k is back at its last version kept");
	evl_assert_ok(evls_stream_info_get(s, "acct", "n", 1, &i));
	cr_assert_eq(i.version, -1, "n lost its only event");
	evl_assert_ok(kappend(s, "acct", 1, "k", 1, true, 1, &a));
	cr_assert_eq(a.version, 2);
	evl_assert_ok(kappend(s, "acct", 1, "other", 2, false, 0, NULL));
	got g = { 0 };
	evl_assert_ok(evls_stream_read(s, "acct", "k", 1, 0, false, 0,
	    SIZE_MAX, got_sink, &g, &i));
	cr_assert_eq(g.n, 3, "versions 0, 1 and the new 2");
	cr_assert_eq(g.versions[2], 2);
	cr_assert_str_eq(g.values[2], "k:0");
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_stream_read(s, "acct", "n", 1, 0, false, 0,
	    SIZE_MAX, got_sink, &g, NULL));
	cr_assert_eq(g.n, 0, "no version names another key's record");
	evls_store_close(s);
	tu_rmdir(dir);
}
