/* Fuzz the key file parser (ntp_auth) with arbitrary file contents, and
 * every key it accepts through a MAC round trip. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ntp/ntp_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pkt[48] = { 0x23, 0, 6, 0xec };
	struct conf_errors errs;
	struct ntp_auth_keys *k = ntp_auth_parse((const char *)data, size, "fuzz.keys", &errs);
	uint8_t d[NTP_AUTH_MAX_DIGEST], buf[48 + NTP_AUTH_MAX_MAC];
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
		uint8_t h[NTP_AUTH_SHA256_LEN];
		enum ntp_auth_type type;
		size_t dlen, len;
		int n;

		if (!ntp_auth_key_info(k, id, &type, &dlen)) {
			if (ntp_auth_digest(k, id, pkt, sizeof(pkt), d) != -ENOKEY ||
			    ntp_auth_hmac_sha256(k, id, pkt, sizeof(pkt), h) != -ENOKEY)
				__builtin_trap();
			continue;
		}
		/* HMAC-SHA256 (the gateway's MAC) for SHA256 keys only. */
		n = ntp_auth_hmac_sha256(k, id, pkt, sizeof(pkt), h);
		if (n != (type == NTP_AUTH_SHA256 ? 0 : -EKEYREJECTED))
			__builtin_trap();
		n = ntp_auth_digest(k, id, pkt, sizeof(pkt), d);
		if (n != (int)dlen || ntp_auth_verify(k, id, pkt, sizeof(pkt), d, dlen) != NTP_AUTH_OK)
			__builtin_trap();
		d[0] ^= 1;
		if (ntp_auth_verify(k, id, pkt, sizeof(pkt), d, dlen) != NTP_AUTH_BAD_MAC)
			__builtin_trap();
		memcpy(buf, pkt, sizeof(pkt));
		len = ntp_auth_append_mac(k, id, buf, sizeof(pkt), sizeof(buf));
		if (len != sizeof(pkt) + 4 + dlen)
			__builtin_trap();
	}
	ntp_auth_destroy(k);
	return 0;
}
