#include "auth/auth_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/qsbr.h"
#include "lib/util.h"

#define MAX_LINE CONF_MAX_LINE
#define MAX_FILE (1024 * 1024)
#define MAX_WORDS 8

static const struct {
	const char *name;
	enum auth_type type;
} type_names[] = {
	{ "MD5", AUTH_MD5 },
	{ "M", AUTH_MD5 },		/* ntpd's letter for MD5 */
	{ "SHA1", AUTH_SHA1 },
	{ "SHA256", AUTH_SHA256 },
	{ "AES128", AUTH_AES128 },
	{ "AES128CMAC", AUTH_AES128 },
	{ "AES-128-CMAC", AUTH_AES128 },
	{ "AES256", AUTH_AES256 },
	{ "AES256CMAC", AUTH_AES256 },
	{ "AES-256-CMAC", AUTH_AES256 },
};

/* Types other implementations accept and we do not: named in errors. Any
 * other word in the type position is not repeated, as it may be a key. */
static const char *const unsupported_types[] = {
	"SHA", "SHA224", "SHA384", "SHA512", "SHA3-224", "SHA3-256",
	"SHA3-384", "SHA3-512", "RMD160", "TIGER", "MD4", "MDC2", "SHA-1",
};

#define ALLOWED_TYPES "MD5, M, SHA1, SHA256, AES128, AES128CMAC, AES-128-CMAC, AES256, " \
	"AES256CMAC, AES-256-CMAC"

const char *auth_type_name(enum auth_type t)
{
	switch (t) {
	case AUTH_MD5: return "MD5";
	case AUTH_SHA1: return "SHA1";
	case AUTH_AES128: return "AES128";
	case AUTH_AES256: return "AES256";
	case AUTH_SHA256: return "SHA256";
	}
	return "unknown";
}

/* Digest length in an NTP MAC. SHA256 is cut to 20 bytes, as chrony cuts
 * digests longer than SHA1's in NTPv4 packets (RFC 7822 §7.5). */
size_t auth_digest_len_of(enum auth_type t)
{
	return t == AUTH_SHA1 || t == AUTH_SHA256 ? 20 : 16;
}

static size_t aes_key_len(enum auth_type t)
{
	return t == AUTH_AES128 ? 16 : t == AUTH_AES256 ? 32 : 0;
}

/* ------------------------------------------------------------------ */
/* parsing */

static int parse_id(struct conf_ctx *ctx, const char *s, uint32_t *id)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			/* Not repeated: a malformed line may start with a key. */
			return conf_error(ctx, "the key id must be a decimal number "
					  "(allowed: 1..4294967295)");
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < 1 || v > UINT32_MAX)
		return conf_error(ctx, "key id %s is out of range (allowed: 1..4294967295; "
				  "0 means crypto-NAK)", s);
	*id = (uint32_t)v;
	return 0;
}

static int parse_type(struct conf_ctx *ctx, uint32_t id, const char *s,
		      enum auth_type *type)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(type_names); i++) {
		if (!strcasecmp(s, type_names[i].name)) {
			*type = type_names[i].type;
			return 0;
		}
	}
	for (i = 0; i < ARRAY_LEN(unsupported_types); i++)
		if (!strcasecmp(s, unsupported_types[i]))
			return conf_error(ctx, "key %u: type %s is not supported (allowed: %s)",
					  id, unsupported_types[i], ALLOWED_TYPES);
	return conf_error(ctx, "key %u: unknown key type (not shown, in case it is a key; "
			  "allowed: %s)", id, ALLOWED_TYPES);
}

/* Key text to bytes. Errors name the key id and the problem, never the
 * key itself. */
static int parse_key(struct conf_ctx *ctx, struct auth_key *k, const char *s)
{
	size_t i, n;

	if (!strncasecmp(s, "HEX:", 4)) {
		s += 4;
		n = strlen(s);
		if (n == 0 || n % 2)
			return conf_error(ctx, "key %u: HEX: needs an even, non-zero number of "
					  "hexadecimal digits (got %zu)", k->id, n);
		if (n / 2 > AUTH_MAX_KEY)
			return conf_error(ctx, "key %u: key of %zu bytes is too long (allowed: "
					  "1..%d bytes)", k->id, n / 2, AUTH_MAX_KEY);
		for (i = 0; i < n; i += 2) {
			int hi = hex_digit_value(s[i]), lo = hex_digit_value(s[i + 1]);

			if (hi < 0 || lo < 0)
				return conf_error(ctx, "key %u: HEX: character %zu is not a "
						  "hexadecimal digit (allowed: 0-9, a-f, A-F)",
						  k->id, i + (hi < 0 ? 1 : 2));
			k->key[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		k->key_len = n / 2;
		return 0;
	}
	if (!strncasecmp(s, "ASCII:", 6))
		s += 6;
	n = strlen(s);
	if (n == 0)
		return conf_error(ctx, "key %u: empty key (allowed: TEXT, ASCII:TEXT, HEX:DIGITS)",
				  k->id);
	if (n > AUTH_MAX_KEY)
		return conf_error(ctx, "key %u: key of %zu bytes is too long (allowed: 1..%d bytes)",
				  k->id, n, AUTH_MAX_KEY);
	memcpy(k->key, s, n);
	k->key_len = n;
	return 0;
}

/* Split line in place into whitespace-separated words, up to a comment:
 * a first word starting with '#', or one after a complete `ID TYPE KEY`.
 * (Not after `ID KEY`, where a key starting with '#' would silently become
 * the type and the next word the key.) Returns the count, or -1 for too
 * many. */
static int split_words(char *line, char **w)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || (*p == '#' && (n == 0 || n >= 3)))
			return n;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static void add_key(struct keyset *ks, const struct auth_key *k)
{
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 16;
		struct auth_key *nk = xcalloc(cap, sizeof(*nk));

		if (ks->n)
			memcpy(nk, ks->keys, ks->n * sizeof(*nk));
		if (ks->keys) {
			auth_wipe(ks->keys, ks->cap * sizeof(*ks->keys));
			free(ks->keys);
		}
		ks->keys = nk;
		ks->cap = cap;
	}
	ks->keys[ks->n++] = *k;
}

static void parse_line(struct keyset *ks, struct conf_ctx *ctx, char *line)
{
	char *w[MAX_WORDS];
	struct auth_key k;
	int n = split_words(line, w);

	if (n == 0)
		return;
	memset(&k, 0, sizeof(k));
	k.line = ctx->line;
	if (n < 0 || n > 3) {
		conf_error(ctx, "too many words (expected: ID [TYPE] KEY, then an optional "
			   "# comment)");
		return;
	}
	if (parse_id(ctx, w[0], &k.id))
		return;
	if (n == 1) {
		conf_error(ctx, "key %u: no key (expected: ID [TYPE] KEY)", k.id);
		return;
	}
	k.type = AUTH_MD5;	/* chrony: the type may be left out */
	if (n == 3 && parse_type(ctx, k.id, w[1], &k.type))
		return;
	if (parse_key(ctx, &k, w[n - 1]))
		goto out;
	if (aes_key_len(k.type) && k.key_len != aes_key_len(k.type)) {
		conf_error(ctx, "key %u: %s needs a key of exactly %zu bytes, not %zu "
			   "(write it as HEX: and %zu hexadecimal digits)", k.id,
			   auth_type_name(k.type), aes_key_len(k.type), k.key_len,
			   2 * aes_key_len(k.type));
		goto out;
	}
	add_key(ks, &k);
out:
	auth_wipe(&k, sizeof(k));
}

static int cmp_key(const void *a, const void *b)
{
	const struct auth_key *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void check_duplicates(struct keyset *ks, struct conf_ctx *ctx)
{
	size_t i, first = 0;

	if (ks->n < 2)
		return;
	qsort(ks->keys, ks->n, sizeof(*ks->keys), cmp_key);
	for (i = 1; i < ks->n; i++) {
		if (ks->keys[i].id != ks->keys[first].id) {
			first = i;
			continue;
		}
		ctx->line = ks->keys[i].line;
		conf_error(ctx, "key %u defined again (first on line %d; key ids must be unique)",
			   ks->keys[i].id, ks->keys[first].line);
	}
}

/* ------------------------------------------------------------------ */
/* libcrypto */

struct auth_keys *auth_keys_parse(const char *buf, size_t len, const char *name,
				     struct conf_errors *errs)
{
	struct keyset *ks = xcalloc(1, sizeof(*ks));
	struct auth_keys *k;
	struct conf_ctx ctx = { name, 0, errs };
	char line[MAX_LINE + 1];
	size_t pos = 0;

	errs->count = 0;
	while (conf_next_line(&ctx, buf, len, &pos, line))
		parse_line(ks, &ctx, line);
	auth_wipe(line, sizeof(line));
	check_duplicates(ks, &ctx);
	if (!errs->count)
		auth_prepare_all(ks, &ctx);
	if (errs->count) {
		auth_keyset_free(ks);
		return NULL;
	}
	k = xmalloc(sizeof(*k));
	atomic_init(&k->set, ks);
	return k;
}

struct auth_keys *auth_keys_load(const char *path, struct conf_errors *errs)
{
	struct conf_ctx ctx = { path, 0, errs };
	struct auth_keys *ks = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	errs->count = 0;
	/* O_NONBLOCK: a FIFO named as the key file must not hang start-up. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		conf_error(&ctx, "cannot open the key file: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		conf_error(&ctx, "the key file is not a regular file");
		goto out;
	}
	if (st.st_size > MAX_FILE) {
		conf_error(&ctx, "the key file is larger than %d bytes", MAX_FILE);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len <= (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conf_error(&ctx, "cannot read the key file: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		conf_error(&ctx, "the key file grew while being read");
		goto out;
	}
	ks = auth_keys_parse(buf, len, path, errs);
out:
	if (buf) {
		auth_wipe(buf, len);
		free(buf);
	}
	close(fd);
	return ks;
}

void auth_keyset_free(void *p)
{
	struct keyset *ks = p;
	size_t i;

	if (!ks)
		return;
	for (i = 0; i < ks->n; i++)
		auth_key_release(&ks->keys[i]);
	if (ks->keys) {
		auth_wipe(ks->keys, ks->cap * sizeof(*ks->keys));
		free(ks->keys);
	}
	free(ks);
}

void auth_keys_destroy(struct auth_keys *k)
{
	if (!k)
		return;
	auth_keyset_free(atomic_load(&k->set));
	free(k);
}

static const struct keyset *set_of(const struct auth_keys *k)
{
	return k ? atomic_load(&((struct auth_keys *)k)->set) : NULL;
}

void auth_keys_replace(struct auth_keys *live, struct auth_keys *fresh)
{
	struct keyset *old = atomic_exchange(&live->set, atomic_load(&fresh->set));

	free(fresh);
	qsbr_retire(old, auth_keyset_free);
}

size_t auth_keys_count(const struct auth_keys *k)
{
	const struct keyset *ks = set_of(k);

	return ks ? ks->n : 0;
}

const struct auth_key *auth_find_key(const struct auth_keys *k, uint32_t id)
{
	const struct keyset *ks = set_of(k);
	size_t lo = 0, hi = ks ? ks->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->keys[mid].id == id)
			return &ks->keys[mid];
		if (ks->keys[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool auth_key_info(const struct auth_keys *ks, uint32_t id, enum auth_type *type,
		       size_t *digest_len)
{
	const struct auth_key *k = auth_find_key(ks, id);

	if (!k)
		return false;
	if (type)
		*type = k->type;
	if (digest_len)
		*digest_len = auth_digest_len_of(k->type);
	return true;
}

size_t auth_key_ids(const struct auth_keys *k, enum auth_type type, uint32_t *ids,
			size_t max)
{
	const struct keyset *ks = set_of(k);
	size_t i, n = 0;

	for (i = 0; ks && i < ks->n; i++) {
		if (ks->keys[i].type != type)
			continue;
		if (n < max)
			ids[n] = ks->keys[i].id;
		n++;
	}
	return n;
}
