/*
 * client_pubsub_test.c -- libevlog producing and reading against a real
 * evlogd: many records across partitions, keys on stable partitions,
 * delivery reports, flush, follow latency, seek by time.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"
#include "partition.h"

static evlct_broker broker;

static void
setup(void)
{
	cr_assert_eq(evlct_broker_start(&broker, NULL, NULL), 0,
	    "evlogd did not start");
}

static void
teardown(void)
{
	evlct_broker_stop(&broker, false);
}

TestSuite(client_pubsub, .init = setup, .fini = teardown, .timeout = 240);

static evl_client *
connect_client(void)
{
	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url = broker.url;
	evl_assert_ok(evl_client_open(&c, &o));
	return c;
}

static void
create_topic(evl_client *c, const char *name, uint32_t parts)
{
	evl_topic_config cfg;
	evl_topic_config_init(&cfg);
	cfg.partitions = parts;
	evl_assert_ok(evl_topic_create(c, name, &cfg));
}

static int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- 100,000 records across 4 partitions ------------------------------ */

#define N_RECORDS  100000
#define N_KEYS     1000
#define N_PARTS    4
#define VALUE_SIZE 100

struct dstate {
	uint32_t   *part;
	uint64_t   *offset;
	int        *err;
	atomic_int  calls;
};

static void
on_delivery(void *arg, const evl_delivery *d)
{
	struct dstate *s = arg;
	size_t         i = (size_t) (uintptr_t) d->opaque;
	s->part[i]       = d->partition;
	s->offset[i]     = d->offset;
	s->err[i]        = d->err;
	atomic_fetch_add(&s->calls, 1);
}

static void
make_record(char *key, size_t keycap, char *value, uint32_t i)
{
	snprintf(key, keycap, "key-%u", i % N_KEYS);
	memset(value, 'x', VALUE_SIZE);
	int n = snprintf(value, VALUE_SIZE, "%u", i);
	value[n] = ' ';
}

Test(client_pubsub, hundred_thousand_records)
{
	evl_client       *c = connect_client();
	evl_producer     *p;
	evl_producer_opts po;
	struct dstate     s = { 0 };
	create_topic(c, "many", N_PARTS);

	s.part   = calloc(N_RECORDS, sizeof(*s.part));
	s.offset = calloc(N_RECORDS, sizeof(*s.offset));
	s.err    = calloc(N_RECORDS, sizeof(*s.err));
	cr_assert(s.part && s.offset && s.err);
	evl_producer_opts_init(&po);
	po.on_delivery     = on_delivery;
	po.on_delivery_arg = &s;
	po.batch_bytes     = 128 * 1024;
	evl_assert_ok(evl_producer_open(&p, c, &po));

	char key[32], value[VALUE_SIZE];
	for (uint32_t i = 0; i < N_RECORDS; i++) {
		make_record(key, sizeof(key), value, i);
		evl_message m = { .topic = "many",
			.partition       = EVL_PARTITION_ANY,
			.key             = key,
			.key_len         = strlen(key),
			.value           = value,
			.value_len       = VALUE_SIZE,
			.opaque          = (void *) (uintptr_t) i };
		evl_assert_ok(evl_produce(p, &m));
	}
	evl_assert_ok(evl_producer_flush(p, 60000));
	cr_assert_eq(atomic_load(&s.calls), N_RECORDS,
	    "%d delivery reports for %d records", atomic_load(&s.calls),
	    N_RECORDS);

	/* Every key on its hash's partition; offsets dense per partition,
	 * in produce order. */
	uint64_t next[N_PARTS] = { 0 };
	for (uint32_t i = 0; i < N_RECORDS; i++) {
		make_record(key, sizeof(key), value, i);
		cr_assert_eq(s.err[i], 0, "record %u: %s", i,
		    evl_errname(s.err[i]));
		cr_assert_eq(s.part[i],
		    evlp_partition_for_key(key, strlen(key), N_PARTS),
		    "record %u on partition %u", i, s.part[i]);
		cr_assert_eq(s.offset[i], next[s.part[i]],
		    "record %u at offset %" PRIu64 ", want %" PRIu64, i,
		    s.offset[i], next[s.part[i]]);
		next[s.part[i]]++;
	}
	evl_producer_close(p);

	/* Read everything back with one reader over all partitions. */
	evl_reader       *r;
	const evl_record *rec;
	uint8_t          *seen = calloc(N_RECORDS, 1);
	int64_t           last[N_PARTS];
	cr_assert(seen);
	evl_assert_ok(evl_reader_open(&r, c, "many", NULL));
	cr_assert_eq(evl_reader_partitions(r), N_PARTS);
	for (uint32_t pt = 0; pt < N_PARTS; pt++) {
		evl_assert_ok(evl_reader_seek(r, pt, EVL_OFFSET_BEGINNING));
		last[pt] = -1;
	}
	for (uint32_t got = 0; got < N_RECORDS; got++) {
		evl_assert_ok(evl_reader_next(r, &rec, 10000));
		cr_assert_eq(rec->value_len, VALUE_SIZE);
		uint32_t i = (uint32_t) strtoul(rec->value, NULL, 10);
		cr_assert_lt(i, N_RECORDS);
		cr_assert_eq(seen[i], 0, "record %u read twice", i);
		seen[i] = 1;
		cr_assert_eq(rec->partition, s.part[i]);
		cr_assert_eq(rec->offset, s.offset[i]);
		cr_assert_gt((int64_t) i, last[rec->partition],
		    "order broken on partition %u", rec->partition);
		last[rec->partition] = i;
		make_record(key, sizeof(key), value, i);
		cr_assert_eq(rec->key_len, strlen(key));
		cr_assert_eq(memcmp(rec->key, key, rec->key_len), 0);
		cr_assert_eq(memcmp(rec->value, value, VALUE_SIZE), 0);
		cr_assert_gt(rec->timestamp, 0);
	}
	/* Nothing more. */
	evl_assert_err(evl_reader_next(r, &rec, 0), EVL_ETIMEDOUT);
	evl_reader_close(r);
	free(seen);
	free(s.part);
	free(s.offset);
	free(s.err);
	evl_client_close(c);
}

/* ---- headers, sync produce, explicit partitions, round-robin ---------- */

Test(client_pubsub, headers_and_partition_choice)
{
	evl_client *c = connect_client();
	create_topic(c, "hdr", 3);
	evl_header h[2] = { { "trace", 5, "abc", 3 }, { "empty", 5, "", 0 } };
	uint64_t   off;
	evl_message m = { .topic = "hdr",
		.partition       = 2,
		.value           = "v",
		.value_len       = 1,
		.headers         = h,
		.header_count    = 2,
		.timestamp       = 1234 };
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, &off));
	cr_assert_eq(off, 0);
	m.partition = 3;
	evl_assert_err(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, &off),
	    EVL_ENOPART);

	/* Keyless records go round-robin over the partitions. */
	evl_producer *p;
	evl_assert_ok(evl_producer_open(&p, c, NULL));
	evl_message k = { .topic = "hdr",
		.partition       = EVL_PARTITION_ANY,
		.value           = "rr",
		.value_len       = 2 };
	for (int i = 0; i < 30; i++)
		evl_assert_ok(evl_produce(p, &k));
	evl_assert_ok(evl_producer_flush(p, 10000));
	evl_producer_close(p);

	evl_topic_info *t;
	evl_assert_ok(evl_topic_describe(c, "hdr", &t));
	cr_assert_eq(t->partition_count, 3);
	cr_assert_eq(t->partitions[0].next_offset, 10);
	cr_assert_eq(t->partitions[1].next_offset, 10);
	cr_assert_eq(t->partitions[2].next_offset, 11);
	evl_topic_info_free(t, 1);

	evl_reader       *r;
	const evl_record *rec;
	evl_assert_ok(evl_reader_open(&r, c, "hdr", NULL));
	evl_assert_ok(evl_reader_seek(r, 2, 0));
	evl_assert_ok(evl_reader_next(r, &rec, 5000));
	cr_assert_eq(rec->offset, 0);
	cr_assert_null(rec->key);
	cr_assert_eq(rec->producer_timestamp, 1234);
	cr_assert_eq(rec->header_count, 2);
	cr_assert_eq(rec->headers[0].name_len, 5);
	cr_assert_eq(memcmp(rec->headers[0].name, "trace", 5), 0);
	cr_assert_eq(rec->headers[0].value_len, 3);
	cr_assert_eq(memcmp(rec->headers[0].value, "abc", 3), 0);
	cr_assert_eq(rec->headers[1].value_len, 0);
	/* A position in the middle of a batch skips the records before. */
	evl_assert_ok(evl_reader_seek(r, 0, 7));
	evl_assert_ok(evl_reader_unassign(r, 2));
	evl_assert_ok(evl_reader_next(r, &rec, 5000));
	cr_assert_eq(rec->partition, 0);
	cr_assert_eq(rec->offset, 7);
	uint64_t pos;
	evl_assert_ok(evl_reader_position(r, 0, &pos));
	cr_assert_eq(pos, 8);
	evl_reader_close(r);
	evl_client_close(c);
}

/* ---- delivery errors reach on_delivery and flush ---------------------- */

struct errstate {
	atomic_int calls;
	atomic_int last_err;
	atomic_int bad_offsets; /* failed reports with an offset */
};

static void
on_err_delivery(void *arg, const evl_delivery *d)
{
	struct errstate *s = arg;
	atomic_store(&s->last_err, d->err);
	atomic_fetch_add(&s->calls, 1);
	if (d->err != 0 && d->offset != UINT64_MAX)
		atomic_fetch_add(&s->bad_offsets, 1);
}

Test(client_pubsub, delivery_error)
{
	evl_client       *c = connect_client();
	evl_producer     *p;
	evl_producer_opts po;
	struct errstate   s = { 0 };
	create_topic(c, "gone", 1);
	evl_producer_opts_init(&po);
	po.on_delivery     = on_err_delivery;
	po.on_delivery_arg = &s;
	evl_assert_ok(evl_producer_open(&p, c, &po));
	evl_message m = { .topic = "gone",
		.partition       = EVL_PARTITION_ANY,
		.value           = "x",
		.value_len       = 1 };
	/* Unknown topics fail at once. */
	m.topic = "never-made";
	evl_assert_err(evl_produce(p, &m), EVL_ENOTOPIC);
	/* A topic deleted behind the producer's cached metadata fails in
	 * the delivery report. */
	m.topic = "gone";
	evl_assert_ok(evl_produce(p, &m));
	evl_assert_ok(evl_producer_flush(p, 10000));
	cr_assert_eq(atomic_load(&s.calls), 1);
	cr_assert_eq(atomic_load(&s.last_err), 0);
	evl_assert_ok(evl_topic_delete(c, "gone"));
	evl_assert_ok(evl_produce(p, &m));
	evl_assert_ok(evl_produce(p, &m));
	evl_assert_err(evl_producer_flush(p, 10000), EVL_ENOTOPIC);
	cr_assert_eq(atomic_load(&s.calls), 3);
	cr_assert_eq(atomic_load(&s.last_err), EVL_ENOTOPIC);
	cr_assert_eq(atomic_load(&s.bad_offsets), 0);
	cr_assert_str_neq(evl_client_errmsg(c), "");
	/* The first error is reported once: the next flush is clean. */
	evl_assert_ok(evl_producer_flush(p, 10000));
	evl_producer_close(p);
	evl_client_close(c);
}

/* ---- follow: a waiting reader gets a record within 100 ms ------------- */

struct follower {
	evl_client *c;
	atomic_int  ready;
	atomic_int  got;
	int64_t     recv_wall[5];
	int64_t     append_wall[5];
	int         err;
};

static void *
follow_main(void *arg)
{
	struct follower  *f = arg;
	evl_reader       *r;
	evl_reader_opts   o;
	const evl_record *rec;
	evl_reader_opts_init(&o);
	o.max_wait_ms = 5000;
	if ((f->err = evl_reader_open(&r, f->c, "follow", &o)) != 0 ||
	    (f->err = evl_reader_seek(r, 0, EVL_OFFSET_END)) != 0)
		return NULL;
	for (int i = 0; i < 5; i++) {
		atomic_store(&f->ready, i + 1);
		if ((f->err = evl_reader_next(r, &rec, 10000)) != 0)
			break;
		f->recv_wall[i]   = wall_ms();
		f->append_wall[i] = rec->timestamp;
		atomic_store(&f->got, i + 1);
	}
	evl_reader_close(r);
	return NULL;
}

struct step {
	struct follower *f;
	int              want;
};

static bool
ready_for(void *arg)
{
	struct step *s = arg;
	return atomic_load(&s->f->ready) >= s->want;
}

static bool
got_for(void *arg)
{
	struct step *s = arg;
	return atomic_load(&s->f->got) >= s->want || s->f->err != 0;
}

Test(client_pubsub, follow_latency)
{
	evl_client     *c  = connect_client();
	evl_client     *rc = connect_client();
	struct follower f  = { .c = rc };
	pthread_t       th;
	create_topic(c, "follow", 1);
	pthread_create(&th, NULL, follow_main, &f);
	for (int i = 0; i < 5; i++) {
		struct step s = { &f, i + 1 };
		cr_assert(evlct_wait_until(ready_for, &s, 10000));
		evl_message m = { .topic = "follow",
			.partition       = 0,
			.value           = "tick",
			.value_len       = 4 };
		uint64_t t0 = evlct_now_ms();
		evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL));
		cr_assert(evlct_wait_until(got_for, &s, 10000));
		cr_assert_eq(f.err, 0, "%s", evl_errname(f.err));
		uint64_t t1 = evlct_now_ms();
		cr_assert_lt(t1 - t0, 100 + 50,
		    "produce to receipt took %" PRIu64 " ms", t1 - t0);
		cr_assert_lt(f.recv_wall[i] - f.append_wall[i], 100,
		    "received %" PRId64 " ms after its append",
		    f.recv_wall[i] - f.append_wall[i]);
	}
	pthread_join(th, NULL);
	evl_client_close(rc);
	evl_client_close(c);
}

/* ---- seek by time ----------------------------------------------------- */

static bool
clock_past(void *arg)
{
	return wall_ms() > *(int64_t *) arg;
}

Test(client_pubsub, seek_time)
{
	evl_client *c = connect_client();
	char        v[16];
	create_topic(c, "timed", 1);
	for (int i = 0; i < 20; i++) {
		/* Half-way, let the wall clock pass a millisecond mark that
		 * separates the two halves' append times. */
		int64_t mark = 0;
		if (i == 10) {
			mark = wall_ms();
			cr_assert(evlct_wait_until(clock_past, &mark, 1000));
			mark++;
		}
		int n = snprintf(v, sizeof(v), "%d", i);
		evl_message m = { .topic = "timed",
			.partition       = 0,
			.value           = v,
			.value_len       = (size_t) n };
		evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL));
		if (i == 10) {
			uint64_t off;
			evl_assert_ok(
			    evl_offset_for_time(c, "timed", 0, mark, &off));
			cr_assert_eq(off, 10);
			evl_reader       *r;
			const evl_record *rec;
			evl_assert_ok(evl_reader_open(&r, c, "timed", NULL));
			evl_assert_ok(evl_reader_seek_time(r, 0, mark));
			evl_assert_ok(evl_reader_next(r, &rec, 5000));
			cr_assert_eq(rec->offset, 10);
			cr_assert_geq(rec->timestamp, mark);
			evl_reader_close(r);
		}
	}
	uint64_t off;
	evl_assert_ok(evl_offset_for_time(c, "timed", 0, EVL_TIME_LATEST, &off));
	cr_assert_eq(off, 20);
	evl_assert_ok(
	    evl_offset_for_time(c, "timed", 0, EVL_TIME_EARLIEST, &off));
	cr_assert_eq(off, 0);
	evl_assert_ok(evl_offset_for_time(c, "timed", 0, wall_ms() + 60000,
	    &off));
	cr_assert_eq(off, 20);
	evl_client_close(c);
}

/* ---- parked fetches racing their own timeouts ------------------------- */

#define RACE_RECORDS   6000
#define RACE_FOLLOWERS 4

struct racer {
	evl_client *c;
	uint32_t    next; /* the value expected next */
	int         err;
};

static void *
racer_main(void *arg)
{
	struct racer     *f = arg;
	evl_reader_opts   ro;
	evl_reader       *r;
	const evl_record *rec;
	evl_reader_opts_init(&ro);
	/* 1 ms: most fetches park, and many sleeps end just as an append
	 * wakes them, so the broker's two ways to answer a parked fetch
	 * (the sleep's callback, the writer's wake) race constantly. */
	ro.max_wait_ms = 1;
	if ((f->err = evl_reader_open(&r, f->c, "race", &ro)) != 0)
		return NULL;
	if ((f->err = evl_reader_seek(r, 0, EVL_OFFSET_BEGINNING)) != 0) {
		evl_reader_close(r);
		return NULL;
	}
	uint64_t deadline = evlct_now_ms() + 120000;
	while (f->next < RACE_RECORDS && evlct_now_ms() < deadline) {
		int rv = evl_reader_next(r, &rec, 1);
		if (rv == EVL_ETIMEDOUT)
			continue;
		if (rv != 0) {
			f->err = rv;
			break;
		}
		char v[16];
		if (rec->value_len >= sizeof(v)) {
			f->err = EVL_EPROTO;
			break;
		}
		memcpy(v, rec->value, rec->value_len);
		v[rec->value_len] = '\0';
		if (strtoul(v, NULL, 10) != f->next || rec->offset != f->next) {
			f->err = EVL_EPROTO; /* out of order, lost or twice */
			break;
		}
		f->next++;
	}
	evl_reader_close(r);
	return NULL;
}

/* Every follower sees every record once and in order, whichever way
 * each of its parked fetches was answered. */
Test(client_pubsub, parked_fetches_racing_their_timeouts)
{
	evl_client   *c = connect_client();
	struct racer  f[RACE_FOLLOWERS];
	pthread_t     th[RACE_FOLLOWERS];
	evl_producer *p;
	evl_producer_opts po;
	create_topic(c, "race", 1);
	for (int i = 0; i < RACE_FOLLOWERS; i++) {
		/* Two followers per connection: one pipe's contexts and two
		 * pipes both. */
		f[i] = (struct racer) { .c = i % 2 ? f[i - 1].c : connect_client() };
		pthread_create(&th[i], NULL, racer_main, &f[i]);
	}
	evl_producer_opts_init(&po);
	po.linger_ms = 0;
	evl_assert_ok(evl_producer_open(&p, c, &po));
	for (uint32_t i = 0; i < RACE_RECORDS; i++) {
		evl_assert_ok(evlct_produce_number(p, "race", i));
		/* Small appends, one at a time: each one wakes the
		 * followers parked on the last. */
		if (i % 4 == 3)
			evl_assert_ok(evl_producer_flush(p, 30000));
	}
	evl_assert_ok(evl_producer_flush(p, 30000));
	evl_producer_close(p);
	for (int i = 0; i < RACE_FOLLOWERS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(f[i].err, 0, "follower %d at %u: %s", i, f[i].next,
		    evl_errname(f[i].err));
		cr_assert_eq(f[i].next, RACE_RECORDS, "follower %d", i);
	}
	for (int i = 0; i < RACE_FOLLOWERS; i += 2)
		evl_client_close(f[i].c);
	evl_client_close(c);
}
