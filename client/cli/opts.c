/*
 * opts.c -- the CLI's option parser and number parsing.
 */
#include "opts.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void
cli_getopt_init(cli_getopt *p, int argc, char **argv, int first,
    const cli_opt *const *tables)
{
	memset(p, 0, sizeof(*p));
	p->argc = argc;
	p->argv = argv;
	p->i = first;
	p->tables = tables;
}

static const cli_opt *
find_long(const cli_getopt *p, const char *name, size_t len)
{
	for (size_t t = 0; p->tables[t]; t++)
		for (const cli_opt *o = p->tables[t]; o->name; o++)
			if (strlen(o->name) == len
			    && strncmp(o->name, name, len) == 0)
				return o;
	return NULL;
}

static const cli_opt *
find_short(const cli_getopt *p, int c)
{
	for (size_t t = 0; p->tables[t]; t++)
		for (const cli_opt *o = p->tables[t]; o->name; o++)
			if (o->short_name == c)
				return o;
	return NULL;
}

static int
fail(cli_getopt *p, const char *fmt, const char *what, size_t len)
{
	snprintf(p->err, sizeof(p->err), fmt, (int) len, what);
	return CLI_OPT_ERR;
}

/* The next short option of the bundle being read. */
static int
next_short(cli_getopt *p, const char **arg)
{
	char           c = *p->bundle++;
	const cli_opt *o = find_short(p, (unsigned char) c);
	if (o == NULL)
		return fail(p, "unknown option -%.*s", &c, 1);
	if (o->has_arg) {
		if (*p->bundle) {
			*arg = p->bundle;
		} else if (p->i < p->argc) {
			*arg = p->argv[p->i++];
		} else {
			p->bundle = NULL;
			return fail(p, "option -%.*s needs a value", &c, 1);
		}
		p->bundle = NULL;
	} else if (*p->bundle == '\0')
		p->bundle = NULL;
	return o->id;
}

int
cli_getopt_next(cli_getopt *p, const char **arg)
{
	*arg = NULL;
	if (p->bundle)
		return next_short(p, arg);
	if (p->i >= p->argc)
		return CLI_OPT_END;
	const char *a = p->argv[p->i];
	if (p->dashdash || a[0] != '-' || a[1] == '\0') {
		if (p->stop_at_pos)
			return CLI_OPT_END;
		*arg = a;
		p->i++;
		return CLI_OPT_POS;
	}
	p->i++;
	if (a[1] != '-') {
		p->bundle = a + 1;
		return next_short(p, arg);
	}
	if (a[2] == '\0') {
		p->dashdash = true;
		return cli_getopt_next(p, arg);
	}
	const char    *name = a + 2;
	const char    *eq = strchr(name, '=');
	size_t         len = eq ? (size_t) (eq - name) : strlen(name);
	const cli_opt *o = find_long(p, name, len);
	if (o == NULL)
		return fail(p, "unknown option --%.*s", name, len);
	if (o->has_arg) {
		if (eq)
			*arg = eq + 1;
		else if (p->i < p->argc)
			*arg = p->argv[p->i++];
		else
			return fail(
			    p, "option --%.*s needs a value", name, len);
	} else if (eq)
		return fail(p, "option --%.*s takes no value", name, len);
	return o->id;
}

int
cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char) *s))
			return -1;
		unsigned d = (unsigned) (*s - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
cli_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (cli_parse_u64(s, UINT32_MAX, &v) != 0)
		return -1;
	*out = (uint32_t) v;
	return 0;
}

int
cli_parse_bytes(const char *s, int64_t *out)
{
	static const char suffixes[] = "KMGT";
	uint64_t          v = 0, mul = 1;
	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "unlimited") == 0) {
		*out = -1;
		return 0;
	}
	if (!isdigit((unsigned char) *s))
		return -1;
	for (; isdigit((unsigned char) *s); s++) {
		uint64_t d = (uint64_t) (*s - '0');
		if (v > ((uint64_t) INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*s) {
		const char *k = strchr(suffixes, toupper((unsigned char) *s));
		if (k == NULL)
			return -1;
		for (const char *q = suffixes; q <= k; q++)
			mul *= 1024;
		s++;
		if (strcasecmp(s, "iB") == 0 || strcasecmp(s, "B") == 0)
			s += strlen(s);
		if (*s)
			return -1;
	}
	if (v > (uint64_t) INT64_MAX / mul)
		return -1;
	*out = (int64_t) (v * mul);
	return 0;
}
