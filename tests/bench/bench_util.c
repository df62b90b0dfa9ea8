/*
 * bench_util.c -- evlog-bench's histogram, report, payloads, progress and
 * client helpers.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t
evlb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* ---- histogram ------------------------------------------------------ */

evlb_hist *
evlb_hist_alloc(void)
{
	return calloc(1, sizeof(evlb_hist));
}

static size_t
hist_index(uint64_t v)
{
	if (v < 2048)
		return (size_t) v;
	unsigned e     = 63u - (unsigned) __builtin_clzll(v); /* >= 11 */
	unsigned shift = e - 10;
	size_t   i = 2048 + (size_t) (e - 11) * 1024 + (size_t) ((v >> shift) - 1024);
	return i < EVLB_HIST_BUCKETS ? i : EVLB_HIST_BUCKETS - 1;
}

/* The middle of bucket i, in ns. */
static uint64_t
hist_value(size_t i)
{
	if (i < 2048)
		return i;
	size_t   j     = i - 2048;
	unsigned shift = (unsigned) (j / 1024) + 1;
	uint64_t lo    = (uint64_t) (1024 + j % 1024) << shift;
	return lo + ((uint64_t) 1 << shift) / 2;
}

void
evlb_hist_add(evlb_hist *h, uint64_t ns)
{
	atomic_fetch_add_explicit(&h->b[hist_index(ns)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->n, 1, memory_order_relaxed);
}

uint64_t
evlb_hist_quantile(const evlb_hist *h, double q)
{
	uint64_t n = atomic_load(&h->n);
	if (n == 0)
		return 0;
	/* The smallest value with at least ceil(q * n) values at or below. */
	uint64_t want = (uint64_t) (q * (double) n + 0.999999);
	if (want < 1)
		want = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < EVLB_HIST_BUCKETS; i++) {
		seen += atomic_load_explicit(&h->b[i], memory_order_relaxed);
		if (seen >= want)
			return hist_value(i);
	}
	return hist_value(EVLB_HIST_BUCKETS - 1);
}

/* ---- report --------------------------------------------------------- */

static const char *
acks_name(int acks)
{
	return acks == EVL_ACKS_NONE ? "none"
	    : acks == EVL_ACKS_FSYNC ? "fsync"
	                             : "written";
}

void
evlb_report(const evlb_args *a, const evlb_result *r)
{
	double secs = r->seconds > 0 ? r->seconds : 1e-9;
	double rps  = (double) r->records / secs;
	double mbps = (double) r->payload_bytes / secs / 1e6;
	double p50 = 0, p99 = 0, p999 = 0;

	if (r->lat) {
		p50  = (double) evlb_hist_quantile(r->lat, 0.50) / 1e3;
		p99  = (double) evlb_hist_quantile(r->lat, 0.99) / 1e3;
		p999 = (double) evlb_hist_quantile(r->lat, 0.999) / 1e3;
	}
	printf("evlog-bench %s  topic %s%s", r->op, a->topic,
	    a->op == EVLB_PRODUCE && a->topics > 1 ? "-*" : "");
	if (a->op != EVLB_CONSUME)
		printf("  acks %s", acks_name(a->acks));
	printf("\n");
	if (a->op == EVLB_PRODUCE)
		printf("  %-16s %u topic(s) x %u partition(s), %u "
		       "producer(s)\n",
		    "layout", a->topics, a->partitions, a->producers);
	if (a->op == EVLB_LATENCY)
		printf("  %-16s %llu records/s for %llu s\n", "pace",
		    (unsigned long long) a->rate,
		    (unsigned long long) a->seconds);
	printf("  %-16s %llu\n", "records", (unsigned long long) r->records);
	if (r->records > 0)
		printf("  %-16s %llu\n", "record bytes",
		    (unsigned long long) (r->payload_bytes / r->records));
	printf("  %-16s %.3f\n", "seconds", r->seconds);
	printf("  %-16s %.0f\n", "records/s", rps);
	printf("  %-16s %.1f\n", "MB/s", mbps);
	if (r->lat) {
		printf("  latency (%s), microseconds:\n", r->lat_what);
		printf("  %-16s %.1f\n", "p50", p50);
		printf("  %-16s %.1f\n", "p99", p99);
		printf("  %-16s %.1f\n", "p99.9", p999);
	}
	if (r->lat2) {
		printf("  latency (%s), microseconds:\n", r->lat2_what);
		printf("  %-16s %.1f\n", "p50",
		    (double) evlb_hist_quantile(r->lat2, 0.50) / 1e3);
		printf("  %-16s %.1f\n", "p99",
		    (double) evlb_hist_quantile(r->lat2, 0.99) / 1e3);
		printf("  %-16s %.1f\n", "p99.9",
		    (double) evlb_hist_quantile(r->lat2, 0.999) / 1e3);
	}
	printf("{\"op\":\"%s\",\"records\":%llu,\"seconds\":%.6f,"
	       "\"records_per_s\":%.1f,\"mb_per_s\":%.3f",
	    r->op, (unsigned long long) r->records, r->seconds, rps, mbps);
	if (r->lat)
		printf(",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f", p50,
		    p99, p999);
	printf("}\n");
	fflush(stdout);
}

/* ---- client helpers ------------------------------------------------- */

void
evlb_fail(evl_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	fputs("evlog-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err != 0)
		fprintf(stderr, ": %s", evl_strerror(err));
	const char *d = c ? evl_client_errmsg(c) : "";
	if (d && *d)
		fprintf(stderr, " (%s)", d);
	fputc('\n', stderr);
}

int
evlb_client_open(const evlb_args *a, evl_client **out)
{
	evl_client_opts o;
	int             rv;
	evl_client_opts_init(&o);
	o.url        = a->url;
	o.timeout_ms = a->timeout_ms;
	if ((rv = evl_client_open(out, &o)) != 0)
		evlb_fail(NULL, rv, "cannot reach the broker at %s",
		    a->url ? a->url : "the default URL");
	return rv;
}

int
evlb_topic_ensure(evl_client *c, const evlb_args *a, const char *topic)
{
	evl_topic_info  *info;
	evl_topic_config cfg;
	int              rv = evl_topic_describe(c, topic, &info);
	if (rv == 0) {
		evl_topic_info_free(info, 1);
		return 0;
	}
	if (rv != EVL_ENOTOPIC) {
		evlb_fail(c, rv, "describe topic %s", topic);
		return rv;
	}
	evl_topic_config_init(&cfg);
	cfg.partitions = a->partitions;
	rv             = evl_topic_create(c, topic, &cfg);
	if (rv == EVL_ETOPICEXISTS)
		rv = 0; /* created meanwhile */
	if (rv != 0)
		evlb_fail(c, rv, "create topic %s", topic);
	return rv;
}

/* ---- payloads ------------------------------------------------------- */

/* 256 KiB of random bytes: record i's slice starts at a different place
 * for each record, and the pool stays in the CPU's L2 cache, as a record
 * an application just built would be, so the benchmark does not time its
 * own cache misses.  Nothing on the way compresses (the log database
 * stores values as they are). */
#define POOL_BYTES ((size_t) 256 << 10)

static uint8_t *pool;
static size_t   pool_span; /* start positions available */

int
evlb_payload_init(size_t size)
{
	uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t) time(NULL);
	pool_span  = POOL_BYTES;
	size_t   n = POOL_BYTES + size;
	if ((pool = malloc(n)) == NULL)
		return EVL_ENOMEM;
	for (size_t i = 0; i < n; i += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(pool + i, &s, n - i < 8 ? n - i : 8);
	}
	return 0;
}

const uint8_t *
evlb_payload(uint64_t i)
{
	return pool + (size_t) ((i * 7919u) % pool_span);
}

/* ---- progress ------------------------------------------------------- */

struct evlb_progress {
	pthread_t                   t;
	pthread_mutex_t             mu;
	pthread_cond_t              cv;
	bool                        stop;
	const char                 *what;
	const atomic_uint_fast64_t *count;
	uint64_t                    total;
};

static void *
progress_main(void *arg)
{
	evlb_progress *p     = arg;
	uint64_t       start = evlb_now_ns(), last = 0;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (p->stop)
			break;
		uint64_t n = atomic_load(p->count);
		double   s = (double) (evlb_now_ns() - start) / 1e9;
		fprintf(stderr,
		    "evlog-bench: %s %llu/%llu records, %.0f/s now, %.0f/s "
		    "overall\n",
		    p->what, (unsigned long long) n,
		    (unsigned long long) p->total, (double) (n - last),
		    s > 0 ? (double) n / s : 0);
		last = n;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

evlb_progress *
evlb_progress_start(const evlb_args *a, const char *what,
    const atomic_uint_fast64_t *count, uint64_t total)
{
	evlb_progress *p;
	if (a->quiet || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->what  = what;
	p->count = count;
	p->total = total;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->t, NULL, progress_main, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void
evlb_progress_stop(evlb_progress *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->t, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
