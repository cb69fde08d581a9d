/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ROAMNAT_CORE_H
#define _ROAMNAT_CORE_H

#include <linux/rhashtable.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "uapi/roamnat.h"

#define ROAMNAT_MAX_CLIENT_IFS	64

/* The packet's 5-tuple as it arrives, before any rewrite. */
struct roamnat_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	u8 proto;
	u8 pad[3];
};

#define ROAMNAT_F_SRC	BIT(0)	/* rewrite source address and port */
#define ROAMNAT_F_DST	BIT(1)	/* rewrite destination address and port */

struct roamnat_entry {
	struct rhash_head node;
	struct roamnat_key key;
	__be32 new_saddr;
	__be32 new_daddr;
	__be16 new_sport;
	__be16 new_dport;
	u8 flags;
	unsigned long last_seen;	/* jiffies; written without the lock */
	struct rcu_head rcu;
};

struct roamnat_config {
	u16 port_min;
	u16 port_max;
	u16 miss_queue;
	u32 n_ifs;
	int ifindex[ROAMNAT_MAX_CLIENT_IFS];
	struct rcu_head rcu;
};

struct roamnat_pcpu_stats {
	u64 c[__ROAMNAT_C_MAX];
	struct u64_stats_sync syncp;
};

struct roamnat_net {
	struct rhashtable tables[__ROAMNAT_TABLE_MAX];
	struct mutex lock;			/* serialises writers */
	struct roamnat_config __rcu *config;	/* NULL: not configured, pass all */
	struct roamnat_pcpu_stats __percpu *stats;
	bool defrag;
};

extern unsigned int roamnat_net_id;
extern const struct rhashtable_params roamnat_rht_params;
extern unsigned int roamnat_max_entries;

static inline struct roamnat_net *roamnat_pernet(struct net *net)
{
	return net_generic(net, roamnat_net_id);
}

static inline void roamnat_count(struct roamnat_net *rn, int what, u64 by)
{
	struct roamnat_pcpu_stats *s = this_cpu_ptr(rn->stats);

	u64_stats_update_begin(&s->syncp);
	s->c[what] += by;
	u64_stats_update_end(&s->syncp);
}

int roamnat_table_init(struct roamnat_net *rn);
void roamnat_table_destroy(struct roamnat_net *rn);
int roamnat_table_add(struct roamnat_net *rn, int table, const struct roamnat_entry *tmpl);
int roamnat_table_del(struct roamnat_net *rn, int table, const struct roamnat_key *key);
void roamnat_table_flush(struct roamnat_net *rn, int table);

int roamnat_hooks_register(struct net *net);
void roamnat_hooks_unregister(struct net *net);

int roamnat_netlink_init(void);
void roamnat_netlink_exit(void);

#endif /* _ROAMNAT_CORE_H */
