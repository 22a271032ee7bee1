/* One Received header field (RFC 5321 §4.4, RFC 5322 §3.6.7) parsed into
 * who handed the message to whom, how, and when. Only bytes in, a struct
 * out: no I/O, no clock, no DNS. Never fatal: a form we do not recognise is
 * kept raw with parsed = 0.
 *
 * No library parses Received fields (GMime only gives the raw value) and
 * the real-world variants (Postfix, Sendmail, Exim, qmail, Exchange/Office
 * 365, Gmail, Dovecot LMTP) are the point, so the grammar is ours. The date
 * parser is ours too: strptime() reads month and day names in the current
 * locale, knows no obsolete zones (EST, PDT, military letters), no 2-digit
 * years and no fractional seconds, and turning its struct tm into an epoch
 * needs timegm() (a GNU/BSD extension) or mktime() under a process-wide TZ
 * change -- none of which a parser of hostile input should depend on.
 *
 * Resolution: most MTAs stamp whole seconds (truncated, not rounded), so a
 * time from a Received field is only good to 1 s unless it gave a fraction
 * (at_frac > 0). receiver/hops takes this into account when flagging skew. */
#ifndef MC_RECEIVED_H
#define MC_RECEIVED_H

#include <jansson.h>
#include <stddef.h>

/* Bytes of one (unfolded) field value looked at; the rest is ignored. Real
 * fields are under 1 KiB; the longest (Postfix with full TLS details and
 * client-certificate text) stay well under this. */
#define RECEIVED_MAX_INPUT  8192
/* Words and comments of one field looked at. */
#define RECEIVED_MAX_TOKENS 256
/* Tokens of a date looked at; more is not a date. */
#define RECEIVED_DATE_MAX_TOKENS 12

/* Every string is NUL-terminated, valid UTF-8 with control characters
 * replaced, and cut (at a character boundary) to its array; "" = absent. */
struct received {
	char from_host[256];   /* the client's name as the receiver found it
				  (reverse DNS: Postfix/Sendmail "(rdns [ip])",
				  Exim/qmail when they say helo= / HELO apart);
				  "" when not given or "unknown" */
	char from_helo[256];   /* the name the client gave in HELO/EHLO (the
				  word after "from" in RFC 5321 form) */
	char from_ip[64];      /* client IP, without brackets or "IPv6:";
				  only a valid IPv4/IPv6 address is kept */
	char by_host[256];     /* the receiving host */
	char with[32];         /* protocol as written: ESMTPS, esmtpsa, LMTP,
				  "Microsoft SMTP Server", ... */
	char id[128];          /* the receiver's ID for the message */
	char for_addr[320];    /* the recipient, without angle brackets */
	char tls_version[16];  /* normalised: "TLSv1.3", "TLSv1.2", "SSLv3";
				  "TLS" when the protocol (RFC 3848 ESMTPS...)
				  or the MTA says TLS without a version */
	char tls_cipher[96];   /* as the MTA names it (IANA or OpenSSL) */
	char auth[128];        /* authenticated sender/user, when stated */
	char note[128];        /* a comment before any clause, e.g. qmail's
				  "qmail 1234 invoked by uid 89" or
				  Sendmail's "from user@localhost" */
	double at;             /* epoch seconds (UTC), fractional if given;
				  NAN if no date could be read */
	int at_frac;           /* fractional digits the date gave (0..6) */
	int tz_ok;             /* 1: the zone was numeric or a known name;
				  0: missing/unknown, UTC assumed */
	int parsed;            /* 0 = unknown form, only raw (and at) kept */
	char raw[1024];        /* the value, whitespace collapsed, cut */
};

/* Parses one field value p[0..n) (no "Received:" name; folding may remain:
 * CR/LF count as white space). Fills *r completely. Returns r->parsed. */
int received_parse(const char *p, size_t n, struct received *r);

/* RFC 5322 §3.3 date-time with the §4.3 obsolete forms (2- and 3-digit
 * years, alphabetic and military zones, comments anywhere), plus what MTAs
 * really write: fractional seconds, no weekday, asctime order ("Tue Nov 24
 * 10:00:00 2026"), "24-Nov-2026", RFC 3339. A missing or unknown zone is
 * taken as UTC with *tz_ok = 0 (RFC 5322 §4.3: such zones mean "-0000").
 * Returns 0 and sets *t (epoch seconds), *tz_ok and *frac_digits (0..6;
 * either pointer may be NULL), or -1 if p[0..n) is not a date. */
int received_parse_date(const char *p, size_t n, double *t, int *tz_ok,
			int *frac_digits);

/* "TLS1_2", "TLSv1.2", "TLS1.2", "tlsv1.2" -> "TLSv1.2"; "SSLv3";
 * "TLS" -> "TLS". Writes into out (size out_size) and returns 0, or -1 if
 * p[0..n) is not a TLS/SSL version name. */
int received_tls_version(const char *p, size_t n, char *out, size_t out_size);

/* The field as a new JSON object the caller owns (NULL on ENOMEM):
 * {"from","helo","ip","by","with","id","for","tls","cipher","auth","note",
 *  "at"} -- each a string or null; "from" is from_host, else from_helo;
 * "at" is RFC 3339 UTC with as many fractional digits as the field gave.
 * "zone_assumed": true only when a date was read without a known zone.
 * "raw" only when the form was not recognised. */
json_t *received_to_json(const struct received *r);

#endif
