/* Value syntax of the config file: numbers, durations, booleans, lists,
 * addresses and IMAP URLs. Pure functions over strings; each returns NULL
 * (or 0) on success, else a short reason for the caller's file:line error. */
#ifndef MC_CONFIG_VALUE_H
#define MC_CONFIG_VALUE_H

#include <stddef.h>

#include "config.h"

/* `"name"` -> name (letters, digits, '.', '_', '-'; 1..out_size-1 chars). */
int config_value_quoted_name(const char *s, char *out, size_t out_size);

const char *config_value_long(const char *s, long *out);

/* Seconds, with an optional unit: 90, 90s, 5m, 2h, 1d. */
const char *config_value_duration(const char *s, long *out);

/* yes/no, true/false, on/off, 1/0 -> 1/0; -1 if none of those. */
int config_value_bool(const char *s);

/* "a, b ,c" -> {"a","b","c",NULL}, empty items dropped; *n = count.
 * Returns a new array the caller frees with config_value_list_free(), or
 * NULL when out of memory. */
char **config_value_list(const char *s, size_t *n);
void config_value_list_free(char **list);

/* 0 if s looks like local@domain with no spaces, brackets or controls. */
int config_value_address(const char *s);

/* imap://host[:port][/FOLDER] or imaps://...; host may be [IPv6]. On
 * success fills new strings *host and *folder (percent-decoded, default
 * INBOX) the caller frees, *port and *tls. */
const char *config_value_imap_url(const char *url, char **host, int *port,
				  char **folder, enum mc_tls_mode *tls);

#endif
