/*
 * tail.c -- `evlog tail TOPIC`, with the habits of tail(1).
 *
 * Two phases.  First the records present when tail starts, from each
 * partition's start position up to its head at that moment, merged
 * across partitions in timestamp order (broker append time; ties by
 * partition, then offset).  Then, with -f, whatever arrives after, as it
 * arrives.
 *
 * The merge reads each partition through its own evl_reader, so the
 * record a reader last returned stays valid (it borrows from that
 * reader only) while the others are read: a k-way merge with no copies.
 * "The last N" keeps a ring of the N newest merged records (copied),
 * since the newest overall cannot be known before every partition's
 * tail has been seen.
 *
 * SIGINT and SIGTERM set a flag that the loops check; reads wait at most
 * FOLLOW_POLL_MS so the flag is seen promptly, and output is flushed
 * before exiting 0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "format.h"
#include "timespec.h"

#define DEFAULT_LINES  10
#define FOLLOW_POLL_MS 200
/* advance() looks at the reader's position this often while waiting. */
#define ERASED_POLL_MS 200

static const char tail_help[]
    = "Usage: evlog tail TOPIC [OPTIONS]\n"
      "\n"
      "Prints the last 10 records of TOPIC (all partitions merged in broker\n"
      "time order) and exits; with -f, keeps printing records as they "
      "arrive.\n"
      "\n"
      "Options:\n"
      "  -n, --lines N          the last N records instead of 10\n"
      "  -f, --follow           keep following after the records present\n"
      "      --from POS         start at POS instead, then print everything "
      "up\n"
      "                         to the end as it was at start (and on, with "
      "-f):\n"
      "                           beginning | end | OFFSET (each partition)\n"
      "                           @2024-05-01T12:00:00Z (RFC 3339) | "
      "@UNIX_MS\n"
      "                           -DURATION (back from now: -1h, -30m, "
      "-2d)\n"
      "  -p, --partition P      read partition P only\n"
      "      --count N          stop after N records\n"
      "      --format FMT       output template (default '%%s\\n'): %%t "
      "topic,\n"
      "                         %%p partition, %%o offset, %%k key, %%s "
      "value,\n"
      "                         %%K/%%S key/value length, %%T timestamp "
      "(ms),\n"
      "                         %%h headers (name=value,...), %%%%, \\n, "
      "\\t\n"
      "      --json             one JSON object per record and line\n"
      "  -g, --group G          consume as a member of group G: share the\n"
      "                         partitions with G's other members, print\n"
      "                         from G's committed offsets (--from only "
      "when\n"
      "                         G has none; default beginning), commit "
      "what\n"
      "                         is printed, stop at the end of the "
      "assigned\n"
      "                         partitions unless -f\n"
      "\n"
      "-n and --from cannot be used together, nor -n or --partition with\n"
      "--group.  Times are broker append times.\n"
      "\n"
      "%s";

enum {
	OPT_LINES = 1,
	OPT_FOLLOW,
	OPT_FROM,
	OPT_PARTITION,
	OPT_COUNT,
	OPT_FORMAT,
	OPT_JSON,
	OPT_GROUP,
};

static const cli_opt tail_opts[] = {
	{ "group", 'g', true, OPT_GROUP },
	{ "lines", 'n', true, OPT_LINES },
	{ "follow", 'f', false, OPT_FOLLOW },
	{ "from", 0, true, OPT_FROM },
	{ "partition", 'p', true, OPT_PARTITION },
	{ "count", 0, true, OPT_COUNT },
	{ "format", 0, true, OPT_FORMAT },
	{ "json", 0, false, OPT_JSON },
	{ NULL, 0, false, 0 },
};

typedef struct tail_args {
	const char *topic;
	bool        follow;
	bool        have_lines, have_from, have_part, have_count, json;
	uint64_t    lines;
	cli_from    from;
	uint32_t    partition;
	uint64_t    count;
	const char *format;
	const char *group; /* --group: consume as a member */
} tail_args;

/* Output state: the template, the staging buffer, the record count. */
typedef struct tail_out {
	const tail_args *a;
	cli_format      *fmt;
	cli_buf          buf;
	uint64_t         printed;
} tail_out;

/* One partition being read in the first phase. */
typedef struct src {
	uint32_t          partition;
	evl_reader       *r;
	uint64_t          start; /* first offset to print */
	uint64_t          end;   /* head when tail started */
	uint64_t          next;  /* next offset wanted */
	const evl_record *cur;   /* borrowed from r; NULL when done */
} src;

static int
parse(cli_global *g, int argc, char **argv, int first, tail_args *a)
{
	static const cli_opt *const tables[]
	    = { tail_opts, cli_global_opts, NULL };
	cli_getopt  p;
	const char *arg;
	int         id;

	cli_getopt_init(&p, argc, argv, first, tables);
	while ((id = cli_getopt_next(&p, &arg)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERR:
			return cli_usage("tail", "%s", p.err);
		case CLI_ID_HELP:
			printf(tail_help, cli_global_help);
			return -1;
		case CLI_OPT_POS:
			if (a->topic)
				return cli_usage(
				    "tail", "unexpected argument '%s'", arg);
			a->topic = arg;
			break;
		case OPT_LINES:
			/* tail(1)'s "-n +N" means "from line N"; we spell
			 * that --from, so only plain counts here. */
			if (cli_parse_u64(arg, UINT64_MAX, &a->lines) != 0)
				return cli_usage("tail",
				    "-n: '%s' is not a number of records",
				    arg);
			a->have_lines = true;
			break;
		case OPT_FOLLOW:
			a->follow = true;
			break;
		case OPT_FROM:
			if (cli_from_parse(arg, cli_wall_ms(), &a->from) != 0)
				return cli_usage("tail",
				    "--from: '%s' is not beginning, end, an "
				    "offset, @TIME (RFC 3339 or Unix ms) or "
				    "-DURATION",
				    arg);
			a->have_from = true;
			break;
		case OPT_PARTITION:
			if (cli_parse_u32(arg, &a->partition) != 0)
				return cli_usage("tail",
				    "--partition: '%s' is not a partition "
				    "number",
				    arg);
			a->have_part = true;
			break;
		case OPT_COUNT:
			if (cli_parse_u64(arg, UINT64_MAX, &a->count) != 0)
				return cli_usage("tail",
				    "--count: '%s' is not a number of records",
				    arg);
			a->have_count = true;
			break;
		case OPT_FORMAT:
			a->format = arg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_GROUP:
			a->group = arg;
			break;
		default: {
			int rv = cli_global_apply(g, id, arg, "tail");
			if (rv)
				return rv;
		}
		}
	}
	if (a->topic == NULL)
		return cli_usage("tail", "missing topic name");
	if (a->have_lines && a->have_from)
		return cli_usage(
		    "tail", "-n and --from cannot be used together");
	if (a->json && a->format)
		return cli_usage(
		    "tail", "--json and --format cannot be used together");
	if (a->group && a->have_lines)
		return cli_usage("tail",
		    "-n does not apply with --group (the group's commits "
		    "say where to start)");
	if (a->group && a->have_part)
		return cli_usage("tail",
		    "--partition does not apply with --group (the broker "
		    "assigns the partitions)");
	if (!a->have_lines)
		a->lines = DEFAULT_LINES;
	return 0;
}

static bool
count_reached(const tail_out *o)
{
	return o->a->have_count && o->printed >= o->a->count;
}

/* Formats r into the staging buffer, writing it out when it is large. */
static int
emit(tail_out *o, const evl_record *r)
{
	if (o->a->json)
		cli_json_record(r, &o->buf);
	else
		cli_format_record(o->fmt, r, &o->buf);
	o->printed++;
	if (o->buf.len >= 64 * 1024) {
		size_t want = o->buf.len;
		size_t n = fwrite(o->buf.data, 1, want, stdout);
		cli_buf_reset(&o->buf);
		if (n != want) {
			(void) cli_flush_stdout(); /* says why */
			return CLI_EXIT_ERR;
		}
	}
	return 0;
}

/* Writes out what is staged and flushes stdout. */
static int
flush_out(tail_out *o)
{
	if (o->buf.len)
		fwrite(o->buf.data, 1, o->buf.len, stdout);
	cli_buf_reset(&o->buf);
	return cli_flush_stdout();
}

/* ---- the records present at start ---------------------------------- */

/* A copy of a record that owns its bytes (the ring of "last N"). */
typedef struct owned {
	evl_record rec;
	evl_header hdrs[]; /* then names, values, key and value bytes */
} owned;

static owned *
own(const evl_record *r)
{
	size_t n = sizeof(owned) + r->header_count * sizeof(evl_header)
	    + r->key_len + r->value_len;
	for (size_t i = 0; i < r->header_count; i++)
		n += r->headers[i].name_len + r->headers[i].value_len;
	owned *o = cli_xmalloc(n);
	char  *p = (char *) (o->hdrs + r->header_count);
	o->rec = *r;
	for (size_t i = 0; i < r->header_count; i++) {
		const evl_header *h = &r->headers[i];
		o->hdrs[i] = *h;
		o->hdrs[i].name = memcpy(p, h->name, h->name_len);
		p += h->name_len;
		o->hdrs[i].value = memcpy(p, h->value, h->value_len);
		p += h->value_len;
	}
	o->rec.headers = o->hdrs;
	if (r->key)
		o->rec.key = memcpy(p, r->key, r->key_len);
	p += r->key_len;
	o->rec.value = memcpy(p, r->value, r->value_len);
	/* topic: the reader's string dies with it; the caller fixes it. */
	return o;
}

/* Order of the merge: timestamp, then partition, then offset. */
static bool
before(const evl_record *x, const evl_record *y)
{
	if (x->timestamp != y->timestamp)
		return x->timestamp < y->timestamp;
	if (x->partition != y->partition)
		return x->partition < y->partition;
	return x->offset < y->offset;
}

/* Makes s->cur the next record of s below s->end, or NULL. */
static int
advance(evl_client *c, const tail_args *a, src *s, uint32_t timeout_ms)
{
	uint64_t deadline = cli_mono_ms() + timeout_ms;
	s->cur            = NULL;
	while (s->next < s->end) {
		const evl_record *r;
		uint64_t          now  = cli_mono_ms();
		uint32_t          wait = now >= deadline ? 0
		             : deadline - now < ERASED_POLL_MS
		             ? (uint32_t) (deadline - now)
		             : ERASED_POLL_MS;
		int rv = evl_reader_next(s->r, &r, wait);
		if (rv == EVL_ETIMEDOUT && now < deadline) {
			/* Records erased by a stream delete are passed over
			 * without being returned: the reader may have
			 * reached the end with nothing left to show. */
			uint64_t pos;
			if (evl_reader_position(s->r, s->partition, &pos) ==
			        0 &&
			    pos >= s->end)
				break;
			continue;
		}
		if (rv == EVL_EOFFSET) {
			/* Retention removed what we were about to read:
			 * go on from what is still stored. */
			uint64_t first;
			rv = evl_offset_for_time(c, a->topic, s->partition,
			    EVL_TIME_EARLIEST, &first);
			if (rv != 0)
				return cli_fail(c, rv,
				    "topic '%s' partition %u", a->topic,
				    (unsigned) s->partition);
			if (first <= s->next)
				first = s->next + 1;
			s->next = first;
			if (first >= s->end)
				break;
			if ((rv = evl_reader_seek(s->r, s->partition, first))
			    != 0)
				return cli_fail(c, rv,
				    "topic '%s' partition %u", a->topic,
				    (unsigned) s->partition);
			continue;
		}
		if (rv != 0)
			return cli_fail(c, rv, "reading '%s' partition %u",
			    a->topic, (unsigned) s->partition);
		if (r->offset >= s->end)
			break;
		s->next = r->offset + 1;
		s->cur = r;
		break;
	}
	return 0;
}

/*
 * Reads [start, end) of every source, merged, into emit (all of it) or
 * into the ring (the last a->lines).
 */
static int
read_present(evl_client *c, const tail_args *a, src *s, size_t ns,
    uint32_t timeout_ms, tail_out *o, bool last_n)
{
	owned  **ring = NULL;
	size_t   cap = 0, head = 0, held = 0;
	int      rv = 0;
	uint64_t total = 0;

	for (size_t i = 0; i < ns; i++)
		total += s[i].end - s[i].start;
	if (last_n) {
		cap = (size_t) (a->lines < total ? a->lines : total);
		ring = cap ? cli_xmalloc(cap * sizeof(*ring)) : NULL;
	}
	for (size_t i = 0; i < ns && rv == 0; i++) {
		if (s[i].start >= s[i].end)
			continue;
		if ((rv = evl_reader_open(&s[i].r, c, a->topic, NULL)) != 0
		    || (rv = evl_reader_seek(
		            s[i].r, s[i].partition, s[i].start))
		        != 0) {
			rv = cli_fail(c, rv, "reading '%s' partition %u",
			    a->topic, (unsigned) s[i].partition);
			break;
		}
		s[i].next = s[i].start;
		rv = advance(c, a, &s[i], timeout_ms);
	}
	while (rv == 0 && !cli_stop) {
		src *m = NULL;
		for (size_t i = 0; i < ns; i++)
			if (s[i].cur
			    && (m == NULL || before(s[i].cur, m->cur)))
				m = &s[i];
		if (m == NULL)
			break;
		if (last_n) {
			if (cap) {
				owned *cp = own(m->cur);
				if (held == cap) {
					free(ring[head]);
					ring[head] = cp;
					head = (head + 1) % cap;
				} else
					ring[(head + held++) % cap] = cp;
			}
		} else {
			if (count_reached(o))
				break;
			if ((rv = emit(o, m->cur)) != 0)
				break;
		}
		rv = advance(c, a, m, timeout_ms);
	}
	for (size_t i = 0; i < held; i++) {
		owned *cp = ring[(head + i) % cap];
		cp->rec.topic = a->topic;
		if (rv == 0 && !count_reached(o))
			rv = emit(o, &cp->rec);
		free(cp);
	}
	free(ring);
	for (size_t i = 0; i < ns; i++) {
		evl_reader_close(s[i].r);
		s[i].r = NULL;
		s[i].cur = NULL;
	}
	return rv;
}

/* ---- following -------------------------------------------------------- */

/* After EVL_EOFFSET in follow: re-seek each partition whose position
 * fell below what is still stored. */
static int
reseek_cut(evl_client *c, evl_reader *r, const tail_args *a, src *s, size_t ns)
{
	for (size_t i = 0; i < ns; i++) {
		uint64_t pos, first;
		int      rv;
		if (evl_reader_position(r, s[i].partition, &pos) != 0)
			continue;
		if ((rv = evl_offset_for_time(c, a->topic, s[i].partition,
		         EVL_TIME_EARLIEST, &first))
		    != 0)
			return rv;
		if (pos < first
		    && (rv = evl_reader_seek(r, s[i].partition, first)) != 0)
			return rv;
	}
	return 0;
}

static bool
transient(int rv)
{
	return rv == EVL_ECONNREFUSED || rv == EVL_ECONNRESET
	    || rv == EVL_ESHUTDOWN || rv == EVL_EBUSY || rv == EVL_ETHROTTLED;
}

static int
follow(evl_client *c, const tail_args *a, src *s, size_t ns, tail_out *o)
{
	evl_reader *r;
	int         rv;
	bool        pending = false, lost = false;

	if ((rv = evl_reader_open(&r, c, a->topic, NULL)) != 0)
		return cli_fail(c, rv, "following '%s'", a->topic);
	for (size_t i = 0; i < ns; i++) {
		uint64_t from = s[i].start > s[i].end ? s[i].start : s[i].end;
		if ((rv = evl_reader_seek(r, s[i].partition, from)) != 0) {
			evl_reader_close(r);
			return cli_fail(c, rv, "following '%s' partition %u",
			    a->topic, (unsigned) s[i].partition);
		}
	}
	rv = 0;
	while (!cli_stop && !count_reached(o)) {
		const evl_record *rec;
		/* After a record, drain what is already here without
		 * waiting, then flush: one write per batch. */
		int e = evl_reader_next(r, &rec, pending ? 0 : FOLLOW_POLL_MS);
		if (e == 0) {
			if (lost) {
				cli_note("reconnected to the broker");
				lost = false;
			}
			if ((rv = emit(o, rec)) != 0)
				break;
			pending = true;
			continue;
		}
		if (pending && (rv = flush_out(o)) != 0)
			break;
		pending = false;
		if (e == EVL_ETIMEDOUT)
			continue;
		if (e == EVL_EOFFSET) {
			if ((e = reseek_cut(c, r, a, s, ns)) == 0)
				continue;
		}
		if (transient(e)) {
			/* Like tail -F: a broker restart is not the end. */
			if (!lost)
				cli_note("lost the broker (%s); retrying",
				    evl_strerror(e));
			lost = true;
			continue;
		}
		rv = cli_fail(c, e, "following '%s'", a->topic);
		break;
	}
	evl_reader_close(r);
	return rv;
}

/* ---- as a member of a group ------------------------------------------ */

/*
 * With --group, tail is one consumer of the group: the broker assigns it
 * some (or all) of the topic's partitions.  Each partition starts at the
 * group's committed offset, or at --from (default: the beginning) when
 * the group has none; "the end" is each partition's head when it was
 * assigned.  What is printed is flushed, then committed, so a tail that
 * dies prints a record again rather than skip it.  Losing partitions to
 * a rebalance flushes and commits first (on_revoke).
 */
typedef struct group_run {
	evl_client      *c;
	const tail_args *a;
	tail_out        *o;
	uint32_t         n; /* entries below */
	bool            *mine;
	uint64_t        *pos;
	uint64_t        *end;
	int              err; /* from a callback */
} group_run;

static void
group_grow(group_run *g, uint32_t partition)
{
	if (partition < g->n)
		return;
	uint32_t n = partition + 1;
	g->mine    = cli_xrealloc(g->mine, n * sizeof(*g->mine));
	g->pos     = cli_xrealloc(g->pos, n * sizeof(*g->pos));
	g->end     = cli_xrealloc(g->end, n * sizeof(*g->end));
	for (uint32_t i = g->n; i < n; i++) {
		g->mine[i] = false;
		g->pos[i] = g->end[i] = 0;
	}
	g->n = n;
}

/* Where a partition without a committed offset starts (--from). */
static int
group_start(group_run *g, evl_consumer *k, uint32_t p, uint64_t *pos)
{
	const tail_args *a = g->a;
	uint64_t         first, head;
	int              rv;
	if ((rv = evl_offset_for_time(g->c, a->topic, p, EVL_TIME_EARLIEST,
	         &first)) != 0
	    || (rv = evl_offset_for_time(
	            g->c, a->topic, p, EVL_TIME_LATEST, &head)) != 0)
		return rv;
	*pos = first;
	if (a->have_from) {
		switch (a->from.kind) {
		case CLI_FROM_BEGINNING:
			break;
		case CLI_FROM_END:
			*pos = head;
			break;
		case CLI_FROM_OFFSET:
			*pos = a->from.offset < first ? first
			    : a->from.offset > head   ? head
			                              : a->from.offset;
			break;
		case CLI_FROM_TIME:
			rv = evl_offset_for_time(
			    g->c, a->topic, p, a->from.ts_ms, pos);
			break;
		}
	}
	if (rv == 0)
		rv = evl_consumer_seek(k, a->topic, p, *pos);
	return rv;
}

static void
group_assigned(void *arg, evl_consumer *k, const evl_topic_partition *parts,
    size_t n)
{
	group_run *g = arg;
	for (uint32_t i = 0; i < g->n; i++)
		g->mine[i] = false;
	for (size_t i = 0; i < n && g->err == 0; i++) {
		uint32_t p = parts[i].partition;
		int64_t  committed;
		int      rv;
		group_grow(g, p);
		rv = evl_group_committed(
		    g->c, g->a->group, g->a->topic, p, &committed);
		if (rv == 0 && committed >= 0)
			g->pos[p] = (uint64_t) committed;
		else if (rv == 0)
			rv = group_start(g, k, p, &g->pos[p]);
		if (rv == 0)
			rv = evl_offset_for_time(g->c, g->a->topic, p,
			    EVL_TIME_LATEST, &g->end[p]);
		if (rv != 0)
			g->err = cli_fail(g->c, rv,
			    "group '%s': topic '%s' partition %u",
			    g->a->group, g->a->topic, (unsigned) p);
		g->mine[p] = true;
	}
}

/* Flushes what is printed, then commits it. */
static int
group_commit(group_run *g, evl_consumer *k)
{
	int rv = flush_out(g->o);
	if (rv != 0)
		return rv;
	rv = evl_consumer_commit(k);
	if (rv != 0 && rv != EVL_EGENERATION && rv != EVL_EUNKNOWNMEMBER
	    && rv != EVL_ENOTOWNER && !transient(rv) && rv != EVL_ETIMEDOUT)
		return cli_fail(g->c, rv, "committing for group '%s'",
		    g->a->group);
	/* A fenced or failed commit is not fatal: the group's next owner
	 * prints those records again (at least once). */
	return 0;
}

static void
group_revoked(void *arg, evl_consumer *k, const evl_topic_partition *parts,
    size_t n)
{
	group_run *g = arg;
	(void) parts;
	(void) n;
	int rv = group_commit(g, k);
	if (rv != 0 && g->err == 0)
		g->err = rv;
	for (uint32_t i = 0; i < g->n; i++)
		g->mine[i] = false;
}

static bool
group_at_end(const group_run *g)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (g->mine[i] && g->pos[i] < g->end[i])
			return false;
	return true;
}

static int
tail_group(evl_client *c, const tail_args *a, tail_out *o)
{
	evl_consumer     *k;
	evl_consumer_opts co;
	group_run         g = { .c = c, .a = a, .o = o };
	const char       *topics[] = { a->topic };
	bool              pending = false, lost = false;
	int               rv;

	/* The topic must exist, as for tail without a group.  This also keeps
	 * a glob out: the consumer would subscribe to a pattern, and
	 * group_run tracks the partitions of one topic. */
	evl_topic_info *t;
	if ((rv = evl_topic_describe(c, a->topic, &t)) != 0)
		return cli_fail(c, rv, "topic '%s'", a->topic);
	evl_topic_info_free(t, 1);
	evl_consumer_opts_init(&co);
	co.client_id      = "evlog-tail";
	co.auto_commit_ms = 0; /* we commit what we flushed */
	co.max_wait_ms    = FOLLOW_POLL_MS;
	co.on_assign      = group_assigned;
	co.on_revoke      = group_revoked;
	co.cb_arg         = &g;
	if ((rv = evl_consumer_open(&k, c, a->group, topics, 1, &co)) != 0)
		return cli_fail(c, rv, "joining group '%s'", a->group);
	rv = 0;
	while (!cli_stop && !count_reached(o) && g.err == 0) {
		const evl_record *rec;
		int e = evl_consumer_poll(k, &rec, pending ? 0 : FOLLOW_POLL_MS);
		if (e == 0) {
			if (lost) {
				cli_note("reconnected to the broker");
				lost = false;
			}
			if ((rv = emit(o, rec)) != 0)
				break;
			group_grow(&g, rec->partition);
			g.pos[rec->partition] = rec->offset + 1;
			pending = true;
			continue;
		}
		if (pending && (rv = group_commit(&g, k)) != 0)
			break;
		pending = false;
		if (e == EVL_ETIMEDOUT) {
			int32_t gen;
			evl_consumer_member(k, &gen);
			if (!a->follow && gen >= 0 && group_at_end(&g))
				break;
			continue;
		}
		if (transient(e)) {
			if (!lost)
				cli_note("lost the broker (%s); retrying",
				    evl_strerror(e));
			lost = true;
			continue;
		}
		rv = cli_fail(c, e, "consuming '%s' in group '%s'", a->topic,
		    a->group);
		break;
	}
	if (rv == 0 && g.err != 0)
		rv = g.err;
	if (rv == 0)
		rv = group_commit(&g, k);
	/* Leaves the group (on_revoke commits once more). */
	evl_consumer_close(k);
	free(g.mine);
	free(g.pos);
	free(g.end);
	return rv;
}

/* ---- the command ------------------------------------------------------ */

/* Where each partition starts and ends (its head now). */
static int
plan(evl_client *c, const tail_args *a, src **out, size_t *nout, bool *last_n)
{
	evl_topic_info *t;
	int             rv;
	if ((rv = evl_topic_describe(c, a->topic, &t)) != 0)
		return cli_fail(c, rv, "topic '%s'", a->topic);
	size_t n = t->partition_count;
	if (a->have_part && a->partition >= n) {
		evl_topic_info_free(t, 1);
		return cli_fail(c, EVL_ENOPART,
		    "topic '%s' partition %u (it has %zu)", a->topic,
		    (unsigned) a->partition, n);
	}
	src   *s = cli_xmalloc((n ? n : 1) * sizeof(*s));
	size_t ns = 0;
	for (size_t i = 0; i < n; i++) {
		const evl_partition_info *p = &t->partitions[i];
		if (a->have_part && p->partition != a->partition)
			continue;
		src *x = &s[ns++];
		memset(x, 0, sizeof(*x));
		x->partition = p->partition;
		x->end = p->next_offset;
		uint64_t first
		    = p->first_offset < x->end ? p->first_offset : x->end;
		if (!a->have_from) {
			uint64_t have = x->end - first;
			x->start
			    = x->end - (a->lines < have ? a->lines : have);
			continue;
		}
		switch (a->from.kind) {
		case CLI_FROM_BEGINNING:
			x->start = first;
			break;
		case CLI_FROM_END:
			x->start = x->end;
			break;
		case CLI_FROM_OFFSET:
			x->start = a->from.offset < first ? first
			    : a->from.offset > x->end     ? x->end
			                                  : a->from.offset;
			break;
		case CLI_FROM_TIME:
			rv = evl_offset_for_time(c, a->topic, x->partition,
			    a->from.ts_ms, &x->start);
			if (rv != 0) {
				rv = cli_fail(c, rv,
				    "topic '%s' partition %u: finding the "
				    "offset for a time",
				    a->topic, (unsigned) x->partition);
				free(s);
				evl_topic_info_free(t, 1);
				return rv;
			}
			break;
		}
	}
	evl_topic_info_free(t, 1);
	*out = s;
	*nout = ns;
	*last_n = !a->have_from;
	return 0;
}

int
cli_tail_main(cli_global *g, int argc, char **argv, int first)
{
	tail_args   a = { 0 };
	tail_out    o = { .a = &a, .buf = CLI_BUF_INIT };
	evl_client *c = NULL;
	src        *s = NULL;
	size_t      ns = 0;
	bool        last_n = false;
	char        err[200];
	int         rv = parse(g, argc, argv, first, &a);
	if (rv)
		return rv < 0 ? CLI_EXIT_OK : rv;
	if (!a.json
	    && cli_format_parse(a.format ? a.format : CLI_FORMAT_DEFAULT,
	           &o.fmt, err, sizeof(err))
	        != 0)
		return cli_usage("tail", "%s", err);
	if (a.follow || a.group)
		cli_catch_stop_signals();
	if ((rv = cli_connect(g, &c)) != 0)
		goto done;
	if (a.group) {
		rv = tail_group(c, &a, &o);
		(void) flush_out(&o);
		goto done;
	}
	if ((rv = plan(c, &a, &s, &ns, &last_n)) != 0)
		goto done;
	uint32_t timeout = g->timeout_ms ? g->timeout_ms : 10000;
	if (!count_reached(&o))
		rv = read_present(c, &a, s, ns, timeout, &o, last_n);
	if (rv == 0)
		rv = flush_out(&o);
	if (rv == 0 && a.follow && !cli_stop && !count_reached(&o))
		rv = follow(c, &a, s, ns, &o);
	if (rv == 0)
		rv = flush_out(&o);
	else
		(void) flush_out(&o);
done:
	free(s);
	evl_client_close(c);
	cli_format_free(o.fmt);
	cli_buf_fini(&o.buf);
	return rv;
}
