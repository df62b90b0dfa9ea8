/*
 * bench_test.c -- the benchmark program itself: evlog-bench's argument
 * errors (exit 2 with a message, before any connection), and the shape of
 * its output against a real evlogd child: the last line is one JSON object
 * with the documented fields, the records it claims to have produced are
 * in the topics, and a consume of more records than exist fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>
#include <jansson.h>

#include "client_util.h"
#include "evl_test.h"

#ifndef EVLB_BENCH
#error "EVLB_BENCH (the evlog-bench binary) must be defined"
#endif

typedef struct run_out {
	int  status;
	char out[16384];
	char err[16384];
} run_out;

static void
slurp(const char *path, char *buf, size_t cap)
{
	FILE  *f = fopen(path, "r");
	size_t n = 0;
	if (f) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs evlog-bench with args (a shell word list) and captures both
 * streams. */
static void
run(run_out *r, const char *dir, const char *args)
{
	char cmd[2048], o[512], e[512];
	snprintf(o, sizeof(o), "%s/bench.out", dir);
	snprintf(e, sizeof(e), "%s/bench.err", dir);
	snprintf(cmd, sizeof(cmd), "'%s' %s >'%s' 2>'%s' </dev/null",
	    EVLB_BENCH, args, o, e);
	r->status = evlct_sh(cmd);
	slurp(o, r->out, sizeof(r->out));
	slurp(e, r->err, sizeof(r->err));
}

/* The last line of out, parsed; cr_asserts it is one JSON object. */
static json_t *
last_json(const run_out *r)
{
	char buf[sizeof(r->out)];
	snprintf(buf, sizeof(buf), "%s", r->out);
	size_t n = strlen(buf);
	cr_assert(n > 1 && buf[n - 1] == '\n', "no output: %s", r->err);
	buf[n - 1] = '\0';
	char   *line = strrchr(buf, '\n');
	line         = line ? line + 1 : buf;
	json_error_t e;
	json_t      *j = json_loads(line, 0, &e);
	cr_assert(j != NULL, "last line is not JSON (%s): %s", e.text, line);
	cr_assert(json_is_object(j), "last line is not an object: %s", line);
	return j;
}

static double
num(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	cr_assert(json_is_number(v), "\"%s\" missing or not a number", key);
	return json_number_value(v);
}

/* Checks the fields every result has, and the latency ones when lat. */
static void
check_shape(json_t *j, const char *op, double records, double size, bool lat)
{
	cr_assert_str_eq(json_string_value(json_object_get(j, "op")), op);
	cr_assert_eq(num(j, "records"), records);
	double secs = num(j, "seconds"), rps = num(j, "records_per_s");
	cr_assert(secs > 0, "seconds %f", secs);
	cr_assert(rps > 0 && rps < 1e9, "records_per_s %f", rps);
	/* rates agree with each other to the printed precision */
	cr_assert(rps > records / secs * 0.99 && rps < records / secs * 1.01,
	    "records_per_s %f vs %f / %f", rps, records, secs);
	double mb = num(j, "mb_per_s");
	cr_assert(mb > rps * size / 1e6 * 0.99 - 0.01 &&
	        mb < rps * size / 1e6 * 1.01 + 0.01,
	    "mb_per_s %f for %f records/s of %f bytes", mb, rps, size);
	if (lat) {
		double p50 = num(j, "p50_us"), p99 = num(j, "p99_us"),
		       p999 = num(j, "p999_us");
		cr_assert(p50 > 0 && p50 <= p99 && p99 <= p999,
		    "percentiles %f %f %f", p50, p99, p999);
	} else {
		cr_assert_null(json_object_get(j, "p50_us"));
		cr_assert_null(json_object_get(j, "p99_us"));
		cr_assert_null(json_object_get(j, "p999_us"));
	}
	size_t n = json_object_size(j);
	cr_assert_eq(n, lat ? 8u : 5u, "%zu fields", n);
}

/* ---- argument errors: exit 2, a message, no connection ------------- */

static void
usage_error(const char *args, const char *want)
{
	char    dir[256];
	run_out r;
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	/* An unreachable broker: an argument error must come first. */
	char full[1024];
	snprintf(full, sizeof(full), "%s", args);
	run(&r, dir, full);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	evlct_sh(cmd);
	cr_assert_eq(r.status, 2, "evlog-bench %s: exit %d, stderr: %s", args,
	    r.status, r.err);
	cr_assert(strstr(r.err, want) != NULL,
	    "evlog-bench %s: stderr lacks \"%s\": %s", args, want, r.err);
	cr_assert(strncmp(r.err, "evlog-bench: ", 13) == 0, "%s", r.err);
	cr_assert_str_eq(r.out, "", "stdout not empty: %s", r.out);
}

#define NOWHERE "-b tcp://127.0.0.1:1 "

Test(bench_args, no_command)
{
	usage_error("", "no command");
}

Test(bench_args, unknown_command)
{
	usage_error("publish --topic t", "unknown command 'publish'");
}

Test(bench_args, unknown_option)
{
	usage_error("consume " NOWHERE "--topic t --records 5 --frob g",
	    "unknown option --frob");
}

Test(bench_args, option_of_another_command)
{
	usage_error("consume " NOWHERE "--topic t --records 5 --linger 3",
	    "consume does not take --linger");
	usage_error("produce " NOWHERE "--topic t --records 5 --size 9 "
	            "--group g",
	    "produce does not take --group");
	usage_error("produce " NOWHERE "--topic t --records 5 --size 9 "
	            "--rate 3",
	    "produce does not take --rate");
}

Test(bench_args, missing_required)
{
	usage_error("produce " NOWHERE "--records 5 --size 10",
	    "--topic is required");
	usage_error("produce " NOWHERE "--topic t --size 10",
	    "--records and --size are required");
	usage_error("consume " NOWHERE "--topic t", "--records is required");
	usage_error("latency " NOWHERE "--topic t --rate 10",
	    "--rate and --seconds are required");
}

Test(bench_args, bad_values)
{
	usage_error("produce " NOWHERE "--topic t --records 5 --size 0",
	    "--size: '0' is not a number");
	usage_error("produce " NOWHERE "--topic t --records x --size 5",
	    "--records: 'x' is not a number");
	usage_error("produce " NOWHERE "--topic t --records 5 --size 5 "
	            "--acks all",
	    "--acks: 'all' is not none, written or fsync");
	usage_error("produce " NOWHERE "--topic t --records 2 --size 5 "
	            "--producers 3",
	    "fewer --records (2) than --producers (3)");
	usage_error("latency " NOWHERE "--topic t --rate 10 --seconds 1 "
	            "--size 4",
	    "--size must be at least 8");
	usage_error("produce " NOWHERE "--topic t --records 5 --size 5 extra",
	    "unexpected argument 'extra'");
	usage_error("produce " NOWHERE "--topic t --records 5 --size",
	    "needs a value");
}

Test(bench_args, help_exits_0)
{
	char    dir[256];
	run_out r;
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	run(&r, dir, "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "evlog-bench produce") != NULL, "%s", r.out);
	run(&r, dir, "latency -h");
	cr_assert_eq(r.status, 0);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	evlct_sh(cmd);
}

/* ---- output against a broker --------------------------------------- */

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

TestSuite(bench_run, .init = setup, .fini = teardown, .timeout = 120);

/* Records stored in a topic: the sum of its partitions' heads. */
static uint64_t
stored(const char *topic, uint32_t *parts)
{
	evl_client_opts o;
	evl_client     *c;
	evl_topic_info *t;
	uint64_t        n = 0;
	evl_client_opts_init(&o);
	o.url = broker.url;
	evl_assert_ok(evl_client_open(&c, &o));
	evl_assert_ok(evl_topic_describe(c, topic, &t));
	for (size_t i = 0; i < t->partition_count; i++)
		n += t->partitions[i].next_offset;
	*parts = (uint32_t) t->partition_count;
	evl_topic_info_free(t, 1);
	evl_client_close(c);
	return n;
}

Test(bench_run, produce_then_consume)
{
	run_out r;
	char    args[1024];
	uint32_t parts;

	snprintf(args, sizeof(args),
	    "produce -b %s --topic pc --partitions 3 --records 3000 "
	    "--size 100 --batch 100 --producers 2 -q",
	    broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	json_t *j = last_json(&r);
	check_shape(j, "produce", 3000, 100, true);
	json_decref(j);
	cr_assert(strstr(r.out, "records/s") != NULL, "no table: %s", r.out);
	cr_assert_eq(stored("pc", &parts), 3000);
	cr_assert_eq(parts, 3);

	snprintf(args, sizeof(args),
	    "consume -b %s --topic pc --records 3000 -q", broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	j = last_json(&r);
	check_shape(j, "consume", 3000, 100, false);
	json_decref(j);

	/* Asking for more than is there fails once the reader stalls. */
	snprintf(args, sizeof(args),
	    "consume -b %s --topic pc --records 3001 --timeout 300 -q",
	    broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.out);
	cr_assert(strstr(r.err, "after 3000 of 3001") != NULL, "%s", r.err);
}

/* The group's committed offsets over the topic's partitions. */
static uint64_t
committed(const char *group, const char *topic, uint32_t parts)
{
	evl_client_opts o;
	evl_client     *c;
	uint64_t        n = 0;
	evl_client_opts_init(&o);
	o.url = broker.url;
	evl_assert_ok(evl_client_open(&c, &o));
	for (uint32_t p = 0; p < parts; p++) {
		int64_t off = -1;
		evl_assert_ok(evl_group_committed(c, group, topic, p, &off));
		if (off > 0)
			n += (uint64_t) off;
	}
	evl_client_close(c);
	return n;
}

Test(bench_run, consume_as_a_group_member_commits_what_it_read)
{
	run_out  r;
	char     args[1024];
	uint32_t parts;

	snprintf(args, sizeof(args),
	    "produce -b %s --topic gc --partitions 4 --records 2000 "
	    "--size 50 --batch 100 -q",
	    broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_assert_eq(stored("gc", &parts), 2000);

	snprintf(args, sizeof(args),
	    "consume -b %s --topic gc --records 2000 --group bg -q",
	    broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	json_t *j = last_json(&r);
	check_shape(j, "consume", 2000, 50, false);
	json_decref(j);
	cr_assert_eq(committed("bg", "gc", parts), 2000);

	/* The group starts from its commits: nothing is left to read. */
	snprintf(args, sizeof(args),
	    "consume -b %s --topic gc --records 1 --group bg --timeout 300 -q",
	    broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.out);
	cr_assert(strstr(r.err, "after 0 of 1") != NULL, "%s", r.err);
}

Test(bench_run, produce_spreads_over_topics)
{
	run_out  r;
	char     args[1024];
	uint32_t parts;

	snprintf(args, sizeof(args),
	    "produce -b %s --topic multi --topics 3 --records 3001 "
	    "--size 16 --acks fsync -q",
	    broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	json_t *j = last_json(&r);
	check_shape(j, "produce", 3001, 16, true);
	json_decref(j);
	cr_assert_eq(stored("multi-0", &parts), 1001);
	cr_assert_eq(stored("multi-1", &parts), 1000);
	cr_assert_eq(stored("multi-2", &parts), 1000);
}

Test(bench_run, latency)
{
	run_out  r;
	char     args[1024];
	uint32_t parts;

	snprintf(args, sizeof(args),
	    "latency -b %s --topic lat --rate 500 --seconds 1 -q",
	    broker.url);
	run(&r, broker.dir, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	json_t *j = last_json(&r);
	check_shape(j, "latency", 500, 100, true);
	/* the table splits off the acknowledgement half */
	cr_assert(strstr(r.out, "produce call to acknowledgement") != NULL,
	    "%s", r.out);
	/* paced: about one second, not as fast as it can */
	cr_assert(num(j, "seconds") > 0.9, "%f", num(j, "seconds"));
	json_decref(j);
	cr_assert_eq(stored("lat", &parts), 500);
}

Test(bench_run, unreachable_broker_fails_with_1)
{
	run_out r;
	run(&r, broker.dir,
	    "consume -b tcp://127.0.0.1:1 --topic t --records 1 "
	    "--timeout 500 -q");
	cr_assert_eq(r.status, 1, "exit %d", r.status);
	cr_assert(strstr(r.err, "cannot reach the broker") != NULL, "%s",
	    r.err);
}
