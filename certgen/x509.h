/*
 * x509.h: libcertgen's internal certificate-building steps, shared by
 * client.c and server.c.  Not part of the public interface (certgen.h).
 */
#ifndef SDC_CERTGEN_X509_H
#define SDC_CERTGEN_X509_H

#include "certgen.h"

/* A v3 certificate for subject_key: a random positive serial, CN names,
 * valid from five minutes ago (clock skew) until `days` days from now. */
X509 *certgen_x509_new(EVP_PKEY *subject_key, const char *subject_cn,
    const char *issuer_cn, int days, sdc_error_t *err);
/* Add an extension in openssl.cnf syntax ("critical,CA:TRUE").  issuer is
 * the issuing certificate (for authorityKeyIdentifier), NULL if self. */
int certgen_x509_add_ext(X509 *cert, X509 *issuer, int nid, const char *value,
    sdc_error_t *err);
/* Sign with the digest that suits the key (certgen_key_digest). */
int certgen_x509_sign(X509 *cert, EVP_PKEY *key, sdc_error_t *err);

#endif
