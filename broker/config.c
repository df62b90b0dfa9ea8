/*
 * config.c -- see config.h.
 *
 * One table (opts[]) drives everything: flag names, EVLOG_* variable
 * names, file keys, value checking and the --help text, so an option
 * cannot be added to one place and forgotten in another.  Parsing builds
 * a fresh struct and moves it into the caller's only when every layer and
 * the cross-checks have passed, which is what makes a failed parse leave
 * the caller's struct alone.
 */
#include <ctype.h>
#include <errno.h>
#include <evlog/evlog.h>
#include <nng/nng.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"

extern char **environ;

enum opt_kind {
	K_STR,       /* owned string, non-empty */
	K_LISTEN,    /* appends to the listen list (see layers below) */
	K_HTTP,      /* HOST:PORT or "off" */
	K_FSYNC,     /* enum evld_fsync */
	K_TLS_AUTH,  /* enum evld_tls_auth */
	K_LOG_LEVEL, /* enum evld_log_level */
	K_BOOL,      /* flag without value means true */
	K_U32,       /* decimal, within [min, max] */
	K_SIZE,      /* decimal with optional k/m/g (x1024) suffix */
	K_CONFIG,    /* --config: flag and EVLOG_CONFIG only */
	K_HELP,      /* --help: flag only */
	K_VERSION,   /* --version: flag only */
	/* quotas */
	K_RATE,  /* bytes/s as K_SIZE, into a uint64_t, 0..RATE_MAX */
	K_QUOTA, /* USER:produce=N,fetch=N; repeatable like K_LISTEN */
};

struct opt {
	const char   *name; /* long name without "--" */
	enum opt_kind kind;
	size_t        off; /* offsetof(struct evld_config, field) */
	uint64_t      min, max;
	const char   *meta; /* value placeholder in --help, NULL: none */
	const char   *help;
};

#define OFF(f) offsetof(struct evld_config, f)
#define MS_MAX (24u * 3600u * 1000u)

static const struct opt opts[] = {
	{ "data", K_STR, OFF(data_dir), 0, 0, "DIR",
	    "data directory (default " EVLD_DEFAULT_DATA ")" },
	{ "listen", K_LISTEN, OFF(listen), 0, 0, "URL",
	    "listen on URL; repeatable (default " EVLD_DEFAULT_LISTEN ")" },
	{ "http", K_HTTP, OFF(http), 0, 0, "HOST:PORT|off",
	    "/metrics and /healthz (default " EVLD_DEFAULT_HTTP ")" },
	{ "fsync", K_FSYNC, OFF(fsync), 0, 0, "always|interval|never",
	    "when writes are synced to disk (default interval)" },
	{ "fsync-interval", K_U32, OFF(fsync_interval_ms), 1, MS_MAX, "MS",
	    "sync period for --fsync interval (default 1000)" },
	{ "tls-cert", K_STR, OFF(tls_cert), 0, 0, "FILE",
	    "PEM certificate (chain) for tls+tcp:// and wss:// listeners" },
	{ "tls-key", K_STR, OFF(tls_key), 0, 0, "FILE",
	    "PEM private key for --tls-cert" },
	{ "tls-ca", K_STR, OFF(tls_ca), 0, 0, "FILE",
	    "PEM CA bundle that client certificates must chain to" },
	{ "tls-client-auth", K_TLS_AUTH, OFF(tls_client_auth), 0, 0,
	    "none|optional|required",
	    "client certificate policy (default none)" },
	{ "tls-client-user", K_STR, OFF(tls_client_user), 0, 0, "NAME",
	    "the user of every client whose certificate was verified" },
	{ "users", K_STR, OFF(users_file), 0, 0, "FILE",
	    "users file (evlogd passwd): turns authentication on" },
	{ "auto-create-topics", K_BOOL, OFF(auto_create_topics), 0, 0, NULL,
	    "create unknown topics on first produce" },
	{ "default-partitions", K_U32, OFF(default_partitions), 1, 65535,
	    "N", "partitions of auto-created topics (default 1)" },
	{ "max-message-bytes", K_SIZE, OFF(max_message_bytes), 1024,
	    (uint64_t) 1 << 30, "N[k|m|g]",
	    "largest request accepted on any listener (default 16m)" },
	{ "max-parked-fetches", K_U32, OFF(max_parked_fetches), 1, 1000000,
	    "N", "long-poll fetches parked at once (default 1024)" },
	{ "max-outstanding", K_U32, OFF(max_outstanding), 1, 65536, "N",
	    "outstanding requests per connection (default 256)" },
	{ "retention-check-interval", K_U32,
	    OFF(retention_check_interval_ms), 1, MS_MAX, "MS",
	    "how often retention runs (default 60000)" },
	{ "log-level", K_LOG_LEVEL, OFF(log_level), 0, 0,
	    "error|warn|info|debug", "log verbosity (default warn)" },
	/* Part C (issue 8): protected mode, the HTTP token, limits. */
	{ "insecure", K_BOOL, OFF(insecure), 0, 0, NULL,
	    "allow non-loopback listeners without --users" },
	{ "http-token", K_STR, OFF(http_token), 0, 0, "TOKEN",
	    "/metrics requires 'Authorization: Bearer TOKEN'" },
	{ "max-connections", K_U32, OFF(max_connections), 1, 1000000, "N",
	    "connections at once, all listeners (default 10000)" },
	{ "max-topics", K_U32, OFF(max_topics), 1, 10000000, "N",
	    "topics in the store (default 10000)" },
	{ "max-partitions", K_U32, OFF(max_partitions), 1, 65535, "N",
	    "partitions of one topic (default 1024)" },
	{ "max-record-bytes", K_SIZE, OFF(max_record_bytes), 1,
	    (uint64_t) 1 << 30, "N[k|m|g]",
	    "one record's key+value+headers (default 1m)" },
	{ "max-groups", K_U32, OFF(max_groups), 1, 10000000, "N",
	    "consumer groups (default 10000)" },

	/* Access control (broker/acl.h). */
	{ "superusers", K_STR, OFF(superusers), 0, 0, "NAME[,NAME...]",
	    "users who pass every ACL check and may change the rules" },
	{ "config", K_CONFIG, OFF(config_file), 0, 0, "FILE",
	    "read 'name = value' lines from FILE first" },
	/* quotas (docs/SECURITY.md, "Quotas") */
	{ "quota-produce-bytes", K_RATE, OFF(quota_produce_bytes), 0,
	    EVLD_QUOTA_RATE_MAX, "N[k|m|g]",
	    "produce bytes/s per user (default 0: unlimited)" },
	{ "quota-fetch-bytes", K_RATE, OFF(quota_fetch_bytes), 0,
	    EVLD_QUOTA_RATE_MAX, "N[k|m|g]",
	    "fetch bytes/s per user (default 0: unlimited)" },
	{ "quota", K_QUOTA, OFF(quotas), 0, EVLD_QUOTA_RATE_MAX,
	    "USER:produce=N,fetch=N",
	    "one user's quotas; repeatable; USER empty: anonymous" },
	{ "help", K_HELP, 0, 0, 0, NULL, "print this help and exit" },
	{ "version", K_VERSION, 0, 0, 0, NULL, "print the version and exit" },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char *const fsync_names[]    = { "always", "interval", "never",
           NULL };
static const char *const tls_auth_names[] = { "none", "optional",
	"required", NULL };
static const char *const log_names[] = { "error", "warn", "info", "debug",
	NULL };

/*
 * Layers, lowest precedence first.  The listen list remembers the layer
 * that last wrote it; the first URL from a higher layer clears it.
 */
enum layer { L_DEFAULT, L_FILE, L_ENV, L_FLAG };

struct parse {
	struct evld_config *c; /* the fresh struct being built */
	enum layer          listen_layer;
	bool                http_set; /* some layer said --http (maybe off) */
	bool                record_set; /* some layer said --max-record-bytes */
	char               *err;
	size_t              errlen;
	enum layer          quota_layer; /* as listen_layer, for --quota */
};

static int
fail(struct parse *p, const char *src, const char *fmt, ...)
{
	va_list ap;
	int     n = 0;

	if (p->errlen == 0)
		return EVL_EINVAL;
	if (src != NULL)
		n = snprintf(p->err, p->errlen, "%s: ", src);
	if (n < 0 || (size_t) n >= p->errlen)
		return EVL_EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t) n, fmt, ap);
	va_end(ap);
	return EVL_EINVAL;
}

static int
nomem(struct parse *p)
{
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "out of memory");
	return EVL_ENOMEM;
}

static const struct opt *
opt_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* "max-message-bytes" -> "EVLOG_MAX_MESSAGE_BYTES" into buf. */
static void
opt_env_name(const struct opt *o, char *buf, size_t len)
{
	size_t n = (size_t) snprintf(buf, len, "EVLOG_");
	for (const char *s = o->name; *s != '\0' && n + 1 < len; s++)
		buf[n++] = *s == '-' ? '_' : (char) toupper((unsigned char) *s);
	buf[n] = '\0';
}

static int
choice_parse(const char *const *names, const char *s, int *out)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return 0;
		}
	}
	return EVL_EINVAL;
}

static int
bool_parse(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on", NULL };
	static const char *const no[]  = { "0", "false", "no", "off", NULL };
	int                      i;

	if (choice_parse(yes, s, &i) == 0)
		*out = true;
	else if (choice_parse(no, s, &i) == 0)
		*out = false;
	else
		return EVL_EINVAL;
	return 0;
}

/* Plain decimal, no sign, no blanks; suffixed k/m/g when sized. */
static int
u64_parse(const char *s, bool sized, uint64_t *out)
{
	char              *end;
	unsigned long long v;
	unsigned           shift = 0;

	if (!isdigit((unsigned char) s[0]))
		return EVL_EINVAL;
	errno = 0;
	v     = strtoull(s, &end, 10);
	if (errno != 0)
		return EVL_EINVAL;
	if (sized && *end != '\0' && end[1] == '\0') {
		switch (tolower((unsigned char) *end)) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		default: return EVL_EINVAL;
		}
		end++;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return EVL_EINVAL;
	*out = (uint64_t) v << shift;
	return 0;
}

/* HOST:PORT with a non-empty host ("[v6]" bracketed) and port 0-65535. */
static bool
hostport_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t    port;

	if (colon == NULL || colon == s)
		return false;
	if (s[0] == '[') {
		if (colon[-1] != ']' || colon - s < 3)
			return false;
	} else if (memchr(s, ':', (size_t) (colon - s)) != NULL) {
		return false; /* a bare IPv6 address needs brackets */
	}
	return strlen(colon + 1) <= 5 && u64_parse(colon + 1, false, &port) == 0 &&
	    port <= 65535;
}

static const char *const url_schemes[] = { "tcp", "tcp4", "tcp6", "ipc",
	"abstract", "inproc", "tls+tcp", "tls+tcp4", "tls+tcp6", "ws", "ws4",
	"ws6", "wss", "wss4", "wss6", NULL };

static bool
url_is_tls(const char *url)
{
	return strncmp(url, "tls+", 4) == 0 || strncmp(url, "wss", 3) == 0;
}

static int
url_check(struct parse *p, const char *src, const char *url)
{
	nng_url *u;
	int      i;
	int      rv;

	if (nng_url_parse(&u, url) != 0)
		return fail(p, src, "invalid URL \"%s\"", url);
	rv = choice_parse(url_schemes, u->u_scheme, &i);
	nng_url_free(u);
	if (rv != 0)
		return fail(p, src,
		    "unsupported scheme in \"%s\" (tcp, ipc, inproc, "
		    "tls+tcp, ws or wss)",
		    url);
	return 0;
}

static int
str_set(struct parse *p, char **field, const char *v)
{
	char *dup = evlp_strdup(v);
	if (dup == NULL)
		return nomem(p);
	evlp_free(*field);
	*field = dup;
	return 0;
}

static int
listen_add(struct parse *p, enum layer layer, const char *src, const char *v)
{
	struct evld_config *c = p->c;
	char              **grown;
	char               *dup;
	int                 rv;

	if ((rv = url_check(p, src, v)) != 0)
		return rv;
	if (p->listen_layer != layer) {
		for (size_t i = 0; i < c->nlisten; i++)
			evlp_free(c->listen[i]);
		c->nlisten      = 0;
		p->listen_layer = layer;
	}
	if ((dup = evlp_strdup(v)) == NULL)
		return nomem(p);
	grown = evlp_realloc(c->listen, (c->nlisten + 1) * sizeof(char *));
	if (grown == NULL) {
		evlp_free(dup);
		return nomem(p);
	}
	c->listen               = grown;
	c->listen[c->nlisten++] = dup;
	return 0;
}

/* ---- quotas --------------------------------------------------------- */

static bool
quota_user_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
	    ch == '@' || ch == '-';
}

/*
 * Parses "USER:produce=N,fetch=N" (either key may be left out, not
 * both) into *q.  USER is empty for the anonymous user.
 */
static int
quota_rule_parse(struct parse *p, const char *src, const char *v,
    struct evld_quota_rule *q)
{
	const char *colon = strchr(v, ':');
	char        buf[128];
	char       *rest, *tok;
	size_t      ulen;

	memset(q, 0, sizeof(*q));
	if (colon == NULL)
		return fail(p, src,
		    "invalid value \"%s\" (expected USER:produce=N,fetch=N)",
		    v);
	ulen = (size_t) (colon - v);
	if (ulen > EVLD_QUOTA_USER_MAX)
		return fail(p, src, "user name longer than %d bytes",
		    EVLD_QUOTA_USER_MAX);
	for (size_t i = 0; i < ulen; i++)
		if (!quota_user_char(v[i]))
			return fail(p, src,
			    "invalid user \"%.*s\" (letters, digits, "
			    "'.', '_', '@', '-')",
			    (int) ulen, v);
	memcpy(q->user, v, ulen);
	q->user[ulen] = '\0';
	if (snprintf(buf, sizeof(buf), "%s", colon + 1) >= (int) sizeof(buf) ||
	    buf[0] == '\0')
		return fail(p, src,
		    "invalid value \"%s\" (expected USER:produce=N,fetch=N)",
		    v);
	rest = buf;
	while ((tok = strsep(&rest, ",")) != NULL) {
		char     *eq = strchr(tok, '=');
		uint64_t  n;
		bool     *has;
		uint64_t *field;

		if (eq == NULL)
			return fail(p, src, "expected produce=N or fetch=N, "
			    "not \"%s\"", tok);
		*eq = '\0';
		if (strcmp(tok, "produce") == 0) {
			has   = &q->has_produce;
			field = &q->produce;
		} else if (strcmp(tok, "fetch") == 0) {
			has   = &q->has_fetch;
			field = &q->fetch;
		} else {
			return fail(p, src, "unknown quota \"%s\" (produce "
			    "or fetch)", tok);
		}
		if (*has)
			return fail(p, src, "%s given twice", tok);
		if (u64_parse(eq + 1, true, &n) != 0 ||
		    n > EVLD_QUOTA_RATE_MAX)
			return fail(p, src,
			    "invalid %s rate \"%s\" (expected a size from 0 "
			    "to %llu)",
			    tok, eq + 1,
			    (unsigned long long) EVLD_QUOTA_RATE_MAX);
		*has   = true;
		*field = n;
	}
	return 0;
}

/* Adds a --quota rule; the first rule from a higher layer drops the
 * lower layers' rules, as with --listen.  A user twice in one layer is
 * an error: which one was meant? */
static int
quota_add(struct parse *p, enum layer layer, const char *src, const char *v)
{
	struct evld_config     *c = p->c;
	struct evld_quota_rule  q, *grown;
	int                     rv;

	if ((rv = quota_rule_parse(p, src, v, &q)) != 0)
		return rv;
	if (p->quota_layer != layer) {
		c->nquotas     = 0;
		p->quota_layer = layer;
	}
	for (size_t i = 0; i < c->nquotas; i++)
		if (strcmp(c->quotas[i].user, q.user) == 0)
			return fail(p, src, "a second quota for user \"%s\"",
			    q.user);
	grown = evlp_realloc(c->quotas, (c->nquotas + 1) * sizeof(q));
	if (grown == NULL)
		return nomem(p);
	c->quotas              = grown;
	c->quotas[c->nquotas++] = q;
	return 0;
}

static int
bad_choice(struct parse *p, const char *src, const char *v,
    const struct opt *o)
{
	return fail(p, src, "invalid value \"%s\" (expected %s)", v, o->meta);
}

/*
 * opt_apply stores value v for option o into p->c.  src names the option
 * and where it came from ("--fsync", "EVLOG_FSYNC", "f.conf:3: fsync")
 * for error messages.  v is NULL only for a bare boolean flag.
 */
static int
opt_apply(struct parse *p, const struct opt *o, const char *v,
    enum layer layer, const char *src)
{
	char    *base = (char *) p->c;
	uint64_t n;
	int      i;
	bool     b;

	if (o->off == OFF(max_record_bytes) && o->kind == K_SIZE)
		p->record_set = true;
	if (o->kind == K_BOOL && v == NULL) {
		*(bool *) (base + o->off) = true;
		return 0;
	}
	if (v[0] == '\0')
		return fail(p, src, "empty value");
	switch (o->kind) {
	case K_STR:
	case K_CONFIG:
		return str_set(p, (char **) (base + o->off), v);
	case K_LISTEN:
		return listen_add(p, layer, src, v);
	case K_HTTP:
		p->http_set = true;
		if (strcmp(v, "off") == 0) {
			evlp_free(p->c->http);
			p->c->http = NULL;
			return 0;
		}
		if (!hostport_ok(v))
			return fail(p, src,
			    "invalid value \"%s\" (expected HOST:PORT or off)",
			    v);
		return str_set(p, &p->c->http, v);
	case K_FSYNC:
		if (choice_parse(fsync_names, v, &i) != 0)
			return bad_choice(p, src, v, o);
		p->c->fsync = (enum evld_fsync) i;
		return 0;
	case K_TLS_AUTH:
		if (choice_parse(tls_auth_names, v, &i) != 0)
			return bad_choice(p, src, v, o);
		p->c->tls_client_auth = (enum evld_tls_auth) i;
		return 0;
	case K_LOG_LEVEL:
		if (choice_parse(log_names, v, &i) != 0)
			return bad_choice(p, src, v, o);
		p->c->log_level = (enum evld_log_level) i;
		return 0;
	case K_BOOL:
		if (bool_parse(v, &b) != 0)
			return fail(p, src,
			    "invalid value \"%s\" (expected true or false)", v);
		*(bool *) (base + o->off) = b;
		return 0;
	case K_U32:
	case K_SIZE:
		if (u64_parse(v, o->kind == K_SIZE, &n) != 0 || n < o->min ||
		    n > o->max)
			return fail(p, src,
			    "invalid value \"%s\" (expected %s from %llu to "
			    "%llu)",
			    v, o->kind == K_SIZE ? "a size" : "a number",
			    (unsigned long long) o->min,
			    (unsigned long long) o->max);
		if (o->kind == K_SIZE)
			*(size_t *) (base + o->off) = (size_t) n;
		else
			*(uint32_t *) (base + o->off) = (uint32_t) n;
		return 0;
	case K_RATE:
		if (u64_parse(v, true, &n) != 0 || n > o->max)
			return fail(p, src,
			    "invalid value \"%s\" (expected a size from 0 to "
			    "%llu)",
			    v, (unsigned long long) o->max);
		*(uint64_t *) (base + o->off) = n;
		return 0;
	case K_QUOTA:
		return quota_add(p, layer, src, v);
	case K_HELP:
	case K_VERSION:
		break;
	}
	return fail(p, src, "not allowed here");
}

static const char *
env_get(char **envp, const char *name)
{
	size_t len = strlen(name);
	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

static char *
trim(char *s)
{
	char *end;
	while (isspace((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return s;
}

static int
file_line(struct parse *p, const char *path, unsigned lineno, char *line)
{
	char              src[512];
	char             *eq;
	char             *key;
	const struct opt *o;

	line = trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	snprintf(src, sizeof(src), "%s:%u", path, lineno);
	if ((eq = strchr(line, '=')) == NULL)
		return fail(p, src, "expected \"name = value\"");
	*eq = '\0';
	key = trim(line);
	for (char *k = key; *k != '\0'; k++)
		if (*k == '_')
			*k = '-';
	o = opt_find(key, strlen(key));
	if (o == NULL || o->kind == K_CONFIG || o->kind == K_HELP ||
	    o->kind == K_VERSION)
		return fail(p, src, "unknown key \"%s\"", key);
	snprintf(src, sizeof(src), "%s:%u: %s", path, lineno, o->name);
	return opt_apply(p, o, trim(eq + 1), L_FILE, src);
}

static int
file_load(struct parse *p, const char *path, const char *from)
{
	FILE    *f;
	char    *line = NULL;
	size_t   cap  = 0;
	unsigned n    = 0;
	int      rv   = 0;

	if ((f = fopen(path, "r")) == NULL)
		return fail(p, from, "cannot read config file \"%s\": %s", path,
		    strerror(errno));
	while (rv == 0 && getline(&line, &cap, f) >= 0)
		rv = file_line(p, path, ++n, line);
	if (rv == 0 && ferror(f))
		rv = fail(p, from, "cannot read config file \"%s\"", path);
	free(line); /* getline's buffer comes from malloc */
	fclose(f);
	return rv;
}

/* EVLOG_LISTEN holds comma-separated URLs; EVLOG_QUOTA rules separated
 * by ';' (a rule has commas of its own). */
static int
env_listen(struct parse *p, const struct opt *o, const char *v,
    const char *src, const char *sep)
{
	char *copy = evlp_strdup(v);
	char *rest = copy;
	char *tok;
	int   rv = 0;

	if (copy == NULL)
		return nomem(p);
	while (rv == 0 && (tok = strsep(&rest, sep)) != NULL)
		rv = opt_apply(p, o, trim(tok), L_ENV, src);
	evlp_free(copy);
	return rv;
}

static int
env_load(struct parse *p, char **envp)
{
	char name[64];
	int  rv;

	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		const char       *v;

		if (o->kind == K_CONFIG || o->kind == K_HELP ||
		    o->kind == K_VERSION)
			continue;
		opt_env_name(o, name, sizeof(name));
		if ((v = env_get(envp, name)) == NULL)
			continue;
		if (o->kind == K_LISTEN)
			rv = env_listen(p, o, v, name, ",");
		else if (o->kind == K_QUOTA)
			rv = env_listen(p, o, v, name, ";");
		else
			rv = opt_apply(p, o, v, L_ENV, name);
		if (rv != 0)
			return rv;
	}
	return 0;
}

/*
 * flag_next reads the flag at argv[*i] and its value (from "=value" or
 * the next argument), advancing *i past both.  src receives "--name".
 */
static int
flag_next(struct parse *p, int argc, char **argv, int *i,
    const struct opt **op, const char **vp, char *src, size_t srclen)
{
	const char       *arg = argv[*i];
	const char       *name;
	const char       *eq;
	const struct opt *o;
	size_t            len;

	(*i)++;
	if (strcmp(arg, "-h") == 0)
		arg = "--help";
	else if (strcmp(arg, "-V") == 0)
		arg = "--version";
	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return fail(p, NULL, "unexpected argument \"%s\"", arg);
	name = arg + 2;
	eq   = strchr(name, '=');
	len  = eq != NULL ? (size_t) (eq - name) : strlen(name);
	if ((o = opt_find(name, len)) == NULL)
		return fail(p, NULL, "unknown option \"--%.*s\"", (int) len,
		    name);
	snprintf(src, srclen, "--%s", o->name);
	if (eq != NULL) {
		if (o->kind == K_HELP || o->kind == K_VERSION)
			return fail(p, src, "takes no value");
		*vp = eq + 1;
	} else if (o->kind == K_BOOL || o->kind == K_HELP ||
	    o->kind == K_VERSION) {
		*vp = NULL;
	} else if (*i < argc) {
		*vp = argv[(*i)++];
	} else {
		return fail(p, src, "missing value");
	}
	*op = o;
	return 0;
}

/*
 * First pass over the flags: check their syntax, spot --help/--version
 * and find --config, which must be known before the file layer.
 */
static int
flags_scan(struct parse *p, int argc, char **argv, const char **config)
{
	char src[64];
	int  i = 1;
	int  rv;

	while (i < argc) {
		const struct opt *o;
		const char       *v;

		if ((rv = flag_next(p, argc, argv, &i, &o, &v, src,
		         sizeof(src))) != 0)
			return rv;
		if (o->kind == K_HELP)
			p->c->action = EVLD_CONFIG_HELP;
		else if (o->kind == K_VERSION &&
		    p->c->action != EVLD_CONFIG_HELP)
			p->c->action = EVLD_CONFIG_VERSION;
		else if (o->kind == K_CONFIG)
			*config = v;
	}
	return 0;
}

static int
flags_load(struct parse *p, int argc, char **argv)
{
	char src[64];
	int  i = 1;
	int  rv;

	while (i < argc) {
		const struct opt *o;
		const char       *v;

		if ((rv = flag_next(p, argc, argv, &i, &o, &v, src,
		         sizeof(src))) != 0)
			return rv;
		if ((rv = opt_apply(p, o, v, L_FLAG, src)) != 0)
			return rv;
	}
	return 0;
}

/* Fills in string defaults no layer set, then checks across options. */
static int
config_finish(struct parse *p)
{
	struct evld_config *c   = p->c;
	bool                tls = false;
	int                 rv;

	if (c->data_dir == NULL &&
	    (rv = str_set(p, &c->data_dir, EVLD_DEFAULT_DATA)) != 0)
		return rv;
	if (!p->http_set && (rv = str_set(p, &c->http, EVLD_DEFAULT_HTTP)) != 0)
		return rv;
	if (c->nlisten == 0 &&
	    (rv = listen_add(p, L_DEFAULT, "listen", EVLD_DEFAULT_LISTEN)) != 0)
		return rv;

	for (size_t i = 0; i < c->nlisten; i++) {
		if (url_is_tls(c->listen[i]) &&
		    (c->tls_cert == NULL || c->tls_key == NULL))
			return fail(p, "listen",
			    "%s needs --tls-cert and --tls-key", c->listen[i]);
		tls = tls || url_is_tls(c->listen[i]);
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		return fail(p, c->tls_cert == NULL ? "tls-key" : "tls-cert",
		    "--tls-cert and --tls-key go together");
	if (tls && c->tls_client_auth != EVLD_TLS_AUTH_NONE &&
	    c->tls_ca == NULL)
		return fail(p, "tls-client-auth", "%s needs --tls-ca",
		    tls_auth_names[c->tls_client_auth]);
	/* A record at the limit must fit in a request with its batch and
	 * produce framing around it. */
	if (!p->record_set && c->max_record_bytes >= c->max_message_bytes)
		c->max_record_bytes = c->max_message_bytes / 2;
	if (c->max_record_bytes >= c->max_message_bytes)
		return fail(p, "max-record-bytes",
		    "%zu must be below --max-message-bytes (%zu)",
		    c->max_record_bytes, c->max_message_bytes);
	if (c->default_partitions > c->max_partitions)
		return fail(p, "default-partitions",
		    "%u is over --max-partitions (%u)", c->default_partitions,
		    c->max_partitions);
	return 0;
}

void
evld_config_init(struct evld_config *c)
{
	memset(c, 0, sizeof(*c));
	c->action                      = EVLD_CONFIG_RUN;
	c->fsync                       = EVLD_FSYNC_INTERVAL;
	c->fsync_interval_ms           = 1000;
	c->tls_client_auth             = EVLD_TLS_AUTH_NONE;
	c->auto_create_topics          = false;
	c->default_partitions          = 1;
	c->max_message_bytes           = (size_t) 16 << 20;
	c->max_parked_fetches          = 1024;
	c->max_outstanding             = 256;
	c->retention_check_interval_ms = 60000;
	c->log_level                   = EVLD_LOG_WARN;
	c->insecure                    = false;
	c->max_connections             = 10000;
	c->max_topics                  = 10000;
	c->max_partitions              = 1024;
	c->max_record_bytes            = (size_t) 1 << 20;
	c->max_groups                  = 10000;
}

int
evld_config_parse(struct evld_config *c, int argc, char **argv,
    char **envp, char *err, size_t errlen)
{
	struct evld_config fresh;
	struct parse       p      = { &fresh, L_DEFAULT, false, false, err,
		     errlen };
	const char        *config = NULL;
	const char        *from   = "--config";
	int                rv;

	if (errlen > 0)
		err[0] = '\0';
	if (envp == NULL)
		envp = environ;
	evld_config_init(&fresh);

	if ((rv = flags_scan(&p, argc, argv, &config)) != 0)
		goto out;
	if (fresh.action != EVLD_CONFIG_RUN)
		goto out;
	if (config == NULL) {
		config = env_get(envp, "EVLOG_CONFIG");
		from   = "EVLOG_CONFIG";
	}
	if (config != NULL) {
		if (config[0] == '\0') {
			rv = fail(&p, from, "empty value");
			goto out;
		}
		if ((rv = str_set(&p, &fresh.config_file, config)) != 0 ||
		    (rv = file_load(&p, config, from)) != 0)
			goto out;
	}
	if ((rv = env_load(&p, envp)) != 0 ||
	    (rv = flags_load(&p, argc, argv)) != 0 ||
	    (rv = config_finish(&p)) != 0)
		goto out;

out:
	if (rv != 0) {
		evld_config_fini(&fresh);
		return rv;
	}
	evld_config_fini(c);
	*c = fresh;
	return 0;
}

void
evld_config_fini(struct evld_config *c)
{
	for (size_t i = 0; i < c->nlisten; i++)
		evlp_free(c->listen[i]);
	evlp_free(c->listen);
	evlp_free(c->data_dir);
	evlp_free(c->http);
	evlp_free(c->config_file);
	evlp_free(c->tls_cert);
	evlp_free(c->tls_key);
	evlp_free(c->tls_ca);
	evlp_free(c->tls_client_user);
	evlp_free(c->users_file);
	evlp_free(c->quotas); /* quotas */

	if (c->http_token != NULL) {
		/* A secret: do not leave it in freed memory. */
		memset(c->http_token, 0, strlen(c->http_token));
		evlp_free(c->http_token);
	}

	evlp_free(c->superusers);
	evld_config_init(c);
}

void
evld_config_usage(FILE *out)
{
	fputs("usage: evlogd [OPTION]...\n"
	      "       evlogd passwd FILE NAME   (set NAME's password in the\n"
	      "                                  users FILE, read from stdin)\n"
	      "Serve evlog topics over NNG.\n\n",
	    out);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		char              lhs[64];

		snprintf(lhs, sizeof(lhs), "--%s%s%s", o->name,
		    o->meta != NULL ? " " : "", o->meta != NULL ? o->meta : "");
		if (strlen(lhs) > 30)
			fprintf(out, "  %s\n  %-30s %s\n", lhs, "", o->help);
		else
			fprintf(out, "  %-30s %s\n", lhs, o->help);
	}
	fputs("\nEvery option except --help and --version may also be set\n"
	      "in the environment, as EVLOG_ and the option name in upper\n"
	      "case with '_' for '-' (EVLOG_FSYNC_INTERVAL=500; EVLOG_LISTEN\n"
	      "takes URLs separated by commas), or in the --config file as\n"
	      "'name = value' lines ('#' starts a comment line; listen may\n"
	      "repeat).  Flags win over the environment, which wins over\n"
	      "the file.  --quota repeats like --listen; EVLOG_QUOTA takes\n"
	      "rules separated by ';'.\n",
	    out);
}

const char *
evld_fsync_name(enum evld_fsync f)
{
	if ((unsigned) f >= sizeof(fsync_names) / sizeof(fsync_names[0]) - 1)
		return "?";
	return fsync_names[f];
}
