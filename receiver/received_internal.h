/* Shared between the two halves of the Received parser: received.c (the
 * clause grammar, the date part, JSON) and received_comment.c (what the
 * comments say, and the byte helpers both use). Not for other modules. */
#ifndef MC_RECEIVED_INTERNAL_H
#define MC_RECEIVED_INTERNAL_H

#include <stddef.h>

#include "receiver/received.h"

int rcv_is_space(int c);
int rcv_is_digit(int c);

/* Case-insensitive: is p[0..n) exactly s? */
int rcv_word_is(const char *p, size_t n, const char *s);

/* Case-insensitive prefix test; *rest and *rest_n get what follows. */
int rcv_word_has_prefix(const char *p, size_t n, const char *s,
			const char **rest, size_t *rest_n);

/* Copies untrusted p[0..n) into dst[size] as valid UTF-8: runs of white
 * space become one space (trimmed at both ends), other control bytes and
 * invalid sequences '?'. Cuts at a character boundary. */
void rcv_clean_copy(char *dst, size_t size, const char *p, size_t n);

/* rcv_clean_copy() of a host name, without the trailing root dot Gmail
 * writes ("mail-x.example. [192.0.2.1]"). */
void rcv_copy_host(char *dst, size_t size, const char *p, size_t n);

/* An IP address in one of the shapes Received fields write it: "[a.b.c.d]",
 * "[IPv6:x::y]", "[a.b.c.d]:port", "a.b.c.d", "x::y", "user@[a.b.c.d]".
 * Copies the bare address to out (64 bytes) and returns 1, or returns 0. */
int rcv_ip_word(const char *p, size_t n, char *out);

/* Sets r's cipher from v[0..vn) unless one is already set. */
void rcv_set_cipher(struct received *r, const char *v, size_t vn);

/* What the comments after the from-domain said. */
struct rcv_tcpinfo {
	char name[256];         /* reverse-DNS name; "" if none or "unknown" */
	int have_name;
	char ip[64];
	char helo[256];         /* HELO said apart: "helo=h", "(HELO h)" */
};

enum rcv_comment_kind { RCV_CK_OTHER, RCV_CK_TLS, RCV_CK_AUTH, RCV_CK_TCPINFO };

/* Reads one comment's content p[0..n) into r (TLS version and cipher,
 * authenticated sender) and, if from_section, into ti (TCP-info). Says
 * what kind of comment it was. */
enum rcv_comment_kind rcv_scan_comment(const char *p, size_t n,
				       struct received *r,
				       struct rcv_tcpinfo *ti, int from_section);

#endif
