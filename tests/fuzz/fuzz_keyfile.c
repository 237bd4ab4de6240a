/* Fuzz the key file parser (auth/auth_keys) with arbitrary file contents, and
 * every key it accepts through a MAC round trip. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"
#include "ntp/ntp_mac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pkt[48] = { 0x23, 0, 6, 0xec };
	struct conf_errors errs;
	struct auth_keys *k = auth_keys_parse((const char *)data, size, "fuzz.keys", &errs);
	uint8_t d[AUTH_MAX_DIGEST], buf[48 + NTP_MAC_MAX];
	uint32_t id;
	int i;

	/* A store exactly when there is no error; every error names the file
	 * and a line. */
	if ((k != NULL) != (errs.count == 0))
		__builtin_trap();
	for (i = 0; i < errs.count && i < CONF_MAX_ERRORS; i++)
		if (strncmp(errs.msg[i], "fuzz.keys:", 10))
			__builtin_trap();
	if (!k)
		return 0;
	/* Small ids are what the seeds use: MAC, verify, tamper, verify. */
	for (id = 1; id <= 16; id++) {
		uint8_t h[AUTH_SHA256_LEN];
		enum auth_type type;
		size_t dlen, len;
		int n;

		if (!auth_key_info(k, id, &type, &dlen)) {
			if (auth_digest(k, id, pkt, sizeof(pkt), d) != -ENOKEY ||
			    auth_hmac_sha256(k, id, pkt, sizeof(pkt), h) != -ENOKEY)
				__builtin_trap();
			continue;
		}
		/* HMAC-SHA256 (the gateway's MAC) for SHA256 keys only. */
		n = auth_hmac_sha256(k, id, pkt, sizeof(pkt), h);
		if (n != (type == AUTH_SHA256 ? 0 : -EKEYREJECTED))
			__builtin_trap();
		n = auth_digest(k, id, pkt, sizeof(pkt), d);
		if (n != (int)dlen || auth_verify(k, id, pkt, sizeof(pkt), d, dlen) != AUTH_OK)
			__builtin_trap();
		d[0] ^= 1;
		if (auth_verify(k, id, pkt, sizeof(pkt), d, dlen) != AUTH_BAD_MAC)
			__builtin_trap();
		memcpy(buf, pkt, sizeof(pkt));
		len = ntp_mac_append(k, id, buf, sizeof(pkt), sizeof(buf));
		if (len != sizeof(pkt) + 4 + dlen)
			__builtin_trap();
	}
	auth_keys_destroy(k);
	return 0;
}
