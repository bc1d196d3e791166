/*
 * memo.c: self-signed client certificates already verified, and the key
 * that vouched for each.
 *
 * A client presents the same certificate on every connection, and
 * checking its signature is the dearest part of judging it (an Ed25519
 * or RSA verification, on top of parsing the account's keys to do it).
 * The memo remembers that certificate D verified with key K, and nothing
 * else: whether K is still one of the account's keys is the caller's to
 * ask, every time.  D is named by the SHA-256 of the certificate's
 * encoding, K by both its fingerprints, so a hit says exactly what a new
 * check would say.  Only the self-signed form is kept: the issued form's
 * verdict also hangs on the clock and on which other keys the account has.
 *
 * The table is direct-mapped and fixed in size: a certificate pushes out
 * whichever one shares its slot, which costs only a full check later.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certgen.h"
#include "xalloc.h"

struct memo_slot {
	bool used;
	unsigned char digest[32];
	struct certgen_memo_key key;
};

struct certgen_memo {
	EVP_MD *sha256;         /* fetched once: an implicit fetch per digest costs more than the digest */
	size_t mask;
	struct memo_slot *slots;
};

struct certgen_memo *
certgen_memo_new(size_t slots)
{
	struct certgen_memo *m;
	size_t n = 1;

	while (n < slots)
		n <<= 1;
	m = xcalloc(1, sizeof *m);
	m->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (m->sha256 == NULL) {
		free(m);
		return NULL;
	}
	m->mask = n - 1;
	m->slots = xcalloc(n, sizeof *m->slots);
	return m;
}

void
certgen_memo_free(struct certgen_memo *m)
{
	if (m == NULL)
		return;
	EVP_MD_free(m->sha256);
	free(m->slots);
	free(m);
}

/* The certificate's digest and the slot it belongs in. */
static struct memo_slot *
memo_slot(struct certgen_memo *m, X509 *peer, unsigned char digest[32])
{
	unsigned int len = 0;
	uint64_t h;

	if (X509_digest(peer, m->sha256, digest, &len) != 1 || len != 32)
		return NULL;
	memcpy(&h, digest, sizeof h);
	return &m->slots[h & m->mask];
}

const struct certgen_memo_key *
certgen_memo_find(struct certgen_memo *m, X509 *peer, time_t now)
{
	unsigned char digest[32];
	sdc_error_t expired = NULL;
	struct memo_slot *s;

	if (m == NULL || peer == NULL || (s = memo_slot(m, peer, digest)) == NULL)
		return NULL;
	if (!s->used || memcmp(s->digest, digest, sizeof digest) != 0)
		return NULL;
	/* Time moves on: a certificate that verified may have expired since. */
	if (certgen_verify_validity(peer, now, &expired) < 0) {
		sdc_error_release(&expired);
		return NULL;
	}
	return &s->key;
}

static void
memo_add(struct certgen_memo *m, X509 *peer, const struct certgen_pubkey *key)
{
	struct certgen_memo_key k;
	unsigned char digest[32];
	struct memo_slot *s;

	if (key->md5 == NULL || key->sha256 == NULL ||
	    (size_t)snprintf(k.md5, sizeof k.md5, "%s", key->md5) >= sizeof k.md5 ||
	    (size_t)snprintf(k.sha256, sizeof k.sha256, "%s", key->sha256) >= sizeof k.sha256)
		return;
	if ((s = memo_slot(m, peer, digest)) == NULL)
		return;
	s->used = true;
	memcpy(s->digest, digest, sizeof digest);
	s->key = k;
}

int
certgen_memo_verify(struct certgen_memo *m, X509 *peer, const struct certgen_pubkey *keys,
    size_t nkeys, time_t now, enum certgen_form *form, sdc_error_t *err)
{
	enum certgen_form f;
	int i;

	i = certgen_verify_client(peer, keys, nkeys, now, &f, err);
	if (i >= 0 && f == CERTGEN_FORM_SELF_SIGNED && m != NULL)
		memo_add(m, peer, &keys[i]);
	if (i >= 0 && form != NULL)
		*form = f;
	return i;
}
