/*
 * sshwire.h: libcertgen's internal helpers for SSH wire data and for
 * building keys from their parts.  Not part of the public interface
 * (certgen.h); shared by pubkey.c and openssh.c, which both read SSH
 * encodings of keys.
 */
#ifndef SDC_CERTGEN_SSHWIRE_H
#define SDC_CERTGEN_SSHWIRE_H

#include <stdint.h>

#include <openssl/bn.h>

#include "certgen.h"

/* A cursor over SSH wire data (RFC 4251 5). */
struct sshwire {
	const unsigned char *p;
	size_t left;
};

int sshwire_u32(struct sshwire *r, uint32_t *v, sdc_error_t *err);
int sshwire_string(struct sshwire *r, const unsigned char **s, size_t *len, sdc_error_t *err);
/* A name as an allocated C string; refused unless printable ASCII. */
char *sshwire_cstring(struct sshwire *r, sdc_error_t *err);
BIGNUM *sshwire_mpint(struct sshwire *r, sdc_error_t *err);

void sshwire_put_u32(struct buf *b, uint32_t v);
void sshwire_put_string(struct buf *b, const void *s, size_t len);
void sshwire_put_cstring(struct buf *b, const char *s);
void sshwire_put_mpint(struct buf *b, const BIGNUM *bn);

/* SSH curve names ("nistp256") and OpenSSL group names both ways. */
const char *sshwire_curve_group(const char *ssh_curve);

/* Keys from their parts (build.c).  Private parts may be NULL for a
 * public key.  RSA's CRT exponents are derived from d, p and q. */
EVP_PKEY *certgen_build_rsa(const BIGNUM *n, const BIGNUM *e, const BIGNUM *d,
    const BIGNUM *p, const BIGNUM *q, sdc_error_t *err);
EVP_PKEY *certgen_build_ec(const char *group, const unsigned char *point, size_t pointlen,
    const BIGNUM *priv, sdc_error_t *err);
EVP_PKEY *certgen_build_ed25519(const unsigned char *pub, size_t publen,
    const unsigned char *seed, sdc_error_t *err);

/* Blowfish's initial state, the digits of pi (blowfish-pi.c). */
#define BLOWFISH_PI_WORDS (18 + 4 * 256)
extern const uint32_t blowfish_pi[BLOWFISH_PI_WORDS];

/* OpenSSH's key derivation for encrypted keys (bcrypt_pbkdf.c). */
int certgen_bcrypt_pbkdf(const char *pass, size_t passlen, const unsigned char *salt,
    size_t saltlen, unsigned char *key, size_t keylen, unsigned int rounds, sdc_error_t *err);

/* The OpenSSH private key format (openssh.c); called by key.c with the
 * whole "-----BEGIN OPENSSH PRIVATE KEY-----" text. */
EVP_PKEY *certgen_openssh_parse(const char *text, size_t len, const char *name,
    struct certgen_pass *pass, sdc_error_t *err);

#endif
