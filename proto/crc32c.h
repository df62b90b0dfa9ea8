/*
 * crc32c.h -- CRC-32C (Castagnoli), the checksum of record batches.
 *
 * Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
 * run time) and a table otherwise.  The two agree bit for bit; the tests
 * hold both to RFC 3720's check values.
 */
#ifndef EVLP_CRC32C_H
#define EVLP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over len bytes of p. */
uint32_t evlp_crc32c(uint32_t crc, const void *p, size_t len);

/* The portable path alone, for tests that compare it with the fast one. */
uint32_t evlp_crc32c_sw(uint32_t crc, const void *p, size_t len);

#endif /* EVLP_CRC32C_H */
