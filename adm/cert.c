/*
 * cert.c: `cert client|server|show`, TLS certificates from SSH keys for
 * operators, through libcertgen (the same calls sdc-docker-certgen makes).
 *
 * `cert client` is what an operator runs to hand a user a ready-made
 * certificate directory (the user normally runs sdc-docker-setup.sh
 * instead); `cert server` renews the endpoint's; `cert show` tells what a
 * certificate is and, for a client one, which SSH key vouches for it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "adm.h"
#include "certgen/certgen.h"
#include "jsonutil.h"
#include "timeutil.h"
#include "xalloc.h"

enum { OPT_KEY = 256, OPT_OUT, OPT_DAYS, OPT_ISSUED, OPT_CN, OPT_SAN, OPT_PASSENV,
	OPT_JSON };

static int
days_arg(const struct adm_cmd_entry *self, const char *s, int *days)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 36500)
		return adm_cmd_usage_error(self, "--days takes 1 to 36500, not '%s'", s);
	*days = (int)v;
	return 0;
}

static int
cert_client_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct adm_opt_state st;
	struct certgen_pass pass = { CERTGEN_PASS_PROMPT, NULL, NULL };
	const char *keyfile = NULL, *out = NULL;
	sdc_error_t err = NULL;
	bool issued = false;
	int c, days = CERTGEN_DEFAULT_DAYS, rc;
	EVP_PKEY *key;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_KEY)
			keyfile = st.arg;
		else if (c == OPT_OUT)
			out = st.arg;
		else if (c == OPT_ISSUED)
			issued = true;
		else if (c == OPT_PASSENV)
			pass = (struct certgen_pass){ CERTGEN_PASS_ENV, st.arg, NULL };
		else if (c != OPT_DAYS || days_arg(self, st.arg, &days) != 0)
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc - 1 || keyfile == NULL || out == NULL)
		return adm_cmd_usage_error(self, "expected LOGIN, --key and --out");
	key = certgen_key_load(keyfile, &pass, &err);
	certgen_pass_clear(&pass);
	if (key == NULL)
		return adm_fail(self, &err);
	rc = certgen_client_write(out, key, argv[st.ind], days, issued, &err);
	EVP_PKEY_free(key);
	if (rc < 0)
		return adm_fail(self, &err);
	fprintf(ctx->out, "wrote %s/key.pem and %s/cert.pem for %s (%d days%s)\n",
	    out, out, argv[st.ind], days, issued ? ", issued form" : "");
	return ADM_EXIT_OK;
}

static int
cert_server_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct adm_opt_state st;
	struct strvec sans = { 0 };
	const char *cn = NULL, *out = NULL;
	sdc_error_t err = NULL;
	int c, days = CERTGEN_SERVER_DAYS, rc = ADM_EXIT_OK;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_CN)
			cn = st.arg;
		else if (c == OPT_OUT)
			out = st.arg;
		else if (c == OPT_SAN) {
			char *copy = xstrdup(st.arg), *save = NULL;

			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
				strvec_push(&sans, t);
			free(copy);
		} else if (c != OPT_DAYS || days_arg(self, st.arg, &days) != 0) {
			strvec_clear(&sans);
			return ADM_EXIT_USAGE;
		}
	}
	if (st.ind != argc || cn == NULL || out == NULL)
		rc = adm_cmd_usage_error(self, "expected --cn and --out");
	else if (certgen_server_write(out, cn, (const char *const *)sans.v, sans.n, days,
	    &err) < 0)
		rc = adm_fail(self, &err);
	else
		fprintf(ctx->out, "wrote ca.pem, server-cert.pem and server-key.pem in %s\n", out);
	strvec_clear(&sans);
	return rc;
}

static char *
asn1_time_text(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[64];

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return xstrdup("?");
	time_rfc3339(buf, sizeof buf, (int64_t)timegm(&tm) * TIME_NS_PER_SEC, 0);
	return xstrdup(buf);
}

static json_t *
cert_describe(X509 *cert, sdc_error_t *err)
{
	char *subject = certgen_cert_subject_cn(cert, err), *issuer = NULL, *md5 = NULL;
	char *from = asn1_time_text(X509_get0_notBefore(cert));
	char *until = asn1_time_text(X509_get0_notAfter(cert));
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	json_t *v = NULL;

	if (subject != NULL)
		issuer = certgen_cert_issuer_cn(cert, err);
	if (issuer != NULL && pub != NULL)
		md5 = certgen_fingerprint_md5(pub, err);
	if (md5 != NULL)
		v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "subject_cn", subject,
		    "issuer_cn", issuer, "not_before", from, "not_after", until,
		    "key_type", certgen_pubkey_type(pub) != NULL ? certgen_pubkey_type(pub) : "?",
		    "key_md5", md5, "self_signed", strcmp(subject, issuer) == 0);
	free(subject);
	free(issuer);
	free(md5);
	free(from);
	free(until);
	return v;
}

static int
cert_show_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	sdc_error_t err = NULL;
	X509 *cert;
	FILE *f;
	json_t *v;
	const char *k;
	json_t *val;

	if (argc == 3 && strcmp(argv[2], "--json") == 0)
		ctx->json = true;
	else if (argc != 2 || argv[1][0] == '-')
		return adm_cmd_usage_error(self, "expected one FILE");
	if ((f = fopen(argv[1], "r")) == NULL) {
		adm_cmd_warn(self, "cannot open %s", argv[1]);
		return ADM_EXIT_FAIL;
	}
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (cert == NULL) {
		adm_cmd_warn(self, "%s holds no PEM certificate", argv[1]);
		return ADM_EXIT_FAIL;
	}
	v = cert_describe(cert, &err);
	X509_free(cert);
	if (v == NULL)
		return adm_fail(self, &err);
	if (ctx->json)
		adm_output_json(ctx, v);
	else
		json_object_foreach(v, k, val) {
			char *text = json_is_string(val) ? xstrdup(json_string_value(val)) :
			    json_text(val);

			fprintf(ctx->out, "%-12s %s\n", k, text);
			free(text);
		}
	json_decref(v);
	return ADM_EXIT_OK;
}

static const struct option client_options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "issued", no_argument, NULL, OPT_ISSUED },
	{ "passphrase-env", required_argument, NULL, OPT_PASSENV },
	{ NULL, 0, NULL, 0 }
};

static const struct option server_options[] = {
	{ "cn", required_argument, NULL, OPT_CN },
	{ "san", required_argument, NULL, OPT_SAN },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ NULL, 0, NULL, 0 }
};

const struct adm_cmd_entry adm_cmd_cert_client_entry = {
	.name = "cert client",
	.usage = "LOGIN --key PRIVATE_KEY --out DIR [--days N] [--issued] [--passphrase-env VAR]",
	.help =
	    "Writes key.pem and cert.pem into DIR: a client certificate for LOGIN\n"
	    "made from one of its SSH keys (RSA, ECDSA, Ed25519; PEM or OpenSSH;\n"
	    "a passphrase is asked for on the terminal, or read from VAR).\n"
	    "--issued makes a fresh key certified by the SSH key instead.\n",
	.opts = client_options,
	.complete = adm_complete_logins,
	.exec = cert_client_exec,
};

const struct adm_cmd_entry adm_cmd_cert_server_entry = {
	.name = "cert server",
	.usage = "--cn NAME --out DIR [--san IP:ADDR,DNS:NAME...] [--days N]",
	.help =
	    "Writes ca.pem, ca-key.pem, server-cert.pem and server-key.pem into\n"
	    "DIR for the Docker endpoint, reusing the CA already there.\n",
	.opts = server_options,
	.exec = cert_server_exec,
};

const struct adm_cmd_entry adm_cmd_cert_show_entry = {
	.name = "cert show",
	.usage = "FILE [--json]",
	.help =
	    "Shows a PEM certificate: subject and issuer CN, validity, the key's\n"
	    "type and MD5 fingerprint (the one `key list` shows).\n",
	.exec = cert_show_exec,
};
