/*
 * writer.c -- the group-commit writer thread.
 *
 * Appends from any number of threads wait in one FIFO queue.  The writer
 * takes all of them at once and, holding commit_mu:
 *   1. admits each (topic, partition and batch header; see writer_admit)
 *      and assigns offsets and a broker time from the partitions' group
 *      view (g_*), stamping both into the batch;
 *   2. writes every batch to the log database in one WriteBatch, synced
 *      when the policy, the interval or any append (acks=fsync) asks;
 *   3. writes their index entries, the touched partitions' counters and
 *      the applied-seq marker to the metadata database in one WriteBatch,
 *      unsynced: open replays the log past the marker, so the log alone
 *      must be durable;
 *   4. publishes the new heads under mu, then calls on_append and done.
 * Expected versions, producer sequences and evlog-id dedupe are checked
 * in admission (heads.h), against the same state, in the same group.
 * There is no per-record work: a batch's count and timestamps are in its
 * header.  Under INTERVAL the writer also wakes on a timer to sync an idle
 * store (an empty synced WriteBatch fsyncs LevelDB's WAL).
 */
#include "writer.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "batch.h"
#include "endian.h"
#include "store_int.h"

typedef struct writer_wait {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            done;
} writer_wait;

int
evls_append_submit(evls_store *s, evls_append *a)
{
	if (a == NULL || a->topic == NULL || a->batch == NULL ||
	    a->done == NULL || a->len < EVLP_BATCH_HEADER_SIZE)
		return EVL_EINVAL;
	a->next_     = NULL;
	a->dup_      = NULL;
	a->dup_skip_ = 0;
	a->duplicate = false;
	a->version   = -1;
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return EVL_ECLOSED;
	}
	if (s->qtail != NULL) {
		s->qtail->next_ = a;
	} else {
		s->qhead = a;
		pthread_cond_signal(&s->wake);
	}
	s->qtail = a;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void
wait_done(evls_append *a)
{
	writer_wait *w = a->arg;
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	/* The waiter may free w as soon as this unlock returns. */
	pthread_mutex_unlock(&w->mu);
}

int
evls_append_wait(evls_store *s, evls_append *a)
{
	writer_wait w = { .done = false };
	int         rv;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if (a != NULL) {
		a->done = wait_done;
		a->arg  = &w;
	}
	if ((rv = evls_append_submit(s, a)) == 0) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
		rv = a->err;
	}
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return rv;
}

int64_t
evls_clock_ms(evls_store *s)
{
	struct timespec ts;
	if (s->opt.clock_ms != NULL)
		return s->opt.clock_ms(s->opt.clock_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * writer_admit decides whether a joins the group: its topic and partition
 * exist, its batch header is sane and fills len, and the store is not
 * broken.  Call with mu and commit_mu held.
 *
 * Expected-version checks per key and producer-sequence dedupe follow in
 * writer_admit_heads, without mu (they read the metadata database).
 */
static int
writer_admit(evls_store *s, evls_append *a, evls_gitem *g)
{
	evlp_batch_hdr h;
	int            rv;
	if (s->broken)
		return s->broken;
	if ((rv = evls_part_find(s, a->topic, a->partition, &g->t, &g->p)) != 0)
		return rv;
	if (evlp_batch_peek(a->batch, a->len, &h) != 0 || h.size != a->len)
		return EVL_EPROTO;
	g->a     = a;
	g->count = h.count;
	return 0;
}

/*
 * The second admission pass, for appends to key-indexed topics and from
 * idempotent producers (heads.h): run here, on the one writer, against
 * state only the writer changes, counting what earlier appends of this
 * group reserved, they are atomic with the append.  An append they refuse
 * fails alone with its own err (EVL_EWRONGVERSION, EVL_ESEQUENCE ...), and
 * a producer's duplicate is answered without being written, while the
 * rest of the group commits.  Compacts the group; returns how many stay.
 * Call with commit_mu held (topics cannot change), mu not held.
 */
static size_t
writer_admit_heads(evls_store *s, size_t n)
{
	size_t kept = 0;
	evls_heads_clear(&s->heads);
	s->heads.now = evls_clock_ms(s);
	for (size_t i = 0; i < n; i++) {
		evls_gitem  *g = &s->group[i];
		evls_append *a = g->a;
		if (g->t->config.key_index || a->check_version ||
		    g->t->config.dedupe_window_ms > 0 ||
		    evls_heads_is_producer(a->batch)) {
			a->err = evls_heads_admit(s, &s->heads, g->t,
			    (uint32_t) (g->p - g->t->parts), a);
			if (a->err != 0 || a->duplicate)
				continue;
		}
		s->group[kept++] = *g;
	}
	return kept;
}

/* Grows the group arrays to hold n items. */
static int
writer_reserve(evls_store *s, size_t n)
{
	if (n <= s->group_cap)
		return 0;
	size_t      cap = n < 64 ? 64 : n * 2;
	evls_gitem *g   = evlp_realloc(s->group, sizeof(*g) * cap);
	if (g == NULL)
		return EVL_ENOMEM;
	s->group = g;
	evls_gitem *t = evlp_realloc(s->touched, sizeof(*t) * cap);
	if (t == NULL)
		return EVL_ENOMEM;
	s->touched   = t;
	s->group_cap = cap;
	return 0;
}

static bool
writer_sync_due(evls_store *s, int64_t since)
{
	return since >= 0 &&
	    evls_mono_ms() - since >= (int64_t) s->opt.fsync_interval_ms;
}

/*
 * Steps 1-3 for the admitted items.  Returns 0 with every item stamped
 * and written, or the error for all of them.  Call with commit_mu held.
 */
static int
writer_write(evls_store *s, size_t n)
{
	uint8_t lk[EVLS_LOGKEY_SIZE], ik[EVLS_IDXKEY_SIZE], iv[EVLS_IDXVAL_SIZE];
	uint8_t sk[2], sv[8];
	bool    sync = s->opt.fsync == EVLS_FSYNC_ALWAYS ||
	    (s->opt.fsync == EVLS_FSYNC_INTERVAL &&
	        writer_sync_due(s, s->log_dirty_since));
	int64_t now = evls_clock_ms(s);
	int     rv;

	leveldb_writebatch_clear(s->lb);
	leveldb_writebatch_clear(s->mb);
	s->ntouched = 0;
	for (size_t i = 0; i < n; i++) {
		evls_gitem  *g = &s->group[i];
		evls_part   *p = g->p;
		evls_append *a = g->a;
		if (!p->g_touched) {
			p->g_touched = true;
			p->g_next    = p->next;
			p->g_bytes   = p->bytes;
			p->g_time    = p->last_time;
			s->touched[s->ntouched++] = *g;
		}
		/* Broker time never goes back within a partition, so the
		 * batch index is also a time index (keys.h). */
		int64_t  t   = now > p->g_time ? now : p->g_time;
		uint64_t seq = s->next_seq + i;
		evls_idx x   = { p->g_next + g->count - 1, seq, p->g_next,
                        (uint32_t) a->len, t };
		a->base_offset = p->g_next;
		a->append_time = t;
		evlp_batch_stamp(a->batch, x.base_offset, t);
		p->g_next += g->count;
		p->g_bytes += a->len;
		p->g_time = t;
		sync      = sync || a->sync;
		uint32_t part = (uint32_t) (p - g->t->parts);
		evls_key_log(lk, seq, g->t->id, part);
		leveldb_writebatch_put(s->lb, (char *) lk, sizeof(lk),
		    (char *) a->batch, a->len);
		evls_key_idx(ik, g->t->id, part, x.last_offset);
		evls_val_idx(iv, &x);
		leveldb_writebatch_put(
		    s->mb, (char *) ik, sizeof(ik), (char *) iv, sizeof(iv));
		/* Version index and producer state, in the same meta
		 * WriteBatch; admit loaded every entry, so it cannot fail. */
		if ((g->t->config.key_index ||
		        g->t->config.dedupe_window_ms > 0 ||
		        evls_heads_is_producer(a->batch)) &&
		    (rv = evls_heads_apply(s, &s->heads, g->t, part,
		         a->batch, a->len, s->mb, &a->version)) != 0)
			return rv;
	}
	evls_heads_put(&s->heads, s->mb);
	for (size_t i = 0; i < s->ntouched; i++) {
		evls_part *p = s->touched[i].p;
		evls_part  c = { .first = p->first, .next = p->g_next,
                         .bytes = p->g_bytes, .last_time = p->g_time };
		evls_part_put(s->mb, s->touched[i].t->id,
		    (uint32_t) (p - s->touched[i].t->parts), &c);
	}
	evls_key_singleton(sk, EVLS_S_APPLIED);
	evlp_put_u64(sv, s->next_seq + n - 1);
	leveldb_writebatch_put(s->mb, (char *) sk, 2, (char *) sv, 8);

	if ((rv = evls_db_write(&s->log, s->lb, sync, "append")) != 0)
		return rv;
	/* Seqs are spent once written: the log may hold them. */
	s->next_seq += n;
	if (sync)
		s->log_dirty_since = -1;
	else if (s->log_dirty_since < 0)
		s->log_dirty_since = evls_mono_ms();
	if (atomic_load(&s->hooks) & EVLS_HOOK_SKIP_META)
		return 0;
	return evls_db_write(&s->meta, s->mb, false, "append index");
}

/*
 * A group with nothing to write may still have moved a producer's state
 * (a new batch answered as an id duplicate of a stored record): written
 * to meta alone.  It is not in the log, so a power cut may lose it; the
 * producer's next batch is then refused for its sequence and it moves to
 * a new epoch, as after any batch of unknown fate.
 */
static int
writer_put_states(evls_store *s)
{
	leveldb_writebatch_clear(s->mb);
	if (evls_heads_put(&s->heads, s->mb) == 0)
		return 0;
	return evls_db_write(&s->meta, s->mb, false, "producer state");
}

/* Commits one group: the appends chained from list, in queue order. */
static void
writer_commit(evls_store *s, evls_append *list)
{
	size_t n = 0, total = 0;
	int    rv;
	for (evls_append *a = list; a != NULL; a = a->next_)
		total++;

	pthread_mutex_lock(&s->commit_mu);
	pthread_mutex_lock(&s->mu);
	rv = writer_reserve(s, total);
	for (evls_append *a = list; a != NULL; a = a->next_) {
		a->err = rv ? rv : writer_admit(s, a, &s->group[n]);
		if (a->err == 0)
			n++;
	}
	pthread_mutex_unlock(&s->mu);
	n = writer_admit_heads(s, n);

	rv = n > 0 ? writer_write(s, n) : writer_put_states(s);
	if (rv != 0) {
		/* The log may hold the group (it is replayed on open), so
		 * its offsets cannot be handed out again: stop appending. */
		pthread_mutex_lock(&s->mu);
		s->broken = EVL_EIO;
		pthread_mutex_unlock(&s->mu);
		for (size_t i = 0; i < n; i++)
			s->group[i].a->err = rv;
	} else {
		pthread_mutex_lock(&s->mu);
		for (size_t i = 0; i < s->ntouched; i++) {
			evls_part *p = s->touched[i].p;
			p->next      = p->g_next;
			p->bytes     = p->g_bytes;
			p->last_time = p->g_time;
		}
		pthread_mutex_unlock(&s->mu);
	}
	for (size_t i = 0; i < s->ntouched; i++) {
		evls_gitem *g  = &s->touched[i];
		g->p->g_touched = false;
		/* Under commit_mu: the topic cannot be deleted meanwhile. */
		if (rv == 0 && s->opt.on_append != NULL)
			s->opt.on_append(s->opt.on_append_arg, g->t->name,
			    (uint32_t) (g->p - g->t->parts), g->p->next);
	}
	s->ntouched = 0;
	pthread_mutex_unlock(&s->commit_mu);

	/* A producer's retry queued in the same group as its original takes
	 * the original's answer (an id duplicate: at its record's offset;
	 * originals come first in the queue, so they are answered). */
	for (evls_append *a = list; a != NULL; a = a->next_) {
		evls_append *o = a->dup_;
		if (o == NULL)
			continue;
		a->err         = o->err;
		a->base_offset = o->base_offset + a->dup_skip_;
		a->append_time = o->append_time;
		a->version     = a->dup_skip_ == 0 ? o->version : -1;
	}
	while (list != NULL) {
		evls_append *a = list;
		list           = a->next_; /* done may free or resubmit a */
		a->done(a);
	}
}

/* An empty synced write: fsyncs the WAL of d. */
static void
writer_sync(evls_db *d, const char *what)
{
	leveldb_writebatch_t *b = leveldb_writebatch_create();
	evls_db_write(d, b, true, what);
	leveldb_writebatch_destroy(b);
}

/* Interval syncs that are due (or, at stop, every pending one). */
static void
writer_tick(evls_store *s, bool stopping)
{
	bool flush = stopping && s->opt.fsync != EVLS_FSYNC_NEVER;
	if (s->log_dirty_since >= 0 &&
	    (flush ||
	        (s->opt.fsync == EVLS_FSYNC_INTERVAL &&
	            writer_sync_due(s, s->log_dirty_since)))) {
		writer_sync(&s->log, "interval sync");
		s->log_dirty_since = -1;
	}
	pthread_mutex_lock(&s->mu);
	bool meta = s->meta_dirty_since >= 0 &&
	    (flush || writer_sync_due(s, s->meta_dirty_since));
	if (meta)
		s->meta_dirty_since = -1;
	pthread_mutex_unlock(&s->mu);
	if (meta)
		writer_sync(&s->meta, "interval sync");
}

/* The earliest pending sync deadline (monotonic ms), or -1.  Call with mu
 * held. */
static int64_t
writer_deadline(evls_store *s)
{
	int64_t d = -1, iv = s->opt.fsync_interval_ms;
	if (s->opt.fsync == EVLS_FSYNC_INTERVAL && s->log_dirty_since >= 0)
		d = s->log_dirty_since + iv;
	if (s->meta_dirty_since >= 0 &&
	    (d < 0 || s->meta_dirty_since + iv < d))
		d = s->meta_dirty_since + iv;
	return d;
}

static void *
writer_main(void *arg)
{
	evls_store *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->qhead == NULL && !s->stopping) {
			int64_t d = writer_deadline(s);
			if (d < 0) {
				pthread_cond_wait(&s->wake, &s->mu);
				continue;
			}
			if (evls_mono_ms() >= d)
				break;
			struct timespec ts = { .tv_sec = d / 1000,
				.tv_nsec           = (d % 1000) * 1000000 };
			pthread_cond_timedwait(&s->wake, &s->mu, &ts);
		}
		evls_append *list = s->qhead;
		bool         stop = s->stopping && list == NULL;
		s->qhead = s->qtail = NULL;
		pthread_mutex_unlock(&s->mu);
		if (list != NULL)
			writer_commit(s, list);
		writer_tick(s, stop);
		if (stop)
			return NULL;
		pthread_mutex_lock(&s->mu);
	}
}

int
evls_writer_start(evls_store *s)
{
	s->lb              = leveldb_writebatch_create();
	s->mb              = leveldb_writebatch_create();
	s->log_dirty_since = -1;
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
		return EVL_ENOMEM;
	s->writer_started = true;
	return 0;
}

void
evls_writer_stop(evls_store *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	if (s->writer_started)
		pthread_join(s->writer, NULL);
	s->writer_started = false;
	if (s->lb)
		leveldb_writebatch_destroy(s->lb);
	if (s->mb)
		leveldb_writebatch_destroy(s->mb);
	s->lb = s->mb = NULL;
	evls_heads_fini(&s->heads);
	evlp_free(s->group);
	evlp_free(s->touched);
	s->group = s->touched = NULL;
	s->group_cap          = 0;
}

void
evls_meta_dirty(evls_store *s)
{
	if (s->meta_dirty_since < 0) {
		s->meta_dirty_since = evls_mono_ms();
		pthread_cond_signal(&s->wake);
	}
}
