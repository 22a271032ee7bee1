/* GMime (and the few GLib/GObject functions its users need) on first use:
 * defines every g_mime_*, internet_address_*, g_object_*, g_type_* and
 * g_* function receiver/dsn.c and receiver/dsn_text.c call, including those
 * GMime's macros expand to (GMIME_IS_MULTIPART -> g_type_check_instance_is_a
 * and g_mime_multipart_get_type), and forwards each to its own library:
 * libglib-2.0.so.0, libgobject-2.0.so.0 or libgmime-3.0.so.0, each loaded
 * by lazy.h's helper on the first call of one of its functions. Why, and
 * why hand-written: lazy.h. Add a function here (and to its *_FNS list)
 * when a caller starts using one; the link fails until you do.
 *
 * These definitions are not exported from the executable (nothing linked
 * needs them), so GLib's and GMime's own calls between each other never
 * come back through here. */
#include <gmime/gmime.h>
#include <pthread.h>

#include "lazy.h"

#define GLIB_SONAME "libglib-2.0.so.0"
#define GOBJECT_SONAME "libgobject-2.0.so.0"
#define GMIME_SONAME "libgmime-3.0.so.0"

#define GLIB_FNS(X) \
	X(g_free) X(g_ascii_strcasecmp) X(g_ascii_strncasecmp) \
	X(g_date_time_to_unix) X(g_date_time_unref) \
	X(g_date_time_new_from_unix_utc)
LAZY_LIB(glib, GLIB_SONAME, GLIB_FNS)
#define GLIB(f) LAZY_CALL(glib, f)

#define GOBJECT_FNS(X) X(g_object_unref) X(g_type_check_instance_is_a) \
	X(g_type_check_instance_cast)
LAZY_LIB(gobject, GOBJECT_SONAME, GOBJECT_FNS)
#define GOBJECT(f) LAZY_CALL(gobject, f)

#define GMIME_FNS(X) \
	X(g_mime_init) X(g_mime_content_type_get_parameter) \
	X(g_mime_content_type_is_type) X(g_mime_data_wrapper_write_to_stream) \
	X(g_mime_message_get_from) X(g_mime_message_get_message_id) \
	X(g_mime_message_get_mime_part) X(g_mime_message_get_subject) \
	X(g_mime_message_get_to) X(g_mime_message_part_get_message) \
	X(g_mime_message_part_get_type) X(g_mime_multipart_get_count) \
	X(g_mime_multipart_get_part) X(g_mime_multipart_get_type) \
	X(g_mime_object_get_content_type) X(g_mime_object_get_header) \
	X(g_mime_parser_construct_message) X(g_mime_parser_new_with_stream) \
	X(g_mime_parser_options_free) X(g_mime_parser_options_new) \
	X(g_mime_parser_options_set_warning_callback) \
	X(g_mime_parser_set_format) X(g_mime_part_get_content) \
	X(g_mime_part_get_type) X(g_mime_stream_mem_get_byte_array) \
	X(g_mime_stream_mem_new) X(g_mime_stream_mem_new_with_buffer) \
	X(g_mime_text_part_get_text) X(g_mime_text_part_get_type) \
	X(g_mime_utils_header_decode_date) \
	X(internet_address_list_get_address) X(internet_address_list_length) \
	X(internet_address_mailbox_get_addr) \
	X(internet_address_mailbox_get_type) \
	X(g_mime_data_wrapper_new_with_stream) \
	X(g_mime_format_options_free) \
	X(g_mime_format_options_new) \
	X(g_mime_format_options_set_newline_format) \
	X(g_mime_message_add_mailbox) \
	X(g_mime_message_new) \
	X(g_mime_message_set_date) \
	X(g_mime_message_set_message_id) \
	X(g_mime_message_set_mime_part) \
	X(g_mime_message_set_subject) \
	X(g_mime_multipart_add) \
	X(g_mime_multipart_new_with_subtype) \
	X(g_mime_object_get_type) \
	X(g_mime_object_set_content_type_parameter) \
	X(g_mime_object_set_disposition) \
	X(g_mime_object_set_header) \
	X(g_mime_object_to_string) \
	X(g_mime_part_new_with_type) \
	X(g_mime_part_set_content) \
	X(g_mime_part_set_content_encoding) \
	X(g_mime_part_set_filename) \
	X(g_mime_content_type_get_media_subtype) \
	X(g_mime_object_get_content_type_parameter) \
	X(g_mime_part_get_content_encoding) \
	X(g_mime_part_get_filename) \
	X(g_mime_part_is_attachment) \
	X(g_mime_stream_mem_get_type) \
	X(internet_address_list_to_string)
LAZY_LIB(gmime, GMIME_SONAME, GMIME_FNS)
#define GMIME(f) LAZY_CALL(gmime, f)

/* ---- GLib ---- */

void (g_free)(gpointer mem)
{
	GLIB(g_free)(mem);
}

gint g_ascii_strcasecmp(const gchar *s1, const gchar *s2)
{
	return GLIB(g_ascii_strcasecmp)(s1, s2);
}

gint g_ascii_strncasecmp(const gchar *s1, const gchar *s2, gsize n)
{
	return GLIB(g_ascii_strncasecmp)(s1, s2, n);
}

gint64 g_date_time_to_unix(GDateTime *datetime)
{
	return GLIB(g_date_time_to_unix)(datetime);
}

void g_date_time_unref(GDateTime *datetime)
{
	GLIB(g_date_time_unref)(datetime);
}

/* ---- GObject ---- */

void (g_object_unref)(gpointer object)
{
	GOBJECT(g_object_unref)(object);
}

gboolean g_type_check_instance_is_a(GTypeInstance *instance, GType iface_type)
{
	return GOBJECT(g_type_check_instance_is_a)(instance, iface_type);
}

/* ---- GMime ---- */

void g_mime_init(void)
{
	GMIME(g_mime_init)();
}

const char *g_mime_content_type_get_parameter(GMimeContentType *content_type,
					      const char *name)
{
	return GMIME(g_mime_content_type_get_parameter)(content_type, name);
}

gboolean g_mime_content_type_is_type(GMimeContentType *content_type,
				     const char *type, const char *subtype)
{
	return GMIME(g_mime_content_type_is_type)(content_type, type, subtype);
}

ssize_t g_mime_data_wrapper_write_to_stream(GMimeDataWrapper *wrapper,
					    GMimeStream *stream)
{
	return GMIME(g_mime_data_wrapper_write_to_stream)(wrapper, stream);
}

InternetAddressList *g_mime_message_get_from(GMimeMessage *message)
{
	return GMIME(g_mime_message_get_from)(message);
}

const char *g_mime_message_get_message_id(GMimeMessage *message)
{
	return GMIME(g_mime_message_get_message_id)(message);
}

GMimeObject *g_mime_message_get_mime_part(GMimeMessage *message)
{
	return GMIME(g_mime_message_get_mime_part)(message);
}

const char *g_mime_message_get_subject(GMimeMessage *message)
{
	return GMIME(g_mime_message_get_subject)(message);
}

InternetAddressList *g_mime_message_get_to(GMimeMessage *message)
{
	return GMIME(g_mime_message_get_to)(message);
}

GMimeMessage *g_mime_message_part_get_message(GMimeMessagePart *part)
{
	return GMIME(g_mime_message_part_get_message)(part);
}

GType g_mime_message_part_get_type(void)
{
	return GMIME(g_mime_message_part_get_type)();
}

int g_mime_multipart_get_count(GMimeMultipart *multipart)
{
	return GMIME(g_mime_multipart_get_count)(multipart);
}

GMimeObject *g_mime_multipart_get_part(GMimeMultipart *multipart, int index)
{
	return GMIME(g_mime_multipart_get_part)(multipart, index);
}

GType g_mime_multipart_get_type(void)
{
	return GMIME(g_mime_multipart_get_type)();
}

GMimeContentType *g_mime_object_get_content_type(GMimeObject *object)
{
	return GMIME(g_mime_object_get_content_type)(object);
}

const char *g_mime_object_get_header(GMimeObject *object, const char *header)
{
	return GMIME(g_mime_object_get_header)(object, header);
}

GMimeMessage *g_mime_parser_construct_message(GMimeParser *parser,
					      GMimeParserOptions *options)
{
	return GMIME(g_mime_parser_construct_message)(parser, options);
}

GMimeParser *g_mime_parser_new_with_stream(GMimeStream *stream)
{
	return GMIME(g_mime_parser_new_with_stream)(stream);
}

void g_mime_parser_options_free(GMimeParserOptions *options)
{
	GMIME(g_mime_parser_options_free)(options);
}

GMimeParserOptions *g_mime_parser_options_new(void)
{
	return GMIME(g_mime_parser_options_new)();
}

void g_mime_parser_options_set_warning_callback(GMimeParserOptions *options,
						GMimeParserWarningFunc
						warning_cb,
						gpointer user_data)
{
	GMIME(g_mime_parser_options_set_warning_callback)(options, warning_cb,
							  user_data);
}

void g_mime_parser_set_format(GMimeParser *parser, GMimeFormat format)
{
	GMIME(g_mime_parser_set_format)(parser, format);
}

GMimeDataWrapper *g_mime_part_get_content(GMimePart *mime_part)
{
	return GMIME(g_mime_part_get_content)(mime_part);
}

GType g_mime_part_get_type(void)
{
	return GMIME(g_mime_part_get_type)();
}

GByteArray *g_mime_stream_mem_get_byte_array(GMimeStreamMem *mem)
{
	return GMIME(g_mime_stream_mem_get_byte_array)(mem);
}

GMimeStream *g_mime_stream_mem_new(void)
{
	return GMIME(g_mime_stream_mem_new)();
}

GMimeStream *g_mime_stream_mem_new_with_buffer(const char *buffer, size_t len)
{
	return GMIME(g_mime_stream_mem_new_with_buffer)(buffer, len);
}

char *g_mime_text_part_get_text(GMimeTextPart *mime_part)
{
	return GMIME(g_mime_text_part_get_text)(mime_part);
}

GType g_mime_text_part_get_type(void)
{
	return GMIME(g_mime_text_part_get_type)();
}

GDateTime *g_mime_utils_header_decode_date(const char *str)
{
	return GMIME(g_mime_utils_header_decode_date)(str);
}

InternetAddress *internet_address_list_get_address(InternetAddressList *list,
						   int index)
{
	return GMIME(internet_address_list_get_address)(list, index);
}

int internet_address_list_length(InternetAddressList *list)
{
	return GMIME(internet_address_list_length)(list);
}

const char *internet_address_mailbox_get_addr(InternetAddressMailbox *mailbox)
{
	return GMIME(internet_address_mailbox_get_addr)(mailbox);
}

GType internet_address_mailbox_get_type(void)
{
	return GMIME(internet_address_mailbox_get_type)();
}

/* ---- building messages (report/report_mail.c) ---- */

GDateTime *g_date_time_new_from_unix_utc(gint64 t)
{
	return GLIB(g_date_time_new_from_unix_utc)(t);
}

GTypeInstance *g_type_check_instance_cast(GTypeInstance *instance, GType iface_type)
{
	return GOBJECT(g_type_check_instance_cast)(instance, iface_type);
}

GMimeDataWrapper *g_mime_data_wrapper_new_with_stream(GMimeStream *stream, GMimeContentEncoding encoding)
{
	return GMIME(g_mime_data_wrapper_new_with_stream)(stream, encoding);
}

void g_mime_format_options_free(GMimeFormatOptions *options)
{
	GMIME(g_mime_format_options_free)(options);
}

GMimeFormatOptions *g_mime_format_options_new(void)
{
	return GMIME(g_mime_format_options_new)();
}

void g_mime_format_options_set_newline_format(GMimeFormatOptions *options, GMimeNewLineFormat newline)
{
	GMIME(g_mime_format_options_set_newline_format)(options, newline);
}

void g_mime_message_add_mailbox(GMimeMessage *message, GMimeAddressType type, const char *name, const char *addr)
{
	GMIME(g_mime_message_add_mailbox)(message, type, name, addr);
}

GMimeMessage *g_mime_message_new(gboolean pretty_headers)
{
	return GMIME(g_mime_message_new)(pretty_headers);
}

void g_mime_message_set_date(GMimeMessage *message, GDateTime *date)
{
	GMIME(g_mime_message_set_date)(message, date);
}

void g_mime_message_set_message_id(GMimeMessage *message, const char *message_id)
{
	GMIME(g_mime_message_set_message_id)(message, message_id);
}

void g_mime_message_set_mime_part(GMimeMessage *message, GMimeObject *mime_part)
{
	GMIME(g_mime_message_set_mime_part)(message, mime_part);
}

void g_mime_message_set_subject(GMimeMessage *message, const char *subject, const char *charset)
{
	GMIME(g_mime_message_set_subject)(message, subject, charset);
}

void g_mime_multipart_add(GMimeMultipart *multipart, GMimeObject *part)
{
	GMIME(g_mime_multipart_add)(multipart, part);
}

GMimeMultipart *g_mime_multipart_new_with_subtype(const char *subtype)
{
	return GMIME(g_mime_multipart_new_with_subtype)(subtype);
}

GType g_mime_object_get_type(void)
{
	return GMIME(g_mime_object_get_type)();
}

void g_mime_object_set_content_type_parameter(GMimeObject *object, const char *name, const char *value)
{
	GMIME(g_mime_object_set_content_type_parameter)(object, name, value);
}

void g_mime_object_set_disposition(GMimeObject *object, const char *disposition)
{
	GMIME(g_mime_object_set_disposition)(object, disposition);
}

void g_mime_object_set_header(GMimeObject *object, const char *header, const char *value, const char *charset)
{
	GMIME(g_mime_object_set_header)(object, header, value, charset);
}

char *g_mime_object_to_string(GMimeObject *object, GMimeFormatOptions *options)
{
	return GMIME(g_mime_object_to_string)(object, options);
}

GMimePart *g_mime_part_new_with_type(const char *type, const char *subtype)
{
	return GMIME(g_mime_part_new_with_type)(type, subtype);
}

void g_mime_part_set_content(GMimePart *mime_part, GMimeDataWrapper *content)
{
	GMIME(g_mime_part_set_content)(mime_part, content);
}

void g_mime_part_set_content_encoding(GMimePart *mime_part, GMimeContentEncoding encoding)
{
	GMIME(g_mime_part_set_content_encoding)(mime_part, encoding);
}

void g_mime_part_set_filename(GMimePart *mime_part, const char *filename)
{
	GMIME(g_mime_part_set_filename)(mime_part, filename);
}

/* ---- reading messages back (tests/unit/test_report_mail.c) ---- */

const char *g_mime_content_type_get_media_subtype(GMimeContentType *content_type)
{
	return GMIME(g_mime_content_type_get_media_subtype)(content_type);
}

const char *g_mime_object_get_content_type_parameter(GMimeObject *object, const char *name)
{
	return GMIME(g_mime_object_get_content_type_parameter)(object, name);
}

GMimeContentEncoding g_mime_part_get_content_encoding(GMimePart *mime_part)
{
	return GMIME(g_mime_part_get_content_encoding)(mime_part);
}

const char *g_mime_part_get_filename(GMimePart *mime_part)
{
	return GMIME(g_mime_part_get_filename)(mime_part);
}

gboolean g_mime_part_is_attachment(GMimePart *mime_part)
{
	return GMIME(g_mime_part_is_attachment)(mime_part);
}

GType g_mime_stream_mem_get_type(void)
{
	return GMIME(g_mime_stream_mem_get_type)();
}

char *internet_address_list_to_string(InternetAddressList *list, GMimeFormatOptions *options, gboolean encode)
{
	return GMIME(internet_address_list_to_string)(list, options, encode);
}
