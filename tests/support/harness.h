/*
 * harness.h -- what broker and integration tests share: temporary
 * directories, an in-process broker on an ephemeral port, waiting on a
 * condition with a deadline, and a raw-protocol REQ client.
 *
 * Criterion forks a worker per test, so start brokers (and their
 * threads) inside the test or its fixture, never in a constructor.  Tests
 * never sleep to synchronize: they wait for a condition with
 * evlt_wait_until, which fails loudly at its deadline.
 */
#ifndef EVLT_HARNESS_H
#define EVLT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "broker.h"
#include "buf.h"
#include "config.h"
#include "frame.h"

/* ---- time and directories ------------------------------------------ */

/* Monotonic milliseconds. */
uint64_t evlt_now_ms(void);

/*
 * evlt_wait_until polls cond(arg) every millisecond or so until it is
 * true (returns true) or timeout_ms pass (returns false).
 */
bool evlt_wait_until(bool (*cond)(void *arg), void *arg, uint32_t timeout_ms);

/* evlt_tmpdir makes a fresh directory under $TMPDIR (or /tmp) and
 * writes its path into buf.  Returns 0 or -1. */
int evlt_tmpdir(char *buf, size_t len);

/* evlt_rmrf removes path and everything under it. */
void evlt_rmrf(const char *path);

/* ---- an in-process broker ------------------------------------------ */

struct evlt_broker {
	char                dir[256]; /* its temporary directory */
	char                data[300]; /* dir/data: the store */
	struct evld_config  cfg;
	struct evld_broker *b;
	const char         *url; /* the first listener, port resolved */
};

/*
 * evlt_broker_start starts a broker with --data in a new temporary
 * directory (or in data_dir when not NULL), --listen tcp://127.0.0.1:0,
 * --http off, and the extra flags in args (NULL-terminated, may be NULL;
 * a --listen among them replaces the default one).  The environment is
 * not read.  Returns 0 or an evl_err.
 */
int evlt_broker_start(
    struct evlt_broker *tb, const char *data_dir, const char *const *args);

/* Stops the broker; removes its temporary directory unless keep. */
void evlt_broker_stop(struct evlt_broker *tb, bool keep);

/* ---- a raw-protocol client ----------------------------------------- */

/*
 * evlt_req_open opens a REQ socket with the resend timer off (a resend
 * would duplicate produces), receive timeout timeout_ms, and dials url
 * synchronously.  tls_ca, when not NULL, is a CA file for tls+tcp and
 * wss URLs (server name "localhost").  Returns 0 or an NNG error.
 */
int evlt_req_open(nng_socket *s, const char *url, uint32_t timeout_ms,
    const char *tls_ca);

/* A response: the message and its decoded frame and body (views into
 * msg).  evlt_resp_free releases it. */
typedef struct evlt_resp {
	nng_msg   *msg;
	evlp_frame frame;
	evlp_view  body;
} evlt_resp;

void evlt_resp_free(evlt_resp *r);

/*
 * evlt_call frames body (len bytes) as request op with id, sends it on s
 * and waits for the answer, whose frame it checks (decodes, response
 * flag, same op and id).  Returns 0 with *out filled, an NNG error, or
 * -1 for a malformed answer.  The answer's status is in out->frame.
 */
int evlt_call(nng_socket s, uint8_t op, uint32_t id, const void *body,
    size_t len, evlt_resp *out);

/* evlt_call_raw sends bytes as they are (no frame) and returns the
 * answer undecoded in *out (frame and body zeroed). */
int evlt_call_raw(nng_socket s, const void *bytes, size_t len, nng_msg **out);

/* The error body's message of an error answer, as a C string in buf. */
const char *evlt_errmsg(const evlt_resp *r, char *buf, size_t len);

/*
 * evlt_batch builds a record batch of n records, record i with key
 * "k<i>" and a value of value_len bytes (filled with i's low byte), into
 * buf.  Returns its size, or 0 when it does not fit.
 */
size_t evlt_batch(void *buf, size_t cap, uint32_t n, size_t value_len);

/* Body builders: each encodes into buf and returns the size (0 when it
 * does not fit). */
size_t evlt_produce_body(void *buf, size_t cap, const char *topic,
    uint32_t partition, uint8_t acks, const void *batch, size_t batch_len);
size_t evlt_fetch_body(void *buf, size_t cap, uint32_t max_wait_ms,
    uint32_t max_bytes, const char *topic, uint32_t partition,
    uint64_t offset, uint32_t part_max_bytes);
size_t evlt_create_topic_body(
    void *buf, size_t cap, const char *topic, uint32_t partitions);

/* Convenience calls on top; each returns the answer's status (0 = OK),
 * or -1 when the call itself failed. */
int evlt_create_topic(nng_socket s, const char *topic, uint32_t partitions);
/* Produces n records of value_len bytes with acks; *base gets the base
 * offset (may be NULL). */
int evlt_produce(nng_socket s, const char *topic, uint32_t partition,
    uint8_t acks, uint32_t n, size_t value_len, uint64_t *base);

/* The outcome of a one-partition fetch. */
typedef struct evlt_fetch_result {
	int      status;      /* the frame's */
	uint16_t error;       /* the partition's */
	uint64_t first_offset;
	uint64_t next_offset;
	uint32_t batches;     /* whole batches returned */
	uint64_t records;     /* records in them */
	size_t   bytes;       /* batch bytes */
} evlt_fetch_result;

/* Fetches one partition; returns 0 or -1 when the call failed or the
 * answer does not decode. */
int evlt_fetch(nng_socket s, const char *topic, uint32_t partition,
    uint64_t offset, uint32_t max_wait_ms, uint32_t max_bytes,
    evlt_fetch_result *out);

/* A partition's head offset via LIST_OFFSETS (latest); -1 on error. */
int64_t evlt_head(nng_socket s, const char *topic, uint32_t partition);

#endif /* EVLT_HARNESS_H */
