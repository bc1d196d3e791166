/*
 * base64.c: base64.h over OpenSSL's EVP_EncodeBlock and EVP_DecodeBlock.
 *
 * The block functions want whole quanta: decoding pads the text to a
 * multiple of four and then takes back the bytes the added and given
 * '=' stand for, which EVP_DecodeBlock reports as zeros.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "base64.h"
#include "xalloc.h"

char *
base64_encode(const void *data, size_t len, bool pad)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	int n;

	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (!pad)
		while (n > 0 && out[n - 1] == '=')
			n--;
	out[n] = '\0';
	return out;
}

int
base64_decode(const char *text, size_t len, bool url, struct buf *out,
    sdc_error_t *err)
{
	struct buf quanta = BUF_INIT;
	size_t pad = 0;
	int n;

	if (len == 0)
		return sdc_make_error(err, 0, "empty base64 text");
	buf_append(&quanta, text, len);
	for (size_t i = 0; url && i < quanta.len; i++)
		if (quanta.data[i] == '-')
			quanta.data[i] = '+';
		else if (quanta.data[i] == '_')
			quanta.data[i] = '/';
	while (quanta.len % 4 != 0)
		buf_putc(&quanta, '=');
	for (size_t i = quanta.len; i > 0 && quanta.data[i - 1] == '='; i--)
		pad++;
	buf_grow(out, quanta.len / 4 * 3 + 1);
	n = EVP_DecodeBlock((unsigned char *)out->data + out->len,
	    (unsigned char *)quanta.data, (int)quanta.len);
	buf_free(&quanta);
	if (n < 0 || (size_t)n < pad || pad > 2) {
		ERR_clear_error();
		return sdc_make_error(err, 0, "invalid base64 text");
	}
	out->len += (size_t)n - pad;
	out->data[out->len] = '\0';
	return 0;
}
