/*
 * metrics.h -- the broker's Prometheus metrics: a registry of counters,
 * gauges and histograms, rendered as text exposition format 0.0.4.
 *
 * The registry is a struct the broker owns and passes down; there is no
 * global one.  Series are registered up front (at startup, or on first
 * use for rare ones such as errors) and registration hands back a pointer
 * that stays valid until evld_metrics_free.  Updating a series through
 * that pointer is one relaxed atomic add and takes no lock, so it is
 * cheap enough for the request path.  Registration and rendering take the
 * registry's mutex.
 *
 * Series the registry cannot know up front (the head offset of every
 * partition of every topic, group lag) come from collectors: callbacks
 * run at render time that emit samples through evld_metrics_write_*.
 * Samples of one family are grouped in the output however the collectors
 * interleave them, and every family gets one # HELP and one # TYPE line.
 *
 * Every metric name must start with "evlog_".  Label values are escaped
 * on output; names are checked at registration.
 */
#ifndef EVLD_METRICS_H
#define EVLD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum evld_metric_type {
	EVLD_METRIC_COUNTER,
	EVLD_METRIC_GAUGE,
	EVLD_METRIC_HISTOGRAM,
};

typedef struct evld_metrics        evld_metrics;
typedef struct evld_metrics_writer evld_metrics_writer;

/*
 * The update types are not opaque, so that updates inline to one atomic
 * instruction; never touch the members directly.
 */
typedef struct evld_counter {
	_Atomic uint64_t v;
} evld_counter;

typedef struct evld_gauge {
	_Atomic int64_t v;
} evld_gauge;

typedef struct evld_histogram evld_histogram;

/* Store write latency buckets, in microseconds (the +Inf bucket is
 * implicit): 50us .. 100ms. */
#define EVLD_LATENCY_BUCKETS_US                                          \
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000

/* evld_metrics_alloc makes an empty registry; caller frees with
 * evld_metrics_free.  Returns 0 or EVL_ENOMEM. */
int evld_metrics_alloc(evld_metrics **out);

/* evld_metrics_free releases the registry and every series registered
 * in it; no update or collector may run any more.  NULL does nothing. */
void evld_metrics_free(evld_metrics *m);

/*
 * Registration.  name is the family ("evlog_requests_total"); help its
 * one-line description; labels a NULL-terminated list of name, value
 * pairs ({ "op", "produce", NULL }), or NULL for none.  All strings are
 * copied.  Every series of a family must use the same label names in the
 * same order, and the family's help and type must match the first
 * registration.
 *
 * Registering a series that exists already returns the same pointer, so
 * rare series may be registered where first needed.  On success *out is
 * borrowed, valid until evld_metrics_free.  Errors: EVL_EINVAL (bad name,
 * label, or a mismatch with the family), EVL_ENOMEM.
 */
int evld_metrics_counter(evld_metrics *m, evld_counter **out,
    const char *name, const char *help, const char *const *labels);
int evld_metrics_gauge(evld_metrics *m, evld_gauge **out, const char *name,
    const char *help, const char *const *labels);

/*
 * evld_metrics_histogram registers a histogram whose observations are
 * microseconds.  bounds_us are the upper bounds of the buckets, strictly
 * increasing, nbounds of them (at most 32); the +Inf bucket is added.
 * NULL bounds mean EVLD_LATENCY_BUCKETS_US.  Output follows Prometheus'
 * base units: name it "..._seconds"; bucket bounds and _sum are rendered
 * in seconds, exactly (no floating point).  Same rules and errors as
 * evld_metrics_counter; a histogram registered again must have the same
 * bounds.
 */
int evld_metrics_histogram(evld_metrics *m, evld_histogram **out,
    const char *name, const char *help, const char *const *labels,
    const uint64_t *bounds_us, size_t nbounds);

/*
 * Updates.  Lock-free and safe from any thread.  A NULL series does
 * nothing, so code can run without a registry (unit tests, tools).
 */
static inline void
evld_counter_add(evld_counter *c, uint64_t n)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

static inline void
evld_counter_inc(evld_counter *c)
{
	evld_counter_add(c, 1);
}

static inline void
evld_gauge_add(evld_gauge *g, int64_t delta)
{
	if (g != NULL)
		atomic_fetch_add_explicit(&g->v, delta, memory_order_relaxed);
}

static inline void
evld_gauge_set(evld_gauge *g, int64_t v)
{
	if (g != NULL)
		atomic_store_explicit(&g->v, v, memory_order_relaxed);
}

/* Reads for tests and for the broker's own decisions. */
static inline uint64_t
evld_counter_get(evld_counter *c)
{
	return atomic_load_explicit(&c->v, memory_order_relaxed);
}

static inline int64_t
evld_gauge_get(evld_gauge *g)
{
	return atomic_load_explicit(&g->v, memory_order_relaxed);
}

/* evld_histogram_observe records one observation of us microseconds:
 * a bucket search over at most 32 bounds, then two relaxed adds. */
void evld_histogram_observe(evld_histogram *h, uint64_t us);

/*
 * Collectors.  fn(arg, w) runs at each render, under the registry's
 * mutex, so it must not register series or add collectors (that would
 * deadlock); it may take its own locks.  After
 * evld_metrics_collector_remove returns, fn is not running and will not
 * run again.  Errors: EVL_ENOMEM for add; EVL_ENOTFOUND for remove when
 * (fn, arg) is not registered.
 */
typedef void (*evld_metrics_collect_fn)(void *arg, evld_metrics_writer *w);

int evld_metrics_collector_add(
    evld_metrics *m, evld_metrics_collect_fn fn, void *arg);
int evld_metrics_collector_remove(
    evld_metrics *m, evld_metrics_collect_fn fn, void *arg);

/*
 * Emitting from a collector.  evld_metrics_write_family selects (and on
 * first use declares) the family the next samples belong to; the type
 * must be a counter or a gauge.  A family already declared in this
 * render (by the registry or another collector) keeps its first help
 * text, and its samples are grouped together.  evld_metrics_write_u64 and
 * _i64 emit one sample of the selected family, labels as in registration;
 * collectors must not emit one label set twice.
 *
 * Errors: EVL_EINVAL for a bad name, a type that contradicts the
 * family's, or a non-counter/gauge type (nothing is selected then, and
 * the following samples fail too); EVL_EINVAL for a sample with bad
 * labels or no family selected (that sample is skipped); EVL_ENOMEM,
 * which also fails the render.  Nothing invalid reaches the output.
 */
int evld_metrics_write_family(evld_metrics_writer *w, const char *name,
    const char *help, enum evld_metric_type type);
int evld_metrics_write_u64(
    evld_metrics_writer *w, const char *const *labels, uint64_t v);
int evld_metrics_write_i64(
    evld_metrics_writer *w, const char *const *labels, int64_t v);
/* A sample of us microseconds rendered in seconds, exactly ("1.5"), for
 * counters of time in Prometheus' base unit. */
int evld_metrics_write_seconds(
    evld_metrics_writer *w, const char *const *labels, uint64_t us);

/*
 * evld_metrics_render writes every registered series, then every
 * collector's, in text format 0.0.4 ("text/plain; version=0.0.4").  On
 * success *out is a NUL-terminated string of *len bytes; caller frees
 * with evlp_free.  Families appear in the order first registered or
 * emitted.  Errors: EVL_ENOMEM.
 */
int evld_metrics_render(evld_metrics *m, char **out, size_t *len);

/*
 * The broker's standard series, registered up front so that the request
 * path only follows pointers.  Requests are counted per operation;
 * errors per operation and error name, registered on first occurrence
 * (there are many pairs and few happen).  Op codes are one byte.
 */
#define EVLD_METRICS_MAX_OP 256
#define EVLD_METRICS_MAX_ERR 128 /* errors cached; others take a lock */
#define EVLD_METRICS_LIMITS 5    /* enum evld_limit's values */

struct evld_broker_metrics {
	evld_metrics   *m; /* borrowed */
	evld_counter   *requests[EVLD_METRICS_MAX_OP]; /* NULL: no such op */
	evld_counter   *records_in;
	evld_counter   *records_out;
	evld_counter   *bytes_in;
	evld_counter   *bytes_out;
	evld_gauge     *fetch_waiters;
	evld_counter   *retention_records;
	evld_counter   *retention_bytes;
	evld_histogram *store_write; /* observe in microseconds */
	/* Authentication (security, part A): evlog_auth_total{result}. */
	evld_counter *auth_ok;
	evld_counter *auth_failed;

	/* Part C (issue 8): connections and the limits hit. */
	evld_gauge   *connections; /* pipes open now */
	/* Refusals by enum evld_limit (limit.h), connections included. */
	evld_counter *limit_hits[EVLD_METRICS_LIMITS];

	/* Access control (broker/acl.c): denials by operation, one counter
	 * per EVLP_ACL_* bit (index = the bit's position), and the number
	 * of rules. */
	evld_counter *denied[6];
	evld_gauge   *acl_rules;

	/* Private: the error cache, one row per known op plus row 0 for
	 * codes that are no op. */
	const char *(*op_name)(int op);
	uint8_t op_row[EVLD_METRICS_MAX_OP];
	_Atomic(evld_counter *) (*errors)[EVLD_METRICS_MAX_ERR];
};

/*
 * evld_broker_metrics_init registers the standard series in m.
 * op_name(code) names each operation ("produce"), or returns NULL for a
 * code that is no operation; the broker passes evlp_op_name.  Returns 0,
 * EVL_ENOMEM or EVL_EINVAL; on failure bm needs no fini, though series
 * already registered stay in m until it is freed.
 */
int evld_broker_metrics_init(struct evld_broker_metrics *bm,
    evld_metrics *m, const char *(*op_name)(int op));

/* evld_broker_metrics_fini releases what init allocated (not m). */
void evld_broker_metrics_fini(struct evld_broker_metrics *bm);

/* Counts one request of op (an unknown op is counted nowhere). */
static inline void
evld_broker_metrics_request(struct evld_broker_metrics *bm, int op)
{
	if ((unsigned) op < EVLD_METRICS_MAX_OP)
		evld_counter_inc(bm->requests[op]);
}

/*
 * Counts one failure of op with err (an evl_err), labelled op and
 * error="EVL_ENOTOPIC".  Lock-free after the first time a pair is seen;
 * the first time registers it.  Codes out of range count as EVL_UNKNOWN.
 */
/* Counts a request denied op (one EVLP_ACL_* bit). */
void evld_broker_metrics_denied(struct evld_broker_metrics *bm, unsigned op);

void evld_broker_metrics_error(
    struct evld_broker_metrics *bm, int op, int err);

#endif /* EVLD_METRICS_H */
