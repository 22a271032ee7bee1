/* common/lazy*: libcurl, GMime/GLib, libesmtp, OpenSSL (libssl and
 * libcrypto apart), libpsl and zlib are not loaded until the first call of
 * one of their functions; the forwarders then reach the real library
 * (curl_easy_setopt with every argument type, OpenSSL's ctrl macros); a
 * library loaded by a shim and again as a dependency of another (libssl by
 * libcurl and libesmtp) is one object in the process; a library or symbol
 * that cannot be found is an error from lazy_open() and exit code 3 with
 * one line on stderr from lazy_require(), never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <auth-client.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <gmime/gmime.h>
#include <libesmtp.h>
#include <libpsl.h>
#include <link.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "lazy.h"

#define NO_SUCH_SONAME "libmailcanary-no-such-library.so.0"

static const char *const lazy_sonames[] = {
	"libcurl.so.4", "libesmtp.so.6", "libgmime-3.0.so.0",
	"libgobject-2.0.so.0", "libglib-2.0.so.0", "libssl.so.3",
	"libcrypto.so.3", "libpsl.so.5", "libidn2.so.0", "libz.so.1",
	"libsqlite3.so.0", "libinih.so.1", "libjansson.so.4",
};

static int is_loaded(const char *soname)
{
	void *h = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD);

	if (h)
		dlclose(h);
	return h != NULL;
}

/* Runs first: nothing has called into the lazy libraries yet. */
static void test_not_loaded_before_use(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lazy_sonames) / sizeof(lazy_sonames[0]);
	     i++)
		assert_false(is_loaded(lazy_sonames[i]));
	assert_true(is_loaded("libc.so.6"));  /* linked: the check works */
}

struct count_arg {
	const char *soname;
	int n;
};

static int count_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct count_arg *c = arg;
	const char *slash = strrchr(info->dlpi_name, '/');
	const char *base = slash ? slash + 1 : info->dlpi_name;

	(void)size;
	if (strcmp(base, c->soname) == 0)
		c->n++;
	return 0;
}

/* How many objects of that soname the process has mapped. */
static int loaded_count(const char *soname)
{
	struct count_arg c = {soname, 0};

	dl_iterate_phdr(count_cb, &c);
	return c.n;
}

/* libcrypto alone (a DKIM check, a message id): libssl stays out. */
static void test_crypto_first_use(void **state)
{
	static const unsigned char abc_sha256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41,
		0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3,
		0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
		0x15, 0xad,
	};
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01};
	const unsigned char *p = junk;
	unsigned char md[EVP_MAX_MD_SIZE], rnd[16] = {0};
	unsigned int mdlen = 0;
	char buf[256];
	unsigned long e;

	(void)state;
	assert_int_equal(EVP_Digest("abc", 3, md, &mdlen, EVP_sha256(), NULL),
			 1);
	assert_true(is_loaded("libcrypto.so.3"));
	assert_false(is_loaded("libssl.so.3"));
	assert_int_equal(mdlen, 32);
	assert_memory_equal(md, abc_sha256, 32);
	assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);
	/* A DER parse error leaves an error on OpenSSL's queue. */
	ERR_clear_error();
	assert_null(d2i_PUBKEY(NULL, &p, sizeof(junk)));
	assert_int_not_equal(ERR_peek_last_error(), 0);
	e = ERR_get_error();
	assert_int_not_equal(e, 0);
	ERR_error_string_n(e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "error:"));
	ERR_clear_error();
	assert_int_equal(ERR_get_error(), 0);
	assert_string_equal(X509_verify_cert_error_string(
				    X509_V_ERR_CERT_HAS_EXPIRED),
			    "certificate has expired");
	assert_false(is_loaded("libssl.so.3"));
}

/* libssl through its forwarders, including the SSL_CTX_ctrl/SSL_ctrl
 * macros; it shares the libcrypto the previous test loaded. */
static void test_ssl_first_use(void **state)
{
	SSL_CTX *ctx;
	SSL *s;

	(void)state;
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	assert_true(is_loaded("libssl.so.3"));
	assert_int_equal(loaded_count("libcrypto.so.3"), 1);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION),
			 1);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_set_app_data(ctx, &loaded_count), 1);
	assert_ptr_equal(SSL_CTX_get_app_data(ctx), &loaded_count);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	assert_non_null(SSL_CTX_get0_param(ctx));
	s = SSL_new(ctx);
	assert_non_null(s);
	assert_ptr_equal(SSL_get_SSL_CTX(s), ctx);
	assert_int_equal(SSL_set_tlsext_host_name(s, "mx.example.test"), 1);
	assert_int_equal(SSL_set1_host(s, "mx.example.test"), 1);
	assert_non_null(SSL_get_version(s));
	assert_int_equal(SSL_pending(s), 0);
	assert_null(SSL_get_current_cipher(s));
	assert_null(SSL_get1_peer_certificate(s));
	assert_int_equal(SSL_get_verify_result(s), X509_V_OK);
	assert_true(SSL_get_ex_data_X509_STORE_CTX_idx() >= 0);
	/* No socket yet: the handshake fails cleanly, it does not crash. */
	SSL_set_connect_state(s);
	assert_true(SSL_do_handshake(s) <= 0);
	ERR_clear_error();
	SSL_free(s);
	SSL_CTX_free(ctx);
}

static void test_psl_first_use(void **state)
{
	static char list[] = "// test list\ncom\n*.ck\n!www.ck\n";
	psl_ctx_t *psl;
	FILE *f;

	(void)state;
	f = fmemopen(list, sizeof(list) - 1, "r");
	assert_non_null(f);
	psl = psl_load_fp(f);
	fclose(f);
	assert_non_null(psl);
	assert_true(is_loaded("libpsl.so.5"));
	assert_true(psl_is_public_suffix(psl, "com"));
	assert_false(psl_is_public_suffix(psl, "example.com"));
	assert_string_equal(psl_registrable_domain(psl, "a.b.example.com"),
			    "example.com");
	assert_string_equal(psl_registrable_domain(psl, "a.b.foo.ck"),
			    "b.foo.ck");
	assert_string_equal(psl_registrable_domain(psl, "a.www.ck"), "www.ck");
	psl_free(psl);
	assert_null(psl_load_file("/nonexistent/mc-test-psl.dat"));
	(void)psl_builtin();  /* NULL or a list, never a crash */
}

/* gzip -n of "hello, canary\n". */
static const unsigned char hello_gz[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48,
	0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48, 0x4e, 0xcc, 0x4b, 0x2c, 0xaa, 0xe4,
	0x02, 0x00, 0xad, 0xac, 0x19, 0x22, 0x0e, 0x00, 0x00, 0x00,
};

static void test_z_first_use(void **state)
{
	char buf[64];
	int fd, errnum = -1;
	FILE *f;
	gzFile gz;

	(void)state;
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fwrite(hello_gz, 1, sizeof(hello_gz), f),
			 sizeof(hello_gz));
	fflush(f);
	fd = dup(fileno(f));
	fclose(f);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	gz = gzdopen(fd, "rb");
	assert_non_null(gz);
	assert_true(is_loaded("libz.so.1"));
	assert_int_equal(gzbuffer(gz, 8192), 0);
	assert_int_equal(gzread(gz, buf, sizeof(buf)), 14);
	assert_memory_equal(buf, "hello, canary\n", 14);
	assert_int_equal(gzread(gz, buf, sizeof(buf)), 0);
	assert_non_null(gzerror(gz, &errnum));
	assert_int_equal(errnum, Z_OK);
	assert_int_equal(gzclose(gz), Z_OK);
}

static void *esmtp_first_use(void *arg)
{
	char buf[128];

	*(int *)arg = smtp_strerror(0, buf, sizeof(buf)) != NULL;
	return NULL;
}

/* Several threads making the first call at once all get the real function
 * (pthread_once); the library is then loaded once. */
static void test_esmtp_first_use_from_threads(void **state)
{
	pthread_t t[4];
	int ok[4] = {0};
	smtp_session_t s;
	auth_context_t a;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, esmtp_first_use,
						&ok[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(ok[i]);
	}
	assert_true(is_loaded("libesmtp.so.6"));
	assert_false(is_loaded("libcurl.so.4"));
	/* libesmtp links libssl itself: the shims' copy, not a second one. */
	assert_int_equal(loaded_count("libssl.so.3"), 1);
	assert_int_equal(loaded_count("libcrypto.so.3"), 1);
	s = smtp_create_session();
	assert_non_null(s);
	assert_int_not_equal(smtp_set_server(s, "127.0.0.1:25"), 0);
	auth_client_init();
	a = auth_create_context();
	assert_non_null(a);
	assert_int_not_equal(smtp_auth_set_context(s, a), 0);
	assert_int_not_equal(smtp_destroy_session(s), 0);
	assert_int_not_equal(auth_destroy_context(a), 0);
}

struct sink {
	char data[64];
	size_t n;
};

static size_t sink_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (n > sizeof(s->data) - s->n)
		n = sizeof(s->data) - s->n;
	memcpy(s->data + s->n, p, n);
	s->n += n;
	return size * nmemb;
}

/* A file:// transfer proves each setopt type reaches libcurl intact: a
 * string (URL), a long (NOSIGNAL, FAILONERROR), a function (WRITEFUNCTION),
 * a data pointer (WRITEDATA), a curl_off_t (MAXFILESIZE_LARGE, RESUME_FROM_LARGE) and a
 * blob;
 * getinfo hands back a long and a curl_off_t. */
static void test_curl_setopt_types(void **state)
{
	char path[] = "/tmp/mc-test-lazy-XXXXXX", url[64];
	struct curl_blob blob = {.data = (void *)"x", .len = 1,
				 .flags = CURL_BLOB_COPY};
	struct sink out = {.n = 0};
	curl_off_t size = -1;
	long code = -1;
	CURL *c;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, canary\n", 14), 14);
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);

	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	assert_true(is_loaded("libcurl.so.4"));
	assert_int_equal(loaded_count("libssl.so.3"), 1);
	assert_int_equal(loaded_count("libcrypto.so.3"), 1);
	c = curl_easy_init();
	assert_non_null(c);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEDATA, &out),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
					  (curl_off_t)100), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(out.n, 14);
	assert_memory_equal(out.data, "hello, canary\n", 14);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &size),
			 CURLE_OK);
	assert_int_equal(size, 14);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code),
			 CURLE_OK);
	assert_int_equal(code, 0);

	/* A curl_off_t that changes the outcome: resume at byte 7. */
	out.n = 0;
	assert_int_equal(curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE,
					  (curl_off_t)7), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(out.n, 7);
	assert_memory_equal(out.data, "canary\n", 7);
	assert_string_equal(curl_easy_strerror(CURLE_FILESIZE_EXCEEDED),
			    "Maximum file size exceeded");
	/* Past the last option type: refused here, no argument read. */
	assert_int_equal(curl_easy_setopt(c, (CURLoption)50001, 0L),
			 CURLE_UNKNOWN_OPTION);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	unlink(path);
}

static void test_curl_slist_escape(void **state)
{
	struct curl_slist *l;
	char *e;

	(void)state;
	l = curl_slist_append(NULL, "A: 1");
	assert_non_null(l);
	l = curl_slist_append(l, "B: 2");
	assert_string_equal(l->next->data, "B: 2");
	curl_slist_free_all(l);
	e = curl_easy_escape(NULL, "a b/c", 0);
	assert_string_equal(e, "a%20b%2Fc");
	curl_free(e);
}

/* GMime through its forwarders, including the GObject type check its
 * GMIME_IS_* macros expand to and GLib's g_free. */
static void test_gmime_parse(void **state)
{
	static const char msg[] =
		"From: a@example.test\r\nTo: b@example.test\r\n"
		"Subject: lazy canary\r\nMIME-Version: 1.0\r\n"
		"Content-Type: text/plain\r\n\r\nhello\r\n";
	GMimeParserOptions *opt;
	GMimeMessage *m;
	GMimeStream *st;
	GMimeParser *p;
	GMimeObject *body;
	char *text;

	(void)state;
	assert_int_equal(g_ascii_strcasecmp("CANARY", "canary"), 0);
	assert_true(is_loaded("libglib-2.0.so.0"));
	g_mime_init();
	st = g_mime_stream_mem_new_with_buffer(msg, sizeof(msg) - 1);
	p = g_mime_parser_new_with_stream(st);
	opt = g_mime_parser_options_new();
	m = g_mime_parser_construct_message(p, opt);
	assert_non_null(m);
	assert_string_equal(g_mime_message_get_subject(m), "lazy canary");
	body = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_TEXT_PART(body));
	assert_false(GMIME_IS_MULTIPART(body));
	text = g_mime_text_part_get_text((GMimeTextPart *)body);
	assert_non_null(text);
	assert_int_equal(g_ascii_strncasecmp(text, "HELLO", 5), 0);
	g_free(text);
	g_mime_parser_options_free(opt);
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(st);
}

static void test_open_ok(void **state)
{
	static const char *const names[] = {"zlibVersion"};
	struct mc_err err = {0};
	void *fns[1] = {NULL};

	(void)state;
	assert_int_equal(lazy_open("libz.so.1", names, fns, 1, &err), 0);
	/* Debian's zlib1g-dev is zlib1g's own version. */
	assert_string_equal(((const char *(*)(void))fns[0])(), ZLIB_VERSION);
}

static void test_open_missing_library(void **state)
{
	static const char *const names[] = {"zlibVersion"};
	struct mc_err err = {0};
	void *fns[1] = {NULL};

	(void)state;
	assert_int_equal(lazy_open(NO_SUCH_SONAME, names, fns, 1, &err), -1);
	assert_int_equal(err.component, MC_COMP_INTERNAL);
	assert_non_null(strstr(err.msg, "cannot load " NO_SUCH_SONAME ": "));
	assert_non_null(strstr(err.msg, "No such file"));
	assert_false(is_loaded(NO_SUCH_SONAME));
}

static void test_open_missing_symbol(void **state)
{
	static const char *const names[] = {"zlibVersion", "mc_no_such_symbol"};
	struct mc_err err = {0};
	void *fns[2] = {NULL, NULL};

	(void)state;
	assert_int_equal(lazy_open("libz.so.1", names, fns, 2, &err), -1);
	assert_non_null(strstr(err.msg, "cannot load libz.so.1: "));
	assert_non_null(strstr(err.msg, "mc_no_such_symbol"));
}

/* lazy_require() on a library that is not there: exit code 3 and exactly
 * one line on stderr naming it; checked in a child process. */
static void test_require_missing_exits_3(void **state)
{
	static const char *const names[] = {"zlibVersion"};
	void *fns[1] = {NULL};
	char buf[512];
	size_t n = 0;
	ssize_t r;
	int pfd[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], STDERR_FILENO);
		lazy_require(NO_SUCH_SONAME, names, fns, 1);
		_exit(99);  /* not reached */
	}
	close(pfd[1]);
	while (n < sizeof(buf) - 1 &&
	       (r = read(pfd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_non_null(strstr(buf, "mailcanary: cannot load " NO_SUCH_SONAME
				    ": "));
	assert_non_null(strchr(buf, '\n'));
	assert_int_equal(strchr(buf, '\n') - buf, (long)n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_loaded_before_use),
		cmocka_unit_test(test_crypto_first_use),
		cmocka_unit_test(test_ssl_first_use),
		cmocka_unit_test(test_psl_first_use),
		cmocka_unit_test(test_z_first_use),
		cmocka_unit_test(test_esmtp_first_use_from_threads),
		cmocka_unit_test(test_curl_setopt_types),
		cmocka_unit_test(test_curl_slist_escape),
		cmocka_unit_test(test_gmime_parse),
		cmocka_unit_test(test_open_ok),
		cmocka_unit_test(test_open_missing_library),
		cmocka_unit_test(test_open_missing_symbol),
		cmocka_unit_test(test_require_missing_exits_3),
	};

	return cmocka_run_group_tests_name("lazy", tests, NULL, NULL);
}
