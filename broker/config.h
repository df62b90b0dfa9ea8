/*
 * config.h -- evlogd's configuration: command line, environment and file
 * folded into one struct evld_config.
 *
 * Every option has one long name (--max-message-bytes), and the same name
 * works in three places, highest precedence first:
 *
 *   flag         --max-message-bytes 1048576   or  --max-message-bytes=1M
 *   environment  EVLOG_MAX_MESSAGE_BYTES=1048576
 *   file         max-message-bytes = 1048576   (from --config FILE or
 *                                               EVLOG_CONFIG)
 *
 * A listener list is replaced, not extended, by a higher layer: one
 * --listen flag drops the listeners named by the environment and the file.
 * Within one layer --listen may repeat (in EVLOG_LISTEN, URLs are
 * separated by commas).  Parsing is all-or-nothing: the first bad value
 * stops it with a one-line message naming the option and where it came
 * from, and the caller's struct is left as it was.
 *
 * Unknown flags and unknown file keys are errors; unknown EVLOG_*
 * variables are ignored, since the client tools read that prefix too.
 */
#ifndef EVLD_CONFIG_H
#define EVLD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "logger.h"

#define EVLD_DEFAULT_DATA "./evlog-data"
#define EVLD_DEFAULT_LISTEN "tcp://127.0.0.1:7470"
#define EVLD_DEFAULT_HTTP "127.0.0.1:7471"

enum evld_fsync {
	EVLD_FSYNC_ALWAYS,   /* sync every write group */
	EVLD_FSYNC_INTERVAL, /* sync at most every fsync_interval_ms */
	EVLD_FSYNC_NEVER,    /* leave it to the OS (acks=fsync still syncs) */
};

/* How a tls+tcp:// or wss:// listener treats client certificates. */
enum evld_tls_auth {
	EVLD_TLS_AUTH_NONE,
	EVLD_TLS_AUTH_OPTIONAL,
	EVLD_TLS_AUTH_REQUIRED,
};

/* EVLD_QUOTA_USER_MAX is EVLD_USER_MAX (dispatch.h), which config.h
 * cannot include. */
#define EVLD_QUOTA_USER_MAX 64
/* Largest quota rate accepted: 1 TiB/s (quota.c's arithmetic relies on
 * it). */
#define EVLD_QUOTA_RATE_MAX ((uint64_t) 1 << 40)

/* One --quota rule: a user's own rates, replacing the defaults for the
 * directions it names.  user "" is the anonymous user. */
struct evld_quota_rule {
	char     user[EVLD_QUOTA_USER_MAX + 1];
	bool     has_produce, has_fetch;
	uint64_t produce; /* bytes/s, 0 = unlimited */
	uint64_t fetch;
};

/* What main should do after a successful parse. */
enum evld_config_action {
	EVLD_CONFIG_RUN,
	EVLD_CONFIG_HELP,    /* --help: print evld_config_usage, exit 0 */
	EVLD_CONFIG_VERSION, /* --version: print the version, exit 0 */
};

/*
 * The parsed configuration.  Every string and the listen array are owned
 * by the struct and released by evld_config_fini; read them, do not
 * replace them.
 */
struct evld_config {
	enum evld_config_action action;

	char  *data_dir;    /* --data */
	char **listen;      /* --listen URLs, nlisten >= 1 of them */
	size_t nlisten;
	char  *http;        /* --http "HOST:PORT"; NULL when "off" */
	char  *config_file; /* the file that was read, or NULL */

	enum evld_fsync fsync;             /* --fsync */
	uint32_t        fsync_interval_ms; /* --fsync-interval */

	char              *tls_cert; /* --tls-cert PEM file, or NULL */
	char              *tls_key;  /* --tls-key PEM file, or NULL */
	char              *tls_ca;   /* --tls-ca PEM file, or NULL */
	enum evld_tls_auth tls_client_auth;
	/* --tls-client-user: the principal of every pipe whose client
	 * certificate was verified, or NULL. */
	char *tls_client_user;

	/* --users: the users file (evlogd passwd); authentication is on
	 * when it is set.  NULL: off. */
	char *users_file;

	bool     auto_create_topics;          /* --auto-create-topics */
	uint32_t default_partitions;          /* for auto-created topics */
	size_t   max_message_bytes;           /* NNG_OPT_RECVMAXSZ */
	uint32_t max_parked_fetches;          /* REP context pool ceiling */
	uint32_t max_outstanding;             /* requests per connection */
	uint32_t retention_check_interval_ms; /* --retention-check-interval */

	enum evld_log_level log_level; /* --log-level */

	/* ---- quotas (docs/SECURITY.md, "Quotas"; broker/quota.h) ----
	 * Bytes per second per user, 0 = unlimited: the defaults every
	 * user gets (--quota-produce-bytes, --quota-fetch-bytes), then one
	 * rule per --quota USER:produce=N,fetch=N overriding them. */
	uint64_t                 quota_produce_bytes;
	uint64_t                 quota_fetch_bytes;
	struct evld_quota_rule  *quotas; /* nquotas of them, owned */
	size_t                   nquotas;

	/* Part C (issue 8): protected mode, limits, the HTTP token. */
	bool     insecure;          /* --insecure: no protected mode */
	char    *http_token;        /* --http-token: /metrics needs it */
	uint32_t max_connections;   /* pipes at once, all listeners */
	uint32_t max_topics;        /* topics in the store */
	uint32_t max_partitions;    /* per topic, at create and alter */
	size_t   max_record_bytes;  /* one record's key+value+headers */
	uint32_t max_groups;        /* consumer groups known */

	/* Access control (broker/acl.h).  --superusers: user names,
	 * comma-separated, who pass every ACL check and may change the
	 * rules; NULL: none. */
	char *superusers;
};

/*
 * evld_config_init fills c's numbers with the defaults (fsync interval
 * every 1000 ms, 1 partition, 16 MiB messages, 1024 parked fetches, 256
 * outstanding requests, retention checked every 60 s, log level warn,
 * 10000 connections, 10000 topics, 1024 partitions per topic, 1 MiB
 * records, 10000 groups) and
 * its strings with NULL: it allocates nothing and cannot fail.  The
 * string defaults (EVLD_DEFAULT_*) are filled in by evld_config_parse,
 * which is the only way to a runnable configuration; call it even with
 * no arguments.
 */
void evld_config_init(struct evld_config *c);

/*
 * evld_config_parse reads the file (--config FILE, else EVLOG_CONFIG, else
 * none), then the environment, then argv[1..argc-1], each overriding the
 * one before.  envp is a NULL-terminated "NAME=value" array, or NULL for
 * the process environment; it is only read.
 *
 * On success returns 0 and replaces c's contents (releasing the old
 * ones).  c->action says whether to run or to print help or the version;
 * for help and version, other options are not validated.  On failure
 * returns EVL_EINVAL (bad or unknown option, unreadable file) or
 * EVL_ENOMEM, writes a one-line message without a trailing newline into
 * err (when errlen > 0) and leaves c unchanged.
 */
int evld_config_parse(struct evld_config *c, int argc, char **argv,
    char **envp, char *err, size_t errlen);

/* evld_config_fini releases everything c owns; c may be re-inited. */
void evld_config_fini(struct evld_config *c);

/* evld_config_usage prints the --help text to out. */
void evld_config_usage(FILE *out);

/* evld_fsync_name: "always", "interval" or "never" (static). */
const char *evld_fsync_name(enum evld_fsync f);

#endif /* EVLD_CONFIG_H */
