/*
 * buf.c -- the growable byte buffer behind every line the CLI writes.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(void)
{
	fputs("evlog: out of memory\n", stderr);
	exit(1);
}

void *
cli_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
cli_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom();
	return q;
}

char *
cli_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(cli_xmalloc(n), s, n);
}

/* Makes room for n more bytes plus the terminating NUL. */
static void
reserve(cli_buf *b, size_t n)
{
	if (n >= SIZE_MAX / 2 - b->len)
		oom();
	if (b->len + n + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->data = cli_xrealloc(b->data, cap);
	b->cap = cap;
}

void
cli_buf_put(cli_buf *b, const void *p, size_t n)
{
	reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
cli_buf_putc(cli_buf *b, char c)
{
	reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
cli_buf_puts(cli_buf *b, const char *s)
{
	cli_buf_put(b, s, strlen(s));
}

void
cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
	va_list ap;
	char    small[128];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small)) {
		cli_buf_put(b, small, (size_t) n);
		return;
	}
	reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

void
cli_buf_reset(cli_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
cli_buf_fini(cli_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
