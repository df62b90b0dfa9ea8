/*
 * projector.c -- a CQRS projection: the bank example's events (topic
 * "account", see examples/event_sourcing) into a SQLite read model, as a
 * member of the consumer group "projector".
 *
 *   balances(account, balance, events)      one row per account
 *   ledger(partition, offset, account, kind, amount, at_ms)
 *                                           one row per event
 *   checkpoint(topic, partition, next_offset)
 *
 * Several instances share the topic's partitions through the group and
 * write one SQLite file (WAL mode, a busy timeout, BEGIN IMMEDIATE so one
 * writes at a time).
 *
 * Exactly-once effects: the position is stored in the read model itself,
 * in the same SQLite transaction as the rows it covers, and an event is
 * applied only if its offset is at or past its partition's checkpoint as
 * read inside that transaction.  A crash anywhere rolls back rows and
 * position together; on assignment an instance seeks each partition to
 * the checkpoint in SQLite, not to the group's committed offset; and an
 * instance that still holds a partition the group gave away (it has not
 * noticed yet, or its transaction was open) finds the checkpoint moved
 * and skips what the new owner applied.  The group's offsets are
 * committed after each SQLite commit, for `evlog groups describe` (lag),
 * never read back.
 *
 *   evl-projector [-b URL] --db FILE [--follow] [--rebuild] [--batch N]
 *                 [--session-timeout MS] [--crash-after N]
 *
 * Without --follow it exits once the read model has caught up with the
 * heads the topic had when it started.  --rebuild resets the group's
 * offsets (refused while other instances are members) and empties the
 * tables and checkpoints in one transaction, then projects from the first
 * event.  --crash-after N exits abruptly (status 9) after applying N
 * events, inside an uncommitted transaction and without leaving the
 * group: for tests.  On exit it prints "applied N" on stdout.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <evlog/evlog.h>
#include <sqlite3.h>

#define TOPIC   "account"
#define GROUP   "projector"
#define POLL_MS 500
#define BUSY_MS 30000 /* wait for the other instances' transactions */

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static const char schema[]
    = "CREATE TABLE IF NOT EXISTS balances(account TEXT PRIMARY KEY,"
      " balance INTEGER NOT NULL, events INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS ledger(partition INTEGER NOT NULL,"
      " offset INTEGER NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL,"
      " amount INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
      " PRIMARY KEY(partition, offset));"
      "CREATE TABLE IF NOT EXISTS checkpoint(topic TEXT NOT NULL,"
      " partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,"
      " PRIMARY KEY(topic, partition));";

typedef struct projector {
	sqlite3      *db;
	sqlite3_stmt *ledger, *balance, *checkpoint, *position;
	int           failed; /* a callback's SQLite error */
} projector;

static int
sql_fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "evl-projector: %s: %s\n", what, sqlite3_errmsg(db));
	return 1;
}

static int
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "evl-projector: %s: %s\n", sql, err);
		sqlite3_free(err);
		return 1;
	}
	return 0;
}

static int
prepare(projector *p)
{
	static const char ledger[]
	    = "INSERT INTO ledger(partition, offset, account, kind, amount,"
	      " at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
	/* A delta of the balance; "opened" creates the row. */
	static const char balance[]
	    = "INSERT INTO balances(account, balance, events) VALUES(?1, ?2, "
	      "1)"
	      " ON CONFLICT(account) DO UPDATE SET"
	      " balance = balance + excluded.balance, events = events + 1";
	static const char checkpoint[]
	    = "INSERT INTO checkpoint(topic, partition, next_offset)"
	      " VALUES(?1, ?2, ?3) ON CONFLICT(topic, partition)"
	      " DO UPDATE SET next_offset = excluded.next_offset";
	if (sqlite3_prepare_v2(p->db, ledger, -1, &p->ledger, NULL)
	    || sqlite3_prepare_v2(p->db, balance, -1, &p->balance, NULL)
	    || sqlite3_prepare_v2(p->db, checkpoint, -1, &p->checkpoint, NULL)
	    || sqlite3_prepare_v2(p->db,
	        "SELECT next_offset FROM checkpoint WHERE topic = ?1 AND"
	        " partition = ?2",
	        -1, &p->position, NULL))
		return sql_fail(p->db, "prepare");
	return 0;
}

/* The checkpoint of a partition: the next offset, or 0 (none yet); -1
 * on a SQLite error.  Inside a transaction it sees that transaction's
 * writes. */
static int64_t
checkpoint_of(projector *p, uint32_t part)
{
	int64_t off = 0;
	sqlite3_bind_text(p->position, 1, TOPIC, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p->position, 2, part);
	int rc = sqlite3_step(p->position);
	if (rc == SQLITE_ROW)
		off = sqlite3_column_int64(p->position, 0);
	else if (rc != SQLITE_DONE)
		off = -1;
	sqlite3_reset(p->position);
	sqlite3_clear_bindings(p->position);
	return off;
}

/* The group gave us partitions: read each from the read model's
 * checkpoint, whatever the group committed. */
static void
on_assign(void *arg, evl_consumer *k, const evl_topic_partition *parts,
    size_t n)
{
	projector *p = arg;
	for (size_t i = 0; i < n; i++) {
		int64_t off = checkpoint_of(p, parts[i].partition);
		if (off < 0 || evl_consumer_seek(k, parts[i].topic,
		                   parts[i].partition, (uint64_t) off) != 0) {
			sql_fail(p->db, "checkpoint on assignment");
			p->failed = 1;
		}
	}
}

static int
step(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, what);
}

/* Applies one event: its ledger row, the balance, the checkpoint.  Call
 * inside a write transaction.  *done is 0 when the event was applied
 * already (by this or another instance): then nothing changes. */
static int
apply(projector *p, const evl_record *r, int *done)
{
	char      text[64], kind[16] = "";
	long long n = 0;
	int64_t   delta = 0;
	int64_t   at = checkpoint_of(p, r->partition);
	if (at < 0)
		return sql_fail(p->db, "checkpoint");
	*done = (uint64_t) at <= r->offset;
	if (!*done)
		return 0;
	if (r->key == NULL || r->value == NULL || r->value_len >= sizeof(text))
		goto checkpoint; /* not a bank event: only move on */
	memcpy(text, r->value, r->value_len);
	text[r->value_len] = '\0';
	if (strcmp(text, "opened") == 0) {
		strcpy(kind, "opened");
	} else if (sscanf(text, "deposited %lld", &n) == 1) {
		strcpy(kind, "deposit");
		delta = n;
	} else if (sscanf(text, "withdrew %lld", &n) == 1) {
		strcpy(kind, "withdrawal");
		delta = -n;
	} else if (sscanf(text, "snapshot %lld", &n) == 1) {
		strcpy(kind, "snapshot"); /* derived state: no delta */
	} else {
		goto checkpoint;
	}
	sqlite3_bind_int64(p->ledger, 1, r->partition);
	sqlite3_bind_int64(p->ledger, 2, (sqlite3_int64) r->offset);
	sqlite3_bind_text(
	    p->ledger, 3, r->key, (int) r->key_len, SQLITE_TRANSIENT);
	sqlite3_bind_text(p->ledger, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p->ledger, 5, n);
	sqlite3_bind_int64(p->ledger, 6, r->timestamp);
	if (step(p->db, p->ledger, "ledger"))
		return 1;
	sqlite3_bind_text(
	    p->balance, 1, r->key, (int) r->key_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p->balance, 2, delta);
	if (step(p->db, p->balance, "balance"))
		return 1;
checkpoint:
	sqlite3_bind_text(p->checkpoint, 1, TOPIC, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p->checkpoint, 2, r->partition);
	sqlite3_bind_int64(p->checkpoint, 3, (sqlite3_int64) r->offset + 1);
	return step(p->db, p->checkpoint, "checkpoint");
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: evl-projector [-b URL] --db FILE [--follow] "
	    "[--rebuild] [--batch N] [--session-timeout MS] "
	    "[--crash-after N]\n");
	return 2;
}

/* --rebuild: the group's offsets back to 0 (refused while the group has
 * members: they would go on from where they are), then the tables. */
static int
rebuild(projector *p, evl_client *c, uint32_t nparts)
{
	evl_group_offset *offs = calloc(nparts, sizeof(*offs));
	int               rv;
	for (uint32_t i = 0; i < nparts; i++)
		offs[i] = (evl_group_offset) { TOPIC, i, 0, 0 };
	rv = evl_group_commit_offsets(c, GROUP, offs, nparts);
	free(offs);
	if (rv != 0) {
		fprintf(stderr, "evl-projector: resetting group %s: %s%s\n",
		    GROUP, evl_strerror(rv),
		    rv == EVL_EGROUPACTIVE ? " (stop the other projectors)"
		                           : "");
		return 1;
	}
	return exec(p->db,
	    "BEGIN IMMEDIATE; DELETE FROM ledger; DELETE FROM balances;"
	    " DELETE FROM checkpoint; COMMIT");
}

/* Caught up: every partition's checkpoint, or the group's committed
 * offset (which also passes erased records, never applied), is at the
 * head the topic had at the start. */
static int
caught_up(projector *p, evl_client *c, const uint64_t *heads, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int64_t at = checkpoint_of(p, i), committed = -1;
		if (at >= 0 && (uint64_t) at >= heads[i])
			continue;
		if (evl_group_committed(c, GROUP, TOPIC, i, &committed) != 0
		    || committed < 0 || (uint64_t) committed < heads[i])
			return 0;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	const char       *url = NULL, *dbfile = NULL;
	const char *const topics[] = { TOPIC };
	int               follow = 0, do_rebuild = 0;
	long              batch = 500, crash_after = -1, applied = 0;
	long              session_ms = 10000;
	projector         p = { 0 };
	evl_client_opts   co;
	evl_consumer_opts ko;
	evl_client       *c;
	evl_consumer     *k;
	int               rv, status = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			dbfile = argv[++i];
		else if (strcmp(argv[i], "--follow") == 0)
			follow = 1;
		else if (strcmp(argv[i], "--rebuild") == 0)
			do_rebuild = 1;
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--session-timeout") == 0
		    && i + 1 < argc)
			session_ms = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--crash-after") == 0 && i + 1 < argc)
			crash_after = strtol(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (dbfile == NULL || batch <= 0 || session_ms <= 0
	    || session_ms > 3600000)
		return usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* One file for every instance: WAL lets readers go on while one
	 * writes; the busy timeout waits for the writer instead of failing;
	 * the schema statement is idempotent. */
	if (sqlite3_open(dbfile, &p.db) != SQLITE_OK)
		return sql_fail(p.db, dbfile);
	sqlite3_busy_timeout(p.db, BUSY_MS);
	if (exec(p.db, "PRAGMA journal_mode=WAL") || exec(p.db, schema)
	    || prepare(&p))
		return 1;

	evl_client_opts_init(&co);
	co.url = url;
	if ((rv = evl_client_open(&c, &co)) != 0) {
		fprintf(stderr, "evl-projector: cannot connect: %s\n",
		    evl_strerror(rv));
		return 1;
	}
	evl_topic_info *t;
	if ((rv = evl_topic_describe(c, TOPIC, &t)) != 0) {
		fprintf(stderr, "evl-projector: %s: %s\n", TOPIC,
		    evl_strerror(rv));
		evl_client_close(c);
		return 1;
	}
	/* Where to stop without --follow: the heads as of now. */
	uint32_t  nparts = (uint32_t) t->partition_count;
	uint64_t *heads = calloc(nparts, sizeof(*heads));
	for (uint32_t i = 0; i < nparts; i++)
		heads[i] = t->partitions[i].next_offset;
	evl_topic_info_free(t, 1);
	if (do_rebuild && rebuild(&p, c, nparts) != 0) {
		free(heads);
		evl_client_close(c);
		return 1;
	}

	evl_consumer_opts_init(&ko);
	ko.client_id = "evl-projector";
	ko.session_timeout_ms = (uint32_t) session_ms;
	ko.auto_commit_ms = 0; /* committed after each SQLite commit */
	ko.on_assign = on_assign;
	ko.cb_arg = &p;
	if ((rv = evl_consumer_open(&k, c, GROUP, topics, 1, &ko)) != 0) {
		fprintf(stderr, "evl-projector: group %s: %s\n", GROUP,
		    evl_strerror(rv));
		free(heads);
		evl_client_close(c);
		return 1;
	}

	while (!stop && status == 0) {
		const evl_record *rec;
		long              n = 0;
		/* The first event is awaited outside the transaction, so an
		 * idle instance does not hold the write lock. */
		rv = evl_consumer_poll(k, &rec, POLL_MS);
		if (p.failed) {
			status = 1;
			break;
		}
		if (rv == 0) {
			if (exec(p.db, "BEGIN IMMEDIATE")) {
				status = 1;
				break;
			}
			/* An assignment inside this poll seeks from the
			 * checkpoints this transaction sees: its own rows
			 * included. */
			while (rv == 0) {
				int done;
				if (apply(&p, rec, &done) != 0) {
					status = 1;
					break;
				}
				applied += done;
				if (done && applied == crash_after)
					_exit(9); /* mid-transaction */
				if (++n == batch)
					break;
				rv = evl_consumer_poll(k, &rec, 0);
			}
			if (p.failed)
				status = 1;
			/* The rows and the checkpoint commit together, or
			 * not at all. */
			if (exec(p.db, status == 0 ? "COMMIT" : "ROLLBACK"))
				status = 1;
		}
		if (rv != 0 && rv != EVL_ETIMEDOUT)
			fprintf(stderr, "evl-projector: polling: %s (retrying)\n",
			    evl_strerror(rv));
		/* For lag in `evlog groups describe` only; a commit refused
		 * by a rebalance is harmless (SQLite has the position).  Idle
		 * and following: nothing new to commit. */
		if (status == 0 && (n > 0 || !follow)
		    && (rv = evl_consumer_commit(k)) != 0
		    && rv != EVL_EREBALANCE && rv != EVL_EGENERATION
		    && rv != EVL_EUNKNOWNMEMBER)
			fprintf(stderr, "evl-projector: group commit: %s\n",
			    evl_strerror(rv));
		if (status == 0 && !follow && caught_up(&p, c, heads, nparts))
			break;
	}
	printf("applied %ld\n", applied);
	fprintf(stderr, "evl-projector: %ld events applied\n", applied);
	free(heads);
	evl_consumer_close(k);
	evl_client_close(c);
	sqlite3_finalize(p.ledger);
	sqlite3_finalize(p.balance);
	sqlite3_finalize(p.checkpoint);
	sqlite3_finalize(p.position);
	sqlite3_close(p.db);
	return status;
}
