/*
 * The CLI's option parser (client/cli/opts.c): long and short forms,
 * values that start with '-', two tables at once, "--", errors; and the
 * number parsers behind --partitions, --count and --retention-bytes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"

enum { A_FLAG = 1, A_VAL, A_N, G_B, G_HELP };

static const cli_opt cmd[] = {
	{ "flag", 'f', false, A_FLAG },
	{ "value", 0, true, A_VAL },
	{ "lines", 'n', true, A_N },
	{ NULL, 0, false, 0 },
};
static const cli_opt glob[] = {
	{ "broker", 'b', true, G_B },
	{ "help", 'h', false, G_HELP },
	{ NULL, 0, false, 0 },
};
static const cli_opt *const tables[] = { cmd, glob, NULL };

/* Parses argv and renders what came out: "id=arg;" per item. */
static const char *
parse(int argc, char **argv, bool stop)
{
	static char out[512];
	cli_getopt  p;
	const char *arg;
	int         id;
	out[0] = '\0';
	cli_getopt_init(&p, argc, argv, 0, tables);
	p.stop_at_pos = stop;
	while ((id = cli_getopt_next(&p, &arg)) != CLI_OPT_END) {
		char item[200];
		if (id == CLI_OPT_ERR) {
			snprintf(item, sizeof(item), "ERR(%s);", p.err);
			strcat(out, item);
			break;
		}
		snprintf(item, sizeof(item), "%d=%s;", id, arg ? arg : "");
		strcat(out, item);
	}
	return out;
}
#define PARSE(...)                                                            \
	parse(sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *),            \
	    (char *[]) { __VA_ARGS__ }, false)

Test(getopt, long_forms)
{
	cr_assert_str_eq(PARSE("--flag"), "1=;");
	cr_assert_str_eq(PARSE("--value", "x"), "2=x;");
	cr_assert_str_eq(PARSE("--value=x"), "2=x;");
	cr_assert_str_eq(PARSE("--value="), "2=;");
	cr_assert_str_eq(PARSE("--value=a=b"), "2=a=b;");
}

Test(getopt, short_forms)
{
	cr_assert_str_eq(PARSE("-f"), "1=;");
	cr_assert_str_eq(PARSE("-n", "5"), "3=5;");
	cr_assert_str_eq(PARSE("-n5"), "3=5;");
	cr_assert_str_eq(PARSE("-fn5"), "1=;3=5;");
	cr_assert_str_eq(PARSE("-fn", "5"), "1=;3=5;");
	cr_assert_str_eq(PARSE("-ff"), "1=;1=;");
}

Test(getopt, values_may_start_with_a_dash)
{
	cr_assert_str_eq(PARSE("--value", "-1h"), "2=-1h;");
	cr_assert_str_eq(PARSE("-n", "-5"), "3=-5;");
	cr_assert_str_eq(PARSE("-b", "--flag"), "4=--flag;");
}

Test(getopt, two_tables_and_positionals_anywhere)
{
	cr_assert_str_eq(
	    PARSE("topic", "-b", "url", "-f", "v"), "-1=topic;4=url;1=;-1=v;");
	cr_assert_str_eq(PARSE("--broker=u", "t", "--help"), "4=u;-1=t;5=;");
}

Test(getopt, dashdash_and_lone_dash)
{
	cr_assert_str_eq(PARSE("-", "--", "-f", "--x"), "-1=-;-1=-f;-1=--x;");
}

Test(getopt, stop_at_positional)
{
	char *argv[] = { "-b", "u", "tail", "-f" };
	cr_assert_str_eq(parse(4, argv, true), "4=u;");
}

Test(getopt, errors)
{
	cr_assert_str_eq(PARSE("--nope"), "ERR(unknown option --nope);");
	cr_assert_str_eq(PARSE("--nope=3"), "ERR(unknown option --nope);");
	cr_assert_str_eq(PARSE("-x"), "ERR(unknown option -x);");
	cr_assert_str_eq(PARSE("-fx"), "1=;ERR(unknown option -x);");
	cr_assert_str_eq(
	    PARSE("--value"), "ERR(option --value needs a value);");
	cr_assert_str_eq(PARSE("-n"), "ERR(option -n needs a value);");
	cr_assert_str_eq(
	    PARSE("--flag=1"), "ERR(option --flag takes no value);");
	/* A prefix is not an abbreviation. */
	cr_assert_str_eq(PARSE("--fla"), "ERR(unknown option --fla);");
}

Test(numbers, u64_and_u32)
{
	uint64_t v = 7;
	uint32_t w = 7;
	cr_assert_eq(cli_parse_u64("0", UINT64_MAX, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cli_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(
	    cli_parse_u64("18446744073709551616", UINT64_MAX, &v), -1);
	cr_assert_eq(cli_parse_u64("11", 10, &v), -1);
	cr_assert_eq(cli_parse_u64("10", 10, &v), 0);
	cr_assert_eq(cli_parse_u64("", 10, &v), -1);
	cr_assert_eq(cli_parse_u64("-1", UINT64_MAX, &v), -1);
	cr_assert_eq(cli_parse_u64("+1", UINT64_MAX, &v), -1);
	cr_assert_eq(cli_parse_u64("1x", UINT64_MAX, &v), -1);
	cr_assert_eq(cli_parse_u64(" 1", UINT64_MAX, &v), -1);
	cr_assert_eq(cli_parse_u32("4294967295", &w), 0);
	cr_assert_eq(w, UINT32_MAX);
	cr_assert_eq(cli_parse_u32("4294967296", &w), -1);
	cr_assert_eq(w, UINT32_MAX);
}

Test(numbers, bytes)
{
	int64_t v;
	cr_assert_eq(cli_parse_bytes("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cli_parse_bytes("1048576", &v), 0);
	cr_assert_eq(v, 1048576);
	cr_assert_eq(cli_parse_bytes("1K", &v), 0);
	cr_assert_eq(v, 1024);
	cr_assert_eq(cli_parse_bytes("512M", &v), 0);
	cr_assert_eq(v, 512LL << 20);
	cr_assert_eq(cli_parse_bytes("2GiB", &v), 0);
	cr_assert_eq(v, 2LL << 30);
	cr_assert_eq(cli_parse_bytes("1tb", &v), 0);
	cr_assert_eq(v, 1LL << 40);
	cr_assert_eq(cli_parse_bytes("unlimited", &v), 0);
	cr_assert_eq(v, -1);
	v = 3;
	cr_assert_eq(cli_parse_bytes("", &v), -1);
	cr_assert_eq(cli_parse_bytes("M", &v), -1);
	cr_assert_eq(cli_parse_bytes("1X", &v), -1);
	cr_assert_eq(cli_parse_bytes("1KX", &v), -1);
	cr_assert_eq(cli_parse_bytes("-1", &v), -1);
	cr_assert_eq(cli_parse_bytes("9999999999999T", &v), -1);
	cr_assert_eq(cli_parse_bytes("99999999999999999999", &v), -1);
	cr_assert_eq(v, 3);
}
