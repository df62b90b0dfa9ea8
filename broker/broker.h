/*
 * broker.h -- struct evld_broker: everything one running evlogd owns.
 *
 * There are no globals (STYLE.md 14): the configuration, the store, the
 * metrics registry, the waiters, the request server, the HTTP endpoint
 * and the retention job hang off one struct that is passed explicitly.
 * Its members are shared by broker/'s own files only (the handlers read
 * them); evlogd is a program, not a library, so nothing else sees it.
 *
 * Start order: metrics, waiters, store (its on_append feeds the
 * waiters), request server, HTTP, retention.  Stop: refuse new work,
 * answer parked fetches with what they have, wait for in-flight requests
 * and shut the server's close gate, stop HTTP and retention, close the
 * store (which writes the appends still queued), and only then close the
 * sockets.
 */
#ifndef EVLD_BROKER_H
#define EVLD_BROKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "logger.h"
#include "metrics.h"
#include "store.h"
#include "waiters.h"

struct evld_server;
struct evld_http;
struct evld_groups;
struct evld_quotas;

/* The background retention job (retention.c). */
struct evld_retention {
	pthread_t       thread;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            running;
	bool            stop;
	uint64_t        runs; /* completed passes, for tests */
};

struct evld_broker {
	const struct evld_config  *cfg; /* borrowed until stopped */
	struct evld_log            log;
	evld_metrics              *metrics;
	struct evld_broker_metrics bm;
	bool                       bm_ok;
	bool                       collector;
	bool                       retention_ok;
	atomic_bool                stopping;
	atomic_bool                store_closed; /* for the stop watchdog */
	evls_store                *store;
	struct evld_waiters        waiters;
	bool                       waiters_ok;
	struct evld_server        *server;
	struct evld_http          *http;
	char                       http_addr[300];
	struct evld_retention      retention;
	struct evld_groups        *groups; /* the group coordinator */

	/* Access control (acl.h): the rules, loaded from the store at
	 * start.  Set before the server starts, freed after it closed. */
	struct evld_acl *acl;

	/* Authentication (security, part A): users, the failure limit. */
	struct evld_auth auth;
	bool             auth_ok;

	/* quotas (quota.h): per-user byte rates, always present (a user
	 * without limits is only counted). */
	struct evld_quotas *quotas;
	bool                quota_collector;


	/* Part C (issue 8): held from counting the topics to creating one,
	 * so concurrent creates cannot pass --max-topics (limit.c). */
	pthread_mutex_t topics_mu;
};

/*
 * evld_broker_start starts a broker for cfg (borrowed: it must outlive
 * the broker) and returns it in *out.  It prints nothing; the listening
 * lines are evld_broker_run's.  Errors: those of the store, the server
 * and the HTTP endpoint, each logged once; nothing is left running.
 */
int evld_broker_start(struct evld_broker **out, const struct evld_config *cfg);

/*
 * evld_broker_stop shuts b down cleanly (see above) and frees it.  NULL
 * does nothing.
 */
void evld_broker_stop(struct evld_broker *b);

/* The bound listener URLs (port 0 resolved); borrowed until stopped. */
size_t      evld_broker_url_count(const struct evld_broker *b);
const char *evld_broker_url(const struct evld_broker *b, size_t i);

/* The HTTP endpoint as bound ("127.0.0.1:7471"), or NULL when off. */
const char *evld_broker_http_addr(const struct evld_broker *b);

/*
 * Whether principals exist at all: a users file or a certificate-mapped
 * user is configured.  When true, a pipe must authenticate before any op
 * but PING and AUTH_*, and what no ACL allows is denied; when false every
 * request is anonymous and allowed.
 */
static inline bool
evld_broker_auth_on(const struct evld_broker *b)
{
	return b != NULL && b->cfg != NULL &&
	    (b->cfg->users_file != NULL || b->cfg->tls_client_user != NULL);
}

/*
 * evld_broker_run is evlogd's life: block SIGINT, SIGTERM and SIGHUP (so
 * every thread inherits the mask), start, print "evlogd: listening on
 * URL" per listener and "evlogd: http on HOST:PORT" to stderr, wait for
 * SIGINT or SIGTERM (re-reading the users file at each SIGHUP), stop.
 * Returns the exit status: 0 after a clean stop, 1 if it could not start.
 */
int evld_broker_run(const struct evld_config *cfg);

/* The retention job (retention.c): a thread applying every topic's
 * retention each --retention-check-interval.  Errors: EVL_ENOMEM. */
int  evld_retention_start(struct evld_broker *b);
void evld_retention_stop(struct evld_broker *b);
/* Runs one pass now, on the caller's thread (tests, and the thread). */
int evld_retention_pass(struct evld_broker *b);

#endif /* EVLD_BROKER_H */
