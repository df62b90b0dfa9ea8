/*
 * batch.h -- the record batch, evlog's unit of network and disk.
 *
 * A producer encodes records into a batch once; the broker checks it,
 * stamps the base offset and append time into the first 16 bytes, and
 * stores and serves those same bytes.  Nothing re-encodes a record on the
 * way, which is where most of evlog's throughput comes from.  The stamped
 * fields sit before the checksum so stamping never recomputes it.
 *
 * Batch header, version 1 (all integers big-endian):
 *
 *   OFFSET SIZE DESCRIPTION
 *        0    8 base_offset      offset of the first record (broker sets)
 *        8    8 append_time      broker append time, ms since epoch (broker
 *                                sets; the same for every record of a batch)
 *       16    4 length           bytes after this field: total size - 20
 *       20    4 crc              CRC-32C of bytes 24 .. end of batch
 *       24    1 magic            1
 *       25    1 attributes       bits 0-2 compression (0 = none; no other
 *                                value yet); bits 3-7 must be 0
 *       26    2 reserved         0
 *       28    4 count            records in the batch, >= 1
 *       32    8 first_timestamp  producer time of record 0, ms (0 = none)
 *       40    8 max_timestamp    largest producer time in the batch
 *       48    8 producer_id      idempotent producer id, -1 = none
 *       56    2 producer_epoch   -1 = none
 *       58    2 reserved         0
 *       60    4 base_sequence    sequence of record 0, -1 = none
 *       64      records, count of them, back to back
 *
 * Record (within a batch):
 *
 *   uvarint length           bytes of the rest of this record
 *   uvarint attributes       bit 0 = snapshot record, bit 1 = erased
 *                            (broker only); others 0
 *   varint  timestamp_delta  producer time - first_timestamp
 *   uvarint offset_delta     the record's index in the batch (dense)
 *   varint  key_length       -1 = no key
 *   bytes   key
 *   varint  value_length     -1 = null value (a tombstone)
 *   bytes   value
 *   uvarint header_count
 *   header_count times: uvarint name_length, name, uvarint value_length,
 *                       value
 */
#ifndef EVLP_BATCH_H
#define EVLP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define EVLP_BATCH_HEADER_SIZE 64
#define EVLP_BATCH_MAGIC       1
/* Offset and length of the part the CRC covers starts here. */
#define EVLP_BATCH_CRC_START 24
/* Record attribute bits.  ERASED is set by the broker only, in place,
 * when a stream delete erases a record (its value and header bytes are
 * zeroed); a produced batch carrying it is refused. */
#define EVLP_REC_SNAPSHOT 0x1u
#define EVLP_REC_ERASED   0x2u

typedef struct evlp_batch_hdr {
	uint64_t base_offset;
	int64_t  append_time;
	uint32_t size; /* whole batch in bytes, header included */
	uint32_t crc;
	uint8_t  attributes;
	uint32_t count;
	int64_t  first_timestamp;
	int64_t  max_timestamp;
	int64_t  producer_id;
	int16_t  producer_epoch;
	int32_t  base_sequence;
} evlp_batch_hdr;

/* A header name/value pair, as views into a batch. */
typedef struct evlp_header {
	evlp_view name;
	evlp_view value;
} evlp_header;

/* One decoded record: views into the batch, valid while the batch is. */
typedef struct evlp_record {
	uint64_t  offset;
	int64_t   append_time;
	int64_t   timestamp; /* producer time; 0 = none */
	uint32_t  attributes;
	bool      has_key;
	evlp_view key;
	bool      has_value; /* false: a null value (tombstone) */
	evlp_view value;
	uint32_t  header_count;
	evlp_view headers; /* encoded pairs; walk with evlp_header_next */
} evlp_record;

/* A record to encode.  key == NULL means no key; value == NULL with
 * value_len 0 means a null value. */
typedef struct evlp_record_in {
	const void        *key;
	size_t             key_len;
	const void        *value;
	size_t             value_len;
	const evlp_header *headers;
	size_t             header_count;
	int64_t            timestamp;
	uint32_t           attributes;
} evlp_record_in;

/*
 * evlp_batch_peek decodes and checks the fixed header of the batch at p
 * (len bytes available): magic, attributes, a length that fits in len and
 * holds the header, count >= 1.  It does not look at the records or CRC.
 * Errors: EVL_EPROTO, EVL_EVERSION (another magic), EVL_ENOTSUP
 * (compression).
 */
int evlp_batch_peek(const void *p, size_t len, evlp_batch_hdr *out);

/*
 * evlp_batch_check is what the broker runs on every produced batch: the
 * header as in peek, the batch filling len exactly, the CRC (EVL_ECRC),
 * and every record well-formed with dense offset deltas and exactly count
 * records (EVL_EPROTO).  Total: any input gives 0 or an error.
 */
int evlp_batch_check(const void *p, size_t len, evlp_batch_hdr *out);

/* evlp_batch_stamp writes the broker's fields into a checked batch. */
void evlp_batch_stamp(void *p, uint64_t base_offset, int64_t append_time);

/*
 * Iterating the records of one batch.  evlp_batch_next returns true with
 * the next record, false at the end or on malformed data, after which
 * it->rd.err tells which (0 = end).  Iteration is itself total, so a batch
 * read back from disk needs no separate check to be walked safely.
 */
typedef struct evlp_batch_iter {
	evlp_batch_hdr hdr;
	evlp_rd        rd;
	uint32_t       index;
} evlp_batch_iter;

int  evlp_batch_iter_init(evlp_batch_iter *it, const void *p, size_t len);
bool evlp_batch_next(evlp_batch_iter *it, evlp_record *rec);

/* Walks the encoded headers of a record (rd over rec->headers). */
bool evlp_header_next(evlp_rd *rd, evlp_header *h);

/*
 * Walking concatenated batches (a fetch response): returns true with the
 * next whole batch in *batch, false at the end or on a malformed length
 * (rd->err set).  Only the header is checked; use evlp_batch_iter on each.
 */
bool evlp_batches_next(evlp_rd *rd, evlp_view *batch, evlp_batch_hdr *hdr);

/*
 * Building a batch into a caller's buffer.  add returns EVL_ETOOBIG when
 * the record does not fit (the batch is unchanged and still valid); finish
 * writes count, length and CRC, and gives the batch size.  A builder with
 * no records cannot be finished (EVL_EINVAL).
 */
typedef struct evlp_batch_builder {
	evlp_wr  w;
	uint32_t count;
	int64_t  first_timestamp;
	int64_t  max_timestamp;
	int64_t  producer_id;
	int16_t  producer_epoch;
	int32_t  base_sequence;
} evlp_batch_builder;

void evlp_batch_build_init(evlp_batch_builder *b, void *buf, size_t cap);
/* Optional: marks the batch as an idempotent producer's. */
void evlp_batch_build_producer(
    evlp_batch_builder *b, int64_t id, int16_t epoch, int32_t base_sequence);
int evlp_batch_build_add(evlp_batch_builder *b, const evlp_record_in *rec);
int evlp_batch_build_finish(evlp_batch_builder *b, size_t *size);

/* Bytes a record adds to a batch whose first timestamp is first_ts. */
size_t evlp_record_size(
    const evlp_record_in *rec, int64_t first_ts, uint32_t index);

#endif /* EVLP_BATCH_H */
