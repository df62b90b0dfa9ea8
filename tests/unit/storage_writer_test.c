/*
 * The group-commit writer (storage/writer.c): stamped offsets and times,
 * dense offsets under concurrent appenders, acks=fsync, on_append,
 * resubmission from done, submit errors, close draining the queue.
 */
#include "storage_testutil.h"

#include <pthread.h>

Test(writer, append_stamps_offsets_and_time)
{
	char          *dir   = tu_mkdtemp();
	_Atomic int64_t clock = 5000;
	evls_options   o;
	evls_store    *s;
	evls_options_init(&o);
	o.dir       = dir;
	o.clock_ms  = tu_clock;
	o.clock_arg = &clock;
	evl_assert_ok(evls_store_open(&s, &o));
	tu_create(s, "t", 2);

	size_t      len;
	evls_append a = { .topic = "t", .partition = 1 };
	a.batch       = tu_batch(10, 100, 0, &len);
	a.len         = len;
	evl_assert_ok(evls_append_wait(s, &a));
	cr_assert_eq(a.base_offset, 0);
	cr_assert_eq(a.append_time, 5000);
	evlp_batch_hdr h;
	evl_assert_ok(evlp_batch_check(a.batch, a.len, &h));
	cr_assert_eq(h.base_offset, 0, "stamped into the batch");
	cr_assert_eq(h.append_time, 5000);

	/* The clock goes back: the partition's time does not. */
	atomic_store(&clock, 4000);
	evl_assert_ok(evls_append_wait(s, &a));
	cr_assert_eq(a.base_offset, 10);
	cr_assert_eq(a.append_time, 5000);
	atomic_store(&clock, 6000);
	evl_assert_ok(evls_append_wait(s, &a));
	cr_assert_eq(a.base_offset, 20);
	cr_assert_eq(a.append_time, 6000);

	uint64_t base;
	evl_assert_ok(tu_append(s, "t", 0, 3, &base));
	cr_assert_eq(base, 0, "partitions count apart");

	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 1, &info));
	cr_assert_eq(info.next_offset, 30);
	cr_assert_eq(info.records, 30);
	cr_assert_eq(info.bytes, 3 * len);
	evlp_free(a.batch);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(writer, submit_errors)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 1);
	size_t      len;
	uint8_t    *b = tu_batch(2, 10, 0, &len);
	evls_append a = { .topic = "t", .batch = b, .len = 10 };
	evl_assert_err(evls_append_wait(s, &a), EVL_EINVAL);
	evl_assert_err(evls_append_submit(s, NULL), EVL_EINVAL);
	a.len   = len;
	a.topic = "nope";
	evl_assert_err(evls_append_wait(s, &a), EVL_ENOTOPIC);
	a.topic     = "t";
	a.partition = 1;
	evl_assert_err(evls_append_wait(s, &a), EVL_ENOPART);
	a.partition = 0;
	a.len       = len - 1;
	evl_assert_err(evls_append_wait(s, &a), EVL_EPROTO);
	a.len = len;
	evl_assert_ok(evls_append_wait(s, &a));
	cr_assert_eq(a.base_offset, 0, "failed appends took no offsets");
	evlp_free(b);
	evls_store_close(s);
	tu_rmdir(dir);
}

#define THREADS     8
#define PER_THREAD  200

typedef struct appender {
	evls_store *s;
	uint64_t    bases[PER_THREAD];
	uint32_t    counts[PER_THREAD];
} appender;

static void *
appender_main(void *arg)
{
	appender *ap = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		ap->counts[i] = 1 + (uint32_t) (i % 7);
		evl_assert_ok(
		    tu_append(ap->s, "t", 0, ap->counts[i], &ap->bases[i]));
	}
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

Test(writer, dense_offsets_under_concurrent_appenders)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 1);
	static appender ap[THREADS];
	pthread_t       th[THREADS];
	for (int i = 0; i < THREADS; i++) {
		ap[i].s = s;
		pthread_create(&th[i], NULL, appender_main, &ap[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);

	/* Sort (base, count) by base: each must start where the last
	 * ended, from 0, with no duplicate. */
	static uint64_t pairs[THREADS * PER_THREAD][2];
	size_t          n = 0;
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < PER_THREAD; j++, n++) {
			pairs[n][0] = ap[i].bases[j];
			pairs[n][1] = ap[i].counts[j];
		}
	qsort(pairs, n, sizeof(pairs[0]), cmp_u64);
	uint64_t next = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(pairs[i][0], next, "batch %zu at %llu, want %llu",
		    i, (unsigned long long) pairs[i][0],
		    (unsigned long long) next);
		next += pairs[i][1];
	}
	tu_got g = { 0 };
	evl_assert_ok(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.end, next);
	cr_assert_eq(g.batches, n);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(writer, acks_sync_under_every_policy)
{
	evls_fsync pol[] = { EVLS_FSYNC_NEVER, EVLS_FSYNC_INTERVAL,
		EVLS_FSYNC_ALWAYS };
	for (size_t i = 0; i < 3; i++) {
		char       *dir = tu_mkdtemp();
		evls_store *s   = tu_open(dir, pol[i]);
		tu_create(s, "t", 1);
		size_t      len;
		evls_append a = { .topic = "t", .sync = true };
		a.batch       = tu_batch(5, 50, 0, &len);
		a.len         = len;
		evl_assert_ok(evls_append_wait(s, &a));
		a.sync = false;
		evl_assert_ok(evls_append_wait(s, &a));
		cr_assert_eq(a.base_offset, 5);
		evlp_free(a.batch);
		evls_store_close(s);
		s = tu_open(dir, pol[i]);
		evls_partition_info info;
		evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
		cr_assert_eq(info.next_offset, 10);
		evls_store_close(s);
		tu_rmdir(dir);
	}
}

/* Async appends: done resubmits until a count is reached; on_append sees
 * each head move, never backwards. */
typedef struct chain {
	evls_store     *s;
	int             left;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            finished;
	uint64_t        heads_seen;
	uint64_t        last_head;
} chain;

static void
chain_on_append(void *arg, const char *topic, uint32_t part, uint64_t next)
{
	chain *c = arg;
	cr_assert_str_eq(topic, "t");
	cr_assert_eq(part, 0);
	cr_assert_gt(next, c->last_head);
	c->last_head = next;
	c->heads_seen++;
}

static void
chain_done(evls_append *a)
{
	chain *c = a->arg;
	cr_assert_eq(a->err, 0);
	if (--c->left > 0) {
		evl_assert_ok(evls_append_submit(c->s, a));
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->finished = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

Test(writer, done_may_resubmit_and_on_append_follows_head)
{
	char        *dir = tu_mkdtemp();
	chain        c   = { .left = 50 };
	evls_options o;
	evls_options_init(&o);
	o.dir           = dir;
	o.fsync         = EVLS_FSYNC_NEVER;
	o.on_append     = chain_on_append;
	o.on_append_arg = &c;
	evl_assert_ok(evls_store_open(&c.s, &o));
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	tu_create(c.s, "t", 1);
	size_t      len;
	evls_append a = { .topic = "t", .done = chain_done, .arg = &c };
	a.batch       = tu_batch(4, 10, 0, &len);
	a.len         = len;
	evl_assert_ok(evls_append_submit(c.s, &a));
	pthread_mutex_lock(&c.mu);
	while (!c.finished)
		pthread_cond_wait(&c.cv, &c.mu);
	pthread_mutex_unlock(&c.mu);
	cr_assert_eq(a.base_offset, 49 * 4);
	cr_assert_eq(c.last_head, 200);
	cr_assert_eq(c.heads_seen, 50);
	evlp_free(a.batch);
	evls_store_close(c.s);
	tu_rmdir(dir);
}

/* Close answers every queued append: none is lost or left hanging. */
static atomic_int answered;

static void
count_done(evls_append *a)
{
	cr_assert_eq(a->err, 0);
	atomic_fetch_add(&answered, 1);
}

Test(writer, close_drains_queue)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_ALWAYS);
	tu_create(s, "t", 1);
	size_t       len;
	uint8_t     *b = tu_batch(1, 10, 0, &len);
	static evls_append as[500];
	static uint8_t     copies[500][256];
	cr_assert_leq(len, sizeof(copies[0]));
	for (int i = 0; i < 500; i++) {
		memcpy(copies[i], b, len);
		as[i] = (evls_append) { .topic = "t", .batch = copies[i],
			.len = len, .done = count_done };
		evl_assert_ok(evls_append_submit(s, &as[i]));
	}
	evls_store_close(s);
	cr_assert_eq(atomic_load(&answered), 500);
	s = tu_open(dir, EVLS_FSYNC_ALWAYS);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.next_offset, 500);
	evls_store_close(s);
	evlp_free(b);
	tu_rmdir(dir);
}
