/*
 * The CLI's JSON primitives (client/cli/json.c): UTF-8 validation by
 * RFC 3629's table (overlong forms, surrogates, range, truncation), string
 * escaping, base64 against RFC 4648's test vectors.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "json.h"

#define VALID(lit) cr_assert(cli_utf8_valid(lit, sizeof(lit) - 1), #lit)
#define INVALID(lit)                                                          \
	cr_assert(!cli_utf8_valid(lit, sizeof(lit) - 1), #lit " accepted")

Test(utf8, valid)
{
	VALID("");
	VALID("plain ascii");
	VALID("\x00\x01\x7f");     /* NUL and controls are UTF-8 */
	VALID("\xc2\x80");         /* U+0080, smallest 2-byte */
	VALID("\xdf\xbf");         /* U+07FF */
	VALID("\xe0\xa0\x80");     /* U+0800, smallest 3-byte */
	VALID("\xe2\x82\xac");     /* euro sign */
	VALID("\xed\x9f\xbf");     /* U+D7FF, just below surrogates */
	VALID("\xee\x80\x80");     /* U+E000, just above */
	VALID("\xef\xbf\xbf");     /* U+FFFF */
	VALID("\xf0\x90\x80\x80"); /* U+10000, smallest 4-byte */
	VALID("\xf0\x9f\x98\x80"); /* emoji */
	VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last */
	VALID("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
}

Test(utf8, overlong)
{
	INVALID("\xc0\x80"); /* NUL in 2 bytes */
	INVALID("\xc0\xaf");
	INVALID("\xc1\xbf");
	INVALID("\xe0\x80\x80");
	INVALID("\xe0\x9f\xbf"); /* U+07FF in 3 bytes */
	INVALID("\xf0\x80\x80\x80");
	INVALID("\xf0\x8f\xbf\xbf"); /* U+FFFF in 4 bytes */
}

Test(utf8, surrogates)
{
	INVALID("\xed\xa0\x80");             /* U+D800 */
	INVALID("\xed\xaf\xbf");             /* U+DBFF */
	INVALID("\xed\xb0\x80");             /* U+DC00 */
	INVALID("\xed\xbf\xbf");             /* U+DFFF */
	INVALID("\xed\xa0\xbd\xed\xb8\x80"); /* a CESU-8 pair */
}

Test(utf8, out_of_range)
{
	INVALID("\xf4\x90\x80\x80"); /* U+110000 */
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xf8\x88\x80\x80\x80"); /* old 5-byte form */
	INVALID("\xfc\x84\x80\x80\x80\x80");
	INVALID("\xfe");
	INVALID("\xff");
}

Test(utf8, broken_sequences)
{
	INVALID("\x80"); /* lone continuation */
	INVALID("a\xbf");
	INVALID("\xc2"); /* truncated at the end */
	INVALID("\xe2\x82");
	INVALID("\xf0\x9f\x98");
	INVALID("\xc2\x41"); /* bad continuation */
	INVALID("\xe2\x28\xa1");
	INVALID("\xe2\x82\x28");
	INVALID("\xf0\x9f\x98\x28");
	INVALID("ok\xc3\xa9\xff");
}

static void
json_is(const void *in, size_t n, const char *want)
{
	cli_buf b = CLI_BUF_INIT;
	cli_json_str(&b, in, n);
	cr_assert_eq(b.len, strlen(want));
	cr_assert_str_eq(b.data, want);
	cli_buf_fini(&b);
}
#define JSON_IS(lit, want) json_is(lit, sizeof(lit) - 1, want)

Test(json, escaping)
{
	JSON_IS("", "\"\"");
	JSON_IS("hello", "\"hello\"");
	JSON_IS("a\"b", "\"a\\\"b\"");
	JSON_IS("a\\b", "\"a\\\\b\"");
	JSON_IS("/", "\"/\"");
	JSON_IS("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
	JSON_IS("\x01\x1f", "\"\\u0001\\u001f\"");
	JSON_IS("a\x00z", "\"a\\u0000z\"");
	JSON_IS("\x7f", "\"\x7f\"");
	JSON_IS("\x1b[0m", "\"\\u001b[0m\"");
}

Test(json, unicode_passes_through)
{
	JSON_IS("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	JSON_IS("\xf0\x9f\x98\x80!", "\"\xf0\x9f\x98\x80!\"");
	JSON_IS("\xe2\x80\xa8", "\"\xe2\x80\xa8\""); /* U+2028 is valid JSON */
}

Test(json, invalid_bytes_become_replacement_chars)
{
	JSON_IS("a\xffz", "\"a\xef\xbf\xbdz\"");
	JSON_IS("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	JSON_IS("\xc3", "\"\xef\xbf\xbd\"");
	/* Valid and invalid mixed: the valid run survives. */
	JSON_IS(
	    "\xc3\xa9\xc0\x80\"", "\"\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\\\"\"");
}

Test(json, cstr)
{
	cli_buf b = CLI_BUF_INIT;
	cli_json_cstr(&b, "x\"y");
	cr_assert_str_eq(b.data, "\"x\\\"y\"");
	cli_buf_fini(&b);
}

static void
b64_is(const char *in, size_t n, const char *want)
{
	cli_buf b = CLI_BUF_INIT;
	cli_base64(&b, in, n);
	cr_assert_eq(b.len, strlen(want), "base64 of %zu bytes", n);
	if (b.len)
		cr_assert_str_eq(b.data, want);
	cli_buf_fini(&b);
}

Test(base64, rfc4648_vectors)
{
	b64_is("", 0, "");
	b64_is("f", 1, "Zg==");
	b64_is("fo", 2, "Zm8=");
	b64_is("foo", 3, "Zm9v");
	b64_is("foob", 4, "Zm9vYg==");
	b64_is("fooba", 5, "Zm9vYmE=");
	b64_is("foobar", 6, "Zm9vYmFy");
}

Test(base64, binary)
{
	b64_is("\xff\xfe\xfd", 3, "//79");
	b64_is("\x00\x00", 2, "AAA=");
	b64_is("\xfb\xff", 2, "+/8=");
}

Test(buf, grows_and_stays_terminated)
{
	cli_buf b = CLI_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		cli_buf_printf(&b, "%04d", i);
	cr_assert_eq(b.len, 4000);
	cr_assert_eq(b.data[4000], '\0');
	cr_assert_eq(memcmp(b.data + 3996, "0999", 4), 0);
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cli_buf_reset(&b);
	cli_buf_printf(&b, "<%s>", big);
	cr_assert_eq(b.len, sizeof(big) + 1);
	cli_buf_fini(&b);
}
