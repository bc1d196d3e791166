/*
 * bcrypt_pbkdf.c: the key derivation of encrypted OpenSSH private keys.
 *
 * OpenSSH derives the cipher key with bcrypt_pbkdf: PBKDF2-like rounds of
 * SHA-512 around "eksblowfish", Blowfish with its costly key schedule.
 * OpenSSL offers neither bcrypt nor a Blowfish whose schedule we could
 * drive, so both are here, checked against OpenBSD's known answers
 * (tests/unit/test_certgen_bcrypt.c).  Blowfish starts from the digits of
 * pi, kept as a table in blowfish-pi.c.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "sshwire.h"

struct blf {
	uint32_t p[18];
	uint32_t s[4][256];
};

/* A fresh state: the digits of pi (blowfish-pi.c), P array then S boxes. */
static void
blf_init(struct blf *c)
{
	memcpy(c->p, blowfish_pi, sizeof c->p);
	memcpy(c->s, blowfish_pi + 18, sizeof c->s);
}

static uint32_t
blf_f(const struct blf *c, uint32_t x)
{
	return ((c->s[0][x >> 24] + c->s[1][(x >> 16) & 0xff]) ^ c->s[2][(x >> 8) & 0xff]) +
	    c->s[3][x & 0xff];
}

static void
blf_encipher(const struct blf *c, uint32_t *xl, uint32_t *xr)
{
	uint32_t l = *xl ^ c->p[0], r = *xr;

	for (int n = 1; n <= 16; n += 2) {
		r ^= blf_f(c, l) ^ c->p[n];
		l ^= blf_f(c, r) ^ c->p[n + 1];
	}
	*xl = r ^ c->p[17];
	*xr = l;
}

/* The next four bytes of data, big-endian, wrapping around. */
static uint32_t
blf_stream2word(const uint8_t *data, size_t len, size_t *j)
{
	uint32_t w = 0;

	for (int i = 0; i < 4; i++) {
		if (*j >= len)
			*j = 0;
		w = w << 8 | data[(*j)++];
	}
	return w;
}

/* Blowfish's key schedule, salted when data is not NULL (eksblowfish). */
static void
blf_expand(struct blf *c, const uint8_t *data, size_t dlen, const uint8_t *key, size_t klen)
{
	uint32_t l = 0, r = 0;
	size_t j = 0, dj = 0;

	for (int i = 0; i < 18; i++)
		c->p[i] ^= blf_stream2word(key, klen, &j);
	for (int i = 0; i < 18 + 4 * 256; i += 2) {
		if (data != NULL) {
			l ^= blf_stream2word(data, dlen, &dj);
			r ^= blf_stream2word(data, dlen, &dj);
		}
		blf_encipher(c, &l, &r);
		if (i < 18) {
			c->p[i] = l;
			c->p[i + 1] = r;
		} else {
			c->s[(i - 18) / 256][(i - 18) % 256] = l;
			c->s[(i - 18) / 256][(i - 18) % 256 + 1] = r;
		}
	}
}

static void
bcrypt_hash(const uint8_t *sha2pass, const uint8_t *sha2salt, uint8_t out[32])
{
	static const char magic[] = "OxychromaticBlowfishSwatDynamite";
	struct blf c;
	uint32_t cdata[8];
	size_t j = 0;

	blf_init(&c);
	blf_expand(&c, sha2salt, 64, sha2pass, 64);
	for (int i = 0; i < 64; i++) {
		blf_expand(&c, NULL, 0, sha2salt, 64);
		blf_expand(&c, NULL, 0, sha2pass, 64);
	}
	for (int i = 0; i < 8; i++)
		cdata[i] = blf_stream2word((const uint8_t *)magic, 32, &j);
	for (int i = 0; i < 64; i++)
		for (int k = 0; k < 8; k += 2)
			blf_encipher(&c, &cdata[k], &cdata[k + 1]);
	/* Each word goes out little-endian: a quirk of the original. */
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)cdata[i];
		out[4 * i + 1] = (uint8_t)(cdata[i] >> 8);
		out[4 * i + 2] = (uint8_t)(cdata[i] >> 16);
		out[4 * i + 3] = (uint8_t)(cdata[i] >> 24);
	}
	OPENSSL_cleanse(&c, sizeof c);
}

int
certgen_bcrypt_pbkdf(const char *pass, size_t passlen, const unsigned char *salt,
    size_t saltlen, unsigned char *key, size_t keylen, unsigned int rounds, sdc_error_t *err)
{
	uint8_t sha2pass[64], sha2salt[64], out[32], tmp[32], countsalt[64 + 4];
	size_t stride, amt, i, left = keylen;
	uint32_t count;

	if (rounds < 1 || passlen == 0 || saltlen == 0 || saltlen > 64 || keylen == 0 ||
	    keylen > 32 * 32)
		return sdc_make_error(err, 0, "bad bcrypt parameters");
	stride = (keylen + sizeof out - 1) / sizeof out;
	amt = (keylen + stride - 1) / stride;
	memcpy(countsalt, salt, saltlen);
	SHA512((const unsigned char *)pass, passlen, sha2pass);
	for (count = 1; left > 0; count++) {
		countsalt[saltlen] = (uint8_t)(count >> 24);
		countsalt[saltlen + 1] = (uint8_t)(count >> 16);
		countsalt[saltlen + 2] = (uint8_t)(count >> 8);
		countsalt[saltlen + 3] = (uint8_t)count;
		SHA512(countsalt, saltlen + 4, sha2salt);
		bcrypt_hash(sha2pass, sha2salt, tmp);
		memcpy(out, tmp, sizeof out);
		for (unsigned int r = 1; r < rounds; r++) {
			SHA512(tmp, sizeof tmp, sha2salt);
			bcrypt_hash(sha2pass, sha2salt, tmp);
			for (size_t k = 0; k < sizeof out; k++)
				out[k] ^= tmp[k];
		}
		/* Output bytes are spread across the key, stride apart. */
		if (amt > left)
			amt = left;
		for (i = 0; i < amt; i++) {
			size_t dest = i * stride + (count - 1);
			if (dest >= keylen)
				break;
			key[dest] = out[i];
		}
		left -= i;
	}
	OPENSSL_cleanse(sha2pass, sizeof sha2pass);
	OPENSSL_cleanse(out, sizeof out);
	OPENSSL_cleanse(tmp, sizeof tmp);
	return 0;
}
