/*
 * client.c -- the connection: one REQ socket and its dialer, the request
 * loop every synchronous call goes through, error details, and the
 * topic-metadata cache.
 *
 * The dialer is started non-blocking, so it keeps re-dialing in the
 * background (NNG_OPT_RECONNMINT/MAXT) after a failure or a drop; open
 * then PINGs until connect_timeout_ms.  A request sent while no pipe is up
 * waits in REQ's send queue until one is, bounded by its aio timeout, so
 * no call can hang on a broker that is down.  See client_int.h for what
 * REQ does with a request whose pipe closes, and why the resend time is
 * infinite.
 */
#include "client_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "alloc.h"
#include "msg.h"
#include "ops.h"

#define DEFAULT_URL          "tcp://127.0.0.1:7470"
#define DEFAULT_TIMEOUT_MS   10000
#define DEFAULT_CONNECT_MS   5000
#define RECONNECT_MIN_MS     20
#define RECONNECT_MAX_MS     1000
/* Back-off before re-sending after EVL_EBUSY/EVL_ESHUTDOWN/EVL_ETHROTTLED
 * with no hint. */
#define RETRY_BACKOFF_MS     50

uint64_t
evlc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

int
evlc_nng_err(int rv)
{
	switch (rv) {
	case 0:
		return 0;
	case NNG_ETIMEDOUT:
		return EVL_ETIMEDOUT;
	case NNG_ECONNREFUSED:
	case NNG_EUNREACHABLE:
		return EVL_ECONNREFUSED;
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_ECONNABORTED:
		return EVL_ECONNRESET;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return EVL_ECLOSED;
	case NNG_ENOMEM:
		return EVL_ENOMEM;
	case NNG_EMSGSIZE:
		return EVL_ETOOBIG;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
	case NNG_ENOENT:
		return EVL_EINVAL;
	case NNG_ECRYPTO:
	case NNG_EPEERAUTH:
		return EVL_EAUTH;
	case NNG_EPERM:
		return EVL_EDENIED;
	case NNG_EPROTO:
		return EVL_EPROTO;
	default:
		return EVL_EINTERNAL;
	}
}

int
evlc_fail(evl_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&c->mu);
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&c->mu);
	return err;
}

void
evlc_clear_err(evl_client *c)
{
	pthread_mutex_lock(&c->mu);
	c->errmsg[0] = '\0';
	pthread_mutex_unlock(&c->mu);
}

const char *
evl_client_errmsg(evl_client *c)
{
	return c ? c->errmsg : "";
}

void
evl_client_opts_init(evl_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms         = DEFAULT_TIMEOUT_MS;
	o->connect_timeout_ms = DEFAULT_CONNECT_MS;
}

/* ---- messages ------------------------------------------------------- */

int
evlc_msg_build(
    nng_msg **out, uint8_t op, uint32_t id, evlc_encode_fn enc, const void *arg)
{
	evlp_wr  w;
	nng_msg *m;
	evlp_wr_init(&w, NULL, 0);
	if (enc)
		enc(&w, arg);
	if (w.err != 0 && w.err != EVL_ETOOBIG)
		return w.err;
	size_t len = w.len;
	if (len > UINT32_MAX)
		return EVL_ETOOBIG;
	if (nng_msg_alloc(&m, EVLP_FRAME_SIZE + len) != 0)
		return EVL_ENOMEM;
	uint8_t   *p = nng_msg_body(m);
	evlp_frame f = { .version = EVLP_VERSION,
		.op                   = op,
		.id                   = id,
		.body_length          = (uint32_t) len };
	evlp_frame_encode(p, &f);
	evlp_wr_init(&w, p + EVLP_FRAME_SIZE, len);
	if (enc)
		enc(&w, arg);
	if (w.err != 0 || w.len != len) {
		nng_msg_free(m);
		return w.err ? w.err : EVL_EINTERNAL;
	}
	*out = m;
	return 0;
}

int
evlc_resp_check(evl_client *c, nng_msg *msg, uint8_t op, uint32_t id,
    evlp_view *body, int64_t *detail)
{
	evlp_frame f;
	evlp_view  b;
	int rv = evlp_frame_decode(nng_msg_body(msg), nng_msg_len(msg), &f, &b);
	if (rv != 0)
		return evlc_fail(c, rv, "malformed response frame");
	if ((f.flags & EVLP_FLAG_RESPONSE) == 0 || f.op != op || f.id != id)
		return evlc_fail(c, EVL_EPROTO,
		    "response does not match request (op %u id %u)",
		    (unsigned) f.op, (unsigned) f.id);
	if (f.status != 0) {
		evlp_error_body eb;
		if (evlp_error_body_decode(b, &eb) == 0) {
			if (detail)
				*detail = eb.detail;
			return evlc_fail(c, f.status, "%.*s",
			    (int) (eb.message.len > 400 ? 400 : eb.message.len),
			    (const char *) eb.message.p);
		}
		if (detail)
			*detail = 0;
		return evlc_fail(c, f.status, "%s", evl_strerror(f.status));
	}
	*body = b;
	return 0;
}

void
evlc_resp_fini(evlc_resp *resp)
{
	if (resp->msg)
		nng_msg_free(resp->msg);
	resp->msg = NULL;
}

/* ---- contexts --------------------------------------------------------- */

int
evlc_ctx_open(evl_client *c, nng_ctx *ctx)
{
	int rv = nng_ctx_open(ctx, c->sock);
	if (rv != 0)
		return evlc_nng_err(rv);
	/* Inherited from the socket already; set again so a context never
	 * depends on the order of option calls. */
	rv = nng_ctx_set_ms(*ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	if (rv != 0) {
		nng_ctx_close(*ctx);
		return evlc_nng_err(rv);
	}
	return 0;
}

static int
chan_get(evl_client *c, evlc_chan **out)
{
	evlc_chan *ch;
	pthread_mutex_lock(&c->mu);
	if ((ch = c->idle) != NULL)
		c->idle = ch->next;
	pthread_mutex_unlock(&c->mu);
	if (ch) {
		*out = ch;
		return 0;
	}
	if (EVLP_ALLOC_STRUCT(ch) == NULL)
		return EVL_ENOMEM;
	int rv = evlc_ctx_open(c, &ch->ctx);
	if (rv != 0)
		goto fail;
	if ((rv = nng_aio_alloc(&ch->aio, NULL, NULL)) != 0) {
		nng_ctx_close(ch->ctx);
		rv = evlc_nng_err(rv);
		goto fail;
	}
	*out = ch;
	return 0;
fail:
	evlp_free(ch);
	return rv;
}

static void
chan_put(evl_client *c, evlc_chan *ch)
{
	pthread_mutex_lock(&c->mu);
	ch->next = c->idle;
	c->idle  = ch;
	pthread_mutex_unlock(&c->mu);
}

/* ---- the request loop ------------------------------------------------- */

/*
 * Whether a request that failed with err may be sent again.  The broker
 * answers EVL_EBUSY (too many requests outstanding on the connection,
 * too many parked requests) and a quota's EVL_ETHROTTLED before it does
 * anything -- but for a JOIN_GROUP refused a parked slot, which a member
 * sends again anyway -- so any request may be, idempotent or not; but
 * not a login step refused EVL_ETHROTTLED, which is a lockout to report
 * (auth.c).  A lost connection and shutting down may come after the
 * request took effect: idempotent requests only.
 */
static bool
resendable(int err, unsigned flags)
{
	if (err == EVL_EBUSY)
		return true;
	if (err == EVL_ETHROTTLED)
		return !(flags & EVLC_NOAUTH);
	return (flags & EVLC_IDEMPOTENT) &&
	    (err == EVL_ECONNRESET || err == EVL_ESHUTDOWN);
}

/* A request this large that loses its connection may have been over the
 * broker's --max-message-bytes (at least 1 KiB, 16 MiB by default); the
 * error message says so.  Below it, a reset is almost surely something
 * else, and the hint would only mislead. */
#define BIG_REQUEST ((size_t) 64 << 10)

/* One exchange on ch: send req (a copy), receive the answer. */
static int
exchange(evlc_chan *ch, nng_msg *req, uint64_t left, nng_msg **rep)
{
	nng_msg *m;
	int      rv;
	if ((rv = nng_msg_dup(&m, req)) != 0)
		return rv;
	nng_aio_set_timeout(ch->aio, (nng_duration) left);
	nng_aio_set_msg(ch->aio, m);
	nng_ctx_send(ch->ctx, ch->aio);
	nng_aio_wait(ch->aio);
	if ((rv = nng_aio_result(ch->aio)) != 0) {
		/* A failed send hands the message back. */
		nng_msg_free(nng_aio_get_msg(ch->aio));
		nng_aio_set_msg(ch->aio, NULL);
		return rv;
	}
	nng_ctx_recv(ch->ctx, ch->aio);
	nng_aio_wait(ch->aio);
	if ((rv = nng_aio_result(ch->aio)) != 0)
		return rv;
	*rep = nng_aio_get_msg(ch->aio);
	nng_aio_set_msg(ch->aio, NULL);
	return 0;
}

int
evlc_call(evl_client *c, uint8_t op, evlc_encode_fn enc, const void *arg,
    uint32_t extra_ms, unsigned flags, evlc_resp *resp)
{
	nng_msg   *req = NULL;
	evlc_chan *ch  = NULL;
	uint32_t   id  = atomic_fetch_add(&c->next_id, 1);
	uint64_t   deadline =
	    evlc_now_ms() + (uint64_t) c->timeout_ms + (uint64_t) extra_ms;
	int rv;
	int refusals = 0;

	if ((rv = evlc_msg_build(&req, op, id, enc, arg)) != 0) {
		evlc_fail(c, rv, "cannot encode %s request", evlp_op_name(op));
		goto out;
	}
	if ((rv = chan_get(c, &ch)) != 0)
		goto out;
	for (;;) {
		uint64_t now = evlc_now_ms();
		nng_msg *rep = NULL;
		int64_t  detail = 0;
		if (now >= deadline) {
			rv = c->pipes > 0 ? EVL_ETIMEDOUT : EVL_ECONNREFUSED;
			break;
		}
		int nrv = exchange(ch, req, deadline - now, &rep);
		if (nrv != 0) {
			rv = evlc_nng_err(nrv);
			/* Timed out with no connection: the broker is down
			 * (or not reachable), which says more than
			 * "timed out". */
			if (rv == EVL_ETIMEDOUT && c->pipes == 0)
				rv = EVL_ECONNREFUSED;
		} else {
			resp->pipe = (uint32_t) nng_pipe_id(nng_msg_get_pipe(rep));
			rv = evlc_resp_check(c, rep, op, id, &resp->body,
			    &detail);
			if (rv == 0) {
				resp->msg = rep;
				break;
			}
			resp->detail = detail;
			nng_msg_free(rep);
		}
		if (rv == EVL_EAUTHREQUIRED && !(flags & EVLC_NOAUTH)) {
			/* Refused before it had any effect (a reconnect
			 * raced the login): log in, then re-send, whatever
			 * the op.  Without credentials, say so. */
			if (c->user == NULL) {
				evlc_fail(c, rv, "the broker requires a login: "
				                 "give a user and password");
				break;
			}
			if ((rv = evlc_auth_ensure(c)) != 0)
				break;
			if (++refusals > 2)
				nng_msleep(RETRY_BACKOFF_MS / 5);
			continue;
		}
		if (!resendable(rv, flags))
			break;
		/* Re-send.  After a reset the request waits in REQ's send
		 * queue for the re-dialed pipe; after busy/shutdown/throttled
		 * the broker's hint (or a short pause) spaces the retries. */
		if (rv != EVL_ECONNRESET) {
			uint64_t pause = detail > 0 ? (uint64_t) detail
			                            : RETRY_BACKOFF_MS;
			now = evlc_now_ms();
			if (now + pause >= deadline) {
				/* Throttled past the deadline: wait it out
				 * anyway, so that callers which retry (the
				 * reader, the consumer) do not hammer a
				 * broker that asked for quiet. */
				if (rv == EVL_ETHROTTLED && deadline > now)
					nng_msleep(
					    (nng_duration) (deadline - now));
				break;
			}
			nng_msleep((nng_duration) pause);
		}
	}
	if (rv == EVL_ECONNREFUSED)
		evlc_fail(c, rv, "no connection to %s", c->url);
	else if (rv == EVL_ETIMEDOUT)
		evlc_fail(c, rv, "%s request timed out", evlp_op_name(op));
	else if (rv == EVL_ECONNRESET && nng_msg_len(req) > BIG_REQUEST)
		/* NNG drops a message over the broker's receive limit
		 * together with the connection, so no answer can say so:
		 * name the likely cause (PROTOCOL.md §1, "Size limit"). */
		evlc_fail(c, rv,
		    "connection to %s lost during %s (the request was %zu "
		    "bytes: a broker closes the connection on a request over "
		    "its --max-message-bytes)",
		    c->url, evlp_op_name(op), nng_msg_len(req));
	else if (rv == EVL_ECONNRESET)
		evlc_fail(c, rv, "connection to %s lost during %s", c->url,
		    evlp_op_name(op));
out:
	if (req)
		nng_msg_free(req);
	if (ch)
		chan_put(c, ch);
	return rv;
}

/* ---- opening ---------------------------------------------------------- */

static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	evl_client *c = arg;
	if (ev == NNG_PIPE_EV_ADD_POST)
		atomic_fetch_add(&c->pipes, 1);
	else if (ev == NNG_PIPE_EV_REM_POST)
		atomic_fetch_sub(&c->pipes, 1);
	evlc_auth_pipe_event(c, p, ev);
}

static bool
url_is_tls(const char *url)
{
	return strncmp(url, "tls+tcp", 7) == 0 || strncmp(url, "wss", 3) == 0;
}

/* Reads a whole file into a NUL-terminated buffer (PEM). */
static int
read_file(const char *path, char **out)
{
	FILE  *f = fopen(path, "rb");
	char  *buf = NULL;
	long   n;
	int    rv = EVL_EINVAL;
	if (f == NULL)
		return EVL_EINVAL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	if ((buf = evlp_alloc((size_t) n + 1)) == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
		evlp_free(buf);
		goto out;
	}
	buf[n] = '\0';
	*out   = buf;
	rv     = 0;
out:
	fclose(f);
	return rv;
}

static int
tls_setup(evl_client *c, const evl_client_opts *o)
{
	nng_tls_config *cfg;
	char           *cert = NULL, *key = NULL;
	int             rv;
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0)
		return evlc_fail(c, evlc_nng_err(rv), "tls: %s",
		    nng_strerror(rv));
	if (o->tls_ca_file) {
		if ((rv = nng_tls_config_ca_file(cfg, o->tls_ca_file)) != 0) {
			rv = evlc_fail(c, EVL_EINVAL, "tls ca %s: %s",
			    o->tls_ca_file, nng_strerror(rv));
			goto out;
		}
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		/* No CA: encrypted but the broker is not verified. */
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	}
	if (rv != 0) {
		rv = evlc_fail(c, evlc_nng_err(rv), "tls: %s", nng_strerror(rv));
		goto out;
	}
	if (o->tls_cert_file && o->tls_key_file) {
		if ((rv = read_file(o->tls_cert_file, &cert)) != 0 ||
		    (rv = read_file(o->tls_key_file, &key)) != 0) {
			rv = evlc_fail(c, rv, "tls: cannot read %s or %s",
			    o->tls_cert_file, o->tls_key_file);
			goto out;
		}
		if ((rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0) {
			rv = evlc_fail(c, EVL_EINVAL, "tls own cert: %s",
			    nng_strerror(rv));
			goto out;
		}
	} else if (o->tls_cert_file) {
		/* One file with both the certificate and its key. */
		rv = nng_tls_config_cert_key_file(cfg, o->tls_cert_file, NULL);
		if (rv != 0) {
			rv = evlc_fail(c, EVL_EINVAL, "tls cert %s: %s",
			    o->tls_cert_file, nng_strerror(rv));
			goto out;
		}
	}
	if (o->tls_server_name &&
	    (rv = nng_tls_config_server_name(cfg, o->tls_server_name)) != 0) {
		rv = evlc_fail(c, evlc_nng_err(rv), "tls server name: %s",
		    nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_dialer_set_ptr(c->dialer, NNG_OPT_TLS_CONFIG, cfg)) !=
	    0) {
		rv = evlc_fail(c, evlc_nng_err(rv), "tls: %s", nng_strerror(rv));
		goto out;
	}
	c->tls = cfg;
	cfg    = NULL;
out:
	if (cfg)
		nng_tls_config_free(cfg);
	evlp_free(cert);
	evlp_free(key);
	return rv;
}

static void
ping_encode(evlp_wr *w, const void *arg)
{
	(void) w;
	(void) arg;
}

static int
client_ping(evl_client *c, uint32_t wait_ms)
{
	evlc_resp      resp = { 0 };
	evlp_ping_resp pr;
	uint32_t       saved = c->timeout_ms;
	/* The PING rides on the connect timeout, not the request one. */
	c->timeout_ms = wait_ms;
	int rv = evlc_call(c, EVLP_OP_PING, ping_encode, NULL, 0,
	    EVLC_IDEMPOTENT, &resp);
	c->timeout_ms = saved;
	if (rv != 0)
		return rv;
	if ((rv = evlp_ping_resp_decode(resp.body, &pr)) != 0)
		evlc_fail(c, rv, "malformed PING response");
	else if (pr.protocol_version != EVLP_VERSION)
		rv = evlc_fail(c, EVL_EVERSION,
		    "broker speaks protocol version %u, we speak %u",
		    (unsigned) pr.protocol_version, (unsigned) EVLP_VERSION);
	evlc_resp_fini(&resp);
	return rv;
}

/* Frees a client that was never (fully) opened or is being closed. */
static void
client_free(evl_client *c)
{
	evlc_chan *ch;
	evlc_meta *m;
	if (c->sock.id != 0)
		nng_close(c->sock); /* also closes the dialer and contexts */
	/* After the close: a login in progress fails at once. */
	evlc_auth_close(c);
	while ((ch = c->idle) != NULL) {
		c->idle = ch->next;
		nng_aio_free(ch->aio);
		evlp_free(ch);
	}
	while ((m = c->metas) != NULL) {
		c->metas = m->next;
		evlp_free(m);
	}
	if (c->tls)
		nng_tls_config_free(c->tls);
	for (int k = 0; k < EVLC_KINDS; k++)
		evlp_free(c->open[k]);
	evlp_free(c->url);
	pthread_cond_destroy(&c->acv);
	pthread_mutex_destroy(&c->amu);
	pthread_mutex_destroy(&c->mu);
	evlp_free(c);
}

int
evl_client_open(evl_client **out, const evl_client_opts *o)
{
	evl_client_opts def;
	evl_client     *c;
	int             rv;
	if (out == NULL)
		return EVL_EINVAL;
	if (o == NULL) {
		evl_client_opts_init(&def);
		o = &def;
	}
	if (EVLP_ALLOC_STRUCT(c) == NULL)
		return EVL_ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->amu, NULL);
	pthread_cond_init(&c->acv, NULL);
	atomic_init(&c->cur_pipe, 0);
	atomic_init(&c->pipes, 0);
	atomic_init(&c->next_id, 1);
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->connect_timeout_ms =
	    o->connect_timeout_ms ? o->connect_timeout_ms : DEFAULT_CONNECT_MS;
	const char *url = o->url ? o->url : getenv("EVLOG_BROKER");
	if (url == NULL || *url == '\0')
		url = DEFAULT_URL;
	if ((c->url = evlp_strdup(url)) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		c->sock.id = 0;
		rv         = evlc_nng_err(rv);
		goto fail;
	}
	/* Before any context is opened: contexts copy it (client_int.h). */
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	         NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ,
	         EVLC_RECV_MAX)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT,
	         RECONNECT_MIN_MS)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT,
	         RECONNECT_MAX_MS)) != 0 ||
	    (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, pipe_event,
	         c)) != 0 ||
	    (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_event,
	         c)) != 0) {
		rv = evlc_nng_err(rv);
		goto fail;
	}
	if ((rv = nng_dialer_create(&c->dialer, c->sock, c->url)) != 0) {
		rv = evlc_fail(c, evlc_nng_err(rv), "bad broker URL %s: %s",
		    c->url, nng_strerror(rv));
		goto fail;
	}
	/* The ws transport keeps its own limits (1 MiB by default); the
	 * dialer-level setting reaches it.  Not every transport knows the
	 * frame option, hence no error check on that one. */
	(void) nng_dialer_set_size(c->dialer, NNG_OPT_RECVMAXSZ, EVLC_RECV_MAX);
	if (strncmp(c->url, "ws", 2) == 0)
		(void) nng_dialer_set_size(
		    c->dialer, NNG_OPT_WS_RECVMAXFRAME, EVLC_RECV_MAX);
	if (url_is_tls(c->url)) {
		if ((rv = tls_setup(c, o)) != 0)
			goto fail;
	} else if (o->tls_ca_file || o->tls_cert_file) {
		rv = evlc_fail(c, EVL_EINVAL,
		    "TLS files given for a non-TLS URL %s", c->url);
		goto fail;
	}
	if ((rv = nng_dialer_start(c->dialer, NNG_FLAG_NONBLOCK)) != 0) {
		rv = evlc_fail(c, evlc_nng_err(rv), "cannot dial %s: %s",
		    c->url, nng_strerror(rv));
		goto fail;
	}
	if ((rv = client_ping(c, c->connect_timeout_ms)) != 0)
		goto fail;
	if ((rv = evlc_auth_open(c, o)) != 0)
		goto fail;
	c->errmsg[0] = '\0';
	*out         = c;
	return 0;
fail:
	client_free(c);
	return rv;
}

/* ---- registry of open handles ----------------------------------------- */

int
evlc_register(evl_client *c, void *h, enum evlc_kind kind)
{
	int rv = 0;
	pthread_mutex_lock(&c->mu);
	void **grown =
	    evlp_realloc(c->open[kind], (c->nopen[kind] + 1) * sizeof(void *));
	if (grown == NULL) {
		rv = EVL_ENOMEM;
	} else {
		grown[c->nopen[kind]++] = h;
		c->open[kind]           = grown;
	}
	pthread_mutex_unlock(&c->mu);
	return rv;
}

void
evlc_unregister(evl_client *c, void *h, enum evlc_kind kind)
{
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nopen[kind]; i++) {
		if (c->open[kind][i] == h) {
			c->open[kind][i] = c->open[kind][--c->nopen[kind]];
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
}

/* The last handle of kind still open on c, or NULL. */
static void *
last_open(evl_client *c, enum evlc_kind kind)
{
	void *h = NULL;
	pthread_mutex_lock(&c->mu);
	if (c->nopen[kind] > 0)
		h = c->open[kind][c->nopen[kind] - 1];
	pthread_mutex_unlock(&c->mu);
	return h;
}

void
evl_client_close(evl_client *c)
{
	void *h;
	if (c == NULL)
		return;
	/* Each close unregisters its handle. */
	while ((h = last_open(c, EVLC_CONSUMER)) != NULL)
		evl_consumer_close(h);
	while ((h = last_open(c, EVLC_PRODUCER)) != NULL)
		evl_producer_close(h);
	while ((h = last_open(c, EVLC_READER)) != NULL)
		evl_reader_close(h);
	client_free(c);
}
