/* Classification of one bounced recipient into a reason (Sisimai's
 * taxonomy plus `greylisted`) and a hard/soft verdict.
 *
 * Order of evidence, most specific first:
 *   1. the diagnostic text, matched against the phrase table below: the
 *      words a server chose say more than its codes, which are often
 *      generic (x.0.0, 5.7.1) or reused (Exchange's 5.1.10 means
 *      "recipient not found", RFC 7505 says "null MX");
 *   2. the RFC 3463 status (subject.detail, the class only decides
 *      hard/soft), from the Status field or found in the diagnostic;
 *   3. the SMTP reply code (RFC 5321 §4.2.3 meanings).
 * A failure with a 4.x.x status means the sender's queue gave up on a
 * temporary error: unless the text named something more specific, the
 * reason is `expired`.
 *
 * Hard or soft: hard means retrying the same message to the same address
 * fails again until someone changes something (the address, a policy, a
 * listing, the content); soft means the condition clears by itself.
 *   - delayed actions and 4.x.x codes are soft;
 *   - 5.x.x codes are hard, except reasons soft by nature: mailbox_full
 *     (RFC 3463 §3.3 calls X.2.2 "a persistent transient failure": the
 *     owner can make room, so servers that answer 552 5.2.2 still
 *     describe a temporary state; Sisimai treats it as soft too),
 *     system_full (X.3.1 likewise), greylisted, speeding, too_many_conn,
 *     network_error and expired (the path failed, not the address);
 *   - delivered, feedback and vacation are never hard.
 * The phrase table is written for mailcanary from the wording MTAs and
 * providers use; it is ordered so that the narrower meaning wins (sender
 * rejections before host lookups, "spamhaus" before "spam"). */
#include <string.h>

#include "receiver/dsn_internal.h"

static const char *const reason_names[DSN_REASON_COUNT] = {
	[DSN_REASON_UNDEFINED] = "undefined",
	[DSN_REASON_AUTH_FAILURE] = "auth_failure",
	[DSN_REASON_BAD_REPUTATION] = "bad_reputation",
	[DSN_REASON_BLOCKED] = "blocked",
	[DSN_REASON_CONTENT_ERROR] = "content_error",
	[DSN_REASON_DELIVERED] = "delivered",
	[DSN_REASON_EXCEED_LIMIT] = "exceed_limit",
	[DSN_REASON_EXPIRED] = "expired",
	[DSN_REASON_FAILED_STARTTLS] = "failed_starttls",
	[DSN_REASON_FEEDBACK] = "feedback",
	[DSN_REASON_FILTERED] = "filtered",
	[DSN_REASON_HAS_MOVED] = "has_moved",
	[DSN_REASON_HOST_UNKNOWN] = "host_unknown",
	[DSN_REASON_MAILBOX_FULL] = "mailbox_full",
	[DSN_REASON_MAILER_ERROR] = "mailer_error",
	[DSN_REASON_MESG_TOO_BIG] = "mesg_too_big",
	[DSN_REASON_NETWORK_ERROR] = "network_error",
	[DSN_REASON_NO_RELAYING] = "no_relaying",
	[DSN_REASON_NOT_ACCEPT] = "not_accept",
	[DSN_REASON_NOT_COMPLIANT_RFC] = "not_compliant_rfc",
	[DSN_REASON_ON_HOLD] = "on_hold",
	[DSN_REASON_POLICY_VIOLATION] = "policy_violation",
	[DSN_REASON_REJECTED] = "rejected",
	[DSN_REASON_REQUIRE_PTR] = "require_ptr",
	[DSN_REASON_SECURITY_ERROR] = "security_error",
	[DSN_REASON_SPAM_DETECTED] = "spam_detected",
	[DSN_REASON_SPEEDING] = "speeding",
	[DSN_REASON_SUSPEND] = "suspend",
	[DSN_REASON_SYNTAX_ERROR] = "syntax_error",
	[DSN_REASON_SYSTEM_ERROR] = "system_error",
	[DSN_REASON_SYSTEM_FULL] = "system_full",
	[DSN_REASON_TOO_MANY_CONN] = "too_many_conn",
	[DSN_REASON_USER_UNKNOWN] = "user_unknown",
	[DSN_REASON_VACATION] = "vacation",
	[DSN_REASON_VIRUS_DETECTED] = "virus_detected",
	[DSN_REASON_GREYLISTED] = "greylisted",
};

const char *dsn_reason_name(enum mc_dsn_reason r)
{
	if ((unsigned)r >= DSN_REASON_COUNT || !reason_names[r])
		return "undefined";
	return reason_names[r];
}

#define R(x) DSN_REASON_##x

/* Lower-case phrases, first match wins. */
static const struct {
	enum mc_dsn_reason reason;
	const char *phrase;
} phrases[] = {
	/* greylisting is a deliberate, self-clearing delay */
	{R(GREYLISTED), "greylist"}, {R(GREYLISTED), "graylist"},
	{R(GREYLISTED), "grey-list"}, {R(GREYLISTED), "gray-list"},
	{R(GREYLISTED), "grey list"}, {R(GREYLISTED), "gray list"},
	{R(GREYLISTED), "postgrey"},

	{R(VIRUS_DETECTED), "virus"}, {R(VIRUS_DETECTED), "malware"},
	{R(VIRUS_DETECTED), "infected"}, {R(VIRUS_DETECTED), "trojan"},

	{R(MAILBOX_FULL), "mailbox full"}, {R(MAILBOX_FULL), "mailbox is full"},
	{R(MAILBOX_FULL), "mailbox for user is full"},
	{R(MAILBOX_FULL), "quota exceeded"}, {R(MAILBOX_FULL), "over quota"},
	{R(MAILBOX_FULL), "exceeded storage allocation"},
	{R(MAILBOX_FULL), "exceeds quota"}, {R(MAILBOX_FULL), "disk quota"},
	{R(MAILBOX_FULL), "mailbox size limit"}, {R(MAILBOX_FULL), "mailfolder is full"},
	{R(MAILBOX_FULL), "full mailbox"}, {R(MAILBOX_FULL), "out of storage space"},
	{R(MAILBOX_FULL), "insufficient storage for this user"},

	{R(MESG_TOO_BIG), "message too large"}, {R(MESG_TOO_BIG), "message too big"},
	{R(MESG_TOO_BIG), "message is too large"}, {R(MESG_TOO_BIG), "message is too big"},
	{R(MESG_TOO_BIG), "message size exceeds"}, {R(MESG_TOO_BIG), "message length exceeds"},
	{R(MESG_TOO_BIG), "exceeds size limit"}, {R(MESG_TOO_BIG), "size exceeds the maximum"},
	{R(MESG_TOO_BIG), "message file too big"}, {R(MESG_TOO_BIG), "too big for system"},
	{R(MESG_TOO_BIG), "maximum message size"},

	/* the sender side is refused, whatever the rest says */
	{R(REJECTED), "sender address rejected"}, {R(REJECTED), "sender rejected"},
	{R(REJECTED), "sender denied"}, {R(REJECTED), "sender verify failed"},
	{R(REJECTED), "sender verification failed"}, {R(REJECTED), "invalid sender"},
	{R(REJECTED), "bad sender"}, {R(REJECTED), "domain of sender address"},
	{R(REJECTED), "sender is not allowed"}, {R(REJECTED), "envelope sender"},

	{R(NO_RELAYING), "relay access denied"}, {R(NO_RELAYING), "relaying denied"},
	{R(NO_RELAYING), "relay not permitted"}, {R(NO_RELAYING), "not permitted to relay"},
	{R(NO_RELAYING), "relaying not allowed"}, {R(NO_RELAYING), "relay not allowed"},
	{R(NO_RELAYING), "not allowed to relay"}, {R(NO_RELAYING), "unable to relay"},
	{R(NO_RELAYING), "we do not relay"}, {R(NO_RELAYING), "relay denied"},
	{R(NO_RELAYING), "relay prohibited"},

	{R(REQUIRE_PTR), "reverse dns"}, {R(REQUIRE_PTR), "reverse hostname"},
	{R(REQUIRE_PTR), "cannot find your hostname"}, {R(REQUIRE_PTR), "ptr record"},
	{R(REQUIRE_PTR), "no ptr"}, {R(REQUIRE_PTR), "rdns"},
	{R(REQUIRE_PTR), "reverse lookup"}, {R(REQUIRE_PTR), "ip name lookup failed"},

	{R(AUTH_FAILURE), "dmarc"}, {R(AUTH_FAILURE), "dkim"},
	{R(AUTH_FAILURE), "spf"}, {R(AUTH_FAILURE), "sender policy framework"},
	{R(AUTH_FAILURE), "unauthenticated"}, {R(AUTH_FAILURE), "not authenticated"},

	{R(FAILED_STARTTLS), "starttls"}, {R(FAILED_STARTTLS), "tls required"},
	{R(FAILED_STARTTLS), "tls is required"}, {R(FAILED_STARTTLS), "requires tls"},
	{R(FAILED_STARTTLS), "tls handshake"}, {R(FAILED_STARTTLS), "tls negotiation"},
	{R(FAILED_STARTTLS), "ssl handshake"}, {R(FAILED_STARTTLS), "encryption required"},
	{R(FAILED_STARTTLS), "certificate verification"},

	{R(EXPIRED), "retry timeout exceeded"}, {R(EXPIRED), "message expired"},
	{R(EXPIRED), "delivery time expired"}, {R(EXPIRED), "in the queue too long"},
	{R(EXPIRED), "queue time expired"}, {R(EXPIRED), "could not be delivered within"},
	{R(EXPIRED), "too long in queue"},

	/* a domain that does not resolve, before "does not exist" below */
	{R(HOST_UNKNOWN), "host not found"}, {R(HOST_UNKNOWN), "domain not found"},
	{R(HOST_UNKNOWN), "name service error"}, {R(HOST_UNKNOWN), "host unknown"},
	{R(HOST_UNKNOWN), "unknown host"}, {R(HOST_UNKNOWN), "no such domain"},
	{R(HOST_UNKNOWN), "domain does not exist"}, {R(HOST_UNKNOWN), "domain name not found"},
	{R(HOST_UNKNOWN), "unrouteable mail domain"}, {R(HOST_UNKNOWN), "unrouteable address"},
	{R(HOST_UNKNOWN), "unroutable address"}, {R(HOST_UNKNOWN), "nxdomain"},
	{R(HOST_UNKNOWN), "name or service not known"},

	{R(NOT_ACCEPT), "does not accept mail"}, {R(NOT_ACCEPT), "null mx"},
	{R(NOT_ACCEPT), "not accepting mail"}, {R(NOT_ACCEPT), "accepts no mail"},

	{R(SUSPEND), "account disabled"}, {R(SUSPEND), "mailbox disabled"},
	{R(SUSPEND), "account has been disabled"}, {R(SUSPEND), "is disabled"},
	/* not bare "suspended": Postfix says "delivery temporarily
	 * suspended" for every unreachable destination */
	{R(SUSPEND), "account suspended"}, {R(SUSPEND), "account is suspended"},
	{R(SUSPEND), "account has been suspended"}, {R(SUSPEND), "mailbox suspended"},
	{R(SUSPEND), "mailbox is inactive"}, {R(SUSPEND), "account is inactive"},
	{R(SUSPEND), "deactivated"}, {R(SUSPEND), "account expired"},
	{R(SUSPEND), "account is locked"}, {R(SUSPEND), "mailbox is frozen"},

	{R(USER_UNKNOWN), "user unknown"}, {R(USER_UNKNOWN), "unknown user"},
	{R(USER_UNKNOWN), "no such user"}, {R(USER_UNKNOWN), "no such mailbox"},
	{R(USER_UNKNOWN), "no such recipient"}, {R(USER_UNKNOWN), "no such address"},
	{R(USER_UNKNOWN), "no such account"}, {R(USER_UNKNOWN), "no mailbox here"},
	{R(USER_UNKNOWN), "recipient not found"}, {R(USER_UNKNOWN), "recipientnotfound"},
	{R(USER_UNKNOWN), "recipient unknown"}, {R(USER_UNKNOWN), "unknown recipient"},
	{R(USER_UNKNOWN), "addressee unknown"}, {R(USER_UNKNOWN), "unknown address"},
	{R(USER_UNKNOWN), "unknown local part"}, {R(USER_UNKNOWN), "user not found"},
	{R(USER_UNKNOWN), "mailbox not found"}, {R(USER_UNKNOWN), "invalid recipient"},
	{R(USER_UNKNOWN), "invalid mailbox"}, {R(USER_UNKNOWN), "not a valid mailbox"},
	{R(USER_UNKNOWN), "does not exist"}, {R(USER_UNKNOWN), "doesn't exist"},
	{R(USER_UNKNOWN), "this user doesn't have a"},
	{R(USER_UNKNOWN), "not listed in domino directory"},
	{R(USER_UNKNOWN), "not listed in public name"},
	{R(USER_UNKNOWN), "recipient address rejected: access denied"},
	{R(USER_UNKNOWN), "e-mail account does not exist"},

	{R(HAS_MOVED), "has moved"}, {R(HAS_MOVED), "address has changed"},
	{R(HAS_MOVED), "user not local"},

	{R(BAD_REPUTATION), "reputation"}, {R(BAD_REPUTATION), "user complaints"},
	{R(BAD_REPUTATION), "unusual rate of unsolicited"},

	{R(BLOCKED), "blocked using"}, {R(BLOCKED), "listed in"},
	{R(BLOCKED), "listed at"}, {R(BLOCKED), "blacklist"},
	{R(BLOCKED), "blocklist"}, {R(BLOCKED), "dnsbl"},
	{R(BLOCKED), "spamhaus"}, {R(BLOCKED), "spamcop"},
	{R(BLOCKED), "client host rejected"}, {R(BLOCKED), "client host blocked"},
	{R(BLOCKED), "ip address blocked"}, {R(BLOCKED), "has been blocked"},
	{R(BLOCKED), "banned"},

	{R(SPAM_DETECTED), "spam"}, {R(SPAM_DETECTED), "unsolicited"},
	{R(SPAM_DETECTED), "junk mail"}, {R(SPAM_DETECTED), "bulk mail"},

	{R(SPEEDING), "rate limit"}, {R(SPEEDING), "ratelimit"},
	{R(SPEEDING), "too many messages"}, {R(SPEEDING), "sending rate"},
	{R(SPEEDING), "receiving mail at a rate"}, {R(SPEEDING), "throttl"},
	{R(SPEEDING), "too many emails"},

	{R(TOO_MANY_CONN), "too many connections"}, {R(TOO_MANY_CONN), "too many concurrent"},
	{R(TOO_MANY_CONN), "connection limit"}, {R(TOO_MANY_CONN), "too many simultaneous"},
	{R(TOO_MANY_CONN), "too many smtp sessions"},

	{R(SYSTEM_FULL), "insufficient system storage"}, {R(SYSTEM_FULL), "insufficient storage"},
	{R(SYSTEM_FULL), "no space left"}, {R(SYSTEM_FULL), "disk full"},
	{R(SYSTEM_FULL), "mail system full"}, {R(SYSTEM_FULL), "out of disk"},

	{R(FILTERED), "rejected by recipient"}, {R(FILTERED), "recipient's filter"},
	{R(FILTERED), "blocked by recipient"}, {R(FILTERED), "refused by recipient"},
	{R(FILTERED), "filtered"},

	{R(CONTENT_ERROR), "content rejected"}, {R(CONTENT_ERROR), "attachment"},
	{R(CONTENT_ERROR), "mime error"}, {R(CONTENT_ERROR), "invalid mime"},

	{R(NOT_COMPLIANT_RFC), "rfc 5322"}, {R(NOT_COMPLIANT_RFC), "rfc5322"},
	{R(NOT_COMPLIANT_RFC), "rfc 2822"}, {R(NOT_COMPLIANT_RFC), "rfc2822"},
	{R(NOT_COMPLIANT_RFC), "not rfc"}, {R(NOT_COMPLIANT_RFC), "non-compliant"},
	{R(NOT_COMPLIANT_RFC), "not compliant"}, {R(NOT_COMPLIANT_RFC), "malformed"},
	{R(NOT_COMPLIANT_RFC), "bare lf"}, {R(NOT_COMPLIANT_RFC), "missing required header"},

	{R(EXCEED_LIMIT), "too many recipients"},

	{R(SYNTAX_ERROR), "syntax error"}, {R(SYNTAX_ERROR), "command unrecognized"},
	{R(SYNTAX_ERROR), "command not recognized"}, {R(SYNTAX_ERROR), "bad sequence of commands"},

	{R(POLICY_VIOLATION), "policy"},

	{R(MAILER_ERROR), "mailer error"}, {R(MAILER_ERROR), "command died"},
	{R(MAILER_ERROR), "command time limit"}, {R(MAILER_ERROR), "pipe to"},

	{R(NETWORK_ERROR), "timed out"}, {R(NETWORK_ERROR), "connection refused"},
	{R(NETWORK_ERROR), "no route to host"}, {R(NETWORK_ERROR), "network is unreachable"},
	{R(NETWORK_ERROR), "lost connection"}, {R(NETWORK_ERROR), "connection reset"},
	{R(NETWORK_ERROR), "host unreachable"}, {R(NETWORK_ERROR), "could not connect"},
	{R(NETWORK_ERROR), "unable to connect"}, {R(NETWORK_ERROR), "conversation with"},

	{R(SYSTEM_ERROR), "system error"}, {R(SYSTEM_ERROR), "internal error"},
	{R(SYSTEM_ERROR), "temporary lookup failure"}, {R(SYSTEM_ERROR), "loops back to myself"},
	{R(SYSTEM_ERROR), "mail loop"}, {R(SYSTEM_ERROR), "too many hops"},
	{R(SYSTEM_ERROR), "local configuration error"}, {R(SYSTEM_ERROR), "temporary local problem"},

	{R(SECURITY_ERROR), "authentication required"}, {R(SECURITY_ERROR), "must authenticate"},
};

/* RFC 3463 §3 subject.detail (class ignored), plus the registry's later
 * additions: RFC 4954, 6710, 7293, 7372, 7505, 8689. */
static const struct {
	int subject, detail;
	enum mc_dsn_reason reason;
} statuses[] = {
	{1, 1, R(USER_UNKNOWN)}, {1, 2, R(HOST_UNKNOWN)},
	{1, 3, R(SYNTAX_ERROR)}, {1, 6, R(HAS_MOVED)},
	{1, 7, R(REJECTED)}, {1, 8, R(REJECTED)},
	{1, 10, R(NOT_ACCEPT)},
	{2, 1, R(SUSPEND)}, {2, 2, R(MAILBOX_FULL)},
	{2, 3, R(MESG_TOO_BIG)}, {2, 4, R(MAILER_ERROR)},
	{3, 0, R(SYSTEM_ERROR)}, {3, 1, R(SYSTEM_FULL)},
	{3, 2, R(NOT_ACCEPT)}, {3, 3, R(SYSTEM_ERROR)},
	{3, 4, R(MESG_TOO_BIG)}, {3, 5, R(SYSTEM_ERROR)},
	{4, 0, R(NETWORK_ERROR)}, {4, 1, R(NETWORK_ERROR)},
	{4, 2, R(NETWORK_ERROR)}, {4, 3, R(NETWORK_ERROR)},
	{4, 4, R(HOST_UNKNOWN)}, {4, 5, R(SYSTEM_FULL)},
	{4, 6, R(SYSTEM_ERROR)}, {4, 7, R(EXPIRED)},
	{5, 1, R(SYNTAX_ERROR)}, {5, 2, R(SYNTAX_ERROR)},
	{5, 3, R(EXCEED_LIMIT)}, {5, 4, R(SYNTAX_ERROR)},
	{5, 5, R(NOT_COMPLIANT_RFC)}, {5, 6, R(SYNTAX_ERROR)},
	{7, 0, R(SECURITY_ERROR)}, {7, 1, R(POLICY_VIOLATION)},
	{7, 2, R(POLICY_VIOLATION)}, {7, 8, R(AUTH_FAILURE)},
	{7, 9, R(AUTH_FAILURE)}, {7, 10, R(FAILED_STARTTLS)},
	{7, 11, R(FAILED_STARTTLS)}, {7, 12, R(AUTH_FAILURE)},
	{7, 13, R(SUSPEND)}, {7, 14, R(AUTH_FAILURE)},
	{7, 15, R(POLICY_VIOLATION)}, {7, 16, R(MESG_TOO_BIG)},
	{7, 17, R(HAS_MOVED)}, {7, 18, R(HAS_MOVED)},
	{7, 20, R(AUTH_FAILURE)}, {7, 21, R(AUTH_FAILURE)},
	{7, 22, R(AUTH_FAILURE)}, {7, 23, R(AUTH_FAILURE)},
	{7, 24, R(AUTH_FAILURE)}, {7, 25, R(REQUIRE_PTR)},
	{7, 26, R(AUTH_FAILURE)}, {7, 27, R(REJECTED)},
	{7, 29, R(FAILED_STARTTLS)}, {7, 30, R(FAILED_STARTTLS)},
};

/* What a subject means when its detail is not in the table. */
static enum mc_dsn_reason subject_default(int subject)
{
	switch (subject) {
	case 3:
		return R(SYSTEM_ERROR);
	case 4:
		return R(NETWORK_ERROR);
	case 5:
		return R(SYNTAX_ERROR);
	case 6:
		return R(CONTENT_ERROR);
	case 7:
		return R(SECURITY_ERROR);
	default:
		return R(UNDEFINED);
	}
}

/* RFC 5321 §4.2.3 / RFC 7504 reply codes with one meaning; the generic
 * ones (450, 550, 554) say nothing a reader could act on. */
static const struct {
	int code;
	enum mc_dsn_reason reason;
} replies[] = {
	{421, R(SYSTEM_ERROR)}, {451, R(SYSTEM_ERROR)}, {452, R(SYSTEM_FULL)},
	{500, R(SYNTAX_ERROR)}, {501, R(SYNTAX_ERROR)}, {502, R(SYNTAX_ERROR)},
	{503, R(SYNTAX_ERROR)}, {504, R(SYNTAX_ERROR)}, {521, R(NOT_ACCEPT)},
	{530, R(SECURITY_ERROR)}, {534, R(SECURITY_ERROR)}, {535, R(AUTH_FAILURE)},
	{538, R(FAILED_STARTTLS)}, {551, R(HAS_MOVED)}, {552, R(MAILBOX_FULL)},
	{553, R(SYNTAX_ERROR)}, {555, R(SYNTAX_ERROR)}, {556, R(NOT_ACCEPT)},
};

enum mc_dsn_reason dsn_reason_from_text(const char *s)
{
	char low[1024];
	size_t n = 0;

	if (!s)
		return R(UNDEFINED);
	for (; s[n] && n < sizeof(low) - 1; n++)
		low[n] = (char)((s[n] >= 'A' && s[n] <= 'Z') ? s[n] + 32 : s[n]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (strstr(low, phrases[i].phrase))
			return phrases[i].reason;
	return R(UNDEFINED);
}

static int num(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

static enum mc_dsn_reason reason_from_status(const char *st)
{
	const char *p = st;
	int subject, detail;

	if (!st || !st[0])
		return R(UNDEFINED);
	p += 2;                       /* validated "C." by dsn_status_at() */
	subject = num(&p);
	p++;
	detail = num(&p);
	if (subject == 0)             /* X.0.x: other or undefined */
		return R(UNDEFINED);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].subject == subject && statuses[i].detail == detail)
			return statuses[i].reason;
	return subject_default(subject);
}

static enum mc_dsn_reason reason_from_reply(int code)
{
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		if (replies[i].code == code)
			return replies[i].reason;
	return R(UNDEFINED);
}

bool dsn_reason_is_soft(enum mc_dsn_reason r)
{
	switch (r) {
	case R(MAILBOX_FULL):
	case R(SYSTEM_FULL):
	case R(GREYLISTED):
	case R(SPEEDING):
	case R(TOO_MANY_CONN):
	case R(NETWORK_ERROR):
	case R(EXPIRED):
	case R(DELIVERED):
	case R(FEEDBACK):
	case R(VACATION):
		return true;
	default:
		return false;
	}
}

/* Reasons that only say "it kept failing": when the queue gives up on
 * them, `expired` is what the sender needs to know. */
static bool gave_up_generic(enum mc_dsn_reason r)
{
	return r == R(UNDEFINED) || r == R(NETWORK_ERROR) ||
	       r == R(SYSTEM_ERROR) || r == R(HOST_UNKNOWN) ||
	       r == R(GREYLISTED) || r == R(TOO_MANY_CONN);
}

void dsn_classify(struct mc_dsn_rcpt *r, int default_class)
{
	char diag_status[DSN_STATUS_MAX] = "";
	enum mc_dsn_reason reason;
	int cls = 0;

	if (r->action == DSN_ACTION_DELIVERED || r->action == DSN_ACTION_RELAYED ||
	    r->action == DSN_ACTION_EXPANDED ||
	    (r->action == DSN_ACTION_NONE && r->status[0] == '2')) {
		r->reason = R(DELIVERED);
		r->hard = false;
		return;
	}
	if (r->status[0])
		cls = r->status[0] - '0';
	else if (r->reply_code)
		cls = r->reply_code / 100;
	else if (default_class)
		cls = default_class;
	else if (r->action == DSN_ACTION_FAILED)
		cls = 5;
	else if (r->action == DSN_ACTION_DELAYED)
		cls = 4;

	reason = dsn_reason_from_text(r->diagnostic);
	if (reason == R(UNDEFINED))
		reason = reason_from_status(r->status);
	if (reason == R(UNDEFINED) && r->diagnostic &&
	    dsn_status_find(r->diagnostic, strlen(r->diagnostic), diag_status) == 0)
		reason = reason_from_status(diag_status);
	if (reason == R(UNDEFINED))
		reason = reason_from_reply(r->reply_code);
	if (r->action == DSN_ACTION_FAILED && cls == 4 && gave_up_generic(reason))
		reason = R(EXPIRED);

	r->reason = reason;
	if (r->action == DSN_ACTION_DELAYED || cls == 4 || cls == 2)
		r->hard = false;
	else if (cls == 5 || r->action == DSN_ACTION_FAILED)
		r->hard = !dsn_reason_is_soft(reason);
	else
		r->hard = false;
}

void dsn_rcpt_finish(struct mc_dsn_rcpt *r, int default_class)
{
	if (r->diagnostic) {
		size_t n = strlen(r->diagnostic);

		if (!r->status[0])
			dsn_status_find(r->diagnostic, n, r->status);
		if (!r->reply_code)
			r->reply_code = dsn_reply_find(r->diagnostic, n);
	}
	if (r->action == DSN_ACTION_NONE) {
		int cls = r->status[0] ? r->status[0] - '0' : default_class;

		if (cls == 5)
			r->action = DSN_ACTION_FAILED;
		else if (cls == 4)
			r->action = DSN_ACTION_DELAYED;
		else if (cls == 2)
			r->action = DSN_ACTION_DELIVERED;
	}
	dsn_classify(r, default_class);
}
