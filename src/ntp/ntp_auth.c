#include "ntp/ntp_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/qsbr.h"
#include "lib/util.h"
#include "ntp/ntp_pkt.h"

#define MAX_LINE CONF_MAX_LINE
#define MAX_FILE (1024 * 1024)
#define MAX_WORDS 8

struct auth_key {
	uint32_t id;
	enum ntp_auth_type type;
	int line;			/* where it was defined, for duplicates */
	size_t key_len;
	uint8_t key[NTP_AUTH_MAX_KEY];
	/* Prepared once, copied for every MAC so that threads share nothing
	 * mutable: the digest state after absorbing the key (MD5, SHA1,
	 * SHA256), a CMAC context holding the expanded AES key, and for
	 * SHA256 keys an HMAC context holding the padded key. */
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
	EVP_MAC_CTX *hmac;
	gt_ns mac_delay;		/* time to MAC a 48-byte packet */
};

struct keyset {
	struct auth_key *keys;		/* sorted by id */
	size_t n, cap;
};

static void keyset_free(void *p);

/* The handle every module holds; its key set is replaced whole by
 * ntp_auth_replace() (reload), so a reader loads the set once per call. */
struct ntp_auth_keys {
	_Atomic(struct keyset *) set;
};

static const struct {
	const char *name;
	enum ntp_auth_type type;
} type_names[] = {
	{ "MD5", NTP_AUTH_MD5 },
	{ "M", NTP_AUTH_MD5 },		/* ntpd's letter for MD5 */
	{ "SHA1", NTP_AUTH_SHA1 },
	{ "SHA256", NTP_AUTH_SHA256 },
	{ "AES128", NTP_AUTH_AES128 },
	{ "AES128CMAC", NTP_AUTH_AES128 },
	{ "AES-128-CMAC", NTP_AUTH_AES128 },
	{ "AES256", NTP_AUTH_AES256 },
	{ "AES256CMAC", NTP_AUTH_AES256 },
	{ "AES-256-CMAC", NTP_AUTH_AES256 },
};

/* Types other implementations accept and we do not: named in errors. Any
 * other word in the type position is not repeated, as it may be a key. */
static const char *const unsupported_types[] = {
	"SHA", "SHA224", "SHA384", "SHA512", "SHA3-224", "SHA3-256",
	"SHA3-384", "SHA3-512", "RMD160", "TIGER", "MD4", "MDC2", "SHA-1",
};

#define ALLOWED_TYPES "MD5, M, SHA1, SHA256, AES128, AES128CMAC, AES-128-CMAC, AES256, " \
	"AES256CMAC, AES-256-CMAC"

const char *ntp_auth_type_name(enum ntp_auth_type t)
{
	switch (t) {
	case NTP_AUTH_MD5: return "MD5";
	case NTP_AUTH_SHA1: return "SHA1";
	case NTP_AUTH_AES128: return "AES128";
	case NTP_AUTH_AES256: return "AES256";
	case NTP_AUTH_SHA256: return "SHA256";
	}
	return "unknown";
}

/* Digest length in an NTP MAC. SHA256 is cut to 20 bytes, as chrony cuts
 * digests longer than SHA1's in NTPv4 packets (RFC 7822 §7.5). */
static size_t digest_len_of(enum ntp_auth_type t)
{
	return t == NTP_AUTH_SHA1 || t == NTP_AUTH_SHA256 ? 20 : 16;
}

static size_t aes_key_len(enum ntp_auth_type t)
{
	return t == NTP_AUTH_AES128 ? 16 : t == NTP_AUTH_AES256 ? 32 : 0;
}

bool ntp_auth_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	size_t i;

	/* Every byte is read whatever the earlier ones were, so the time taken
	 * tells an attacker nothing about how much of a forged MAC is right. */
	for (i = 0; i < n; i++)
		diff |= (uint8_t)(x[i] ^ y[i]);
	return diff == 0;
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
		      enum ntp_auth_type *type)
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

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
		if (n / 2 > NTP_AUTH_MAX_KEY)
			return conf_error(ctx, "key %u: key of %zu bytes is too long (allowed: "
					  "1..%d bytes)", k->id, n / 2, NTP_AUTH_MAX_KEY);
		for (i = 0; i < n; i += 2) {
			int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);

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
	if (n > NTP_AUTH_MAX_KEY)
		return conf_error(ctx, "key %u: key of %zu bytes is too long (allowed: 1..%d bytes)",
				  k->id, n, NTP_AUTH_MAX_KEY);
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

static void wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

static void add_key(struct keyset *ks, const struct auth_key *k)
{
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 16;
		struct auth_key *nk = xcalloc(cap, sizeof(*nk));

		if (ks->n)
			memcpy(nk, ks->keys, ks->n * sizeof(*nk));
		if (ks->keys) {
			wipe(ks->keys, ks->cap * sizeof(*ks->keys));
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
	k.type = NTP_AUTH_MD5;	/* chrony: the type may be left out */
	if (n == 3 && parse_type(ctx, k.id, w[1], &k.type))
		return;
	if (parse_key(ctx, &k, w[n - 1]))
		goto out;
	if (aes_key_len(k.type) && k.key_len != aes_key_len(k.type)) {
		conf_error(ctx, "key %u: %s needs a key of exactly %zu bytes, not %zu "
			   "(write it as HEX: and %zu hexadecimal digits)", k.id,
			   ntp_auth_type_name(k.type), aes_key_len(k.type), k.key_len,
			   2 * aes_key_len(k.type));
		goto out;
	}
	add_key(ks, &k);
out:
	wipe(&k, sizeof(k));
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

struct crypto_algs {
	EVP_MD *md5, *sha1, *sha256;
	EVP_MAC *cmac, *hmac;
};

static int prepare_hmac(struct auth_key *k, EVP_MAC *hmac)
{
	OSSL_PARAM params[2];
	char digest[] = "SHA256";

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!hmac)
		return -1;
	k->hmac = EVP_MAC_CTX_new(hmac);
	if (!k->hmac || !EVP_MAC_init(k->hmac, k->key, k->key_len, params))
		return -1;
	return 0;
}

static int prepare_key(struct auth_key *k, const struct crypto_algs *a)
{
	OSSL_PARAM params[2];
	EVP_MD *md;

	if (k->type == NTP_AUTH_AES128 || k->type == NTP_AUTH_AES256) {
		char cipher[16];

		strcpy(cipher, k->type == NTP_AUTH_AES128 ? "AES-128-CBC" : "AES-256-CBC");
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!a->cmac)
			return -1;
		k->mac = EVP_MAC_CTX_new(a->cmac);
		if (!k->mac || !EVP_MAC_init(k->mac, k->key, k->key_len, params))
			return -1;
		return 0;
	}
	md = k->type == NTP_AUTH_MD5 ? a->md5 : k->type == NTP_AUTH_SHA1 ? a->sha1 : a->sha256;
	if (!md)
		return -1;
	if (k->type == NTP_AUTH_SHA256 && prepare_hmac(k, a->hmac))
		return -1;
	k->md = EVP_MD_CTX_new();
	if (!k->md || !EVP_DigestInit_ex2(k->md, md, NULL) ||
	    !EVP_DigestUpdate(k->md, k->key, k->key_len))
		return -1;
	return 0;
}

static int compute(const struct auth_key *k, const uint8_t *data, size_t len, uint8_t *out);

/* The median of a few timed MACs of a header-sized packet: the first runs
 * also warm the caches, and a descheduling shows up in one run only. */
static gt_ns measure_mac_delay(const struct auth_key *k)
{
	enum { RUNS = 9 };
	uint8_t pkt[NTP_HEADER_LEN] = { 0 }, d[NTP_AUTH_MAX_DIGEST];
	gt_ns t[RUNS], x;
	int i, j;

	for (i = 0; i < RUNS; i++) {
		gt_ns t0 = gt_now(CLOCK_MONOTONIC);

		compute(k, pkt, sizeof(pkt), d);
		t[i] = gt_now(CLOCK_MONOTONIC) - t0;
		for (j = i; j > 0 && t[j - 1] > t[j]; j--) {
			x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	}
	return t[RUNS / 2];
}

static void prepare_all(struct keyset *ks, struct conf_ctx *ctx)
{
	struct crypto_algs a = {
		.md5 = EVP_MD_fetch(NULL, "MD5", NULL),
		.sha1 = EVP_MD_fetch(NULL, "SHA1", NULL),
		.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL),
		.cmac = EVP_MAC_fetch(NULL, "CMAC", NULL),
		.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL),
	};
	size_t i;

	for (i = 0; i < ks->n; i++) {
		if (prepare_key(&ks->keys[i], &a)) {
			ctx->line = ks->keys[i].line;
			conf_error(ctx, "key %u: %s is not available in this OpenSSL "
				   "(FIPS mode or a missing provider?)", ks->keys[i].id,
				   ntp_auth_type_name(ks->keys[i].type));
			continue;
		}
		ks->keys[i].mac_delay = measure_mac_delay(&ks->keys[i]);
	}
	EVP_MD_free(a.md5);
	EVP_MD_free(a.sha1);
	EVP_MD_free(a.sha256);
	EVP_MAC_free(a.cmac);
	EVP_MAC_free(a.hmac);
}

struct ntp_auth_keys *ntp_auth_parse(const char *buf, size_t len, const char *name,
				     struct conf_errors *errs)
{
	struct keyset *ks = xcalloc(1, sizeof(*ks));
	struct ntp_auth_keys *k;
	struct conf_ctx ctx = { name, 0, errs };
	char line[MAX_LINE + 1];
	size_t pos = 0;

	errs->count = 0;
	while (conf_next_line(&ctx, buf, len, &pos, line))
		parse_line(ks, &ctx, line);
	wipe(line, sizeof(line));
	check_duplicates(ks, &ctx);
	if (!errs->count)
		prepare_all(ks, &ctx);
	if (errs->count) {
		keyset_free(ks);
		return NULL;
	}
	k = xmalloc(sizeof(*k));
	atomic_init(&k->set, ks);
	return k;
}

struct ntp_auth_keys *ntp_auth_load(const char *path, struct conf_errors *errs)
{
	struct conf_ctx ctx = { path, 0, errs };
	struct ntp_auth_keys *ks = NULL;
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
	ks = ntp_auth_parse(buf, len, path, errs);
out:
	if (buf) {
		wipe(buf, len);
		free(buf);
	}
	close(fd);
	return ks;
}

static void keyset_free(void *p)
{
	struct keyset *ks = p;
	size_t i;

	if (!ks)
		return;
	for (i = 0; i < ks->n; i++) {
		EVP_MD_CTX_free(ks->keys[i].md);
		EVP_MAC_CTX_free(ks->keys[i].mac);
		EVP_MAC_CTX_free(ks->keys[i].hmac);
	}
	if (ks->keys) {
		wipe(ks->keys, ks->cap * sizeof(*ks->keys));
		free(ks->keys);
	}
	free(ks);
}

void ntp_auth_destroy(struct ntp_auth_keys *k)
{
	if (!k)
		return;
	keyset_free(atomic_load(&k->set));
	free(k);
}

static const struct keyset *set_of(const struct ntp_auth_keys *k)
{
	return k ? atomic_load(&((struct ntp_auth_keys *)k)->set) : NULL;
}

void ntp_auth_replace(struct ntp_auth_keys *live, struct ntp_auth_keys *fresh)
{
	struct keyset *old = atomic_exchange(&live->set, atomic_load(&fresh->set));

	free(fresh);
	qsbr_retire(old, keyset_free);
}

size_t ntp_auth_count(const struct ntp_auth_keys *k)
{
	const struct keyset *ks = set_of(k);

	return ks ? ks->n : 0;
}

static const struct auth_key *find_key(const struct ntp_auth_keys *k, uint32_t id)
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

bool ntp_auth_key_info(const struct ntp_auth_keys *ks, uint32_t id, enum ntp_auth_type *type,
		       size_t *digest_len)
{
	const struct auth_key *k = find_key(ks, id);

	if (!k)
		return false;
	if (type)
		*type = k->type;
	if (digest_len)
		*digest_len = digest_len_of(k->type);
	return true;
}

size_t ntp_auth_key_ids(const struct ntp_auth_keys *k, enum ntp_auth_type type, uint32_t *ids,
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

/* ------------------------------------------------------------------ */
/* MACs */

/* The NTP MAC of data, want bytes of it (at most the whole digest). */
static int compute_len(const struct auth_key *k, const uint8_t *data, size_t len, uint8_t *out,
		       size_t want)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t got = 0;
	int ok = 0;

	if (k->mac) {
		/* RFC 8573 §4: AES-CMAC over the packet, 16 bytes. */
		EVP_MAC_CTX *c = EVP_MAC_CTX_dup(k->mac);

		ok = c && EVP_MAC_update(c, data, len) &&
		     EVP_MAC_final(c, full, &got, sizeof(full)) && got >= want;
		EVP_MAC_CTX_free(c);
	} else if (k->md) {
		/* RFC 5905 §7.3: digest of the key followed by the packet. */
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		unsigned int n = 0;

		ok = c && EVP_MD_CTX_copy_ex(c, k->md) && EVP_DigestUpdate(c, data, len) &&
		     EVP_DigestFinal_ex(c, full, &n) && n >= want;
		EVP_MD_CTX_free(c);
	}
	if (ok)
		memcpy(out, full, want);
	wipe(full, sizeof(full));
	return ok ? (int)want : -EIO;
}

static int compute(const struct auth_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	return compute_len(k, data, len, out, digest_len_of(k->type));
}

int ntp_auth_hmac_sha256(const struct ntp_auth_keys *ks, uint32_t id, const uint8_t *data,
			 size_t len, uint8_t out[NTP_AUTH_SHA256_LEN])
{
	const struct auth_key *k = find_key(ks, id);
	EVP_MAC_CTX *c;
	size_t got = 0;
	int ok;

	if (!k)
		return -ENOKEY;
	/* Gateway keys must be SHA256: an MD5 key shared with old NTP peers
	 * must not also authenticate time through the diode. */
	if (k->type != NTP_AUTH_SHA256 || !k->hmac)
		return -EKEYREJECTED;
	c = EVP_MAC_CTX_dup(k->hmac);
	ok = c && EVP_MAC_update(c, data, len) &&
	     EVP_MAC_final(c, out, &got, NTP_AUTH_SHA256_LEN) && got == NTP_AUTH_SHA256_LEN;
	EVP_MAC_CTX_free(c);
	return ok ? 0 : -EIO;
}

gt_ns ntp_auth_mac_delay(const struct ntp_auth_keys *ks, uint32_t id)
{
	const struct auth_key *k = find_key(ks, id);

	return k ? k->mac_delay : 0;
}

int ntp_auth_digest(const struct ntp_auth_keys *ks, uint32_t id, const uint8_t *data,
		    size_t len, uint8_t *out)
{
	const struct auth_key *k = find_key(ks, id);

	return k ? compute(k, data, len, out) : -ENOKEY;
}

enum ntp_auth_check ntp_auth_verify(const struct ntp_auth_keys *ks, uint32_t id,
				    const uint8_t *data, size_t len,
				    const uint8_t *digest, size_t digest_len)
{
	const struct auth_key *k = find_key(ks, id);
	uint8_t mine[NTP_AUTH_SHA256_LEN];
	size_t want;
	bool ok;
	int n;

	if (!k)
		return NTP_AUTH_UNKNOWN_KEY;
	/* A SHA256 MAC is cut to 20 bytes in NTPv4 (chrony, ntpd), and whole
	 * in chrony's NTPv3 packets: accept both lengths, nothing between. */
	want = digest_len_of(k->type);
	if (k->type == NTP_AUTH_SHA256 && digest_len == NTP_AUTH_SHA256_LEN)
		want = NTP_AUTH_SHA256_LEN;
	if (digest_len != want)
		return NTP_AUTH_BAD_MAC;
	n = compute_len(k, data, len, mine, want);
	ok = n >= 0 && ntp_auth_equal(mine, digest, want);
	wipe(mine, sizeof(mine));
	return ok ? NTP_AUTH_OK : NTP_AUTH_BAD_MAC;
}

size_t ntp_auth_append_mac_len(const struct ntp_auth_keys *ks, uint32_t id, uint8_t *pkt,
			       size_t len, size_t cap, size_t digest_len)
{
	const struct auth_key *k = find_key(ks, id);
	int n;

	if (!k || (digest_len != digest_len_of(k->type) &&
		   !(k->type == NTP_AUTH_SHA256 && digest_len == NTP_AUTH_SHA256_LEN)))
		return 0;
	if (cap < len || cap - len < 4 + digest_len)
		return 0;
	n = compute_len(k, pkt, len, pkt + len + 4, digest_len);
	if (n < 0)
		return 0;
	ntp_put32(pkt + len, id);
	return len + 4 + (size_t)n;
}

size_t ntp_auth_append_mac(const struct ntp_auth_keys *ks, uint32_t id, uint8_t *pkt,
			   size_t len, size_t cap)
{
	const struct auth_key *k = find_key(ks, id);
	int n;

	if (!k || cap < len || cap - len < 4 + digest_len_of(k->type))
		return 0;
	n = compute(k, pkt, len, pkt + len + 4);
	if (n < 0)
		return 0;
	ntp_put32(pkt + len, id);
	return len + 4 + (size_t)n;
}
