/*
 * producer.c -- the batching producer.
 *
 * Records are encoded once, straight into the open batch of their
 * partition (evlp_batch_builder into a buffer from a free list); nothing
 * is allocated per record.  A batch is sealed when the next record does
 * not fit, when it has lingered linger_ms, or on flush, and queued behind
 * its partition's batch in flight.  Each partition keeps ONE batch in
 * flight, so the broker applies its batches in order, and has its own
 * nng_ctx and aio: many partitions are in flight at once over the one
 * connection, driven by aio callbacks on NNG's threads (no thread per
 * request).  The only thread of our own is the linger timer.
 *
 * Threads and locks:
 *  - part->mu guards one partition: its open batch, sealed queue, batch
 *    in flight and the state of its aio.  evl_produce takes it per record;
 *    the aio callback and the timer take it per batch.  No NNG call is
 *    made under it: the operation to start on the aio is noted (kick)
 *    and started by part_unlock once the lock is released.  Every
 *    nng_ctx_send and nng_ctx_recv takes the REQ socket's one lock, which
 *    NNG holds across the write to the connection; a partition lock held
 *    across that wait made the producing thread and the other
 *    partitions' callbacks queue behind a thread that the scheduler had
 *    preempted, for tens of ms on a busy machine (docs/PERFORMANCE.md).
 *    The aio is busy from the kick on (state is not PART_IDLE), so
 *    nothing else starts an operation on it in between.
 *  - p->tmu guards the linger list; taken inside part->mu, never around
 *    it.
 *  - p->mu guards the topic list's writers, the free list of batch
 *    buffers, the first delivery error and the condition variable that
 *    blocked producers and flush wait on.  Never held while calling out.
 *  - buffered (bytes queued) and outstanding (records undelivered) are
 *    atomics; a thread that waits on either announces itself in waiters
 *    before re-checking, and the side that frees space checks waiters
 *    after changing the count (both seq_cst), so no wake-up is lost.
 * Delivery callbacks run on NNG's threads with no lock held, one batch at
 * a time per partition and in offset order: the next batch of a
 * partition is started only after the previous one's records are
 * reported.
 *
 * Retries and the duplicate window.  A batch whose request fails with a
 * retryable error -- EVL_ECONNRESET (the connection dropped; REQ with an
 * infinite resend time fails the request, client_int.h), EVL_ETIMEDOUT,
 * EVL_EBUSY, EVL_ETHROTTLED, EVL_ESHUTDOWN, and EVL_EAUTHREQUIRED when
 * the client has credentials (auth.c logs in again) -- is sent again,
 * alone and still first in its partition, until delivery_timeout_ms.  If the broker
 * had appended the batch before the answer was lost, the retry appends it
 * a second time -- unless the producer is idempotent (opts.idempotent):
 * then every batch carries a producer id, an epoch and the sequence of
 * its first record per partition, stamped when it is first sent (in send
 * order, one batch in flight per partition), and a re-send of the same
 * bytes is recognised by the broker, which answers with the original
 * offsets and appends nothing (PROTOCOL.md §4.4).  A batch given up on
 * after it was sent may or may not have landed; the partition then moves
 * to the next epoch, whose sequences start again at 0, so the next batch
 * is not refused for the gap.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "client_int.h"
#include "crc32c.h"
#include "msg.h"
#include "ops.h"
#include "partition.h"

#define DEFAULT_LINGER_MS    5
#define DEFAULT_BATCH_BYTES  ((size_t) 1 << 20)
#define DEFAULT_BUFFER_BYTES ((size_t) 64 << 20)
#define DEFAULT_DELIVERY_MS  30000
#define MIN_BATCH_BYTES      ((size_t) 1024)
/* Free batch buffers kept for reuse. */
#define FREE_BUFFERS_MAX 32
/* Per-record overhead counted against buffer_bytes on top of its bytes. */
#define RECORD_OVERHEAD 24
/* Pause before re-sending after EVL_EBUSY and friends with no hint. */
#define RETRY_BACKOFF_MS 50
#define STACK_HEADERS    16

/* The NNG operation to start on a partition's aio after part->mu. */
enum part_kick {
	KICK_NONE,
	KICK_SEND,  /* nng_ctx_send */
	KICK_RECV,  /* nng_ctx_recv */
	KICK_SLEEP, /* nng_sleep_aio(kick_ms) */
};

enum part_state {
	PART_IDLE,       /* nothing in flight */
	PART_SEND,       /* the aio is sending the batch */
	PART_RECV,       /* the aio waits for the answer */
	PART_BACKOFF,    /* the aio sleeps before a re-send */
	PART_EXPIRED,    /* the aio finishes a batch past its deadline */
	PART_DELIVERING, /* the callback reports the batch (no lock held) */
};

typedef struct pbatch {
	struct pbatch     *next; /* sealed queue or free list */
	uint8_t           *buf;
	size_t             cap;
	evlp_batch_builder b;
	size_t             len;     /* finished size */
	void             **opaques; /* one per record; kept across reuses */
	size_t             opaques_cap;
	size_t             acct;      /* bytes reserved in buffered */
	uint64_t           opened_ms; /* first record queued */
	uint64_t           deadline_ms;
	bool               stamped; /* idempotent: producer fields set */
} pbatch;

typedef struct ptopic ptopic;

typedef struct ppart {
	evl_producer   *p;
	ptopic         *t;
	uint32_t        id;
	pthread_mutex_t mu;
	pbatch         *open;
	pbatch         *qhead, *qtail;
	pbatch         *inflight;
	enum part_state state;
	uint32_t        req_id;
	nng_ctx         ctx;
	nng_aio        *aio;
	enum part_kick  kick; /* started by part_unlock */
	nng_duration    kick_ms;
	/* Idempotent producer (part->mu): the id and epoch of this
	 * partition's batches and the next batch's first sequence. */
	int64_t pid;
	int16_t epoch;
	int32_t next_seq;
	/* On the linger list (under p->tmu). */
	bool          in_linger;
	uint64_t      linger_at;
	struct ppart *linger_next;
} ppart;

struct ptopic {
	ptopic     *next; /* immutable once published */
	char       *name;
	size_t      name_len;
	uint32_t    nparts;
	atomic_uint rr; /* round-robin for keyless records */
	ppart      *parts;
};

struct evl_producer {
	evl_client       *c;
	evl_producer_opts o;
	int64_t           pid; /* idempotent producer id */
	_Atomic(ptopic *) topics;

	pthread_mutex_t mu;
	pthread_cond_t  cond;
	pbatch         *free;
	size_t          nfree;
	int             first_err;

	atomic_size_t buffered;
	atomic_size_t outstanding;
	atomic_int    waiters;
	atomic_int    flushing;
	atomic_bool   closing;

	pthread_t       timer;
	bool            timer_started;
	pthread_mutex_t tmu;
	pthread_cond_t  tcond;
	ppart          *lhead, *ltail;
	bool            tstop;
};

static void part_cb(void *arg);

/* Notes the operation to start on part's aio once part->mu is released.
 * part->mu held. */
static void
part_kick(ppart *part, enum part_kick k, nng_duration ms)
{
	part->kick    = k;
	part->kick_ms = ms;
}

/* Releases part->mu, then starts the operation noted by part_kick. */
static void
part_unlock(ppart *part)
{
	enum part_kick k  = part->kick;
	nng_duration   ms = part->kick_ms;
	part->kick        = KICK_NONE;
	pthread_mutex_unlock(&part->mu);
	switch (k) {
	case KICK_SEND:
		nng_ctx_send(part->ctx, part->aio);
		break;
	case KICK_RECV:
		nng_ctx_recv(part->ctx, part->aio);
		break;
	case KICK_SLEEP:
		nng_sleep_aio(ms, part->aio);
		break;
	case KICK_NONE:
		break;
	}
}

void
evl_producer_opts_init(evl_producer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->acks                = EVL_ACKS_WRITTEN;
	o->linger_ms           = DEFAULT_LINGER_MS;
	o->batch_bytes         = DEFAULT_BATCH_BYTES;
	o->buffer_bytes        = DEFAULT_BUFFER_BYTES;
	o->delivery_timeout_ms = DEFAULT_DELIVERY_MS;
}

static void
cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

/* Waits on cv until the monotonic time at_ms; returns false at the time. */
static bool
cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t at_ms)
{
	struct timespec ts = { (time_t) (at_ms / 1000),
		(long) (at_ms % 1000) * 1000000L };
	return pthread_cond_timedwait(cv, mu, &ts) == 0;
}

/* ---- batch buffers ----------------------------------------------------- */

static pbatch *
batch_get(evl_producer *p)
{
	pbatch *b;
	pthread_mutex_lock(&p->mu);
	if ((b = p->free) != NULL) {
		p->free = b->next;
		p->nfree--;
	}
	pthread_mutex_unlock(&p->mu);
	if (b == NULL) {
		if (EVLP_ALLOC_STRUCT(b) == NULL)
			return NULL;
		b->cap = p->o.batch_bytes;
		if ((b->buf = evlp_alloc(b->cap)) == NULL) {
			evlp_free(b);
			return NULL;
		}
	}
	b->next    = NULL;
	b->acct    = 0;
	b->len     = 0;
	b->stamped = false;
	evlp_batch_build_init(&b->b, b->buf, b->cap);
	return b;
}

static void
batch_destroy(pbatch *b)
{
	evlp_free(b->buf);
	evlp_free(b->opaques);
	evlp_free(b);
}

static void
batch_put(evl_producer *p, pbatch *b)
{
	pthread_mutex_lock(&p->mu);
	if (p->nfree < FREE_BUFFERS_MAX) {
		b->next = p->free;
		p->free = b;
		p->nfree++;
		b = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	if (b)
		batch_destroy(b);
}

/* ---- accounting -------------------------------------------------------- */

static void
wake_waiters(evl_producer *p)
{
	pthread_mutex_lock(&p->mu);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
}

/* Reserves n bytes of buffer_bytes, blocking until deadline_ms.  A record
 * always fits in an empty buffer, so a record larger than the buffer
 * cannot block forever. */
static int
reserve(evl_producer *p, size_t n, uint64_t deadline_ms)
{
	size_t cur = atomic_load(&p->buffered);
	for (;;) {
		while (cur == 0 || cur + n <= p->o.buffer_bytes) {
			if (atomic_compare_exchange_weak(
			        &p->buffered, &cur, cur + n))
				return 0;
		}
		int rv = 0;
		pthread_mutex_lock(&p->mu);
		atomic_fetch_add(&p->waiters, 1);
		for (;;) {
			cur = atomic_load(&p->buffered);
			if (cur == 0 || cur + n <= p->o.buffer_bytes)
				break;
			if (atomic_load(&p->closing)) {
				rv = EVL_ECLOSED;
				break;
			}
			if (!cond_wait_until(&p->cond, &p->mu, deadline_ms) &&
			    evlc_now_ms() >= deadline_ms) {
				rv = EVL_ETIMEDOUT;
				break;
			}
		}
		atomic_fetch_sub(&p->waiters, 1);
		pthread_mutex_unlock(&p->mu);
		if (rv != 0)
			return rv;
	}
}

/* Gives back a delivered batch's bytes and records; wakes who waits. */
static void
release(evl_producer *p, size_t bytes, size_t records)
{
	atomic_fetch_sub(&p->buffered, bytes);
	size_t left = atomic_fetch_sub(&p->outstanding, records) - records;
	if (atomic_load(&p->waiters) > 0 || left == 0)
		wake_waiters(p);
}

/* ---- linger timer ------------------------------------------------------ */

/* Puts part on the linger list to be looked at at at_ms.  part->mu held;
 * deadlines are nearly in append order, as linger_ms is one constant. */
static void
linger_add(ppart *part, uint64_t at_ms)
{
	evl_producer *p = part->p;
	pthread_mutex_lock(&p->tmu);
	if (!part->in_linger) {
		part->in_linger   = true;
		part->linger_at   = at_ms;
		part->linger_next = NULL;
		if (p->ltail)
			p->ltail->linger_next = part;
		else
			p->lhead = part;
		p->ltail = part;
		if (p->lhead == part)
			pthread_cond_signal(&p->tcond);
	}
	pthread_mutex_unlock(&p->tmu);
}

static void pump(ppart *part);

static void *
timer_main(void *arg)
{
	evl_producer *p = arg;
	pthread_mutex_lock(&p->tmu);
	while (!p->tstop) {
		ppart   *part = p->lhead;
		uint64_t now  = evlc_now_ms();
		if (part == NULL) {
			pthread_cond_wait(&p->tcond, &p->tmu);
			continue;
		}
		if (part->linger_at > now) {
			cond_wait_until(&p->tcond, &p->tmu, part->linger_at);
			continue;
		}
		p->lhead = part->linger_next;
		if (p->lhead == NULL)
			p->ltail = NULL;
		part->in_linger = false;
		pthread_mutex_unlock(&p->tmu);

		pthread_mutex_lock(&part->mu);
		if (part->open != NULL) {
			uint64_t due = part->open->opened_ms + p->o.linger_ms;
			if (due <= now)
				pump(part);
			else
				linger_add(part, due);
		}
		part_unlock(part);
		pthread_mutex_lock(&p->tmu);
	}
	pthread_mutex_unlock(&p->tmu);
	return NULL;
}

/* ---- sending ----------------------------------------------------------- */

typedef struct produce_arg {
	const ptopic *t;
	uint32_t      partition;
	uint8_t       acks;
	uint32_t      timeout_ms;
	evlp_view     batch;
} produce_arg;

static void
produce_encode(evlp_wr *w, const void *arg)
{
	const produce_arg *a = arg;
	evlp_produce_req   r = {
		  .topic = { (const uint8_t *) a->t->name, a->t->name_len },
		  .partition        = a->partition,
		  .acks             = a->acks,
		  .expected_version = EVLP_VERSION_ANY,
		  .timeout_ms       = a->timeout_ms,
		  .batch            = a->batch,
	};
	evlp_produce_req_encode(w, &r);
}

/* Seals the open batch onto the queue.  part->mu held. */
static void
seal(ppart *part)
{
	pbatch *b  = part->open;
	part->open = NULL;
	/* Cannot fail: the builder has records and no error. */
	(void) evlp_batch_build_finish(&b->b, &b->len);
	if (part->qtail)
		part->qtail->next = b;
	else
		part->qhead = b;
	part->qtail = b;
}

/* A random idempotent producer id: 63 bits, so it is never -1. */
static int64_t
producer_id_new(void)
{
	return (int64_t) ((((uint64_t) nng_random() << 32) | nng_random()) &
	    (uint64_t) INT64_MAX);
}

/*
 * Stamps part's producer id, epoch and next sequence into batch b on its
 * first send (bytes 48-63 of the header are inside the CRC, which is
 * redone).  Re-sends carry the same bytes.  part->mu held.
 */
static void
idem_stamp(ppart *part, pbatch *b)
{
	if (!part->p->o.idempotent || b->stamped)
		return;
	evlp_put_u64(b->buf + 48, (uint64_t) part->pid);
	evlp_put_u16(b->buf + 56, (uint16_t) part->epoch);
	evlp_put_u32(b->buf + 60, (uint32_t) part->next_seq);
	evlp_put_u32(b->buf + 20, evlp_crc32c(0, b->buf + EVLP_BATCH_CRC_START,
	                              b->len - EVLP_BATCH_CRC_START));
	part->next_seq = (int32_t) (((int64_t) part->next_seq + b->b.count) %
	    ((int64_t) INT32_MAX + 1));
	b->stamped = true;
}

/* A sent batch was given up on: it may have landed or not, so the next
 * one cannot follow its sequence.  A new epoch starts at 0.  part->mu
 * held. */
static void
idem_abandon(ppart *part, pbatch *b)
{
	if (!part->p->o.idempotent || !b->stamped)
		return;
	if (part->epoch == INT16_MAX) {
		part->pid   = producer_id_new();
		part->epoch = 0;
	} else {
		part->epoch++;
	}
	part->next_seq = 0;
}

/* Starts (or restarts) the request for part->inflight.  part->mu held;
 * the aio is idle. */
static void
send_start(ppart *part)
{
	evl_producer *p   = part->p;
	pbatch       *b   = part->inflight;
	uint64_t      now = evlc_now_ms();
	nng_msg      *m;

	if (now >= b->deadline_ms) {
		/* Finished through the callback, which reports. */
		part->state = PART_EXPIRED;
		part_kick(part, KICK_SLEEP, 0);
		return;
	}
	uint64_t left = b->deadline_ms - now;
	if (left > p->c->timeout_ms)
		left = p->c->timeout_ms;
	idem_stamp(part, b);
	produce_arg a = { part->t, part->id, (uint8_t) p->o.acks,
		(uint32_t) left, { b->buf, b->len } };
	part->req_id  = atomic_fetch_add(&p->c->next_id, 1);
	if (evlc_msg_build(&m, EVLP_OP_PRODUCE, part->req_id, produce_encode,
	        &a) != 0) {
		/* Out of memory: try again shortly. */
		part->state = PART_BACKOFF;
		part_kick(part, KICK_SLEEP, RETRY_BACKOFF_MS);
		return;
	}
	part->state = PART_SEND;
	nng_aio_set_timeout(part->aio, (nng_duration) left);
	nng_aio_set_msg(part->aio, m);
	part_kick(part, KICK_SEND, 0);
}

/*
 * Starts the next batch of an idle partition: the head of the queue, else
 * the open batch once it has lingered enough (or at once while a flush
 * waits or linger_ms is 0).  part->mu held.
 */
static void
pump(ppart *part)
{
	evl_producer *p = part->p;
	/* Closing: nothing new starts; evl_producer_close reports what is
	 * left. */
	if (part->state != PART_IDLE || atomic_load(&p->closing))
		return;
	if (part->qhead == NULL && part->open != NULL) {
		uint64_t due = part->open->opened_ms + p->o.linger_ms;
		if (p->o.linger_ms == 0 || atomic_load(&p->flushing) > 0 ||
		    atomic_load(&p->closing) || due <= evlc_now_ms())
			seal(part);
	}
	pbatch *b = part->qhead;
	if (b == NULL)
		return;
	part->qhead = b->next;
	if (part->qhead == NULL)
		part->qtail = NULL;
	b->next        = NULL;
	part->inflight = b;
	send_start(part);
}

static bool
produce_retryable(int err)
{
	switch (err) {
	case EVL_ECONNRESET:
	case EVL_ECONNREFUSED:
	case EVL_ETIMEDOUT:
	case EVL_EBUSY:
	case EVL_ETHROTTLED:
	case EVL_ESHUTDOWN:
		return true;
	default:
		return false;
	}
}

/* Reports every record of b and gives its resources back.  No lock. */
static void
deliver(ppart *part, pbatch *b, int err, uint64_t base)
{
	evl_producer *p     = part->p;
	uint32_t      count = b->b.count;
	if (p->o.on_delivery) {
		evl_delivery d = { .err = err,
			.topic         = part->t->name,
			.partition     = part->id };
		for (uint32_t i = 0; i < count; i++) {
			d.offset = (err == 0 && base != UINT64_MAX) ? base + i
			                                             : UINT64_MAX;
			d.opaque = b->opaques[i];
			p->o.on_delivery(p->o.on_delivery_arg, &d);
		}
	}
	if (err != 0) {
		pthread_mutex_lock(&p->mu);
		if (p->first_err == 0)
			p->first_err = err;
		pthread_mutex_unlock(&p->mu);
	}
	size_t acct = b->acct;
	batch_put(p, b);
	release(p, acct, count);
}

/* Decodes a produce answer; 0 with *base, or an error. */
static int
answer(ppart *part, nng_msg *msg, uint64_t *base, int64_t *detail)
{
	evlp_view         body;
	evlp_produce_resp r;
	evl_client       *c  = part->p->c;
	int               rv = evlc_resp_check(
                c, msg, EVLP_OP_PRODUCE, part->req_id, &body, detail);
	if (rv != 0)
		return rv;
	if ((rv = evlp_produce_resp_decode(body, &r)) != 0)
		return evlc_fail(c, rv, "malformed PRODUCE response");
	if (r.count != part->inflight->b.count)
		return evlc_fail(c, EVL_EPROTO,
		    "broker acknowledged %u records of %u", (unsigned) r.count,
		    (unsigned) part->inflight->b.count);
	*base = r.base_offset;
	return 0;
}

static void
part_cb(void *arg)
{
	ppart        *part   = arg;
	evl_producer *p      = part->p;
	int           rv     = nng_aio_result(part->aio);
	int64_t       detail = 0;
	uint64_t      base   = UINT64_MAX;
	int           err;

	pthread_mutex_lock(&part->mu);
	switch (part->state) {
	case PART_SEND:
		if (rv == 0) {
			part->state = PART_RECV;
			part_kick(part, KICK_RECV, 0);
			part_unlock(part);
			return;
		}
		nng_msg_free(nng_aio_get_msg(part->aio));
		nng_aio_set_msg(part->aio, NULL);
		err = evlc_nng_err(rv);
		break;
	case PART_RECV:
		if (rv == 0) {
			nng_msg *msg = nng_aio_get_msg(part->aio);
			nng_aio_set_msg(part->aio, NULL);
			err = answer(part, msg, &base, &detail);
			nng_msg_free(msg);
		} else {
			err = evlc_nng_err(rv);
		}
		break;
	case PART_BACKOFF:
		if (rv == 0 && !atomic_load(&p->closing)) {
			send_start(part);
			part_unlock(part);
			return;
		}
		err = rv ? evlc_nng_err(rv) : EVL_ECLOSED;
		break;
	case PART_EXPIRED:
		err = atomic_load(&p->closing) ? EVL_ECLOSED : EVL_ETIMEDOUT;
		break;
	default:
		/* Cannot happen: an aio completes only in the states above. */
		part_unlock(part);
		return;
	}
	if (err == EVL_ETIMEDOUT && atomic_load(&p->c->pipes) == 0)
		err = EVL_ECONNREFUSED;

	/* Refused as unauthenticated: a reconnect raced the login.  The
	 * batch had no effect; the auth thread logs in (no blocking on an
	 * NNG thread) while this partition backs off, then re-sends. */
	bool relogin = err == EVL_EAUTHREQUIRED && evlc_auth_kick(p->c);
	pbatch *b = part->inflight;
	if (err != 0 && (produce_retryable(err) || relogin) &&
	    !atomic_load(&p->closing) && evlc_now_ms() < b->deadline_ms) {
		if (err == EVL_ECONNRESET || err == EVL_ETIMEDOUT ||
		    err == EVL_ECONNREFUSED) {
			/* The re-send waits in REQ's queue for a pipe. */
			send_start(part);
		} else {
			/* The broker's hint (a quota's debt may be long),
			 * but no later than the batch's deadline, which the
			 * re-send then reports. */
			uint64_t now   = evlc_now_ms();
			uint64_t left  = b->deadline_ms > now
			     ? b->deadline_ms - now
			     : 0;
			uint64_t pause = detail > 0 ? (uint64_t) detail
			                            : RETRY_BACKOFF_MS;
			if (pause > left)
				pause = left;
			part->state = PART_BACKOFF;
			part_kick(part, KICK_SLEEP, (nng_duration) pause);
		}
		part_unlock(part);
		return;
	}
	if (err != 0)
		idem_abandon(part, b);
	part->inflight = NULL;
	part->state    = PART_DELIVERING;
	part_unlock(part);

	deliver(part, b, err, err == 0 ? base : UINT64_MAX);

	pthread_mutex_lock(&part->mu);
	part->state = PART_IDLE;
	pump(part);
	part_unlock(part);
}

/* ---- topics ------------------------------------------------------------ */

static void
topic_free(ptopic *t)
{
	for (uint32_t i = 0; t->parts && i < t->nparts; i++) {
		ppart *part = &t->parts[i];
		if (part->aio) {
			nng_aio_free(part->aio);
			nng_ctx_close(part->ctx);
			pthread_mutex_destroy(&part->mu);
		}
	}
	evlp_free(t->parts);
	evlp_free(t->name);
	evlp_free(t);
}

static ptopic *
topic_find(evl_producer *p, const char *name)
{
	for (ptopic *t = atomic_load(&p->topics); t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* The producer's state for a topic, made on first use from the client's
 * metadata cache (one DESCRIBE_TOPIC per topic per client). */
static int
topic_get(evl_producer *p, const char *name, ptopic **out)
{
	ptopic  *t;
	uint32_t n;
	int      rv;
	if ((t = topic_find(p, name)) != NULL) {
		*out = t;
		return 0;
	}
	if ((rv = evlc_topic_partitions(p->c, name, &n)) != 0)
		return rv;
	if (EVLP_ALLOC_STRUCT(t) == NULL)
		return EVL_ENOMEM;
	t->nparts   = n;
	t->name_len = strlen(name);
	if ((t->name = evlp_strdup(name)) == NULL ||
	    (t->parts = evlp_zalloc(n * sizeof(ppart))) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		ppart *part = &t->parts[i];
		part->p     = p;
		part->t     = t;
		part->id    = i;
		part->state = PART_IDLE;
		part->pid   = p->pid;
		if ((rv = evlc_ctx_open(p->c, &part->ctx)) != 0)
			goto fail;
		if ((rv = nng_aio_alloc(&part->aio, part_cb, part)) != 0) {
			nng_ctx_close(part->ctx);
			rv = evlc_nng_err(rv);
			goto fail;
		}
		pthread_mutex_init(&part->mu, NULL);
	}
	pthread_mutex_lock(&p->mu);
	ptopic *raced = topic_find(p, name);
	if (raced == NULL) {
		t->next = atomic_load(&p->topics);
		atomic_store(&p->topics, t);
	}
	pthread_mutex_unlock(&p->mu);
	if (raced) {
		topic_free(t);
		t = raced;
	}
	*out = t;
	return 0;
fail:
	topic_free(t);
	return rv;
}

/* ---- the API ----------------------------------------------------------- */

int
evl_producer_open(
    evl_producer **out, evl_client *c, const evl_producer_opts *o)
{
	evl_producer_opts def;
	evl_producer     *p;
	int               rv;
	if (out == NULL || c == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	if (o == NULL) {
		evl_producer_opts_init(&def);
		o = &def;
	}
	if (o->acks < EVL_ACKS_NONE || o->acks > EVL_ACKS_FSYNC)
		return evlc_fail(c, EVL_EINVAL, "bad acks %d", o->acks);
	if (o->idempotent && o->acks == EVL_ACKS_NONE)
		return evlc_fail(c, EVL_EINVAL,
		    "an idempotent producer needs acks written or fsync");
	if (EVLP_ALLOC_STRUCT(p) == NULL)
		return EVL_ENOMEM;
	p->c   = c;
	p->o   = *o;
	p->pid = producer_id_new();
	if (p->o.batch_bytes == 0)
		p->o.batch_bytes = DEFAULT_BATCH_BYTES;
	if (p->o.batch_bytes < MIN_BATCH_BYTES)
		p->o.batch_bytes = MIN_BATCH_BYTES;
	/* A batch must fit in what a broker will take in one message. */
	if (p->o.batch_bytes > EVLC_RECV_MAX - EVLC_RESP_SLACK)
		p->o.batch_bytes = EVLC_RECV_MAX - EVLC_RESP_SLACK;
	if (p->o.buffer_bytes == 0)
		p->o.buffer_bytes = DEFAULT_BUFFER_BYTES;
	if (p->o.delivery_timeout_ms == 0)
		p->o.delivery_timeout_ms = DEFAULT_DELIVERY_MS;
	atomic_init(&p->topics, NULL);
	atomic_init(&p->buffered, 0);
	atomic_init(&p->outstanding, 0);
	atomic_init(&p->waiters, 0);
	atomic_init(&p->flushing, 0);
	atomic_init(&p->closing, false);
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->tmu, NULL);
	cond_init_mono(&p->cond);
	cond_init_mono(&p->tcond);
	if (p->o.linger_ms > 0) {
		if (pthread_create(&p->timer, NULL, timer_main, p) != 0) {
			rv = EVL_ENOMEM;
			goto fail;
		}
		p->timer_started = true;
	}
	if ((rv = evlc_register(c, p, EVLC_PRODUCER)) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	if (p->timer_started) {
		pthread_mutex_lock(&p->tmu);
		p->tstop = true;
		pthread_cond_signal(&p->tcond);
		pthread_mutex_unlock(&p->tmu);
		pthread_join(p->timer, NULL);
	}
	pthread_cond_destroy(&p->cond);
	pthread_cond_destroy(&p->tcond);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->tmu);
	evlp_free(p);
	return rv;
}

/* evl_header -> evlp_header views, on the stack when few. */
static int
headers_conv(const evl_message *m, evlp_header *stack, evlp_header **out)
{
	evlp_header *h = stack;
	if (m->header_count == 0) {
		*out = NULL;
		return 0;
	}
	if (m->headers == NULL)
		return EVL_EINVAL;
	if (m->header_count > STACK_HEADERS &&
	    (h = evlp_alloc(m->header_count * sizeof(*h))) == NULL)
		return EVL_ENOMEM;
	for (size_t i = 0; i < m->header_count; i++) {
		h[i].name.p    = (const uint8_t *) m->headers[i].name;
		h[i].name.len  = m->headers[i].name_len;
		h[i].value.p   = m->headers[i].value;
		h[i].value.len = m->headers[i].value_len;
	}
	*out = h;
	return 0;
}

static size_t
record_acct(const evl_message *m)
{
	size_t n = m->key_len + m->value_len + RECORD_OVERHEAD;
	for (size_t i = 0; i < m->header_count; i++)
		n += m->headers[i].name_len + m->headers[i].value_len + 2;
	return n;
}

/* Picks the partition of m: explicit, key hash, or round-robin. */
static int
choose(ptopic *t, const evl_message *m, uint32_t *out)
{
	if (m->partition != EVL_PARTITION_ANY) {
		if (m->partition >= t->nparts)
			return EVL_ENOPART;
		*out = m->partition;
	} else if (m->key != NULL) {
		*out = evlp_partition_for_key(m->key, m->key_len, t->nparts);
	} else {
		*out = atomic_fetch_add(&t->rr, 1) % t->nparts;
	}
	return 0;
}

/* Appends one record to the open batch of part.  part->mu held. */
static int
append(ppart *part, const evlp_record_in *rin, void *opaque, size_t acct)
{
	evl_producer *p = part->p;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (part->open == NULL) {
			pbatch *b = batch_get(p);
			if (b == NULL)
				return EVL_ENOMEM;
			b->opened_ms   = evlc_now_ms();
			b->deadline_ms = b->opened_ms + p->o.delivery_timeout_ms;
			part->open     = b;
			if (p->o.linger_ms > 0)
				linger_add(
				    part, b->opened_ms + p->o.linger_ms);
		}
		pbatch *b = part->open;
		if (b->b.count == b->opaques_cap) {
			/* Grows once per buffer life, then is reused. */
			size_t n  = b->opaques_cap ? b->opaques_cap * 2 : 256;
			void **ng = evlp_realloc(b->opaques, n * sizeof(void *));
			if (ng == NULL)
				return EVL_ENOMEM;
			b->opaques     = ng;
			b->opaques_cap = n;
		}
		int rv = evlp_batch_build_add(&b->b, rin);
		if (rv == 0) {
			b->opaques[b->b.count - 1] = opaque;
			b->acct += acct;
			return 0;
		}
		if (rv != EVL_ETOOBIG || b->b.count == 0)
			return rv;
		seal(part); /* full: the record opens the next batch */
	}
	return EVL_ETOOBIG;
}

int
evl_produce(evl_producer *p, const evl_message *m)
{
	evlp_header    hstack[STACK_HEADERS];
	evlp_header   *hdrs = NULL;
	evlp_record_in rin;
	ptopic        *t = NULL;
	uint32_t       part_id;
	int            rv;

	if (p == NULL || m == NULL || m->topic == NULL)
		return EVL_EINVAL;
	if (atomic_load(&p->closing))
		return EVL_ECLOSED;
	if ((rv = topic_get(p, m->topic, &t)) != 0)
		return rv;
	if ((rv = choose(t, m, &part_id)) != 0)
		return evlc_fail(p->c, rv, "%s has no partition %u", t->name,
		    (unsigned) m->partition);
	if ((rv = headers_conv(m, hstack, &hdrs)) != 0)
		return rv;
	rin.key          = m->key;
	rin.key_len      = m->key_len;
	/* A NULL value is a tombstone; an empty one is "" (not NULL). */
	rin.value        = m->value ? m->value : (m->value_len ? NULL : "");
	rin.value_len    = m->value_len;
	rin.headers      = hdrs;
	rin.header_count = m->header_count;
	rin.timestamp    = m->timestamp;
	rin.attributes   = 0;
	if (m->value == NULL && m->value_len != 0) {
		rv = EVL_EINVAL;
		goto out;
	}
	if (EVLP_BATCH_HEADER_SIZE + evlp_record_size(&rin, m->timestamp, 0) >
	    p->o.batch_bytes) {
		rv = evlc_fail(p->c, EVL_ETOOBIG,
		    "record of %zu bytes over batch_bytes %zu",
		    m->key_len + m->value_len, p->o.batch_bytes);
		goto out;
	}
	size_t acct = record_acct(m);
	if ((rv = reserve(p, acct, evlc_now_ms() + p->c->timeout_ms)) != 0)
		goto out;
	atomic_fetch_add(&p->outstanding, 1);

	ppart *part = &t->parts[part_id];
	pthread_mutex_lock(&part->mu);
	rv = append(part, &rin, m->opaque, acct);
	if (rv == 0)
		pump(part);
	part_unlock(part);
	if (rv != 0)
		release(p, acct, 1);
out:
	if (hdrs != hstack)
		evlp_free(hdrs);
	return rv;
}

/* Asks every partition to send what it holds now. */
static void
push_all(evl_producer *p)
{
	for (ptopic *t = atomic_load(&p->topics); t != NULL; t = t->next) {
		for (uint32_t i = 0; i < t->nparts; i++) {
			ppart *part = &t->parts[i];
			pthread_mutex_lock(&part->mu);
			if (part->open != NULL && part->state != PART_IDLE)
				seal(part);
			pump(part);
			part_unlock(part);
		}
	}
}

int
evl_producer_flush(evl_producer *p, uint32_t timeout_ms)
{
	if (p == NULL)
		return EVL_EINVAL;
	uint64_t deadline = evlc_now_ms() + timeout_ms;
	int      rv       = 0;
	atomic_fetch_add(&p->flushing, 1);
	push_all(p);
	pthread_mutex_lock(&p->mu);
	atomic_fetch_add(&p->waiters, 1);
	while (atomic_load(&p->outstanding) > 0) {
		if (!cond_wait_until(&p->cond, &p->mu, deadline) &&
		    evlc_now_ms() >= deadline) {
			rv = EVL_ETIMEDOUT;
			break;
		}
	}
	atomic_fetch_sub(&p->waiters, 1);
	if (rv == 0) {
		rv           = p->first_err;
		p->first_err = 0;
	}
	pthread_mutex_unlock(&p->mu);
	atomic_fetch_sub(&p->flushing, 1);
	return rv;
}

/* Reports the records of a batch that was never sent. */
static void
abandon(ppart *part, pbatch *b)
{
	if (b->b.count > 0)
		deliver(part, b, EVL_ECLOSED, UINT64_MAX);
	else
		batch_put(part->p, b);
}

void
evl_producer_close(evl_producer *p)
{
	if (p == NULL)
		return;
	(void) evl_producer_flush(p, p->c->timeout_ms);
	atomic_store(&p->closing, true);
	wake_waiters(p);
	if (p->timer_started) {
		pthread_mutex_lock(&p->tmu);
		p->tstop = true;
		pthread_cond_signal(&p->tcond);
		pthread_mutex_unlock(&p->tmu);
		pthread_join(p->timer, NULL);
	}
	/* Stop every aio: a request in flight is cancelled and its batch
	 * reported (EVL_ECLOSED) by the callback; closing keeps the
	 * callback from starting the next one.  An operation a callback
	 * started while the stop was under way is refused by NNG 1.5.2
	 * without a callback (nni_aio_begin sees a_stop): its batch stays
	 * in inflight and its request on the aio, both handled below. */
	for (ptopic *t = atomic_load(&p->topics); t != NULL; t = t->next) {
		for (uint32_t i = 0; i < t->nparts; i++) {
			nng_aio_stop(t->parts[i].aio);
			nng_msg *m = nng_aio_get_msg(t->parts[i].aio);
			if (m != NULL) {
				nng_aio_set_msg(t->parts[i].aio, NULL);
				nng_msg_free(m);
			}
		}
	}
	ptopic *t = atomic_load(&p->topics);
	while (t != NULL) {
		ptopic *next = t->next;
		for (uint32_t i = 0; i < t->nparts; i++) {
			ppart  *part = &t->parts[i];
			pbatch *b;
			if (part->inflight) {
				abandon(part, part->inflight);
				part->inflight = NULL;
			}
			while ((b = part->qhead) != NULL) {
				part->qhead = b->next;
				abandon(part, b);
			}
			if (part->open) {
				abandon(part, part->open);
				part->open = NULL;
			}
		}
		topic_free(t);
		t = next;
	}
	evlc_unregister(p->c, p, EVLC_PRODUCER);
	pbatch *b;
	while ((b = p->free) != NULL) {
		p->free = b->next;
		batch_destroy(b);
	}
	pthread_cond_destroy(&p->cond);
	pthread_cond_destroy(&p->tcond);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->tmu);
	evlp_free(p);
}

/* ---- one record, synchronously ----------------------------------------- */

int
evl_produce_sync(
    evl_client *c, const evl_message *m, int acks, uint64_t *offset)
{
	evlp_header        hstack[STACK_HEADERS];
	evlp_header       *hdrs = NULL;
	evlp_record_in     rin;
	evlp_batch_builder bb;
	evlc_resp          resp = { 0 };
	evlp_produce_resp  r;
	uint8_t           *buf = NULL;
	uint32_t           nparts, part_id;
	int                rv;

	if (c == NULL || m == NULL || m->topic == NULL ||
	    acks < EVL_ACKS_NONE || acks > EVL_ACKS_FSYNC)
		return EVL_EINVAL;
	evlc_clear_err(c);
	if ((rv = evlc_topic_partitions(c, m->topic, &nparts)) != 0)
		return rv;
	ptopic tmp = { .name = (char *) m->topic,
		.name_len    = strlen(m->topic),
		.nparts      = nparts };
	if ((rv = choose(&tmp, m, &part_id)) != 0)
		return evlc_fail(c, rv, "%s has no partition %u", m->topic,
		    (unsigned) m->partition);
	if (m->value == NULL && m->value_len != 0)
		return EVL_EINVAL;
	if ((rv = headers_conv(m, hstack, &hdrs)) != 0)
		return rv;
	rin.key          = m->key;
	rin.key_len      = m->key_len;
	rin.value        = m->value ? m->value : "";
	rin.value_len    = m->value_len;
	rin.headers      = hdrs;
	rin.header_count = m->header_count;
	rin.timestamp    = m->timestamp;
	rin.attributes   = 0;
	size_t cap = EVLP_BATCH_HEADER_SIZE +
	    evlp_record_size(&rin, m->timestamp, 0);
	if (cap > EVLC_RECV_MAX - EVLC_RESP_SLACK) {
		rv = EVL_ETOOBIG;
		goto out;
	}
	if ((buf = evlp_alloc(cap)) == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}
	evlp_batch_build_init(&bb, buf, cap);
	size_t len;
	if ((rv = evlp_batch_build_add(&bb, &rin)) != 0 ||
	    (rv = evlp_batch_build_finish(&bb, &len)) != 0)
		goto out;
	produce_arg a = { &tmp, part_id, (uint8_t) acks, c->timeout_ms,
		{ buf, len } };
	/* Not idempotent: a cut connection is reported, not re-sent. */
	if ((rv = evlc_call(c, EVLP_OP_PRODUCE, produce_encode, &a, 0, 0,
	         &resp)) != 0)
		goto out;
	if ((rv = evlp_produce_resp_decode(resp.body, &r)) != 0) {
		evlc_fail(c, rv, "malformed PRODUCE response");
		goto out;
	}
	if (offset)
		*offset = r.base_offset;
out:
	evlc_resp_fini(&resp);
	evlp_free(buf);
	if (hdrs != hstack)
		evlp_free(hdrs);
	return rv;
}
