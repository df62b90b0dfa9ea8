/*
 * The CLI's time notations (client/cli/timespec.c): durations, RFC 3339
 * (offsets, Z, fractions, calendar limits) and every --from form.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "timespec.h"

static int64_t
dur(const char *s)
{
	int64_t ms = -12345;
	cr_assert_eq(cli_duration_parse(s, &ms), 0, "'%s' refused", s);
	return ms;
}

static void
dur_bad(const char *s)
{
	int64_t ms = 77;
	cr_assert_eq(cli_duration_parse(s, &ms), -1, "'%s' accepted", s);
	cr_assert_eq(ms, 77, "'%s' wrote its output on failure", s);
}

Test(duration, units)
{
	cr_assert_eq(dur("500ms"), 500);
	cr_assert_eq(dur("45s"), 45000);
	cr_assert_eq(dur("30m"), 1800000);
	cr_assert_eq(dur("12h"), 43200000);
	cr_assert_eq(dur("7d"), 604800000);
	cr_assert_eq(dur("2w"), 1209600000);
	cr_assert_eq(dur("0s"), 0);
	cr_assert_eq(dur("forever"), -1);
}

Test(duration, compound)
{
	cr_assert_eq(dur("1h30m"), 5400000);
	cr_assert_eq(dur("1d12h"), 129600000);
	cr_assert_eq(dur("1m1s1ms"), 61001);
}

Test(duration, malformed)
{
	dur_bad("");
	dur_bad("7"); /* no unit: ambiguous */
	dur_bad("d"); /* no number */
	dur_bad("7x");
	dur_bad("7 d");
	dur_bad("-7d");
	dur_bad("7dd");
	dur_bad("7msx");
	dur_bad("1.5h");
	dur_bad("Forever");
	dur_bad("forever1");
	dur_bad("99999999999999999999ms"); /* overflows */
	dur_bad("9223372036854775807d");
	dur_bad("9223372036854775807ms1ms");
}

Test(duration, largest_exact)
{
	cr_assert_eq(dur("9223372036854775807ms"), INT64_MAX);
}

Test(duration, format)
{
	char b[32];
	struct {
		int64_t     ms;
		const char *want;
	} cases[] = {
		{ -1, "forever" },
		{ 0, "0ms" },
		{ 500, "500ms" },
		{ 1500, "1500ms" },
		{ 45000, "45s" },
		{ 5400000, "90m" },
		{ 43200000, "12h" },
		{ 604800000, "7d" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_duration_format(cases[i].ms, b, sizeof(b));
		cr_assert_str_eq(b, cases[i].want);
		if (cases[i].ms >= 0)
			cr_assert_eq(
			    dur(b), cases[i].ms, "round trip of %s", b);
	}
}

static int64_t
ts(const char *s)
{
	int64_t ms = 0;
	cr_assert_eq(cli_rfc3339_parse(s, &ms), 0, "'%s' refused", s);
	return ms;
}

static void
ts_bad(const char *s)
{
	int64_t ms = 5;
	cr_assert_eq(cli_rfc3339_parse(s, &ms), -1, "'%s' accepted", s);
	cr_assert_eq(ms, 5);
}

Test(rfc3339, utc)
{
	cr_assert_eq(ts("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(ts("2024-05-01T12:00:00Z"), 1714564800000);
	cr_assert_eq(ts("2024-05-01t12:00:00z"), 1714564800000);
	cr_assert_eq(ts("2024-05-01 12:00:00Z"), 1714564800000);
	cr_assert_eq(ts("2000-03-01T00:00:00Z"), 951868800000);
	cr_assert_eq(ts("1969-12-31T23:59:59Z"), -1000);
}

Test(rfc3339, offsets)
{
	cr_assert_eq(ts("2024-05-01T14:00:00+02:00"), 1714564800000);
	cr_assert_eq(ts("2024-05-01T07:30:00-04:30"), 1714564800000);
	cr_assert_eq(ts("2024-05-01T12:00:00+00:00"), 1714564800000);
	cr_assert_eq(ts("2024-05-01T12:00:00-00:00"), 1714564800000);
	/* Crossing a day boundary. */
	cr_assert_eq(ts("2024-05-02T01:00:00+13:00"), 1714564800000);
}

Test(rfc3339, fractions)
{
	cr_assert_eq(ts("2024-05-01T12:00:00.5Z"), 1714564800500);
	cr_assert_eq(ts("2024-05-01T12:00:00.25Z"), 1714564800250);
	cr_assert_eq(ts("2024-05-01T12:00:00.123Z"), 1714564800123);
	cr_assert_eq(ts("2024-05-01T12:00:00.123999999Z"), 1714564800123);
	cr_assert_eq(ts("2024-05-01T14:00:00.001+02:00"), 1714564800001);
}

Test(rfc3339, calendar)
{
	cr_assert_eq(ts("2024-02-29T00:00:00Z"), 1709164800000); /* leap */
	ts_bad("2023-02-29T00:00:00Z");
	ts_bad("1900-02-29T00:00:00Z"); /* century, not leap */
	cr_assert_eq(ts("2000-02-29T00:00:00Z"), 951782400000);
	ts_bad("2024-04-31T00:00:00Z");
	ts_bad("2024-13-01T00:00:00Z");
	ts_bad("2024-00-01T00:00:00Z");
	ts_bad("2024-01-00T00:00:00Z");
	ts_bad("2024-01-01T24:00:00Z");
	ts_bad("2024-01-01T00:60:00Z");
	ts_bad("2024-01-01T00:00:61Z");
	/* A leap second is the next second. */
	cr_assert_eq(ts("2016-12-31T23:59:60Z"), ts("2017-01-01T00:00:00Z"));
}

Test(rfc3339, date_only)
{
	cr_assert_eq(ts("2024-05-01"), 1714521600000);
}

Test(rfc3339, malformed)
{
	ts_bad("");
	ts_bad("2024-05-01T12:00:00"); /* no zone */
	ts_bad("2024-05-01T12:00Z");   /* no seconds */
	ts_bad("2024-5-01T12:00:00Z");
	ts_bad("24-05-01T12:00:00Z");
	ts_bad("2024-05-01T12:00:00.Z");    /* empty fraction */
	ts_bad("2024-05-01T12:00:00+0200"); /* offset needs a colon */
	ts_bad("2024-05-01T12:00:00+2:00");
	ts_bad("2024-05-01T12:00:00+24:00");
	ts_bad("2024-05-01T12:00:00+02:60");
	ts_bad("2024-05-01T12:00:00Zjunk");
	ts_bad("2024-05-01X12:00:00Z");
	ts_bad("2024-05-01T12:00:00 Z");
}

Test(rfc3339, format_round_trip)
{
	char    b[40];
	int64_t vals[]
	    = { 0, 1714564800123, 951782400000, -1000, 253402300799999 };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		cli_rfc3339_format(vals[i], b, sizeof(b));
		cr_assert_eq(ts(b), vals[i], "%s", b);
	}
	cli_rfc3339_format(1714564800123, b, sizeof(b));
	cr_assert_str_eq(b, "2024-05-01T12:00:00.123Z");
}

static cli_from
from(const char *s, int64_t now)
{
	cli_from f;
	memset(&f, 0x55, sizeof(f));
	cr_assert_eq(cli_from_parse(s, now, &f), 0, "'%s' refused", s);
	return f;
}

static void
from_bad(const char *s)
{
	cli_from f = { .kind = CLI_FROM_END, .offset = 9 };
	cr_assert_eq(cli_from_parse(s, 1000, &f), -1, "'%s' accepted", s);
	cr_assert_eq(f.kind, CLI_FROM_END);
	cr_assert_eq(f.offset, 9);
}

Test(from, every_form)
{
	cr_assert_eq(from("beginning", 0).kind, CLI_FROM_BEGINNING);
	cr_assert_eq(from("end", 0).kind, CLI_FROM_END);

	cli_from f = from("42", 0);
	cr_assert_eq(f.kind, CLI_FROM_OFFSET);
	cr_assert_eq(f.offset, 42);
	f = from("0", 0);
	cr_assert_eq(f.kind, CLI_FROM_OFFSET);
	cr_assert_eq(f.offset, 0);
	f = from("18446744073709551615", 0);
	cr_assert_eq(f.offset, UINT64_MAX);

	f = from("@2024-05-01T14:00:00+02:00", 0);
	cr_assert_eq(f.kind, CLI_FROM_TIME);
	cr_assert_eq(f.ts_ms, 1714564800000);
	f = from("@1714564800000", 0);
	cr_assert_eq(f.kind, CLI_FROM_TIME);
	cr_assert_eq(f.ts_ms, 1714564800000);

	f = from("-1h", 10000000);
	cr_assert_eq(f.kind, CLI_FROM_TIME);
	cr_assert_eq(f.ts_ms, 10000000 - 3600000);
	f = from("-1h30m", 1714564800000);
	cr_assert_eq(f.ts_ms, 1714564800000 - 5400000);
	f = from("-500ms", 1000);
	cr_assert_eq(f.ts_ms, 500);
}

Test(from, malformed)
{
	from_bad("");
	from_bad("start");
	from_bad("Beginning");
	from_bad("-1"); /* a duration needs a unit */
	from_bad("-forever");
	from_bad("-");
	from_bad("+5");
	from_bad("5x");
	from_bad("18446744073709551616"); /* > UINT64_MAX */
	from_bad("@");
	from_bad("@yesterday");
	from_bad("@2024-05-01T12:00:00"); /* no zone */
	from_bad("@9223372036854775808"); /* > INT64_MAX ms */
	from_bad("-1h ");
}
