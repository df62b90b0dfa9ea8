/*
 * timespec.c -- durations, RFC 3339 times and --from positions.
 *
 * Calendar arithmetic is done here (days_from_civil, after Howard
 * Hinnant's public-domain algorithm) rather than with timegm(3), so the
 * result never depends on the process's time zone or locale.
 */
#include "timespec.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int64_t     ms;
} units[] = {
	/* "ms" before "m": the longest unit name that matches wins. */
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 86400 * 1000 },
	{ "w", 7 * 86400 * 1000 },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

int
cli_duration_parse(const char *s, int64_t *ms)
{
	int64_t total = 0;
	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "forever") == 0) {
		*ms = -1;
		return 0;
	}
	while (*s) {
		int64_t n = 0;
		if (!isdigit((unsigned char) *s))
			return -1;
		while (isdigit((unsigned char) *s)) {
			int d = *s++ - '0';
			if (n > (INT64_MAX - d) / 10)
				return -1;
			n = n * 10 + d;
		}
		size_t u;
		for (u = 0; u < NUNITS; u++) {
			size_t l = strlen(units[u].name);
			if (strncmp(s, units[u].name, l) == 0
			    && !isalpha((unsigned char) s[l]))
				break;
		}
		if (u == NUNITS)
			return -1;
		if (n > INT64_MAX / units[u].ms
		    || n * units[u].ms > INT64_MAX - total)
			return -1;
		total += n * units[u].ms;
		s += strlen(units[u].name);
	}
	*ms = total;
	return 0;
}

void
cli_duration_format(int64_t ms, char *buf, size_t len)
{
	if (ms < 0) {
		snprintf(buf, len, "forever");
		return;
	}
	/* The largest unit that divides exactly; weeks read oddly, skip. */
	for (size_t u = NUNITS - 1; u > 0; u--) {
		if (units[u].ms == 7 * 86400 * 1000)
			continue;
		if (ms != 0 && ms % units[u].ms == 0) {
			snprintf(buf, len, "%lld%s",
			    (long long) (ms / units[u].ms), units[u].name);
			return;
		}
	}
	snprintf(buf, len, "%lldms", (long long) ms);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int days[]
	    = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits at *s. */
static bool
digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char) (*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool
lit(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

int
cli_rfc3339_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	int oh, om;
	if (!digits(&s, 4, &y) || !lit(&s, '-') || !digits(&s, 2, &mo)
	    || !lit(&s, '-') || !digits(&s, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	if (*s == '\0')
		goto done;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (!digits(&s, 2, &h) || !lit(&s, ':') || !digits(&s, 2, &mi)
	    || !lit(&s, ':') || !digits(&s, 2, &sec))
		return -1;
	if (h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*s == '.') {
		int n = 0;
		s++;
		if (!isdigit((unsigned char) *s))
			return -1;
		for (; isdigit((unsigned char) *s); s++, n++)
			if (n < 3)
				frac = frac * 10 + (*s - '0');
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;
		if (!digits(&s, 2, &oh) || !lit(&s, ':') || !digits(&s, 2, &om)
		    || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 60 + om);
	} else
		return -1;
	if (*s != '\0')
		return -1;
done:
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
	           - (int64_t) off * 60)
	          * 1000)
	    + frac;
	return 0;
}

void
cli_rfc3339_format(int64_t ms, char *buf, size_t len)
{
	int64_t days = ms / 86400000, rem = ms % 86400000;
	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	int64_t y;
	int     m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (long long) y, m, d, (int) (rem / 3600000),
	    (int) (rem / 60000 % 60), (int) (rem / 1000 % 60),
	    (int) (rem % 1000));
}

/* A decimal uint64 that is all of s. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char) *s))
			return -1;
		uint64_t d = (uint64_t) (*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
cli_from_parse(const char *s, int64_t now_ms, cli_from *out)
{
	cli_from f = { 0 };
	if (s == NULL)
		return -1;
	if (strcmp(s, "beginning") == 0)
		f.kind = CLI_FROM_BEGINNING;
	else if (strcmp(s, "end") == 0)
		f.kind = CLI_FROM_END;
	else if (s[0] == '@') {
		uint64_t v;
		f.kind = CLI_FROM_TIME;
		if (parse_u64(s + 1, &v) == 0) {
			if (v > INT64_MAX)
				return -1;
			f.ts_ms = (int64_t) v;
		} else if (cli_rfc3339_parse(s + 1, &f.ts_ms) != 0)
			return -1;
	} else if (s[0] == '-') {
		int64_t d;
		if (cli_duration_parse(s + 1, &d) != 0 || d < 0)
			return -1;
		f.kind = CLI_FROM_TIME;
		f.ts_ms = now_ms - d;
	} else {
		f.kind = CLI_FROM_OFFSET;
		if (parse_u64(s, &f.offset) != 0)
			return -1;
	}
	*out = f;
	return 0;
}
