/*
 * logger.c -- see logger.h.  Formats the whole line into a stack buffer
 * first and writes it with one fputs under the stream's lock, so
 * concurrent loggers never interleave within a line.
 */
#include <evlog/evlog.h>
#include <stdarg.h>
#include <string.h>

#include "logger.h"

static const char *const log_names[] = { "error", "warn", "info", "debug" };

#define LOG_NLEVELS (sizeof(log_names) / sizeof(log_names[0]))

void
evld_log_init(struct evld_log *l)
{
	l->out   = NULL;
	l->level = EVLD_LOG_WARN;
}

int
evld_log_level_parse(const char *s, enum evld_log_level *out)
{
	for (size_t i = 0; i < LOG_NLEVELS; i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum evld_log_level) i;
			return 0;
		}
	}
	return EVL_EINVAL;
}

const char *
evld_log_level_name(enum evld_log_level level)
{
	if ((unsigned) level >= LOG_NLEVELS)
		return "?";
	return log_names[level];
}

void
evld_logf(const struct evld_log *l, enum evld_log_level level,
    const char *fmt, ...)
{
	char    line[1024];
	int     n;
	va_list ap;

	if (l == NULL || level > l->level)
		return;
	n = snprintf(line, sizeof(line), "evlogd: %s: ",
	    evld_log_level_name(level));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
	va_end(ap);
	/* Truncated messages still end the line. */
	strcat(line, "\n");

	FILE *out = l->out != NULL ? l->out : stderr;
	flockfile(out);
	fputs(line, out);
	fflush(out);
	funlockfile(out);
}
