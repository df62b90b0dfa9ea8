/*
 * crc32c.c -- CRC-32C with the CPU's instruction where there is one.
 *
 * At 1.5M records/s every batch is checked once by the broker, so the
 * checksum must cost well under a cycle per byte: the SSE4.2 path does
 * 8 bytes per instruction, three streams at once on long inputs.  The table path exists for other CPUs and as
 * the reference the tests compare against.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY 0x82f63b78u /* reflected Castagnoli polynomial */

static uint32_t       crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void
crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
		crc_table[i] = c;
	}
}

uint32_t
evlp_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_table_once, crc_table_init);
	const uint8_t *p = buf;
	crc              = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

/*
 * The crc32 instruction takes 3 cycles and one can start every cycle, so
 * one chain of them uses a third of the unit.  Long inputs are cut into
 * three blocks whose CRCs run interleaved, then joined: a CRC's register
 * is linear in its input, so the CRC of A||B is zeros(|B|)(crc(A)) ^
 * crc(B) started from 0, where zeros(n) is what n zero bytes do to a
 * register.  zeros(n) is applied as four 256-entry tables, one per byte
 * of the register (the idea of Mark Adler's crc32c.c).  Block sizes:
 * LONG for big batches, SHORT for the rest.
 */
#define CRC_LONG  8192
#define CRC_SHORT 256

static uint32_t crc_long[4][256], crc_short[4][256];

/* The register after n zero bytes, from register r (no inversions). */
static uint32_t
crc_zeros_slow(uint32_t r, size_t n)
{
	while (n--)
		r = crc_table[r & 0xff] ^ (r >> 8);
	return r;
}

/* Tables for zeros(n): by linearity, from its values on the 32 bits. */
static void
crc_zeros_init(uint32_t t[4][256], size_t n)
{
	uint32_t bit[32];
	for (int i = 0; i < 32; i++)
		bit[i] = crc_zeros_slow((uint32_t) 1 << i, n);
	for (int k = 0; k < 4; k++)
		for (uint32_t v = 0; v < 256; v++) {
			uint32_t r = 0;
			for (int i = 0; i < 8; i++)
				if (v & (1u << i))
					r ^= bit[8 * k + i];
			t[k][v] = r;
		}
}

static void
crc_hw_init(void)
{
	pthread_once(&crc_table_once, crc_table_init);
	crc_zeros_init(crc_long, CRC_LONG);
	crc_zeros_init(crc_short, CRC_SHORT);
}

static inline uint32_t
crc_shift(const uint32_t t[4][256], uint32_t r)
{
	return t[0][r & 0xff] ^ t[1][(r >> 8) & 0xff] ^ t[2][(r >> 16) & 0xff] ^
	    t[3][r >> 24];
}

/* len bytes at p in three interleaved blocks of n; returns the register
 * after all three, from c0. */
__attribute__((target("sse4.2"))) static inline uint64_t
crc_triple(uint64_t c0, const uint8_t *p, size_t n, const uint32_t t[4][256])
{
	uint64_t c1 = 0, c2 = 0;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w0, w1, w2;
		memcpy(&w0, p + i, 8);
		memcpy(&w1, p + n + i, 8);
		memcpy(&w2, p + 2 * n + i, 8);
		c0 = _mm_crc32_u64(c0, w0);
		c1 = _mm_crc32_u64(c1, w1);
		c2 = _mm_crc32_u64(c2, w2);
	}
	c0 = crc_shift(t, (uint32_t) c0) ^ (uint32_t) c1;
	return crc_shift(t, (uint32_t) c0) ^ (uint32_t) c2;
}

__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t        *p    = buf;
	uint64_t              c    = ~crc;
	pthread_once(&once, crc_hw_init);
	while (len > 0 && ((uintptr_t) p & 7) != 0) {
		c = _mm_crc32_u8((uint32_t) c, *p++);
		len--;
	}
	while (len >= 3 * CRC_LONG) {
		c = crc_triple(c, p, CRC_LONG, crc_long);
		p += 3 * CRC_LONG;
		len -= 3 * CRC_LONG;
	}
	while (len >= 3 * CRC_SHORT) {
		c = crc_triple(c, p, CRC_SHORT, crc_short);
		p += 3 * CRC_SHORT;
		len -= 3 * CRC_SHORT;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t) c, *p++);
	return ~(uint32_t) c;
}

uint32_t
evlp_crc32c(uint32_t crc, const void *p, size_t len)
{
	/* A load of a word libgcc fills in at start-up: cheap per call. */
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_hw(crc, p, len);
	return evlp_crc32c_sw(crc, p, len);
}
#else
uint32_t
evlp_crc32c(uint32_t crc, const void *p, size_t len)
{
	return evlp_crc32c_sw(crc, p, len);
}
#endif
