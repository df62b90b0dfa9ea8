/*
 * bench_produce.c -- `evlog-bench produce`: K producers, each on its own
 * connection and thread, write --records random payloads in total through
 * libevlog's batching producer, spread round-robin over the topics and
 * (keyless) over their partitions.
 *
 * The clock runs from the moment every producer is connected until every
 * record is acknowledged (the last flush returns).  One record in 16
 * carries its produce time as the delivery opaque, and its produce-to-ack
 * time goes into the latency histogram: timing every record would cost
 * the producer thread two clock reads per record.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "bench.h"

#define SAMPLE_MASK 15u

typedef struct shared {
	const evlb_args     *a;
	char               **topics;
	evlb_hist           *lat;
	atomic_uint_fast64_t done; /* records delivered, ok or not */
	atomic_uint_fast64_t failed;
	atomic_int           first_err;
	pthread_barrier_t    go;
} shared;

typedef struct worker {
	shared       *s;
	uint64_t      first; /* payload index of its first record */
	uint64_t      records;
	evl_client   *c;
	evl_producer *p;
	pthread_t     t;
	int           rv;
} worker;

static void
on_delivery(void *arg, const evl_delivery *d)
{
	shared *s = arg;
	if (d->err != 0) {
		int zero = 0;
		atomic_fetch_add(&s->failed, 1);
		atomic_compare_exchange_strong(&s->first_err, &zero, d->err);
	} else if (d->opaque != NULL) {
		evlb_hist_add(s->lat, evlb_now_ns() - (uint64_t) (uintptr_t) d->opaque);
	}
	atomic_fetch_add_explicit(&s->done, 1, memory_order_relaxed);
}

/* The producer's batch_bytes that holds exactly n records of the run's
 * size: the header plus each record at its index. */
static size_t
batch_bytes_for(size_t size, uint32_t n)
{
	evlp_record_in r   = { .value = "", .value_len = size };
	size_t         sum = EVLP_BATCH_HEADER_SIZE;
	for (uint32_t i = 0; i < n; i++)
		sum += evlp_record_size(&r, 0, i);
	return sum;
}

static void *
worker_main(void *arg)
{
	worker          *w = arg;
	shared          *s = w->s;
	const evlb_args *a = s->a;
	evl_message      m = { .partition = EVL_PARTITION_ANY };

	pthread_barrier_wait(&s->go);
	m.value_len = a->size;
	for (uint64_t i = 0; i < w->records; i++) {
		m.topic  = s->topics[i % a->topics];
		m.value  = evlb_payload(w->first + i);
		m.opaque = (i & SAMPLE_MASK) == 0
		    ? (void *) (uintptr_t) evlb_now_ns()
		    : NULL;
		if ((w->rv = evl_produce(w->p, &m)) != 0) {
			evlb_fail(w->c, w->rv, "produce to %s", m.topic);
			return NULL;
		}
	}
	/* Generous: a slow disk with acks=fsync may take a while. */
	if ((w->rv = evl_producer_flush(w->p, 600000)) != 0)
		evlb_fail(w->c, w->rv, "flush");
	return NULL;
}

int
evlb_produce_main(const evlb_args *a)
{
	shared  s = { .a = a };
	worker *w = NULL;
	int     rv, exit_code = EVLB_EXIT_FAIL;
	uint32_t k = a->producers, started = 0;
	size_t   name_len = strlen(a->topic) + 12;

	if ((s.lat = evlb_hist_alloc()) == NULL ||
	    (s.topics = calloc(a->topics, sizeof(char *))) == NULL ||
	    (w = calloc(k, sizeof(*w))) == NULL ||
	    evlb_payload_init(a->size) != 0) {
		fprintf(stderr, "evlog-bench: out of memory\n");
		goto out;
	}
	atomic_init(&s.first_err, 0);
	for (uint32_t i = 0; i < a->topics; i++) {
		if ((s.topics[i] = malloc(name_len)) == NULL)
			goto out;
		if (a->topics == 1)
			snprintf(s.topics[i], name_len, "%s", a->topic);
		else
			snprintf(s.topics[i], name_len, "%s-%u", a->topic, i);
	}

	evl_producer_opts po;
	evl_producer_opts_init(&po);
	po.acks            = a->acks;
	po.on_delivery     = on_delivery;
	po.on_delivery_arg = &s;
	if (a->linger_ms >= 0)
		po.linger_ms = (uint32_t) a->linger_ms;
	if (a->batch > 0)
		po.batch_bytes = batch_bytes_for(a->size, a->batch);

	uint64_t first = 0;
	for (uint32_t i = 0; i < k; i++) {
		w[i].s       = &s;
		w[i].first   = first;
		w[i].records = a->records / k + (i < a->records % k ? 1 : 0);
		first += w[i].records;
		if ((rv = evlb_client_open(a, &w[i].c)) != 0)
			goto out;
		if (i == 0)
			for (uint32_t t = 0; t < a->topics; t++)
				if (evlb_topic_ensure(w[0].c, a, s.topics[t]) != 0)
					goto out;
		if ((rv = evl_producer_open(&w[i].p, w[i].c, &po)) != 0) {
			evlb_fail(w[i].c, rv, "open a producer");
			goto out;
		}
	}

	pthread_barrier_init(&s.go, NULL, k + 1);
	for (; started < k; started++)
		if (pthread_create(&w[started].t, NULL, worker_main,
		        &w[started]) != 0) {
			fprintf(stderr, "evlog-bench: cannot start a thread\n");
			abort(); /* the barrier cannot be left half-joined */
		}
	evlb_progress *prog =
	    evlb_progress_start(a, "produce", &s.done, a->records);
	pthread_barrier_wait(&s.go);
	uint64_t t0 = evlb_now_ns();
	bool     ok = true;
	for (uint32_t i = 0; i < k; i++) {
		pthread_join(w[i].t, NULL);
		ok = ok && w[i].rv == 0;
	}
	double secs = (double) (evlb_now_ns() - t0) / 1e9;
	evlb_progress_stop(prog);
	pthread_barrier_destroy(&s.go);
	if (atomic_load(&s.failed) > 0) {
		evlb_fail(NULL, atomic_load(&s.first_err),
		    "%llu records failed",
		    (unsigned long long) atomic_load(&s.failed));
		ok = false;
	}
	if (ok) {
		evlb_result r = { .op = "produce",
			.records      = a->records,
			.payload_bytes = a->records * a->size,
			.seconds      = secs,
			.lat          = s.lat,
			.lat_what     = "produce call to acknowledgement" };
		evlb_report(a, &r);
		exit_code = EVLB_EXIT_OK;
	}
out:
	for (uint32_t i = 0; w && i < k; i++) {
		evl_producer_close(w[i].p);
		evl_client_close(w[i].c);
	}
	for (uint32_t i = 0; s.topics && i < a->topics; i++)
		free(s.topics[i]);
	free(s.topics);
	free(w);
	free(s.lat);
	return exit_code;
}
