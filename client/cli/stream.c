/*
 * stream.c -- `evlog stream read|version|delete TOPIC KEY`: one key's
 * stream of a topic created with --streams.
 *
 * read pages through the stream (forwards from --from-version, or
 * newest first with --backwards) and, with -f, keeps following it: a long
 * poll on the key that the broker answers when it gets an event (or,
 * early and empty, when another key of its partition does: asked again).
 * Output is the value per line, or with --json the JSON line of
 * `tail --json` plus "version".  A version conflict of delete exits 3
 * and prints the current version on stderr, as produce does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "format.h"
#include "subcmd.h"

#define FOLLOW_POLL_MS 1000

static const char stream_help[]
    = "Usage: evlog stream read TOPIC KEY [OPTIONS]\n"
      "       evlog stream version TOPIC KEY\n"
      "       evlog stream delete TOPIC KEY [OPTIONS]\n"
      "\n"
      "Per-key streams of a topic created with 'evlog topics create NAME\n"
      "--streams': every record key is a stream whose events have versions\n"
      "0, 1, 2 ...\n"
      "\n"
      "  read      prints the stream's events, oldest first\n"
      "  version   prints the current version, or 'none' for a key without\n"
      "            events\n"
      "  delete    deletes the stream: its events are erased at once; the\n"
      "            version is kept, later events continue after it\n"
      "\n"
      "read options:\n"
      "      --from-version N   start at version N (default 0), or "
      "'snapshot':\n"
      "                         the newest snapshot event\n"
      "      --backwards        newest first (from the end, or from N down)\n"
      "  -f, --follow           keep printing events as they are appended\n"
      "      --count N          stop after N events\n"
      "      --json             one JSON object per event and line, as "
      "'tail\n"
      "                         --json' with \"version\" added\n"
      "\n"
      "delete options:\n"
      "      --expect-version any|exists|N\n"
      "                         delete only at this version (default any); "
      "a\n"
      "                         conflict exits 3 with the current version\n"
      "      --forget-versions  the key starts again at version 0\n"
      "\n"
      "%s";

enum {
	OPT_FROM = 1,
	OPT_BACKWARDS,
	OPT_FOLLOW,
	OPT_COUNT,
	OPT_JSON,
	OPT_EXPECT,
	OPT_FORGET,
};

static const cli_opt stream_opts[] = {
	{ "from-version", 0, true, OPT_FROM },
	{ "backwards", 0, false, OPT_BACKWARDS },
	{ "follow", 'f', false, OPT_FOLLOW },
	{ "count", 0, true, OPT_COUNT },
	{ "json", 0, false, OPT_JSON },
	{ "expect-version", 0, true, OPT_EXPECT },
	{ "forget-versions", 0, false, OPT_FORGET },
	{ NULL, 0, false, 0 },
};

typedef struct stream_args {
	const char *sub;
	const char *topic;
	const char *key;
	int64_t     from;
	bool        have_from, backwards, follow, json, forget, have_expect;
	uint64_t    count; /* 0 = all */
	int64_t     expect;
} stream_args;

int
cli_parse_expect(const char *s, int64_t *out)
{
	uint64_t v;
	if (strcmp(s, "any") == 0)
		*out = EVL_VERSION_ANY;
	else if (strcmp(s, "no_stream") == 0 || strcmp(s, "no-stream") == 0)
		*out = EVL_VERSION_NO_STREAM;
	else if (strcmp(s, "exists") == 0)
		*out = EVL_VERSION_EXISTS;
	else if (cli_parse_u64(s, INT64_MAX, &v) == 0)
		*out = (int64_t) v;
	else
		return -1;
	return 0;
}

static int
parse(cli_global *g, int argc, char **argv, int first, stream_args *a)
{
	cli_sub     s;
	const char *arg;
	int         id, status;
	uint64_t    v;

	a->expect = EVL_VERSION_ANY;
	cli_sub_init(&s, "stream", stream_opts, stream_help, 2, argc, argv,
	    first);
	while ((id = cli_sub_next(&s, g, &arg, &status)) != CLI_OPT_END) {
		switch (id) {
		case CLI_SUB_EXIT:
			return status;
		case OPT_FROM:
			if (strcmp(arg, "snapshot") == 0)
				a->from = EVL_STREAM_FROM_SNAPSHOT;
			else if (cli_parse_u64(arg, INT64_MAX, &v) == 0)
				a->from = (int64_t) v;
			else
				return cli_usage("stream",
				    "--from-version: '%s' is not a version "
				    "or 'snapshot'",
				    arg);
			a->have_from = true;
			break;
		case OPT_BACKWARDS:
			a->backwards = true;
			break;
		case OPT_FOLLOW:
			a->follow = true;
			break;
		case OPT_COUNT:
			if (cli_parse_u64(arg, UINT64_MAX, &a->count) != 0
			    || a->count == 0)
				return cli_usage("stream",
				    "--count: '%s' is not a positive number",
				    arg);
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_EXPECT:
			if (cli_parse_expect(arg, &a->expect) != 0)
				return cli_usage("stream",
				    "--expect-version: '%s' is not any, "
				    "no_stream, exists or a version",
				    arg);
			a->have_expect = true;
			break;
		case OPT_FORGET:
			a->forget = true;
			break;
		}
	}
	a->sub   = s.sub;
	a->topic = s.npos > 0 ? s.pos[0] : NULL;
	a->key   = s.npos > 1 ? s.pos[1] : NULL;
	if (a->sub == NULL)
		return cli_usage("stream",
		    "missing subcommand (read, version "
		    "or delete)");
	if (strcmp(a->sub, "read") != 0 && strcmp(a->sub, "version") != 0
	    && strcmp(a->sub, "delete") != 0)
		return cli_usage("stream", "unknown subcommand '%s'", a->sub);
	if (a->topic == NULL || a->key == NULL)
		return cli_usage("stream", "%s needs TOPIC and KEY", a->sub);
	bool read = strcmp(a->sub, "read") == 0;
	if (!read
	    && (a->have_from || a->backwards || a->follow || a->json
	        || a->count))
		return cli_usage("stream", "read options given to %s", a->sub);
	if (strcmp(a->sub, "delete") != 0 && (a->have_expect || a->forget))
		return cli_usage(
		    "stream", "delete options given to %s", a->sub);
	if (a->backwards && a->follow)
		return cli_usage("stream",
		    "--backwards and --follow cannot be "
		    "used together");
	if (a->backwards && a->from == EVL_STREAM_FROM_SNAPSHOT)
		return cli_usage("stream",
		    "--backwards reads from a version, "
		    "not from a snapshot");
	return 0;
}

static void
print_event(const stream_args *a, const evl_stream_page *p,
    const evl_stream_event *e, cli_buf *b)
{
	if (!a->json) {
		cli_buf_put(b, e->value ? e->value : "", e->value_len);
		cli_buf_putc(b, '\n');
		return;
	}
	evl_record r = { .topic = a->topic,
		.partition = p->partition,
		.offset = e->offset,
		.timestamp = e->timestamp,
		.producer_timestamp = e->producer_timestamp,
		.key = a->key,
		.key_len = strlen(a->key),
		.value = e->value,
		.value_len = e->value_len,
		.headers = e->headers,
		.header_count = e->header_count };
	/* The line of `tail --json`, with "version" added before its
	 * closing brace: cli_json_record ends every object with "}\n". */
	cli_json_record(&r, b);
	if (b->len >= 2 && b->data[b->len - 2] == '}') {
		b->len -= 2;
		cli_buf_printf(b, ",\"version\":%" PRId64 "}\n", e->version);
	}
}

static int
stream_read(evl_client *c, const stream_args *a)
{
	evl_stream_read_opts o;
	evl_stream_page     *p;
	cli_buf              b = { 0 };
	uint64_t             printed = 0;
	size_t               klen = strlen(a->key);
	int                  rv = 0;

	evl_stream_read_opts_init(&o);
	o.backwards = a->backwards;
	o.from_version = a->have_from ? a->from
	    : a->backwards            ? EVL_STREAM_FROM_END
	                              : 0;
	if (a->follow)
		cli_catch_stop_signals();
	while (!cli_stop) {
		bool following = false;
		if ((rv = evl_stream_read(c, a->topic, a->key, klen, &o, &p))
		    != 0)
			return cli_fail(c, rv, "reading stream '%s' of '%s'",
			    a->key, a->topic);
		for (size_t i = 0; i < p->count; i++) {
			print_event(a, p, &p->events[i], &b);
			if (a->count && ++printed == a->count)
				break;
		}
		int64_t last = p->count ? p->events[p->count - 1].version
		                        : o.from_version;
		bool    end = p->count == 0
		    || (a->backwards ? (uint64_t) last <= p->first_version
		                     : last >= p->version);
		size_t n = p->count;
		evl_stream_page_free(p);
		if (b.len > 0) {
			if (fwrite(b.data, 1, b.len, stdout) != b.len)
				break;
			cli_buf_reset(&b);
			if (a->follow)
				fflush(stdout);
		}
		if (a->count && printed == a->count)
			break;
		if (n > 0)
			o.from_version = a->backwards ? last - 1 : last + 1;
		if (end) {
			if (!a->follow)
				break;
			following = true;
		}
		if (following) {
			if (o.from_version < 0)
				o.from_version = 0; /* an empty stream: from
				                       its first event */
			o.max_wait_ms = FOLLOW_POLL_MS;
		}
		if (a->backwards && o.from_version < 0)
			break;
	}
	cli_buf_fini(&b);
	return cli_flush_stdout();
}

static int
stream_version(evl_client *c, const stream_args *a)
{
	int64_t v;
	int rv = evl_stream_version(c, a->topic, a->key, strlen(a->key), &v);
	if (rv != 0)
		return cli_fail(
		    c, rv, "stream '%s' of '%s'", a->key, a->topic);
	if (v < 0)
		printf("none\n");
	else
		printf("%" PRId64 "\n", v);
	return cli_flush_stdout();
}

static int
stream_delete(evl_client *c, const stream_args *a)
{
	int64_t cur = EVL_VERSION_NONE;
	int     rv = evl_stream_delete(c, a->topic, a->key, strlen(a->key),
	        a->expect, a->forget ? EVL_DELETE_FORGET_VERSIONS : 0, &cur);
	if (rv == EVL_EWRONGVERSION)
		return cli_conflict("deleting stream", a->key, cur);
	if (rv != 0)
		return cli_fail(
		    c, rv, "deleting stream '%s' of '%s'", a->key, a->topic);
	return CLI_EXIT_OK;
}

int
cli_conflict(const char *what, const char *key, int64_t current)
{
	if (current < 0)
		fprintf(stderr,
		    "evlog: %s '%s': version conflict: the current version "
		    "is none\n",
		    what, key);
	else
		fprintf(stderr,
		    "evlog: %s '%s': version conflict: the current version "
		    "is %" PRId64 "\n",
		    what, key, current);
	return CLI_EXIT_CONFLICT;
}

int
cli_stream_main(cli_global *g, int argc, char **argv, int first)
{
	stream_args a = { 0 };
	evl_client *c;
	int         rv = parse(g, argc, argv, first, &a);
	if (rv != 0)
		return rv < 0 ? CLI_EXIT_OK : rv;
	if ((rv = cli_connect(g, &c)) != 0)
		return rv;
	if (strcmp(a.sub, "read") == 0)
		rv = stream_read(c, &a);
	else if (strcmp(a.sub, "version") == 0)
		rv = stream_version(c, &a);
	else
		rv = stream_delete(c, &a);
	evl_client_close(c);
	return rv;
}
