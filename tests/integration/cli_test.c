/*
 * The `evlog` CLI end to end: the built binary runs as a child process
 * (pipes on stdin, stdout and stderr) against an evlogd child on an
 * ephemeral port with a temporary data directory.  Exit statuses, stdout
 * and stderr are checked; --json output is parsed with jansson and
 * checked field by field.  Nothing sleeps to synchronize: a follower is
 * watched until the expected line appears, with a deadline.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client_util.h"

#ifndef EVLOG_PATH
#error "EVLOG_PATH (the evlog binary) must be defined"
#endif

/* ---- running the CLI ---------------------------------------------------- */

typedef struct proc {
	pid_t       pid;
	int         in_fd, out_fd, err_fd;
	const char *in;
	size_t      in_len, in_off;
	char       *out, *err;
	size_t      out_len, err_len;
	int         status; /* exit status, or 128+signal */
} proc;

static void
append(char **buf, size_t *len, const char *p, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	cr_assert_not_null(*buf);
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void proc_start_prog(proc *p, const char *prog, const char *in,
    size_t in_len, const char *const *args, const char *const *env);

/* Starts EVLOG_PATH with argv (NULL-terminated, without argv[0]). */
static void
proc_start(proc *p, const char *in, size_t in_len, const char *const *args,
    const char *const *env)
{
	proc_start_prog(p, EVLOG_PATH, in, in_len, args, env);
}

/* Starts prog; in == NULL with in_len 1 keeps stdin open for later
 * (p->in and p->in_len set then). */
static void
proc_start_prog(proc *p, const char *prog, const char *in, size_t in_len,
    const char *const *args, const char *const *env)
{
	int         pin[2], pout[2], perr[2];
	const char *argv[64];
	int         argc = 0;
	memset(p, 0, sizeof(*p));
	argv[argc++] = prog;
	for (size_t i = 0; args[i]; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	cr_assert(pipe(pin) == 0 && pipe(pout) == 0 && pipe(perr) == 0);
	pid_t parent = getpid();
	p->pid       = fork();
	cr_assert(p->pid >= 0);
	if (p->pid == 0) {
		evlct_die_with_parent(parent);
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		close(pin[0]), close(pin[1]);
		close(pout[0]), close(pout[1]);
		close(perr[0]), close(perr[1]);
		unsetenv("EVLOG_BROKER");
		for (size_t i = 0; env && env[i]; i++)
			putenv((char *) env[i]);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	p->in_fd = pin[1];
	p->out_fd = pout[0];
	p->err_fd = perr[0];
	p->in = in;
	p->in_len = in ? in_len : 0;
	fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
	if (in == NULL && in_len == 1)
		return; /* stdin stays open: the caller writes later */
	if (p->in_len == 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
}

/* Moves data through the pipes for up to ms; false when both outputs
 * are closed. */
static bool
proc_pump(proc *p, int ms)
{
	struct pollfd f[3];
	int           n = 0, iin = -1, iout = -1, ierr = -1;
	/* Only with bytes to write: an open stdin waiting for its
	 * input (proc_start_prog) would make poll return at once. */
	if (p->in_fd >= 0 && p->in_len > p->in_off)
		iin = n, f[n++] = (struct pollfd) { p->in_fd, POLLOUT, 0 };
	if (p->out_fd >= 0)
		iout = n, f[n++] = (struct pollfd) { p->out_fd, POLLIN, 0 };
	if (p->err_fd >= 0)
		ierr = n, f[n++] = (struct pollfd) { p->err_fd, POLLIN, 0 };
	if (p->out_fd < 0 && p->err_fd < 0)
		return false;
	if (poll(f, (nfds_t) n, ms) <= 0)
		return true;
	char buf[65536];
	if (iin >= 0 && f[iin].revents && p->in_len > p->in_off) {
		ssize_t w = write(
		    p->in_fd, p->in + p->in_off, p->in_len - p->in_off);
		if (w > 0)
			p->in_off += (size_t) w;
		if ((w < 0 && errno != EAGAIN) || p->in_off == p->in_len) {
			close(p->in_fd);
			p->in_fd = -1;
		}
	}
	int    *fds[2] = { &p->out_fd, &p->err_fd };
	int     idx[2] = { iout, ierr };
	char  **bufs[2] = { &p->out, &p->err };
	size_t *lens[2] = { &p->out_len, &p->err_len };
	for (int k = 0; k < 2; k++) {
		if (idx[k] < 0 || f[idx[k]].revents == 0)
			continue;
		ssize_t r = read(*fds[k], buf, sizeof(buf));
		if (r > 0)
			append(bufs[k], lens[k], buf, (size_t) r);
		else if (r == 0 || errno != EINTR) {
			close(*fds[k]);
			*fds[k] = -1;
		}
	}
	return true;
}

/* Waits until stdout contains want; false at the deadline. */
static bool
proc_wait_out(proc *p, const char *want, uint32_t timeout_ms)
{
	uint64_t deadline = evlct_now_ms() + timeout_ms;
	while (!(p->out && strstr(p->out, want))) {
		if (evlct_now_ms() >= deadline || !proc_pump(p, 50))
			return p->out && strstr(p->out, want);
	}
	return true;
}

/* Reads everything and reaps the child; fails the test after 60 s. */
static int
proc_finish(proc *p)
{
	uint64_t deadline = evlct_now_ms() + 60000;
	while (proc_pump(p, 100))
		if (evlct_now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			cr_assert_fail(
			    "evlog did not finish in time; stderr: %s",
			    p->err ? p->err : "");
		}
	if (p->in_fd >= 0)
		close(p->in_fd);
	int st;
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (p->out == NULL)
		append(&p->out, &p->out_len, "", 0);
	if (p->err == NULL)
		append(&p->err, &p->err_len, "", 0);
	return p->status;
}

static void
proc_free(proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
}

static void
run_in(proc *p, const char *in, size_t in_len, const char *const *args)
{
	proc_start(p, in, in_len, args, NULL);
	proc_finish(p);
}

/* stdin given as a string, or NULL for none. */
static void
run_str(proc *p, const char *in, const char *const *args)
{
	run_in(p, in, in ? strlen(in) : 0, args);
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })
/* Runs evlog with the test broker: RUN(&p, stdin or NULL, args...). */
#define RUN(p, in, ...)     run_str(p, in, ARGS("-b", broker.url, __VA_ARGS__))
#define RUN_NOB(p, in, ...) run_str(p, in, ARGS(__VA_ARGS__))

#define assert_exit(p, want)                                                  \
	cr_assert_eq((p)->status, want,                                       \
	    "exit %d, want %d\nstdout: %s\nstderr: %s", (p)->status, want,    \
	    (p)->out, (p)->err)

/* ---- the broker --------------------------------------------------------- */

static evlct_broker broker;

static void
start_broker(void)
{
	cr_assert_eq(evlct_broker_start(&broker, NULL, NULL), 0,
	    "evlogd did not start");
}

static void
stop_broker(void)
{
	evlct_broker_stop(&broker, false);
}

TestSuite(cli, .init = start_broker, .fini = stop_broker);

static void
create(const char *topic, const char *parts)
{
	proc p;
	RUN(&p, NULL, "topics", "create", topic, "--partitions", parts);
	assert_exit(&p, 0);
	proc_free(&p);
}

/* Splits stdout into lines (the array and strings are freed by the
 * caller with free_lines). */
static size_t
lines(const char *out, char ***lv)
{
	size_t n = 0;
	char **v = NULL;
	for (const char *s = out; *s;) {
		const char *nl = strchr(s, '\n');
		size_t      l = nl ? (size_t) (nl - s) : strlen(s);
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strndup(s, l);
		s += l + (nl != NULL);
	}
	*lv = v;
	return n;
}

static void
free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Parses every stdout line as a JSON object. */
static size_t
json_lines(const char *out, json_t ***jv)
{
	char   **lv;
	size_t   n = lines(out, &lv);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		json_error_t e;
		v[i] = json_loads(lv[i], 0, &e);
		cr_assert_not_null(
		    v[i], "line %zu '%s': %s", i, lv[i], e.text);
		cr_assert(json_is_object(v[i]));
	}
	free_lines(lv, n);
	*jv = v;
	return n;
}

static void
free_json(json_t **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(v[i]);
	free(v);
}

static json_int_t
jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "'%s' is not an integer", k);
	return json_integer_value(v);
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_string(v), "'%s' is not a string", k);
	return json_string_value(v);
}

/* "1\n2\n...n\n" */
static char *
numbered(int from, int to)
{
	char  *s = NULL;
	size_t len = 0;
	for (int i = from; i <= to; i++) {
		char b[16];
		int  l = snprintf(b, sizeof(b), "%d\n", i);
		append(&s, &len, b, (size_t) l);
	}
	return s;
}

/* ---- produce and tail --------------------------------------------------- */

Test(cli, produce_stdin_then_tail_everything)
{
	proc  p;
	char *in = numbered(1, 25);
	create("orders", "3");
	RUN(&p, in, "produce", "orders");
	assert_exit(&p, 0);
	cr_assert_eq(p.out_len, 0, "produce writes nothing on stdout");
	proc_free(&p);
	free(in);

	RUN(&p, NULL, "tail", "orders", "--from", "beginning", "--format",
	    "%p %o %s\\n");
	assert_exit(&p, 0);
	char **lv;
	size_t n = lines(p.out, &lv);
	cr_assert_eq(n, 25, "got: %s", p.out);
	bool      seen[26] = { false };
	long long last[3] = { -1, -1, -1 };
	for (size_t i = 0; i < n; i++) {
		unsigned  part;
		long long off;
		int       v;
		cr_assert_eq(sscanf(lv[i], "%u %lld %d", &part, &off, &v), 3);
		cr_assert(part < 3 && v >= 1 && v <= 25 && !seen[v]);
		seen[v] = true;
		cr_assert_gt(
		    off, last[part], "offsets in order per partition");
		last[part] = off;
	}
	free_lines(lv, n);
	proc_free(&p);
}

Test(cli, big_stdin_is_batched_and_complete)
{
	proc  p;
	char *in = numbered(1, 20000);
	create("big", "2");
	RUN(&p, in, "produce", "big", "--acks", "written");
	assert_exit(&p, 0);
	proc_free(&p);
	free(in);
	RUN(&p, NULL, "topics", "describe", "big", "--json");
	assert_exit(&p, 0);
	json_t *d = json_loads(p.out, 0, NULL);
	cr_assert_not_null(d);
	json_t    *parts = json_object_get(d, "partitions");
	json_int_t total = 0;
	for (size_t i = 0; i < json_array_size(parts); i++)
		total += jint(json_array_get(parts, i), "records");
	cr_assert_eq(total, 20000);
	json_decref(d);
	proc_free(&p);
	RUN(&p, NULL, "tail", "big", "--from", "beginning", "--count", "20000",
	    "--format", "%s\\n");
	assert_exit(&p, 0);
	char **lv;
	size_t n = lines(p.out, &lv);
	cr_assert_eq(n, 20000);
	free_lines(lv, n);
	proc_free(&p);
}

Test(cli, tail_last_10_and_n)
{
	proc  p;
	char *in = numbered(1, 30);
	create("t1", "1");
	RUN(&p, in, "produce", "t1");
	assert_exit(&p, 0);
	proc_free(&p);
	free(in);

	RUN(&p, NULL, "tail", "t1");
	assert_exit(&p, 0);
	char *want = numbered(21, 30);
	cr_assert_str_eq(p.out, want);
	free(want);
	proc_free(&p);

	RUN(&p, NULL, "tail", "t1", "-n", "3");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "28\n29\n30\n");
	proc_free(&p);

	RUN(&p, NULL, "tail", "-n0", "t1");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);

	RUN(&p, NULL, "tail", "t1", "-n", "1000");
	assert_exit(&p, 0);
	want = numbered(1, 30);
	cr_assert_str_eq(p.out, want);
	free(want);
	proc_free(&p);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
clock_past(void *arg)
{
	return wall_ms() > *(int64_t *) arg;
}

/* Appends one record and returns once the wall clock has moved past the
 * millisecond of its acknowledgement, so the next record's broker time
 * (same machine, same clock) is strictly later. */
static void
produce_to(const char *topic, const char *part, const char *value)
{
	proc p;
	RUN(&p, NULL, "produce", topic, "--partition", part, value);
	assert_exit(&p, 0);
	proc_free(&p);
	int64_t acked = wall_ms();
	cr_assert(evlct_wait_until(clock_past, &acked, 1000));
}

static int
cmp_rec(const void *a, const void *b)
{
	json_t    *x = *(json_t *const *) a, *y = *(json_t *const *) b;
	json_int_t k[3][2] = {
		{ jint(x, "timestamp"), jint(y, "timestamp") },
		{ jint(x, "partition"), jint(y, "partition") },
		{ jint(x, "offset"), jint(y, "offset") },
	};
	for (int i = 0; i < 3; i++)
		if (k[i][0] != k[i][1])
			return k[i][0] < k[i][1] ? -1 : 1;
	return 0;
}

Test(cli, last_n_is_newest_overall_merged_by_time)
{
	proc p;
	create("m", "3");
	/* Uneven partitions, interleaved in time. */
	const char *plan[][2] = { { "0", "a" }, { "0", "b" }, { "1", "c" },
		{ "0", "d" }, { "2", "e" }, { "2", "f" }, { "1", "g" },
		{ "0", "h" }, { "2", "i" }, { "1", "j" } };
	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++)
		produce_to("m", plan[i][0], plan[i][1]);

	RUN(&p, NULL, "tail", "m", "--from", "beginning", "--json");
	assert_exit(&p, 0);
	json_t **all;
	size_t   n = json_lines(p.out, &all);
	cr_assert_eq(n, 10);
	/* Printed in (timestamp, partition, offset) order. */
	for (size_t i = 1; i < n; i++)
		cr_assert_leq(cmp_rec(&all[i - 1], &all[i]), 0);
	/* Each produce was acknowledged before the next began, so the
	 * broker's order is the production order. */
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(jstr(all[i], "value"), plan[i][1]);
	proc_free(&p);

	RUN(&p, NULL, "tail", "m", "-n", "4", "--json");
	assert_exit(&p, 0);
	json_t **last;
	size_t   m = json_lines(p.out, &last);
	cr_assert_eq(m, 4);
	for (size_t i = 0; i < m; i++) {
		cr_assert_eq(cmp_rec(&last[i], &all[n - m + i]), 0,
		    "record %zu of the last 4", i);
		cr_assert_str_eq(
		    jstr(last[i], "value"), jstr(all[n - m + i], "value"));
	}
	free_json(last, m);
	free_json(all, n);
	proc_free(&p);

	/* One partition only. */
	RUN(&p, NULL, "tail", "m", "--partition", "1", "--format", "%s");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "cgj");
	proc_free(&p);
}

Test(cli, from_beginning_end_and_offset)
{
	proc p;
	create("f", "2");
	for (int i = 0; i < 4; i++) {
		char v[8];
		snprintf(v, sizeof(v), "p0-%d", i);
		produce_to("f", "0", v);
		snprintf(v, sizeof(v), "p1-%d", i);
		produce_to("f", "1", v);
	}
	RUN(&p, NULL, "tail", "f", "--from", "beginning", "--format", "%s ");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "p0-0 p1-0 p0-1 p1-1 p0-2 p1-2 p0-3 p1-3 ");
	proc_free(&p);

	RUN(&p, NULL, "tail", "f", "--from", "end");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);

	/* An offset applies to every partition. */
	RUN(&p, NULL, "tail", "f", "--from", "2", "--format", "%p:%o ");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "0:2 1:2 0:3 1:3 ");
	proc_free(&p);

	RUN(&p, NULL, "tail", "f", "--from=3", "--partition", "1", "--format",
	    "%s");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "p1-3");
	proc_free(&p);

	/* Past the head: nothing, and no error. */
	RUN(&p, NULL, "tail", "f", "--from", "99");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);
}

static void
rfc3339(int64_t ms, int offset_min, char *buf, size_t len)
{
	time_t    t = (time_t) ((ms + offset_min * 60000LL) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[40];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (offset_min == 0)
		snprintf(buf, len, "@%s.%03dZ", base, (int) (ms % 1000));
	else
		snprintf(buf, len, "@%s.%03d%c%02d:%02d", base,
		    (int) (ms % 1000), offset_min < 0 ? '-' : '+',
		    abs(offset_min) / 60, abs(offset_min) % 60);
}

/* The broker time of the record at offset of a one-partition topic. */
static int64_t
ts_at(const char *topic, const char *offset)
{
	proc p;
	RUN(&p, NULL, "tail", topic, "--from", offset, "--count", "1",
	    "--format", "%T");
	assert_exit(&p, 0);
	int64_t ts = strtoll(p.out, NULL, 10);
	cr_assert_gt(ts, 0);
	proc_free(&p);
	return ts;
}

Test(cli, from_time_forms)
{
	proc p;
	create("tm", "1");
	RUN(&p, "old1\nold2\n", "produce", "tm");
	assert_exit(&p, 0);
	proc_free(&p);
	/* The two records may have been sent in one batch or two. */
	int64_t old = ts_at("tm", "0"), old_last = ts_at("tm", "1");
	/* Let the wall clock move well past the old records' time, so the
	 * new ones are distinguishable by a relative --from too. */
	int64_t gap = old_last + 4000;
	cr_assert(evlct_wait_until(clock_past, &gap, 10000));
	RUN(&p, "new1\nnew2\n", "produce", "tm");
	assert_exit(&p, 0);
	proc_free(&p);
	int64_t nw = ts_at("tm", "2");
	cr_assert_gt(nw, old_last + 4000);

	char at[64];
	rfc3339(nw, 0, at, sizeof(at));
	RUN(&p, NULL, "tail", "tm", "--from", at);
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "new1\nnew2\n", "--from %s", at);
	proc_free(&p);

	/* The same instant with a zone offset. */
	rfc3339(nw, 150, at, sizeof(at));
	RUN(&p, NULL, "tail", "tm", "--from", at);
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "new1\nnew2\n", "--from %s", at);
	proc_free(&p);
	rfc3339(nw, -300, at, sizeof(at));
	RUN(&p, NULL, "tail", "tm", "--from", at);
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "new1\nnew2\n", "--from %s", at);
	proc_free(&p);

	rfc3339(old, 0, at, sizeof(at));
	RUN(&p, NULL, "tail", "tm", "--from", at);
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "old1\nold2\nnew1\nnew2\n");
	proc_free(&p);

	snprintf(at, sizeof(at), "@%lld", (long long) nw);
	RUN(&p, NULL, "tail", "tm", "--from", at);
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "new1\nnew2\n");
	proc_free(&p);

	RUN(&p, NULL, "tail", "tm", "--from", "@2999-01-01T00:00:00Z");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);

	/* -DURATION: back from now. */
	RUN(&p, NULL, "tail", "tm", "--from", "-1h");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "old1\nold2\nnew1\nnew2\n");
	proc_free(&p);
	/* A window that starts just after the old records as of now: the
	 * CLI's "now" is later by its start-up time, which may be up to
	 * the gap (4 s) before the new records fall out of the window. */
	char    d[32];
	int64_t back = wall_ms() - old_last - 200;
	snprintf(d, sizeof(d), "-%lldms", (long long) back);
	RUN(&p, NULL, "tail", "tm", "--from", d);
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "new1\nnew2\n", "--from %s", d);
	proc_free(&p);
}

Test(cli, count_stops_early)
{
	proc  p;
	char *in = numbered(1, 10);
	create("c", "1");
	RUN(&p, in, "produce", "c");
	assert_exit(&p, 0);
	proc_free(&p);
	free(in);
	RUN(&p, NULL, "tail", "c", "--from", "beginning", "--count", "3");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "1\n2\n3\n");
	proc_free(&p);
	RUN(&p, NULL, "tail", "c", "--count", "2");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "1\n2\n");
	proc_free(&p);
	/* -f with --count ends by itself once the count is reached. */
	RUN(&p, NULL, "tail", "c", "-f", "-n", "2", "--count", "2");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "9\n10\n");
	proc_free(&p);
}

static void
follow_and_signal(int sig)
{
	proc  p, q;
	char *in = numbered(1, 12);
	create("live", "2");
	RUN(&q, in, "produce", "live", "--key-separator", "|");
	assert_exit(&q, 0);
	proc_free(&q);
	free(in);

	proc_start(&p, NULL, 0,
	    ARGS("tail", "live", "-f", "--format", "%s\\n", "-b", broker.url),
	    NULL);
	/* With no -n/--from it starts from the last 10 (3..12). */
	cr_assert(proc_wait_out(&p, "12\n", 20000), "out: %s", p.out);
	RUN(&q, NULL, "produce", "live", "--key", "k", "arrived-later");
	assert_exit(&q, 0);
	proc_free(&q);
	cr_assert(proc_wait_out(&p, "arrived-later\n", 20000),
	    "the follower did not print the new record; out: %s", p.out);
	/* One key, so one partition: unkeyed records may spread over
	 * both, and "third" could then be printed before "second". */
	RUN(&q, "second\nthird\n", "produce", "live", "--key", "k");
	assert_exit(&q, 0);
	proc_free(&q);
	cr_assert(proc_wait_out(&p, "third\n", 20000), "out: %s", p.out);
	kill(p.pid, sig);
	proc_finish(&p);
	assert_exit(&p, 0);
	char **lv;
	size_t n = lines(p.out, &lv);
	cr_assert_eq(n, 13, "10 + 3 lines: %s", p.out);
	cr_assert_str_eq(lv[10], "arrived-later");
	cr_assert_str_eq(lv[12], "third");
	free_lines(lv, n);
	proc_free(&p);
}

Test(cli, follow_prints_new_records_and_exits_0_on_sigterm)
{
	follow_and_signal(SIGTERM);
}

Test(cli, follow_exits_0_on_sigint)
{
	follow_and_signal(SIGINT);
}

Test(cli, follow_from_end_through_a_pipe)
{
	proc p, q;
	create("pipe", "1");
	produce_to("pipe", "0", "before");
	proc_start(&p, NULL, 0,
	    ARGS("-b", broker.url, "tail", "-f", "--from", "end", "pipe",
	        "--json"),
	    NULL);
	/* Nothing is printed until a record arrives; produce until the
	 * follower (which may still be starting) shows one. */
	uint64_t deadline = evlct_now_ms() + 20000;
	bool     got = false;
	while (!got && evlct_now_ms() < deadline) {
		RUN(&q, NULL, "produce", "pipe", "tick");
		assert_exit(&q, 0);
		proc_free(&q);
		got = proc_wait_out(&p, "\"tick\"", 1000);
	}
	cr_assert(got, "out: %s", p.out);
	kill(p.pid, SIGTERM);
	proc_finish(&p);
	assert_exit(&p, 0);
	cr_assert_null(strstr(p.out, "before"));
	json_t **v;
	size_t   n = json_lines(p.out, &v);
	cr_assert_geq(n, 1);
	cr_assert_str_eq(jstr(v[0], "value"), "tick");
	free_json(v, n);
	proc_free(&p);
}

/* ---- per-key streams ---------------------------------------------------- */

Test(cli, streams_expected_versions_and_reads)
{
	proc p;
	RUN(&p, NULL, "topics", "create", "account", "--streams", "-p", "3");
	assert_exit(&p, 0);
	proc_free(&p);

	RUN(&p, NULL, "produce", "account", "--key", "acct-1",
	    "--expect-version", "no_stream", "opened");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, "deposit 10\ndeposit 20\n", "produce", "account", "--key",
	    "acct-1", "--expect-version", "0");
	assert_exit(&p, 0);
	proc_free(&p);
	/* A stale expected version: exit 3, the current version on
	 * stderr, nothing appended. */
	RUN(&p, NULL, "produce", "account", "--key", "acct-1",
	    "--expect-version", "0", "late");
	assert_exit(&p, 3);
	cr_assert_not_null(strstr(p.err, "current version is 2"), "%s", p.err);
	proc_free(&p);
	RUN(&p, NULL, "produce", "account", "--key", "acct-1",
	    "--expect-version", "sometimes", "x");
	assert_exit(&p, 2);
	proc_free(&p);

	RUN(&p, NULL, "stream", "version", "account", "acct-1");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "2\n");
	proc_free(&p);
	RUN(&p, NULL, "stream", "version", "account", "acct-404");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "none\n");
	proc_free(&p);

	RUN(&p, NULL, "stream", "read", "account", "acct-1");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "opened\ndeposit 10\ndeposit 20\n");
	proc_free(&p);
	RUN(&p, NULL, "stream", "read", "account", "acct-1", "--backwards",
	    "--count", "2");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "deposit 20\ndeposit 10\n");
	proc_free(&p);
	RUN(&p, NULL, "stream", "read", "account", "acct-1", "--from-version",
	    "1", "--json");
	assert_exit(&p, 0);
	json_t **v;
	size_t   n = json_lines(p.out, &v);
	cr_assert_eq(n, 2, "%s", p.out);
	cr_assert_eq(jint(v[0], "version"), 1);
	cr_assert_eq(jint(v[1], "version"), 2);
	cr_assert_str_eq(jstr(v[0], "value"), "deposit 10");
	cr_assert_str_eq(jstr(v[0], "key"), "acct-1");
	cr_assert_str_eq(jstr(v[0], "topic"), "account");
	cr_assert_eq(jint(v[1], "offset"), jint(v[0], "offset") + 1);
	free_json(v, n);
	proc_free(&p);

	/* Delete: a conflict exits 3; then the stream is empty, its
	 * version kept, and tail no longer shows its records. */
	RUN(&p, NULL, "stream", "delete", "account", "acct-1",
	    "--expect-version", "1");
	assert_exit(&p, 3);
	cr_assert_not_null(strstr(p.err, "current version is 2"), "%s", p.err);
	proc_free(&p);
	RUN(&p, NULL, "stream", "delete", "account", "acct-1");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "stream", "read", "account", "acct-1");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);
	RUN(&p, NULL, "stream", "version", "account", "acct-1");
	cr_assert_str_eq(p.out, "2\n");
	proc_free(&p);
	RUN(&p, NULL, "tail", "account", "--from", "beginning");
	assert_exit(&p, 0);
	cr_assert_null(strstr(p.out, "deposit"), "%s", p.out);
	proc_free(&p);

	/* A topic without streams. */
	create("nostreams", "1");
	RUN(&p, NULL, "stream", "version", "nostreams", "k");
	assert_exit(&p, 1);
	proc_free(&p);
}

Test(cli, stream_read_follows)
{
	proc p, q;
	RUN(&q, NULL, "topics", "create", "followed", "--streams");
	assert_exit(&q, 0);
	proc_free(&q);
	RUN(&q, NULL, "produce", "followed", "--key", "k", "first");
	assert_exit(&q, 0);
	proc_free(&q);
	proc_start(&p, NULL, 0,
	    ARGS("-b", broker.url, "stream", "read", "followed", "k", "-f"),
	    NULL);
	cr_assert(proc_wait_out(&p, "first\n", 20000), "out: %s", p.out);
	RUN(&q, NULL, "produce", "followed", "--key", "other", "noise");
	assert_exit(&q, 0);
	proc_free(&q);
	RUN(&q, NULL, "produce", "followed", "--key", "k", "second");
	assert_exit(&q, 0);
	proc_free(&q);
	cr_assert(proc_wait_out(&p, "second\n", 20000), "out: %s", p.out);
	kill(p.pid, SIGTERM);
	proc_finish(&p);
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "first\nsecond\n");
	proc_free(&p);
}

/* ---- output ------------------------------------------------------------- */

Test(cli, json_fields)
{
	proc p;
	create("j", "1");
	RUN(&p, NULL, "produce", "j", "--key", "user-1", "-H", "trace=abc",
	    "-H", "tag=x", "-H", "tag=y", "--header", "tag=z", "--timestamp",
	    "1700000000123", "hello \"world\"\t\x01");
	assert_exit(&p, 0);
	proc_free(&p);
	/* Not UTF-8: a value by stdin, a key through the separator. */
	static const char bin[] = "\xff\xfe|\xc0\x80value\n"
	                          "plain\n";
	RUN(&p, bin, "produce", "j", "--key-separator", "|");
	assert_exit(&p, 0);
	proc_free(&p);
	static const char bin2[] = "bad\xed\xa0\x80\n";
	RUN(&p, bin2, "produce", "j");
	assert_exit(&p, 0);
	proc_free(&p);

	int64_t before = wall_ms();
	RUN(&p, NULL, "tail", "j", "--from", "beginning", "--json");
	assert_exit(&p, 0);
	json_t **v;
	size_t   n = json_lines(p.out, &v);
	cr_assert_eq(n, 4, "%s", p.out);

	json_t *r = v[0];
	cr_assert_str_eq(jstr(r, "topic"), "j");
	cr_assert_eq(jint(r, "partition"), 0);
	cr_assert_eq(jint(r, "offset"), 0);
	cr_assert(jint(r, "timestamp") > before - 600000
	    && jint(r, "timestamp") <= before);
	cr_assert_eq(jint(r, "producer_timestamp"), 1700000000123);
	cr_assert_str_eq(jstr(r, "key"), "user-1");
	cr_assert_str_eq(jstr(r, "value"), "hello \"world\"\t\x01");
	cr_assert_not_null(strstr(p.out, "\\u0001"));
	json_t *h = json_object_get(r, "headers");
	cr_assert(json_is_object(h));
	cr_assert_eq(json_object_size(h), 2);
	cr_assert_str_eq(jstr(h, "trace"), "abc");
	json_t *tags = json_object_get(h, "tag");
	cr_assert(json_is_array(tags), "a repeated header is an array");
	cr_assert_eq(json_array_size(tags), 3);
	cr_assert_str_eq(json_string_value(json_array_get(tags, 0)), "x");
	cr_assert_str_eq(json_string_value(json_array_get(tags, 1)), "y");
	cr_assert_str_eq(json_string_value(json_array_get(tags, 2)), "z");

	r = v[1];
	cr_assert_eq(jint(r, "offset"), 1);
	cr_assert_null(json_object_get(r, "producer_timestamp"));
	cr_assert_null(json_object_get(r, "key"));
	cr_assert_null(json_object_get(r, "value"));
	cr_assert_str_eq(jstr(r, "key_base64"), "//4=");
	cr_assert_str_eq(jstr(r, "value_base64"), "wIB2YWx1ZQ==");
	cr_assert_eq(json_object_size(json_object_get(r, "headers")), 0);

	r = v[2];
	cr_assert(json_is_null(json_object_get(r, "key")),
	    "no separator: no key (null)");
	cr_assert_str_eq(jstr(r, "value"), "plain");

	r = v[3];
	cr_assert_null(
	    json_object_get(r, "value"), "a surrogate is not UTF-8");
	cr_assert_str_eq(jstr(r, "value_base64"), "YmFk7aCA");
	free_json(v, n);
	proc_free(&p);
}

Test(cli, format_tokens)
{
	proc p;
	create("fmt", "1");
	RUN(&p, NULL, "produce", "fmt", "-k", "K1", "-H", "a=1", "-H", "b=2",
	    "v1");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "fmt", "--format", "%T");
	int64_t ts = strtoll(p.out, NULL, 10);
	proc_free(&p);

	RUN(&p, NULL, "tail", "fmt", "--format",
	    "%t|%p|%o|%k|%s|%h|%K|%S|%%|\\t|\\n");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "fmt|0|0|K1|v1|a=1,b=2|2|2|%|\t|\n");
	proc_free(&p);

	char want[64];
	snprintf(want, sizeof(want), "<%lld>", (long long) ts);
	RUN(&p, NULL, "tail", "fmt", "--format", "<%T>");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, want, "written exactly, no newline added");
	proc_free(&p);

	RUN(&p, NULL, "tail", "fmt", "--format", "%q");
	assert_exit(&p, 2);
	proc_free(&p);
}

/* ---- produce options ---------------------------------------------------- */

Test(cli, produce_options)
{
	proc p;
	create("po", "2");
	RUN(&p, NULL, "produce", "po", "--partition", "1", "--acks", "fsync",
	    "one");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, "two\nthree", "produce", "po", "-p", "1", "--acks", "none");
	assert_exit(&p, 0);
	proc_free(&p);
	/* acks none: sent, not waited for; read until both are there. */
	uint64_t deadline = evlct_now_ms() + 20000;
	for (;;) {
		RUN(&p, NULL, "tail", "po", "-p", "1", "--format", "%s,");
		assert_exit(&p, 0);
		bool done = strcmp(p.out, "one,two,three,") == 0;
		proc_free(&p);
		if (done)
			break;
		cr_assert(evlct_now_ms() < deadline, "acks none lost records");
	}
	RUN(&p, NULL, "produce", "po", "-p1", "four");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "po", "--partition", "1", "--format", "%s,");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "one,two,three,four,",
	    "last line without a newline is a record too");
	proc_free(&p);
	RUN(&p, NULL, "tail", "po", "--partition", "0");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);

	RUN(&p, NULL, "produce", "po", "--partition", "2", "x");
	assert_exit(&p, 1);
	cr_assert(strncmp(p.err, "evlog: ", 7) == 0, "%s", p.err);
	proc_free(&p);
	RUN(&p, "x\n", "produce", "po", "--partition", "7");
	assert_exit(&p, 1);
	proc_free(&p);
}

/* ---- topics ------------------------------------------------------------- */

static json_t *
find_topic(json_t *arr, const char *name)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		if (strcmp(jstr(t, "name"), name) == 0)
			return t;
	}
	return NULL;
}

Test(cli, topics_lifecycle)
{
	proc p;
	RUN(&p, NULL, "topics", "create", "life", "--partitions", "2",
	    "--retention", "12h", "--retention-bytes", "1M");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);
	create("other", "1");

	RUN(&p, NULL, "topics", "list", "--json");
	assert_exit(&p, 0);
	json_error_t e;
	json_t      *l = json_loads(p.out, 0, &e);
	cr_assert(json_is_array(l), "%s: %s", p.out, e.text);
	cr_assert_eq(json_array_size(l), 2);
	json_t *t = find_topic(l, "life");
	cr_assert_not_null(t);
	cr_assert_eq(jint(t, "partitions"), 2);
	cr_assert_eq(jint(t, "retention_ms"), 12 * 3600 * 1000);
	cr_assert_eq(jint(t, "retention_bytes"), 1 << 20);
	t = find_topic(l, "other");
	cr_assert_not_null(t);
	cr_assert(json_is_null(json_object_get(t, "retention_ms")),
	    "forever is null");
	cr_assert(json_is_null(json_object_get(t, "retention_bytes")));
	json_decref(l);
	proc_free(&p);

	RUN(&p, NULL, "topics", "list");
	assert_exit(&p, 0);
	cr_assert_not_null(strstr(p.out, "life"));
	cr_assert_not_null(strstr(p.out, "12h"));
	proc_free(&p);

	RUN(&p, "a\nb\nc\n", "produce", "life", "--partition", "1");
	assert_exit(&p, 0);
	proc_free(&p);

	RUN(&p, NULL, "topics", "describe", "life", "--json");
	assert_exit(&p, 0);
	json_t *d = json_loads(p.out, 0, &e);
	cr_assert(json_is_object(d), "%s", e.text);
	cr_assert_str_eq(jstr(d, "name"), "life");
	cr_assert_eq(jint(d, "retention_ms"), 43200000);
	cr_assert_eq(jint(d, "retention_bytes"), 1048576);
	json_t *parts = json_object_get(d, "partitions");
	cr_assert(json_is_array(parts));
	cr_assert_eq(json_array_size(parts), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *pi = json_array_get(parts, i);
		cr_assert_eq(jint(pi, "partition"), (json_int_t) i);
		cr_assert_eq(jint(pi, "first_offset"), 0);
		cr_assert_eq(jint(pi, "next_offset"), i ? 3 : 0);
		cr_assert_eq(jint(pi, "records"), i ? 3 : 0);
		cr_assert(i ? jint(pi, "bytes") > 0 : jint(pi, "bytes") == 0);
	}
	json_decref(d);
	proc_free(&p);

	RUN(&p, NULL, "topics", "describe", "life");
	assert_exit(&p, 0);
	cr_assert_not_null(strstr(p.out, "PARTITION"));
	cr_assert_not_null(strstr(p.out, "NEXT-OFFSET"));
	proc_free(&p);

	RUN(&p, NULL, "topics", "alter", "life", "--retention", "forever",
	    "--retention-bytes", "2048", "--partitions", "3");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "topics", "describe", "life", "--json");
	assert_exit(&p, 0);
	d = json_loads(p.out, 0, &e);
	cr_assert_not_null(d);
	cr_assert(json_is_null(json_object_get(d, "retention_ms")));
	cr_assert_eq(jint(d, "retention_bytes"), 2048);
	cr_assert_eq(json_array_size(json_object_get(d, "partitions")), 3);
	json_decref(d);
	proc_free(&p);

	RUN(&p, NULL, "topics", "alter", "life", "--retention", "30m");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "topics", "describe", "life", "--json");
	d = json_loads(p.out, 0, &e);
	cr_assert_eq(jint(d, "retention_ms"), 1800000);
	cr_assert_eq(jint(d, "retention_bytes"), 2048, "untouched");
	json_decref(d);
	proc_free(&p);

	RUN(&p, NULL, "topics", "create", "life");
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "exists"), "%s", p.err);
	proc_free(&p);

	RUN(&p, NULL, "topics", "delete", "life");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "topics", "describe", "life");
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "unknown topic"), "%s", p.err);
	proc_free(&p);
	RUN(&p, NULL, "topics", "delete", "life");
	assert_exit(&p, 1);
	proc_free(&p);
	RUN(&p, NULL, "topics", "create", "bad name!");
	assert_exit(&p, 1);
	proc_free(&p);
}

/* ---- exit statuses and global options ----------------------------------- */

Test(cli, unknown_topic_is_1)
{
	proc p;
	RUN(&p, NULL, "tail", "nosuch");
	assert_exit(&p, 1);
	cr_assert_str_eq(p.out, "");
	cr_assert(strncmp(p.err, "evlog: ", 7) == 0);
	cr_assert_not_null(strstr(p.err, "unknown topic"), "%s", p.err);
	cr_assert_eq(strchr(p.err, '\n'), p.err + p.err_len - 1, "one line");
	proc_free(&p);
	RUN(&p, NULL, "produce", "nosuch", "v");
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "unknown topic"), "%s", p.err);
	proc_free(&p);
	RUN(&p, "", "produce", "nosuch");
	assert_exit(&p, 1);
	proc_free(&p);
	RUN(&p, "a\nb\n", "produce", "nosuch");
	assert_exit(&p, 1);
	proc_free(&p);
	RUN(&p, NULL, "tail", "nosuch", "-f");
	assert_exit(&p, 1);
	proc_free(&p);
	RUN(&p, NULL, "tail", "nosuch", "--group", "g");
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "unknown topic"), "%s", p.err);
	proc_free(&p);
}

Test(cli, broker_from_env_and_options_after_the_command)
{
	proc p;
	char env[300];
	create("env", "1");
	snprintf(env, sizeof(env), "EVLOG_BROKER=%s", broker.url);
	const char *envv[] = { env, NULL };
	proc_start(&p, "x\n", 2, ARGS("produce", "env"), envv);
	proc_finish(&p);
	assert_exit(&p, 0);
	proc_free(&p);
	/* -b after the command and its arguments. */
	RUN_NOB(&p, NULL, "tail", "env", "--format", "%s", "-b", broker.url,
	    "--timeout", "5000");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "x");
	proc_free(&p);
	RUN_NOB(&p, NULL, "topics", "-b", broker.url, "list", "--json");
	assert_exit(&p, 0);
	proc_free(&p);
	/* -b wins over the environment. */
	const char *bad[] = { "EVLOG_BROKER=tcp://127.0.0.1:1", NULL };
	proc_start(&p, NULL, 0, ARGS("tail", "env", "-b", broker.url), bad);
	proc_finish(&p);
	assert_exit(&p, 0);
	proc_free(&p);
}

Test(cli_nobroker, broker_down_is_1)
{
	proc p;
	/* Port 1: nobody listens there (binding it needs privileges). */
	RUN_NOB(&p, NULL, "-b", "tcp://127.0.0.1:1", "--timeout", "500",
	    "topics", "list");
	assert_exit(&p, 1);
	cr_assert(strncmp(p.err, "evlog: ", 7) == 0, "%s", p.err);
	cr_assert_not_null(strstr(p.err, "tcp://127.0.0.1:1"), "%s", p.err);
	proc_free(&p);
	RUN_NOB(&p, NULL, "tail", "x", "-b", "tcp://127.0.0.1:1", "--timeout",
	    "500");
	assert_exit(&p, 1);
	proc_free(&p);
	const char *env[] = { "EVLOG_BROKER=tcp://127.0.0.1:1", NULL };
	proc_start(
	    &p, "v\n", 2, ARGS("produce", "x", "--timeout", "500"), env);
	proc_finish(&p);
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "tcp://127.0.0.1:1"), "%s", p.err);
	proc_free(&p);
}

static void
usage_is_2(const char *const *args)
{
	proc p;
	run_in(&p, NULL, 0, args);
	cr_assert_eq(p.status, 2, "%s ...: exit %d, stderr: %s", args[0],
	    p.status, p.err);
	cr_assert_str_eq(p.out, "", "usage errors write nothing on stdout");
	cr_assert(strncmp(p.err, "evlog: ", 7) == 0, "%s", p.err);
	proc_free(&p);
}

Test(cli_nobroker, usage_errors_are_2)
{
	usage_is_2(ARGS(NULL));
	usage_is_2(ARGS("frobnicate"));
	usage_is_2(ARGS("--nope"));
	usage_is_2(ARGS("-b"));
	usage_is_2(ARGS("--timeout", "soon", "topics", "list"));
	usage_is_2(ARGS("tail"));
	usage_is_2(ARGS("tail", "t", "-n", "5", "--from", "beginning"));
	usage_is_2(ARGS("tail", "t", "--from", "yesterday"));
	usage_is_2(ARGS("tail", "t", "--from", "-1"));
	usage_is_2(ARGS("tail", "t", "-n", "ten"));
	usage_is_2(ARGS("tail", "t", "--count", "-1"));
	usage_is_2(ARGS("tail", "t", "--json", "--format", "%s"));
	usage_is_2(ARGS("tail", "t", "--format", "%"));
	usage_is_2(ARGS("tail", "t", "u"));
	usage_is_2(ARGS("tail", "t", "--partition"));
	usage_is_2(ARGS("produce"));
	usage_is_2(ARGS("produce", "t", "--acks", "all"));
	usage_is_2(ARGS("produce", "t", "--header", "novalue"));
	usage_is_2(ARGS("produce", "t", "v", "extra"));
	usage_is_2(ARGS("produce", "t", "--key-separator", ":", "v"));
	usage_is_2(ARGS("topics"));
	usage_is_2(ARGS("topics", "rename", "x"));
	usage_is_2(ARGS("topics", "create"));
	usage_is_2(ARGS("topics", "create", "t", "--retention", "7"));
	usage_is_2(ARGS("topics", "create", "t", "--retention", "7 days"));
	usage_is_2(ARGS("topics", "create", "t", "--partitions", "0"));
	usage_is_2(ARGS("topics", "create", "t", "--retention-bytes", "lots"));
	usage_is_2(ARGS("topics", "create", "t", "--json"));
	usage_is_2(ARGS("topics", "alter", "t"));
	usage_is_2(ARGS("topics", "list", "extra"));
	usage_is_2(ARGS("topics", "delete"));
	usage_is_2(ARGS("topics", "delete", "t", "--partitions", "2"));
}

Test(cli_nobroker, help_and_version_are_0)
{
	const char *const *cases[] = {
		ARGS("--help"),
		ARGS("-h"),
		ARGS("help"),
		ARGS("help", "tail"),
		ARGS("tail", "--help"),
		ARGS("produce", "--help"),
		ARGS("topics", "--help"),
		ARGS("topics", "create", "--help"),
		ARGS("-b", "tcp://nowhere:1", "tail", "-h"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		proc p;
		run_in(&p, NULL, 0, cases[i]);
		cr_assert_eq(p.status, 0, "%s %s: exit %d", cases[i][0],
		    cases[i][1] ? cases[i][1] : "", p.status);
		cr_assert_not_null(strstr(p.out, "Usage"), "%s", p.out);
		proc_free(&p);
	}
	proc p;
	run_in(&p, NULL, 0, ARGS("tail", "--help"));
	cr_assert_not_null(strstr(p.out, "--from"));
	cr_assert_not_null(strstr(p.out, "--broker"));
	proc_free(&p);
	run_in(&p, NULL, 0, ARGS("--version"));
	cr_assert_eq(p.status, 0);
	cr_assert(strncmp(p.out, "evlog ", 6) == 0, "%s", p.out);
	proc_free(&p);
}

/* ---- consumer groups ---------------------------------------------------- */

/* The lines of stdout, sorted (a group member reads partitions in no
 * fixed order relative to each other). */
static char *
sorted_out(const char *out)
{
	char **lv;
	size_t n = lines(out, &lv);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && atoi(lv[j - 1]) > atoi(lv[j]); j--) {
			char *t = lv[j];
			lv[j] = lv[j - 1];
			lv[j - 1] = t;
		}
	char  *s = NULL;
	size_t len = 0;
	append(&s, &len, "", 0);
	for (size_t i = 0; i < n; i++) {
		append(&s, &len, lv[i], strlen(lv[i]));
		append(&s, &len, "\n", 1);
	}
	free_lines(lv, n);
	return s;
}

static json_t *
describe_json(const char *group)
{
	proc         p;
	json_error_t e;
	RUN(&p, NULL, "groups", "describe", group, "--json");
	assert_exit(&p, 0);
	json_t *d = json_loads(p.out, 0, &e);
	cr_assert_not_null(d, "%s: %s", p.out, e.text);
	proc_free(&p);
	return d;
}

/* Every row has lag == head - committed, exactly; returns the rows. */
static json_t *
check_lag(json_t *d)
{
	json_t *rows = json_object_get(d, "partitions");
	cr_assert(json_is_array(rows));
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);
		jstr(r, "topic");
		jint(r, "partition");
		json_t *c = json_object_get(r, "committed");
		if (json_is_null(c))
			cr_assert(json_is_null(json_object_get(r, "lag")));
		else
			cr_assert_eq(jint(r, "lag"),
			    jint(r, "head") - json_integer_value(c));
	}
	return rows;
}

Test(cli, tail_group_commits_what_it_printed_and_resumes)
{
	proc  p;
	char *in = numbered(1, 10);
	create("gt", "2");
	RUN(&p, in, "produce", "gt");
	assert_exit(&p, 0);
	proc_free(&p);
	free(in);

	/* A new group starts at the beginning, stops at the end. */
	RUN(&p, NULL, "tail", "gt", "--group", "g");
	assert_exit(&p, 0);
	char *s = sorted_out(p.out);
	char *want = numbered(1, 10);
	cr_assert_str_eq(s, want);
	free(s);
	free(want);
	proc_free(&p);
	/* It committed what it printed: nothing again. */
	RUN(&p, NULL, "tail", "gt", "--group", "g");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);
	RUN(&p, "11\n12\n", "produce", "gt");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "gt", "-g", "g", "--from", "beginning");
	assert_exit(&p, 0);
	s = sorted_out(p.out);
	cr_assert_str_eq(s, "11\n12\n", "--from only applies without commits");
	free(s);
	proc_free(&p);

	/* describe: the JSON shape, and lag 0 everywhere. */
	json_t *d = describe_json("g");
	cr_assert_str_eq(jstr(d, "group"), "g");
	cr_assert_str_eq(jstr(d, "state"), "empty");
	jint(d, "generation");
	cr_assert(json_is_array(json_object_get(d, "members")));
	cr_assert_eq(json_array_size(json_object_get(d, "members")), 0);
	json_t *rows = check_lag(d);
	cr_assert_eq(json_array_size(rows), 2);
	json_int_t heads = 0;
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_array_get(rows, i);
		cr_assert_str_eq(jstr(r, "topic"), "gt");
		cr_assert_eq(jint(r, "partition"), (json_int_t) i);
		cr_assert(json_is_null(json_object_get(r, "member")));
		cr_assert_eq(jint(r, "lag"), 0);
		heads += jint(r, "head");
	}
	cr_assert_eq(heads, 12);
	json_decref(d);

	RUN(&p, NULL, "groups", "list", "--json");
	assert_exit(&p, 0);
	json_error_t e;
	json_t      *l = json_loads(p.out, 0, &e);
	cr_assert(json_is_array(l), "%s", p.out);
	bool found = false;
	for (size_t i = 0; i < json_array_size(l); i++) {
		json_t *gi = json_array_get(l, i);
		if (strcmp(jstr(gi, "group"), "g") == 0) {
			found = true;
			cr_assert_str_eq(jstr(gi, "state"), "empty");
			cr_assert_eq(jint(gi, "members"), 0);
		}
	}
	cr_assert(found);
	json_decref(l);
	proc_free(&p);
	RUN(&p, NULL, "groups", "list");
	assert_exit(&p, 0);
	cr_assert(strncmp(p.out, "GROUP", 5) == 0, "%s", p.out);
	proc_free(&p);
}

Test(cli, groups_reset_replays_from_earliest_an_offset_or_a_time)
{
	proc p;
	create("gr", "1");
	produce_to("gr", "0", "a");
	produce_to("gr", "0", "b");
	produce_to("gr", "0", "c");
	int64_t tb = ts_at("gr", "1");

	RUN(&p, NULL, "tail", "gr", "--group", "r");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "a\nb\nc\n");
	proc_free(&p);

	RUN(&p, NULL, "groups", "reset", "r", "--topic", "gr", "--to",
	    "earliest");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);
	RUN(&p, NULL, "tail", "gr", "--group", "r");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "a\nb\nc\n", "earliest replays everything");
	proc_free(&p);

	/* A timestamp: the first record at or after it. */
	char at[32];
	snprintf(at, sizeof(at), "@%lld", (long long) tb);
	RUN(&p, NULL, "groups", "reset", "r", "--topic", "gr", "--to", at);
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "gr", "--group", "r");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "b\nc\n");
	proc_free(&p);

	/* An offset, then lag is exact. */
	RUN(&p, NULL, "groups", "reset", "r", "--topic", "gr", "--to", "1");
	assert_exit(&p, 0);
	proc_free(&p);
	json_t *d = describe_json("r");
	json_t *row = json_array_get(check_lag(d), 0);
	cr_assert_eq(jint(row, "committed"), 1);
	cr_assert_eq(jint(row, "head"), 3);
	cr_assert_eq(jint(row, "lag"), 2);
	json_decref(d);
	RUN(&p, NULL, "groups", "describe", "r");
	assert_exit(&p, 0);
	cr_assert_not_null(strstr(p.out, "Group:       r\n"), "%s", p.out);
	cr_assert_not_null(strstr(p.out, "LAG"));
	proc_free(&p);

	RUN(&p, NULL, "groups", "reset", "r", "--topic", "gr", "--to", "latest");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "gr", "--group", "r");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "");
	proc_free(&p);
	RUN(&p, NULL, "groups", "reset", "r", "--topic", "gr", "--to", "-1h");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "gr", "--group", "r");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "a\nb\nc\n");
	proc_free(&p);

	RUN(&p, NULL, "groups", "reset", "r", "--topic", "nope", "--to", "1");
	assert_exit(&p, 1);
	proc_free(&p);
}

struct member_cond {
	const char *group;
	size_t      members;
};

static bool
group_has_members(void *arg)
{
	struct member_cond *m = arg;
	proc                p;
	json_error_t        e;
	RUN(&p, NULL, "groups", "describe", m->group, "--json");
	json_t *d = p.status == 0 ? json_loads(p.out, 0, &e) : NULL;
	bool    ok = d != NULL &&
	    json_array_size(json_object_get(d, "members")) == m->members &&
	    strcmp(json_string_value(json_object_get(d, "state")), "stable")
	        == 0;
	json_decref(d);
	proc_free(&p);
	return ok;
}

Test(cli, a_group_with_members_cannot_be_reset_or_deleted)
{
	proc  p, f;
	char *in = numbered(1, 5);
	create("ga", "2");
	RUN(&p, in, "produce", "ga");
	assert_exit(&p, 0);
	proc_free(&p);
	free(in);

	proc_start(&f, NULL, 0,
	    ARGS("tail", "ga", "--group", "live", "-f", "-b", broker.url),
	    NULL);
	struct member_cond mc = { "live", 1 };
	cr_assert(evlct_wait_until(group_has_members, &mc, 20000));
	cr_assert(proc_wait_out(&f, "5\n", 20000), "out: %s", f.out);

	RUN(&p, NULL, "groups", "reset", "live", "--topic", "ga", "--to",
	    "earliest");
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "active members"), "%s", p.err);
	proc_free(&p);
	RUN(&p, NULL, "groups", "delete", "live");
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "active members"), "%s", p.err);
	proc_free(&p);

	json_t *d = describe_json("live");
	json_t *m = json_array_get(json_object_get(d, "members"), 0);
	jstr(m, "member");
	cr_assert_str_eq(jstr(m, "client"), "evlog-tail");
	cr_assert_eq(json_array_size(json_object_get(m, "partitions")), 2);
	json_decref(d);

	/* SIGINT: it commits, leaves, exits 0. */
	kill(f.pid, SIGINT);
	proc_finish(&f);
	assert_exit(&f, 0);
	char *s = sorted_out(f.out);
	cr_assert_str_eq(s, "1\n2\n3\n4\n5\n");
	free(s);
	proc_free(&f);
	d = describe_json("live");
	cr_assert_str_eq(jstr(d, "state"), "empty");
	json_t *rows = check_lag(d);
	for (size_t i = 0; i < json_array_size(rows); i++)
		cr_assert_eq(jint(json_array_get(rows, i), "lag"), 0);
	json_decref(d);

	RUN(&p, NULL, "groups", "delete", "live");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "groups", "describe", "live");
	assert_exit(&p, 1);
	cr_assert_not_null(strstr(p.err, "unknown consumer group"), "%s",
	    p.err);
	proc_free(&p);
}

Test(cli_nobroker, group_usage_errors_are_2)
{
	usage_is_2(ARGS("tail", "t", "--group", "g", "-n", "5"));
	usage_is_2(ARGS("tail", "t", "--group", "g", "--partition", "1"));
	usage_is_2(ARGS("tail", "t", "--group"));
	usage_is_2(ARGS("groups"));
	usage_is_2(ARGS("groups", "rename", "g"));
	usage_is_2(ARGS("groups", "list", "extra"));
	usage_is_2(ARGS("groups", "describe"));
	usage_is_2(ARGS("groups", "reset", "g", "--topic", "t"));
	usage_is_2(ARGS("groups", "reset", "g", "--to", "earliest"));
	usage_is_2(ARGS("groups", "reset", "g", "--topic", "t", "--to",
	    "someday"));
	usage_is_2(ARGS("groups", "reset", "g", "--topic", "t", "--to",
	    "beginning"));
	usage_is_2(ARGS("groups", "delete", "g", "--json"));
	usage_is_2(ARGS("groups", "list", "--topic", "t"));
	proc p;
	run_in(&p, NULL, 0, ARGS("groups", "--help"));
	cr_assert_eq(p.status, 0);
	cr_assert_not_null(strstr(p.out, "reset GROUP"));
	proc_free(&p);
}

Test(cli, dedupe_window_topics_and_produce)
{
	proc p;
	RUN(&p, NULL, "topics", "create", "pay", "--dedupe-window", "2m");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "topics", "describe", "pay");
	assert_exit(&p, 0);
	cr_assert_not_null(strstr(p.out, "Dedupe window:    2m\n"), "%s", p.out);
	proc_free(&p);

	/* The same evlog-id twice: stored once. */
	for (int i = 0; i < 2; i++) {
		RUN(&p, NULL, "produce", "pay", "--header", "evlog-id=pay-1",
		    "paid 10");
		assert_exit(&p, 0);
		proc_free(&p);
	}
	RUN(&p, NULL, "produce", "pay", "--header", "evlog-id=pay-2",
	    "paid 20");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "pay", "--from", "beginning");
	assert_exit(&p, 0);
	cr_assert_str_eq(p.out, "paid 10\npaid 20\n");
	proc_free(&p);

	/* Off: the id is appended again. */
	RUN(&p, NULL, "topics", "alter", "pay", "--dedupe-window", "off");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "topics", "describe", "pay", "--json");
	assert_exit(&p, 0);
	json_t **v;
	size_t   n = json_lines(p.out, &v);
	cr_assert_eq(n, 1);
	cr_assert_eq(jint(v[0], "dedupe_window_ms"), 0);
	free_json(v, n);
	proc_free(&p);
	RUN(&p, NULL, "produce", "pay", "--header", "evlog-id=pay-1",
	    "paid 10");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "tail", "pay", "--from", "beginning");
	cr_assert_str_eq(p.out, "paid 10\npaid 20\npaid 10\n");
	proc_free(&p);
	RUN(&p, NULL, "topics", "alter", "pay", "--dedupe-window", "500ms");
	assert_exit(&p, 0);
	proc_free(&p);
	RUN(&p, NULL, "topics", "describe", "pay", "--json");
	n = json_lines(p.out, &v);
	cr_assert_eq(jint(v[0], "dedupe_window_ms"), 500);
	free_json(v, n);
	proc_free(&p);

	/* Usage errors: exit 2, nothing changed. */
	RUN(&p, NULL, "topics", "create", "bad", "--dedupe-window", "soon");
	assert_exit(&p, 2);
	cr_assert_not_null(strstr(p.err, "--dedupe-window"), "%s", p.err);
	proc_free(&p);
	RUN(&p, NULL, "topics", "create", "bad", "--dedupe-window", "forever");
	assert_exit(&p, 2);
	proc_free(&p);
	RUN(&p, NULL, "topics", "list", "--dedupe-window", "1s");
	assert_exit(&p, 2);
	proc_free(&p);
	RUN(&p, NULL, "topics", "describe", "bad");
	assert_exit(&p, 1);
	proc_free(&p);
}

/* ---- logging in (-u) ----------------------------------------------------- */

static void
run_env(proc *p, const char *const *env, const char *const *args)
{
	proc_start(p, NULL, 0, args, env);
	proc_finish(p);
}

Test(cli_auth, user_and_password)
{
	evlct_broker b;
	proc         p;
	char         dir[256], cmd[1024], users[300];
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	snprintf(users, sizeof(users), "%s/users", dir);
	snprintf(cmd, sizeof(cmd), "printf 'pencil\\n' | %s passwd %s alice",
	    EVLCT_EVLOGD, users);
	cr_assert_eq(evlct_sh(cmd), 0);
	/* alice a superuser: what no ACL allows is denied. */
	const char *bargs[] = { "--users", users, "--superusers", "alice",
		NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, bargs), 0);
	const char *good[] = { "EVLOG_PASSWORD=pencil", NULL };
	const char *bad[] = { "EVLOG_PASSWORD=pencil2", NULL };
	const char *envuser[] = { "EVLOG_USER=alice", "EVLOG_PASSWORD=pencil",
		NULL };

	/* -u with the password from the environment. */
	run_env(&p, good, ARGS("-b", b.url, "-u", "alice", "topics", "create",
	                      "t"));
	assert_exit(&p, 0);
	proc_free(&p);
	/* EVLOG_USER instead of -u. */
	run_env(&p, envuser, ARGS("-b", b.url, "topics", "list"));
	assert_exit(&p, 0);
	cr_assert(strstr(p.out, "t") != NULL, "%s", p.out);
	proc_free(&p);
	/* A wrong password: exit 1 and why. */
	run_env(&p, bad, ARGS("-b", b.url, "--user", "alice", "topics", "list"));
	assert_exit(&p, 1);
	cr_assert(strstr(p.err, "cannot log in") != NULL, "%s", p.err);
	cr_assert(strstr(p.err, "wrong password") != NULL, "%s", p.err);
	proc_free(&p);
	/* No user at all: the broker's refusal, exit 1. */
	run_env(&p, NULL, ARGS("-b", b.url, "topics", "list"));
	assert_exit(&p, 1);
	cr_assert(strstr(p.err, "authentication required") != NULL, "%s",
	    p.err);
	proc_free(&p);
	/* No password and no terminal to ask on. */
	run_env(&p, NULL, ARGS("-b", b.url, "-u", "alice", "topics", "list"));
	assert_exit(&p, 1);
	cr_assert(strstr(p.err, "EVLOG_PASSWORD") != NULL, "%s", p.err);
	proc_free(&p);
	evlct_broker_stop(&b, false);
}

/* The password prompt, on a terminal: script(1) gives evlog one. */
Test(cli_auth, prompts_without_echo_on_a_terminal)
{
	evlct_broker b;
	proc         p;
	char         dir[256], cmd[1024], users[300], line[1024];
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	snprintf(users, sizeof(users), "%s/users", dir);
	snprintf(cmd, sizeof(cmd), "printf 'pencil\\n' | %s passwd %s alice",
	    EVLCT_EVLOGD, users);
	cr_assert_eq(evlct_sh(cmd), 0);
	/* alice a superuser: what no ACL allows is denied. */
	const char *bargs[] = { "--users", users, "--superusers", "alice",
		NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, bargs), 0);

	snprintf(line, sizeof(line), "%s -b %s -u alice topics create t",
	    EVLOG_PATH, b.url);
	proc_start_prog(&p, "/usr/bin/script", NULL, 1,
	    ARGS("-qec", line, "/dev/null"), NULL);
	/* Type the password only once asked: echo is off by then. */
	cr_assert(proc_wait_out(&p, "Password for alice: ", 20000),
	    "no prompt; stdout: %s", p.out ? p.out : "");
	p.in     = "pencil\n";
	p.in_len = 7;
	proc_finish(&p);
	assert_exit(&p, 0);
	cr_assert_null(strstr(p.out, "pencil"), "echoed: %s", p.out);
	proc_free(&p);
	evlct_broker_stop(&b, false);
}
