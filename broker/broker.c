/*
 * broker.c -- starting, running and stopping one evlogd (broker.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "alloc.h"
#include "broker.h"
#include "group.h"
#include "http.h"
#include "ops.h"
#include "protected.h"
#include "quota.h"
#include "server.h"

/* How long a stop waits for requests in progress. */
#define EVLD_DRAIN_MS 10000

/* The store's writer thread: new offsets are visible.  Fetches parked
 * on them are answered here, on this thread (waiters.h). */
static void
on_append(void *arg, const char *topic, uint32_t partition,
    uint64_t next_offset)
{
	struct evld_broker *b = arg;
	evld_waiters_notify(&b->waiters, topic, partition, next_offset);
}

static bool
health(void *arg)
{
	struct evld_broker *b = arg;
	return !atomic_load(&b->stopping);
}

/* The per-partition head offsets, enumerated from the store at render
 * time (there may be many, and they change on every append). */
static void
collect_heads(void *arg, evld_metrics_writer *w)
{
	struct evld_broker *b    = arg;
	evls_topic_entry   *list = NULL;
	size_t              n    = 0;

	if (evls_topic_list(b->store, &list, &n) != 0)
		return;
	if (evld_metrics_write_family(w, "evlog_partition_head_offset",
	        "Next offset to be assigned in the partition",
	        EVLD_METRIC_GAUGE) == 0) {
		for (size_t i = 0; i < n; i++) {
			for (uint32_t p = 0; p < list[i].config.partitions; p++) {
				evls_partition_info info;
				char                part[16];
				const char *labels[] = { "topic", list[i].name,
					"partition", part, NULL };
				if (evls_partition_info_get(
				        b->store, list[i].name, p, &info) != 0)
					continue;
				snprintf(part, sizeof(part), "%u", p);
				evld_metrics_write_u64(
				    w, labels, info.next_offset);
			}
		}
	}
	evls_topic_list_free(list, n);
}

static evls_fsync
fsync_policy(enum evld_fsync f)
{
	switch (f) {
	case EVLD_FSYNC_ALWAYS:
		return EVLS_FSYNC_ALWAYS;
	case EVLD_FSYNC_NEVER:
		return EVLS_FSYNC_NEVER;
	default:
		return EVLS_FSYNC_INTERVAL;
	}
}

int
evld_broker_start(struct evld_broker **out, const struct evld_config *cfg)
{
	struct evld_broker *b;
	evls_options        o;
	struct evld_log     log;
	char                err[768];
	int                 rv;

	/* Before anything listens, or the store is even opened. */
	evld_log_init(&log);
	log.level = cfg->log_level;
	if ((rv = evld_protected_check(cfg, err, sizeof(err))) != 0) {
		evld_log_error(&log, "%s", err);
		return rv;
	}
	if (EVLP_ALLOC_STRUCT(b) == NULL)
		return EVL_ENOMEM;
	b->cfg = cfg;
	b->log = log;
	pthread_mutex_init(&b->topics_mu, NULL);
	atomic_init(&b->stopping, false);
	atomic_init(&b->store_closed, false);

	if ((rv = evld_metrics_alloc(&b->metrics)) != 0)
		goto fail;
	if ((rv = evld_broker_metrics_init(&b->bm, b->metrics, evlp_op_name)) != 0)
		goto fail;
	b->bm_ok = true;
	if ((rv = evld_waiters_init(&b->waiters, 1024, b->bm.fetch_waiters)) != 0)
		goto fail;
	b->waiters_ok = true;

	evls_options_init(&o);
	o.dir               = cfg->data_dir;
	o.fsync             = fsync_policy(cfg->fsync);
	o.fsync_interval_ms = cfg->fsync_interval_ms;
	o.on_append         = on_append;
	o.on_append_arg     = b;
	if ((rv = evls_store_open(&b->store, &o)) != 0) {
		evld_log_error(&b->log, "cannot open the store in %s: %s",
		    cfg->data_dir, evl_strerror(rv));
		goto fail;
	}
	if ((rv = evld_metrics_collector_add(b->metrics, collect_heads, b)) != 0)
		goto fail;
	b->collector = true;

	/* quotas: before the server, which serves requests at once. */
	if ((rv = evld_quotas_alloc(&b->quotas, cfg->quota_produce_bytes,
	         cfg->quota_fetch_bytes, cfg->quotas, cfg->nquotas)) != 0)
		goto fail;
	if ((rv = evld_metrics_collector_add(
	         b->metrics, evld_quotas_collect, b->quotas)) != 0)
		goto fail;
	b->quota_collector = true;

	/* Access control before the server: no request runs without it. */
	const char *why;
	if ((rv = evld_acl_alloc(&b->acl, b->store, cfg->superusers, &why)) != 0) {
		evld_log_error(&b->log, "%s: %s", why ? why : "access control",
		    evl_strerror(rv));
		goto fail;
	}
	evld_gauge_set(b->bm.acl_rules, (int64_t) evld_acl_count(b->acl));

	if ((rv = evld_groups_start(&b->groups, b)) != 0)
		goto fail;
	if (evld_broker_auth_on(b)) {
		if (cfg->tls_client_user != NULL &&
		    !evld_user_name_ok(cfg->tls_client_user)) {
			evld_log_error(&b->log,
			    "--tls-client-user '%s' is not a user name "
			    "([A-Za-z0-9._@-]{1,64})",
			    cfg->tls_client_user);
			rv = EVL_EINVAL;
			goto fail;
		}
		if ((rv = evld_auth_init(&b->auth, cfg->users_file, err,
		         sizeof(err))) != 0) {
			evld_log_error(&b->log, "%s",
			    rv == EVL_ENOMEM ? "out of memory" : err);
			goto fail;
		}
		b->auth_ok = true;
	}
	if ((rv = evld_server_start(&b->server, b)) != 0)
		goto fail;
	if (cfg->http != NULL) {
		rv = evld_http_start(&b->http, cfg->http, b->metrics, health, b,
		    cfg->http_token, err, sizeof(err));
		if (rv != 0) {
			evld_log_error(&b->log, "%s", err);
			goto fail;
		}
		if (evld_http_addr(b->http, b->http_addr, sizeof(b->http_addr)) != 0)
			snprintf(b->http_addr, sizeof(b->http_addr), "%s", cfg->http);
	}
	if ((rv = evld_retention_start(b)) != 0)
		goto fail;
	b->retention_ok = true;
	*out = b;
	return 0;

fail:
	evld_broker_stop(b);
	return rv;
}

void
evld_broker_stop(struct evld_broker *b)
{
	if (b == NULL)
		return;
	atomic_store(&b->stopping, true);
	/* Refuse new work, answer the parked fetches with what they have,
	 * let in-flight requests finish, close the sockets. */
	if (b->server != NULL)
		evld_server_quiesce(b->server);
	if (b->waiters_ok)
		evld_waiters_close(&b->waiters);
	/* Parked joins answer EVL_ESHUTDOWN; the group timer stops before
	 * the store closes. */
	evld_groups_close(b->groups);
	if (b->server != NULL)
		evld_server_drain(b->server, EVLD_DRAIN_MS);
	if (b->http != NULL)
		evld_http_stop(b->http);
	if (b->retention_ok)
		evld_retention_stop(b);
	if (b->collector)
		evld_metrics_collector_remove(b->metrics, collect_heads, b);
	if (b->quota_collector)
		evld_metrics_collector_remove(
		    b->metrics, evld_quotas_collect, b->quotas);
	/* Drains the appends still queued (acks=none ones included).  The
	 * store closes before the socket: NNG 1.5.2's nng_close can hang
	 * under load (nanomsg/nng#1543), and by then nothing is left
	 * unwritten (see evld_broker_run's watchdog). */
	evld_groups_free(b->groups);
	b->groups = NULL;
	if (b->store != NULL)
		evls_store_close(b->store);
	atomic_store(&b->store_closed, true);
	evld_server_close(b->server);
	evld_server_free(b->server);
	evld_quotas_free(b->quotas); /* no request can reach it now */

	evld_acl_free(b->acl);
	if (b->waiters_ok)
		evld_waiters_fini(&b->waiters);
	if (b->auth_ok)
		evld_auth_fini(&b->auth);
	if (b->bm_ok)
		evld_broker_metrics_fini(&b->bm);
	evld_metrics_free(b->metrics);
	pthread_mutex_destroy(&b->topics_mu);
	evlp_free(b);
}

size_t
evld_broker_url_count(const struct evld_broker *b)
{
	return evld_server_url_count(b->server);
}

const char *
evld_broker_url(const struct evld_broker *b, size_t i)
{
	return evld_server_url(b->server, i);
}

const char *
evld_broker_http_addr(const struct evld_broker *b)
{
	return b->http != NULL ? b->http_addr : NULL;
}

/*
 * A stop that has not finished after EVLD_STOP_GRACE_MS ends the process
 * anyway: with status 0 when the store closed cleanly (everything
 * acknowledged is written; only NNG's socket teardown hangs, a known
 * NNG 1.5.2 race), else 1.  evlogd must never hang on SIGTERM.
 */
#define EVLD_STOP_GRACE_MS (EVLD_DRAIN_MS + 20000)

struct watchdog {
	struct evld_broker *b;
	pthread_mutex_t     mu;
	pthread_cond_t      cv;
	bool                done;
};

static void *
watchdog_main(void *arg)
{
	struct watchdog *wd = arg;
	struct timespec  until;
	bool             done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += EVLD_STOP_GRACE_MS / 1000;
	pthread_mutex_lock(&wd->mu);
	while (!wd->done &&
	    pthread_cond_timedwait(&wd->cv, &wd->mu, &until) != ETIMEDOUT)
		;
	done = wd->done;
	pthread_mutex_unlock(&wd->mu);
	if (!done) {
		bool clean = atomic_load(&wd->b->store_closed);
		fprintf(stderr,
		    "evlogd: stop did not finish in %d s (%s); exiting\n",
		    EVLD_STOP_GRACE_MS / 1000,
		    clean ? "store closed cleanly, NNG close hung"
		          : "store not closed");
		fflush(stderr);
		_exit(clean ? 0 : 1);
	}
	return NULL;
}

/* SIGHUP: read the users file again (auth.h, evld_auth_reload). */
static void
reload(struct evld_broker *b)
{
	char err[512];
	if (!b->auth_ok || b->cfg->users_file == NULL) {
		evld_log_info(&b->log, "SIGHUP: nothing to reload");
		return;
	}
	int rv = evld_auth_reload(&b->auth, b->cfg->users_file, err, sizeof(err));
	if (rv == 0)
		evld_log_info(&b->log, "SIGHUP: reloaded the users file %s",
		    b->cfg->users_file);
	else
		evld_log_error(&b->log,
		    "SIGHUP: users file not reloaded, the old users stay: %s",
		    rv == EVL_ENOMEM ? "out of memory" : err);
}

int
evld_broker_run(const struct evld_config *cfg)
{
	struct evld_broker *b;
	sigset_t            set;
	int                 sig = 0, rv;

	/* Blocked before any thread starts, so every thread inherits the
	 * mask and the signals wait for sigwait below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rv = evld_broker_start(&b, cfg)) != 0) {
		fprintf(stderr, "evlogd: cannot start: %s\n", evl_strerror(rv));
		return 1;
	}
	for (size_t i = 0; i < evld_broker_url_count(b); i++)
		fprintf(stderr, "evlogd: listening on %s\n", evld_broker_url(b, i));
	if (evld_broker_http_addr(b) != NULL)
		fprintf(stderr, "evlogd: http on %s\n", evld_broker_http_addr(b));
	fflush(stderr);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		reload(b);
	}
	evld_log_info(&b->log, "stopping on %s",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");

	struct watchdog wd;
	pthread_t       th;
	bool            watched;
	wd.b = b;
	wd.done = false;
	pthread_mutex_init(&wd.mu, NULL);
	pthread_cond_init(&wd.cv, NULL);
	watched = pthread_create(&th, NULL, watchdog_main, &wd) == 0;
	evld_broker_stop(b);
	if (watched) {
		pthread_mutex_lock(&wd.mu);
		wd.done = true;
		pthread_cond_signal(&wd.cv);
		pthread_mutex_unlock(&wd.mu);
		pthread_join(th, NULL);
	}
	pthread_cond_destroy(&wd.cv);
	pthread_mutex_destroy(&wd.mu);
	return 0;
}
