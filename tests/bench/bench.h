/*
 * bench.h -- what the parts of evlog-bench share.
 *
 * evlog-bench measures a broker through the real client library (evlog.h):
 * `produce` through the batching producer, `consume` through a reader from
 * the beginning, `latency` with a paced producer and a following reader in
 * one process, so both ends read the same monotonic clock.  Each command
 * prints a human table on stdout and, as its last line, one JSON object
 * (bench_report); progress goes to stderr.
 *
 * Exit status: 0 done, 1 the run failed, 2 usage error.
 */
#ifndef EVLB_BENCH_H
#define EVLB_BENCH_H

#include <evlog/evlog.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVLB_EXIT_OK    0
#define EVLB_EXIT_FAIL  1
#define EVLB_EXIT_USAGE 2

enum evlb_op { EVLB_PRODUCE, EVLB_CONSUME, EVLB_LATENCY };

/* The parsed command line; strings borrow from argv. */
typedef struct evlb_args {
	enum evlb_op op;
	const char  *url;   /* NULL: EVLOG_BROKER or the library default */
	const char  *topic; /* required */
	uint32_t     topics;     /* produce: spread over T-0 .. T-(N-1) */
	uint32_t     partitions; /* for a topic the run creates */
	uint64_t     records;    /* produce: total over all producers */
	uint64_t     size;       /* payload bytes per record */
	uint32_t     producers;
	uint32_t     batch;     /* most records in one batch; 0 = default */
	int64_t      linger_ms; /* -1 = the command's default */
	int          acks;      /* EVL_ACKS_* */
	uint64_t     rate;      /* latency: records per second */
	uint64_t     seconds;   /* latency: how long */
	uint32_t     timeout_ms; /* each request, and a reader's stall */
	bool         quiet;      /* no progress on stderr */
	const char  *group;      /* consume: as a member of this group */
} evlb_args;

/*
 * evlb_args_parse parses argv[1..argc) (the command first).  Returns 0
 * with *a filled, -1 after printing the help (exit 0), or
 * EVLB_EXIT_USAGE after printing "evlog-bench: <why>" on stderr.
 */
int evlb_args_parse(evlb_args *a, int argc, char **argv);

/* ---- latency histogram ---------------------------------------------- */

/*
 * A log-linear histogram of nanoseconds: exact below 2048 ns, then 1024
 * buckets per power of two (0.1% resolution) up to 2^41 ns (~36 min);
 * larger values land in the last bucket.  Adds are atomic and lock-free,
 * so delivery callbacks on several threads may record at once.
 */
#define EVLB_HIST_BUCKETS (2048 + 30 * 1024)

typedef struct evlb_hist {
	atomic_uint_fast64_t n;
	atomic_uint_fast64_t b[EVLB_HIST_BUCKETS];
} evlb_hist;

/* Zero-filled memory is an empty histogram; caller frees with free(). */
evlb_hist *evlb_hist_alloc(void);
void       evlb_hist_add(evlb_hist *h, uint64_t ns);
/* The q-quantile (0 < q <= 1) in nanoseconds; 0 when empty. */
uint64_t   evlb_hist_quantile(const evlb_hist *h, double q);

/* ---- results -------------------------------------------------------- */

typedef struct evlb_result {
	const char      *op; /* "produce", "consume", "latency" */
	uint64_t         records;
	uint64_t         payload_bytes; /* records * size */
	double           seconds;
	const evlb_hist *lat; /* NULL: no latency measured */
	const char      *lat_what; /* what the latency is of */
	/* A second latency, shown in the table only (the JSON line keeps
	 * its fields): NULL for none. */
	const evlb_hist *lat2;
	const char      *lat2_what;
} evlb_result;

/*
 * evlb_report prints the result table and the last line, one JSON object:
 * {"op","records","seconds","records_per_s","mb_per_s"} and, with a
 * histogram, "p50_us","p99_us","p999_us" (MB = 10^6 payload bytes).
 */
void evlb_report(const evlb_args *a, const evlb_result *r);

/* ---- shared helpers ------------------------------------------------- */

/* Monotonic nanoseconds. */
uint64_t evlb_now_ns(void);

/* Prints "evlog-bench: <msg>" (and the client's detail) on stderr. */
void evlb_fail(evl_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Opens a client on a->url with a->timeout_ms; prints why on failure. */
int evlb_client_open(const evlb_args *a, evl_client **out);

/* Creates topic with a->partitions when it does not exist.  0 or err. */
int evlb_topic_ensure(evl_client *c, const evlb_args *a, const char *topic);

/*
 * A pool of random (incompressible) bytes; evlb_payload returns size
 * bytes of it for record i, different for neighbouring records.
 */
int            evlb_payload_init(size_t size);
const uint8_t *evlb_payload(uint64_t i);

/* A thread printing "op: n records, r/s" on stderr every second while
 * *count moves, until evlb_progress_stop. */
typedef struct evlb_progress evlb_progress;
evlb_progress *evlb_progress_start(const evlb_args *a, const char *what,
    const atomic_uint_fast64_t *count, uint64_t total);
void           evlb_progress_stop(evlb_progress *p);

int evlb_produce_main(const evlb_args *a);
int evlb_consume_main(const evlb_args *a);
int evlb_latency_main(const evlb_args *a);

#endif /* EVLB_BENCH_H */
