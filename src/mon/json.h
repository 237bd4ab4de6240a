/* json: a small streaming JSON writer into a caller-supplied buffer, for
 * control-socket replies. Output that does not fit sets the overflow flag;
 * the caller reports an error instead of sending truncated JSON. */
#ifndef GNOMON_JSON_H
#define GNOMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_out {
	char *buf;
	size_t cap, len;
	bool overflow;
	bool need_comma;
};

void json_init(struct json_out *j, char *buf, size_t cap);
void json_obj_begin(struct json_out *j, const char *key);	/* key NULL: value position */
void json_obj_end(struct json_out *j);
void json_arr_begin(struct json_out *j, const char *key);
void json_arr_end(struct json_out *j);
void json_u64(struct json_out *j, const char *key, uint64_t v);
void json_i64(struct json_out *j, const char *key, int64_t v);
void json_double(struct json_out *j, const char *key, double v);
/* A float to its seven significant digits; null when not finite. */
void json_float(struct json_out *j, const char *key, float v);
void json_str(struct json_out *j, const char *key, const char *s);
void json_bool(struct json_out *j, const char *key, bool v);
/* Where the output stands, to take back what was written after it (an
 * entry that turned out not to belong in a list). */
struct json_mark {
	size_t len;
	bool overflow, need_comma;
};

struct json_mark json_mark(const struct json_out *j);
void json_rewind(struct json_out *j, struct json_mark m);
/* NUL-terminated result, or NULL on overflow. */
const char *json_result(struct json_out *j);

#endif
