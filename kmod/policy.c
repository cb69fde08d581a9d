// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user filtering (spec Fig. 14 1465, docs/policy.md): policies by id in
 * an xarray, client addresses -> policy id in a hash table, both read under
 * RCU on the packet path and written under the namespace's mutex. A policy
 * is never changed in place: a new one replaces it and the old is freed
 * after a grace period, so a packet sees one policy whole.
 */
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/route.h>

#include "core.h"

static const struct rhashtable_params roamnat_client_params = {
	.key_len = sizeof(__be32),
	.key_offset = offsetof(struct roamnat_client, addr),
	.head_offset = offsetof(struct roamnat_client, node),
	.automatic_shrinking = true,
};

int roamnat_policy_init(struct roamnat_net *rn)
{
	xa_init(&rn->policies);
	rn->n_policies = 0;
	return rhashtable_init(&rn->clients, &roamnat_client_params);
}

/* Hooks are gone and a grace period has passed: no reader is left. */
void roamnat_policy_destroy(struct roamnat_net *rn)
{
	struct roamnat_policy *p;
	unsigned long id;

	rhashtable_free_and_destroy(&rn->clients, roamnat_kfree, NULL);
	xa_for_each(&rn->policies, id, p)
		kfree(p);
	xa_destroy(&rn->policies);
}

/* Publishes p under id, replacing the policy there; takes p either way. */
int roamnat_policy_set(struct roamnat_net *rn, u32 id, struct roamnat_policy *p)
{
	struct roamnat_policy *old;

	lockdep_assert_held(&rn->lock);
	if (!xa_load(&rn->policies, id) && rn->n_policies >= ROAMNAT_MAX_POLICIES) {
		kfree(p);
		return -ENOSPC;
	}
	old = xa_store(&rn->policies, id, p, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		kfree(p);
		return xa_err(old);
	}
	if (old)
		kfree_rcu(old, rcu);
	else
		rn->n_policies++;
	return 0;
}

/* Its clients stay, and pass nothing until they are given another. */
int roamnat_policy_del(struct roamnat_net *rn, u32 id)
{
	struct roamnat_policy *old;

	lockdep_assert_held(&rn->lock);
	old = xa_erase(&rn->policies, id);
	if (!old)
		return -ENOENT;
	rn->n_policies--;
	kfree_rcu(old, rcu);
	return 0;
}

int roamnat_client_set(struct roamnat_net *rn, __be32 addr, u32 policy_id)
{
	struct roamnat_client *c, *old;
	int err;

	lockdep_assert_held(&rn->lock);
	if (!xa_load(&rn->policies, policy_id))
		return -ENOENT;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	c->addr = addr;
	c->policy_id = policy_id;
	old = rhashtable_lookup_fast(&rn->clients, &addr, roamnat_client_params);
	if (old) {
		err = rhashtable_replace_fast(&rn->clients, &old->node, &c->node,
					      roamnat_client_params);
		if (!err)
			kfree_rcu(old, rcu);
	} else if (atomic_read(&rn->clients.nelems) >= roamnat_max_entries) {
		err = -ENOSPC;
	} else {
		err = rhashtable_insert_fast(&rn->clients, &c->node, roamnat_client_params);
	}
	if (err)
		kfree(c);
	return err;
}

int roamnat_client_del(struct roamnat_net *rn, __be32 addr)
{
	struct roamnat_client *c;
	int err;

	lockdep_assert_held(&rn->lock);
	c = rhashtable_lookup_fast(&rn->clients, &addr, roamnat_client_params);
	if (!c)
		return -ENOENT;
	err = rhashtable_remove_fast(&rn->clients, &c->node, roamnat_client_params);
	if (!err)
		kfree_rcu(c, rcu);
	return err;
}

static void roamnat_client_drop(void *obj)
{
	struct roamnat_client *c = obj;

	kfree_rcu(c, rcu);
}

void roamnat_policy_flush(struct roamnat_net *rn)
{
	struct roamnat_policy *p;
	unsigned long id;

	lockdep_assert_held(&rn->lock);
	roamnat_rht_flush(&rn->clients, &roamnat_client_params, roamnat_client_drop);
	xa_for_each(&rn->policies, id, p) {
		xa_erase(&rn->policies, id);
		kfree_rcu(p, rcu);
	}
	rn->n_policies = 0;
}

u32 roamnat_clients_count(struct roamnat_net *rn)
{
	return atomic_read(&rn->clients.nelems);
}

static bool roamnat_port_in(const struct roamnat_rule *r, u16 port)
{
	u8 i;

	for (i = 0; i < r->n_ports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

/* The first rule that matches decides, else the policy's default. */
static u8 roamnat_decide(const struct roamnat_policy *p, u8 proto, __be32 peer, int port)
{
	const struct roamnat_rule *r;
	u32 i;

	for (i = 0; i < p->n_rules; i++) {
		r = &p->rules[i];
		if (r->proto && r->proto != proto)
			continue;
		if ((peer & r->mask) != r->addr)
			continue;
		/* A datagram whose ports cannot be read matches no port rule. */
		if (r->n_ports && (port < 0 || !roamnat_port_in(r, port)))
			continue;
		return r->action;
	}
	return p->fallback;
}

/*
 * Outbound (from a client interface, before translation) the client is the
 * source and its peer the destination; inbound (forwarded to a client
 * interface, after translation) the other way round. Outbound, what is for
 * this host itself, broadcast or multicast passes whatever the policy says
 * (DHCP, DNS on the AP): the fib is asked only when the policy refuses, so
 * a permitted packet pays no route lookup.
 */
unsigned int roamnat_filter(struct roamnat_net *rn, const struct roamnat_config *cfg,
			    struct sk_buff *skb, const struct nf_hook_state *state, bool outbound)
{
	const struct roamnat_policy *p = NULL;
	const struct roamnat_client *c;
	const struct iphdr *iph;
	__be32 client, peer;
	int port = -1;
	int counter;

	iph = ip_hdr(skb);
	if ((iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) &&
	    !ip_is_fragment(iph) && pskb_may_pull(skb, ip_hdrlen(skb) + 2 * sizeof(__be16))) {
		const __be16 *ports;

		iph = ip_hdr(skb);	/* pskb_may_pull() may have moved it */
		ports = (const __be16 *)(skb_network_header(skb) + ip_hdrlen(skb));
		port = ntohs(outbound ? ports[1] : ports[0]);
	}
	client = outbound ? iph->saddr : iph->daddr;
	peer = outbound ? iph->daddr : iph->saddr;
	c = rhashtable_lookup(&rn->clients, &client, roamnat_client_params);
	if (c)
		p = xa_load(&rn->policies, c->policy_id);
	if (p && roamnat_decide(p, iph->protocol, peer, port) == ROAMNAT_ACTION_PERMIT)
		return NF_ACCEPT;
	if (outbound && inet_addr_type_dev_table(state->net, state->in, peer) != RTN_UNICAST)
		return NF_ACCEPT;
	/*
	 * Fig. 14 1435, filtering = hold: roamd repeats the packet once the
	 * policy is here, or drops it. No bypass: without roamd, nothing passes.
	 */
	if (!p && cfg->filtering == ROAMNAT_FILTERING_HOLD) {
		roamnat_count(rn, ROAMNAT_C_POLICY_HELD, 1);
		return NF_QUEUE_NR(cfg->policy_queue);
	}
	counter = p ? ROAMNAT_C_POLICY_DENIED : ROAMNAT_C_POLICY_UNKNOWN;
	roamnat_count(rn, counter, 1);
	net_dbg_ratelimited("roamnat: protocol %u %pI4 -> %pI4 %s, dropped\n", iph->protocol,
			    &iph->saddr, &iph->daddr,
			    p ? "denied by the client's policy" : "for a client without a policy");
	return NF_DROP;
}
