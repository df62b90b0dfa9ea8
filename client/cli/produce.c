/*
 * produce.c -- `evlog produce TOPIC [VALUE]`: one record from the command
 * line, or one per line of standard input through the batching producer.
 *
 * The exit status is 0 only when every record was acknowledged (with
 * --acks none: sent), so a script can trust it: delivery reports are
 * counted, and the producer is flushed before exiting.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"

static const char produce_help[]
    = "Usage: evlog produce TOPIC [OPTIONS] [VALUE]\n"
      "\n"
      "Appends VALUE as one record, or, without VALUE, one record per line\n"
      "of standard input (the newline is not part of the record).  Exits 0\n"
      "only when every record is acknowledged.\n"
      "\n"
      "Options:\n"
      "  -k, --key K               the records' key\n"
      "  -p, --partition P         write to partition P (default: hash of "
      "the\n"
      "                            key, round-robin without one)\n"
      "  -H, --header NAME=VALUE   add a header (repeatable, kept in order)\n"
      "      --acks none|written|fsync\n"
      "                            wait for: nothing (sent), the log "
      "(default),\n"
      "                            a sync to disk\n"
      "      --key-separator SEP   stdin: the text before the first SEP of "
      "a\n"
      "                            line is its key; a line without SEP is "
      "all\n"
      "                            value, with no key\n"
      "      --timestamp MS        producer timestamp (Unix ms) to store\n"
      "      --expect-version any|no_stream|exists|N\n"
      "                            append to stream KEY (a topic made with\n"
      "                            --streams) only if its current version "
      "is\n"
      "                            as given; all lines of stdin go in one\n"
      "                            append, all or none.  A conflict exits 3\n"
      "                            and prints the current version on "
      "stderr\n"
      "\n"
      "Records from standard input are sent by an idempotent producer: a\n"
      "batch re-sent after a lost connection is not appended twice.\n"
      "\n"
      "%s";

enum {
	OPT_KEY = 1,
	OPT_PARTITION,
	OPT_HEADER,
	OPT_ACKS,
	OPT_KEY_SEP,
	OPT_TIMESTAMP,
	OPT_EXPECT,
};

static const cli_opt produce_opts[] = {
	{ "key", 'k', true, OPT_KEY },
	{ "partition", 'p', true, OPT_PARTITION },
	{ "header", 'H', true, OPT_HEADER },
	{ "acks", 0, true, OPT_ACKS },
	{ "key-separator", 0, true, OPT_KEY_SEP },
	{ "timestamp", 0, true, OPT_TIMESTAMP },
	{ "expect-version", 0, true, OPT_EXPECT },
	{ NULL, 0, false, 0 },
};

typedef struct produce_args {
	const char *topic;
	const char *value; /* NULL: standard input */
	const char *key;
	const char *key_sep;
	uint32_t    partition;
	int         acks;
	int64_t     timestamp;
	evl_header *headers;
	size_t      nheaders;
	bool        have_expect;
	int64_t     expect;
} produce_args;

/* Delivery outcomes, written by client threads. */
typedef struct tally {
	pthread_mutex_t mu;
	uint64_t        ok;
	uint64_t        failed;
	int             first_err;
} tally;

static void
on_delivery(void *arg, const evl_delivery *d)
{
	tally *t = arg;
	pthread_mutex_lock(&t->mu);
	if (d->err == 0)
		t->ok++;
	else if (t->failed++ == 0)
		t->first_err = d->err;
	pthread_mutex_unlock(&t->mu);
}

static int
parse(cli_global *g, int argc, char **argv, int first, produce_args *a)
{
	static const cli_opt *const tables[]
	    = { produce_opts, cli_global_opts, NULL };
	cli_getopt  p;
	const char *arg;
	int         id, npos = 0;
	uint64_t    v;

	a->partition = EVL_PARTITION_ANY;
	a->acks = EVL_ACKS_WRITTEN;
	cli_getopt_init(&p, argc, argv, first, tables);
	while ((id = cli_getopt_next(&p, &arg)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERR:
			return cli_usage("produce", "%s", p.err);
		case CLI_ID_HELP:
			printf(produce_help, cli_global_help);
			return -1;
		case CLI_OPT_POS:
			if (npos == 0)
				a->topic = arg;
			else if (npos == 1)
				a->value = arg;
			else
				return cli_usage("produce",
				    "unexpected argument '%s' (quote a VALUE "
				    "with spaces)",
				    arg);
			npos++;
			break;
		case OPT_KEY:
			a->key = arg;
			break;
		case OPT_PARTITION:
			if (cli_parse_u32(arg, &a->partition) != 0
			    || a->partition == EVL_PARTITION_ANY)
				return cli_usage("produce",
				    "--partition: '%s' is not a partition "
				    "number",
				    arg);
			break;
		case OPT_HEADER: {
			const char *eq = strchr(arg, '=');
			if (eq == NULL || eq == arg)
				return cli_usage("produce",
				    "--header: '%s' is not NAME=VALUE", arg);
			a->headers = cli_xrealloc(a->headers,
			    (a->nheaders + 1) * sizeof(*a->headers));
			a->headers[a->nheaders++] = (evl_header) {
				.name = arg,
				.name_len = (size_t) (eq - arg),
				.value = eq + 1,
				.value_len = strlen(eq + 1),
			};
			break;
		}
		case OPT_ACKS:
			if (strcmp(arg, "none") == 0)
				a->acks = EVL_ACKS_NONE;
			else if (strcmp(arg, "written") == 0)
				a->acks = EVL_ACKS_WRITTEN;
			else if (strcmp(arg, "fsync") == 0)
				a->acks = EVL_ACKS_FSYNC;
			else
				return cli_usage("produce",
				    "--acks: '%s' is not none, written or "
				    "fsync",
				    arg);
			break;
		case OPT_KEY_SEP:
			if (*arg == '\0')
				return cli_usage("produce",
				    "--key-separator must not be empty");
			a->key_sep = arg;
			break;
		case OPT_EXPECT:
			if (cli_parse_expect(arg, &a->expect) != 0)
				return cli_usage("produce",
				    "--expect-version: '%s' is not any, "
				    "no_stream, exists or a version",
				    arg);
			a->have_expect = true;
			break;
		case OPT_TIMESTAMP:
			if (cli_parse_u64(arg, INT64_MAX, &v) != 0 || v == 0)
				return cli_usage("produce",
				    "--timestamp: '%s' is not Unix "
				    "milliseconds",
				    arg);
			a->timestamp = (int64_t) v;
			break;
		default: {
			int rv = cli_global_apply(g, id, arg, "produce");
			if (rv)
				return rv;
		}
		}
	}
	if (a->topic == NULL)
		return cli_usage("produce", "missing topic name");
	if (a->value && a->key_sep)
		return cli_usage("produce",
		    "--key-separator applies to standard input, not to a "
		    "VALUE argument");
	if (a->key && a->key_sep)
		return cli_usage("produce",
		    "--key and --key-separator cannot be used together");
	if (a->have_expect && a->key == NULL)
		return cli_usage("produce",
		    "--expect-version needs --key (the stream)");
	if (a->have_expect && a->partition != EVL_PARTITION_ANY)
		return cli_usage("produce", "--expect-version writes to the "
		                            "key's partition: no --partition");
	if (a->have_expect && a->acks == EVL_ACKS_NONE)
		return cli_usage("produce",
		    "--expect-version needs an answer: not --acks none");
	return 0;
}

static void
message_init(evl_message *m, const produce_args *a)
{
	memset(m, 0, sizeof(*m));
	m->topic = a->topic;
	m->partition = a->partition;
	m->headers = a->headers;
	m->header_count = a->nheaders;
	m->timestamp = a->timestamp;
	if (a->key) {
		m->key = a->key;
		m->key_len = strlen(a->key);
	}
}

static int
produce_one(evl_client *c, const produce_args *a)
{
	evl_message m;
	uint64_t    off;
	message_init(&m, a);
	m.value = a->value;
	m.value_len = strlen(a->value);
	int rv = evl_produce_sync(c, &m, a->acks, &off);
	if (rv != 0)
		return cli_fail(c, rv, "producing to '%s'", a->topic);
	return CLI_EXIT_OK;
}

/* --expect-version: VALUE, or every line of stdin, as one append to
 * stream KEY. */
static int
produce_expect(evl_client *c, const produce_args *a)
{
	evl_event        *ev = NULL;
	size_t            n = 0;
	char            **lines = NULL;
	evl_append_result r;
	int               rv;

	if (a->value != NULL) {
		ev = cli_xmalloc(sizeof(*ev));
		ev[n++] = (evl_event) { .value = a->value,
			.value_len = strlen(a->value) };
	} else {
		char   *line = NULL;
		size_t  cap  = 0;
		ssize_t len;
		while ((len = getline(&line, &cap, stdin)) >= 0) {
			if (len && line[len - 1] == '\n')
				len--;
			lines = cli_xrealloc(lines, (n + 1) * sizeof(*lines));
			ev    = cli_xrealloc(ev, (n + 1) * sizeof(*ev));
			lines[n] = cli_xmalloc((size_t) len + 1);
			memcpy(lines[n], line, (size_t) len);
			ev[n] = (evl_event) { .value = lines[n],
				.value_len = (size_t) len };
			n++;
		}
		free(line);
	}
	for (size_t i = 0; i < n; i++) {
		ev[i].headers      = a->headers;
		ev[i].header_count = a->nheaders;
		ev[i].timestamp    = a->timestamp;
	}
	if (n == 0) {
		rv = CLI_EXIT_OK; /* nothing to append */
	} else {
		rv = evl_stream_append(c, a->topic, a->key, strlen(a->key),
		    a->expect, ev, n, &r);
		if (rv == EVL_EWRONGVERSION)
			rv = cli_conflict("producing to stream", a->key,
			    r.version);
		else if (rv != 0)
			rv = cli_fail(c, rv,
			    "producing to stream '%s' of '%s'", a->key,
			    a->topic);
	}
	for (size_t i = 0; lines != NULL && i < n; i++)
		free(lines[i]);
	free(lines);
	free(ev);
	return rv;
}

/* Splits a line into key and value at the first separator. */
static void
split_line(evl_message *m, char *line, size_t len, const char *sep)
{
	size_t      sl = strlen(sep);
	const char *at = NULL;
	for (size_t i = 0; sl <= len && i <= len - sl; i++)
		if (line[i] == sep[0] && memcmp(line + i, sep, sl) == 0) {
			at = line + i;
			break;
		}
	if (at == NULL) {
		m->key = NULL;
		m->key_len = 0;
		m->value = line;
		m->value_len = len;
		return;
	}
	m->key = line;
	m->key_len = (size_t) (at - line);
	m->value = at + sl;
	m->value_len = len - m->key_len - sl;
}

static int
produce_stdin(evl_client *c, const produce_args *a)
{
	evl_producer     *p = NULL;
	evl_producer_opts po;
	evl_topic_info   *t;
	tally             tl = { .mu = PTHREAD_MUTEX_INITIALIZER };
	char             *line = NULL;
	size_t            cap = 0;
	ssize_t           n;
	uint64_t          sent = 0;
	int               rv, status = CLI_EXIT_OK;

	/* An unknown topic is an error even when stdin is empty. */
	if ((rv = evl_topic_describe(c, a->topic, &t)) != 0)
		return cli_fail(c, rv, "producing to '%s'", a->topic);
	uint32_t nparts = t->config.partitions;
	evl_topic_info_free(t, 1);
	if (a->partition != EVL_PARTITION_ANY && a->partition >= nparts)
		return cli_fail(c, EVL_ENOPART,
		    "producing to '%s' partition %u (it has %u)", a->topic,
		    (unsigned) a->partition, (unsigned) nparts);

	evl_producer_opts_init(&po);
	po.acks = a->acks;
	/* A batch re-sent after a reconnect must not land twice. */
	po.idempotent = a->acks != EVL_ACKS_NONE;
	po.on_delivery = on_delivery;
	po.on_delivery_arg = &tl;
	if ((rv = evl_producer_open(&p, c, &po)) != 0)
		return cli_fail(c, rv, "opening a producer");

	evl_message m;
	message_init(&m, a);
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		size_t len = (size_t) n;
		if (len && line[len - 1] == '\n')
			len--;
		if (a->key_sep)
			split_line(&m, line, len, a->key_sep);
		else {
			m.value = line;
			m.value_len = len;
		}
		if ((rv = evl_produce(p, &m)) != 0) {
			status = cli_fail(c, rv,
			    "producing to '%s' (record %" PRIu64 ")", a->topic,
			    sent + 1);
			break;
		}
		sent++;
	}
	if (status == 0 && ferror(stdin)) {
		fprintf(stderr, "evlog: reading standard input: %s\n",
		    strerror(errno));
		status = CLI_EXIT_ERR;
	}
	free(line);
	/* Every queued record ends within delivery_timeout_ms; the bound
	 * here only guards against a stuck library. */
	rv = evl_producer_flush(p, po.delivery_timeout_ms + 30000);
	if (rv == EVL_ETIMEDOUT && status == 0)
		status = cli_fail(c, rv, "waiting for acknowledgements");
	evl_producer_close(p);

	pthread_mutex_lock(&tl.mu);
	uint64_t ok = tl.ok, failed = tl.failed;
	int      err = tl.first_err;
	pthread_mutex_unlock(&tl.mu);
	if (failed && status == 0) {
		fprintf(stderr,
		    "evlog: producing to '%s': %" PRIu64 " of %" PRIu64
		    " records failed: %s\n",
		    a->topic, failed, sent, evl_strerror(err));
		status = CLI_EXIT_ERR;
	} else if (status == 0 && ok != sent) {
		fprintf(stderr,
		    "evlog: producing to '%s': %" PRIu64 " of %" PRIu64
		    " records acknowledged\n",
		    a->topic, ok, sent);
		status = CLI_EXIT_ERR;
	}
	return status;
}

int
cli_produce_main(cli_global *g, int argc, char **argv, int first)
{
	produce_args a = { 0 };
	evl_client  *c;
	int          rv = parse(g, argc, argv, first, &a);
	if (rv == 0 && (rv = cli_connect(g, &c)) == 0) {
		rv = a.have_expect ? produce_expect(c, &a)
		    : a.value      ? produce_one(c, &a)
		                   : produce_stdin(c, &a);
		evl_client_close(c);
	}
	free(a.headers);
	return rv < 0 ? CLI_EXIT_OK : rv;
}
