/*
 * protected.h -- protected mode: with nobody to authenticate, evlogd
 * listens only where no one else can reach it.
 *
 * As in Redis's protected mode, a broker without users (no --users, no
 * --tls-client-user) refuses to start when any listener is reachable from
 * another machine, unless --insecure (EVLOG_INSECURE=1) says that is
 * meant.  Loopback-only means a tcp, tls+tcp, ws or wss host in
 * 127.0.0.0/8, ::1 (or ::ffff:127.x.y.z) or the name "localhost"; a
 * wildcard (0.0.0.0, ::, an empty host) is not loopback, and other names
 * are not resolved (a name may resolve elsewhere tomorrow).  ipc://,
 * abstract:// and inproc:// never leave the machine.
 *
 * The HTTP endpoint (--http) follows the same rule with its own way out:
 * it has no users, but --http-token guards /metrics, so a non-loopback
 * --http needs --http-token or --insecure, whether or not users exist.
 * (/healthz stays open: it says only "ok".)
 */
#ifndef EVLD_PROTECTED_H
#define EVLD_PROTECTED_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Whether a listener URL can be reached only from this machine.  A URL
 * that does not parse is not local. */
bool evld_url_is_local(const char *url);

/* Whether an --http "HOST:PORT" ("[v6]:PORT") is loopback-only. */
bool evld_hostport_is_local(const char *hostport);

/*
 * evld_protected_check applies protected mode to cfg before anything
 * listens.  Returns 0, or EVL_EINVAL with a one-line message in err
 * (when errlen > 0) naming the listener, why it is refused and the two
 * ways out.
 */
int evld_protected_check(
    const struct evld_config *cfg, char *err, size_t errlen);

#endif /* EVLD_PROTECTED_H */
