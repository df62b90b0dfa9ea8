/*
 * log.h -- reading a partition's batches, and finding an offset by time.
 *
 * Reads see exactly what was visible when they started: never past the
 * head, and each batch whole, checked (header, size, offsets against the
 * index, CRC-32C) and handed out without a copy.
 */
#ifndef EVLS_LOG_H
#define EVLS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "topic.h"

typedef struct evls_store evls_store;

/* A read's consumer: batch is a view valid only during the call.  A
 * nonzero return stops the read and becomes its result. */
typedef int (*evls_sink)(void *arg, const uint8_t *batch, size_t len);

/*
 * evls_read hands sink the whole batches of (topic, partition) starting
 * with the one that holds offset, in order, until the next batch would
 * take the total past max_bytes; the first batch is always handed over,
 * whatever its size.  A batch that starts before offset is handed whole
 * (the caller skips its earlier records).  info_out, if not NULL, gets the
 * partition's state as of the read.
 * offset == head: no batch, 0.  Errors: EVL_ENOTOPIC, EVL_ENOPART,
 * EVL_EOFFSET (offset above the head or below first_offset, including a
 * trim racing the read), EVL_ECORRUPT (a stored batch fails its checks;
 * logged), EVL_EIO, or the sink's error.
 */
int evls_read(evls_store *s, const char *topic, uint32_t partition,
    uint64_t offset, size_t max_bytes, evls_sink sink, void *arg,
    evls_partition_info *info_out);

/*
 * evls_offset_for_time sets *offset to the first offset whose broker
 * append time is >= ts_ms, or to the head when there is none.  Trimmed
 * records are never returned: the answer is at least first_offset.
 * O(log n) index seeks.  Errors: EVL_ENOTOPIC, EVL_ENOPART, EVL_EIO,
 * EVL_ECORRUPT.
 */
int evls_offset_for_time(evls_store *s, const char *topic, uint32_t partition,
    int64_t ts_ms, uint64_t *offset);

#endif /* EVLS_LOG_H */
