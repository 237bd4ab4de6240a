#include "auth/auth_int.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

void auth_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

bool auth_equal(const void *a, const void *b, size_t n)
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

void auth_key_release(struct auth_key *k)
{
	EVP_MD_CTX_free(k->md);
	EVP_MAC_CTX_free(k->mac);
	EVP_MAC_CTX_free(k->hmac);
}

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

	if (k->type == AUTH_AES128 || k->type == AUTH_AES256) {
		char cipher[16];

		strcpy(cipher, k->type == AUTH_AES128 ? "AES-128-CBC" : "AES-256-CBC");
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!a->cmac)
			return -1;
		k->mac = EVP_MAC_CTX_new(a->cmac);
		if (!k->mac || !EVP_MAC_init(k->mac, k->key, k->key_len, params))
			return -1;
		return 0;
	}
	md = k->type == AUTH_MD5 ? a->md5 : k->type == AUTH_SHA1 ? a->sha1 : a->sha256;
	if (!md)
		return -1;
	if (k->type == AUTH_SHA256 && prepare_hmac(k, a->hmac))
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
	uint8_t pkt[48] = { 0 }, d[AUTH_MAX_DIGEST];
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

void auth_prepare_all(struct keyset *ks, struct conf_ctx *ctx)
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
				   auth_type_name(ks->keys[i].type));
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

/* The MAC of data, want bytes of it (at most the whole digest). */
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
	auth_wipe(full, sizeof(full));
	return ok ? (int)want : -EIO;
}

static int compute(const struct auth_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	return compute_len(k, data, len, out, auth_digest_len_of(k->type));
}

int auth_hmac_sha256(const struct auth_keys *ks, uint32_t id, const uint8_t *data,
			 size_t len, uint8_t out[AUTH_SHA256_LEN])
{
	const struct auth_key *k = auth_find_key(ks, id);
	EVP_MAC_CTX *c;
	size_t got = 0;
	int ok;

	if (!k)
		return -ENOKEY;
	/* Gateway keys must be SHA256: an MD5 key shared with old NTP peers
	 * must not also authenticate time through the diode. */
	if (k->type != AUTH_SHA256 || !k->hmac)
		return -EKEYREJECTED;
	c = EVP_MAC_CTX_dup(k->hmac);
	ok = c && EVP_MAC_update(c, data, len) &&
	     EVP_MAC_final(c, out, &got, AUTH_SHA256_LEN) && got == AUTH_SHA256_LEN;
	EVP_MAC_CTX_free(c);
	return ok ? 0 : -EIO;
}

gt_ns auth_mac_delay(const struct auth_keys *ks, uint32_t id)
{
	const struct auth_key *k = auth_find_key(ks, id);

	return k ? k->mac_delay : 0;
}

int auth_digest(const struct auth_keys *ks, uint32_t id, const uint8_t *data,
		    size_t len, uint8_t *out)
{
	const struct auth_key *k = auth_find_key(ks, id);

	return k ? compute(k, data, len, out) : -ENOKEY;
}

enum auth_check auth_verify(const struct auth_keys *ks, uint32_t id,
				    const uint8_t *data, size_t len,
				    const uint8_t *digest, size_t digest_len)
{
	const struct auth_key *k = auth_find_key(ks, id);
	uint8_t mine[AUTH_SHA256_LEN];
	size_t want;
	bool ok;
	int n;

	if (!k)
		return AUTH_UNKNOWN_KEY;
	/* A SHA256 MAC is cut to 20 bytes in NTPv4 (chrony, ntpd), and whole
	 * in chrony's NTPv3 packets: accept both lengths, nothing between. */
	want = auth_digest_len_of(k->type);
	if (k->type == AUTH_SHA256 && digest_len == AUTH_SHA256_LEN)
		want = AUTH_SHA256_LEN;
	if (digest_len != want)
		return AUTH_BAD_MAC;
	n = compute_len(k, data, len, mine, want);
	ok = n >= 0 && auth_equal(mine, digest, want);
	auth_wipe(mine, sizeof(mine));
	return ok ? AUTH_OK : AUTH_BAD_MAC;
}

int auth_digest_n(const struct auth_keys *ks, uint32_t id, const uint8_t *data, size_t len,
		  uint8_t *out, size_t digest_len)
{
	const struct auth_key *k = auth_find_key(ks, id);

	if (!k)
		return -ENOKEY;
	if (digest_len != auth_digest_len_of(k->type) &&
	    !(k->type == AUTH_SHA256 && digest_len == AUTH_SHA256_LEN))
		return -EINVAL;
	return compute_len(k, data, len, out, digest_len);
}
