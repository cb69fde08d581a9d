/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ROAMNAT_CORE_H
#define _ROAMNAT_CORE_H

#include <linux/netfilter.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"
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
#define ROAMNAT_F_ORIG	BIT(2)	/* orig_addr and orig_port are set */
#define ROAMNAT_F_IFINDEX BIT(3)	/* ifindex is set */

/* 64 bytes on 64-bit machines: one cache line, the 64-byte kmalloc cache. */
struct roamnat_entry {
	struct rhash_head node;
	struct roamnat_key key;
	__be32 new_saddr;
	__be32 new_daddr;
	__be16 new_sport;
	__be16 new_dport;
	__be16 orig_port;		/* HAM: the connection's client port */
	u8 flags;
	u8 idle_reported;		/* written without the lock */
	union {				/* not matched; kept for roamd's resync */
		__be32 orig_addr;	/* HAM: the connection's client address */
		u32 ifindex;		/* FAM_OUT: the client's interface */
	};
	u32 last_seen;			/* jiffies, low 32 bits; written without the lock */
	struct rcu_head rcu;
};

struct roamnat_config {
	u16 port_min;
	u16 port_max;
	u16 miss_queue;			/* FAM_OUT misses (Fig. 6) */
	u16 ham_miss_queue;		/* HAM misses and their ICMP errors (Fig. 7) */
	u16 policy_queue;		/* FILTERING_HOLD: clients without a policy yet */
	u8 drop_other;			/* clients' untranslatable packets: drop, not pass */
	u8 filtering;			/* enum roamnat_filtering (policy.c) */
	u32 udp_idle_s;			/* 0: no idle events */
	u32 tcp_idle_s;
	u64 cookie;
	u32 n_ifs;
	int ifindex[ROAMNAT_MAX_CLIENT_IFS];
	struct rcu_head rcu;
};

struct roamnat_pcpu_stats {
	u64 c[__ROAMNAT_C_MAX];
	struct u64_stats_sync syncp;
};

/* The last packet a CPU translated outbound (FAM_OUT, direct): when it
 * cannot be forwarded (too big for the uplink, no route), ip_forward's
 * ICMP error quotes masquerade -> server right after the rewrite, on the
 * same CPU, and this finds its client, which no table keys by the
 * masquerade. rn only tells namespaces apart; it is never dereferenced.
 */
struct roamnat_last_out {
	const struct roamnat_net *rn;
	struct roamnat_key sent;		/* as translated: masquerade -> server */
	__be32 client_addr;
	__be16 client_port;
};

DECLARE_PER_CPU(struct roamnat_last_out, roamnat_last_out);

/* Fig. 14 1465: one rule of a user's policy, matched against the client's peer. */
struct roamnat_rule {
	__be32 addr;
	__be32 mask;
	u8 action;			/* enum roamnat_action */
	u8 proto;			/* 0: every protocol */
	u8 n_ports;			/* 0: every port */
	struct roamnat_port_range ports[ROAMNAT_MAX_RULE_PORTS];
};

/* Immutable once published: a change replaces the whole policy. */
struct roamnat_policy {
	struct rcu_head rcu;
	u8 fallback;			/* enum roamnat_action */
	u32 n_rules;
	struct roamnat_rule rules[];
};

/* A client's address -> its policy, by id: a policy replaced keeps its clients. */
struct roamnat_client {
	struct rhash_head node;
	__be32 addr;
	u32 policy_id;
	struct rcu_head rcu;
};

struct roamnat_net {
	struct rhashtable tables[__ROAMNAT_TABLE_MAX];
	struct xarray policies;			/* id -> struct roamnat_policy */
	struct rhashtable clients;		/* struct roamnat_client */
	u32 n_policies;				/* under lock */
	struct mutex lock;			/* serialises writers */
	struct roamnat_config __rcu *config;	/* NULL: not configured, pass all */
	struct roamnat_pcpu_stats __percpu *stats;
	struct delayed_work idle_work;		/* the idle scan (expire.c) */
	possible_net_t net;
	bool hooked;				/* netfilter hooks registered */
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
void roamnat_kfree(void *ptr, void *arg);
void roamnat_rht_flush(struct rhashtable *ht, const struct rhashtable_params *params,
		       void (*drop)(void *obj));

bool roamnat_client_iface(const struct roamnat_config *cfg, const struct net_device *dev);
int roamnat_hooks_register(struct net *net);
void roamnat_hooks_unregister(struct net *net);

/* Packet path: last_seen is shared by all CPUs, so write it only when it changes. */
static inline void roamnat_touch(struct roamnat_entry *e)
{
	u32 now = (u32)jiffies;

	if (READ_ONCE(e->last_seen) != now)
		WRITE_ONCE(e->last_seen, now);
	if (unlikely(READ_ONCE(e->idle_reported)))
		WRITE_ONCE(e->idle_reported, 0);
}

static inline u32 roamnat_idle_ms(const struct roamnat_entry *e)
{
	return jiffies_to_msecs((u32)jiffies - READ_ONCE(e->last_seen));
}

int roamnat_policy_init(struct roamnat_net *rn);
void roamnat_policy_destroy(struct roamnat_net *rn);
int roamnat_policy_set(struct roamnat_net *rn, u32 id, struct roamnat_policy *p);
int roamnat_policy_del(struct roamnat_net *rn, u32 id);
int roamnat_client_set(struct roamnat_net *rn, __be32 addr, u32 policy_id);
int roamnat_client_del(struct roamnat_net *rn, __be32 addr);
void roamnat_policy_flush(struct roamnat_net *rn);
u32 roamnat_clients_count(struct roamnat_net *rn);
unsigned int roamnat_filter(struct roamnat_net *rn, const struct roamnat_config *cfg,
			    struct sk_buff *skb, const struct nf_hook_state *state, bool outbound);

int roamnat_netlink_init(void);
void roamnat_netlink_exit(void);
void roamnat_notify(struct roamnat_net *rn, int table, const struct roamnat_entry *e, u8 event);

void roamnat_expiry_init(struct roamnat_net *rn, struct net *net);
void roamnat_expiry_reschedule(struct roamnat_net *rn);
void roamnat_expiry_exit(struct roamnat_net *rn);

unsigned int roamnat_miss(struct roamnat_net *rn, const struct roamnat_config *cfg,
			  int table, const struct roamnat_key *key);
unsigned int roamnat_icmp_error(struct roamnat_net *rn, struct sk_buff *skb,
				const struct nf_hook_state *state);
unsigned int roamnat_other(struct roamnat_net *rn, const struct roamnat_config *cfg,
			   struct sk_buff *skb, const struct nf_hook_state *state);

#endif /* _ROAMNAT_CORE_H */
