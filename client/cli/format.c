/*
 * format.c -- record output: --format templates and --json lines.
 *
 * A template is compiled once into a list of tokens (literal runs with
 * their escapes already resolved, and fields), so writing a record is a
 * walk over that list with no parsing.
 */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef enum {
	TOK_LIT,
	TOK_TOPIC,
	TOK_PARTITION,
	TOK_OFFSET,
	TOK_KEY,
	TOK_VALUE,
	TOK_KEYLEN,
	TOK_VALUELEN,
	TOK_TIMESTAMP,
	TOK_HEADERS,
} tok_kind;

typedef struct tok {
	tok_kind kind;
	size_t   off, len; /* TOK_LIT: bytes of lits */
} tok;

struct cli_format {
	tok    *toks;
	size_t  ntoks;
	cli_buf lits;
};

static void
add_tok(cli_format *f, tok_kind k, size_t off, size_t len)
{
	/* Adjacent literals merge into one run. */
	if (k == TOK_LIT && f->ntoks
	    && f->toks[f->ntoks - 1].kind == TOK_LIT) {
		f->toks[f->ntoks - 1].len += len;
		return;
	}
	f->toks = cli_xrealloc(f->toks, (f->ntoks + 1) * sizeof(*f->toks));
	f->toks[f->ntoks++] = (tok) { k, off, len };
}

static void
add_lit(cli_format *f, const char *p, size_t n)
{
	size_t off = f->lits.len;
	cli_buf_put(&f->lits, p, n);
	add_tok(f, TOK_LIT, off, n);
}

int
cli_format_parse(const char *spec, cli_format **out, char *err, size_t errlen)
{
	cli_format *f = cli_xmalloc(sizeof(*f));
	memset(f, 0, sizeof(*f));
	for (const char *s = spec; *s; s++) {
		if (*s == '%') {
			tok_kind k;
			switch (s[1]) {
			case 't':
				k = TOK_TOPIC;
				break;
			case 'p':
				k = TOK_PARTITION;
				break;
			case 'o':
				k = TOK_OFFSET;
				break;
			case 'k':
				k = TOK_KEY;
				break;
			case 's':
				k = TOK_VALUE;
				break;
			case 'K':
				k = TOK_KEYLEN;
				break;
			case 'S':
				k = TOK_VALUELEN;
				break;
			case 'T':
				k = TOK_TIMESTAMP;
				break;
			case 'h':
				k = TOK_HEADERS;
				break;
			case '%':
				add_lit(f, "%", 1);
				s++;
				continue;
			case '\0':
				snprintf(err, errlen,
				    "--format ends with a lone '%%'");
				goto fail;
			default:
				snprintf(err, errlen,
				    "--format: unknown token '%%%c' (known: "
				    "%%t "
				    "%%p %%o %%k %%s %%K %%S %%T %%h %%%%)",
				    s[1]);
				goto fail;
			}
			add_tok(f, k, 0, 0);
			s++;
		} else if (*s == '\\') {
			char c;
			switch (s[1]) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case '0':
				c = '\0';
				break;
			case '\\':
				c = '\\';
				break;
			case '\0':
				snprintf(err, errlen,
				    "--format ends with a lone '\\'");
				goto fail;
			default:
				/* Unknown escapes stay as written. */
				add_lit(f, s, 2);
				s++;
				continue;
			}
			add_lit(f, &c, 1);
			s++;
		} else {
			size_t n = strcspn(s, "%\\");
			add_lit(f, s, n);
			s += n - 1;
		}
	}
	*out = f;
	return 0;
fail:
	cli_format_free(f);
	return -1;
}

void
cli_format_free(cli_format *f)
{
	if (f == NULL)
		return;
	free(f->toks);
	cli_buf_fini(&f->lits);
	free(f);
}

void
cli_format_record(const cli_format *f, const evl_record *r, cli_buf *b)
{
	for (size_t i = 0; i < f->ntoks; i++) {
		const tok *t = &f->toks[i];
		switch (t->kind) {
		case TOK_LIT:
			cli_buf_put(b, f->lits.data + t->off, t->len);
			break;
		case TOK_TOPIC:
			cli_buf_puts(b, r->topic ? r->topic : "");
			break;
		case TOK_PARTITION:
			cli_buf_printf(b, "%u", (unsigned) r->partition);
			break;
		case TOK_OFFSET:
			cli_buf_printf(
			    b, "%llu", (unsigned long long) r->offset);
			break;
		case TOK_KEY:
			if (r->key)
				cli_buf_put(b, r->key, r->key_len);
			break;
		case TOK_VALUE:
			cli_buf_put(b, r->value, r->value_len);
			break;
		case TOK_KEYLEN:
			/* kcat writes -1 for a missing key. */
			if (r->key)
				cli_buf_printf(b, "%zu", r->key_len);
			else
				cli_buf_puts(b, "-1");
			break;
		case TOK_VALUELEN:
			cli_buf_printf(b, "%zu", r->value_len);
			break;
		case TOK_TIMESTAMP:
			cli_buf_printf(b, "%lld", (long long) r->timestamp);
			break;
		case TOK_HEADERS:
			for (size_t h = 0; h < r->header_count; h++) {
				const evl_header *hd = &r->headers[h];
				if (h)
					cli_buf_putc(b, ',');
				cli_buf_put(b, hd->name, hd->name_len);
				cli_buf_putc(b, '=');
				cli_buf_put(b, hd->value, hd->value_len);
			}
			break;
		}
	}
}

static bool
same_name(const evl_header *a, const evl_header *b)
{
	return a->name_len == b->name_len
	    && memcmp(a->name, b->name, a->name_len) == 0;
}

/* "name": bytes, or "name_base64": base64 when bytes are not UTF-8. */
static void
bytes_field(cli_buf *b, const char *name, const void *p, size_t n)
{
	if (cli_utf8_valid(p, n)) {
		cli_buf_printf(b, ",\"%s\":", name);
		cli_json_str(b, p, n);
	} else {
		cli_buf_printf(b, ",\"%s_base64\":\"", name);
		cli_base64(b, p, n);
		cli_buf_putc(b, '"');
	}
}

static void
headers_object(cli_buf *b, const evl_header *h, size_t n)
{
	cli_buf_putc(b, '{');
	bool first = true;
	/* Names in order of first appearance; a header count is small, so
	 * the quadratic scan costs less than any index would. */
	for (size_t i = 0; i < n; i++) {
		size_t j, count = 0;
		for (j = 0; j < i && !same_name(&h[j], &h[i]); j++)
			;
		if (j < i)
			continue; /* written with its first occurrence */
		for (j = i; j < n; j++)
			count += same_name(&h[j], &h[i]);
		if (!first)
			cli_buf_putc(b, ',');
		first = false;
		cli_json_str(b, h[i].name, h[i].name_len);
		cli_buf_putc(b, ':');
		if (count == 1) {
			cli_json_str(b, h[i].value, h[i].value_len);
			continue;
		}
		cli_buf_putc(b, '[');
		for (j = i; j < n; j++) {
			if (!same_name(&h[j], &h[i]))
				continue;
			if (j > i)
				cli_buf_putc(b, ',');
			cli_json_str(b, h[j].value, h[j].value_len);
		}
		cli_buf_putc(b, ']');
	}
	cli_buf_putc(b, '}');
}

void
cli_json_record(const evl_record *r, cli_buf *b)
{
	cli_buf_puts(b, "{\"topic\":");
	cli_json_cstr(b, r->topic ? r->topic : "");
	cli_buf_printf(b,
	    ",\"partition\":%u,\"offset\":%llu,\"timestamp\":%lld",
	    (unsigned) r->partition, (unsigned long long) r->offset,
	    (long long) r->timestamp);
	if (r->producer_timestamp != 0)
		cli_buf_printf(b, ",\"producer_timestamp\":%lld",
		    (long long) r->producer_timestamp);
	if (r->key == NULL)
		cli_buf_puts(b, ",\"key\":null");
	else
		bytes_field(b, "key", r->key, r->key_len);
	bytes_field(b, "value", r->value ? r->value : "", r->value_len);
	cli_buf_puts(b, ",\"headers\":");
	headers_object(b, r->headers, r->header_count);
	cli_buf_puts(b, "}\n");
}
