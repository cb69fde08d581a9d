// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: FAM outbound (Fig. 6 620-660), HAM inbound (Fig. 7
 * 705-740) and FAM inbound (Fig. 7 745-765), one netfilter hook at
 * PREROUTING per network namespace. TCP, UDP and ICMP echo (RFC 5508: the
 * identifier is the port of its side, struct roamnat_key in the uapi header)
 * are translated; ICMP errors in icmp.c.
 *
 * Priority NF_IP_PRI_RAW + 10: after defragmentation (-400) and the raw
 * table (-300), before conntrack (-200), which never sees a translated
 * packet (each is marked untracked). Works with and without conntrack.
 * A second hook at LOCAL_OUT translates the ICMP errors this host itself
 * sends about a translated packet (icmp.c); a third, at FORWARD, holds
 * what goes to a client to its user's policy (policy.c).
 */
#include <linux/icmp.h>
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

/* Where the transport checksum is, and the writable length a rewrite needs. */
static unsigned int roamnat_l4_csum_off(u8 proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return offsetof(struct udphdr, check);
	case IPPROTO_ICMP:
		return offsetof(struct icmphdr, checksum);
	default:
		return offsetof(struct tcphdr, check);
	}
}

static unsigned int roamnat_rewrite(struct roamnat_net *rn, struct sk_buff *skb, unsigned int thoff,
				    struct roamnat_entry *e, int table)
{
	int counter = roamnat_table_counter[table];
	__be16 *sport, *dport, *id;
	unsigned int csum_off, len;
	struct iphdr *iph;
	__sum16 *l4sum, *pseudo;
	bool udp, icmp, request = false;

	udp = e->key.proto == IPPROTO_UDP;
	icmp = e->key.proto == IPPROTO_ICMP;
	csum_off = roamnat_l4_csum_off(e->key.proto);
	/* For TCP this covers the flags too (FIN/RST events below). */
	len = icmp ? sizeof(struct icmphdr) : csum_off + sizeof(__sum16);
	if (skb_ensure_writable(skb, thoff + len)) {
		roamnat_count(rn, ROAMNAT_C_DROP_MALFORMED, 1);
		return NF_DROP;
	}
	/* skb_ensure_writable() may have moved the headers. */
	iph = ip_hdr(skb);
	sport = (__be16 *)(skb_network_header(skb) + thoff);
	dport = sport + 1;
	l4sum = (__sum16 *)(skb_network_header(skb) + thoff + csum_off);
	if (udp && !*l4sum)
		l4sum = NULL;
	/* ICMP has no pseudo-header; the identifier is on one side only. */
	pseudo = icmp ? NULL : l4sum;
	if (icmp) {
		id = &((struct icmphdr *)sport)->un.echo.id;
		request = ((struct icmphdr *)sport)->type == ICMP_ECHO;
		sport = request ? id : NULL;
		dport = request ? NULL : id;
	}

	if (e->flags & ROAMNAT_F_SRC) {
		roamnat_set_addr(skb, iph, &iph->saddr, e->new_saddr, pseudo);
		if (sport)
			roamnat_set_port(skb, sport, e->new_sport, l4sum);
	}
	if (e->flags & ROAMNAT_F_DST) {
		roamnat_set_addr(skb, iph, &iph->daddr, e->new_daddr, pseudo);
		if (dport)
			roamnat_set_port(skb, dport, e->new_dport, l4sum);
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
	if (e->key.proto == IPPROTO_TCP) {
		const struct tcphdr *th = (const struct tcphdr *)(skb_network_header(skb) + thoff);

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

/* What a client sends that roamnat cannot translate (other IP protocols,
 * ICMP that is neither echo nor an error about a translated flow): passed
 * where the network routes the clients' subnet, else dropped and counted.
 * Whatever is for this AP itself, broadcast or multicast always passes.
 */
unsigned int roamnat_other(struct roamnat_net *rn, const struct roamnat_config *cfg,
			   struct sk_buff *skb, const struct nf_hook_state *state)
{
	if (!cfg->drop_other || !state->in || !roamnat_client_iface(cfg, state->in) ||
	    inet_addr_type_dev_table(state->net, state->in, ip_hdr(skb)->daddr) != RTN_UNICAST)
		return NF_ACCEPT;
	roamnat_count(rn, ROAMNAT_C_DROP_OTHER, 1);
	net_dbg_ratelimited("roamnat: protocol %u from client %pI4 to %pI4 not translated, dropped\n",
			    ip_hdr(skb)->protocol, &ip_hdr(skb)->saddr, &ip_hdr(skb)->daddr);
	return NF_DROP;
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
	unsigned int hdrlen;
	const __be16 *ports;
	bool from_client, request = false;
	unsigned int verdict;
	u16 dport;
	u8 type;

	cfg = rcu_dereference(rn->config);
	if (!cfg || !pskb_may_pull(skb, sizeof(struct iphdr)))
		return NF_ACCEPT;
	from_client = roamnat_client_iface(cfg, state->in);
	/* Fig. 14 1465: the user's policy first, whatever the protocol. */
	if (cfg->filtering && from_client) {
		verdict = roamnat_filter(rn, cfg, skb, state, true);
		if (verdict != NF_ACCEPT)
			return verdict;
	}
	iph = ip_hdr(skb);
	thoff = ip_hdrlen(skb);
	switch (iph->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		hdrlen = 2 * sizeof(__be16);
		break;
	case IPPROTO_ICMP:
		if (!ip_is_fragment(iph) && pskb_may_pull(skb, thoff + sizeof(struct icmphdr))) {
			type = ((struct icmphdr *)(skb_network_header(skb) + thoff))->type;
			if (type != ICMP_ECHO && type != ICMP_ECHOREPLY)
				return roamnat_icmp_error(rn, skb, state);
		}
		hdrlen = sizeof(struct icmphdr);
		break;
	default:
		return roamnat_other(rn, cfg, skb, state);
	}
	/* With nf_defrag_ipv4 active only whole datagrams get here; a fragment
	 * left over cannot be matched by ports and is never rewritten.
	 */
	if (ip_is_fragment(iph) || !pskb_may_pull(skb, thoff + hdrlen)) {
		if (!from_client)
			return NF_ACCEPT;
		roamnat_count(rn, ROAMNAT_C_DROP_MALFORMED, 1);
		return NF_DROP;
	}
	iph = ip_hdr(skb);
	ports = (const __be16 *)(skb_network_header(skb) + thoff);
	key.saddr = iph->saddr;
	key.daddr = iph->daddr;
	key.proto = iph->protocol;
	if (key.proto == IPPROTO_ICMP) {
		const struct icmphdr *ih = (const struct icmphdr *)ports;

		request = ih->type == ICMP_ECHO;
		key.sport = request ? ih->un.echo.id : 0;
		key.dport = request ? 0 : ih->un.echo.id;
	} else {
		key.sport = ports[0];
		key.dport = ports[1];
	}

	if (from_client) {
		/* It dies here (ip_forward): this AP's time exceeded must quote
		 * what the client sent, so the client's traceroute sees its hop.
		 */
		if (iph->ttl <= 1)
			return NF_ACCEPT;
		/* A client answers pings of its AP only; nothing else asks it. */
		if (key.proto == IPPROTO_ICMP && !request)
			return roamnat_other(rn, cfg, skb, state);
		e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_FAM_OUT], &key, roamnat_rht_params);
		if (e)
			return roamnat_rewrite(rn, skb, thoff, e, ROAMNAT_TABLE_FAM_OUT);
		/* Traffic for the AP itself, broadcast and multicast pass. */
		if (inet_addr_type_dev_table(state->net, state->in, key.daddr) != RTN_UNICAST)
			return NF_ACCEPT;
		return roamnat_miss(rn, cfg, ROAMNAT_TABLE_FAM_OUT, &key);
	}

	/* An echo request for this host, or outbound via the HAM from a FAM. */
	if (key.proto == IPPROTO_ICMP && request) {
		e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_HAM_REV], &key, roamnat_rht_params);
		return e ? roamnat_rewrite(rn, skb, thoff, e, ROAMNAT_TABLE_HAM_REV) : NF_ACCEPT;
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

/* Fig. 14 1465, inbound: what is forwarded to a client passes its user's
 * policy, after translation (Fig. 7 760), on the HAM -> FAM relay path as
 * on the direct one. ICMP errors pass: icmp.c translates only those that
 * quote a connection of the client.
 */
static unsigned int roamnat_forward(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct roamnat_net *rn = roamnat_pernet(state->net);
	const struct roamnat_config *cfg;
	const struct iphdr *iph;
	u8 type;

	cfg = rcu_dereference(rn->config);
	if (!cfg || !cfg->filtering || !state->out || !roamnat_client_iface(cfg, state->out))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	if (iph->protocol == IPPROTO_ICMP && !ip_is_fragment(iph) &&
	    pskb_may_pull(skb, ip_hdrlen(skb) + sizeof(struct icmphdr))) {
		type = ((struct icmphdr *)(skb_network_header(skb) + ip_hdrlen(skb)))->type;
		if (type != ICMP_ECHO && type != ICMP_ECHOREPLY)
			return NF_ACCEPT;
	}
	return roamnat_filter(rn, cfg, skb, state, false);
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
		/* Returns at once unless FILTERING is set. */
		.hook = roamnat_forward,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP_PRI_FILTER,
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
