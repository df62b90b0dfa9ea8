/*
 * evlog-id dedupe windows in the store (storage/heads.c, dedupe.c): a
 * duplicate within the window is answered with the original offset and
 * not appended, after the window it is appended, ids pending in the same
 * write group count, retries of whole and partial batches, bad ids, the
 * prune, replay and restart, alter and topic delete.
 */
#include "storage_testutil.h"

#include <sched.h>
#include <time.h>

#include "store_int.h" /* commit_mu: to hold appends into one group */

static int64_t
tu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define WINDOW 1000

typedef struct dstore {
	char           *dir;
	_Atomic int64_t clock;
	evls_store     *s;
} dstore;

static void
d_open(dstore *d)
{
	evls_options o;
	evls_options_init(&o);
	o.dir = d->dir;
	o.fsync = EVLS_FSYNC_NEVER;
	o.clock_ms = tu_clock;
	o.clock_arg = &d->clock;
	evl_assert_ok(evls_store_open(&d->s, &o));
}

static void
d_init(dstore *d, uint32_t partitions, int64_t window)
{
	evls_topic_config c;
	d->dir = tu_mkdtemp();
	atomic_store(&d->clock, 10000);
	d_open(d);
	evls_topic_config_init(&c);
	c.partitions = partitions;
	c.dedupe_window_ms = window;
	evl_assert_ok(evls_topic_create(d->s, "t", &c));
}

static void
d_fini(dstore *d)
{
	evls_store_close(d->s);
	tu_rmdir(d->dir);
}

/* A batch of records with the given ids ("" = no evlog-id header); a
 * value "v<i>" each. */
static uint8_t *
idbatch_p(
    const char *const *ids, size_t n, int64_t pid, int32_t seq, size_t *len)
{
	size_t             cap = 128 + n * 512;
	uint8_t           *buf = evlp_alloc(cap);
	evlp_batch_builder b;
	cr_assert_not_null(buf);
	evlp_batch_build_init(&b, buf, cap);
	if (pid >= 0)
		evlp_batch_build_producer(&b, pid, 0, seq);
	for (size_t i = 0; i < n; i++) {
		char           v[16];
		int            vn = snprintf(v, sizeof(v), "v%zu", i);
		evlp_header    h[2] = { { { (const uint8_t *) "x", 1 },
			                    { (const uint8_t *) "y", 1 } },
			   { { (const uint8_t *) "evlog-id", 8 },
			       { (const uint8_t *) ids[i], strlen(ids[i]) } } };
		evlp_record_in r = { .value = v,
			.value_len = (size_t) vn,
			.headers = h,
			.header_count = ids[i][0] ? 2 : 1,
			.timestamp = 1 };
		evl_assert_ok(evlp_batch_build_add(&b, &r));
	}
	evl_assert_ok(evlp_batch_build_finish(&b, len));
	return buf;
}

static uint8_t *
idbatch(const char *const *ids, size_t n, size_t *len)
{
	return idbatch_p(ids, n, -1, 0, len);
}

/* Appends a batch of ids to partition 0 of "t"; *a gets the answer. */
static int
ids_append(dstore *d, const char *const *ids, size_t n, evls_append *out)
{
	size_t      len;
	evls_append a = { .topic = "t" };
	a.batch = idbatch(ids, n, &len);
	a.len = len;
	int rv = evls_append_wait(d->s, &a);
	evlp_free(a.batch);
	a.batch = NULL;
	if (out != NULL)
		*out = a;
	return rv;
}

static int
id1(dstore *d, const char *id, evls_append *out)
{
	const char *ids[] = { id };
	return ids_append(d, ids, 1, out);
}

static uint64_t
head(dstore *d, uint32_t part)
{
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(d->s, "t", part, &info));
	return info.next_offset;
}

Test(dedupe, duplicate_within_window_gets_original_offset)
{
	dstore      d;
	evls_append a;
	d_init(&d, 1, WINDOW);
	evl_assert_ok(id1(&d, "a", &a));
	cr_assert_eq(a.base_offset, 0);
	cr_assert_not(a.duplicate);
	evl_assert_ok(id1(&d, "b", &a));
	cr_assert_eq(a.base_offset, 1);

	atomic_store(&d.clock, 10000 + WINDOW - 1);
	evl_assert_ok(id1(&d, "a", &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 0);
	cr_assert_eq(a.append_time, 10000);
	cr_assert_eq(head(&d, 0), 2, "a duplicate appends nothing");

	/* A record without an id is never a duplicate. */
	evl_assert_ok(id1(&d, "", &a));
	evl_assert_ok(id1(&d, "", &a));
	cr_assert_not(a.duplicate);
	cr_assert_eq(head(&d, 0), 4);
	d_fini(&d);
}

Test(dedupe, after_the_window_it_is_appended_again)
{
	dstore      d;
	evls_append a;
	d_init(&d, 1, WINDOW);
	evl_assert_ok(id1(&d, "a", &a));
	atomic_store(&d.clock, 10000 + WINDOW);
	evl_assert_ok(id1(&d, "a", &a));
	cr_assert_not(a.duplicate);
	cr_assert_eq(a.base_offset, 1);
	/* ... and the window runs from the new append. */
	atomic_store(&d.clock, 10000 + 2 * WINDOW - 1);
	evl_assert_ok(id1(&d, "a", &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 1);
	cr_assert_eq(head(&d, 0), 2);
	d_fini(&d);
}

Test(dedupe, retries_of_batches_and_bad_ids)
{
	dstore      d;
	evls_append a;
	d_init(&d, 1, WINDOW);
	evl_assert_ok(id1(&d, "first", &a));
	const char *xyz[] = { "x", "y", "z" };
	evl_assert_ok(ids_append(&d, xyz, 3, &a));
	cr_assert_eq(a.base_offset, 1);

	/* The whole batch again, and its tail alone. */
	evl_assert_ok(ids_append(&d, xyz, 3, &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 1);
	evl_assert_ok(ids_append(&d, xyz + 1, 2, &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 2);

	/* The update loop tags only its first record. */
	const char *u[] = { "u", "", "" };
	evl_assert_ok(ids_append(&d, u, 3, &a));
	cr_assert_eq(a.base_offset, 4);
	evl_assert_ok(ids_append(&d, u, 3, &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 4);
	cr_assert_eq(head(&d, 0), 7);

	/* One base offset cannot answer these: refused, nothing appended. */
	const char *mixed[] = { "y", "new" };
	const char *apart[] = { "x", "z" };
	const char *twice[] = { "n", "n" };
	const char *order[] = { "first", "x" }; /* offsets 0, 1: fine */
	evl_assert_err(ids_append(&d, mixed, 2, NULL), EVL_EINVAL);
	evl_assert_err(ids_append(&d, apart, 2, NULL), EVL_EINVAL);
	evl_assert_err(ids_append(&d, twice, 2, NULL), EVL_EINVAL);
	evl_assert_ok(ids_append(&d, order, 2, &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 0);
	char long_id[EVLS_ID_MAX + 2];
	memset(long_id, 'l', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	evl_assert_err(id1(&d, long_id, NULL), EVL_EINVAL);
	long_id[EVLS_ID_MAX] = '\0';
	evl_assert_ok(id1(&d, long_id, NULL));
	cr_assert_eq(head(&d, 0), 8);
	/* "new" was not remembered by the refused batch. */
	evl_assert_ok(id1(&d, "new", &a));
	cr_assert_not(a.duplicate);
	d_fini(&d);
}

Test(dedupe, off_without_a_window_and_per_partition)
{
	dstore            d;
	evls_append       a;
	evls_topic_config c;
	d_init(&d, 2, WINDOW);
	evls_topic_config_init(&c);
	evl_assert_ok(evls_topic_create(d.s, "plain", &c));
	for (int i = 0; i < 2; i++) {
		size_t      len;
		const char *ids[] = { "a" };
		evls_append p = { .topic = "plain" };
		p.batch = idbatch(ids, 1, &len);
		p.len = len;
		evl_assert_ok(evls_append_wait(d.s, &p));
		cr_assert_not(p.duplicate);
		cr_assert_eq(p.base_offset, (uint64_t) i);
		/* The same id on another partition of "t" is another id. */
		p.topic = "t";
		p.partition = (uint32_t) i;
		evl_assert_ok(evls_append_wait(d.s, &p));
		cr_assert_not(p.duplicate);
		evlp_free(p.batch);
	}
	evl_assert_ok(id1(&d, "a", &a));
	cr_assert(a.duplicate);
	d_fini(&d);
}

static void
count_done(evls_append *a)
{
	atomic_fetch_add((atomic_int *) a->arg, 1);
}

/* Appends queued behind a held commit_mu share one group: the ids an
 * earlier append of it reserved count for the later ones. */
Test(dedupe, ids_pending_in_one_group)
{
	dstore      d;
	atomic_int  done = 0;
	const char *ids[][2] = { { "p", "q" }, { "p", "q" }, { "q", "" },
		{ "r", "" }, { "p", "r" } };
	size_t      n[] = { 2, 2, 1, 1, 2 };
	evls_append a[6];
	d_init(&d, 1, WINDOW);
	evl_assert_ok(id1(&d, "old", NULL));

	pthread_mutex_lock(&d.s->commit_mu);
	/* a[0] is taken by the writer, which then waits for commit_mu;
	 * the rest queue up behind it and form the next group. */
	memset(a, 0, sizeof(a));
	for (int i = 0; i < 6; i++) {
		size_t      len;
		const char *old[] = { "old" };
		a[i].topic = "t";
		a[i].batch = i == 0 ? idbatch(old, 1, &len)
		                    : idbatch(ids[i - 1], n[i - 1], &len);
		a[i].len = len;
		a[i].done = count_done;
		a[i].arg = &done;
		evl_assert_ok(evls_append_submit(d.s, &a[i]));
		if (i == 0) {
			int64_t until = tu_now_ms() + 10000;
			bool    taken = false;
			while (!taken && tu_now_ms() < until) {
				pthread_mutex_lock(&d.s->mu);
				taken = d.s->qhead == NULL;
				pthread_mutex_unlock(&d.s->mu);
				if (!taken)
					sched_yield();
			}
			cr_assert(taken, "the writer took the first append");
		}
	}
	pthread_mutex_unlock(&d.s->commit_mu);
	int64_t until = tu_now_ms() + 10000;
	while (atomic_load(&done) < 6 && tu_now_ms() < until)
		sched_yield();
	cr_assert_eq(atomic_load(&done), 6);

	cr_assert(a[0].duplicate); /* "old", from the database */
	cr_assert_eq(a[0].base_offset, 0);
	evl_assert_ok(a[1].err); /* p q: offsets 1, 2 */
	cr_assert_not(a[1].duplicate);
	cr_assert_eq(a[1].base_offset, 1);
	evl_assert_ok(a[2].err); /* p q again: pending in the group */
	cr_assert(a[2].duplicate);
	cr_assert_eq(a[2].base_offset, 1);
	evl_assert_ok(a[3].err); /* q alone: its record in a[1] */
	cr_assert(a[3].duplicate);
	cr_assert_eq(a[3].base_offset, 2);
	evl_assert_ok(a[4].err); /* r: new, offset 3 */
	cr_assert_not(a[4].duplicate);
	cr_assert_eq(a[4].base_offset, 3);
	/* p (a[1]) and r (a[4]) are pending in different appends. */
	evl_assert_err(a[5].err, EVL_EINVAL);
	cr_assert_eq(head(&d, 0), 4);
	for (int i = 0; i < 6; i++)
		evlp_free(a[i].batch);
	d_fini(&d);
}

Test(dedupe, restart_keeps_the_window_and_replay_rebuilds_it)
{
	dstore      d;
	evls_append a;
	d_init(&d, 1, WINDOW);
	evl_assert_ok(id1(&d, "a", NULL));
	evl_assert_ok(id1(&d, "b", NULL));
	evls_store_close(d.s);
	d_open(&d);
	evl_assert_ok(id1(&d, "a", &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 0);

	/* The metadata write of "c" lost (a crash between the writer's two
	 * writes): open replays it from the log, ids included. */
	evls_store_test_hooks(d.s, EVLS_HOOK_SKIP_META);
	evl_assert_ok(id1(&d, "c", &a));
	cr_assert_eq(a.base_offset, 2);
	evls_store_close(d.s);
	d_open(&d);
	evl_assert_ok(id1(&d, "c", &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 2);
	cr_assert_eq(head(&d, 0), 3);
	d_fini(&d);
}

/* Counts the meta keys starting with pfx. */
static size_t
meta_count(dstore *d, char pfx)
{
	evls_store_close(d->s);
	leveldb_options_t     *opt;
	leveldb_t             *db = tu_raw_open(d->dir, "meta", &opt);
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	leveldb_iterator_t    *it = leveldb_create_iterator(db, ro);
	size_t                 n = 0;
	leveldb_iter_seek(it, &pfx, 1);
	for (; leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t      kl;
		const char *k = leveldb_iter_key(it, &kl);
		if (kl == 0 || k[0] != pfx)
			break;
		n++;
	}
	leveldb_iter_destroy(it);
	leveldb_readoptions_destroy(ro);
	tu_raw_close(db, opt);
	d_open(d);
	return n;
}

Test(dedupe, prune_expires_ids_past_the_window)
{
	dstore               d;
	evls_append          a;
	evls_retention_stats st;
	d_init(&d, 2, WINDOW);
	for (int i = 0; i < 10; i++) {
		char id[8];
		snprintf(id, sizeof(id), "i%d", i);
		atomic_store(&d.clock, 10000 + 100 * i);
		evl_assert_ok(id1(&d, id, NULL));
	}
	/* i0 expired but not pruned: appended again, a newer entry. */
	atomic_store(&d.clock, 10000 + WINDOW + 50);
	evl_assert_ok(id1(&d, "i0", &a));
	cr_assert_not(a.duplicate);
	cr_assert_eq(meta_count(&d, 'X'), 10);
	cr_assert_eq(meta_count(&d, 'Y'), 11);

	/* At 10000 + WINDOW + 450: i0..i4 (times 10000..10400) expired; the
	 * new i0 (10000 + WINDOW + 50) and i5..i9 not. */
	evl_assert_ok(evls_retention_run(d.s, 10000 + WINDOW + 450, &st));
	cr_assert_eq(st.ids_expired, 4);
	cr_assert_eq(meta_count(&d, 'X'), 6);
	cr_assert_eq(meta_count(&d, 'Y'), 6);
	atomic_store(&d.clock, 10000 + WINDOW + 450);
	evl_assert_ok(id1(&d, "i0", &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 10);
	evl_assert_ok(id1(&d, "i6", &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 6);
	evl_assert_ok(id1(&d, "i2", &a));
	cr_assert_not(a.duplicate);

	/* Turning the window off makes every id expired. */
	evls_topic_config c;
	evl_assert_ok(evls_topic_get(d.s, "t", &c));
	c.dedupe_window_ms = 0;
	evl_assert_ok(evls_topic_alter(d.s, "t", &c));
	evl_assert_ok(evls_retention_run(d.s, 0, &st));
	cr_assert_eq(meta_count(&d, 'X'), 0);
	cr_assert_eq(meta_count(&d, 'Y'), 0);
	evl_assert_ok(evls_topic_get(d.s, "t", &c));
	cr_assert_eq(c.dedupe_window_ms, 0);
	c.dedupe_window_ms = -1;
	evl_assert_err(evls_topic_alter(d.s, "t", &c), EVL_EINVAL);
	d_fini(&d);
}

Test(dedupe, window_survives_reopen_and_delete_sweeps_ids)
{
	dstore            d;
	evls_topic_config c;
	d_init(&d, 1, WINDOW);
	evl_assert_ok(id1(&d, "a", NULL));
	evls_store_close(d.s);
	d_open(&d);
	evl_assert_ok(evls_topic_get(d.s, "t", &c));
	cr_assert_eq(c.dedupe_window_ms, WINDOW);
	evl_assert_ok(evls_topic_delete(d.s, "t"));
	cr_assert_eq(meta_count(&d, 'X'), 0);
	cr_assert_eq(meta_count(&d, 'Y'), 0);
	d_fini(&d);
}

/* An idempotent producer's id id at sequence seq. */
static int
pid_append(
    dstore *d, int64_t pid, int32_t seq, const char *id, evls_append *out)
{
	size_t      len;
	const char *ids[] = { id };
	evls_append a = { .topic = "t" };
	a.batch = idbatch_p(ids, 1, pid, seq, &len);
	a.len = len;
	int rv = evls_append_wait(d->s, &a);
	evlp_free(a.batch);
	a.batch = NULL;
	*out = a;
	return rv;
}

/* A producer's new batch answered as an id duplicate still takes its
 * sequence, and a retry of it gets the same answer -- also when the
 * original is pending in the same group, and after a reopen. */
Test(dedupe, idempotent_producer_batch_with_seen_ids)
{
	dstore      d;
	evls_append a;
	atomic_int  done = 0;
	d_init(&d, 1, WINDOW);
	evl_assert_ok(pid_append(&d, 5, 0, "a", &a));
	cr_assert_eq(a.base_offset, 0);
	evl_assert_ok(pid_append(&d, 6, 0, "a", &a)); /* new producer */
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 0);
	evl_assert_ok(pid_append(&d, 6, 0, "a", &a)); /* its retry */
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 0);
	evl_assert_ok(pid_append(&d, 6, 1, "b", &a)); /* goes on */
	cr_assert_not(a.duplicate);
	cr_assert_eq(a.base_offset, 1);

	/* In one group: 8 appends "c"; 9 repeats it, then retries. */
	evls_append g[4];
	int64_t     pids[] = { 5, 8, 9, 9 };
	int32_t     seqs[] = { 1, 0, 0, 0 };
	memset(g, 0, sizeof(g));
	pthread_mutex_lock(&d.s->commit_mu);
	for (int i = 0; i < 4; i++) {
		size_t      len;
		const char *ids[] = { i == 0 ? "blocker" : "c" };
		g[i].topic = "t";
		g[i].batch = idbatch_p(ids, 1, pids[i], seqs[i], &len);
		g[i].len = len;
		g[i].done = count_done;
		g[i].arg = &done;
		evl_assert_ok(evls_append_submit(d.s, &g[i]));
		int64_t until = tu_now_ms() + 10000;
		bool    taken = i > 0;
		while (!taken && tu_now_ms() < until) {
			pthread_mutex_lock(&d.s->mu);
			taken = d.s->qhead == NULL;
			pthread_mutex_unlock(&d.s->mu);
			if (!taken)
				sched_yield();
		}
		cr_assert(taken);
	}
	pthread_mutex_unlock(&d.s->commit_mu);
	int64_t until = tu_now_ms() + 10000;
	while (atomic_load(&done) < 4 && tu_now_ms() < until)
		sched_yield();
	cr_assert_eq(atomic_load(&done), 4);
	for (int i = 0; i < 4; i++)
		evl_assert_ok(g[i].err);
	cr_assert_eq(g[1].base_offset, 3);
	cr_assert(g[2].duplicate);
	cr_assert_eq(g[2].base_offset, 3);
	cr_assert(g[3].duplicate);
	cr_assert_eq(g[3].base_offset, 3);
	for (int i = 0; i < 4; i++)
		evlp_free(g[i].batch);

	/* The state written for 9 names the original offset. */
	evls_store_close(d.s);
	d_open(&d);
	evl_assert_ok(pid_append(&d, 9, 0, "c", &a));
	cr_assert(a.duplicate);
	cr_assert_eq(a.base_offset, 3);
	evl_assert_ok(pid_append(&d, 9, 1, "e", &a));
	cr_assert_eq(a.base_offset, 4);
	evl_assert_ok(pid_append(&d, 6, 2, "f", &a));
	cr_assert_eq(a.base_offset, 5);
	d_fini(&d);
}
