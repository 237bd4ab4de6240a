/* fleet: the simulated device fleet's truth, shared by the responder
 * (fleet.c) and the audit driver that checks the engine against it
 * (fleet_audit.c). Device k (k >= 1) lives at 198.18.0.0 + k; what it
 * does follows from k alone, so both sides agree without talking. */
#ifndef GNOMON_FLEET_H
#define GNOMON_FLEET_H

#include <stdint.h>

#define FLEET_BASE 0xc6120000u	/* 198.18.0.0/16 (RFC 2544 benchmarking) */
#define FLEET_MAX 65534u	/* devices 1..65534: not .0.0 nor .255.255 */
#define FLEET_TOLERANCE 0.1	/* seconds, the devices' tolerance */

enum fleet_kind {
	FLEET_GOOD,	/* within tolerance: |offset| <= 60 ms */
	FLEET_OFF,	/* off by 0.25 s .. 10 s, or by hours */
	FLEET_SILENT,	/* never answers: timeout */
	FLEET_GARBAGE,	/* 48 random-looking bytes: malformed */
	FLEET_WRONG,	/* an HTTP error text on the NTP port: malformed */
	FLEET_KOD,	/* kiss-o'-death RATE */
	FLEET_UNSYNC,	/* leap 3, stratum 16 */
	FLEET_LOSSY,	/* answers every other request, within tolerance */
	FLEET_KIND_COUNT,
};

static inline uint64_t fleet_mix(uint64_t x)
{
	/* splitmix64's finaliser: neighbouring addresses get unrelated
	 * kinds and offsets. */
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static inline enum fleet_kind fleet_kind(uint32_t k)
{
	unsigned c = (unsigned)(fleet_mix(k) % 100);

	if (c < 78)
		return FLEET_GOOD;
	if (c < 88)
		return FLEET_OFF;
	if (c < 92)
		return FLEET_SILENT;
	if (c < 94)
		return FLEET_GARBAGE;
	if (c < 95)
		return FLEET_WRONG;
	if (c < 96)
		return FLEET_KOD;
	if (c < 97)
		return FLEET_UNSYNC;
	return FLEET_LOSSY;
}

/* The device's clock minus true time, in seconds. */
static inline double fleet_offset(uint32_t k)
{
	uint64_t h = fleet_mix(k) >> 8;
	double sign = (h & 1) ? -1 : 1;

	switch (fleet_kind(k)) {
	case FLEET_GOOD:
	case FLEET_LOSSY:
		return sign * (double)((h >> 1) % 601) * 1e-4;		/* 0 .. 60 ms */
	case FLEET_OFF:
		if ((h >> 1) % 10 == 0)
			return sign * 3600.0 * (double)(1 + (h >> 5) % 24);	/* hours */
		return sign * (0.25 + (double)((h >> 1) % 976) * 0.01);	/* 0.25 .. 10 s */
	default:
		return 0;
	}
}

static inline const char *fleet_kind_name(enum fleet_kind k)
{
	static const char *const names[FLEET_KIND_COUNT] = {
		"good", "off", "silent", "garbage", "wrong-protocol", "kod", "unsync", "lossy",
	};

	return (unsigned)k < FLEET_KIND_COUNT ? names[k] : "?";
}

#endif
