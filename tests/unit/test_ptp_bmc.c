/* Unit tests for ptp/ptp_bmc: the data set comparison (IEEE 1588-2019
 * §9.3.4 Figures 34 and 35, every branch), the state decision (§9.3.3
 * Figure 33: M1, M2, M3, S1, P1, P2), the port state machines (§9.2.5
 * Figures 30 and 31, every state and event), the foreign master records
 * (§9.3.2.4.4, §9.3.2.5) and three clocks electing their grandmaster by
 * running the same functions as their ports would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "ptp/ptp_bmc.h"

#define S(x) ((gt_ns)((x) * 1e9))

/* ---- helpers ---- */

static struct ptp_clock_id cid(uint8_t n)
{
	struct ptp_clock_id c = { { 0x00, 0x11, 0x22, 0xff, 0xfe, 0x00, 0x00, n } };

	return c;
}

static struct ptp_port_id pid(uint8_t clock, uint16_t port)
{
	struct ptp_port_id p = { cid(clock), port };

	return p;
}

/* A foreign data set: grandmaster gm (all attributes 128/248/0x21/0x4e5d),
 * heard from sender on receiver with steps removed. */
static struct ptp_bmc_ds ds(uint8_t gm, uint16_t steps, struct ptp_port_id sender,
			    struct ptp_port_id receiver)
{
	struct ptp_bmc_ds d;

	memset(&d, 0, sizeof(d));
	d.priority1 = 128;
	d.priority2 = 128;
	d.gm_identity = cid(gm);
	d.quality.clock_class = 248;
	d.quality.accuracy = 0x21;
	d.quality.variance = 0x4e5d;
	d.steps_removed = steps;
	d.sender = sender;
	d.receiver = receiver;
	return d;
}

static const char *state_name(int st)
{
	static const char *const n[] = { "?", "INITIALIZING", "FAULTY", "DISABLED", "LISTENING",
					 "PRE_MASTER", "MASTER", "PASSIVE", "UNCALIBRATED",
					 "SLAVE" };

	return st >= 1 && st <= 9 ? n[st] : "?";
}

/* ---- Figure 34: the grandmasters' attributes ---- */

/* Each attribute decides when the ones before it are equal, whatever the
 * ones after it say: A is better in attribute k and worse in every later
 * one (including the identity). */
static void test_compare_attribute_order(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < 6; k++) {
		struct ptp_bmc_ds a = ds(1, 0, pid(1, 1), pid(9, 1));
		struct ptp_bmc_ds b = ds(2, 0, pid(2, 1), pid(9, 1));

		/* Later attributes favour B ... */
		if (k < 1)
			a.priority1 = 129;
		if (k < 2)
			a.quality.clock_class = 249;
		if (k < 3)
			a.quality.accuracy = 0x22;
		if (k < 4)
			a.quality.variance = 0x4e5e;
		if (k < 5)
			a.priority2 = 129;
		if (k < 6)
			a.gm_identity = cid(3);	/* higher than B's 2 */
		/* ... attribute k favours A. */
		switch (k) {
		case 0:
			a.priority1 = 127;
			break;
		case 1:
			a.quality.clock_class = 6;
			break;
		case 2:
			a.quality.accuracy = 0x20;
			break;
		case 3:
			a.quality.variance = 0x4000;
			break;
		case 4:
			a.priority2 = 1;
			break;
		case 5:
			a.gm_identity = cid(1);
			break;
		}
		assert_int_equal(ptp_bmc_compare(&a, &b), PTP_A_BETTER);
		assert_int_equal(ptp_bmc_compare(&b, &a), PTP_B_BETTER);
	}
}

/* The identity compares as a number, first octet most significant. */
static void test_compare_identity_octets(void **state)
{
	struct ptp_bmc_ds a = ds(0, 0, pid(1, 1), pid(9, 1)), b = a;

	(void)state;
	a.gm_identity.id[0] = 0x01;	/* 01.. > 00..ff */
	b.gm_identity.id[0] = 0x00;
	b.gm_identity.id[7] = 0xff;
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_B_BETTER);
	assert_int_equal(ptp_bmc_compare(&b, &a), PTP_A_BETTER);
}

/* Topology is never looked at when the grandmasters differ: a farther
 * better grandmaster wins outright (not "by topology"). */
static void test_compare_gm_before_topology(void **state)
{
	struct ptp_bmc_ds a = ds(1, 10, pid(7, 1), pid(9, 1));
	struct ptp_bmc_ds b = ds(2, 0, pid(2, 1), pid(9, 1));

	(void)state;
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_A_BETTER);
	assert_int_equal(ptp_bmc_compare(&b, &a), PTP_B_BETTER);
}

static void test_compare_null(void **state)
{
	struct ptp_bmc_ds a = ds(1, 0, pid(1, 1), pid(9, 1));

	(void)state;
	assert_int_equal(ptp_bmc_compare(&a, NULL), PTP_A_BETTER);
	assert_int_equal(ptp_bmc_compare(NULL, &a), PTP_B_BETTER);
	assert_int_equal(ptp_bmc_compare(NULL, NULL), PTP_BMC_SAME);
}

/* ---- Figure 35: the same grandmaster ---- */

/* Steps removed more than one apart: the nearer is plainly better. */
static void test_topo_steps_far(void **state)
{
	struct ptp_bmc_ds a = ds(5, 0, pid(5, 1), pid(9, 1));
	struct ptp_bmc_ds b = ds(5, 2, pid(6, 1), pid(9, 2));

	(void)state;
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_A_BETTER);
	assert_int_equal(ptp_bmc_compare(&b, &a), PTP_B_BETTER);
	a.steps_removed = 7;
	b.steps_removed = 3;
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_B_BETTER);
	/* The sender identities do not matter there. */
	a.sender = pid(1, 1);
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_B_BETTER);
}

/* One step apart: the farther one's receiver against its sender. */
static void test_topo_steps_one(void **state)
{
	struct ptp_bmc_ds near = ds(5, 1, pid(5, 1), pid(9, 1));
	struct ptp_bmc_ds far;

	(void)state;
	/* receiver < sender: the nearer is better. */
	far = ds(5, 2, pid(10, 1), pid(9, 2));
	assert_int_equal(ptp_bmc_compare(&far, &near), PTP_B_BETTER);
	assert_int_equal(ptp_bmc_compare(&near, &far), PTP_A_BETTER);
	/* receiver > sender: better by topology. */
	far = ds(5, 2, pid(8, 1), pid(9, 2));
	assert_int_equal(ptp_bmc_compare(&far, &near), PTP_B_BETTER_TOPO);
	assert_int_equal(ptp_bmc_compare(&near, &far), PTP_A_BETTER_TOPO);
	/* Same clock identity: the port numbers decide. */
	far = ds(5, 2, pid(9, 3), pid(9, 2));
	assert_int_equal(ptp_bmc_compare(&far, &near), PTP_B_BETTER);
	far = ds(5, 2, pid(9, 1), pid(9, 2));
	assert_int_equal(ptp_bmc_compare(&far, &near), PTP_B_BETTER_TOPO);
	/* error-1: receiver = sender, the Announce came back to the port
	 * that sent it. */
	far = ds(5, 2, pid(9, 2), pid(9, 2));
	assert_int_equal(ptp_bmc_compare(&far, &near), PTP_BMC_SAME);
	assert_int_equal(ptp_bmc_compare(&near, &far), PTP_BMC_SAME);
}

/* Equal steps: senders, then receiving port numbers, then error-2. */
static void test_topo_steps_equal(void **state)
{
	struct ptp_bmc_ds a = ds(5, 1, pid(6, 1), pid(9, 1));
	struct ptp_bmc_ds b = ds(5, 1, pid(7, 1), pid(9, 1));

	(void)state;
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_A_BETTER_TOPO);
	assert_int_equal(ptp_bmc_compare(&b, &a), PTP_B_BETTER_TOPO);
	/* The sender's port number after its clock identity. */
	b.sender = pid(6, 2);
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_A_BETTER_TOPO);
	assert_int_equal(ptp_bmc_compare(&b, &a), PTP_B_BETTER_TOPO);
	/* The same sender heard on two ports: the lower port number. */
	b.sender = a.sender;
	b.receiver = pid(9, 2);
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_A_BETTER_TOPO);
	assert_int_equal(ptp_bmc_compare(&b, &a), PTP_B_BETTER_TOPO);
	/* error-2: the same Announce on the same port. */
	b.receiver = a.receiver;
	assert_int_equal(ptp_bmc_compare(&a, &b), PTP_BMC_SAME);
}

/* compare(a, b) == -compare(b, a) over a small exhaustive domain (two
 * values of every field that matters), the property the decision's
 * "Ebest over all ports" relies on. */
static void test_compare_antisymmetric(void **state)
{
	struct ptp_bmc_ds v[64];
	int i, j, n = 0;

	(void)state;
	for (i = 0; i < 64; i++) {
		v[n] = ds((i & 1) ? 5 : 6, (uint16_t)((i >> 1) & 3), pid((i & 8) ? 7 : 8, 1),
			  pid(9, (i & 16) ? 1 : 2));
		v[n].priority1 = (i & 32) ? 100 : 128;
		n++;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			assert_int_equal(ptp_bmc_compare(&v[i], &v[j]),
					 -ptp_bmc_compare(&v[j], &v[i]));
}

static void test_d0(void **state)
{
	struct ptp_default_ds dds;
	struct ptp_bmc_ds d;

	(void)state;
	memset(&dds, 0, sizeof(dds));
	dds.priority1 = 10;
	dds.priority2 = 20;
	dds.identity = cid(42);
	dds.quality.clock_class = 248;
	dds.quality.accuracy = 0xfe;
	dds.quality.variance = 0xffff;
	ptp_bmc_d0(&dds, 3, &d);
	assert_int_equal(d.priority1, 10);
	assert_int_equal(d.priority2, 20);
	assert_memory_equal(&d.gm_identity, &dds.identity, sizeof(dds.identity));
	assert_int_equal(d.quality.clock_class, 248);
	assert_int_equal(d.quality.accuracy, 0xfe);
	assert_int_equal(d.quality.variance, 0xffff);
	assert_int_equal(d.steps_removed, 0);
	assert_memory_equal(&d.sender.clock, &dds.identity, sizeof(dds.identity));
	assert_int_equal(d.sender.port, 3);
	assert_memory_equal(&d.receiver, &d.sender, sizeof(d.sender));
}

/* ---- Figure 33: the state decision ---- */

/* The local clock 9, port 1; priority1 128 unless changed. */
static struct ptp_bmc_ds d0_of(uint8_t clock_class, uint8_t priority1)
{
	struct ptp_bmc_ds d = ds(9, 0, pid(9, 1), pid(9, 1));

	d.quality.clock_class = clock_class;
	d.priority1 = priority1;
	return d;
}

static void test_decide_listening(void **state)
{
	struct ptp_bmc_ds d0 = d0_of(248, 128);
	struct ptp_bmc_ds other = ds(5, 0, pid(5, 1), pid(9, 2));

	(void)state;
	/* Nothing qualified on this port while listening: keep listening,
	 * even when another port has a master. */
	assert_int_equal(ptp_bmc_decide(&d0, NULL, NULL, false, true), PTP_RS_LISTENING);
	assert_int_equal(ptp_bmc_decide(&d0, NULL, &other, false, true), PTP_RS_LISTENING);
	d0.quality.clock_class = 6;
	assert_int_equal(ptp_bmc_decide(&d0, NULL, NULL, false, true), PTP_RS_LISTENING);
	assert_int_equal(ptp_rs_event(PTP_RS_LISTENING), PTP_EV_NONE);
}

/* clockClass 1..127: M1 against this port's best, else P1; never slave. */
static void test_decide_class_le_127(void **state)
{
	struct ptp_bmc_ds d0 = d0_of(127, 128);
	struct ptp_bmc_ds better = ds(5, 0, pid(5, 1), pid(9, 1));
	struct ptp_bmc_ds worse = ds(5, 0, pid(5, 1), pid(9, 1));

	(void)state;
	better.priority1 = 1;
	worse.priority1 = 200;
	/* M1 */
	assert_int_equal(ptp_bmc_decide(&d0, &worse, &worse, false, false), PTP_RS_GRAND_MASTER);
	assert_int_equal(ptp_bmc_decide(&d0, NULL, NULL, false, false), PTP_RS_GRAND_MASTER);
	/* M1 looks at Erbest only: a better master on another port does
	 * not matter. */
	better.receiver = pid(9, 2);
	assert_int_equal(ptp_bmc_decide(&d0, &worse, &better, false, false), PTP_RS_GRAND_MASTER);
	/* P1, even though Ebest is this port's (S1 does not exist here). */
	better.receiver = pid(9, 1);
	assert_int_equal(ptp_bmc_decide(&d0, &better, &better, false, false), PTP_RS_PASSIVE);
	assert_int_equal(ptp_bmc_decide(&d0, &better, &better, false, true), PTP_RS_PASSIVE);
	/* Class 6, a primary reference: the same. */
	d0.quality.clock_class = 6;
	assert_int_equal(ptp_bmc_decide(&d0, &better, &better, false, false), PTP_RS_PASSIVE);
	/* Class 128 takes the other branch: slave to the better one. */
	d0.quality.clock_class = 128;
	assert_int_equal(ptp_bmc_decide(&d0, &better, &better, false, false), PTP_RS_SLAVE);
}

/* clockClass > 127: M2, S1, P2, M3. */
static void test_decide_class_gt_127(void **state)
{
	struct ptp_bmc_ds d0 = d0_of(248, 128);
	struct ptp_bmc_ds gm = ds(5, 0, pid(5, 1), pid(9, 1));	/* heard on port 1 */
	struct ptp_bmc_ds gm_p2 = ds(5, 0, pid(5, 1), pid(9, 2));	/* same, on port 2 */
	struct ptp_bmc_ds far = ds(5, 3, pid(7, 1), pid(9, 1));	/* same gm, farther, port 1 */
	struct ptp_bmc_ds worse = ds(6, 0, pid(6, 1), pid(9, 1));

	(void)state;
	gm.priority1 = gm_p2.priority1 = far.priority1 = 100;
	worse.priority1 = 200;
	/* M2: D0 better than Ebest, or no Ebest at all. */
	assert_int_equal(ptp_bmc_decide(&d0, &worse, &worse, false, false), PTP_RS_GRAND_MASTER);
	assert_int_equal(ptp_bmc_decide(&d0, NULL, NULL, false, false), PTP_RS_GRAND_MASTER);
	assert_int_equal(ptp_bmc_decide(&d0, &worse, &worse, false, true), PTP_RS_GRAND_MASTER);
	/* S1: Ebest came in on this port. */
	assert_int_equal(ptp_bmc_decide(&d0, &gm, &gm, false, false), PTP_RS_SLAVE);
	assert_int_equal(ptp_bmc_decide(&d0, &gm, &gm, false, true), PTP_RS_SLAVE);
	assert_int_equal(ptp_rs_event(PTP_RS_SLAVE), PTP_EV_RS_SLAVE);
	/* Ebest from port 2; this port's best is the same grandmaster
	 * farther away: better only by steps (plainly) -> M3. */
	assert_int_equal(ptp_bmc_decide(&d0, &far, &gm_p2, false, false), PTP_RS_MASTER);
	/* ... a worse grandmaster here -> M3. */
	assert_int_equal(ptp_bmc_decide(&d0, &worse, &gm_p2, false, false), PTP_RS_MASTER);
	/* ... nothing here (not listening) -> M3. */
	assert_int_equal(ptp_bmc_decide(&d0, NULL, &gm_p2, false, false), PTP_RS_MASTER);
	assert_int_equal(ptp_rs_event(PTP_RS_MASTER), PTP_EV_RS_MASTER);
	/* The same Announce heard on ports 1 and 2: Ebest is port 1's
	 * (lower port number), better by topology than port 2's -> P2 on
	 * port 2. */
	{
		struct ptp_bmc_ds here = gm_p2, there = gm;
		struct ptp_bmc_ds d0p2 = ds(9, 0, pid(9, 2), pid(9, 2));

		assert_int_equal(ptp_bmc_decide(&d0p2, &here, &there, false, false),
				 PTP_RS_PASSIVE);
		assert_int_equal(ptp_rs_event(PTP_RS_PASSIVE), PTP_EV_RS_PASSIVE);
	}
	/* P2 with equal steps from another sender of the same grandmaster
	 * (a second boundary clock on this segment). */
	{
		struct ptp_bmc_ds ebest = ds(5, 1, pid(6, 1), pid(9, 2));
		struct ptp_bmc_ds erbest = ds(5, 1, pid(7, 1), pid(9, 1));

		ebest.priority1 = erbest.priority1 = 100;
		assert_int_equal(ptp_bmc_decide(&d0, &erbest, &ebest, false, false),
				 PTP_RS_PASSIVE);
	}
}

/* "Better or better by topology": D0 wins M2 against its own grandmaster
 * data coming back through another clock. */
static void test_decide_d0_better_by_topology(void **state)
{
	struct ptp_bmc_ds d0 = d0_of(248, 128);
	/* Our own time, one step away, sent by clock 10 to our port 1. */
	struct ptp_bmc_ds back = ds(9, 1, pid(10, 1), pid(9, 1));

	(void)state;
	assert_int_equal(ptp_bmc_compare(&d0, &back), PTP_A_BETTER);
	assert_int_equal(ptp_bmc_decide(&d0, &back, &back, false, false), PTP_RS_GRAND_MASTER);
	/* Sent by clock 8 (< receiver 9): D0 better by topology, still M2. */
	back.sender = pid(8, 1);
	assert_int_equal(ptp_bmc_compare(&d0, &back), PTP_A_BETTER_TOPO);
	assert_int_equal(ptp_bmc_decide(&d0, &back, &back, false, false), PTP_RS_GRAND_MASTER);
	assert_int_equal(ptp_rs_event(PTP_RS_GRAND_MASTER), PTP_EV_RS_GRAND_MASTER);
}

/* A slave-only clock follows the best master even when its own data set
 * would compare better; alone it is "grand master", which Figure 31
 * turns into LISTENING. */
static void test_decide_slave_only(void **state)
{
	struct ptp_bmc_ds d0 = d0_of(255, 1);
	struct ptp_bmc_ds gm = ds(5, 0, pid(5, 1), pid(9, 1));
	struct ptp_bmc_ds gm_p2 = ds(5, 0, pid(5, 1), pid(9, 2));

	(void)state;
	gm.priority1 = 200;
	assert_int_equal(ptp_bmc_decide(&d0, &gm, &gm, true, false), PTP_RS_SLAVE);
	assert_int_equal(ptp_bmc_decide(&d0, &gm, &gm, false, false), PTP_RS_GRAND_MASTER);
	assert_int_equal(ptp_bmc_decide(&d0, NULL, &gm_p2, true, false), PTP_RS_MASTER);
	assert_int_equal(ptp_bmc_decide(&d0, NULL, NULL, true, false), PTP_RS_GRAND_MASTER);
	assert_int_equal(ptp_bmc_decide(&d0, NULL, NULL, true, true), PTP_RS_LISTENING);
	/* Even a class <= 127 setting cannot make it master. */
	d0.quality.clock_class = 6;
	assert_int_equal(ptp_bmc_decide(&d0, &gm, &gm, true, false), PTP_RS_SLAVE);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ptp_rs_name(PTP_RS_SLAVE), "SLAVE");
	assert_string_equal(ptp_rs_name(PTP_RS_GRAND_MASTER), "GRAND_MASTER");
	assert_string_equal(ptp_fsm_event_name(PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT),
			    "ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES");
	assert_string_equal(ptp_fsm_event_name(PTP_EV_RS_PASSIVE), "RS_PASSIVE");
	assert_string_equal(ptp_fsm_event_name((enum ptp_fsm_event)99), "?");
}

/* ---- Figures 30 and 31: every (state, event) ---- */

struct fsm_row {
	int from;		/* enum ptp_port_state */
	enum ptp_fsm_event ev;
	int new_master;		/* -1: either */
	int to;
};

#define ANY (-1)
#define NSTATES 9
#define NEVENTS (PTP_EV_RS_PASSIVE + 1)

enum { INIT = PTP_PS_INITIALIZING, FLT = PTP_PS_FAULTY, DIS = PTP_PS_DISABLED,
       LIS = PTP_PS_LISTENING, PRE = PTP_PS_PRE_MASTER, MAS = PTP_PS_MASTER,
       PAS = PTP_PS_PASSIVE, UNC = PTP_PS_UNCALIBRATED, SLA = PTP_PS_SLAVE };

/* Figure 30: the transitions that change or set a state; every (state,
 * event) pair not listed must leave the state as it is. */
static const struct fsm_row full_rows[] = {
	{ DIS, PTP_EV_DESIGNATED_ENABLED, ANY, INIT },
	{ FLT, PTP_EV_FAULT_CLEARED, ANY, INIT },
	{ LIS, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, ANY, MAS },
	{ LIS, PTP_EV_RS_MASTER, ANY, PRE },
	{ LIS, PTP_EV_RS_GRAND_MASTER, ANY, MAS },
	{ LIS, PTP_EV_RS_SLAVE, ANY, UNC },
	{ LIS, PTP_EV_RS_PASSIVE, ANY, PAS },
	{ PRE, PTP_EV_QUALIFICATION_TIMEOUT, ANY, MAS },
	{ PRE, PTP_EV_RS_SLAVE, ANY, UNC },
	{ PRE, PTP_EV_RS_PASSIVE, ANY, PAS },
	{ MAS, PTP_EV_RS_SLAVE, ANY, UNC },
	{ MAS, PTP_EV_RS_PASSIVE, ANY, PAS },
	{ PAS, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, ANY, MAS },
	{ PAS, PTP_EV_RS_MASTER, ANY, PRE },
	{ PAS, PTP_EV_RS_GRAND_MASTER, ANY, MAS },
	{ PAS, PTP_EV_RS_SLAVE, ANY, UNC },
	{ UNC, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, ANY, MAS },
	{ UNC, PTP_EV_MASTER_CLOCK_SELECTED, ANY, SLA },
	{ UNC, PTP_EV_RS_MASTER, ANY, PRE },
	{ UNC, PTP_EV_RS_GRAND_MASTER, ANY, MAS },
	{ UNC, PTP_EV_RS_PASSIVE, ANY, PAS },
	{ SLA, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, ANY, MAS },
	{ SLA, PTP_EV_SYNCHRONIZATION_FAULT, ANY, UNC },
	{ SLA, PTP_EV_RS_MASTER, ANY, PRE },
	{ SLA, PTP_EV_RS_GRAND_MASTER, ANY, MAS },
	{ SLA, PTP_EV_RS_SLAVE, 1, UNC },	/* a new parent: calibrate again */
	{ SLA, PTP_EV_RS_PASSIVE, ANY, PAS },
};

/* Figure 31: the slave-only machine's transitions (states INITIALIZING,
 * FAULTY, DISABLED, LISTENING, UNCALIBRATED, SLAVE). */
static const struct fsm_row slave_rows[] = {
	{ DIS, PTP_EV_DESIGNATED_ENABLED, ANY, INIT },
	{ FLT, PTP_EV_FAULT_CLEARED, ANY, INIT },
	{ LIS, PTP_EV_RS_SLAVE, ANY, UNC },
	{ UNC, PTP_EV_MASTER_CLOCK_SELECTED, ANY, SLA },
	{ UNC, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, ANY, LIS },
	{ UNC, PTP_EV_RS_MASTER, ANY, LIS },
	{ UNC, PTP_EV_RS_GRAND_MASTER, ANY, LIS },
	{ UNC, PTP_EV_RS_PASSIVE, ANY, LIS },
	{ SLA, PTP_EV_SYNCHRONIZATION_FAULT, ANY, UNC },
	{ SLA, PTP_EV_RS_SLAVE, 1, UNC },
	{ SLA, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, ANY, LIS },
	{ SLA, PTP_EV_RS_MASTER, ANY, LIS },
	{ SLA, PTP_EV_RS_GRAND_MASTER, ANY, LIS },
	{ SLA, PTP_EV_RS_PASSIVE, ANY, LIS },
};

/* The expected next state: the transitions every state shares, then the
 * table, else unchanged. */
static enum ptp_port_state expected(const struct fsm_row *rows, size_t n, enum ptp_port_state st,
				    enum ptp_fsm_event ev, bool new_master)
{
	size_t i;

	if (ev == PTP_EV_POWERUP || ev == PTP_EV_INITIALIZE)
		return PTP_PS_INITIALIZING;
	if (ev == PTP_EV_DESIGNATED_DISABLED)
		return PTP_PS_DISABLED;
	if (ev == PTP_EV_FAULT_DETECTED)
		return st == PTP_PS_DISABLED ? PTP_PS_DISABLED : PTP_PS_FAULTY;
	for (i = 0; i < n; i++)
		if (rows[i].from == (int)st && rows[i].ev == ev &&
		    (rows[i].new_master == ANY || rows[i].new_master == new_master))
			return (enum ptp_port_state)rows[i].to;
	return st;
}

static void check_machine(const struct fsm_row *rows, size_t n, const int *states, int nstates,
			  bool slave_only)
{
	int s, e, nm, checked = 0;

	for (s = 0; s < nstates; s++)
		for (e = 0; e < NEVENTS; e++)
			for (nm = 0; nm < 2; nm++) {
				enum ptp_port_state st = (enum ptp_port_state)states[s];
				enum ptp_port_state want = expected(rows, n, st, e, nm);
				enum ptp_port_state got = ptp_fsm_next(st, e, nm, slave_only);

				if (got != want)
					fail_msg("%s + %s (new master %d, slave-only %d): %s, want %s",
						 state_name(st), ptp_fsm_event_name(e), nm,
						 slave_only, state_name(got), state_name(want));
				checked++;
			}
	assert_int_equal(checked, nstates * NEVENTS * 2);
}

static void test_fsm_full(void **state)
{
	static const int all[] = { INIT, FLT, DIS, LIS, PRE, MAS, PAS, UNC, SLA };

	(void)state;
	check_machine(full_rows, ARRAY_LEN(full_rows), all, ARRAY_LEN(all), false);
	/* Spot checks of the table itself against Figure 30. */
	assert_int_equal(ptp_fsm_next(PTP_PS_SLAVE, PTP_EV_RS_SLAVE, false, false), PTP_PS_SLAVE);
	assert_int_equal(ptp_fsm_next(PTP_PS_UNCALIBRATED, PTP_EV_RS_SLAVE, true, false),
			 PTP_PS_UNCALIBRATED);
	assert_int_equal(ptp_fsm_next(PTP_PS_MASTER, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, false,
				      false), PTP_PS_MASTER);
	assert_int_equal(ptp_fsm_next(PTP_PS_INITIALIZING, PTP_EV_RS_SLAVE, false, false),
			 PTP_PS_INITIALIZING);
	assert_int_equal(ptp_fsm_next(PTP_PS_DISABLED, PTP_EV_FAULT_DETECTED, false, false),
			 PTP_PS_DISABLED);
}

static void test_fsm_slave_only(void **state)
{
	static const int own[] = { INIT, FLT, DIS, LIS, UNC, SLA };
	int e, nm;

	(void)state;
	check_machine(slave_rows, ARRAY_LEN(slave_rows), own, ARRAY_LEN(own), true);
	/* From its own states it never reaches PRE_MASTER, MASTER or
	 * PASSIVE, whatever happens. */
	for (e = 0; e < NEVENTS; e++)
		for (nm = 0; nm < 2; nm++) {
			size_t s;

			for (s = 0; s < ARRAY_LEN(own); s++) {
				int got = ptp_fsm_next(own[s], e, nm, true);

				assert_true(got != PRE && got != MAS && got != PAS);
			}
		}
	/* A port left in a master state (its role changed) leaves it the
	 * slave-only way, and stays on events that do not apply. */
	assert_int_equal(ptp_fsm_next(PTP_PS_MASTER, PTP_EV_RS_MASTER, false, true),
			 PTP_PS_LISTENING);
	assert_int_equal(ptp_fsm_next(PTP_PS_PASSIVE, PTP_EV_RS_SLAVE, false, true),
			 PTP_PS_UNCALIBRATED);
	assert_int_equal(ptp_fsm_next(PTP_PS_PRE_MASTER, PTP_EV_NONE, false, true),
			 PTP_PS_PRE_MASTER);
}

/* ---- foreign master records ---- */

static const gt_ns IV = S(1);	/* announce interval: logAnnounceInterval 0 */

static struct ptp_msg announce(uint8_t sender, uint16_t seq, uint8_t priority1)
{
	struct ptp_msg m;

	memset(&m, 0, sizeof(m));
	m.h.type = PTP_ANNOUNCE;
	m.h.version = 2;
	m.h.source = pid(sender, 1);
	m.h.seq = seq;
	m.h.flags = PTP_FLAG_UTC_VALID;
	m.u.announce.gm_priority1 = priority1;
	m.u.announce.gm_priority2 = 128;
	m.u.announce.gm_identity = cid(sender);
	m.u.announce.gm_quality.clock_class = 248;
	m.u.announce.gm_quality.accuracy = 0xfe;
	m.u.announce.gm_quality.variance = 0xffff;
	m.u.announce.utc_offset = 37;
	m.u.announce.time_source = PTP_TS_INTERNAL_OSC;
	return m;
}

static const struct ptp_foreign *best_at(const struct ptp_foreign_table *t, gt_ns now,
					 struct ptp_bmc_ds *out)
{
	struct ptp_port_id me = pid(9, 1);

	return ptp_foreign_best(t, now, IV, &me, NULL, out);
}

static int used(const struct ptp_foreign_table *t)
{
	int i, n = 0;

	for (i = 0; i < PTP_FOREIGN_MAX; i++)
		n += t->r[i].used;
	return n;
}

static void test_foreign_one_not_qualified(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128);
	struct ptp_bmc_ds d;

	(void)state;
	ptp_foreign_init(&t);
	assert_false(ptp_foreign_add(&t, &m, S(10), IV));
	assert_int_equal(used(&t), 1);
	assert_null(best_at(&t, S(10), &d));
	assert_null(best_at(&t, S(11), &d));
}

/* §9.3.2.5 d): the threshold qualifies foreign masters; the current
 * parent's record stays qualified with one Announce in the window (the
 * receipt timeout judges its loss). tests/sim found a slave becoming its
 * own master for a while after two Announces lost of four. */
static void test_foreign_parent_stays_qualified(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128), o = announce(6, 1, 100);
	struct ptp_port_id me = pid(9, 1), parent_id = m.h.source;
	struct ptp_foreign_parent parent = { &parent_id, ptp_foreign_parent_window(3) };
	const struct ptp_foreign *f;
	struct ptp_bmc_ds d;

	(void)state;
	assert_int_equal(parent.window, PTP_FOREIGN_WINDOW);
	ptp_foreign_init(&t);
	ptp_foreign_add(&t, &m, S(10), IV);
	m.h.seq = 2;
	ptp_foreign_add(&t, &m, S(11), IV);
	/* 12, 13 and 14 lost: at 14.5 one of the two is left in the window */
	ptp_foreign_expire(&t, S(14) + IV / 2, IV, &parent);
	assert_null(ptp_foreign_best(&t, S(14) + IV / 2, IV, &me, NULL, &d));
	f = ptp_foreign_best(&t, S(14) + IV / 2, IV, &me, &parent, &d);
	assert_non_null(f);
	assert_memory_equal(&f->sender, &parent_id, sizeof(parent_id));
	/* a better foreign master heard once does not qualify by being better */
	ptp_foreign_add(&t, &o, S(14) + IV / 2, IV);
	f = ptp_foreign_best(&t, S(14) + IV / 2, IV, &me, &parent, &d);
	assert_non_null(f);
	assert_memory_equal(&f->sender, &parent_id, sizeof(parent_id));
	/* none left in the window: not even the parent */
	ptp_foreign_expire(&t, S(16), IV, &parent);
	f = ptp_foreign_best(&t, S(16), IV, &me, &parent, &d);
	assert_true(f == NULL || !ptp_port_id_eq(&f->sender, &parent_id));
}

/* With announceReceiptTimeout 6 the parent's last Announce must outlive
 * the 4-interval window until the receipt timeout (6 intervals) fires:
 * else the slave gave its master up after 4 intervals whatever the
 * operator set (the helper's simulation found it). A record of anyone
 * else still goes after 4. */
static void test_foreign_parent_kept_for_receipt_timeout(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128), o = announce(6, 1, 100);
	struct ptp_port_id me = pid(9, 1), parent_id = m.h.source;
	struct ptp_foreign_parent parent = { &parent_id, ptp_foreign_parent_window(6) };
	const struct ptp_foreign *f;
	struct ptp_bmc_ds d;

	(void)state;
	assert_int_equal(parent.window, 7);
	ptp_foreign_init(&t);
	ptp_foreign_add(&t, &m, S(10), IV);
	ptp_foreign_add(&t, &o, S(10), IV);
	m.h.seq = o.h.seq = 2;
	ptp_foreign_add(&t, &m, S(11), IV);
	ptp_foreign_add(&t, &o, S(11), IV);
	/* 5.5 intervals of silence: the receipt timeout (6) has not fired */
	ptp_foreign_expire(&t, S(16) + IV / 2, IV, &parent);
	assert_int_equal(used(&t), 1);
	f = ptp_foreign_best(&t, S(16) + IV / 2, IV, &me, &parent, &d);
	assert_non_null(f);
	assert_memory_equal(&f->sender, &parent_id, sizeof(parent_id));
	/* without the parent's window, it would have gone as the other did */
	assert_null(ptp_foreign_best(&t, S(16) + IV / 2, IV, &me, NULL, &d));
	/* past its own window it goes too */
	ptp_foreign_expire(&t, S(18) + IV / 2, IV, &parent);
	assert_int_equal(used(&t), 0);
}

static void test_foreign_two_within_window(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128);
	const struct ptp_foreign *f;
	struct ptp_bmc_ds d;

	(void)state;
	ptp_foreign_init(&t);
	assert_false(ptp_foreign_add(&t, &m, S(10), IV));
	m.h.seq = 2;
	assert_true(ptp_foreign_add(&t, &m, S(11), IV));	/* became qualified */
	f = best_at(&t, S(11), &d);
	assert_non_null(f);
	assert_int_equal(f->announce.gm_priority1, 128);
	assert_int_equal(f->seq, 2);
	assert_int_equal(f->flags, PTP_FLAG_UTC_VALID);
	assert_int_equal(d.priority1, 128);
	assert_memory_equal(&d.gm_identity, &m.u.announce.gm_identity, sizeof(d.gm_identity));
	assert_memory_equal(&d.sender, &m.h.source, sizeof(d.sender));
	assert_int_equal(d.receiver.port, 1);
	assert_int_equal(d.receiver.clock.id[7], 9);
	/* The window's edge: exactly 4 intervals old still counts. */
	assert_non_null(best_at(&t, S(14), &d));
	assert_null(best_at(&t, S(14) + 1, &d));
	/* A third, unchanged: nothing new for the decision. */
	m.h.seq = 3;
	assert_false(ptp_foreign_add(&t, &m, S(12), IV));
}

static void test_foreign_two_spread(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128);
	struct ptp_bmc_ds d;

	(void)state;
	ptp_foreign_init(&t);
	assert_false(ptp_foreign_add(&t, &m, S(10), IV));
	m.h.seq = 2;
	assert_false(ptp_foreign_add(&t, &m, S(14.5), IV));	/* 4.5 intervals later */
	assert_null(best_at(&t, S(14.5), &d));
	/* With the interval of the port at 2 s the same is in time. */
	ptp_foreign_init(&t);
	m.h.seq = 1;
	assert_false(ptp_foreign_add(&t, &m, S(10), 2 * IV));
	m.h.seq = 2;
	assert_true(ptp_foreign_add(&t, &m, S(14.5), 2 * IV));
}

/* The same Announce twice (a duplicating network) is one Announce. */
static void test_foreign_duplicate(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 7, 128);
	struct ptp_bmc_ds d;

	(void)state;
	ptp_foreign_init(&t);
	assert_false(ptp_foreign_add(&t, &m, S(10), IV));
	assert_false(ptp_foreign_add(&t, &m, S(10.001), IV));
	assert_null(best_at(&t, S(10.5), &d));
	m.h.seq = 8;
	assert_true(ptp_foreign_add(&t, &m, S(11), IV));
}

static void test_foreign_expire(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128);
	struct ptp_bmc_ds d;

	(void)state;
	ptp_foreign_init(&t);
	ptp_foreign_add(&t, &m, S(0), IV);
	m.h.seq = 2;
	assert_true(ptp_foreign_add(&t, &m, S(1), IV));
	/* Both in the window: nothing to do. */
	assert_false(ptp_foreign_expire(&t, S(3), IV, NULL));
	assert_non_null(best_at(&t, S(3), &d));
	/* The first left the window: qualification lost, record kept. */
	assert_true(ptp_foreign_expire(&t, S(4.5), IV, NULL));
	assert_null(best_at(&t, S(4.5), &d));
	assert_int_equal(used(&t), 1);
	assert_int_equal(t.r[0].n_heard, 1);
	/* Both gone: the record is dropped; it was not qualified any more,
	 * so the decision has nothing new. */
	assert_false(ptp_foreign_expire(&t, S(5.5), IV, NULL));
	assert_int_equal(used(&t), 0);
	/* A record heard once is kept while its Announce is in the window,
	 * so that the next one qualifies it. */
	m.h.seq = 3;
	ptp_foreign_add(&t, &m, S(10), IV);
	assert_false(ptp_foreign_expire(&t, S(10.25), IV, NULL));
	assert_int_equal(used(&t), 1);
	m.h.seq = 4;
	assert_true(ptp_foreign_add(&t, &m, S(11), IV));
	/* Clear forgets everything. */
	ptp_foreign_clear(&t);
	assert_int_equal(used(&t), 0);
	assert_null(best_at(&t, S(11), &d));
}

/* stepsRemoved 255 or more: ignored (§9.3.2.5 d); 254 is fine. */
static void test_foreign_steps_255(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128);
	struct ptp_bmc_ds d;

	(void)state;
	ptp_foreign_init(&t);
	m.u.announce.steps_removed = 255;
	assert_false(ptp_foreign_add(&t, &m, S(0), IV));
	m.h.seq = 2;
	m.u.announce.steps_removed = 0xffff;
	assert_false(ptp_foreign_add(&t, &m, S(1), IV));
	assert_int_equal(used(&t), 0);
	m.u.announce.steps_removed = 254;
	m.h.seq = 3;
	ptp_foreign_add(&t, &m, S(2), IV);
	m.h.seq = 4;
	assert_true(ptp_foreign_add(&t, &m, S(3), IV));
	assert_non_null(best_at(&t, S(3), &d));
	assert_int_equal(d.steps_removed, 254);
	/* A qualified sender that goes to 255 is not updated by it. */
	m.h.seq = 5;
	m.u.announce.steps_removed = 255;
	assert_false(ptp_foreign_add(&t, &m, S(3.5), IV));
	assert_non_null(best_at(&t, S(3.5), &d));
	assert_int_equal(d.steps_removed, 254);
}

/* A full table replaces the record heard longest ago. */
static void test_foreign_table_full(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m;
	int i, k;
	bool found_new = false, found[PTP_FOREIGN_MAX + 2] = { false };

	(void)state;
	ptp_foreign_init(&t);
	for (i = 0; i < PTP_FOREIGN_MAX; i++) {
		m = announce((uint8_t)(10 + i), 1, 128);
		ptp_foreign_add(&t, &m, S(i) / 10, IV);
	}
	assert_int_equal(used(&t), PTP_FOREIGN_MAX);
	/* Sender 10 heard again: sender 11 is now the one heard longest ago. */
	m = announce(10, 2, 128);
	ptp_foreign_add(&t, &m, S(1), IV);
	m = announce(50, 1, 128);
	assert_false(ptp_foreign_add(&t, &m, S(1.1), IV));
	assert_int_equal(used(&t), PTP_FOREIGN_MAX);
	for (k = 0; k < PTP_FOREIGN_MAX; k++) {
		uint8_t who = t.r[k].sender.clock.id[7];

		if (who == 50) {
			found_new = true;
			assert_int_equal(t.r[k].n_heard, 1);	/* a fresh record */
		} else {
			found[who - 10] = true;
		}
	}
	assert_true(found_new);
	assert_false(found[1]);		/* sender 11 replaced */
	assert_true(found[0]);
	for (k = 2; k < PTP_FOREIGN_MAX; k++)
		assert_true(found[k]);
}

/* Senders heard once (a burst, or forged identities) replace each other
 * and leave a qualified master alone, even the one heard longest ago;
 * with every record qualified the oldest goes. */
static void test_foreign_table_keeps_qualified(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128);
	struct ptp_bmc_ds d;
	const struct ptp_foreign *f;
	int i;

	(void)state;
	ptp_foreign_init(&t);
	ptp_foreign_add(&t, &m, S(0), IV);
	m.h.seq = 2;
	assert_true(ptp_foreign_add(&t, &m, S(0.5), IV));
	for (i = 0; i < 50; i++) {
		struct ptp_msg x = announce((uint8_t)(100 + i), 1, 1);

		ptp_foreign_add(&t, &x, S(0.6) + i * GT_NS_PER_MS, IV);
	}
	assert_int_equal(used(&t), PTP_FOREIGN_MAX);
	f = best_at(&t, S(1), &d);
	assert_non_null(f);
	assert_int_equal(f->sender.clock.id[7], 5);
	/* All qualified: the one heard longest ago is replaced. */
	ptp_foreign_init(&t);
	for (i = 0; i < PTP_FOREIGN_MAX; i++) {
		m = announce((uint8_t)(10 + i), 1, 128);
		ptp_foreign_add(&t, &m, S(i) / 10, IV);
		m.h.seq = 2;
		ptp_foreign_add(&t, &m, S(1) + S(i) / 10, IV);
	}
	m = announce(50, 1, 128);
	ptp_foreign_add(&t, &m, S(2), IV);
	for (i = 0; i < PTP_FOREIGN_MAX; i++)
		assert_int_not_equal(t.r[i].sender.clock.id[7], 10);
}

/* What changes the decision's input: the comparison fields and the time
 * properties; the sequence or the interval alone do not. */
static void test_foreign_changes(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg m = announce(5, 1, 128);
	gt_ns now = S(0);
	uint16_t seq = 1;
	int i;

	(void)state;
	ptp_foreign_init(&t);
	ptp_foreign_add(&t, &m, now, IV);
	m.h.seq = ++seq;
	now += IV;
	assert_true(ptp_foreign_add(&t, &m, now, IV));
	for (i = 0; i < 12; i++) {
		struct ptp_msg c = m;
		bool want = true;

		switch (i) {
		case 0: c.u.announce.gm_priority1 = 1; break;
		case 1: c.u.announce.gm_priority2 = 1; break;
		case 2: c.u.announce.gm_quality.clock_class = 6; break;
		case 3: c.u.announce.gm_quality.accuracy = 0x21; break;
		case 4: c.u.announce.gm_quality.variance = 1; break;
		case 5: c.u.announce.gm_identity = cid(77); break;
		case 6: c.u.announce.steps_removed = 3; break;
		case 7: c.u.announce.utc_offset = 38; break;
		case 8: c.h.flags |= PTP_FLAG_LEAP61; break;
		case 9: c.h.log_interval = 2; want = false; break;
		case 10: c.h.flags |= PTP_FLAG_TWO_STEP; want = false; break;
		case 11: c.u.announce.time_source = PTP_TS_GNSS; break;
		}
		c.h.seq = ++seq;
		now += IV;
		if (ptp_foreign_add(&t, &c, now, IV) != want)
			fail_msg("change %d: want %d", i, want);
		/* and back, which is a change again when it was one */
		m.h.seq = ++seq;
		now += IV;
		assert_true(ptp_foreign_add(&t, &m, now, IV) == want);
	}
}

static void test_foreign_best_of_several(void **state)
{
	struct ptp_foreign_table t;
	struct ptp_msg a = announce(5, 1, 120), b = announce(6, 1, 110), c = announce(4, 1, 1);
	const struct ptp_foreign *f;
	struct ptp_bmc_ds d;

	(void)state;
	ptp_foreign_init(&t);
	ptp_foreign_add(&t, &a, S(0), IV);
	ptp_foreign_add(&t, &b, S(0.1), IV);
	ptp_foreign_add(&t, &c, S(0.2), IV);	/* the best, but heard once */
	a.h.seq = b.h.seq = 2;
	ptp_foreign_add(&t, &a, S(1), IV);
	ptp_foreign_add(&t, &b, S(1.1), IV);
	f = best_at(&t, S(1.5), &d);
	assert_non_null(f);
	assert_int_equal(f->sender.clock.id[7], 6);
	assert_int_equal(d.priority1, 110);
}

/* ---- three clocks on one segment elect their grandmaster ---- */

#define NCLK 3
#define ART 3		/* announceReceiptTimeout, intervals */

struct sim_clock {
	struct ptp_default_ds dds;
	struct ptp_port_id id;
	enum ptp_port_state state;
	struct ptp_foreign_table foreign;
	struct ptp_port_id parent;
	bool have_parent;
	gt_ns entered, parent_heard;
	uint16_t seq;
	bool alive;
	int changes;
};

static void sim_event(struct sim_clock *c, enum ptp_fsm_event ev, bool new_master, gt_ns now)
{
	enum ptp_port_state st = ptp_fsm_next(c->state, ev, new_master, false);

	if (st != c->state) {
		c->changes++;
		c->entered = now;
	}
	if (st == PTP_PS_UNCALIBRATED)	/* the servo locks at once here */
		st = ptp_fsm_next(st, PTP_EV_MASTER_CLOCK_SELECTED, false, false);
	if (st != PTP_PS_SLAVE && st != PTP_PS_UNCALIBRATED)
		c->have_parent = false;
	c->state = st;
}

/* What a port does every quarter interval: foreign records, the announce
 * receipt timeout, the state decision (§9.2.6.8). */
static void sim_house(struct sim_clock *c, gt_ns now)
{
	struct ptp_bmc_ds d0, erbest;
	const struct ptp_foreign *best;
	enum ptp_rs rs;
	bool new_master = false;
	bool slave = c->state == PTP_PS_SLAVE || c->state == PTP_PS_UNCALIBRATED;
	struct ptp_foreign_parent parent = { &c->parent, ptp_foreign_parent_window(ART) };
	const struct ptp_foreign_parent *pp = slave && c->have_parent ? &parent : NULL;

	ptp_foreign_expire(&c->foreign, now, IV, pp);
	if (c->state == PTP_PS_LISTENING || c->state == PTP_PS_SLAVE ||
	    c->state == PTP_PS_UNCALIBRATED || c->state == PTP_PS_PASSIVE) {
		gt_ns ref = c->have_parent && c->parent_heard > c->entered ? c->parent_heard :
			c->entered;

		if (now - ref > ART * IV) {
			ptp_foreign_clear(&c->foreign);
			sim_event(c, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, false, now);
		}
	}
	ptp_bmc_d0(&c->dds, 1, &d0);
	if (c->state != PTP_PS_SLAVE && c->state != PTP_PS_UNCALIBRATED)
		pp = NULL;	/* the receipt timeout may have ended it */
	best = ptp_foreign_best(&c->foreign, now, IV, &c->id, pp, &erbest);
	/* One port: Ebest is Erbest. */
	rs = ptp_bmc_decide(&d0, best ? &erbest : NULL, best ? &erbest : NULL, false,
			    c->state == PTP_PS_LISTENING);
	if (rs == PTP_RS_LISTENING)
		return;
	if (rs == PTP_RS_SLAVE) {
		new_master = !c->have_parent || memcmp(&c->parent, &best->sender,
						       sizeof(c->parent)) != 0;
		c->parent = best->sender;
	}
	sim_event(c, ptp_rs_event(rs), new_master, now);
	if (rs == PTP_RS_SLAVE) {
		if (new_master)
			c->parent_heard = now;
		c->have_parent = true;
	}
	if (c->state == PTP_PS_PRE_MASTER && now - c->entered >= IV)
		sim_event(c, PTP_EV_QUALIFICATION_TIMEOUT, false, now);
}

/* A master's Announce reaches every other live clock. */
static void sim_announce(struct sim_clock *clk, int from, gt_ns now)
{
	struct sim_clock *c = &clk[from];
	struct ptp_msg m;
	int i;

	memset(&m, 0, sizeof(m));
	m.h.type = PTP_ANNOUNCE;
	m.h.source = c->id;
	m.h.seq = c->seq++;
	m.u.announce.gm_priority1 = c->dds.priority1;
	m.u.announce.gm_priority2 = c->dds.priority2;
	m.u.announce.gm_quality = c->dds.quality;
	m.u.announce.gm_identity = c->dds.identity;
	for (i = 0; i < NCLK; i++) {
		struct sim_clock *r = &clk[i];

		if (i == from || !r->alive)
			continue;
		ptp_foreign_add(&r->foreign, &m, now, IV);
		if (r->have_parent && memcmp(&r->parent, &m.h.source, sizeof(m.h.source)) == 0)
			r->parent_heard = now;
	}
}

static void sim_start(struct sim_clock *c, gt_ns now)
{
	ptp_foreign_init(&c->foreign);
	c->state = PTP_PS_LISTENING;	/* initialisation complete */
	c->entered = now;
	c->have_parent = false;
	c->alive = true;
}

/* Run from t0 to t1 in quarter intervals; clocks announce once per
 * interval, each at its own phase. */
static void sim_run(struct sim_clock *clk, gt_ns t0, gt_ns t1)
{
	gt_ns now;
	int i;

	for (now = t0; now < t1; now += IV / 4) {
		for (i = 0; i < NCLK; i++)
			if (clk[i].alive && clk[i].state == PTP_PS_MASTER &&
			    (now / (IV / 4)) % 4 == i % 4)
				sim_announce(clk, i, now);
		for (i = 0; i < NCLK; i++)
			if (clk[i].alive)
				sim_house(&clk[i], now);
	}
}

static int total_changes(const struct sim_clock *clk)
{
	int i, n = 0;

	for (i = 0; i < NCLK; i++)
		n += clk[i].changes;
	return n;
}

/* The clock `gm` is MASTER and the other live ones are its slaves. */
static void assert_elected(const struct sim_clock *clk, int gm)
{
	int i;

	for (i = 0; i < NCLK; i++) {
		if (!clk[i].alive)
			continue;
		if (i == gm) {
			if (clk[i].state != PTP_PS_MASTER)
				fail_msg("clock %d is %s, not MASTER", i, state_name(clk[i].state));
			continue;
		}
		if (clk[i].state != PTP_PS_SLAVE)
			fail_msg("clock %d is %s, not SLAVE", i, state_name(clk[i].state));
		assert_memory_equal(&clk[i].parent, &clk[gm].id, sizeof(clk[gm].id));
	}
}

static void run_election(const uint8_t prio[NCLK])
{
	struct sim_clock clk[NCLK];
	int i, gm = 0, second = -1, changes;

	memset(clk, 0, sizeof(clk));
	for (i = 0; i < NCLK; i++) {
		clk[i].dds.priority1 = prio[i];
		clk[i].dds.priority2 = 128;
		clk[i].dds.quality.clock_class = 248;
		clk[i].dds.quality.accuracy = 0xfe;
		clk[i].dds.quality.variance = 0xffff;
		/* Identities in the reverse order of priority1's winner, so
		 * that the identity tie-break could not pick it by luck. */
		clk[i].dds.identity = cid((uint8_t)(30 - i));
		clk[i].id.clock = clk[i].dds.identity;
		clk[i].id.port = 1;
		sim_start(&clk[i], 0);
		if (prio[i] < prio[gm])
			gm = i;
	}
	for (i = 0; i < NCLK; i++)
		if (i != gm && (second < 0 || prio[i] < prio[second]))
			second = i;
	/* Everyone starts LISTENING, times out into MASTER, hears the others. */
	sim_run(clk, 0, S(20));
	assert_elected(clk, gm);
	changes = total_changes(clk);
	sim_run(clk, S(20), S(60));
	assert_int_equal(total_changes(clk), changes);	/* settled, no flapping */
	/* The grandmaster dies: the next best takes over within the announce
	 * receipt timeout plus qualification. */
	clk[gm].alive = false;
	sim_run(clk, S(60), S(60 + ART + 3));
	clk[gm].state = PTP_PS_INITIALIZING;
	assert_elected(clk, second);
	changes = total_changes(clk);
	sim_run(clk, S(60 + ART + 3), S(100));
	assert_int_equal(total_changes(clk), changes);
	/* It comes back: it takes over again, then nobody moves. */
	sim_start(&clk[gm], S(100));
	sim_run(clk, S(100), S(115));
	assert_elected(clk, gm);
	changes = total_changes(clk);
	sim_run(clk, S(115), S(200));
	assert_int_equal(total_changes(clk), changes);
}

static void test_three_clocks_elect(void **state)
{
	static const uint8_t perms[6][NCLK] = {
		{ 100, 128, 200 }, { 100, 200, 128 }, { 128, 100, 200 },
		{ 128, 200, 100 }, { 200, 100, 128 }, { 200, 128, 100 },
	};
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		run_election(perms[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_attribute_order),
		cmocka_unit_test(test_compare_identity_octets),
		cmocka_unit_test(test_compare_gm_before_topology),
		cmocka_unit_test(test_compare_null),
		cmocka_unit_test(test_topo_steps_far),
		cmocka_unit_test(test_topo_steps_one),
		cmocka_unit_test(test_topo_steps_equal),
		cmocka_unit_test(test_compare_antisymmetric),
		cmocka_unit_test(test_d0),
		cmocka_unit_test(test_decide_listening),
		cmocka_unit_test(test_decide_class_le_127),
		cmocka_unit_test(test_decide_class_gt_127),
		cmocka_unit_test(test_decide_d0_better_by_topology),
		cmocka_unit_test(test_decide_slave_only),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fsm_full),
		cmocka_unit_test(test_fsm_slave_only),
		cmocka_unit_test(test_foreign_one_not_qualified),
		cmocka_unit_test(test_foreign_parent_stays_qualified),
		cmocka_unit_test(test_foreign_parent_kept_for_receipt_timeout),
		cmocka_unit_test(test_foreign_two_within_window),
		cmocka_unit_test(test_foreign_two_spread),
		cmocka_unit_test(test_foreign_duplicate),
		cmocka_unit_test(test_foreign_expire),
		cmocka_unit_test(test_foreign_steps_255),
		cmocka_unit_test(test_foreign_table_full),
		cmocka_unit_test(test_foreign_table_keeps_qualified),
		cmocka_unit_test(test_foreign_changes),
		cmocka_unit_test(test_foreign_best_of_several),
		cmocka_unit_test(test_three_clocks_elect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
