/*
 * certgen.h: libcertgen, TLS certificates from SSH keys.
 *
 * Triton users prove who they are with the SSH key they registered; the
 * Docker endpoint wants X.509.  This library bridges the two.  Keys are
 * plain OpenSSL EVP_PKEYs and certificates plain X509s, so the daemon can
 * hand over what its TLS stack gives it (SSL_get0_peer_certificate) and use
 * the results without conversion.  Every SSH-side fact (fingerprints, wire
 * blobs) is computed from the EVP_PKEY, whatever file format it came from;
 * struct certgen_pubkey computes them once, when the key is parsed, so the
 * two cannot drift apart.
 *
 * Two client certificate forms are recognised, as in Triton:
 *   self-signed  subject CN = login, public key = the SSH key, signed by the
 *                SSH key itself (what sdc-docker-setup.sh always made);
 *   issued       a fresh key pair; subject CN = login; issuer CN = the SSH
 *                key's MD5 fingerprint; signed by the SSH key; extended key
 *                usage clientAuth and Joyent's docker purpose OID.
 * A server verifying either needs only the account's public keys (see
 * certgen_verify_client).  Neither chains to a CA the server holds, so a
 * TLS server asks for a certificate (SSL_VERIFY_PEER |
 * SSL_VERIFY_FAIL_IF_NO_PEER_CERT) with a verify callback that accepts
 * whatever comes, and judges it afterwards.  It must not send a list of
 * acceptable CA names: Go clients (the docker CLI) send no certificate
 * when their certificate's issuer is not on a list the server sent.
 *
 * The daemon's side, in short:
 *
 *     struct certgen_pubkey keys[n];      // one per authorized_keys line
 *     certgen_pubkey_parse(line, &keys[i], &err);   // keys[i].md5, ...
 *     cn = certgen_cert_subject_cn(peer, &err);     // the login
 *     i = certgen_verify_client(peer, keys, n, time(NULL), NULL, &err);
 *     certgen_server_ensure(dir, "my.host", sans, nsans, &err);
 *     certgen_httpsig_parse(authorization, &hs, &err);  // hs.login, hs.fingerprint
 *     certgen_httpsig_verify(&hs, date_header, &keys[j], &err);
 *
 * Errors follow lib/error.h: fallible functions take `sdc_error_t *err`
 * last and return -1 or NULL; OpenSSL's own text is kept in the message.
 * Nothing here exits or prints, except certgen_pass_get() prompting on
 * the terminal when asked to.
 */
#ifndef SDC_CERTGEN_H
#define SDC_CERTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "error.h"

#define CERTGEN_DEFAULT_DAYS 365
#define CERTGEN_SERVER_DAYS 3650
/* Joyent's "docker client" key purpose, put in the issued form's EKU. */
#define CERTGEN_DOCKER_PURPOSE_OID "1.3.6.1.4.1.38678.1.4.1"

/* ---- Passphrases (passphrase.c) --------------------------------------- */

/* Where the passphrase of an encrypted key comes from.  It is fetched only
 * when a key turns out to be encrypted, and at most once. */
enum certgen_pass_kind {
	CERTGEN_PASS_NONE,	/* encrypted keys are an error */
	CERTGEN_PASS_PROMPT,	/* ask on /dev/tty, echo off */
	CERTGEN_PASS_FILE,	/* first line of the file named by value */
	CERTGEN_PASS_ENV,	/* the environment variable named by value */
	CERTGEN_PASS_STRING,	/* value itself */
};

struct certgen_pass {
	enum certgen_pass_kind kind;
	const char *value;
	char *cached;		/* internal: what was fetched; NULL at start */
};

#define CERTGEN_PASS_INIT { CERTGEN_PASS_NONE, NULL, NULL }

/* The passphrase (owned by pass; valid until certgen_pass_clear).
 * `what` names the key in the prompt. */
const char *certgen_pass_get(struct certgen_pass *pass, const char *what, sdc_error_t *err);
/* Wipe and free the cached passphrase. */
void certgen_pass_clear(struct certgen_pass *pass);

/* ---- Private keys (key.c, openssh.c) ---------------------------------- */

/* Read a private key: RSA, ECDSA P-256/384/521 or Ed25519, in PEM (PKCS#1,
 * SEC1, PKCS#8, encrypted or not) or the OpenSSH format.  DSA and other
 * types are refused with a message saying so.  `pass` may be NULL. */
EVP_PKEY *certgen_key_load(const char *path, struct certgen_pass *pass, sdc_error_t *err);
/* The same from memory; `name` is used in messages. */
EVP_PKEY *certgen_key_parse(const char *data, size_t len, const char *name,
    struct certgen_pass *pass, sdc_error_t *err);
/* Fail unless the public and private halves of a key agree (keycheck.c);
 * certgen_key_load() does this for every key it reads. */
int certgen_key_check_consistency(EVP_PKEY *key, const char *name, sdc_error_t *err);
/* Fail unless the key is one of the supported types. */
int certgen_key_check_type(EVP_PKEY *key, sdc_error_t *err);
/* A fresh EC P-256 key pair. */
EVP_PKEY *certgen_key_generate(sdc_error_t *err);
/* PEM: private key as PKCS#8, public key as SubjectPublicKeyInfo. */
int certgen_key_pem(EVP_PKEY *key, struct buf *out, sdc_error_t *err);
int certgen_pubkey_pem(EVP_PKEY *key, struct buf *out, sdc_error_t *err);

/* ---- Public keys (pubkey.c) -------------------------------------------- */

/* An SSH public key with what the daemon looks it up by. */
struct certgen_pubkey {
	EVP_PKEY *pkey;
	char *type;	/* "ssh-rsa", "ecdsa-sha2-nistp256", "ssh-ed25519", ... */
	char *md5;	/* "6b:1f:...", lower-case, no "MD5:" prefix */
	char *sha256;	/* base64 without padding, no "SHA256:" prefix */
	char *comment;	/* "" when the line had none */
};

/* Parse one authorized_keys line (options before the type are skipped)
 * into *out, which the caller releases with certgen_pubkey_clear(). */
int certgen_pubkey_parse(const char *line, struct certgen_pubkey *out, sdc_error_t *err);
/* Fill *out from a key (public or private); comment becomes "". */
int certgen_pubkey_from_pkey(EVP_PKEY *key, struct certgen_pubkey *out, sdc_error_t *err);
void certgen_pubkey_clear(struct certgen_pubkey *pk);

/* The SSH wire-format public key blob (RFC 4253 6.6, RFC 5656, RFC 8709). */
int certgen_pubkey_blob(EVP_PKEY *key, struct buf *out, sdc_error_t *err);
/* The SSH type name of a key ("ssh-rsa", ...); NULL if unsupported. */
const char *certgen_pubkey_type(EVP_PKEY *key);
/* "TYPE BASE64 [comment]": the authorized_keys form of a key. */
char *certgen_pubkey_format(EVP_PKEY *key, const char *comment, sdc_error_t *err);

/* ---- Fingerprints (fingerprint.c) ------------------------------------- */

/* As ssh-keygen -l -E md5 (colon hex) and -E sha256 (unpadded base64),
 * without the "MD5:" / "SHA256:" prefix.  Caller frees. */
char *certgen_fingerprint_md5(EVP_PKEY *key, sdc_error_t *err);
char *certgen_fingerprint_sha256(EVP_PKEY *key, sdc_error_t *err);

/* ---- Certificates (x509.c, client.c, server.c) ------------------------ */

/* A certificate and the private key that goes with it. */
struct certgen_pair {
	X509 *cert;
	EVP_PKEY *key;
};

void certgen_pair_clear(struct certgen_pair *p);
/* PEM of the certificate / of its key. */
int certgen_cert_pem(X509 *cert, struct buf *out, sdc_error_t *err);

/* Self-signed form: out->key is ssh_key (a new reference), out->cert has
 * CN = login and is signed by ssh_key.  days <= 0 means the default. */
int certgen_client_self_signed(EVP_PKEY *ssh_key, const char *login, int days,
    struct certgen_pair *out, sdc_error_t *err);

/* Issued form: out gets a fresh P-256 key and its certificate, issuer CN =
 * the MD5 fingerprint of ssh_key, signed by ssh_key.  If issuer is not
 * NULL it receives a self-signed CA certificate for ssh_key with that same
 * name, so ordinary X.509 tools (openssl verify -CAfile) accept the chain. */
int certgen_client_issued(EVP_PKEY *ssh_key, const char *login, int days,
    struct certgen_pair *out, X509 **issuer, sdc_error_t *err);

/* Make the self-signed or the issued form and write key.pem (0600) and
 * cert.pem, plus issuer.pem for the issued form, into dir: all or none. */
int certgen_client_write(const char *dir, EVP_PKEY *ssh_key, const char *login,
    int days, bool issued, sdc_error_t *err);

/* A CA for the server (CN = "<cn> CA"), self-signed with a fresh key. */
int certgen_server_ca(const char *cn, int days, struct certgen_pair *ca, sdc_error_t *err);
/* A server certificate signed by ca, CN = cn, with the subject alternative
 * names given as "DNS:name" or "IP:addr", EKU serverAuth. */
int certgen_server_cert(const struct certgen_pair *ca, const char *cn,
    const char *const *sans, size_t nsans, int days, struct certgen_pair *out,
    sdc_error_t *err);
/* Write a new server-cert.pem and server-key.pem into dir, under the CA
 * kept there (ca.pem, ca-key.pem) or, when there is none, a new one
 * written beside them.  A ca.pem without its key is an error: replacing
 * it would break every client that trusts it.  Keys are 0600; every file
 * or none is written. */
int certgen_server_write(const char *dir, const char *cn, const char *const *sans,
    size_t nsans, int days, sdc_error_t *err);
/* For the daemon's first start: certgen_server_write() unless dir already
 * holds all four files.  Returns 1 if written, 0 if already present. */
int certgen_server_ensure(const char *dir, const char *cn, const char *const *sans,
    size_t nsans, sdc_error_t *err);

/* The CA kept in dir (ca.pem and ca-key.pem). */
int certgen_ca_load(const char *dir, struct certgen_pair *ca, sdc_error_t *err);

/* ---- Under the operator's CA (operator.c) ------------------------------ */

/* A client certificate for the operator's tools and daemons (CN = cn, EKU
 * clientAuth) signed by the CA kept in ca_dir; written into out as
 * cert.pem, key.pem (0600) and a copy of the CA's ca.pem: the layout of
 * Docker's DOCKER_CERT_PATH and of libsapi's SAPI_CERT_PATH. */
int certgen_operator_write(const char *ca_dir, const char *out, const char *cn,
    int days, sdc_error_t *err);
/* A server certificate (as certgen_server_cert) signed by the CA kept in
 * ca_dir, for another daemon than the one owning it (sapi on TCP): written
 * into out as server-cert.pem, server-key.pem (0600) and ca.pem. */
int certgen_server_write_under(const char *ca_dir, const char *out,
    const char *cn, const char *const *sans, size_t nsans, int days,
    sdc_error_t *err);

/* A compute node's certificate for its agent's API (as
 * certgen_server_write_under: EKU serverAuth only, so it is no client of
 * another node), written into out as node-cert.pem, node-key.pem (0600)
 * and ca.pem, the operator's CA that the agent takes heads' client
 * certificates from. */
int certgen_node_write(const char *ca_dir, const char *out, const char *cn,
    const char *const *sans, size_t nsans, int days, sdc_error_t *err);

/* The subject (or issuer) CN of a certificate; caller frees. */
char *certgen_cert_subject_cn(X509 *cert, sdc_error_t *err);
char *certgen_cert_issuer_cn(X509 *cert, sdc_error_t *err);

/* ---- Verifying client certificates (verify.c) ------------------------- */

enum certgen_form {
	CERTGEN_FORM_SELF_SIGNED,
	CERTGEN_FORM_ISSUED,
};

/* Which of an account's keys vouches for a peer certificate.  Self-signed
 * form: the certificate's public key has the MD5 fingerprint of keys[i]
 * and its signature verifies with it.  Issued form: the issuer CN is the
 * MD5 fingerprint of keys[i] and the signature verifies with it.  Either
 * way `now` must lie within the validity period (Triton did not check it
 * for the self-signed form), and a certificate whose key usage or
 * extended key usage rules out TLS client authentication is refused.
 * Returns i, and the form in *form if not NULL; -1 with a
 * message fit for a log when no key vouches for it.  The subject CN (the
 * login) is the caller's to compare: certgen_cert_subject_cn(). */
int certgen_verify_client(X509 *peer, const struct certgen_pubkey *keys, size_t nkeys,
    time_t now, enum certgen_form *form, sdc_error_t *err);
/* now lies within the certificate's notBefore..notAfter: -1 with "the
 * certificate has expired" or "... is not valid yet" otherwise. */
int certgen_verify_validity(X509 *peer, time_t now, sdc_error_t *err);

/* ---- Certificates already verified (memo.c) --------------------------- */

/* Which key vouched for a certificate, by both its fingerprints. */
struct certgen_memo_key {
	char md5[48];
	char sha256[44];
};

/* A bounded memo of self-signed client certificates that verified, by the
 * SHA-256 of their encoding, and the key that vouched for each.  It knows
 * nothing of accounts: a caller that finds a certificate in it must still
 * check that the key is one of the account's keys now, and then reaches
 * the verdict certgen_verify_client() would.  Not for the issued form,
 * whose verdict also depends on the time and the account's other keys. */
struct certgen_memo;

/* At most `slots` certificates (rounded up to a power of two); NULL if
 * OpenSSL has no SHA-256.  Every function takes a NULL memo as empty. */
struct certgen_memo *certgen_memo_new(size_t slots);
void certgen_memo_free(struct certgen_memo *memo);
/* The key that vouched for peer, or NULL (also when now is outside the
 * certificate's validity period); valid until the memo changes. */
const struct certgen_memo_key *certgen_memo_find(struct certgen_memo *memo, X509 *peer,
    time_t now);
/* certgen_verify_client(), remembering peer in memo if it passes in the
 * self-signed form. */
int certgen_memo_verify(struct certgen_memo *memo, X509 *peer,
    const struct certgen_pubkey *keys, size_t nkeys, time_t now,
    enum certgen_form *form, sdc_error_t *err);

/* ---- HTTP Signature (httpsig.c) --------------------------------------- */

/* The signature algorithm name for a key: rsa-sha256, ecdsa-sha256/384/512
 * by curve, ed25519.  NULL if unsupported. */
const char *certgen_httpsig_algorithm(EVP_PKEY *key);

/* The Authorization header value over "date: <date>":
 *   Signature keyId="/LOGIN/keys/MD5",algorithm="ALG",signature="BASE64"
 * Caller frees. */
char *certgen_httpsig_sign(EVP_PKEY *key, const char *login, const char *date, sdc_error_t *err);

/* An Authorization header taken apart. */
struct certgen_httpsig {
	char *login;		/* from keyId "/LOGIN/keys/FP" */
	char *fingerprint;	/* FP: an MD5 fingerprint */
	char *algorithm;
	char *headers;		/* "date" when absent */
	unsigned char *sig;	/* the decoded signature */
	size_t siglen;
};

int certgen_httpsig_parse(const char *authorization, struct certgen_httpsig *out, sdc_error_t *err);
void certgen_httpsig_clear(struct certgen_httpsig *hs);
/* Check a parsed header against the key its keyId names: the fingerprint
 * must be key's, the algorithm fit the key, the signed headers be "date",
 * and the signature verify over "date: <date>". */
int certgen_httpsig_verify(const struct certgen_httpsig *hs, const char *date,
    const struct certgen_pubkey *key, sdc_error_t *err);

/* ---- Files (file.c) --------------------------------------------------- */

/* One file to write: name relative to the directory. */
struct certgen_file {
	const char *name;
	const char *data;
	size_t len;
	int mode;
};

/* Write every file into dir (created 0700 if missing) through temporary
 * files renamed at the end, so a failure leaves none of them behind. */
int certgen_files_write(const char *dir, const struct certgen_file *files, size_t n,
    sdc_error_t *err);
/* Append a whole (small: at most 1 MiB) file to out. */
int certgen_file_read(const char *path, struct buf *out, sdc_error_t *err);

/* ---- Helpers shared by the modules (ossl.c) --------------------------- */

/* What a key is, as far as SSH and this library care. */
enum certgen_keytype {
	CERTGEN_KEY_UNSUPPORTED,
	CERTGEN_KEY_RSA,
	CERTGEN_KEY_P256,
	CERTGEN_KEY_P384,
	CERTGEN_KEY_P521,
	CERTGEN_KEY_ED25519,
};

enum certgen_keytype certgen_key_kind(EVP_PKEY *key);
/* Record an error with OpenSSL's queued error text appended; returns -1. */
int certgen_ossl_error(sdc_error_t *err, const char *fmt, ...) SDC_PRINTF(2, 3);
/* The message digest to sign with for a key: SHA-256/384/512 by RSA or
 * curve size; NULL for Ed25519 (which hashes internally). */
const EVP_MD *certgen_key_digest(EVP_PKEY *key);

#endif
