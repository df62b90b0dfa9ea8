/*
 * projector.c -- a CQRS projection: the bank example's events (topic
 * "account", see examples/event_sourcing) into a SQLite read model.
 *
 *   balances(account, balance, events)      one row per account
 *   ledger(partition, offset, account, kind, amount, at_ms)
 *                                           one row per event
 *   checkpoint(topic, partition, next_offset)
 *
 * Exactly-once effects: the projector stores its position in the read
 * model itself, in the same SQLite transaction as the rows that position
 * covers.  A crash anywhere rolls back both together, and a restart goes
 * on from the checkpoint: no event is applied twice or skipped, whatever
 * the broker delivered twice.  (Committing the position to the broker
 * after the transaction would leave a window in which the rows are
 * written and the position is not.)
 *
 *   evl-projector [-b URL] --db FILE [--follow] [--rebuild]
 *                 [--batch N] [--crash-after N]
 *
 * Without --follow it exits once it has caught up with the heads the
 * topic had when it started.  --rebuild empties the tables and the
 * checkpoint (in one transaction) and projects from the first event.
 * --crash-after N exits abruptly (status 9) after applying N events,
 * inside an uncommitted transaction: for tests.
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
#define POLL_MS 500

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
	sqlite3_stmt *ledger, *balance, *checkpoint;
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
	    || sqlite3_prepare_v2(p->db, checkpoint, -1, &p->checkpoint, NULL))
		return sql_fail(p->db, "prepare");
	return 0;
}

/* The checkpoint of a partition: the next offset, or 0. */
static uint64_t
checkpoint_of(projector *p, uint32_t part)
{
	sqlite3_stmt *st;
	uint64_t      off = 0;
	if (sqlite3_prepare_v2(p->db,
	        "SELECT next_offset FROM checkpoint WHERE topic = ?1 AND"
	        " partition = ?2",
	        -1, &st, NULL)
	    != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, TOPIC, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, part);
	if (sqlite3_step(st) == SQLITE_ROW)
		off = (uint64_t) sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return off;
}

static int
step(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, what);
}

/* Applies one event: its ledger row, the balance, the checkpoint. */
static int
apply(projector *p, const evl_record *r)
{
	char      text[64], kind[16] = "";
	long long n = 0;
	int64_t   delta = 0;
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
	    "[--rebuild] [--batch N] [--crash-after N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char     *url = NULL, *dbfile = NULL;
	int             follow = 0, rebuild = 0;
	long            batch = 500, crash_after = -1, applied = 0;
	projector       p = { 0 };
	evl_client_opts co;
	evl_client     *c;
	evl_reader     *r;
	int             rv, status = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			dbfile = argv[++i];
		else if (strcmp(argv[i], "--follow") == 0)
			follow = 1;
		else if (strcmp(argv[i], "--rebuild") == 0)
			rebuild = 1;
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--crash-after") == 0 && i + 1 < argc)
			crash_after = strtol(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (dbfile == NULL || batch <= 0)
		return usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (sqlite3_open(dbfile, &p.db) != SQLITE_OK)
		return sql_fail(p.db, dbfile);
	if (exec(p.db, "PRAGMA journal_mode=WAL") || exec(p.db, schema)
	    || prepare(&p))
		return 1;
	if (rebuild
	    && exec(p.db,
	        "BEGIN; DELETE FROM ledger; DELETE FROM balances;"
	        " DELETE FROM checkpoint; COMMIT"))
		return 1;

	evl_client_opts_init(&co);
	co.url = url;
	if ((rv = evl_client_open(&c, &co)) != 0) {
		fprintf(stderr, "evl-projector: cannot connect: %s\n",
		    evl_strerror(rv));
		return 1;
	}
	evl_topic_info *t;
	if ((rv = evl_topic_describe(c, TOPIC, &t)) != 0
	    || (rv = evl_reader_open(&r, c, TOPIC, NULL)) != 0) {
		fprintf(stderr, "evl-projector: %s: %s\n", TOPIC,
		    evl_strerror(rv));
		evl_client_close(c);
		return 1;
	}
	/* Where to stop without --follow: the heads as of now. */
	uint32_t  nparts = (uint32_t) t->partition_count;
	uint64_t *heads = calloc(nparts, sizeof(*heads));
	for (uint32_t i = 0; i < nparts; i++) {
		heads[i] = t->partitions[i].next_offset;
		evl_reader_seek(r, i, checkpoint_of(&p, i));
	}
	evl_topic_info_free(t, 1);

	while (!stop && status == 0) {
		long n = 0;
		if (exec(p.db, "BEGIN")) {
			status = 1;
			break;
		}
		while (n < batch) {
			const evl_record *rec;
			rv = evl_reader_next(r, &rec, n == 0 ? POLL_MS : 0);
			if (rv == EVL_ETIMEDOUT)
				break;
			if (rv != 0) {
				fprintf(stderr, "evl-projector: reading: %s\n",
				    evl_strerror(rv));
				status = 1;
				break;
			}
			if (apply(&p, rec) != 0) {
				status = 1;
				break;
			}
			n++;
			if (++applied == crash_after)
				_exit(9); /* mid-transaction: rolled back */
		}
		/* The rows and the checkpoint commit together, or not at
		 * all. */
		if (exec(p.db, status == 0 ? "COMMIT" : "ROLLBACK"))
			status = 1;
		if (status != 0 || follow)
			continue;
		int caught_up = 1;
		for (uint32_t i = 0; i < nparts; i++) {
			uint64_t pos;
			if (evl_reader_position(r, i, &pos) != 0
			    || pos < heads[i])
				caught_up = 0;
		}
		if (caught_up)
			break;
	}
	fprintf(stderr, "evl-projector: %ld events applied\n", applied);
	free(heads);
	evl_reader_close(r);
	evl_client_close(c);
	sqlite3_finalize(p.ledger);
	sqlite3_finalize(p.balance);
	sqlite3_finalize(p.checkpoint);
	sqlite3_close(p.db);
	return status;
}
