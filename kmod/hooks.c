// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: FAM outbound (Fig. 6 620-660), HAM inbound (Fig. 7
 * 705-740) and FAM inbound (Fig. 7 745-765), one netfilter hook at
 * PREROUTING per network namespace.
 *
 * Priority NF_IP_PRI_RAW + 10: after defragmentation (-400) and the raw
 * table (-300), before conntrack (-200), which never sees a translated
 * packet (each is marked untracked). Works with and without conntrack.
 * A second hook at LOCAL_OUT translates the ICMP errors this host itself
 * sends about a translated packet (icmp.c).
 */
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>

#include "core.h"

bool roamnat_client_iface(const struct roamnat_config *cfg, const struct net_device *dev)
{
	u32 i;

	for (i = 0; i < cfg->n_ifs; i++)
		if (cfg->ifindex[i] == dev->ifindex)
			return true;
	return false;
}

/* Incremental checksum updates: RFC 1624 through the kernel's helpers, which
 * also handle CHECKSUM_PARTIAL (only the pseudo-header part is adjusted then,
 * the port being covered when the checksum is completed). A UDP datagram
 * without checksum (0) keeps none.
 */
static void roamnat_set_addr(struct sk_buff *skb, struct iphdr *iph, __be32 *addr, __be32 to,
			     __sum16 *l4sum)
{
	if (l4sum)
		inet_proto_csum_replace4(l4sum, skb, *addr, to, true);
	csum_replace4(&iph->check, *addr, to);
	*addr = to;
}

static void roamnat_set_port(struct sk_buff *skb, __be16 *port, __be16 to, __sum16 *l4sum)
{
	if (l4sum)
		inet_proto_csum_replace2(l4sum, skb, *port, to, false);
	*port = to;
}

/* The packets counter of each table; its bytes counter follows it. */
static const u8 roamnat_table_counter[__ROAMNAT_TABLE_MAX] = {
	[ROAMNAT_TABLE_FAM_OUT] = ROAMNAT_C_FAM_OUT_PACKETS,
	[ROAMNAT_TABLE_FAM_IN] = ROAMNAT_C_FAM_IN_PACKETS,
	[ROAMNAT_TABLE_HAM] = ROAMNAT_C_HAM_PACKETS,
	[ROAMNAT_TABLE_HAM_REV] = ROAMNAT_C_HAM_REV_PACKETS,
};

DEFINE_PER_CPU(struct roamnat_last_out, roamnat_last_out);

static void roamnat_note_out(const struct roamnat_net *rn, const struct roamnat_entry *e)
{
	struct roamnat_last_out *l = this_cpu_ptr(&roamnat_last_out);

	BUILD_BUG_ON(sizeof(*l) != 32);	/* docs/netlink.md: 32 bytes per CPU */
	l->rn = rn;
	l->sent.saddr = e->new_saddr;
	l->sent.sport = e->new_sport;
	l->sent.daddr = e->key.daddr;
	l->sent.dport = e->key.dport;
	l->sent.proto = e->key.proto;
	l->client_addr = e->key.saddr;
	l->client_port = e->key.sport;
}

static unsigned int roamnat_rewrite(struct roamnat_net *rn, struct sk_buff *skb, unsigned int thoff,
				    struct roamnat_entry *e, int table)
{
	int counter = roamnat_table_counter[table];
	unsigned int csum_off;
	struct iphdr *iph;
	__sum16 *l4sum;
	__be16 *ports;
	bool udp;

	udp = e->key.proto == IPPROTO_UDP;
	csum_off = udp ? offsetof(struct udphdr, check) : offsetof(struct tcphdr, check);
	/* For TCP this covers the flags too (FIN/RST events below). */
	if (skb_ensure_writable(skb, thoff + csum_off + sizeof(__sum16))) {
		roamnat_count(rn, ROAMNAT_C_DROP_MALFORMED, 1);
		return NF_DROP;
	}
	/* skb_ensure_writable() may have moved the headers. */
	iph = ip_hdr(skb);
	ports = (__be16 *)(skb_network_header(skb) + thoff);
	l4sum = (__sum16 *)(skb_network_header(skb) + thoff + csum_off);
	if (udp && !*l4sum)
		l4sum = NULL;

	if (e->flags & ROAMNAT_F_SRC) {
		roamnat_set_addr(skb, iph, &iph->saddr, e->new_saddr, l4sum);
		roamnat_set_port(skb, &ports[0], e->new_sport, l4sum);
	}
	if (e->flags & ROAMNAT_F_DST) {
		roamnat_set_addr(skb, iph, &iph->daddr, e->new_daddr, l4sum);
		roamnat_set_port(skb, &ports[1], e->new_dport, l4sum);
		skb_dst_drop(skb);
	}
	if (udp && l4sum && !*l4sum)
		*l4sum = CSUM_MANGLED_0;
	skb_clear_hash(skb);
	if (!skb_nfct(skb))
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);

	roamnat_touch(e);
	if (table == ROAMNAT_TABLE_FAM_OUT && (e->flags & ROAMNAT_F_DST))
		counter = ROAMNAT_C_FAM_OUT_VIA_PACKETS;
	else if (table == ROAMNAT_TABLE_FAM_OUT)
		roamnat_note_out(rn, e);
	roamnat_count(rn, counter, 1);
	roamnat_count(rn, counter + 1, skb->len);
	if (!udp) {
		const struct tcphdr *th = (const struct tcphdr *)ports;

		if (th->rst || th->fin)
			roamnat_notify(rn, table, e,
				       th->rst ? ROAMNAT_EV_TCP_RST : ROAMNAT_EV_TCP_FIN);
	}
	return NF_ACCEPT;
}

unsigned int roamnat_miss(struct roamnat_net *rn, const struct roamnat_config *cfg,
			  int table, const struct roamnat_key *key)
{
	struct roamnat_entry shown = { .key = *key, .last_seen = (u32)jiffies };

	roamnat_count(rn, ROAMNAT_C_MISSES, 1);
	roamnat_notify(rn, table, &shown, ROAMNAT_EV_MISS);
	/* Held in the queue until roamd installs the entry and repeats it; the
	 * queue tells roamd which flowchart the miss belongs to.
	 */
	return NF_QUEUE_NR(table == ROAMNAT_TABLE_HAM ? cfg->ham_miss_queue : cfg->miss_queue);
}

static unsigned int roamnat_prerouting(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct roamnat_net *rn = roamnat_pernet(state->net);
	const struct roamnat_config *cfg;
	struct roamnat_key key = {};
	struct roamnat_entry *e;
	const struct iphdr *iph;
	unsigned int thoff;
	const __be16 *ports;
	bool from_client;
	u16 dport;

	cfg = rcu_dereference(rn->config);
	if (!cfg || !pskb_may_pull(skb, sizeof(struct iphdr)))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	if (iph->protocol == IPPROTO_ICMP)
		return roamnat_icmp_error(rn, skb, state);
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return NF_ACCEPT;
	from_client = roamnat_client_iface(cfg, state->in);
	thoff = ip_hdrlen(skb);
	/* With nf_defrag_ipv4 active only whole datagrams get here; a fragment
	 * left over cannot be matched by ports and is never rewritten.
	 */
	if (ip_is_fragment(iph) || !pskb_may_pull(skb, thoff + 2 * sizeof(__be16))) {
		if (!from_client)
			return NF_ACCEPT;
		roamnat_count(rn, ROAMNAT_C_DROP_MALFORMED, 1);
		return NF_DROP;
	}
	iph = ip_hdr(skb);
	ports = (const __be16 *)(skb_network_header(skb) + thoff);
	key.saddr = iph->saddr;
	key.daddr = iph->daddr;
	key.sport = ports[0];
	key.dport = ports[1];
	key.proto = iph->protocol;

	if (from_client) {
		/* It dies here (ip_forward): this AP's time exceeded must quote
		 * what the client sent, so the client's traceroute sees its hop.
		 */
		if (iph->ttl <= 1)
			return NF_ACCEPT;
		e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_FAM_OUT], &key, roamnat_rht_params);
		if (e)
			return roamnat_rewrite(rn, skb, thoff, e, ROAMNAT_TABLE_FAM_OUT);
		/* Traffic for the AP itself, broadcast and multicast pass. */
		if (inet_addr_type_dev_table(state->net, state->in, key.daddr) != RTN_UNICAST)
			return NF_ACCEPT;
		return roamnat_miss(rn, cfg, ROAMNAT_TABLE_FAM_OUT, &key);
	}

	dport = ntohs(key.dport);
	if (dport < cfg->port_min || dport > cfg->port_max ||
	    inet_addr_type_dev_table(state->net, state->in, key.daddr) != RTN_LOCAL)
		return NF_ACCEPT;
	e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_HAM], &key, roamnat_rht_params);
	if (e) {
		if (!(e->flags & ROAMNAT_F_DST))
			return roamnat_miss(rn, cfg, ROAMNAT_TABLE_HAM, &key);	/* Fig. 7 725 */
		return roamnat_rewrite(rn, skb, thoff, e, ROAMNAT_TABLE_HAM);
	}
	e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_FAM_IN], &key, roamnat_rht_params);
	if (e)
		return roamnat_rewrite(rn, skb, thoff, e, ROAMNAT_TABLE_FAM_IN);
	/* Outbound via the HAM: the FAM sent it here, on to the server. */
	e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_HAM_REV], &key, roamnat_rht_params);
	if (e)
		return roamnat_rewrite(rn, skb, thoff, e, ROAMNAT_TABLE_HAM_REV);
	/* Fig. 7 715 -> 785: nobody here owns this endpoint. */
	roamnat_count(rn, ROAMNAT_C_DROP_UNKNOWN, 1);
	net_dbg_ratelimited("roamnat: no HAM or FAM entry for %pI4:%u -> %pI4:%u, dropped\n",
			    &key.saddr, ntohs(key.sport), &key.daddr, dport);
	return NF_DROP;
}

static unsigned int roamnat_local_out(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct roamnat_net *rn = roamnat_pernet(state->net);

	if (!rcu_access_pointer(rn->config) || ip_hdr(skb)->protocol != IPPROTO_ICMP)
		return NF_ACCEPT;
	return roamnat_icmp_error(rn, skb, state);
}

static const struct nf_hook_ops roamnat_nf_ops[] = {
	{
		.hook = roamnat_prerouting,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_RAW + 10,
	},
	{
		/* ICMP errors this host sends about a translated packet (icmp.c). */
		.hook = roamnat_local_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_RAW + 10,
	},
};

/* Hooked on the first SET_CONFIG only (as net/ipv6/ila does on its first
 * mapping): a namespace the module does not serve pays nothing, not even
 * defragmentation. Called with rn->lock held.
 */
int roamnat_hooks_register(struct net *net)
{
	struct roamnat_net *rn = roamnat_pernet(net);
	int err;

	if (rn->hooked)
		return 0;
	err = nf_defrag_ipv4_enable(net);
	if (err)
		return err;
	err = nf_register_net_hooks(net, roamnat_nf_ops, ARRAY_SIZE(roamnat_nf_ops));
	if (err) {
		nf_defrag_ipv4_disable(net);
		return err;
	}
	rn->hooked = true;
	return 0;
}

/* Waits for the packet path to leave the hooks. */
void roamnat_hooks_unregister(struct net *net)
{
	struct roamnat_net *rn = roamnat_pernet(net);

	if (!rn->hooked)
		return;
	nf_unregister_net_hooks(net, roamnat_nf_ops, ARRAY_SIZE(roamnat_nf_ops));
	nf_defrag_ipv4_disable(net);
	rn->hooked = false;
}
