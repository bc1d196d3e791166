/*
 * sshwire.c: reading and writing SSH wire encodings (RFC 4251 5).
 *
 * Every read checks the remaining length first; data from a key file or
 * an authorized_keys line is untrusted, and a short or lying length must
 * end in an error, never in a read past the end.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "sshwire.h"
#include "xalloc.h"

int
sshwire_u32(struct sshwire *r, uint32_t *v, sdc_error_t *err)
{
	if (r->left < 4)
		return sdc_make_error(err, 0, "truncated SSH data");
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int
sshwire_string(struct sshwire *r, const unsigned char **s, size_t *len, sdc_error_t *err)
{
	uint32_t n = 0;

	if (sshwire_u32(r, &n, err) < 0)
		return -1;
	if (n > r->left)
		return sdc_make_error(err, 0, "truncated SSH data (a %u-byte field, %zu left)",
		    n, r->left);
	*s = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

char *
sshwire_cstring(struct sshwire *r, sdc_error_t *err)
{
	const unsigned char *s;
	size_t len;

	if (sshwire_string(r, &s, &len, err) < 0)
		return NULL;
	/* Names (key types, ciphers, curves) are printable ASCII; anything
	 * else is damage, and must not reach a terminal in a message. */
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return sdc_make_error(err, 0, "an SSH name holds a byte 0x%02x", s[i]), NULL;
	return xstrndup((const char *)s, len);
}

BIGNUM *
sshwire_mpint(struct sshwire *r, sdc_error_t *err)
{
	const unsigned char *s;
	size_t len;
	BIGNUM *bn;

	if (sshwire_string(r, &s, &len, err) < 0)
		return NULL;
	if (len > 0 && (s[0] & 0x80))
		return sdc_make_error(err, 0, "negative number in SSH key"), NULL;
	if (len > 2048)
		return sdc_make_error(err, 0, "number in SSH key too large"), NULL;
	bn = BN_bin2bn(s, (int)len, NULL);
	if (bn == NULL)
		return certgen_ossl_error(err, "reading a number"), NULL;
	return bn;
}

void
sshwire_put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

	buf_append(b, x, 4);
}

void
sshwire_put_string(struct buf *b, const void *s, size_t len)
{
	sshwire_put_u32(b, (uint32_t)len);
	buf_append(b, s, len);
}

void
sshwire_put_cstring(struct buf *b, const char *s)
{
	sshwire_put_string(b, s, strlen(s));
}

void
sshwire_put_mpint(struct buf *b, const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	unsigned char *tmp = xmalloc((size_t)n + 1);

	/* A leading zero byte keeps a set high bit from reading as negative. */
	tmp[0] = 0;
	BN_bn2bin(bn, tmp + 1);
	if (n > 0 && (tmp[1] & 0x80))
		sshwire_put_string(b, tmp, (size_t)n + 1);
	else
		sshwire_put_string(b, tmp + 1, (size_t)n);
	free(tmp);
}

const char *
sshwire_curve_group(const char *ssh_curve)
{
	if (strcmp(ssh_curve, "nistp256") == 0)
		return "prime256v1";
	if (strcmp(ssh_curve, "nistp384") == 0)
		return "secp384r1";
	if (strcmp(ssh_curve, "nistp521") == 0)
		return "secp521r1";
	return NULL;
}
