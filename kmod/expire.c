// SPDX-License-Identifier: GPL-2.0
/*
 * Idle expiry: a periodic scan per namespace reports, once, every entry no
 * packet matched for its protocol's idle time (ROAMNAT_EV_IDLE), so that
 * roamd and the coordinator end the connection. The module never removes
 * an entry itself: roamd owns the tables and keeps its state in step.
 */
#include <linux/sched.h>

#include "core.h"

#define ROAMNAT_SCAN_BATCH	1024

struct roamnat_idle_limits {
	u32 udp_s;
	u32 tcp_s;
};

static void roamnat_scan_table(struct roamnat_net *rn, int table,
			       const struct roamnat_idle_limits *lim)
{
	struct rhashtable_iter iter;
	struct roamnat_entry *e;
	unsigned int n = 0;
	u32 limit_s;

	rhashtable_walk_enter(&rn->tables[table], &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter)) != NULL) {
		if (IS_ERR(e))
			continue;	/* -EAGAIN: resized, the walk goes on */
		limit_s = e->key.proto == IPPROTO_TCP ? lim->tcp_s : lim->udp_s;
		if (limit_s && !READ_ONCE(e->idle_reported) &&
		    roamnat_idle_ms(e) >= limit_s * 1000ULL) {
			WRITE_ONCE(e->idle_reported, 1);
			/* Counters are per-CPU and also written from softirq. */
			local_bh_disable();
			roamnat_notify(rn, table, e, ROAMNAT_EV_IDLE);
			local_bh_enable();
		}
		if (++n % ROAMNAT_SCAN_BATCH == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

static bool roamnat_idle_limits(struct roamnat_net *rn, struct roamnat_idle_limits *lim,
				unsigned long *period)
{
	const struct roamnat_config *cfg;
	u32 shortest;

	rcu_read_lock();
	cfg = rcu_dereference(rn->config);
	lim->udp_s = cfg ? cfg->udp_idle_s : 0;
	lim->tcp_s = cfg ? cfg->tcp_idle_s : 0;
	rcu_read_unlock();
	shortest = min_not_zero(lim->udp_s, lim->tcp_s);
	/* A quarter of the shortest timeout: reports come at most 25% late. */
	*period = clamp_t(unsigned long, shortest * (HZ / 4), HZ, 30 * HZ);
	return shortest;
}

static void roamnat_idle_scan(struct work_struct *work)
{
	struct roamnat_net *rn = container_of(to_delayed_work(work), struct roamnat_net, idle_work);
	struct roamnat_idle_limits lim;
	unsigned long period;
	int t;

	if (!roamnat_idle_limits(rn, &lim, &period))
		return;		/* rescheduled by the next SET_CONFIG */
	for (t = 0; t < __ROAMNAT_TABLE_MAX; t++)
		roamnat_scan_table(rn, t, &lim);
	queue_delayed_work(system_power_efficient_wq, &rn->idle_work, period);
}

void roamnat_expiry_init(struct roamnat_net *rn, struct net *net)
{
	write_pnet(&rn->net, net);
	INIT_DELAYED_WORK(&rn->idle_work, roamnat_idle_scan);
}

/* After a configuration change: scan soon with the new limits. */
void roamnat_expiry_reschedule(struct roamnat_net *rn)
{
	mod_delayed_work(system_power_efficient_wq, &rn->idle_work, HZ);
}

void roamnat_expiry_exit(struct roamnat_net *rn)
{
	cancel_delayed_work_sync(&rn->idle_work);
}
