/*
 * protected.c -- see protected.h.
 */
#include <arpa/inet.h>
#include <evlog/evlog.h>
#include <nng/nng.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "protected.h"

/* The host part of a URL or HOST:PORT, brackets of an IPv6 literal
 * removed. */
static bool
host_is_loopback(const char *host, size_t len)
{
	char            buf[INET6_ADDRSTRLEN + 1];
	struct in_addr  a4;
	struct in6_addr a6;

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return false; /* empty = every interface */
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (strcasecmp(buf, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, buf, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, buf, &a6) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0xff, 0xff };
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		return memcmp(a6.s6_addr, mapped, 12) == 0 &&
		    a6.s6_addr[12] == 127;
	}
	return false; /* a name other than localhost: not resolved */
}

bool
evld_url_is_local(const char *url)
{
	static const char *const local[] = { "ipc", "abstract", "inproc",
		NULL };
	nng_url *u;
	bool     ok = false;

	if (nng_url_parse(&u, url) != 0)
		return false;
	for (size_t i = 0; local[i] != NULL; i++)
		if (strcmp(u->u_scheme, local[i]) == 0)
			ok = true;
	/* NNG keeps an IPv6 literal's brackets out of u_hostname. */
	if (!ok && u->u_hostname != NULL)
		ok = host_is_loopback(u->u_hostname, strlen(u->u_hostname));
	nng_url_free(u);
	return ok;
}

bool
evld_hostport_is_local(const char *hostport)
{
	const char *colon = strrchr(hostport, ':');
	if (colon == NULL)
		return false;
	return host_is_loopback(hostport, (size_t) (colon - hostport));
}

static int
refuse(char *err, size_t errlen, const char *fmt, const char *what)
{
	if (errlen > 0)
		snprintf(err, errlen, fmt, what);
	return EVL_EINVAL;
}

int
evld_protected_check(const struct evld_config *cfg, char *err, size_t errlen)
{
	bool users = cfg->users_file != NULL || cfg->tls_client_user != NULL;

	if (errlen > 0)
		err[0] = '\0';
	if (cfg->insecure)
		return 0;
	for (size_t i = 0; !users && i < cfg->nlisten; i++) {
		if (!evld_url_is_local(cfg->listen[i]))
			return refuse(err, errlen,
			    "protected mode: refusing to listen on %s: it is "
			    "not loopback-only and no users are configured, "
			    "so anyone who can reach it could read and write "
			    "every topic; turn authentication on with --users "
			    "FILE (evlogd passwd), or start with --insecure "
			    "(EVLOG_INSECURE=1) if the network is trusted",
			    cfg->listen[i]);
	}
	if (cfg->http != NULL && cfg->http_token == NULL &&
	    !evld_hostport_is_local(cfg->http))
		return refuse(err, errlen,
		    "protected mode: refusing to serve http on %s: it is not "
		    "loopback-only and /metrics has no token, so anyone who "
		    "can reach it could read the topic and group names; set "
		    "--http-token (EVLOG_HTTP_TOKEN), or start with "
		    "--insecure (EVLOG_INSECURE=1) if the network is trusted",
		    cfg->http);
	return 0;
}
