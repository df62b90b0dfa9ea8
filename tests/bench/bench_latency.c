/*
 * bench_latency.c -- `evlog-bench latency`: a producer paced at --rate
 * records a second for --seconds, and a reader following the topic from
 * its head, on two connections in one process.
 *
 * Each payload starts with the monotonic time of its produce call (8
 * bytes, native order: both ends are this process), and the follower
 * records now minus that time for every record it is handed: the whole
 * path, producer batching and linger included (linger defaults to 0
 * here).  The pace is kept against absolute deadlines, so a late send
 * does not push every later one back.
 *
 * The table also shows the first half of that path on its own: produce
 * call to the producer's delivery report (the broker's acknowledgement),
 * from the same time carried in each record's opaque.  The rest is the
 * parked fetch being woken and answered (docs/PERFORMANCE.md).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

typedef struct follower {
	const evlb_args     *a;
	evl_client          *c;
	evl_reader          *r;
	evlb_hist           *lat;
	atomic_uint_fast64_t got;
	atomic_bool          stop; /* the producer gave up */
	atomic_int           rv;
} follower;

static void *
follower_main(void *arg)
{
	follower         *f = arg;
	const evl_record *rec;
	while (atomic_load(&f->got) < f->a->records &&
	    !atomic_load(&f->stop)) {
		int rv = evl_reader_next(f->r, &rec, 1000);
		if (rv == EVL_ETIMEDOUT)
			continue; /* the producer decides when it is over */
		if (rv != 0) {
			atomic_store(&f->rv, rv);
			evlb_fail(f->c, rv, "follow %s", f->a->topic);
			return NULL;
		}
		uint64_t now = evlb_now_ns(), sent;
		if (rec->value_len < sizeof(sent))
			continue; /* not one of ours */
		memcpy(&sent, rec->value, sizeof(sent));
		if (sent <= now)
			evlb_hist_add(f->lat, now - sent);
		atomic_fetch_add(&f->got, 1);
	}
	return NULL;
}

/* Delivery reports, on NNG's threads: produce call to acknowledgement. */
static void
on_ack(void *arg, const evl_delivery *d)
{
	uint64_t sent = (uint64_t) (uintptr_t) d->opaque, now = evlb_now_ns();
	if (d->err == 0 && sent != 0 && sent <= now)
		evlb_hist_add(arg, now - sent);
}

static void
sleep_until(uint64_t ns)
{
	struct timespec ts = { (time_t) (ns / 1000000000u),
		(long) (ns % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

int
evlb_latency_main(const evlb_args *a)
{
	follower          f = { .a = a };
	evlb_hist        *ack = NULL;
	evl_client       *pc = NULL;
	evl_producer     *p  = NULL;
	evl_producer_opts po;
	evl_reader_opts   ro;
	uint8_t          *buf = NULL;
	pthread_t         ft;
	bool              ft_started = false;
	int               rv, exit_code = EVLB_EXIT_FAIL;

	atomic_init(&f.got, 0);
	atomic_init(&f.stop, false);
	atomic_init(&f.rv, 0);
	if ((f.lat = evlb_hist_alloc()) == NULL ||
	    (ack = evlb_hist_alloc()) == NULL ||
	    evlb_payload_init(a->size) != 0 ||
	    (buf = malloc(a->size)) == NULL) {
		fprintf(stderr, "evlog-bench: out of memory\n");
		goto out;
	}
	if (evlb_client_open(a, &pc) != 0 || evlb_client_open(a, &f.c) != 0)
		goto out;
	if (evlb_topic_ensure(pc, a, a->topic) != 0)
		goto out;

	evl_reader_opts_init(&ro);
	ro.max_wait_ms = 1000;
	if ((rv = evl_reader_open(&f.r, f.c, a->topic, &ro)) != 0) {
		evlb_fail(f.c, rv, "open a reader on %s", a->topic);
		goto out;
	}
	for (uint32_t i = 0; i < evl_reader_partitions(f.r); i++)
		if ((rv = evl_reader_seek(f.r, i, EVL_OFFSET_END)) != 0) {
			evlb_fail(f.c, rv, "seek %s/%u", a->topic, i);
			goto out;
		}

	evl_producer_opts_init(&po);
	po.acks      = a->acks;
	po.linger_ms = a->linger_ms >= 0 ? (uint32_t) a->linger_ms : 0;
	po.on_delivery     = on_ack;
	po.on_delivery_arg = ack;
	if ((rv = evl_producer_open(&p, pc, &po)) != 0) {
		evlb_fail(pc, rv, "open a producer");
		goto out;
	}
	if (pthread_create(&ft, NULL, follower_main, &f) != 0) {
		fprintf(stderr, "evlog-bench: cannot start a thread\n");
		goto out;
	}
	ft_started = true;

	evlb_progress *prog =
	    evlb_progress_start(a, "latency", &f.got, a->records);
	evl_message m = { .topic = a->topic,
		.partition       = EVL_PARTITION_ANY,
		.value           = buf,
		.value_len       = a->size };
	uint64_t t0 = evlb_now_ns();
	rv = 0;
	for (uint64_t i = 0; i < a->records && rv == 0; i++) {
		sleep_until(t0 + i * 1000000000u / a->rate);
		memcpy(buf + 8, evlb_payload(i), a->size - 8);
		uint64_t now = evlb_now_ns();
		memcpy(buf, &now, sizeof(now));
		/* 64-bit pointers hold the time whole; elsewhere the
		 * acknowledgement split is simply not measured. */
		m.opaque = sizeof(void *) >= sizeof(now)
		    ? (void *) (uintptr_t) now
		    : NULL;
		if ((rv = evl_produce(p, &m)) != 0)
			evlb_fail(pc, rv, "produce to %s", a->topic);
	}
	if (rv == 0 && (rv = evl_producer_flush(p, a->timeout_ms)) != 0)
		evlb_fail(pc, rv, "flush");
	double secs = (double) (evlb_now_ns() - t0) / 1e9;
	if (rv != 0)
		atomic_store(&f.stop, true);
	/* Every record acknowledged: the follower gets them soon. */
	uint64_t deadline = evlb_now_ns() + (uint64_t) a->timeout_ms * 1000000u;
	while (rv == 0 && atomic_load(&f.got) < a->records &&
	    evlb_now_ns() < deadline && atomic_load(&f.rv) == 0) {
		struct timespec ts = { 0, 1000000L };
		nanosleep(&ts, NULL);
	}
	atomic_store(&f.stop, true);
	pthread_join(ft, NULL);
	ft_started = false;
	evlb_progress_stop(prog);
	if (rv != 0 || atomic_load(&f.rv) != 0)
		goto out;
	if (atomic_load(&f.got) < a->records) {
		fprintf(stderr,
		    "evlog-bench: the follower saw %llu of %llu records\n",
		    (unsigned long long) atomic_load(&f.got),
		    (unsigned long long) a->records);
		goto out;
	}
	evlb_result r = { .op = "latency",
		.records      = a->records,
		.payload_bytes = a->records * a->size,
		.seconds      = secs,
		.lat          = f.lat,
		.lat_what     = "produce call to the follower's hands",
		.lat2         = ack,
		.lat2_what    = "produce call to acknowledgement" };
	evlb_report(a, &r);
	exit_code = EVLB_EXIT_OK;
out:
	if (ft_started) {
		atomic_store(&f.stop, true);
		pthread_join(ft, NULL);
	}
	evl_producer_close(p);
	evl_reader_close(f.r);
	evl_client_close(f.c);
	evl_client_close(pc);
	free(buf);
	free(f.lat);
	free(ack);
	return exit_code;
}
