/* qsbr: replacing a table that worker threads read, without locks on
 * their path (quiescent-state-based reclamation, the user-space form of
 * RCU).
 *
 * The main thread publishes a new table with an atomic pointer exchange
 * and hands the old one to qsbr_retire(). A worker thread registers once
 * and calls qsbr_quiescent() at the top of each pass of its loop, at a
 * point where it holds no pointer into any such table. A retired table is
 * freed by qsbr_reclaim() (main thread, from a periodic tick) once every
 * registered worker has passed a quiescent point after the retirement:
 * no worker can still be reading it. A worker blocked in a system call
 * delays the freeing, never its correctness; the server's workers wake at
 * least every 200 ms. Main-thread readers need nothing: they never run
 * during a replacement. Process-wide, as the worker threads are. */
#ifndef GNOMON_QSBR_H
#define GNOMON_QSBR_H

#define QSBR_MAX_READERS 64

/* A worker thread: a reader slot (>= 0), or -ENOSPC (then nothing retired
 * is freed before qsbr_fini, which is safe; pass the slot to
 * qsbr_unregister all the same). */
int qsbr_register(void);
void qsbr_unregister(int slot);
/* The worker holds no pointer into a replaceable table now. */
void qsbr_quiescent(int slot);
/* Main thread: free p with free_fn once no worker can read it. */
void qsbr_retire(void *p, void (*free_fn)(void *));
/* Main thread: free what every worker has passed; returns how many are
 * still waiting. */
int qsbr_reclaim(void);
/* At exit, after the workers have stopped: free everything retired. */
void qsbr_fini(void);

#endif
