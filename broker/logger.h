/*
 * logger.h -- one-line diagnostics from evlogd to a stream (stderr).
 *
 * The broker logs rarely and never on the hot path: startup, shutdown,
 * configuration and errors that need a human.  A logger is a small struct
 * the broker owns and passes down (there is no global logger), so tests
 * can point one at a memory stream and read what was said.  Each line is
 * "evlogd: LEVEL: message" written with a single locked stdio call, so
 * lines from different threads never interleave.
 */
#ifndef EVLD_LOGGER_H
#define EVLD_LOGGER_H

#include <stdio.h>

/* Ordered: a logger at level L prints messages at L and below. */
enum evld_log_level {
	EVLD_LOG_ERROR = 0,
	EVLD_LOG_WARN  = 1,
	EVLD_LOG_INFO  = 2,
	EVLD_LOG_DEBUG = 3,
};

struct evld_log {
	FILE               *out;   /* borrowed; NULL means stderr */
	enum evld_log_level level; /* most verbose level printed */
};

/* evld_log_init sets l to print warnings and errors to stderr. */
void evld_log_init(struct evld_log *l);

/*
 * evld_log_level_parse maps "error", "warn", "info" or "debug" to *out.
 * Returns 0, or EVL_EINVAL for any other string (*out is then untouched).
 */
int evld_log_level_parse(const char *s, enum evld_log_level *out);

/* evld_log_level_name is the inverse: a static string, "?" if unknown. */
const char *evld_log_level_name(enum evld_log_level level);

/*
 * evld_logf prints one line when level is enabled in l.  A trailing
 * newline in fmt is not needed (one is added).  l may be NULL, which
 * logs nothing: code under test can run without a logger.
 */
void evld_logf(const struct evld_log *l, enum evld_log_level level,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define evld_log_error(l, ...) evld_logf((l), EVLD_LOG_ERROR, __VA_ARGS__)
#define evld_log_warn(l, ...) evld_logf((l), EVLD_LOG_WARN, __VA_ARGS__)
#define evld_log_info(l, ...) evld_logf((l), EVLD_LOG_INFO, __VA_ARGS__)
#define evld_log_debug(l, ...) evld_logf((l), EVLD_LOG_DEBUG, __VA_ARGS__)

#endif /* EVLD_LOGGER_H */
