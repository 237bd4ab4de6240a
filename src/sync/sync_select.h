/* sync_select: source selection as RFC 5905 §11.2 describes it: the
 * intersection algorithm that finds the truechimers (§11.2.1), the
 * clustering algorithm that discards outliers among them (§11.2.2), the
 * system peer and the combined offset and jitter (§11.2.3).
 * Pure functions over an array of candidates; values in seconds. */
#ifndef GNOMON_SYNC_SELECT_H
#define GNOMON_SYNC_SELECT_H

#include <stdbool.h>

#define SYNC_SELECT_NMIN 3	/* RFC 5905 A.1.1: minimum cluster survivors */
#define SYNC_SELECT_MAXDIST 1.0	/* RFC 5905 A.1.1: stratum weight in the merit */

struct sync_select_cand {
	double offset;		/* s: source - local clock, now */
	double dist;		/* s: root distance lambda (RFC 5905 A.5.5.2) */
	double jitter;		/* s: peer jitter psi (§10) */
	double sd;		/* s: standard deviation of offset (the estimator's) */
	int stratum;
	bool prefer;
	bool hold;		/* counts in the intersection, may not survive */
	/* outputs */
	bool truechimer;	/* correctness interval meets the intersection */
	bool survivor;		/* kept by clustering */
	bool combined;		/* agrees with the system peer within its noise */
};

/* §11.2.1: find the smallest interval [*lo, *hi] that a majority of the
 * correctness intervals [offset - dist, offset + dist] share, allowing the
 * fewest falsetickers, and mark the truechimers. Returns their number, or
 * 0 when no majority agrees (nothing may be selected then). */
int sync_select_intersect(struct sync_select_cand *c, int n, double *lo, double *hi);
/* §11.2.2: among truechimers, drop the candidate with the largest
 * selection jitter while it exceeds the smallest peer jitter and more than
 * nmin remain. Candidates on hold are no survivors. Marks survivors;
 * returns their number. */
int sync_select_cluster(struct sync_select_cand *c, int n, int nmin);
/* Beyond RFC 5905: of the survivors, combine only the largest group that
 * agree with one another within k standard deviations (|offset_i -
 * offset_j| <= k * sqrt(sd_i^2 + sd_j^2)), ties going to the group of
 * prev (the previous system peer's index, or -1). A survivor whose offset
 * is biased far beyond its noise (a server still recovering from a
 * restart, an odd route) would otherwise pull the combination while its
 * interval still meets the others. Marks combined; returns their number. */
int sync_select_consistent(struct sync_select_cand *c, int n, double k, int prev);
/* §11.2.3: the system peer among combined candidates: the previous one
 * (prev, or -1) while combined, else a prefer source, else the best merit
 * (stratum * MAXDIST + dist). Returns its index or -1. */
int sync_select_peer(const struct sync_select_cand *c, int n, int prev);
/* §11.2.3: combined candidates' offsets averaged with weights 1/dist, and
 * the system jitter against the system peer's offset. */
void sync_select_combine(const struct sync_select_cand *c, int n, int peer, double *offset,
			double *jitter);

#endif
