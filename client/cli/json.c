/*
 * json.c -- UTF-8 validation, JSON string escaping and base64 for the
 * CLI's --json output.  Hand-written rather than a JSON library: the CLI
 * only ever writes JSON, one flat object per line, and the escaping rules
 * fit on a page.
 */
#include "json.h"

#include <stdint.h>
#include <string.h>

/*
 * Length of the well-formed UTF-8 sequence at s[0..n), or 0 when there is
 * none.  The second-byte ranges are those of RFC 3629's table, which
 * excludes overlong forms (C0, C1, E0 80..9F, F0 80..8F), the UTF-16
 * surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..).
 */
static size_t
utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t  len;
	uint8_t lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool
cli_utf8_valid(const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t         i = 0;
	while (i < n) {
		/* Fast path over ASCII. */
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t l = utf8_seq(s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

void
cli_json_str(cli_buf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t    *s = p;
	size_t            i = 0, run = 0; /* run: bytes copied as they are */
	cli_buf_putc(b, '"');
	while (i < n) {
		uint8_t     c = s[i];
		const char *esc = NULL;
		char        u[7];
		size_t      l = 1;
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80 && (l = utf8_seq(s + i, n - i)) != 0) {
			i += l;
			run += l;
			continue;
		}
		cli_buf_put(b, s + i - run, run);
		run = 0;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			if (c < 0x20) {
				memcpy(u, "\\u00", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 15];
				u[6] = '\0';
				esc = u;
			} else {
				/* A byte that starts no well-formed sequence:
				 * U+FFFD, one per byte. */
				esc = "\xef\xbf\xbd";
			}
		}
		cli_buf_puts(b, esc);
		i++;
	}
	cli_buf_put(b, s + i - run, run);
	cli_buf_putc(b, '"');
}

void
cli_json_cstr(cli_buf *b, const char *s)
{
	cli_json_str(b, s, strlen(s));
}

void
cli_base64(cli_buf *b, const void *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	                          "rstuvwxyz0123456789+/";
	const uint8_t    *s = p;
	size_t            i = 0;
	char              q[4];
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t) s[i] << 16 | (uint32_t) s[i + 1] << 8
		    | s[i + 2];
		q[0] = abc[v >> 18];
		q[1] = abc[(v >> 12) & 63];
		q[2] = abc[(v >> 6) & 63];
		q[3] = abc[v & 63];
		cli_buf_put(b, q, 4);
	}
	if (i < n) {
		uint32_t v = (uint32_t) s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t) s[i + 1] << 8;
		q[0] = abc[v >> 18];
		q[1] = abc[(v >> 12) & 63];
		q[2] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		q[3] = '=';
		cli_buf_put(b, q, 4);
	}
}
