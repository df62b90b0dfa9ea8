/*
 * timespec.h -- the CLI's notations for time: durations (7d, 12h, 30m,
 * 45s, 500ms, forever), RFC 3339 timestamps, and the start positions of
 * `evlog tail --from`.  Pure functions: "now" is a parameter.
 */
#ifndef EVLOG_CLI_TIMESPEC_H
#define EVLOG_CLI_TIMESPEC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses a duration: one or more NUMBER UNIT pairs ("7d", "1h30m"), with
 * UNIT one of ms, s, m, h, d, w; or "forever", which gives -1.  A bare
 * number (no unit) is refused, as is anything that overflows int64 ms.
 * Returns 0, or -1 on a malformed string.
 */
int cli_duration_parse(const char *s, int64_t *ms);

/* Writes ms as the shortest exact form ("7d", "90m", "1500ms"); a
 * negative ms is "forever". */
void cli_duration_format(int64_t ms, char *buf, size_t len);

/*
 * Parses an RFC 3339 date-time into Unix milliseconds:
 * YYYY-MM-DD('T'|'t'|' ')HH:MM:SS[.frac]('Z'|'z'|(+|-)HH:MM).  Fractions
 * finer than a millisecond are truncated; a leap second (:60) counts as
 * the next second.  A date alone (YYYY-MM-DD) means its midnight UTC.
 * Returns 0, or -1 when s is not such a time.
 */
int cli_rfc3339_parse(const char *s, int64_t *ms);

/* Unix ms as RFC 3339 UTC with milliseconds ("2024-05-01T12:00:00.000Z");
 * buf needs 32 bytes. */
void cli_rfc3339_format(int64_t ms, char *buf, size_t len);

typedef enum cli_from_kind {
	CLI_FROM_BEGINNING,
	CLI_FROM_END,
	CLI_FROM_OFFSET, /* offset */
	CLI_FROM_TIME,   /* ts_ms: broker append time */
} cli_from_kind;

typedef struct cli_from {
	cli_from_kind kind;
	uint64_t      offset;
	int64_t       ts_ms;
} cli_from;

/*
 * Parses a --from argument: "beginning", "end", an OFFSET (decimal),
 * "@" followed by an RFC 3339 time or by Unix milliseconds, or "-" and a
 * duration back from now_ms ("-1h").  Returns 0, or -1 when malformed.
 */
int cli_from_parse(const char *s, int64_t now_ms, cli_from *out);

#endif /* EVLOG_CLI_TIMESPEC_H */
