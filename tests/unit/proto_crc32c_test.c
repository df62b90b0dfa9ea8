/* CRC-32C against RFC 3720 (iSCSI) check values, fast path vs table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "evl_test.h"

Test(crc32c, rfc3720_vectors)
{
	uint8_t buf[32];
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(evlp_crc32c(0, buf, 32), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	cr_assert_eq(evlp_crc32c(0, buf, 32), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t) i;
	cr_assert_eq(evlp_crc32c(0, buf, 32), 0x46dd794eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t) (31 - i);
	cr_assert_eq(evlp_crc32c(0, buf, 32), 0x113fdb5cu);
	cr_assert_eq(evlp_crc32c(0, "123456789", 9), 0xe3069283u);
}

Test(crc32c, fast_path_matches_table_at_every_alignment_and_length)
{
	uint8_t buf[300];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t) (i * 131 + 7);
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += 13)
			cr_assert_eq(evlp_crc32c(0, buf + off, len),
			    evlp_crc32c_sw(0, buf + off, len),
			    "off %zu len %zu", off, len);
}

Test(crc32c, extends_in_pieces)
{
	const char *s = "hello, event log";
	size_t      n = strlen(s);
	uint32_t    c = evlp_crc32c(0, s, 5);
	c             = evlp_crc32c(c, s + 5, n - 5);
	cr_assert_eq(c, evlp_crc32c(0, s, n));
}

/* Long inputs run as three interleaved blocks joined by shift tables:
 * every block size, remainder and alignment around them must agree with
 * the table path. */
Test(crc32c, three_streams_match_table)
{
	size_t   cap = 3 * 8192 * 2 + 3 * 256 + 64;
	uint8_t *buf = malloc(cap);
	cr_assert_not_null(buf);
	uint32_t x = 12345;
	for (size_t i = 0; i < cap; i++) {
		x      = x * 1103515245u + 12345u;
		buf[i] = (uint8_t) (x >> 16);
	}
	size_t lens[] = { 767, 768, 769, 775, 776, 1535, 1536, 2311,
		3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 3 * 8192 + 768,
		3 * 8192 + 777, 2 * 3 * 8192, 2 * 3 * 8192 + 3 * 256 + 7 };
	for (size_t off = 0; off < 9; off++)
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			size_t len = lens[k];
			cr_assert_eq(evlp_crc32c(0x1234u, buf + off, len),
			    evlp_crc32c_sw(0x1234u, buf + off, len),
			    "off %zu len %zu", off, len);
		}
	free(buf);
}
