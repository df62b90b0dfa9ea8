/*
 * Record output (client/cli/format.c): every --format token and escape,
 * template errors, and --json lines checked by parsing them back with
 * jansson.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "format.h"

static const evl_header hdrs[] = {
	{ "a", 1, "1", 1 },
	{ "b", 1, "x=y", 3 },
	{ "a", 1, "2", 1 },
};

static evl_record
sample(void)
{
	evl_record r = {
		.topic = "orders",
		.partition = 3,
		.offset = 42,
		.timestamp = 1714564800123,
		.key = "k1",
		.key_len = 2,
		.value = "hello",
		.value_len = 5,
		.headers = hdrs,
		.header_count = 3,
	};
	return r;
}

static void
format_is(
    const char *spec, const evl_record *r, const char *want, size_t want_len)
{
	cli_format *f;
	char        err[200];
	cli_buf     b = CLI_BUF_INIT;
	cr_assert_eq(
	    cli_format_parse(spec, &f, err, sizeof(err)), 0, "%s", err);
	cli_format_record(f, r, &b);
	cr_assert_eq(
	    b.len, want_len, "'%s' gave '%.*s'", spec, (int) b.len, b.data);
	if (want_len)
		cr_assert_eq(memcmp(b.data, want, want_len), 0,
		    "'%s' gave '%s'", spec, b.data);
	cli_buf_fini(&b);
	cli_format_free(f);
}
#define FORMAT_IS(spec, r, want) format_is(spec, r, want, sizeof(want) - 1)

Test(format, every_token)
{
	evl_record r = sample();
	FORMAT_IS("%t", &r, "orders");
	FORMAT_IS("%p", &r, "3");
	FORMAT_IS("%o", &r, "42");
	FORMAT_IS("%k", &r, "k1");
	FORMAT_IS("%s", &r, "hello");
	FORMAT_IS("%K", &r, "2");
	FORMAT_IS("%S", &r, "5");
	FORMAT_IS("%T", &r, "1714564800123");
	FORMAT_IS("%h", &r, "a=1,b=x=y,a=2");
	FORMAT_IS("%%", &r, "%");
	FORMAT_IS("%t/%p/%o %k=%s\n", &r, "orders/3/42 k1=hello\n");
}

Test(format, escapes)
{
	evl_record r = sample();
	FORMAT_IS("\\n", &r, "\n");
	FORMAT_IS("\\t", &r, "\t");
	FORMAT_IS("\\r", &r, "\r");
	FORMAT_IS("\\\\", &r, "\\");
	FORMAT_IS("a\\0b", &r, "a\0b");
	FORMAT_IS("%s\\t%o\\n", &r, "hello\t42\n");
	/* Unknown escapes are written as given. */
	FORMAT_IS("\\q", &r, "\\q");
}

Test(format, written_exactly_as_given)
{
	evl_record r = sample();
	FORMAT_IS("", &r, "");
	FORMAT_IS("plain", &r, "plain");
	FORMAT_IS("%s", &r, "hello"); /* no newline added */
	FORMAT_IS("100%% %s!", &r, "100% hello!");
	FORMAT_IS(CLI_FORMAT_DEFAULT, &r, "hello\n");
}

Test(format, missing_key_and_binary_value)
{
	evl_record r = sample();
	r.key = NULL;
	r.key_len = 0;
	r.value = "\xff\x00\x01";
	r.value_len = 3;
	r.header_count = 0;
	FORMAT_IS("[%k][%K][%h]", &r, "[][-1][]");
	FORMAT_IS("%s", &r, "\xff\x00\x01");
}

static void
format_bad(const char *spec)
{
	cli_format *f = (cli_format *) 1;
	char        err[200] = "";
	cr_assert_eq(cli_format_parse(spec, &f, err, sizeof(err)), -1,
	    "'%s' accepted", spec);
	cr_assert_eq(f, (cli_format *) 1);
	cr_assert(strlen(err) > 0);
}

Test(format, errors)
{
	format_bad("%");
	format_bad("abc%");
	format_bad("%x");
	format_bad("%s %z");
	format_bad("\\");
}

/* Formats r as JSON, checks it is one line, and parses it. */
static json_t *
json_of(const evl_record *r)
{
	cli_buf      b = CLI_BUF_INIT;
	json_error_t e;
	cli_json_record(r, &b);
	cr_assert(b.len > 0 && b.data[b.len - 1] == '\n');
	cr_assert_null(memchr(b.data, '\n', b.len - 1), "more than one line");
	json_t *j = json_loadb(b.data, b.len, 0, &e);
	cr_assert_not_null(j, "%s: %s", b.data, e.text);
	cr_assert(json_is_object(j));
	cli_buf_fini(&b);
	return j;
}

static const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_string(v), "%s is not a string", k);
	return json_string_value(v);
}

static json_int_t
num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "%s is not an integer", k);
	return json_integer_value(v);
}

Test(json_record, fields)
{
	evl_record r = sample();
	json_t    *j = json_of(&r);
	cr_assert_str_eq(str(j, "topic"), "orders");
	cr_assert_eq(num(j, "partition"), 3);
	cr_assert_eq(num(j, "offset"), 42);
	cr_assert_eq(num(j, "timestamp"), 1714564800123);
	cr_assert_null(json_object_get(j, "producer_timestamp"));
	cr_assert_str_eq(str(j, "key"), "k1");
	cr_assert_str_eq(str(j, "value"), "hello");
	cr_assert_null(json_object_get(j, "key_base64"));
	cr_assert_null(json_object_get(j, "value_base64"));

	json_t *h = json_object_get(j, "headers");
	cr_assert(json_is_object(h));
	cr_assert_eq(json_object_size(h), 2);
	json_t *a = json_object_get(h, "a");
	cr_assert(json_is_array(a), "a repeated header is an array");
	cr_assert_eq(json_array_size(a), 2);
	cr_assert_str_eq(json_string_value(json_array_get(a, 0)), "1");
	cr_assert_str_eq(json_string_value(json_array_get(a, 1)), "2");
	cr_assert_str_eq(str(h, "b"), "x=y");
	json_decref(j);
}

Test(json_record, producer_timestamp_and_no_key)
{
	evl_record r = sample();
	r.producer_timestamp = 1700000000000;
	r.key = NULL;
	r.key_len = 0;
	r.header_count = 0;
	json_t *j = json_of(&r);
	cr_assert_eq(num(j, "producer_timestamp"), 1700000000000);
	json_t *k = json_object_get(j, "key");
	cr_assert(json_is_null(k), "an absent key is null");
	cr_assert(json_is_object(json_object_get(j, "headers")));
	cr_assert_eq(json_object_size(json_object_get(j, "headers")), 0);
	json_decref(j);
}

Test(json_record, empty_key_is_not_null)
{
	evl_record r = sample();
	r.key = "";
	r.key_len = 0;
	json_t *j = json_of(&r);
	cr_assert_str_eq(str(j, "key"), "");
	json_decref(j);
}

Test(json_record, base64_for_non_utf8)
{
	evl_record r = sample();
	r.key = "\xc0\x80";
	r.key_len = 2;
	r.value = "\xff\xfe\x00";
	r.value_len = 3;
	json_t *j = json_of(&r);
	cr_assert_null(json_object_get(j, "key"));
	cr_assert_null(json_object_get(j, "value"));
	cr_assert_str_eq(str(j, "key_base64"), "wIA=");
	cr_assert_str_eq(str(j, "value_base64"), "//4A");
	json_decref(j);
}

Test(json_record, escaping_survives_a_parser)
{
	static const char v[]
	    = "q\"b\\s/\n\t\x01\x1f\x00\xc3\xa9\xf0\x9f\x98\x80";
	evl_record r = sample();
	r.value = v;
	r.value_len = sizeof(v) - 1;
	r.topic = "t\"x";
	evl_header h = { "n\"\n", 3, "\x02v", 2 };
	r.headers = &h;
	r.header_count = 1;
	cli_buf b = CLI_BUF_INIT;
	cli_json_record(&r, &b);
	json_error_t e;
	json_t      *j = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &e);
	cr_assert_not_null(j, "%s", e.text);
	json_t *val = json_object_get(j, "value");
	cr_assert_eq(json_string_length(val), sizeof(v) - 1);
	cr_assert_eq(memcmp(json_string_value(val), v, sizeof(v) - 1), 0);
	cr_assert_str_eq(str(j, "topic"), "t\"x");
	cr_assert_str_eq(str(json_object_get(j, "headers"), "n\"\n"), "\x02v");
	/* The control characters are \u00XX in the text itself. */
	cr_assert_not_null(strstr(b.data, "\\u0001\\u001f\\u0000"));
	json_decref(j);
	cli_buf_fini(&b);
}
