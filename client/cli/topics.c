/*
 * topics.c -- `evlog topics create|alter|list|describe|delete`.
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

static const char topics_help[]
    = "Usage:\n"
      "  evlog topics create NAME [--partitions N] [--retention DURATION]\n"
      "                      [--retention-bytes N] [--streams]\n"
      "                      [--dedupe-window DURATION]\n"
      "  evlog topics alter NAME [--partitions N] [--retention DURATION]\n"
      "                      [--retention-bytes N] [--dedupe-window DURATION]\n"
      "  evlog topics list [--json]\n"
      "  evlog topics describe NAME [--json]\n"
      "  evlog topics delete NAME\n"
      "\n"
      "Options:\n"
      "  -p, --partitions N        number of partitions (create: default 1;\n"
      "                            alter: grow only, remaps keys)\n"
      "      --retention DURATION  keep records this long: 7d, 12h, 30m, "
      "45s,\n"
      "                            500ms, 1h30m, or forever (the default)\n"
      "      --retention-bytes N   keep at most N bytes per partition (K, M,\n"
      "                            G, T suffixes; unlimited is the default)\n"
      "      --streams             per-key streams: the key index, versions "
      "per\n"
      "                            key, expected versions; the partition "
      "count\n"
      "                            is then fixed (create only; alias\n"
      "                            --key-index)\n"
      "      --dedupe-window DURATION\n"
      "                            a record whose evlog-id header was\n"
      "                            appended to its partition within this\n"
      "                            time is not appended again (the answer\n"
      "                            is the original offset); 0 or off: no\n"
      "                            dedupe (the default)\n"
      "      --json                JSON output (list, describe)\n"
      "\n"
      "%s";

enum {
	OPT_PARTITIONS = 1,
	OPT_RETENTION,
	OPT_RETENTION_BYTES,
	OPT_KEY_INDEX,
	OPT_DEDUPE_WINDOW,
	OPT_JSON,
};

static const cli_opt topics_opts[] = {
	{ "partitions", 'p', true, OPT_PARTITIONS },
	{ "retention", 0, true, OPT_RETENTION },
	{ "retention-bytes", 0, true, OPT_RETENTION_BYTES },
	{ "key-index", 0, false, OPT_KEY_INDEX },
	{ "streams", 0, false, OPT_KEY_INDEX },
	{ "dedupe-window", 0, true, OPT_DEDUPE_WINDOW },
	{ "json", 0, false, OPT_JSON },
	{ NULL, 0, false, 0 },
};

typedef struct topics_args {
	const char      *sub;
	const char      *name;
	evl_topic_config cfg;
	unsigned         fields; /* EVL_ALTER_* given */
	unsigned         seen;   /* 1 << option id, for every option given */
	bool             key_index;
	bool             json;
} topics_args;

/* Which options each subcommand takes. */
static bool
allowed(const char *sub, int id)
{
	bool setting = id == OPT_PARTITIONS || id == OPT_RETENTION
	    || id == OPT_RETENTION_BYTES || id == OPT_DEDUPE_WINDOW;
	if (strcmp(sub, "create") == 0)
		return setting || id == OPT_KEY_INDEX;
	if (strcmp(sub, "alter") == 0)
		return setting;
	if (strcmp(sub, "list") == 0 || strcmp(sub, "describe") == 0)
		return id == OPT_JSON;
	return false;
}

static const char *
opt_name(int id)
{
	for (const cli_opt *o = topics_opts; o->name; o++)
		if (o->id == id)
			return o->name;
	return "?";
}

/* 0 when parsed, else the exit status (help printed: -1 → 0). */
static int
parse(cli_global *g, int argc, char **argv, int first, topics_args *a)
{
	cli_sub     s;
	const char *arg;
	int         id, status;

	cli_sub_init(&s, "topics", topics_opts, topics_help, 1, argc, argv,
	    first);
	evl_topic_config_init(&a->cfg);
	while ((id = cli_sub_next(&s, g, &arg, &status)) != CLI_OPT_END) {
		if (id == CLI_SUB_EXIT)
			return status;
		/* Options may precede the subcommand; checked below. */
		switch (id) {
		case OPT_PARTITIONS:
			if (cli_parse_u32(arg, &a->cfg.partitions) != 0
			    || a->cfg.partitions == 0)
				return cli_usage(s.cmd,
				    "--partitions: '%s' is not a number of "
				    "partitions (1 or more)",
				    arg);
			a->fields |= EVL_ALTER_PARTITIONS;
			break;
		case OPT_RETENTION:
			if (cli_duration_parse(arg, &a->cfg.retention_ms) != 0)
				return cli_usage(s.cmd,
				    "--retention: '%s' is not a duration "
				    "(e.g. 7d, 12h, 30m, 45s, 500ms, forever)",
				    arg);
			a->fields |= EVL_ALTER_RETENTION_MS;
			break;
		case OPT_RETENTION_BYTES:
			if (cli_parse_bytes(arg, &a->cfg.retention_bytes) != 0)
				return cli_usage(s.cmd,
				    "--retention-bytes: '%s' is not a byte "
				    "count (e.g. 1048576, 512M, unlimited)",
				    arg);
			a->fields |= EVL_ALTER_RETENTION_BYTES;
			break;
		case OPT_KEY_INDEX:
			a->key_index = true;
			break;
		case OPT_DEDUPE_WINDOW:
			if (strcmp(arg, "off") == 0)
				a->cfg.dedupe_window_ms = 0;
			else if (cli_duration_parse(
			             arg, &a->cfg.dedupe_window_ms)
			        != 0
			    || a->cfg.dedupe_window_ms < 0)
				return cli_usage(s.cmd,
				    "--dedupe-window: '%s' is not a duration "
				    "(e.g. 2m, 30s, 500ms, or off)",
				    arg);
			a->fields |= EVL_ALTER_DEDUPE_WINDOW;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		}
		/* Checked against the subcommand once that is known. */
		a->seen |= 1u << id;
	}
	a->sub  = s.sub;
	a->name = s.npos > 0 ? s.pos[0] : NULL;
	if (a->sub == NULL)
		return cli_usage("topics",
		    "missing subcommand (create, alter, list, describe, "
		    "delete)");
	if (strcmp(a->sub, "create") && strcmp(a->sub, "alter")
	    && strcmp(a->sub, "list") && strcmp(a->sub, "describe")
	    && strcmp(a->sub, "delete"))
		return cli_usage("topics", "unknown subcommand '%s'", a->sub);
	for (int o = OPT_PARTITIONS; o <= OPT_JSON; o++)
		if ((a->seen & (1u << o)) && !allowed(a->sub, o))
			return cli_usage(
			    s.cmd, "--%s does not apply here", opt_name(o));
	bool named = strcmp(a->sub, "list") != 0;
	if (named && a->name == NULL)
		return cli_usage(s.cmd, "missing topic name");
	if (!named && a->name)
		return cli_usage(s.cmd, "unexpected argument '%s'", a->name);
	if (strcmp(a->sub, "alter") == 0
	    && (a->fields
	           & (EVL_ALTER_PARTITIONS | EVL_ALTER_RETENTION_MS
	               | EVL_ALTER_RETENTION_BYTES | EVL_ALTER_DEDUPE_WINDOW))
	        == 0)
		return cli_usage(s.cmd,
		    "nothing to change: give --partitions, --retention, "
		    "--retention-bytes or --dedupe-window");
	a->cfg.key_index = a->key_index;
	return 0;
}

static void
bytes_text(int64_t n, char *buf, size_t len)
{
	if (n < 0)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%lld", (long long) n);
}

/* The settings of t as JSON members (no braces). */
static void
settings_json(cli_buf *b, const evl_topic_info *t)
{
	cli_buf_puts(b, "\"name\":");
	cli_json_cstr(b, t->name);
	cli_buf_puts(b, ",\"retention_ms\":");
	if (t->config.retention_ms < 0)
		cli_buf_puts(b, "null");
	else
		cli_buf_printf(b, "%lld", (long long) t->config.retention_ms);
	cli_buf_puts(b, ",\"retention_bytes\":");
	if (t->config.retention_bytes < 0)
		cli_buf_puts(b, "null");
	else
		cli_buf_printf(
		    b, "%lld", (long long) t->config.retention_bytes);
	cli_buf_printf(
	    b, ",\"key_index\":%s", t->config.key_index ? "true" : "false");
	cli_buf_printf(b, ",\"dedupe_window_ms\":%lld",
	    (long long) t->config.dedupe_window_ms);
}

static int
list(evl_client *c, const topics_args *a)
{
	evl_topic_info *t;
	size_t          n;
	cli_buf         b = CLI_BUF_INIT;
	int             rv;
	if ((rv = evl_topic_list(c, &t, &n)) != 0)
		return cli_fail(c, rv, "listing topics");
	if (a->json) {
		cli_buf_putc(&b, '[');
		for (size_t i = 0; i < n; i++) {
			cli_buf_puts(&b, i ? ",{" : "{");
			settings_json(&b, &t[i]);
			cli_buf_printf(&b, ",\"partitions\":%u}",
			    (unsigned) t[i].config.partitions);
		}
		cli_buf_puts(&b, "]\n");
	} else {
		int w = 4;
		for (size_t i = 0; i < n; i++)
			if ((int) strlen(t[i].name) > w)
				w = (int) strlen(t[i].name);
		cli_buf_printf(&b, "%-*s  %10s  %9s  %15s  %s\n", w, "NAME",
		    "PARTITIONS", "RETENTION", "RETENTION-BYTES", "KEY-INDEX");
		for (size_t i = 0; i < n; i++) {
			char ret[32], rb[32];
			cli_duration_format(
			    t[i].config.retention_ms, ret, sizeof(ret));
			bytes_text(
			    t[i].config.retention_bytes, rb, sizeof(rb));
			cli_buf_printf(&b, "%-*s  %10u  %9s  %15s  %s\n", w,
			    t[i].name, (unsigned) t[i].config.partitions, ret,
			    rb, t[i].config.key_index ? "yes" : "no");
		}
	}
	evl_topic_info_free(t, n);
	return cli_write_stdout(&b);
}

static int
describe(evl_client *c, const topics_args *a)
{
	evl_topic_info *t;
	cli_buf         b = CLI_BUF_INIT;
	int             rv;
	if ((rv = evl_topic_describe(c, a->name, &t)) != 0)
		return cli_fail(c, rv, "topic '%s'", a->name);
	if (a->json) {
		cli_buf_putc(&b, '{');
		settings_json(&b, t);
		cli_buf_printf(&b, ",\"partition_count\":%u,\"partitions\":[",
		    (unsigned) t->config.partitions);
		for (size_t i = 0; i < t->partition_count; i++) {
			const evl_partition_info *p = &t->partitions[i];
			cli_buf_printf(&b,
			    "%s{\"partition\":%u,\"first_offset\":%" PRIu64
			    ",\"next_offset\":%" PRIu64 ",\"records\":%" PRIu64
			    ",\"bytes\":%" PRIu64 "}",
			    i ? "," : "", (unsigned) p->partition,
			    p->first_offset, p->next_offset, p->records,
			    p->bytes);
		}
		cli_buf_puts(&b, "]}\n");
	} else {
		char ret[32], rb[32], dw[32];
		cli_duration_format(t->config.retention_ms, ret, sizeof(ret));
		bytes_text(t->config.retention_bytes, rb, sizeof(rb));
		if (t->config.dedupe_window_ms > 0)
			cli_duration_format(
			    t->config.dedupe_window_ms, dw, sizeof(dw));
		else
			snprintf(dw, sizeof(dw), "off");
		cli_buf_printf(&b,
		    "Topic:            %s\n"
		    "Partitions:       %u\n"
		    "Retention:        %s\n"
		    "Retention bytes:  %s\n"
		    "Key index:        %s\n"
		    "Dedupe window:    %s\n"
		    "\n"
		    "%9s  %12s  %12s  %12s  %14s\n",
		    t->name, (unsigned) t->config.partitions, ret, rb,
		    t->config.key_index ? "yes" : "no", dw, "PARTITION",
		    "FIRST-OFFSET", "NEXT-OFFSET", "RECORDS", "BYTES");
		for (size_t i = 0; i < t->partition_count; i++) {
			const evl_partition_info *p = &t->partitions[i];
			cli_buf_printf(&b,
			    "%9u  %12" PRIu64 "  %12" PRIu64 "  %12" PRIu64
			    "  %14" PRIu64 "\n",
			    (unsigned) p->partition, p->first_offset,
			    p->next_offset, p->records, p->bytes);
		}
	}
	evl_topic_info_free(t, 1);
	return cli_write_stdout(&b);
}

int
cli_topics_main(cli_global *g, int argc, char **argv, int first)
{
	topics_args a = { 0 };
	evl_client *c;
	int         rv = parse(g, argc, argv, first, &a);
	if (rv)
		return rv < 0 ? CLI_EXIT_OK : rv;
	if ((rv = cli_connect(g, &c)) != 0)
		return rv;
	if (strcmp(a.sub, "list") == 0)
		rv = list(c, &a);
	else if (strcmp(a.sub, "describe") == 0)
		rv = describe(c, &a);
	else if (strcmp(a.sub, "create") == 0) {
		if ((rv = evl_topic_create(c, a.name, &a.cfg)) != 0)
			rv = cli_fail(c, rv, "creating topic '%s'", a.name);
		else
			cli_note("created topic '%s' (%u partition%s)", a.name,
			    (unsigned) a.cfg.partitions,
			    a.cfg.partitions == 1 ? "" : "s");
	} else if (strcmp(a.sub, "alter") == 0) {
		if ((rv = evl_topic_alter(c, a.name, &a.cfg, a.fields)) != 0)
			rv = cli_fail(c, rv, "altering topic '%s'", a.name);
		else
			cli_note("altered topic '%s'", a.name);
	} else {
		if ((rv = evl_topic_delete(c, a.name)) != 0)
			rv = cli_fail(c, rv, "deleting topic '%s'", a.name);
		else
			cli_note("deleted topic '%s'", a.name);
	}
	evl_client_close(c);
	return rv;
}
