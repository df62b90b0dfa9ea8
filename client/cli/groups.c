/*
 * groups.c -- `evlog groups list|describe|reset|delete`.
 *
 * reset rewinds (or forwards) a group's committed offsets on one topic:
 * every partition gets the offset of the --to position, committed outside
 * group membership, which the broker allows only while the group has no
 * members (so a running consumer never has its position changed under
 * it).  Lag is head - committed, both read by the broker at once; a
 * partition the group never committed has no committed offset and no
 * lag (null in JSON, "-" in text).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "subcmd.h"
#include "timespec.h"

static const char groups_help[]
    = "Usage:\n"
      "  evlog groups list [--json]\n"
      "  evlog groups describe GROUP [--json]\n"
      "  evlog groups reset GROUP --topic TOPIC --to POS\n"
      "  evlog groups delete GROUP\n"
      "\n"
      "Options:\n"
      "      --json           JSON output (list, describe)\n"
      "      --topic TOPIC    the topic whose offsets reset moves\n"
      "      --to POS         where reset puts every partition of TOPIC:\n"
      "                         earliest | latest | OFFSET |\n"
      "                         @2024-05-01T12:00:00Z (RFC 3339) | "
      "@UNIX_MS |\n"
      "                         -DURATION (back from now: -1h, -2d)\n"
      "\n"
      "reset and delete need a group without active members.\n"
      "\n"
      "%s";

enum {
	OPT_JSON = 1,
	OPT_TOPIC,
	OPT_TO,
};

static const cli_opt groups_opts[] = {
	{ "json", 0, false, OPT_JSON },
	{ "topic", 't', true, OPT_TOPIC },
	{ "to", 0, true, OPT_TO },
	{ NULL, 0, false, 0 },
};

typedef struct groups_args {
	const char *sub;
	const char *name;
	const char *topic;
	const char *to_text;
	cli_from    to;
	bool        have_to;
	bool        json;
} groups_args;

/* "earliest"/"latest" are reset's words for tail's beginning/end. */
static int
to_parse(const char *s, cli_from *out)
{
	if (strcmp(s, "earliest") == 0)
		s = "beginning";
	else if (strcmp(s, "latest") == 0)
		s = "end";
	else if (strcmp(s, "beginning") == 0 || strcmp(s, "end") == 0)
		return -1;
	return cli_from_parse(s, cli_wall_ms(), out);
}

static int
parse(cli_global *g, int argc, char **argv, int first, groups_args *a)
{
	cli_sub     s;
	const char *arg;
	int         id, status;

	cli_sub_init(&s, "groups", groups_opts, groups_help, 1, argc, argv,
	    first);
	while ((id = cli_sub_next(&s, g, &arg, &status)) != CLI_OPT_END) {
		if (id == CLI_SUB_EXIT)
			return status;
		switch (id) {
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_TOPIC:
			a->topic = arg;
			break;
		case OPT_TO:
			if (to_parse(arg, &a->to) != 0)
				return cli_usage(s.cmd,
				    "--to: '%s' is not earliest, latest, an "
				    "offset, @TIME (RFC 3339 or Unix ms) or "
				    "-DURATION",
				    arg);
			a->to_text = arg;
			a->have_to = true;
			break;
		}
	}
	a->sub  = s.sub;
	a->name = s.npos > 0 ? s.pos[0] : NULL;
	if (a->sub == NULL)
		return cli_usage("groups",
		    "missing subcommand (list, describe, reset, delete)");
	bool list = strcmp(a->sub, "list") == 0;
	bool desc = strcmp(a->sub, "describe") == 0;
	bool reset = strcmp(a->sub, "reset") == 0;
	bool del = strcmp(a->sub, "delete") == 0;
	if (!list && !desc && !reset && !del)
		return cli_usage("groups", "unknown subcommand '%s'", a->sub);
	if (a->json && !list && !desc)
		return cli_usage(s.cmd, "--json does not apply here");
	if ((a->topic || a->have_to) && !reset)
		return cli_usage(s.cmd, "--%s does not apply here",
		    a->topic ? "topic" : "to");
	if (list && a->name)
		return cli_usage(s.cmd, "unexpected argument '%s'", a->name);
	if (!list && a->name == NULL)
		return cli_usage(s.cmd, "missing group name");
	if (reset && (a->topic == NULL || !a->have_to))
		return cli_usage(s.cmd, "reset needs --topic and --to");
	return 0;
}

static int
list(evl_client *c, const groups_args *a)
{
	evl_group_info *gi;
	size_t          n;
	cli_buf         b = CLI_BUF_INIT;
	int             rv;
	if ((rv = evl_group_list(c, &gi, &n)) != 0)
		return cli_fail(c, rv, "listing groups");
	if (a->json) {
		cli_buf_putc(&b, '[');
		for (size_t i = 0; i < n; i++) {
			cli_buf_puts(&b, i ? ",{\"group\":" : "{\"group\":");
			cli_json_cstr(&b, gi[i].group);
			cli_buf_puts(&b, ",\"state\":");
			cli_json_cstr(&b, gi[i].state);
			cli_buf_printf(&b, ",\"members\":%u}",
			    (unsigned) gi[i].members);
		}
		cli_buf_puts(&b, "]\n");
	} else {
		int w = 5;
		for (size_t i = 0; i < n; i++)
			if ((int) strlen(gi[i].group) > w)
				w = (int) strlen(gi[i].group);
		cli_buf_printf(&b, "%-*s  %-11s  %7s\n", w, "GROUP", "STATE",
		    "MEMBERS");
		for (size_t i = 0; i < n; i++)
			cli_buf_printf(&b, "%-*s  %-11s  %7u\n", w, gi[i].group,
			    gi[i].state, (unsigned) gi[i].members);
	}
	evl_group_info_free(gi, n);
	return cli_write_stdout(&b);
}

static void
describe_json(cli_buf *b, const evl_group_desc *d)
{
	cli_buf_puts(b, "{\"group\":");
	cli_json_cstr(b, d->group);
	cli_buf_puts(b, ",\"state\":");
	cli_json_cstr(b, d->state);
	cli_buf_printf(b, ",\"generation\":%" PRId32 ",\"members\":[",
	    d->generation);
	for (size_t i = 0; i < d->member_count; i++) {
		const evl_group_member_info *m = &d->members[i];
		cli_buf_puts(b, i ? ",{\"member\":" : "{\"member\":");
		cli_json_cstr(b, m->member);
		cli_buf_puts(b, ",\"client\":");
		cli_json_cstr(b, m->client_id);
		cli_buf_puts(b, ",\"partitions\":[");
		for (size_t j = 0; j < m->partition_count; j++) {
			cli_buf_puts(b, j ? ",{\"topic\":" : "{\"topic\":");
			cli_json_cstr(b, m->partitions[j].topic);
			cli_buf_printf(b, ",\"partition\":%u}",
			    (unsigned) m->partitions[j].partition);
		}
		cli_buf_puts(b, "]}");
	}
	cli_buf_puts(b, "],\"partitions\":[");
	for (size_t i = 0; i < d->partition_count; i++) {
		const evl_group_partition_info *p = &d->partitions[i];
		cli_buf_puts(b, i ? ",{\"topic\":" : "{\"topic\":");
		cli_json_cstr(b, p->topic);
		cli_buf_printf(b, ",\"partition\":%u,\"member\":",
		    (unsigned) p->partition);
		if (p->member[0] != '\0')
			cli_json_cstr(b, p->member);
		else
			cli_buf_puts(b, "null");
		if (p->committed < 0)
			cli_buf_printf(b,
			    ",\"committed\":null,\"head\":%" PRIu64
			    ",\"lag\":null}",
			    p->head);
		else
			cli_buf_printf(b,
			    ",\"committed\":%" PRId64 ",\"head\":%" PRIu64
			    ",\"lag\":%" PRId64 "}",
			    p->committed, p->head,
			    (int64_t) p->head - p->committed);
	}
	cli_buf_puts(b, "]}\n");
}

static void
describe_text(cli_buf *b, const evl_group_desc *d)
{
	cli_buf_printf(b,
	    "Group:       %s\n"
	    "State:       %s\n"
	    "Generation:  %" PRId32 "\n"
	    "Members:     %zu\n",
	    d->group, d->state, d->generation, d->member_count);
	if (d->member_count > 0) {
		int w = 6;
		for (size_t i = 0; i < d->member_count; i++)
			if ((int) strlen(d->members[i].member) > w)
				w = (int) strlen(d->members[i].member);
		cli_buf_printf(b, "\n%-*s  %-16s  %s\n", w, "MEMBER", "CLIENT",
		    "PARTITIONS");
		for (size_t i = 0; i < d->member_count; i++) {
			const evl_group_member_info *m = &d->members[i];
			cli_buf_printf(b, "%-*s  %-16s  ", w, m->member,
			    m->client_id);
			for (size_t j = 0; j < m->partition_count; j++)
				cli_buf_printf(b, "%s%s/%u", j ? "," : "",
				    m->partitions[j].topic,
				    (unsigned) m->partitions[j].partition);
			cli_buf_putc(b, '\n');
		}
	}
	int tw = 5, mw = 6;
	for (size_t i = 0; i < d->partition_count; i++) {
		if ((int) strlen(d->partitions[i].topic) > tw)
			tw = (int) strlen(d->partitions[i].topic);
		if ((int) strlen(d->partitions[i].member) > mw)
			mw = (int) strlen(d->partitions[i].member);
	}
	cli_buf_printf(b, "\n%-*s  %9s  %-*s  %12s  %12s  %12s\n", tw, "TOPIC",
	    "PARTITION", mw, "MEMBER", "COMMITTED", "HEAD", "LAG");
	for (size_t i = 0; i < d->partition_count; i++) {
		const evl_group_partition_info *p = &d->partitions[i];
		char com[24] = "-", lag[24] = "-";
		if (p->committed >= 0) {
			snprintf(com, sizeof(com), "%" PRId64, p->committed);
			snprintf(lag, sizeof(lag), "%" PRId64,
			    (int64_t) p->head - p->committed);
		}
		cli_buf_printf(b, "%-*s  %9u  %-*s  %12s  %12" PRIu64 "  %12s\n",
		    tw, p->topic, (unsigned) p->partition, mw,
		    p->member[0] ? p->member : "-", com, p->head, lag);
	}
}

static int
describe(evl_client *c, const groups_args *a)
{
	evl_group_desc *d;
	cli_buf         b = CLI_BUF_INIT;
	int             rv;
	if ((rv = evl_group_describe(c, a->name, &d)) != 0)
		return cli_fail(c, rv, "group '%s'", a->name);
	if (a->json)
		describe_json(&b, d);
	else
		describe_text(&b, d);
	evl_group_desc_free(d);
	return cli_write_stdout(&b);
}

/* The offset --to means for one partition. */
static int
target(evl_client *c, const groups_args *a, const evl_partition_info *p,
    int64_t *out)
{
	uint64_t off;
	int      rv = 0;
	switch (a->to.kind) {
	case CLI_FROM_BEGINNING:
		off = p->first_offset;
		break;
	case CLI_FROM_END:
		off = p->next_offset;
		break;
	case CLI_FROM_OFFSET:
		off = a->to.offset < p->first_offset ? p->first_offset
		    : a->to.offset > p->next_offset  ? p->next_offset
		                                     : a->to.offset;
		break;
	default:
		rv = evl_offset_for_time(
		    c, a->topic, p->partition, a->to.ts_ms, &off);
		break;
	}
	if (rv == 0)
		*out = (int64_t) off;
	return rv;
}

static int
reset(evl_client *c, const groups_args *a)
{
	evl_topic_info *t;
	int             rv;
	if ((rv = evl_topic_describe(c, a->topic, &t)) != 0)
		return cli_fail(c, rv, "topic '%s'", a->topic);
	size_t            n    = t->partition_count;
	evl_group_offset *offs = cli_xmalloc((n ? n : 1) * sizeof(*offs));
	for (size_t i = 0; i < n; i++) {
		offs[i].topic     = a->topic;
		offs[i].partition = t->partitions[i].partition;
		offs[i].err       = 0;
		if ((rv = target(c, a, &t->partitions[i], &offs[i].offset)) != 0) {
			rv = cli_fail(c, rv, "topic '%s' partition %u", a->topic,
			    (unsigned) offs[i].partition);
			goto out;
		}
	}
	rv = n ? evl_group_commit_offsets(c, a->name, offs, n) : 0;
	if (rv != 0)
		rv = cli_fail(c, rv, "resetting group '%s' on '%s'", a->name,
		    a->topic);
	else
		cli_note("reset group '%s' on '%s' to %s (%zu partition%s)",
		    a->name, a->topic, a->to_text, n, n == 1 ? "" : "s");
out:
	free(offs);
	evl_topic_info_free(t, 1);
	return rv;
}

int
cli_groups_main(cli_global *g, int argc, char **argv, int first)
{
	groups_args a;
	evl_client *c;
	memset(&a, 0, sizeof(a));
	int rv = parse(g, argc, argv, first, &a);
	if (rv)
		return rv < 0 ? CLI_EXIT_OK : rv;
	if ((rv = cli_connect(g, &c)) != 0)
		return rv;
	if (strcmp(a.sub, "list") == 0)
		rv = list(c, &a);
	else if (strcmp(a.sub, "describe") == 0)
		rv = describe(c, &a);
	else if (strcmp(a.sub, "reset") == 0)
		rv = reset(c, &a);
	else if ((rv = evl_group_delete(c, a.name)) != 0)
		rv = cli_fail(c, rv, "deleting group '%s'", a.name);
	else
		cli_note("deleted group '%s'", a.name);
	evl_client_close(c);
	return rv;
}
