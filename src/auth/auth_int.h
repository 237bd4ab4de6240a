/* auth_int: what the key store (auth_keys.c) and the MAC engine
 * (auth_mac.c) share; nothing outside src/auth includes it. */
#ifndef GNOMON_AUTH_INT_H
#define GNOMON_AUTH_INT_H

#include <openssl/evp.h>

#include "auth/auth.h"

struct auth_key {
	uint32_t id;
	enum auth_type type;
	int line;			/* where it was defined, for duplicates */
	size_t key_len;
	uint8_t key[AUTH_MAX_KEY];
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

/* The handle every module holds; its key set is replaced whole by
 * auth_keys_replace() (reload), so a reader loads the set once per call. */
struct auth_keys {
	_Atomic(struct keyset *) set;
};

/* The key with this id in the current set, or NULL (k may be NULL). */
const struct auth_key *auth_find_key(const struct auth_keys *k, uint32_t id);
/* Digest length of the type in an NTP MAC (SHA256 cut to 20 bytes). */
size_t auth_digest_len_of(enum auth_type t);
/* Make the crypto contexts of every key of ks, and time their MACs;
 * errors go to ctx. */
void auth_prepare_all(struct keyset *ks, struct conf_ctx *ctx);
/* Free a key's crypto contexts (not its memory). */
void auth_key_release(struct auth_key *k);
/* Wipe and free a key set (a qsbr_retire() callback). */
void auth_keyset_free(void *p);
/* Overwrite key material so that no compiler removes it. */
void auth_wipe(void *p, size_t n);

#endif
