/*
 * buf.h -- a growable byte buffer, the CLI's output staging area.
 *
 * A record is formatted into a buffer and written with one fwrite, so the
 * formatting code is testable without a FILE and output stays fast.  The
 * CLI is a short-lived process: running out of memory prints a message
 * and exits 1 rather than threading ENOMEM through every formatter.
 */
#ifndef EVLOG_CLI_BUF_H
#define EVLOG_CLI_BUF_H

#include <stddef.h>

typedef struct cli_buf {
	char  *data; /* NUL-terminated after every append (not counted) */
	size_t len;
	size_t cap;
} cli_buf;

#define CLI_BUF_INIT                                                          \
	{                                                                     \
		NULL, 0, 0                                                    \
	}

void cli_buf_put(cli_buf *b, const void *p, size_t n);
void cli_buf_putc(cli_buf *b, char c);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_printf(cli_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Empties b, keeping its memory. */
void cli_buf_reset(cli_buf *b);
/* Frees b's memory; b is then empty and reusable. */
void cli_buf_fini(cli_buf *b);

/* malloc/realloc that exit(1) with "evlog: out of memory" on failure. */
void *cli_xmalloc(size_t n);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);

#endif /* EVLOG_CLI_BUF_H */
