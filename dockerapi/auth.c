/*
 * auth.c: which account a Docker request speaks for.
 *
 * The expensive part, checking the client certificate against the
 * account's SSH keys, happens once per connection, right after the TLS
 * handshake; its outcome (an account and the key that vouched, or the
 * reason for refusing) is kept on the connection.  Each request then only
 * re-reads the account and checks that key is still one of its keys, so
 * disabling an account or removing a key takes effect on the next request,
 * even on a connection that is kept alive.
 *
 * A client shows the same certificate on each new connection, so the
 * certificate check remembers (certgen's memo) which key a self-signed
 * certificate verified with, and the next connection only asks the store
 * whether the account named by the certificate still has that very key:
 * no key parsed, no signature checked, and still the verdict a full check
 * would reach, since nothing about the account or its keys is kept.  A
 * removed key or account is refused on the next connection, at once.
 *
 * A certificate outside its validity period is refused first, whatever its
 * form (self-signed ones too, which Triton let live for ever).  An unknown
 * login and a known one with a key that is not its own get the same 401
 * text, so the answer does not tell which logins exist; the log says which.
 *
 * A store that does not answer (PostgreSQL restarting, a failover) is
 * not a verdict on the certificate: the client gets 503 "try again", not
 * a 401 that tells it its key is not registered, and a connection whose
 * handshake came while the store was away keeps the certificate to check
 * it again at its next request rather than keeping the 503 for its life.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certgen/certgen.h"
#include "dockerapi.h"
#include "log.h"
#include "xalloc.h"

/* The one answer for an unknown login and for a key that is not the
 * login's: which of the two it was is not the client's to learn. */
#define AUTH_NOT_VOUCHED "Unauthorized: the client certificate is not " \
	"vouched for by an SSH key of the account it names"
#define AUTH_STORE_AWAY "the account store does not answer; try again " \
	"in a moment"

struct auth_result {
	int status;             /* 0 when the certificate was accepted */
	char *message;
	char account_uuid[37];
	char *key_sha256;	/* the vouching key, by its SHA-256 fingerprint */
	X509 *recheck;		/* the store was away: checked again later */
};

static void
auth_result_free(void *p)
{
	struct auth_result *r = p;

	free(r->message);
	free(r->key_sha256);
	X509_free(r->recheck);
	free(r);
}

static struct auth_result *
refuse(const char *fmt, const char *arg)
{
	struct auth_result *r = xcalloc(1, sizeof *r);

	r->status = 401;
	xasprintf(&r->message, fmt, arg);
	return r;
}

/* account_find's error was the store's, not "no such account". */
static bool
auth_store_failed(sdc_error_t err)
{
	return err == NULL || err->code != 404;
}

/* A request's answer when the store did not answer (err). */
static void
auth_store_away(struct http_request *req, sdc_error_t err)
{
	log_warn("request not checked: %s", sdc_error_msg(err));
	api_error(req, 503, "%s", AUTH_STORE_AWAY);
}

/* No verdict: the store did not answer (err), so the same certificate
 * is checked again at the connection's next request. */
static struct auth_result *
store_away(X509 *peer, const char *login, sdc_error_t *err)
{
	struct auth_result *r = xcalloc(1, sizeof *r);

	log_warn("certificate for %s not checked: %s", login,
	    sdc_error_msg(*err));
	sdc_error_release(err);
	r->status = 503;
	r->message = xstrdup(AUTH_STORE_AWAY);
	X509_up_ref(peer);
	r->recheck = peer;
	return r;
}

static struct auth_result *
accept_key(const char *account_uuid, const char *key_sha256)
{
	struct auth_result *r = xcalloc(1, sizeof *r);

	snprintf(r->account_uuid, sizeof r->account_uuid, "%s", account_uuid);
	r->key_sha256 = xstrdup(key_sha256);
	return r;
}

/* A certificate that verified before with a key the account named by its
 * CN still has (the same rule as account_find: login or uuid); NULL when
 * it takes a full check to know. */
static struct auth_result *
auth_check_remembered(struct dockerapi *d, X509 *peer, const char *login)
{
	const struct certgen_memo_key *k = certgen_memo_find(d->cert_memo, peer,
	    time(NULL));
	struct auth_result *r = NULL;
	struct store_stmt *q;
	sdc_error_t err = NULL;

	if (k == NULL)
		return NULL;
	if (store_prepare(d->store, &q, "SELECT uuid FROM accounts JOIN account_keys "
	    "ON account_uuid = uuid WHERE (login = ?1 OR uuid = ?1) AND "
	    "fingerprint = ?2 AND sha256 = ?3", &err) == 0) {
		if (store_bind_text(q, 1, login, &err) == 0 &&
		    store_bind_text(q, 2, k->md5, &err) == 0 &&
		    store_bind_text(q, 3, k->sha256, &err) == 0 &&
		    store_step(q, &err) == 1)
			r = accept_key(store_col_text(q, 0), k->sha256);
		store_finalize(q);
	}
	sdc_error_release(&err);
	return r;
}

static struct auth_result *
auth_check_cert(struct dockerapi *d, X509 *peer)
{
	struct auth_result *r;
	struct account *a;
	struct certgen_pubkey *keys = NULL;
	size_t nkeys = 0;
	sdc_error_t err = NULL;
	char *login;
	int i;

	if (peer == NULL)
		return refuse("%s", "Unauthorized: no client certificate; run "
		    "sdc-docker-setup.sh to make one from your SSH key");
	login = certgen_cert_subject_cn(peer, &err);
	if (login == NULL) {
		sdc_error_release(&err);
		return refuse("%s", "Unauthorized: the client certificate has no "
		    "subject CN naming an account");
	}
	/* A property of the certificate alone: saying so tells nothing of
	 * the accounts. */
	if (certgen_verify_validity(peer, time(NULL), &err) < 0) {
		r = refuse("Unauthorized: %s; make a new one with "
		    "sdc-docker-setup.sh", sdc_error_msg(err));
		sdc_error_release(&err);
		free(login);
		return r;
	}
	if ((r = auth_check_remembered(d, peer, login)) != NULL) {
		free(login);
		return r;
	}
	a = account_find(d, login, &err);
	if (a == NULL && auth_store_failed(err)) {
		r = store_away(peer, login, &err);
		free(login);
		return r;
	}
	if (a == NULL) {
		log_emit(LOG_INFO, NULL, NULL, "refused certificate for %s: %s",
		    login, sdc_error_msg(err));
		sdc_error_release(&err);
		r = refuse("%s", AUTH_NOT_VOUCHED);
		free(login);
		return r;
	}
	if (account_pubkeys(d, a, &keys, &nkeys, &err) < 0) {
		r = store_away(peer, login, &err);
		account_free(a);
		free(login);
		return r;
	}
	if ((i = certgen_memo_verify(d->cert_memo, peer, keys, nkeys, time(NULL),
	    NULL, &err)) < 0) {
		log_emit(LOG_INFO, NULL, NULL, "refused certificate for %s: %s",
		    login, sdc_error_msg(err));
		sdc_error_release(&err);
		r = refuse("%s", AUTH_NOT_VOUCHED);
	} else
		r = accept_key(a->uuid, keys[i].sha256);
	account_pubkeys_free(keys, nkeys);
	account_free(a);
	free(login);
	return r;
}

int
auth_tls_peer(struct http_conn *conn, X509 *peer, void *arg)
{
	struct dockerapi *d = arg;

	/* Keep the connection either way: /_ping and /ca.pem need no
	 * certificate, and a refused client deserves a JSON 401, not a
	 * reset. */
	http_conn_set_data(conn, auth_check_cert(d, peer), auth_result_free);
	return 0;
}

bool
auth_dc_allowed(const struct dockerapi *d, const struct account *a)
{
	const char *dc = tunable_str(d, "datacenter_name", "");
	size_t i;
	json_t *v;

	if (!tunable_bool(d, "account_allowed_dcs", false))
		return true;
	json_array_foreach(a->allowed_dcs, i, v)
		if (strcmp(json_string_value(v), dc) == 0)
			return true;
	return false;
}

/* The key that vouched at the handshake is still the account's (1; 0 when
 * it is not, -1 when the store did not answer): matched
 * by SHA-256, as the memo matches, not by MD5, whose collisions are
 * cheap. */
static int
auth_key_current(struct dockerapi *d, const struct account *a,
    const char *sha256, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc = -1;

	if (store_prepare(d->store, &q, "SELECT 1 FROM account_keys WHERE "
	    "account_uuid = ? AND sha256 = ?", err) == 0) {
		if (store_bind_text(q, 1, a->uuid, err) == 0 &&
		    store_bind_text(q, 2, sha256, err) == 0)
			rc = store_step(q, err);
		store_finalize(q);
	}
	return rc;
}

/* A connection whose handshake came while the store was away: its
 * certificate checked now, the verdict kept for its next requests. */
static struct auth_result *
auth_recheck(struct dockerapi *d, struct http_request *req,
    struct auth_result *r)
{
	struct auth_result *now = auth_check_cert(d, r->recheck);

	http_conn_set_data(req->conn, now, auth_result_free);  /* frees r */
	return now;
}

static struct account *
auth_plain(struct dockerapi *d, struct http_request *req)
{
	struct account *a;
	sdc_error_t err = NULL;

	if (d->cfg.plain_account == NULL) {
		api_error(req, 401, "Unauthorized: USE_TLS is off and no "
		    "plain_account is configured");
		return NULL;
	}
	a = account_find(d, d->cfg.plain_account, &err);
	if (a == NULL && auth_store_failed(err))
		auth_store_away(req, err);
	else if (a == NULL)
		api_error(req, 401, "Unauthorized: %s", sdc_error_msg(err));
	sdc_error_release(&err);
	return a;
}

/* The account a certificate accepted at the handshake speaks for, if
 * it still has the key that vouched; NULL with the answer made. */
static struct account *
auth_tls_account(struct dockerapi *d, struct http_request *req,
    struct auth_result *r)
{
	struct account *a;
	sdc_error_t err = NULL;
	int rc = 1;

	if (r == NULL) {
		api_error(req, 401, "Unauthorized: no client certificate");
		return NULL;
	}
	if (r->recheck != NULL)
		r = auth_recheck(d, req, r);
	if (r->status != 0) {
		api_error(req, r->status, "%s", r->message);
		return NULL;
	}
	a = account_find(d, r->account_uuid, &err);
	if (a != NULL && (rc = auth_key_current(d, a, r->key_sha256,
	    &err)) < 0) {
		account_free(a);
		a = NULL;
	}
	if (a == NULL && auth_store_failed(err)) {
		auth_store_away(req, err);
		sdc_error_release(&err);
		return NULL;
	}
	sdc_error_release(&err);
	if (a == NULL || rc == 0) {
		api_error(req, 401, "Unauthorized: the key of this "
		    "certificate is no longer registered");
		account_free(a);
		return NULL;
	}
	return a;
}

struct account *
auth_account(struct dockerapi *d, struct http_request *req)
{
	struct account *a = d->use_tls ?
	    auth_tls_account(d, req, http_conn_data(req->conn)) :
	    auth_plain(d, req);

	if (a == NULL)
		return NULL;
	if (a->disabled) {
		api_error(req, 403, "Forbidden: account %s is disabled", a->login);
		account_free(a);
		return NULL;
	}
	if (!auth_dc_allowed(d, a)) {
		api_error(req, 403, "Forbidden: account %s is not allowed to use "
		    "data center %s", a->login, tunable_str(d, "datacenter_name", ""));
		account_free(a);
		return NULL;
	}
	return a;
}
