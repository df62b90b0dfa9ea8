/*
 * evld_metrics: registration rules, exposition format 0.0.4 checked line
 * by line (HELP/TYPE once per family and before its samples, grouping,
 * escaping, cumulative histogram buckets), collectors, exact sums under
 * concurrent updates, the broker's standard set, allocation failures.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "evl_test.h"
#include "metrics.h"

static evld_metrics *m;

static void
setup(void)
{
	evl_assert_ok(evld_metrics_alloc(&m));
}

static void
teardown(void)
{
	evld_metrics_free(m);
	evlp_alloc_fail_after(-1);
}

TestSuite(metrics, .init = setup, .fini = teardown);

static char *
render(void)
{
	char  *text;
	size_t len;

	evl_assert_ok(evld_metrics_render(m, &text, &len));
	cr_assert_eq(strlen(text), len);
	return text;
}

/*
 * Checks text against the exposition format: every line ends in '\n';
 * a family is "# HELP name ...", "# TYPE name type", then only its own
 * samples; no family appears twice; names start with evlog_; label sets
 * are well-formed with escaped values.  Returns the number of samples.
 */
static int
check_exposition(const char *text)
{
	char   families[64][96];
	int    nfam    = 0;
	int    samples = 0;
	char   cur[96] = "";
	char   type[16] = "";
	char   help_of[96] = "";
	size_t len     = strlen(text);

	cr_assert(len == 0 || text[len - 1] == '\n', "no final newline");
	for (const char *line = text; *line != '\0';) {
		const char *nl = strchr(line, '\n');
		char        name[96];
		char        word[16];

		if (strncmp(line, "# HELP ", 7) == 0) {
			cr_assert_eq(sscanf(line + 7, "%95s", help_of), 1);
			for (int i = 0; i < nfam; i++)
				cr_assert_str_neq(families[i], help_of,
				    "family %s twice", help_of);
			cr_assert_lt(nfam, 64);
			strcpy(families[nfam++], help_of);
			cur[0] = '\0';
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			cr_assert_eq(sscanf(line + 7, "%95s %15s", name, word),
			    2);
			cr_assert_str_eq(name, help_of, "TYPE without HELP");
			cr_assert(strcmp(word, "counter") == 0 ||
			        strcmp(word, "gauge") == 0 ||
			        strcmp(word, "histogram") == 0,
			    "type %s", word);
			strcpy(cur, name);
			strcpy(type, word);
		} else {
			const char *p = line;
			size_t      n = strcspn(p, "{ ");

			cr_assert(cur[0] != '\0', "sample outside a family: %.*s",
			    (int) (nl - line), line);
			cr_assert_eq(strncmp(p, "evlog_", 6), 0);
			cr_assert_lt(n, sizeof(name));
			memcpy(name, p, n);
			name[n] = '\0';
			if (strcmp(type, "histogram") == 0) {
				size_t cl = strlen(cur);
				cr_assert(strncmp(name, cur, cl) == 0 &&
				        (strcmp(name + cl, "_bucket") == 0 ||
				            strcmp(name + cl, "_sum") == 0 ||
				            strcmp(name + cl, "_count") == 0),
				    "%s in %s", name, cur);
			} else {
				cr_assert_str_eq(name, cur);
			}
			p += n;
			if (*p == '{') {
				/* label="value" pairs, escapes inside. */
				p++;
				while (*p != '}') {
					while (*p != '=')
						cr_assert(*p != '\n' && *p++);
					cr_assert_eq(*++p, '"');
					for (p++; *p != '"'; p++) {
						cr_assert(*p != '\n');
						if (*p == '\\') {
							p++;
							cr_assert(*p == '\\' ||
							    *p == '"' || *p == 'n');
						}
					}
					p++;
					if (*p == ',')
						p++;
				}
				p++;
			}
			cr_assert_eq(*p, ' ', "%.*s", (int) (nl - line), line);
			cr_assert(p[1] == '-' || (p[1] >= '0' && p[1] <= '9'));
			samples++;
		}
		cr_assert_not_null(nl);
		line = nl + 1;
	}
	return samples;
}

/* The value on the line that starts with series + ' ', or -1 if none. */
static double
value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

Test(metrics, empty_registry_renders_nothing)
{
	char *text = render();
	cr_assert_str_eq(text, "");
	evlp_free(text);
}

Test(metrics, counters_and_gauges)
{
	evld_counter *produce, *fetch, *plain;
	evld_gauge   *waiters;
	const char   *lp[] = { "op", "produce", NULL };
	const char   *lf[] = { "op", "fetch", NULL };

	evl_assert_ok(evld_metrics_counter(m, &produce, "evlog_requests_total",
	    "Requests.", lp));
	evl_assert_ok(evld_metrics_gauge(m, &waiters, "evlog_fetch_waiters",
	    "Parked fetches.", NULL));
	evl_assert_ok(evld_metrics_counter(m, &fetch, "evlog_requests_total",
	    "Requests.", lf));
	evl_assert_ok(evld_metrics_counter(m, &plain, "evlog_x_total", "X.",
	    NULL));
	evld_counter_add(produce, 41);
	evld_counter_inc(produce);
	evld_counter_inc(fetch);
	evld_gauge_add(waiters, 3);
	evld_gauge_add(waiters, -5);

	char *text = render();
	cr_assert_eq(check_exposition(text), 4);
	cr_assert_eq(value_of(text, "evlog_requests_total{op=\"produce\"}"),
	    42);
	cr_assert_eq(value_of(text, "evlog_requests_total{op=\"fetch\"}"), 1);
	cr_assert_eq(value_of(text, "evlog_fetch_waiters"), -2);
	cr_assert_eq(value_of(text, "evlog_x_total"), 0);
	/* Both op series sit under one header, in registration order. */
	cr_assert(strstr(text,
	              "# HELP evlog_requests_total Requests.\n"
	              "# TYPE evlog_requests_total counter\n"
	              "evlog_requests_total{op=\"produce\"} 42\n"
	              "evlog_requests_total{op=\"fetch\"} 1\n") == text,
	    "%s", text);
	cr_assert(strstr(text, "# TYPE evlog_fetch_waiters gauge\n") != NULL);
	evlp_free(text);

	evld_gauge_set(waiters, 7);
	cr_assert_eq(evld_gauge_get(waiters), 7);
	cr_assert_eq(evld_counter_get(produce), 42);
}

Test(metrics, registration_is_idempotent_and_checked)
{
	evld_counter   *a, *b;
	evld_gauge     *g;
	evld_histogram *h;
	const char     *l1[]  = { "op", "produce", NULL };
	const char     *l2[]  = { "kind", "produce", NULL };
	const char     *odd[] = { "op", NULL };
	const char     *bad[] = { "bad-name", "x", NULL };
	const char     *res[] = { "__name", "x", NULL };
	const char     *le[]  = { "le", "1", NULL };

	evl_assert_ok(evld_metrics_counter(m, &a, "evlog_c_total", "C.", l1));
	evl_assert_ok(evld_metrics_counter(m, &b, "evlog_c_total", "C.", l1));
	cr_assert_eq(a, b);

	/* Conflicts with the family: type, help, label names. */
	evl_assert_err(evld_metrics_gauge(m, &g, "evlog_c_total", "C.", l1),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_c_total", "D.", l1),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_c_total", "C.", l2),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_c_total", "C.",
	                   NULL),
	    EVL_EINVAL);

	/* Bad names. */
	evl_assert_err(evld_metrics_counter(m, &b, "requests_total", "R.",
	                   NULL),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_bad-name", "R.",
	                   NULL),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_x", NULL, NULL),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_x", "X.", odd),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_x", "X.", bad),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_counter(m, &b, "evlog_x", "X.", res),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_histogram(m, &h, "evlog_h_seconds", "H.",
	                   le, NULL, 0),
	    EVL_EINVAL);
	cr_assert_eq(b, a, "out-parameter written on failure");

	/* Histogram bounds. */
	uint64_t down[] = { 10, 5 };
	uint64_t same[] = { 10, 10 };
	uint64_t many[33];
	for (int i = 0; i < 33; i++)
		many[i] = (uint64_t) i + 1;
	evl_assert_err(evld_metrics_histogram(m, &h, "evlog_h_seconds", "H.",
	                   NULL, down, 2),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_histogram(m, &h, "evlog_h_seconds", "H.",
	                   NULL, same, 2),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_histogram(m, &h, "evlog_h_seconds", "H.",
	                   NULL, many, 33),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_histogram(m, &h, "evlog_h_seconds", "H.",
	                   NULL, many, 0),
	    EVL_EINVAL);
	evl_assert_ok(evld_metrics_histogram(m, &h, "evlog_h_seconds", "H.",
	    NULL, many, 32));
	evld_histogram *h2;
	evl_assert_err(evld_metrics_histogram(m, &h2, "evlog_h_seconds", "H.",
	                   NULL, NULL, 0),
	    EVL_EINVAL);

	char *text = render();
	check_exposition(text);
	evlp_free(text);
}

Test(metrics, escaping)
{
	evld_counter *c;
	const char   *labels[] = { "path", "a\"b\\c\nd", "ok", "plain", NULL };

	evl_assert_ok(evld_metrics_counter(m, &c, "evlog_esc_total",
	    "Backslash \\ and\nnewline; \"quotes\" stay.", labels));
	evld_counter_inc(c);
	char *text = render();
	check_exposition(text);
	cr_assert_str_eq(text,
	    "# HELP evlog_esc_total Backslash \\\\ and\\nnewline; \"quotes\" "
	    "stay.\n"
	    "# TYPE evlog_esc_total counter\n"
	    "evlog_esc_total{path=\"a\\\"b\\\\c\\nd\",ok=\"plain\"} 1\n");
	evlp_free(text);
}

Test(metrics, histogram_buckets_are_cumulative_and_in_seconds)
{
	evld_histogram *h, *hl;
	const char     *labels[] = { "store", "main", NULL };

	evl_assert_ok(evld_metrics_histogram(m, &h, "evlog_store_write_seconds",
	    "Write latency.", NULL, NULL, 0));
	evl_assert_ok(evld_metrics_histogram(m, &hl, "evlog_lat_seconds",
	    "Labelled.", labels, (const uint64_t[]) { 1000, 2000000 }, 2));
	/* 50 is on a bound: le means "less than or equal". */
	static const uint64_t obs[] = { 10, 50, 51, 700, 700, 99999, 100000,
		100001, 5000000 };
	uint64_t              sum   = 0;
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++) {
		evld_histogram_observe(h, obs[i]);
		sum += obs[i];
	}
	evld_histogram_observe(hl, 2000000);
	evld_histogram_observe(NULL, 1); /* does nothing */

	char *text = render();
	cr_assert_eq(check_exposition(text), (12 + 2) + (3 + 2));
	cr_assert(strstr(text, "# TYPE evlog_store_write_seconds histogram\n"));

	static const struct {
		const char *le;
		int         count;
	} want[] = { { "0.00005", 2 }, { "0.0001", 3 }, { "0.00025", 3 },
		{ "0.0005", 3 }, { "0.001", 5 }, { "0.0025", 5 },
		{ "0.005", 5 }, { "0.01", 5 }, { "0.025", 5 }, { "0.05", 5 },
		{ "0.1", 7 }, { "+Inf", 9 } };
	double prev = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char series[96];
		snprintf(series, sizeof(series),
		    "evlog_store_write_seconds_bucket{le=\"%s\"}", want[i].le);
		double v = value_of(text, series);
		cr_assert_eq(v, want[i].count, "%s = %g", series, v);
		cr_assert_geq(v, prev);
		prev = v;
	}
	cr_assert_eq(value_of(text, "evlog_store_write_seconds_count"), 9);
	char sum_line[64];
	snprintf(sum_line, sizeof(sum_line),
	    "\nevlog_store_write_seconds_sum %llu.%06llu\n",
	    (unsigned long long) sum / 1000000,
	    (unsigned long long) sum % 1000000);
	cr_assert(strstr(text, sum_line) != NULL, "want%s in\n%s", sum_line,
	    text);

	/* Labels come first, then le; whole seconds print bare. */
	cr_assert_eq(value_of(text,
	                 "evlog_lat_seconds_bucket{store=\"main\",le=\"0.001\"}"),
	    0);
	cr_assert_eq(value_of(text,
	                 "evlog_lat_seconds_bucket{store=\"main\",le=\"2\"}"),
	    1);
	cr_assert_eq(value_of(text,
	                 "evlog_lat_seconds_bucket{store=\"main\",le=\"+Inf\"}"),
	    1);
	cr_assert_eq(value_of(text, "evlog_lat_seconds_sum{store=\"main\"}"),
	    2);
	cr_assert_eq(value_of(text, "evlog_lat_seconds_count{store=\"main\"}"),
	    1);
	evlp_free(text);
}

struct topic {
	const char *name;
	uint64_t    heads[3];
};

static void
collect_heads(void *arg, evld_metrics_writer *w)
{
	struct topic *t = arg;
	char          part[8];

	evl_assert_ok(evld_metrics_write_family(w, "evlog_partition_head_offset",
	    "Next offset to be written, by partition.", EVLD_METRIC_GAUGE));
	for (int p = 0; p < 3; p++) {
		snprintf(part, sizeof(part), "%d", p);
		const char *labels[] = { "topic", t->name, "partition", part,
			NULL };
		evl_assert_ok(evld_metrics_write_u64(w, labels, t->heads[p]));
	}
	/* A second family in between, to interleave with the next call. */
	const char *labels[] = { "topic", t->name, NULL };
	evl_assert_ok(evld_metrics_write_family(w, "evlog_topic_partitions",
	    "Partitions of each topic.", EVLD_METRIC_GAUGE));
	evl_assert_ok(evld_metrics_write_i64(w, labels, 3));
}

static int bad_calls;

static void
collect_bad(void *arg, evld_metrics_writer *w)
{
	const char *odd[] = { "x", NULL };
	(void) arg;
	bad_calls++;
	/* No family selected yet. */
	evl_assert_err(evld_metrics_write_u64(w, NULL, 1), EVL_EINVAL);
	/* Contradicts the registered counter's type. */
	evl_assert_err(evld_metrics_write_family(w, "evlog_requests_total",
	                   "Requests.", EVLD_METRIC_GAUGE),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_write_u64(w, NULL, 1), EVL_EINVAL);
	evl_assert_err(evld_metrics_write_family(w, "not_evlog", "X.",
	                   EVLD_METRIC_GAUGE),
	    EVL_EINVAL);
	evl_assert_err(evld_metrics_write_family(w, "evlog_h", "X.",
	                   EVLD_METRIC_HISTOGRAM),
	    EVL_EINVAL);
	/* Same type: joins the registered family's group. */
	evl_assert_ok(evld_metrics_write_family(w, "evlog_requests_total",
	    "Ignored help.", EVLD_METRIC_COUNTER));
	evl_assert_err(evld_metrics_write_u64(w, odd, 1), EVL_EINVAL);
	const char *op[] = { "op", "dynamic", NULL };
	evl_assert_ok(evld_metrics_write_u64(w, op, 5));
	/* A declared family with no samples renders nothing. */
	evl_assert_ok(evld_metrics_write_family(w, "evlog_empty", "E.",
	    EVLD_METRIC_GAUGE));
}

Test(metrics, collectors_group_families_and_reject_bad_input)
{
	struct topic  orders = { "orders", { 10, 20, 30 } };
	struct topic  users  = { "users", { 1, 2, 3 } };
	evld_counter *c;
	const char   *op[] = { "op", "produce", NULL };

	evl_assert_ok(evld_metrics_counter(m, &c, "evlog_requests_total",
	    "Requests.", op));
	evl_assert_ok(evld_metrics_collector_add(m, collect_heads, &orders));
	evl_assert_ok(evld_metrics_collector_add(m, collect_bad, NULL));
	evl_assert_ok(evld_metrics_collector_add(m, collect_heads, &users));

	char *text = render();
	cr_assert_eq(check_exposition(text), 1 + 1 + 6 + 2, "%s", text);
	cr_assert_eq(bad_calls, 1);
	cr_assert_eq(value_of(text,
	                 "evlog_partition_head_offset{topic=\"orders\","
	                 "partition=\"2\"}"),
	    30);
	cr_assert_eq(value_of(text,
	                 "evlog_partition_head_offset{topic=\"users\","
	                 "partition=\"0\"}"),
	    1);
	cr_assert_eq(value_of(text, "evlog_requests_total{op=\"dynamic\"}"), 5);
	cr_assert_null(strstr(text, "evlog_empty"));
	cr_assert_null(strstr(text, "Ignored help"));
	evlp_free(text);

	/* Removal: the collector is not called again. */
	evl_assert_ok(evld_metrics_collector_remove(m, collect_bad, NULL));
	evl_assert_err(evld_metrics_collector_remove(m, collect_bad, NULL),
	    EVL_ENOTFOUND);
	evl_assert_err(evld_metrics_collector_remove(m, collect_heads, m),
	    EVL_ENOTFOUND);
	evl_assert_ok(evld_metrics_collector_remove(m, collect_heads, &users));
	text = render();
	cr_assert_eq(check_exposition(text), 1 + 3 + 1);
	cr_assert_eq(bad_calls, 1);
	cr_assert_null(strstr(text, "users"));
	evlp_free(text);
}

#define THREADS 8
#define ROUNDS 100000

struct hot {
	evld_counter   *c;
	evld_gauge     *g;
	evld_histogram *h;
};

static void *
hammer(void *arg)
{
	struct hot *hot = arg;
	for (int i = 0; i < ROUNDS; i++) {
		evld_counter_add(hot->c, 3);
		evld_gauge_add(hot->g, i % 2 ? 1 : -1);
		evld_histogram_observe(hot->h, (uint64_t) (i % 200));
	}
	return NULL;
}

Test(metrics, concurrent_updates_sum_exactly)
{
	struct hot hot;
	pthread_t  t[THREADS];

	evl_assert_ok(evld_metrics_counter(m, &hot.c, "evlog_hot_total", "H.",
	    NULL));
	evl_assert_ok(evld_metrics_gauge(m, &hot.g, "evlog_hot_gauge", "G.",
	    NULL));
	evl_assert_ok(evld_metrics_histogram(m, &hot.h, "evlog_hot_seconds",
	    "S.", NULL, (const uint64_t[]) { 99 }, 1));
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, &hot), 0);
	/* Renders racing the updates stay well-formed. */
	for (int i = 0; i < 20; i++) {
		char *text = render();
		check_exposition(text);
		cr_assert_eq(value_of(text, "evlog_hot_seconds_bucket{le=\"+Inf\"}"),
		    value_of(text, "evlog_hot_seconds_count"));
		evlp_free(text);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	char *text = render();
	cr_assert_eq(value_of(text, "evlog_hot_total"), 3.0 * THREADS * ROUNDS);
	cr_assert_eq(value_of(text, "evlog_hot_gauge"), 0);
	cr_assert_eq(value_of(text, "evlog_hot_seconds_bucket{le=\"0.000099\"}"),
	    THREADS * ROUNDS / 2);
	cr_assert_eq(value_of(text, "evlog_hot_seconds_count"),
	    THREADS * ROUNDS);
	/* Sum of i % 200 over ROUNDS rounds, per thread, in microseconds:
	 * 79.6 s, rendered exactly as "79.6". */
	uint64_t per = (ROUNDS / 200) * (199 * 200 / 2);
	cr_assert_eq(value_of(text, "evlog_hot_seconds_sum"),
	    (double) (per * THREADS) / 1e6);
	cr_assert(strstr(text, "\nevlog_hot_seconds_sum 79.6\n") != NULL);
	evlp_free(text);
}

Test(metrics, null_series_are_no_ops)
{
	evld_counter_add(NULL, 1);
	evld_counter_inc(NULL);
	evld_gauge_add(NULL, 1);
	evld_gauge_set(NULL, 1);
	evld_histogram_observe(NULL, 1);
	evld_metrics_free(NULL);
}

static const char *
op_name(int op)
{
	switch (op) {
	case 2: return "produce";
	case 3: return "fetch";
	default: return NULL;
	}
}

Test(metrics, broker_standard_set)
{
	struct evld_broker_metrics bm;

	evl_assert_ok(evld_broker_metrics_init(&bm, m, op_name));
	cr_assert_not_null(bm.requests[2]);
	cr_assert_null(bm.requests[1]);
	evld_broker_metrics_request(&bm, 2);
	evld_broker_metrics_request(&bm, 2);
	evld_broker_metrics_request(&bm, 3);
	evld_broker_metrics_request(&bm, 99);   /* no such op */
	evld_broker_metrics_request(&bm, 1000); /* out of range */
	evld_broker_metrics_error(&bm, 2, EVL_ENOTOPIC);
	evld_broker_metrics_error(&bm, 2, EVL_ENOTOPIC);
	evld_broker_metrics_error(&bm, 3, EVL_ETIMEDOUT);
	evld_broker_metrics_error(&bm, 77, EVL_EUNKNOWNOP);
	evld_broker_metrics_error(&bm, -1, EVL_EUNKNOWNOP);
	evld_broker_metrics_error(&bm, 2, 1000);
	evld_counter_add(bm.records_in, 10);
	evld_counter_add(bm.bytes_out, 1234);
	evld_gauge_add(bm.fetch_waiters, 2);
	evld_counter_add(bm.retention_records, 5);
	evld_histogram_observe(bm.store_write, 300);

	char *text = render();
	check_exposition(text);
	cr_assert_eq(value_of(text, "evlog_requests_total{op=\"produce\"}"), 2);
	cr_assert_eq(value_of(text, "evlog_requests_total{op=\"fetch\"}"), 1);
	cr_assert_eq(value_of(text,
	                 "evlog_request_errors_total{op=\"produce\","
	                 "error=\"EVL_ENOTOPIC\"}"),
	    2);
	cr_assert_eq(value_of(text,
	                 "evlog_request_errors_total{op=\"fetch\","
	                 "error=\"EVL_ETIMEDOUT\"}"),
	    1);
	cr_assert_eq(value_of(text,
	                 "evlog_request_errors_total{op=\"unknown\","
	                 "error=\"EVL_EUNKNOWNOP\"}"),
	    2);
	cr_assert_eq(value_of(text,
	                 "evlog_request_errors_total{op=\"produce\","
	                 "error=\"EVL_UNKNOWN\"}"),
	    1);
	cr_assert_eq(value_of(text, "evlog_records_total{direction=\"in\"}"),
	    10);
	cr_assert_eq(value_of(text, "evlog_records_total{direction=\"out\"}"),
	    0);
	cr_assert_eq(value_of(text, "evlog_bytes_total{direction=\"out\"}"),
	    1234);
	cr_assert_eq(value_of(text, "evlog_fetch_waiters"), 2);
	cr_assert_eq(value_of(text, "evlog_retention_removed_records_total"),
	    5);
	cr_assert_eq(value_of(text, "evlog_retention_removed_bytes_total"), 0);
	cr_assert_eq(value_of(text,
	                 "evlog_store_write_seconds_bucket{le=\"0.0005\"}"),
	    1);
	evlp_free(text);
	evld_broker_metrics_fini(&bm);
}

static void
collect_one(void *arg, evld_metrics_writer *w)
{
	const char *labels[] = { "topic", "t", NULL };
	(void) arg;
	if (evld_metrics_write_family(w, "evlog_dyn", "D.",
	        EVLD_METRIC_GAUGE) == 0)
		evld_metrics_write_u64(w, labels, 1);
}

/* Every allocation in registration and rendering may fail; each failure
 * is reported as EVL_ENOMEM, leaks nothing (ASan) and the next try
 * works. */
Test(metrics, allocation_failures)
{
	const char     *labels[] = { "op", "produce", NULL };
	evld_counter   *c;
	evld_histogram *h;
	int             rv;
	long            n;

	for (n = 0;; n++) {
		evlp_alloc_fail_after(n);
		rv = evld_metrics_counter(m, &c, "evlog_c_total", "C.", labels);
		if (rv == 0)
			rv = evld_metrics_histogram(m, &h, "evlog_h_seconds",
			    "H.", labels, NULL, 0);
		if (rv == 0)
			rv = evld_metrics_collector_add(m, collect_one, NULL);
		evlp_alloc_fail_after(-1);
		if (rv == 0)
			break;
		evl_assert_err(rv, EVL_ENOMEM);
		evld_metrics_collector_remove(m, collect_one, NULL);
	}
	cr_assert_gt(n, 3);
	evld_counter_inc(c);
	for (n = 0;; n++) {
		char  *text;
		size_t len;

		evlp_alloc_fail_after(n);
		rv = evld_metrics_render(m, &text, &len);
		evlp_alloc_fail_after(-1);
		if (rv == 0) {
			check_exposition(text);
			cr_assert_eq(value_of(text,
			                 "evlog_c_total{op=\"produce\"}"),
			    1);
			cr_assert_eq(value_of(text, "evlog_dyn{topic=\"t\"}"),
			    1);
			evlp_free(text);
			break;
		}
		evl_assert_err(rv, EVL_ENOMEM);
	}
	cr_assert_gt(n, 3);

	struct evld_broker_metrics bm;
	for (n = 0;; n++) {
		evlp_alloc_fail_after(n);
		rv = evld_broker_metrics_init(&bm, m, op_name);
		evlp_alloc_fail_after(-1);
		if (rv == 0)
			break;
		evl_assert_err(rv, EVL_ENOMEM);
	}
	evld_broker_metrics_fini(&bm);
}
