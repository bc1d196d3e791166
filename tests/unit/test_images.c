/*
 * test_images.c: the parts of libsdcimages that need neither disk nor
 * network -- references, progress JSON, X-Registry-Auth, WWW-Authenticate
 * challenges, Dockerfile changes for import, and which registry
 * addresses are private.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <archive.h>
#include <archive_entry.h>

#include "dockerapi/images/images-int.h"
#include "jsonutil.h"
#include "tarout.h"

static void
check_ref(const char *in, const char *domain, const char *path, const char *tag,
    const char *digest, const char *familiar)
{
	struct image_ref r;
	sdc_error_t err = NULL;
	char *f;

	if (image_ref_parse(&r, in, &err) < 0)
		fail_msg("%s: %s", in, sdc_error_msg(err));
	assert_string_equal(r.domain, domain);
	assert_string_equal(r.path, path);
	if (tag == NULL)
		assert_null(r.tag);
	else
		assert_string_equal(r.tag, tag);
	if (digest == NULL)
		assert_null(r.digest);
	else
		assert_string_equal(r.digest, digest);
	f = image_ref_familiar_full(&r);
	assert_string_equal(f, familiar);
	free(f);
	image_ref_free(&r);
}

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_refs_normalise(void **state)
{
	(void)state;
	check_ref("busybox", "docker.io", "library/busybox", "latest", NULL, "busybox:latest");
	check_ref("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "busybox:1.36");
	check_ref("user/x", "docker.io", "user/x", "latest", NULL, "user/x:latest");
	check_ref("docker.io/library/busybox", "docker.io", "library/busybox", "latest",
	    NULL, "busybox:latest");
	check_ref("index.docker.io/user/x:t", "docker.io", "user/x", "t", NULL, "user/x:t");
	check_ref("127.0.0.1:5000/x:tag", "127.0.0.1:5000", "x", "tag", NULL,
	    "127.0.0.1:5000/x:tag");
	check_ref("localhost/a/b", "localhost", "a/b", "latest", NULL, "localhost/a/b:latest");
	check_ref("reg.example.com/a/b/c", "reg.example.com", "a/b/c", "latest", NULL,
	    "reg.example.com/a/b/c:latest");
	check_ref("busybox@" D64, "docker.io", "library/busybox", NULL, D64,
	    "busybox@" D64);
	check_ref("a-b.c/e", "a-b.c", "e", "latest", NULL, "a-b.c/e:latest");
	check_ref("user/a__b-c", "docker.io", "user/a__b-c", "latest", NULL,
	    "user/a__b-c:latest");
	check_ref("my_image-1.x", "docker.io", "library/my_image-1.x", "latest", NULL,
	    "my_image-1.x:latest");
}

static void
check_bad_ref(const char *in, const char *msg)
{
	struct image_ref r;
	sdc_error_t err = NULL;

	assert_int_equal(image_ref_parse(&r, in, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), msg));
	assert_int_equal(err->code, 400);
	sdc_error_release(&err);
}

static void
test_refs_invalid(void **state)
{
	(void)state;
	check_bad_ref("", "invalid reference format");
	check_bad_ref("BusyBox", "repository name must be lowercase");
	check_bad_ref("busybox:", "invalid tag");
	check_bad_ref("busybox:-x", "invalid tag");
	check_bad_ref("busybox@sha256:abc", "invalid digest");
	check_bad_ref("a//b", "invalid reference format");
	check_bad_ref("-a", "invalid reference format");
	check_bad_ref("a_", "invalid reference format");
	check_bad_ref("a...b", "invalid reference format");
	check_bad_ref("a_b.c/x", "invalid registry host");
	check_bad_ref("host:99999999/x", "invalid registry host");
	check_bad_ref("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "64-byte hexadecimal");
}

static void
test_refs_familiar_repo(void **state)
{
	char *s;

	(void)state;
	s = refs_familiar_repo("docker.io/library/busybox");
	assert_string_equal(s, "busybox");
	free(s);
	s = refs_familiar_repo("docker.io/user/x");
	assert_string_equal(s, "user/x");
	free(s);
	s = refs_familiar_repo("127.0.0.1:5000/x");
	assert_string_equal(s, "127.0.0.1:5000/x");
	free(s);
}

static void
check_event(enum images_ev kind, const char *id, const char *text, int64_t cur,
    int64_t total, const char *want)
{
	struct images_event ev = { kind, id, text, cur, total };
	json_t *j = images_event_json(&ev);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

static void
test_events_json(void **state)
{
	(void)state;
	check_event(IMAGES_EV_PULLING_FROM, "latest", "library/busybox", 0, 0,
	    "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}");
	check_event(IMAGES_EV_FS_LAYER, "a1b2c3d4e5f6", NULL, 0, 0,
	    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}");
	check_event(IMAGES_EV_WAITING, "a1b2c3d4e5f6", NULL, 0, 0,
	    "{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}");
	check_event(IMAGES_EV_DOWNLOADING, "a1b2c3d4e5f6", NULL, 1500000, 3000000,
	    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1500000,"
	    "\"total\":3000000},\"progress\":\"[=========================>"
	    "                         ]    1.5MB/3MB\",\"id\":\"a1b2c3d4e5f6\"}");
	check_event(IMAGES_EV_EXTRACTING, "x", NULL, 32768, 32768,
	    "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":32768,"
	    "\"total\":32768},\"progress\":\"[================================"
	    "==================>]  32.77kB/32.77kB\",\"id\":\"x\"}");
	check_event(IMAGES_EV_VERIFYING, "x", NULL, 0, 0,
	    "{\"status\":\"Verifying Checksum\",\"progressDetail\":{},\"id\":\"x\"}");
	check_event(IMAGES_EV_DOWNLOAD_COMPLETE, "x", NULL, 0, 0,
	    "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"x\"}");
	check_event(IMAGES_EV_PULL_COMPLETE, "x", NULL, 0, 0,
	    "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"x\"}");
	check_event(IMAGES_EV_ALREADY_EXISTS, "x", NULL, 0, 0,
	    "{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"x\"}");
	check_event(IMAGES_EV_DIGEST, NULL, D64, 0, 0,
	    "{\"status\":\"Digest: " D64 "\"}");
	check_event(IMAGES_EV_STATUS, NULL, "Downloaded newer image for busybox:latest",
	    0, 0, "{\"status\":\"Status: Downloaded newer image for busybox:latest\"}");
	check_event(IMAGES_EV_LOADED, NULL, "Loaded image: busybox:latest", 0, 0,
	    "{\"stream\":\"Loaded image: busybox:latest\\n\"}");
}

static void
test_push_events_json(void **state)
{
	(void)state;
	check_event(IMAGES_EV_PUSH_REFERS, NULL, "127.0.0.1:5000/x", 0, 0,
	    "{\"status\":\"The push refers to repository [127.0.0.1:5000/x]\"}");
	check_event(IMAGES_EV_PREPARING, "a1b2c3d4e5f6", NULL, 0, 0,
	    "{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}");
	check_event(IMAGES_EV_PUSHING, "x", NULL, 1500000, 3000000,
	    "{\"status\":\"Pushing\",\"progressDetail\":{\"current\":1500000,"
	    "\"total\":3000000},\"progress\":\"[=========================>"
	    "                         ]    1.5MB/3MB\",\"id\":\"x\"}");
	check_event(IMAGES_EV_PUSHED, "x", NULL, 0, 0,
	    "{\"status\":\"Pushed\",\"progressDetail\":{},\"id\":\"x\"}");
	check_event(IMAGES_EV_LAYER_EXISTS, "x", NULL, 0, 0,
	    "{\"status\":\"Layer already exists\",\"progressDetail\":{},\"id\":\"x\"}");
	check_event(IMAGES_EV_MOUNTED, "x", "alice/bb", 0, 0,
	    "{\"status\":\"Mounted from alice/bb\",\"progressDetail\":{},\"id\":\"x\"}");
	check_event(IMAGES_EV_PUSH_DIGEST, "latest", D64, 0, 527,
	    "{\"status\":\"latest: digest: " D64 " size: 527\"}");
}

static void
test_error_json(void **state)
{
	json_t *j = images_error_json("boom");
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	(void)state;
	assert_string_equal(s, "{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}");
	free(s);
	json_decref(j);
}

static void
test_auth_header(void **state)
{
	struct images_auth a;
	sdc_error_t err = NULL;

	(void)state;
	/* {"username":"alice","password":"s3cr?t>"} in base64url, no padding */
	assert_int_equal(images_auth_parse(&a,
	    "eyJ1c2VybmFtZSI6ImFsaWNlIiwicGFzc3dvcmQiOiJzM2NyP3Q-In0", &err), 0);
	assert_string_equal(a.username, "alice");
	assert_string_equal(a.password, "s3cr?t>");
	assert_null(a.identitytoken);
	images_auth_free(&a);
	assert_int_equal(images_auth_parse(&a, "", &err), 0);
	assert_null(a.username);
	assert_int_equal(images_auth_parse(&a, "!!!notbase64", &err), -1);
	assert_int_equal(err->code, 400);
	sdc_error_release(&err);
}

static void
test_auth_challenge(void **state)
{
	struct auth_challenge c;

	(void)state;
	auth_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
	    "service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"", &c);
	assert_string_equal(c.scheme, "Bearer");
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/busybox:pull");
	auth_challenge_free(&c);
	auth_challenge_parse("Basic realm=basic-realm", &c);
	assert_string_equal(c.scheme, "Basic");
	assert_string_equal(c.realm, "basic-realm");
	assert_null(c.service);
	auth_challenge_free(&c);
}

/* A token's lifetime as dockerd reads it: expires_in, 60 s at least. */
static void
test_auth_token_lifetime(void **state)
{
	static const struct {
		const char *json;
		int64_t secs;
	} cases[] = {
		{ "{\"token\": \"t\"}", 60 },
		{ "{\"token\": \"t\", \"expires_in\": 300}", 300 },
		{ "{\"token\": \"t\", \"expires_in\": 5}", 60 },
		{ "{\"token\": \"t\", \"expires_in\": -1}", 60 },
		{ "{\"token\": \"t\", \"expires_in\": 120.5}", 120 },
		{ "{\"token\": \"t\", \"expires_in\": \"900\"}", 60 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *o = json_loads(cases[i].json, 0, NULL);
		assert_non_null(o);
		assert_int_equal(auth_token_lifetime(o), cases[i].secs);
		json_decref(o);
	}
}

static void
test_changes(void **state)
{
	const char *changes[] = {
		"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]",
		"ENTRYPOINT top -b",
		"ENV A=1 B=\"two words\"",
		"env A=3",
		"ENV PATH /usr/bin:/bin",
		"WORKDIR /srv",
		"USER daemon",
		"LABEL a=b \"c d\"=e",
		"EXPOSE 80 53/udp",
		NULL
	};
	json_t *c = json_object();
	sdc_error_t err = NULL;
	char *s;

	(void)state;
	assert_int_equal(import_apply_changes(c, changes, &err), 0);
	s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(s, "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"],"
	    "\"Entrypoint\":[\"/bin/sh\",\"-c\",\"top -b\"],"
	    "\"Env\":[\"A=3\",\"B=two words\",\"PATH=/usr/bin:/bin\"],"
	    "\"WorkingDir\":\"/srv\",\"User\":\"daemon\","
	    "\"Labels\":{\"a\":\"b\",\"c d\":\"e\"},"
	    "\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}}}");
	free(s);
	json_decref(c);
}

static void
test_changes_refused(void **state)
{
	const char *bad[][2] = {
		{ "RUN rm -rf /", "not a valid change command" },
		{ "EXPOSE 99999", "invalid port" },
		{ "ENV", "requires an argument" },
		{ "LABEL =x", "key=value" },
	};
	sdc_error_t err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *one[] = { bad[i][0], NULL };
		json_t *c = json_object();
		assert_int_equal(import_apply_changes(c, one, &err), -1);
		if (strstr(sdc_error_msg(err), bad[i][1]) == NULL)
			fail_msg("%s: %s", bad[i][0], sdc_error_msg(err));
		sdc_error_release(&err);
		json_decref(c);
	}
}

static void
test_digests(void **state)
{
	char *d = digest_of("", 0), s[13];

	(void)state;
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_true(digest_valid(d));
	assert_false(digest_valid("sha256:E3B0"));
	assert_false(digest_valid("md5:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	digest_short(d, s);
	assert_string_equal(s, "e3b0c44298fc");
	free(d);
	assert_int_equal(time_rfc3339_secs("2024-01-02T03:04:05.123456789Z"), 1704164645);
	assert_int_equal(time_rfc3339_secs("2024-01-02T05:04:05+02:00"), 1704164645);
}

static int
tar_to_file(void *arg, const void *data, size_t len)
{
	return fwrite(data, 1, len, arg) == len ? 0 : -1;
}

static int
tar_to_buf(void *arg, const void *data, size_t len)
{
	buf_append(arg, data, len);
	return 0;
}

/* The headers of an entry come in the first block; the reader then goes
 * away, so that closing does not pad a 9 GiB entry with zeros in memory. */
static int
tar_headers_to_buf(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;

	if (b->len >= TAROUT_BLOCK)
		return -1;
	buf_append(b, data, len);
	return 0;
}

/* What the save writer makes, read back by GNU tar: a folder, a file
 * whose data ends mid-block, and a name too long for ustar. */
static void
test_tar_writer(void **state)
{
	char dir[] = "/tmp/tarw-XXXXXX", path[256], cmd[600], got[2048];
	char longname[151], data[1000];
	struct archive *a;
	struct buf out = BUF_INIT;
	sdc_error_t err = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out.tar", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	memset(longname, 'n', 150);
	longname[150] = '\0';
	memset(data, 'x', sizeof data);
	a = tarout_new(tar_to_file, f, &err);
	assert_non_null(a);
	assert_int_equal(tarout_entry(a, "d/", AE_IFDIR, 0755, 0, 1700000000, &err), 0);
	assert_int_equal(tarout_entry(a, "d/a", AE_IFREG, 0644, sizeof data, 1700000000, &err), 0);
	assert_int_equal(tarout_data(a, data, 300, &err), 0);
	assert_int_equal(tarout_data(a, data, 700, &err), 0);
	assert_int_equal(tarout_file(a, longname, "abc", 3, 1700000000, &err), 0);
	assert_int_equal(tarout_close(a, &err), 0);
	assert_int_equal(fclose(f), 0);

	/* Two blocks of trailer and no padding to a record: 512 (d/) +
	 * 512 + 1024 (d/a) + 512 + 512 (a name ustar cannot split, in a
	 * pax header) + 512 + 512 (abc) + 1024. */
	snprintf(cmd, sizeof cmd, "cd %s && tar -xf out.tar && stat -c %%s d/a && "
	    "cat %s && tar -tf out.tar | tr '\\n' ' ' && stat -c ' %%s' out.tar",
	    dir, longname);
	f = popen(cmd, "r");
	assert_non_null(f);
	got[fread(got, 1, sizeof got - 1, f)] = '\0';
	assert_int_equal(pclose(f), 0);
	snprintf(cmd, sizeof cmd, "1000\nabcd/ d/a %s  5120\n", longname);
	assert_string_equal(got, cmd);

	/* A size ustar cannot hold goes in a pax record; too much data is
	 * refused. */
	a = tarout_new(tar_headers_to_buf, &out, &err);
	assert_int_equal(tarout_entry(a, "big", AE_IFREG, 0644, 9LL << 30, 0, &err), 0);
	assert_int_equal(tarout_data(a, "ab", 2, &err), 0);
	tarout_close(a, NULL);
	assert_non_null(memmem(out.data, out.len, "size=9663676416\n", 16));
	buf_reset(&out);
	a = tarout_new(tar_to_buf, &out, &err);
	assert_int_equal(tarout_entry(a, "small", AE_IFREG, 0644, 1, 0, &err), 0);
	assert_int_equal(tarout_data(a, "ab", 2, &err), -1);
	sdc_error_release(&err);
	tarout_close(a, NULL);
	buf_free(&out);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* addrcheck_allowed for a literal address. */
static int
check_addr(const char *addr, const struct strvec *allowed, const char *host,
    int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1)
		v4->sin_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, addr, &v6->sin6_addr), 1);
		v6->sin6_family = AF_INET6;
	}
	return addrcheck_allowed(allowed, host, port, (struct sockaddr *)&ss);
}

static void
test_addrcheck(void **state)
{
	static const char *const refused[] = { "127.0.0.1", "127.255.0.9",
	    "0.0.0.0", "10.0.0.1", "172.16.0.1", "172.31.255.255",
	    "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1",
	    "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12::1",
	    "ff02::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::a00:1",
	    NULL };
	static const char *const public[] = { "8.8.8.8", "172.32.0.1",
	    "172.15.255.255", "100.128.0.1", "169.253.0.1", "1.1.1.1",
	    "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", NULL };
	struct strvec allow = { 0 };

	(void)state;
	for (const char *const *a = refused; *a != NULL; a++)
		if (check_addr(*a, NULL, "h", 443) != -1)
			fail_msg("%s allowed", *a);
	for (const char *const *a = public; *a != NULL; a++)
		if (check_addr(*a, NULL, "h", 443) != 0)
			fail_msg("%s refused", *a);
	strvec_push(&allow, "reg.local");
	strvec_push(&allow, "127.0.0.1:5000");
	strvec_push(&allow, "[::1]:5001");
	strvec_push(&allow, "10.1.0.0/16");
	strvec_push(&allow, "fd00::/8");
	assert_int_equal(check_addr("10.9.9.9", &allow, "reg.local", 1), 0);
	assert_int_equal(check_addr("127.0.0.1", &allow, "127.0.0.1", 5000), 0);
	assert_int_equal(check_addr("127.0.0.1", &allow, "127.0.0.1", 5001), -1);
	assert_int_equal(check_addr("::1", &allow, "::1", 5001), 0);
	assert_int_equal(check_addr("10.1.200.3", &allow, "x", 1), 0);
	assert_int_equal(check_addr("10.2.0.1", &allow, "x", 1), -1);
	assert_int_equal(check_addr("fd12::1", &allow, "x", 1), 0);
	assert_int_equal(check_addr("fc12::1", &allow, "x", 1), -1);
	strvec_clear(&allow);
	/* every address of this host's interfaces, public or not */
	{
		struct ifaddrs *ifs, *i;
		assert_int_equal(getifaddrs(&ifs), 0);
		for (i = ifs; i != NULL; i = i->ifa_next)
			if (i->ifa_addr != NULL && (i->ifa_addr->sa_family ==
			    AF_INET || i->ifa_addr->sa_family == AF_INET6))
				assert_int_equal(addrcheck_allowed(NULL, "h", 1,
				    i->ifa_addr), -1);
		freeifaddrs(ifs);
	}
	addrcheck_allow_url(&allow, "http://127.0.0.1:5000/v2");
	addrcheck_allow_url(&allow, "mirror.example");
	assert_string_equal(allow.v[0], "127.0.0.1:5000");
	assert_string_equal(allow.v[1], "mirror.example");
	strvec_clear(&allow);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refs_normalise),
		cmocka_unit_test(test_refs_invalid),
		cmocka_unit_test(test_refs_familiar_repo),
		cmocka_unit_test(test_events_json),
		cmocka_unit_test(test_push_events_json),
		cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_auth_header),
		cmocka_unit_test(test_auth_challenge),
		cmocka_unit_test(test_auth_token_lifetime),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_changes_refused),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_tar_writer),
		cmocka_unit_test(test_addrcheck),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
