/* An SPF outcome as `spf --json` prints it (DESIGN.md), written straight
 * into a buffer. Not a jansson tree: `spf --batch --json` writes one per
 * question, and building, dumping and freeing the tree (about 40 objects
 * with a hash table each, every string copied twice) took as long as the
 * evaluations themselves. The bytes are what jansson's JSON_COMPACT dump
 * of the same document gives (test_spf_json compares the two). Every
 * string first gets check_visible()'s treatment (control and non-ASCII
 * bytes as \xNN), so the JSON is plain ASCII. */
#ifndef MC_SPF_JSON_H
#define MC_SPF_JSON_H

#include "checks/spf.h"
#include "mc_buf.h"

/* Appends o, the answer to (ip, mailfrom, helo), as one JSON object.
 * Returns 0, or -1 when out of memory or past out's limit (out may then
 * hold part of the object). */
int spf_json_outcome(struct mc_buf *out, const struct mc_spf_outcome *o,
		     const char *ip, const char *mailfrom, const char *helo);

/* Appends the object for a question that got no outcome (bad input, out
 * of memory): result temperror, the question, and problem. */
int spf_json_failed(struct mc_buf *out, const char *ip, const char *mailfrom,
		    const char *helo, const char *problem);

#endif
