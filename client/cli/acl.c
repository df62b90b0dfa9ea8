/*
 * acl.c -- `evlog acl add|remove|list`: access-control rules
 * (docs/SECURITY.md, "Access control").
 *
 *   evlog acl add [--deny] USER OPS RESOURCE
 *   evlog acl remove [--deny] USER OPS RESOURCE
 *   evlog acl list [--user USER] [--json]
 *
 * USER is a user name or '*' (everyone); OPS a comma list of read,
 * write, create, delete, describe, alter, or all; RESOURCE
 * topic:PATTERN, group:PATTERN or cluster, PATTERN a glob with * and ?.
 * Words are checked here for a usage error (exit 2) before anything is
 * sent; the broker checks names and answers EVL_EINVAL for the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "subcmd.h"

static const char acl_help[]
    = "Usage:\n"
      "  evlog acl add [--deny] USER OPS RESOURCE\n"
      "  evlog acl remove [--deny] USER OPS RESOURCE\n"
      "  evlog acl list [--user USER] [--json]\n"
      "\n"
      "USER      a user name, or '*' for every user\n"
      "OPS       read,write,create,delete,describe,alter (any of them,\n"
      "          comma-separated) or all\n"
      "RESOURCE  topic:PATTERN, group:PATTERN or cluster; PATTERN is a\n"
      "          glob with * and ? (quote it from the shell)\n"
      "\n"
      "A request is allowed when an allow rule matches it and no deny\n"
      "rule does.  add gives the rule those operations, remove takes\n"
      "them away; both apply to the next request of every connection.\n"
      "Changing rules needs alter on the cluster, listing them describe\n"
      "(or a --superusers user).\n"
      "\n"
      "Options:\n"
      "      --deny           the rule denies (default: allows)\n"
      "      --user USER      list only USER's rules ('*' for everyone's)\n"
      "      --json           JSON output (list)\n"
      "\n"
      "%s";

enum {
	OPT_DENY = 1,
	OPT_USER,
	OPT_JSON,
};

static const cli_opt acl_opts[] = {
	{ "deny", 0, false, OPT_DENY },
	{ "user", 0, true, OPT_USER },
	{ "json", 0, false, OPT_JSON },
	{ NULL, 0, false, 0 },
};

static const char *const op_words[] = { "read", "write", "create", "delete",
	"describe", "alter" };

typedef struct acl_args {
	const char *sub;
	const char *pos[3]; /* USER OPS RESOURCE */
	int         npos;
	const char *user;
	bool        deny;
	bool        json;
} acl_args;

/* "read,write" or "all" -> EVL_ACL_* bits; 0 for a bad word. */
static unsigned
ops_parse(const char *s)
{
	unsigned ops = 0;
	while (*s != '\0') {
		const char *end = strchr(s, ',');
		size_t      n   = end ? (size_t) (end - s) : strlen(s);
		unsigned    bit = 0;
		if (n == 3 && strncmp(s, "all", 3) == 0)
			bit = EVL_ACL_ALL;
		for (unsigned i = 0; i < 6 && bit == 0; i++)
			if (strlen(op_words[i]) == n && strncmp(s, op_words[i], n) == 0)
				bit = 1u << i;
		if (bit == 0)
			return 0;
		ops |= bit;
		if (end == NULL)
			break;
		s = end + 1;
		if (*s == '\0')
			return 0; /* a trailing comma */
	}
	return ops;
}

static void
ops_format(cli_buf *b, unsigned ops, bool json)
{
	if (!json && (ops & EVL_ACL_ALL) == EVL_ACL_ALL) {
		cli_buf_puts(b, "all");
		return;
	}
	bool first = true;
	for (unsigned i = 0; i < 6; i++) {
		if (!(ops & (1u << i)))
			continue;
		if (!first)
			cli_buf_putc(b, ',');
		if (json)
			cli_json_cstr(b, op_words[i]);
		else
			cli_buf_puts(b, op_words[i]);
		first = false;
	}
}

/* "topic:PATTERN", "group:PATTERN", "cluster" -> type and pattern. */
static int
resource_parse(const char *s, int *type, const char **pattern)
{
	if (strcmp(s, "cluster") == 0 || strcmp(s, "cluster:*") == 0) {
		*type    = EVL_RES_CLUSTER;
		*pattern = "*";
		return 0;
	}
	if (strncmp(s, "topic:", 6) == 0 && s[6] != '\0') {
		*type    = EVL_RES_TOPIC;
		*pattern = s + 6;
		return 0;
	}
	if (strncmp(s, "group:", 6) == 0 && s[6] != '\0') {
		*type    = EVL_RES_GROUP;
		*pattern = s + 6;
		return 0;
	}
	return -1;
}

static const char *
resource_name(int type)
{
	switch (type) {
	case EVL_RES_TOPIC:
		return "topic";
	case EVL_RES_GROUP:
		return "group";
	case EVL_RES_CLUSTER:
		return "cluster";
	}
	return "?";
}

static int
parse(cli_global *g, int argc, char **argv, int first, acl_args *a)
{
	cli_sub     s;
	const char *arg;
	int         id, status;

	cli_sub_init(&s, "acl", acl_opts, acl_help, 3, argc, argv, first);
	while ((id = cli_sub_next(&s, g, &arg, &status)) != CLI_OPT_END) {
		if (id == CLI_SUB_EXIT)
			return status;
		switch (id) {
		case OPT_DENY:
			a->deny = true;
			break;
		case OPT_USER:
			a->user = arg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		}
	}
	a->sub  = s.sub;
	a->npos = s.npos;
	for (int i = 0; i < s.npos; i++)
		a->pos[i] = s.pos[i];
	if (a->sub == NULL)
		return cli_usage("acl", "missing subcommand (add, remove, list)");
	bool list   = strcmp(a->sub, "list") == 0;
	bool change = strcmp(a->sub, "add") == 0 ||
	    strcmp(a->sub, "remove") == 0;
	if (!list && !change)
		return cli_usage("acl", "unknown subcommand '%s'", a->sub);
	if (list && (a->npos > 0 || a->deny))
		return cli_usage(s.cmd, a->deny ? "--deny does not apply here"
		                              : "unexpected argument '%s'",
		    a->pos[0]);
	if (change && (a->user != NULL || a->json))
		return cli_usage(s.cmd, "--%s does not apply here",
		    a->json ? "json" : "user");
	if (change && a->npos != 3)
		return cli_usage(s.cmd, "needs USER OPS RESOURCE");
	return 0;
}

static int
change(evl_client *c, const acl_args *a)
{
	bool         add = strcmp(a->sub, "add") == 0;
	evl_acl_rule r;
	int          rv;

	memset(&r, 0, sizeof(r));
	r.principal = a->pos[0];
	r.deny      = a->deny;
	if ((r.ops = ops_parse(a->pos[1])) == 0)
		return cli_usage(a->sub[0] == 'a' ? "acl add" : "acl remove",
		    "OPS: '%s' is not a comma list of read, write, create, "
		    "delete, describe, alter or all",
		    a->pos[1]);
	if (resource_parse(a->pos[2], &r.resource, &r.pattern) != 0)
		return cli_usage(a->sub[0] == 'a' ? "acl add" : "acl remove",
		    "RESOURCE: '%s' is not topic:PATTERN, group:PATTERN or "
		    "cluster",
		    a->pos[2]);
	rv = add ? evl_acl_add(c, &r) : evl_acl_remove(c, &r);
	if (rv != 0)
		return cli_fail(c, rv, "%s rule for '%s' on %s",
		    add ? "adding" : "removing", r.principal, a->pos[2]);
	cli_note("%s %s %s %s %s", add ? "added" : "removed",
	    a->deny ? "deny" : "allow", r.principal, a->pos[1], a->pos[2]);
	return CLI_EXIT_OK;
}

static int
list(evl_client *c, const acl_args *a)
{
	evl_acl_rule  filter, *v;
	size_t        n;
	cli_buf       b = CLI_BUF_INIT;
	int           rv;

	memset(&filter, 0, sizeof(filter));
	filter.principal = a->user;
	if ((rv = evl_acl_list(c, &filter, &v, &n)) != 0)
		return cli_fail(c, rv, "listing rules");
	if (a->json) {
		cli_buf_putc(&b, '[');
		for (size_t i = 0; i < n; i++) {
			cli_buf_puts(&b, i ? ",{\"principal\":" : "{\"principal\":");
			cli_json_cstr(&b, v[i].principal);
			cli_buf_printf(&b, ",\"effect\":\"%s\",\"operations\":[",
			    v[i].deny ? "deny" : "allow");
			ops_format(&b, v[i].ops, true);
			cli_buf_puts(&b, "],\"resource\":");
			cli_json_cstr(&b, resource_name(v[i].resource));
			cli_buf_puts(&b, ",\"pattern\":");
			cli_json_cstr(&b, v[i].pattern);
			cli_buf_putc(&b, '}');
		}
		cli_buf_puts(&b, "]\n");
	} else {
		int w = 4;
		for (size_t i = 0; i < n; i++)
			if ((int) strlen(v[i].principal) > w)
				w = (int) strlen(v[i].principal);
		cli_buf_printf(&b, "%-*s  %-6s  %-32s  %s\n", w, "USER", "EFFECT",
		    "OPERATIONS", "RESOURCE");
		for (size_t i = 0; i < n; i++) {
			cli_buf ops = CLI_BUF_INIT;
			ops_format(&ops, v[i].ops, false);
			cli_buf_printf(&b, "%-*s  %-6s  %-32s  %s", w,
			    v[i].principal, v[i].deny ? "deny" : "allow",
			    ops.data != NULL ? ops.data : "",
			    resource_name(v[i].resource));
			if (v[i].resource != EVL_RES_CLUSTER)
				cli_buf_printf(&b, ":%s", v[i].pattern);
			cli_buf_putc(&b, '\n');
			cli_buf_fini(&ops);
		}
	}
	evl_acl_rules_free(v, n);
	return cli_write_stdout(&b);
}

int
cli_acl_main(cli_global *g, int argc, char **argv, int first)
{
	acl_args    a;
	evl_client *c;
	memset(&a, 0, sizeof(a));
	int rv = parse(g, argc, argv, first, &a);
	if (rv)
		return rv < 0 ? CLI_EXIT_OK : rv;
	if ((rv = cli_connect(g, &c)) != 0)
		return rv;
	rv = strcmp(a.sub, "list") == 0 ? list(c, &a) : change(c, &a);
	evl_client_close(c);
	return rv;
}
