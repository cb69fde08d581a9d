// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about a translated connection (destination unreachable,
 * fragmentation needed, time exceeded, parameter problem, source quench)
 * are translated like the packets they answer, quoted header included, so
 * that client and server each find their own socket and path-MTU discovery
 * keeps working through a HAM and after a roam.
 *
 * An error travels opposite to the packet it quotes, so the key is the
 * quoted 5-tuple reversed:
 *  - from a client: the quote is server -> client; FAM_OUT gives the
 *    masquerade, which replaces the outer source and the quoted
 *    destination (Fig. 6 650 applied to the error);
 *  - to this host from elsewhere: the quote is masquerade (or FAM) ->
 *    server; HAM, then FAM_IN, give the next hop, which replaces the outer
 *    destination and the quoted source (Fig. 7 735 and 760); a HAM entry
 *    without its FAM queues the error for roamd like a data packet (725);
 *  - sent by this host (LOCAL_OUT), e.g. fragmentation needed on a client
 *    link: the quote is server -> client and becomes server -> masquerade;
 *    the outer header is this host's own and stays;
 *  - sent by this host about a packet it already translated outbound, e.g.
 *    fragmentation needed on a smaller uplink: the quote is masquerade ->
 *    server, addressed to the masquerade. With this host as the HAM,
 *    HAM/FAM_IN give the next hop as for an arriving error; with another
 *    HAM, the packet just translated on this CPU does (roamnat_last_out) -
 *    sent to that HAM, the error would come back from this host's own
 *    address and be dropped as spoofed. The outer destination and the
 *    quoted source become the client's, and the error is routed again.
 *
 * A quoted echo request keys by its identifier as the packet does (hooks.c).
 * An error to this host that quotes a masquerade port no entry has is
 * dropped (DROP_UNKNOWN), one whose quote cannot be read DROP_MALFORMED: a
 * forged error never reaches a client, and this host's own connections,
 * outside the port range, get theirs.
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>

#include "core.h"

static bool roamnat_icmp_is_error(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB || type == ICMP_SOURCE_QUENCH;
}

/* *fam_unknown: a HAM entry matched whose FAM roamd has not installed yet. */
static struct roamnat_entry *roamnat_icmp_lookup(struct roamnat_net *rn,
						 const struct roamnat_key *key, bool outbound,
						 bool *fam_unknown)
{
	struct roamnat_entry *e;

	if (outbound) {
		e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_FAM_OUT], key, roamnat_rht_params);
		/* Outbound via the HAM quotes the FAM's endpoint: not translated. */
		return e && !(e->flags & ROAMNAT_F_DST) ? e : NULL;
	}
	e = rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_HAM], key, roamnat_rht_params);
	if (e) {
		*fam_unknown = !(e->flags & ROAMNAT_F_DST);
		return *fam_unknown ? NULL : e;
	}
	return rhashtable_lookup(&rn->tables[ROAMNAT_TABLE_FAM_IN], key, roamnat_rht_params);
}

/* This host's own error about the packet it just translated outbound, with
 * a masquerade of another HAM (struct roamnat_last_out): its client.
 */
static bool roamnat_icmp_last_out(const struct roamnat_net *rn, const struct roamnat_key *key,
				  __be32 *client_addr, __be16 *client_port)
{
	const struct roamnat_last_out *l = this_cpu_ptr(&roamnat_last_out);

	/* The quote is what was sent; the key is it reversed. */
	if (l->rn != rn || l->sent.proto != key->proto ||
	    l->sent.saddr != key->daddr || l->sent.sport != key->dport ||
	    l->sent.daddr != key->saddr || l->sent.dport != key->sport)
		return false;
	*client_addr = l->client_addr;
	*client_port = l->client_port;
	return true;
}

/* The quoted packet's transport checksum, when the quote holds it. */
static __sum16 *roamnat_quoted_l4sum(struct sk_buff *skb, const struct iphdr *inner,
				     unsigned int l4off)
{
	unsigned int off;
	__sum16 *sum;

	switch (inner->protocol) {
	case IPPROTO_UDP:
		off = offsetof(struct udphdr, check);
		break;
	case IPPROTO_ICMP:
		off = offsetof(struct icmphdr, checksum);
		break;
	default:
		off = offsetof(struct tcphdr, check);
	}
	if (l4off + off + sizeof(__sum16) > skb->len)
		return NULL;
	sum = (__sum16 *)(skb_network_header(skb) + l4off + off);
	return inner->protocol == IPPROTO_UDP && !*sum ? NULL : sum;
}

/* Not translatable: an error from a client goes the way of other traffic; one
 * to this host quoting the port range is forged or stale and never passes.
 */
static unsigned int roamnat_icmp_refuse(struct roamnat_net *rn, const struct roamnat_config *cfg,
					struct sk_buff *skb, const struct nf_hook_state *state,
					bool ours, int counter)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (state->hook == NF_INET_LOCAL_OUT)
		return NF_ACCEPT;
	if (roamnat_client_iface(cfg, state->in))
		return roamnat_other(rn, cfg, skb, state);
	if (!ours || inet_addr_type_dev_table(state->net, state->in, iph->daddr) != RTN_LOCAL)
		return NF_ACCEPT;
	roamnat_count(rn, counter, 1);
	net_dbg_ratelimited("roamnat: ICMP error from %pI4 to %pI4 %s, dropped\n",
			    &iph->saddr, &iph->daddr, counter == ROAMNAT_C_DROP_UNKNOWN ?
			    "quotes no connection of this host" : "has an unreadable quote");
	return NF_DROP;
}

unsigned int roamnat_icmp_error(struct roamnat_net *rn, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	const struct roamnat_config *cfg = rcu_dereference(rn->config);
	unsigned int thoff, inoff, l4off;
	__be32 *outer_addr, *quoted_addr;
	struct roamnat_key key = {};
	struct iphdr *iph, *inner;
	bool local, outbound, fam_unknown = false;
	struct icmphdr *icmph;
	struct roamnat_entry *e;
	__be16 *ports, *quoted_port, *qsport, *qdport;
	__be32 to_addr;
	__be16 to_port;
	__sum16 *l4sum, *pseudo;
	bool request = false;
	u16 port;

	iph = ip_hdr(skb);
	thoff = ip_hdrlen(skb);
	inoff = thoff + sizeof(struct icmphdr);
	if (!cfg || ip_is_fragment(iph))
		return NF_ACCEPT;
	if (!pskb_may_pull(skb, thoff + sizeof(struct icmphdr)))
		return roamnat_icmp_refuse(rn, cfg, skb, state, true, ROAMNAT_C_DROP_MALFORMED);
	icmph = (struct icmphdr *)(skb_network_header(skb) + thoff);
	if (!roamnat_icmp_is_error(icmph->type))
		return roamnat_icmp_refuse(rn, cfg, skb, state, false, 0);
	/* RFC 792: the quote holds the IP header and 8 bytes past it. */
	if (!pskb_may_pull(skb, inoff + sizeof(struct iphdr)))
		return roamnat_icmp_refuse(rn, cfg, skb, state, true, ROAMNAT_C_DROP_MALFORMED);
	inner = (struct iphdr *)(skb_network_header(skb) + inoff);
	l4off = inoff + inner->ihl * 4;
	if (inner->version != 4 || inner->ihl < 5 || !pskb_may_pull(skb, l4off + 8))
		return roamnat_icmp_refuse(rn, cfg, skb, state, true, ROAMNAT_C_DROP_MALFORMED);
	inner = (struct iphdr *)(skb_network_header(skb) + inoff);
	if ((inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP &&
	     inner->protocol != IPPROTO_ICMP) || (inner->frag_off & htons(IP_OFFSET)))
		return roamnat_icmp_refuse(rn, cfg, skb, state, false, 0);
	ports = (__be16 *)(skb_network_header(skb) + l4off);
	qsport = &ports[0];
	qdport = &ports[1];
	if (inner->protocol == IPPROTO_ICMP) {
		const struct icmphdr *quoted = (const struct icmphdr *)ports;

		if (quoted->type != ICMP_ECHO && quoted->type != ICMP_ECHOREPLY)
			return roamnat_icmp_refuse(rn, cfg, skb, state, false, 0);
		request = quoted->type == ICMP_ECHO;
		qsport = request ? &ports[2] : NULL;	/* the identifier */
		qdport = request ? NULL : &ports[2];
	}
	key.proto = inner->protocol;
	key.saddr = inner->daddr;
	key.sport = qdport ? *qdport : 0;
	key.daddr = inner->saddr;
	key.dport = qsport ? *qsport : 0;

	local = state->hook == NF_INET_LOCAL_OUT;
	outbound = local || roamnat_client_iface(cfg, state->in);
	e = roamnat_icmp_lookup(rn, &key, outbound, &fam_unknown);
	if (!e && local) {
		outbound = false;
		e = roamnat_icmp_lookup(rn, &key, false, &fam_unknown);
	}
	/* Like a data packet to a HAM entry without a FAM (Fig. 7 725): held
	 * while roamd asks where the client is; it repeats the error after.
	 */
	if (fam_unknown && !local)
		return roamnat_miss(rn, cfg, ROAMNAT_TABLE_HAM, &key);
	if (e) {
		to_addr = outbound ? e->new_saddr : e->new_daddr;
		to_port = outbound ? e->new_sport : e->new_dport;
	} else if (!local || !roamnat_icmp_last_out(rn, &key, &to_addr, &to_port)) {
		port = ntohs(key.dport);
		return roamnat_icmp_refuse(rn, cfg, skb, state,
					   port >= cfg->port_min && port <= cfg->port_max,
					   ROAMNAT_C_DROP_UNKNOWN);
	}

	/* Errors are short (at most 576 bytes from Linux): write them whole,
	 * then recompute the ICMP checksum over the new quote.
	 */
	if (skb_ensure_writable(skb, skb->len)) {
		roamnat_count(rn, ROAMNAT_C_DROP_MALFORMED, 1);
		return NF_DROP;
	}
	iph = ip_hdr(skb);
	icmph = (struct icmphdr *)(skb_network_header(skb) + thoff);
	inner = (struct iphdr *)(skb_network_header(skb) + inoff);
	ports = (__be16 *)(skb_network_header(skb) + l4off);
	if (inner->protocol == IPPROTO_ICMP) {
		qsport = request ? &ports[2] : NULL;
		qdport = request ? NULL : &ports[2];
	} else {
		qsport = &ports[0];
		qdport = &ports[1];
	}
	l4sum = roamnat_quoted_l4sum(skb, inner, l4off);
	pseudo = inner->protocol == IPPROTO_ICMP ? NULL : l4sum;
	quoted_addr = outbound ? &inner->daddr : &inner->saddr;
	quoted_port = outbound ? qdport : qsport;
	outer_addr = outbound ? (local ? NULL : &iph->saddr) : &iph->daddr;

	if (pseudo)
		csum_replace4(pseudo, *quoted_addr, to_addr);
	if (l4sum && quoted_port)
		csum_replace2(l4sum, *quoted_port, to_port);
	csum_replace4(&inner->check, *quoted_addr, to_addr);
	*quoted_addr = to_addr;
	if (quoted_port)
		*quoted_port = to_port;
	if (outer_addr) {
		csum_replace4(&iph->check, *outer_addr, to_addr);
		*outer_addr = to_addr;
		/* Routed again below when sent from here (that needs the old dst). */
		if (!outbound && !local)
			skb_dst_drop(skb);
	}
	icmph->checksum = 0;
	icmph->checksum = csum_fold(skb_checksum(skb, thoff, skb->len - thoff, 0));
	skb->ip_summed = CHECKSUM_NONE;
	skb_clear_hash(skb);
	if (!skb_nfct(skb))
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	if (local && !outbound && ip_route_me_harder(state->net, state->sk, skb, RTN_UNSPEC)) {
		roamnat_count(rn, ROAMNAT_C_DROP_NO_ROUTE, 1);
		return NF_DROP;
	}
	roamnat_count(rn, ROAMNAT_C_ICMP_PACKETS, 1);
	roamnat_count(rn, ROAMNAT_C_ICMP_BYTES, skb->len);
	return NF_ACCEPT;
}
