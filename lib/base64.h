/*
 * base64.h: base64 (RFC 4648), the one copy every binary uses: SSH keys
 * and fingerprints, HTTP Signature and Basic auth headers, the Docker
 * headers that carry JSON (X-Registry-Auth, X-Docker-Container-Path-Stat).
 *
 * OpenSSL's EVP block codec does the work; this adds what each caller had
 * written around it: padding made optional both ways, the URL-safe
 * alphabet that Docker clients send, and the decoded length without the
 * zero bytes EVP_DecodeBlock counts for the padding.
 */
#ifndef SDC_BASE64_H
#define SDC_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

/* The standard alphabet on one line; `pad` false drops the '=' padding
 * (as ssh-keygen's SHA256 fingerprints).  Never fails; free the result. */
char *base64_encode(const void *data, size_t len, bool pad);

/* Append the bytes of `len` characters of base64 to out (NUL-terminated
 * after them).  Padding is optional; `url` also accepts the URL-safe
 * alphabet ('-' and '_'), as Docker's X-Registry-Auth is sent either way.
 * Empty text or a character outside the alphabet is an error. */
int base64_decode(const char *text, size_t len, bool url, struct buf *out,
    sdc_error_t *err);

#endif
