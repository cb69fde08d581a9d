// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "roamnat" (docs/netlink.md): roamd fills the
 * tables and reads counters through it. Every attribute is validated by the
 * family policy, strictly, on every command; changes need CAP_NET_ADMIN in
 * the namespace's user namespace.
 */
#include <linux/in.h>
#include <linux/inetdevice.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "core.h"

static struct genl_family roamnat_genl_family;

static const struct nla_policy roamnat_rule_policy[ROAMNAT_R_MAX + 1] = {
	[ROAMNAT_R_ACTION] = NLA_POLICY_RANGE(NLA_U8, ROAMNAT_ACTION_PERMIT, ROAMNAT_ACTION_DENY),
	[ROAMNAT_R_PROTO] = NLA_POLICY_MIN(NLA_U8, 1),
	[ROAMNAT_R_ADDR] = { .type = NLA_BE32 },
	[ROAMNAT_R_PLEN] = NLA_POLICY_MAX(NLA_U8, 32),
	[ROAMNAT_R_PORTS] = {
		.type = NLA_BINARY,
		.len = ROAMNAT_MAX_RULE_PORTS * sizeof(struct roamnat_port_range),
	},
};

static const struct nla_policy roamnat_policy[ROAMNAT_A_MAX + 1] = {
	[ROAMNAT_A_VERSION] = { .type = NLA_U32 },
	[ROAMNAT_A_TABLE] = NLA_POLICY_MAX(NLA_U8, ROAMNAT_TABLE_MAX),
	[ROAMNAT_A_PROTO] = NLA_POLICY_RANGE(NLA_U8, IPPROTO_ICMP, IPPROTO_UDP),
	[ROAMNAT_A_SADDR] = { .type = NLA_BE32 },
	[ROAMNAT_A_SPORT] = { .type = NLA_BE16 },
	[ROAMNAT_A_DADDR] = { .type = NLA_BE32 },
	[ROAMNAT_A_DPORT] = { .type = NLA_BE16 },
	[ROAMNAT_A_NEW_SADDR] = { .type = NLA_BE32 },
	[ROAMNAT_A_NEW_SPORT] = { .type = NLA_BE16 },
	[ROAMNAT_A_NEW_DADDR] = { .type = NLA_BE32 },
	[ROAMNAT_A_NEW_DPORT] = { .type = NLA_BE16 },
	[ROAMNAT_A_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1024),
	[ROAMNAT_A_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1024),
	[ROAMNAT_A_MISS_QUEUE] = { .type = NLA_U16 },
	[ROAMNAT_A_HAM_MISS_QUEUE] = { .type = NLA_U16 },
	[ROAMNAT_A_DROP_OTHER] = NLA_POLICY_MAX(NLA_U8, 1),
	[ROAMNAT_A_CLIENT_IFINDEX] = {
		.type = NLA_BINARY,
		.len = ROAMNAT_MAX_CLIENT_IFS * sizeof(u32),
	},
	[ROAMNAT_A_COUNTERS] = { .type = NLA_REJECT },
	[ROAMNAT_A_IDLE_MS] = { .type = NLA_REJECT },
	[ROAMNAT_A_ENTRIES] = { .type = NLA_REJECT },
	[ROAMNAT_A_EVENT] = { .type = NLA_REJECT },
	[ROAMNAT_A_UDP_IDLE_S] = { .type = NLA_U32 },
	[ROAMNAT_A_TCP_IDLE_S] = { .type = NLA_U32 },
	[ROAMNAT_A_COOKIE] = { .type = NLA_U64 },
	[ROAMNAT_A_ORIG_ADDR] = { .type = NLA_BE32 },
	[ROAMNAT_A_ORIG_PORT] = { .type = NLA_BE16 },
	[ROAMNAT_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[ROAMNAT_A_FILTERING] = NLA_POLICY_MAX(NLA_U8, ROAMNAT_FILTERING_MAX),
	[ROAMNAT_A_POLICY_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[ROAMNAT_A_POLICY_DEFAULT] =
		NLA_POLICY_RANGE(NLA_U8, ROAMNAT_ACTION_PERMIT, ROAMNAT_ACTION_DENY),
	[ROAMNAT_A_RULES] = NLA_POLICY_NESTED_ARRAY(roamnat_rule_policy),
	[ROAMNAT_A_CLIENT] = { .type = NLA_BE32 },
	[ROAMNAT_A_POLICIES] = { .type = NLA_REJECT },
	[ROAMNAT_A_CLIENTS] = { .type = NLA_REJECT },
	[ROAMNAT_A_POLICY_QUEUE] = { .type = NLA_U16 },
};

static const struct genl_multicast_group roamnat_mcgrps[] = {
	/* Events name connections: for the namespace's administrator only. */
	{ .name = ROAMNAT_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
	{ .name = ROAMNAT_MCGRP_MISSES, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

enum { ROAMNAT_GRP_EVENTS, ROAMNAT_GRP_MISSES };

static int roamnat_nl_key(struct genl_info *info, struct roamnat_key *key, int *table)
{
	static const int need[] = { ROAMNAT_A_TABLE, ROAMNAT_A_PROTO, ROAMNAT_A_SADDR,
				    ROAMNAT_A_SPORT, ROAMNAT_A_DADDR, ROAMNAT_A_DPORT };
	struct nlattr **a = info->attrs;
	int i;

	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (!a[need[i]]) {
			GENL_SET_ERR_MSG(info, "table, proto, addresses and ports are required");
			return -EINVAL;
		}
	}
	memset(key, 0, sizeof(*key));
	*table = nla_get_u8(a[ROAMNAT_A_TABLE]);
	key->proto = nla_get_u8(a[ROAMNAT_A_PROTO]);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP && key->proto != IPPROTO_ICMP) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[ROAMNAT_A_PROTO],
				    "only TCP, UDP and ICMP echo are translated");
		return -EINVAL;
	}
	key->saddr = nla_get_be32(a[ROAMNAT_A_SADDR]);
	key->sport = nla_get_be16(a[ROAMNAT_A_SPORT]);
	key->daddr = nla_get_be32(a[ROAMNAT_A_DADDR]);
	key->dport = nla_get_be16(a[ROAMNAT_A_DPORT]);
	return 0;
}

static int roamnat_nl_add(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	struct nlattr **a = info->attrs;
	struct roamnat_entry tmpl = {};
	int table, err;

	err = roamnat_nl_key(info, &tmpl.key, &table);
	if (err)
		return err;
	if (!!a[ROAMNAT_A_NEW_SADDR] != !!a[ROAMNAT_A_NEW_SPORT] ||
	    !!a[ROAMNAT_A_NEW_DADDR] != !!a[ROAMNAT_A_NEW_DPORT]) {
		GENL_SET_ERR_MSG(info, "a new address needs its new port and the other way round");
		return -EINVAL;
	}
	if (a[ROAMNAT_A_NEW_SADDR]) {
		tmpl.flags |= ROAMNAT_F_SRC;
		tmpl.new_saddr = nla_get_be32(a[ROAMNAT_A_NEW_SADDR]);
		tmpl.new_sport = nla_get_be16(a[ROAMNAT_A_NEW_SPORT]);
	}
	if (a[ROAMNAT_A_NEW_DADDR]) {
		tmpl.flags |= ROAMNAT_F_DST;
		tmpl.new_daddr = nla_get_be32(a[ROAMNAT_A_NEW_DADDR]);
		tmpl.new_dport = nla_get_be16(a[ROAMNAT_A_NEW_DPORT]);
	}
	if (!!a[ROAMNAT_A_ORIG_ADDR] != !!a[ROAMNAT_A_ORIG_PORT] ||
	    (a[ROAMNAT_A_ORIG_ADDR] && table != ROAMNAT_TABLE_HAM) ||
	    (a[ROAMNAT_A_IFINDEX] && table != ROAMNAT_TABLE_FAM_OUT)) {
		GENL_SET_ERR_MSG(info, "ORIG_* go on HAM entries, IFINDEX on FAM_OUT");
		return -EINVAL;
	}
	if (a[ROAMNAT_A_ORIG_ADDR]) {
		tmpl.flags |= ROAMNAT_F_ORIG;
		tmpl.orig_addr = nla_get_be32(a[ROAMNAT_A_ORIG_ADDR]);
		tmpl.orig_port = nla_get_be16(a[ROAMNAT_A_ORIG_PORT]);
	}
	if (a[ROAMNAT_A_IFINDEX]) {
		tmpl.flags |= ROAMNAT_F_IFINDEX;
		tmpl.ifindex = nla_get_u32(a[ROAMNAT_A_IFINDEX]);
	}
	if ((table == ROAMNAT_TABLE_FAM_OUT && !(tmpl.flags & ROAMNAT_F_SRC)) ||
	    ((table == ROAMNAT_TABLE_FAM_IN || table == ROAMNAT_TABLE_HAM) &&
	     (tmpl.flags & ROAMNAT_F_SRC)) ||
	    (table == ROAMNAT_TABLE_FAM_IN && !(tmpl.flags & ROAMNAT_F_DST)) ||
	    (table == ROAMNAT_TABLE_HAM_REV &&
	     (tmpl.flags & (ROAMNAT_F_SRC | ROAMNAT_F_DST)) != (ROAMNAT_F_SRC | ROAMNAT_F_DST))) {
		GENL_SET_ERR_MSG(info,
				 "FAM_OUT rewrites the source, FAM_IN and HAM the destination, HAM_REV both");
		return -EINVAL;
	}
	mutex_lock(&rn->lock);
	err = roamnat_table_add(rn, table, &tmpl);
	mutex_unlock(&rn->lock);
	if (err == -ENOSPC)
		GENL_SET_ERR_MSG(info, "table full (module parameter max_entries)");
	return err;
}

static int roamnat_nl_del(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	struct roamnat_key key;
	int table, err;

	err = roamnat_nl_key(info, &key, &table);
	if (err)
		return err;
	mutex_lock(&rn->lock);
	err = roamnat_table_del(rn, table, &key);
	mutex_unlock(&rn->lock);
	return err;
}

static int roamnat_nl_put_entry(struct sk_buff *msg, int table, const struct roamnat_entry *e)
{
	if (nla_put_u8(msg, ROAMNAT_A_TABLE, table) ||
	    nla_put_u8(msg, ROAMNAT_A_PROTO, e->key.proto) ||
	    nla_put_be32(msg, ROAMNAT_A_SADDR, e->key.saddr) ||
	    nla_put_be16(msg, ROAMNAT_A_SPORT, e->key.sport) ||
	    nla_put_be32(msg, ROAMNAT_A_DADDR, e->key.daddr) ||
	    nla_put_be16(msg, ROAMNAT_A_DPORT, e->key.dport) ||
	    nla_put_u64_64bit(msg, ROAMNAT_A_IDLE_MS, roamnat_idle_ms(e), ROAMNAT_A_PAD))
		return -EMSGSIZE;
	if ((e->flags & ROAMNAT_F_ORIG) &&
	    (nla_put_be32(msg, ROAMNAT_A_ORIG_ADDR, e->orig_addr) ||
	     nla_put_be16(msg, ROAMNAT_A_ORIG_PORT, e->orig_port)))
		return -EMSGSIZE;
	if ((e->flags & ROAMNAT_F_IFINDEX) && nla_put_u32(msg, ROAMNAT_A_IFINDEX, e->ifindex))
		return -EMSGSIZE;
	if ((e->flags & ROAMNAT_F_SRC) &&
	    (nla_put_be32(msg, ROAMNAT_A_NEW_SADDR, e->new_saddr) ||
	     nla_put_be16(msg, ROAMNAT_A_NEW_SPORT, e->new_sport)))
		return -EMSGSIZE;
	if ((e->flags & ROAMNAT_F_DST) &&
	    (nla_put_be32(msg, ROAMNAT_A_NEW_DADDR, e->new_daddr) ||
	     nla_put_be16(msg, ROAMNAT_A_NEW_DPORT, e->new_dport)))
		return -EMSGSIZE;
	return 0;
}

static int roamnat_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	struct roamnat_entry *e;
	struct roamnat_key key;
	struct sk_buff *msg;
	int table, err;
	void *hdr;

	err = roamnat_nl_key(info, &key, &table);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &roamnat_genl_family, 0, ROAMNAT_CMD_GET_ENTRY);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out_free;
	}
	rcu_read_lock();
	e = rhashtable_lookup(&rn->tables[table], &key, roamnat_rht_params);
	err = e ? roamnat_nl_put_entry(msg, table, e) : -ENOENT;
	rcu_read_unlock();
	if (err)
		goto out_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
out_free:
	nlmsg_free(msg);
	return err;
}

/* Table and client dumps: cb->args[0] is the walker over the hash table. */
static int roamnat_nl_walk_enter(struct netlink_callback *cb, struct rhashtable *ht)
{
	struct rhashtable_iter *iter;

	iter = kmalloc(sizeof(*iter), GFP_KERNEL);
	if (!iter)
		return -ENOMEM;
	rhashtable_walk_enter(ht, iter);
	cb->args[0] = (long)iter;
	return 0;
}

static int roamnat_nl_walk_done(struct netlink_callback *cb)
{
	struct rhashtable_iter *iter = (struct rhashtable_iter *)cb->args[0];

	if (iter) {
		rhashtable_walk_exit(iter);
		kfree(iter);
	}
	return 0;
}

/* One message per object, as many as fit; put() says -EMSGSIZE when full. */
static int roamnat_nl_walk(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd,
			   int (*put)(struct sk_buff *skb, struct netlink_callback *cb, void *obj))
{
	struct rhashtable_iter *iter = (struct rhashtable_iter *)cb->args[0];
	int err = 0;
	void *obj;
	void *hdr;

	rhashtable_walk_start(iter);
	for (;;) {
		obj = rhashtable_walk_peek(iter);
		if (IS_ERR(obj)) {
			if (PTR_ERR(obj) == -EAGAIN)
				continue;	/* resized: the walk restarted */
			err = PTR_ERR(obj);
			break;
		}
		if (!obj)
			break;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &roamnat_genl_family, NLM_F_MULTI, cmd);
		if (!hdr)
			break;
		if (put(skb, cb, obj)) {
			genlmsg_cancel(skb, hdr);
			break;	/* message full: this one goes first next time */
		}
		genlmsg_end(skb, hdr);
		rhashtable_walk_next(iter);
	}
	rhashtable_walk_stop(iter);
	return err ? err : skb->len;
}

/* Table dumps: cb->args[1] is the table. */
static int roamnat_nl_dump_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct roamnat_net *rn = roamnat_pernet(sock_net(cb->skb->sk));
	int table;

	if (!info->attrs[ROAMNAT_A_TABLE]) {
		NL_SET_ERR_MSG(cb->extack, "a dump names its table");
		return -EINVAL;
	}
	table = nla_get_u8(info->attrs[ROAMNAT_A_TABLE]);
	cb->args[1] = table;
	return roamnat_nl_walk_enter(cb, &rn->tables[table]);
}

static int roamnat_nl_put_walked_entry(struct sk_buff *skb, struct netlink_callback *cb, void *obj)
{
	return roamnat_nl_put_entry(skb, cb->args[1], obj);
}

static int roamnat_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return roamnat_nl_walk(skb, cb, ROAMNAT_CMD_GET_ENTRY, roamnat_nl_put_walked_entry);
}

static int roamnat_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	int t;

	mutex_lock(&rn->lock);
	for (t = 0; t < __ROAMNAT_TABLE_MAX; t++)
		if (!info->attrs[ROAMNAT_A_TABLE] || nla_get_u8(info->attrs[ROAMNAT_A_TABLE]) == t)
			roamnat_table_flush(rn, t);
	mutex_unlock(&rn->lock);
	return 0;
}

/* Stops translating in this namespace, as if never configured. */
static int roamnat_nl_reset(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct roamnat_net *rn = roamnat_pernet(net);
	struct roamnat_config *old;
	int t;

	mutex_lock(&rn->lock);
	roamnat_hooks_unregister(net);
	old = rcu_dereference_protected(rn->config, lockdep_is_held(&rn->lock));
	RCU_INIT_POINTER(rn->config, NULL);
	if (old)
		kfree_rcu(old, rcu);
	for (t = 0; t < __ROAMNAT_TABLE_MAX; t++)
		roamnat_table_flush(rn, t);
	roamnat_policy_flush(rn);
	mutex_unlock(&rn->lock);
	return 0;
}

/* One element of ROAMNAT_A_RULES, already checked against roamnat_rule_policy. */
static int roamnat_nl_rule(struct genl_info *info, const struct nlattr *nest,
			   struct roamnat_rule *r)
{
	struct nlattr *tb[ROAMNAT_R_MAX + 1];
	u8 plen = 32;
	u32 i, len;
	int err;

	err = nla_parse_nested(tb, ROAMNAT_R_MAX, nest, roamnat_rule_policy, info->extack);
	if (err)
		return err;
	if (!tb[ROAMNAT_R_ACTION]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest, "a rule needs its action");
		return -EINVAL;
	}
	r->action = nla_get_u8(tb[ROAMNAT_R_ACTION]);
	if (tb[ROAMNAT_R_PROTO])
		r->proto = nla_get_u8(tb[ROAMNAT_R_PROTO]);
	if (tb[ROAMNAT_R_PLEN]) {
		if (!tb[ROAMNAT_R_ADDR]) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[ROAMNAT_R_PLEN],
					    "a prefix length needs its address");
			return -EINVAL;
		}
		plen = nla_get_u8(tb[ROAMNAT_R_PLEN]);
	}
	if (tb[ROAMNAT_R_ADDR]) {
		r->mask = plen ? htonl(~0U << (32 - plen)) : 0;
		r->addr = nla_get_be32(tb[ROAMNAT_R_ADDR]);
		if (r->addr & ~r->mask) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[ROAMNAT_R_ADDR],
					    "the prefix has host bits set");
			return -EINVAL;
		}
	}
	if (tb[ROAMNAT_R_PORTS]) {
		len = nla_len(tb[ROAMNAT_R_PORTS]);
		if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[ROAMNAT_R_PORTS],
					    "ports are for TCP and UDP rules only");
			return -EINVAL;
		}
		if (!len || len % sizeof(struct roamnat_port_range)) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[ROAMNAT_R_PORTS],
					    "an array of one or more port ranges");
			return -EINVAL;
		}
		r->n_ports = len / sizeof(struct roamnat_port_range);
		memcpy(r->ports, nla_data(tb[ROAMNAT_R_PORTS]), len);
		for (i = 0; i < r->n_ports; i++) {
			if (r->ports[i].lo > r->ports[i].hi) {
				NL_SET_ERR_MSG_ATTR(info->extack, tb[ROAMNAT_R_PORTS],
						    "a port range ends below its start");
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int roamnat_nl_set_policy(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	struct nlattr **a = info->attrs;
	struct roamnat_policy *p;
	struct nlattr *rule;
	u32 n = 0, id;
	int rem, err;

	if (!a[ROAMNAT_A_POLICY_ID] || !a[ROAMNAT_A_POLICY_DEFAULT]) {
		GENL_SET_ERR_MSG(info, "a policy needs its id and default action");
		return -EINVAL;
	}
	id = nla_get_u32(a[ROAMNAT_A_POLICY_ID]);
	if (a[ROAMNAT_A_RULES])
		nla_for_each_nested(rule, a[ROAMNAT_A_RULES], rem)
			n++;
	if (n > ROAMNAT_MAX_RULES) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[ROAMNAT_A_RULES], "more than 128 rules");
		return -E2BIG;
	}
	p = kzalloc(struct_size(p, rules, n), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->fallback = nla_get_u8(a[ROAMNAT_A_POLICY_DEFAULT]);
	if (a[ROAMNAT_A_RULES]) {
		nla_for_each_nested(rule, a[ROAMNAT_A_RULES], rem) {
			err = roamnat_nl_rule(info, rule, &p->rules[p->n_rules]);
			if (err) {
				kfree(p);
				return err;
			}
			p->n_rules++;
		}
	}
	mutex_lock(&rn->lock);
	err = roamnat_policy_set(rn, id, p);
	mutex_unlock(&rn->lock);
	if (err == -ENOSPC)
		GENL_SET_ERR_MSG(info, "4096 policies already installed in this namespace");
	return err;
}

static int roamnat_nl_del_policy(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	int err;

	if (!info->attrs[ROAMNAT_A_POLICY_ID]) {
		GENL_SET_ERR_MSG(info, "which policy: POLICY_ID");
		return -EINVAL;
	}
	mutex_lock(&rn->lock);
	err = roamnat_policy_del(rn, nla_get_u32(info->attrs[ROAMNAT_A_POLICY_ID]));
	mutex_unlock(&rn->lock);
	return err;
}

static int roamnat_nl_set_client(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	struct nlattr **a = info->attrs;
	int err;

	if (!a[ROAMNAT_A_CLIENT] || !a[ROAMNAT_A_POLICY_ID]) {
		GENL_SET_ERR_MSG(info, "a client's address and its policy id are required");
		return -EINVAL;
	}
	mutex_lock(&rn->lock);
	err = roamnat_client_set(rn, nla_get_be32(a[ROAMNAT_A_CLIENT]),
				 nla_get_u32(a[ROAMNAT_A_POLICY_ID]));
	mutex_unlock(&rn->lock);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, a[ROAMNAT_A_POLICY_ID], "no such policy");
	else if (err == -ENOSPC)
		GENL_SET_ERR_MSG(info, "too many clients (module parameter max_entries)");
	return err;
}

static int roamnat_nl_del_client(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	int err;

	if (!info->attrs[ROAMNAT_A_CLIENT]) {
		GENL_SET_ERR_MSG(info, "which client: CLIENT");
		return -EINVAL;
	}
	mutex_lock(&rn->lock);
	err = roamnat_client_del(rn, nla_get_be32(info->attrs[ROAMNAT_A_CLIENT]));
	mutex_unlock(&rn->lock);
	return err;
}

static size_t roamnat_rule_msg_size(u8 n_ports)
{
	return nla_total_size(0) + 3 * nla_total_size(sizeof(u8)) +
	       nla_total_size(sizeof(__be32)) +
	       nla_total_size(n_ports * sizeof(struct roamnat_port_range));
}

static size_t roamnat_policy_msg_size(const struct roamnat_policy *p)
{
	size_t size = nla_total_size(sizeof(u32)) + nla_total_size(sizeof(u8)) +
		      nla_total_size(0);
	u32 i;

	for (i = 0; i < p->n_rules; i++)
		size += roamnat_rule_msg_size(p->rules[i].n_ports);
	return size;
}

/* The SET_POLICY attributes that would install p again. */
static int roamnat_nl_put_policy(struct sk_buff *skb, u32 id, const struct roamnat_policy *p)
{
	const struct roamnat_rule *r;
	struct nlattr *rules, *rule;
	u32 i;

	if (nla_put_u32(skb, ROAMNAT_A_POLICY_ID, id) ||
	    nla_put_u8(skb, ROAMNAT_A_POLICY_DEFAULT, p->fallback))
		return -EMSGSIZE;
	rules = nla_nest_start(skb, ROAMNAT_A_RULES);
	if (!rules)
		return -EMSGSIZE;
	for (i = 0; i < p->n_rules; i++) {
		r = &p->rules[i];
		rule = nla_nest_start(skb, i + 1);
		if (!rule || nla_put_u8(skb, ROAMNAT_R_ACTION, r->action))
			return -EMSGSIZE;
		if (r->proto && nla_put_u8(skb, ROAMNAT_R_PROTO, r->proto))
			return -EMSGSIZE;
		if (r->mask && (nla_put_be32(skb, ROAMNAT_R_ADDR, r->addr) ||
				nla_put_u8(skb, ROAMNAT_R_PLEN, inet_mask_len(r->mask))))
			return -EMSGSIZE;
		if (r->n_ports && nla_put(skb, ROAMNAT_R_PORTS,
					  r->n_ports * sizeof(r->ports[0]), r->ports))
			return -EMSGSIZE;
		nla_nest_end(skb, rule);
	}
	nla_nest_end(skb, rules);
	return 0;
}

/* Writers hold the mutex: a policy looked up under it stays until it is dropped. */
static int roamnat_nl_get_policy(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	const struct roamnat_policy *p;
	struct sk_buff *msg;
	int err = -ENOENT;
	void *hdr;
	u32 id;

	if (!info->attrs[ROAMNAT_A_POLICY_ID]) {
		GENL_SET_ERR_MSG(info, "which policy: POLICY_ID (or a dump for every one)");
		return -EINVAL;
	}
	id = nla_get_u32(info->attrs[ROAMNAT_A_POLICY_ID]);
	mutex_lock(&rn->lock);
	p = xa_load(&rn->policies, id);
	if (!p)
		goto unlock;
	err = -ENOMEM;
	msg = genlmsg_new(roamnat_policy_msg_size(p), GFP_KERNEL);
	if (!msg)
		goto unlock;
	hdr = genlmsg_put_reply(msg, info, &roamnat_genl_family, 0, ROAMNAT_CMD_GET_POLICY);
	if (!hdr || roamnat_nl_put_policy(msg, id, p)) {
		nlmsg_free(msg);
		err = -EMSGSIZE;
		goto unlock;
	}
	mutex_unlock(&rn->lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
unlock:
	mutex_unlock(&rn->lock);
	return err;
}

/* The largest policy (128 rules of 16 ranges, about 13 KiB) fits one message. */
static int roamnat_nl_policies_start(struct netlink_callback *cb)
{
	cb->min_dump_alloc = NLMSG_HDRLEN + GENL_HDRLEN + nla_total_size(sizeof(u32)) +
			     nla_total_size(sizeof(u8)) + nla_total_size(0) +
			     ROAMNAT_MAX_RULES * roamnat_rule_msg_size(ROAMNAT_MAX_RULE_PORTS);
	return 0;
}

/* Dump state in cb->args: [0] the next policy id, [1] set once all were sent. */
static int roamnat_nl_dump_policies(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct roamnat_net *rn = roamnat_pernet(sock_net(cb->skb->sk));
	struct roamnat_policy *p;
	unsigned long id;
	void *hdr;

	if (cb->args[1])
		return 0;
	mutex_lock(&rn->lock);
	xa_for_each_start(&rn->policies, id, p, cb->args[0]) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &roamnat_genl_family, NLM_F_MULTI, ROAMNAT_CMD_GET_POLICY);
		if (!hdr)
			goto full;
		if (roamnat_nl_put_policy(skb, id, p)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[1] = 1;
	mutex_unlock(&rn->lock);
	return skb->len;
full:
	/* This policy goes first next time. */
	cb->args[0] = id;
	mutex_unlock(&rn->lock);
	return skb->len ? skb->len : -EMSGSIZE;
}

static int roamnat_nl_clients_start(struct netlink_callback *cb)
{
	return roamnat_nl_walk_enter(cb, &roamnat_pernet(sock_net(cb->skb->sk))->clients);
}

static int roamnat_nl_put_client(struct sk_buff *skb, struct netlink_callback *cb, void *obj)
{
	const struct roamnat_client *c = obj;

	if (nla_put_be32(skb, ROAMNAT_A_CLIENT, c->addr) ||
	    nla_put_u32(skb, ROAMNAT_A_POLICY_ID, c->policy_id))
		return -EMSGSIZE;
	return 0;
}

static int roamnat_nl_dump_clients(struct sk_buff *skb, struct netlink_callback *cb)
{
	return roamnat_nl_walk(skb, cb, ROAMNAT_CMD_GET_CLIENT, roamnat_nl_put_client);
}

static int roamnat_nl_flush_policies(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));

	mutex_lock(&rn->lock);
	roamnat_policy_flush(rn);
	mutex_unlock(&rn->lock);
	return 0;
}

static int roamnat_nl_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	struct nlattr **a = info->attrs;
	struct roamnat_config *cfg, *old;
	int err = 0;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	mutex_lock(&rn->lock);
	old = rcu_dereference_protected(rn->config, lockdep_is_held(&rn->lock));
	if (old) {
		*cfg = *old;
	} else {
		cfg->port_min = 40000;
		cfg->port_max = 59999;
	}
	if (a[ROAMNAT_A_PORT_MIN])
		cfg->port_min = nla_get_u16(a[ROAMNAT_A_PORT_MIN]);
	if (a[ROAMNAT_A_PORT_MAX])
		cfg->port_max = nla_get_u16(a[ROAMNAT_A_PORT_MAX]);
	if (a[ROAMNAT_A_MISS_QUEUE])
		cfg->miss_queue = nla_get_u16(a[ROAMNAT_A_MISS_QUEUE]);
	/* Misses at the HAM share the FAM's queue unless told otherwise. */
	if (a[ROAMNAT_A_HAM_MISS_QUEUE])
		cfg->ham_miss_queue = nla_get_u16(a[ROAMNAT_A_HAM_MISS_QUEUE]);
	else if (a[ROAMNAT_A_MISS_QUEUE] && !old)
		cfg->ham_miss_queue = cfg->miss_queue;
	/* Held for a policy in a queue of their own: they are not misses. */
	if (a[ROAMNAT_A_POLICY_QUEUE])
		cfg->policy_queue = nla_get_u16(a[ROAMNAT_A_POLICY_QUEUE]);
	else if (a[ROAMNAT_A_MISS_QUEUE] && !old)
		cfg->policy_queue = cfg->miss_queue + 4;
	if (a[ROAMNAT_A_DROP_OTHER])
		cfg->drop_other = nla_get_u8(a[ROAMNAT_A_DROP_OTHER]);
	if (a[ROAMNAT_A_FILTERING])
		cfg->filtering = nla_get_u8(a[ROAMNAT_A_FILTERING]);
	if (a[ROAMNAT_A_UDP_IDLE_S])
		cfg->udp_idle_s = nla_get_u32(a[ROAMNAT_A_UDP_IDLE_S]);
	if (a[ROAMNAT_A_TCP_IDLE_S])
		cfg->tcp_idle_s = nla_get_u32(a[ROAMNAT_A_TCP_IDLE_S]);
	if (a[ROAMNAT_A_COOKIE])
		cfg->cookie = nla_get_u64(a[ROAMNAT_A_COOKIE]);
	if (a[ROAMNAT_A_CLIENT_IFINDEX]) {
		u32 len = nla_len(a[ROAMNAT_A_CLIENT_IFINDEX]);

		if (len % sizeof(u32)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[ROAMNAT_A_CLIENT_IFINDEX],
					    "an array of 32-bit interface indexes");
			err = -EINVAL;
			goto out;
		}
		cfg->n_ifs = len / sizeof(u32);
		memcpy(cfg->ifindex, nla_data(a[ROAMNAT_A_CLIENT_IFINDEX]), len);
	}
	if (cfg->port_min > cfg->port_max) {
		GENL_SET_ERR_MSG(info, "port_min is above port_max");
		err = -EINVAL;
		goto out;
	}
	err = roamnat_hooks_register(genl_info_net(info));
	if (err) {
		GENL_SET_ERR_MSG(info, "cannot register the netfilter hooks");
		goto out;
	}
	rcu_assign_pointer(rn->config, cfg);
	cfg = NULL;
	if (old)
		kfree_rcu(old, rcu);
	roamnat_expiry_reschedule(rn);
out:
	mutex_unlock(&rn->lock);
	kfree(cfg);
	return err;
}

static int roamnat_nl_get_config(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	const struct roamnat_config *cfg;
	struct sk_buff *msg;
	int err = -ENOENT;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &roamnat_genl_family, 0, ROAMNAT_CMD_GET_CONFIG);
	rcu_read_lock();
	cfg = rcu_dereference(rn->config);
	if (!hdr) {
		err = -EMSGSIZE;
	} else if (cfg) {
		err = -EMSGSIZE;
		if (!nla_put_u16(msg, ROAMNAT_A_PORT_MIN, cfg->port_min) &&
		    !nla_put_u16(msg, ROAMNAT_A_PORT_MAX, cfg->port_max) &&
		    !nla_put_u16(msg, ROAMNAT_A_MISS_QUEUE, cfg->miss_queue) &&
		    !nla_put_u16(msg, ROAMNAT_A_HAM_MISS_QUEUE, cfg->ham_miss_queue) &&
		    !nla_put_u16(msg, ROAMNAT_A_POLICY_QUEUE, cfg->policy_queue) &&
		    !nla_put_u8(msg, ROAMNAT_A_DROP_OTHER, cfg->drop_other) &&
		    !nla_put_u8(msg, ROAMNAT_A_FILTERING, cfg->filtering) &&
		    !nla_put_u32(msg, ROAMNAT_A_POLICIES, READ_ONCE(rn->n_policies)) &&
		    !nla_put_u32(msg, ROAMNAT_A_CLIENTS, roamnat_clients_count(rn)) &&
		    !nla_put_u32(msg, ROAMNAT_A_UDP_IDLE_S, cfg->udp_idle_s) &&
		    !nla_put_u32(msg, ROAMNAT_A_TCP_IDLE_S, cfg->tcp_idle_s) &&
		    !nla_put_u64_64bit(msg, ROAMNAT_A_COOKIE, cfg->cookie, ROAMNAT_A_PAD) &&
		    !nla_put(msg, ROAMNAT_A_CLIENT_IFINDEX, cfg->n_ifs * sizeof(u32), cfg->ifindex))
			err = 0;
	}
	rcu_read_unlock();
	if (err) {
		if (err == -ENOENT)
			GENL_SET_ERR_MSG(info, "not configured in this namespace");
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* From the packet path (softirq) and the idle scan (bottom halves off). */
void roamnat_notify(struct roamnat_net *rn, int table, const struct roamnat_entry *e, u8 event)
{
	int group = event == ROAMNAT_EV_MISS ? ROAMNAT_GRP_MISSES : ROAMNAT_GRP_EVENTS;
	struct net *net = read_pnet(&rn->net);
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!genl_has_listeners(&roamnat_genl_family, net, group))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &roamnat_genl_family, 0, ROAMNAT_CMD_EVENT);
	if (!hdr || nla_put_u8(msg, ROAMNAT_A_EVENT, event) ||
	    roamnat_nl_put_entry(msg, table, e)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_multicast_netns(&roamnat_genl_family, net, msg, 0, group, GFP_ATOMIC);
	if (err && err != -ESRCH)
		goto lost;	/* a listener's receive buffer was full */
	roamnat_count(rn, ROAMNAT_C_EVENTS, 1);
	return;
lost:
	roamnat_count(rn, ROAMNAT_C_EVENTS_LOST, 1);
}

static int roamnat_nl_version(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &roamnat_genl_family, 0, ROAMNAT_CMD_GET_VERSION);
	if (!hdr || nla_put_u32(msg, ROAMNAT_A_VERSION, ROAMNAT_GENL_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int roamnat_nl_counters(struct sk_buff *skb, struct genl_info *info)
{
	struct roamnat_net *rn = roamnat_pernet(genl_info_net(info));
	u64 sum[__ROAMNAT_C_MAX] = {};
	struct nlattr *nest;
	struct sk_buff *msg;
	int cpu, i;
	void *hdr;

	for_each_possible_cpu(cpu) {
		const struct roamnat_pcpu_stats *s = per_cpu_ptr(rn->stats, cpu);
		u64 c[__ROAMNAT_C_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			memcpy(c, s->c, sizeof(c));
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < __ROAMNAT_C_MAX; i++)
			sum[i] += c[i];
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &roamnat_genl_family, 0, ROAMNAT_CMD_GET_COUNTERS);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, ROAMNAT_A_COUNTERS);
	if (!nest)
		goto nospace;
	for (i = ROAMNAT_C_FAM_OUT_PACKETS; i < __ROAMNAT_C_MAX; i++)
		if (i != ROAMNAT_C_PAD && nla_put_u64_64bit(msg, i, sum[i], ROAMNAT_C_PAD))
			goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops roamnat_ops[] = {
	{ .cmd = ROAMNAT_CMD_GET_VERSION, .doit = roamnat_nl_version },
	{
		.cmd = ROAMNAT_CMD_SET_CONFIG,
		.doit = roamnat_nl_set_config,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{ .cmd = ROAMNAT_CMD_ADD_ENTRY, .doit = roamnat_nl_add, .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = ROAMNAT_CMD_DEL_ENTRY, .doit = roamnat_nl_del, .flags = GENL_UNS_ADMIN_PERM },
	{
		.cmd = ROAMNAT_CMD_GET_ENTRY,
		.doit = roamnat_nl_get,
		.start = roamnat_nl_dump_start,
		.dumpit = roamnat_nl_dump,
		.done = roamnat_nl_walk_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{ .cmd = ROAMNAT_CMD_FLUSH, .doit = roamnat_nl_flush, .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = ROAMNAT_CMD_GET_COUNTERS, .doit = roamnat_nl_counters },
	{ .cmd = ROAMNAT_CMD_RESET, .doit = roamnat_nl_reset, .flags = GENL_UNS_ADMIN_PERM },
	{
		.cmd = ROAMNAT_CMD_GET_CONFIG,
		.doit = roamnat_nl_get_config,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = ROAMNAT_CMD_SET_POLICY,
		.doit = roamnat_nl_set_policy,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = ROAMNAT_CMD_DEL_POLICY,
		.doit = roamnat_nl_del_policy,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = ROAMNAT_CMD_SET_CLIENT,
		.doit = roamnat_nl_set_client,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = ROAMNAT_CMD_DEL_CLIENT,
		.doit = roamnat_nl_del_client,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = ROAMNAT_CMD_FLUSH_POLICIES,
		.doit = roamnat_nl_flush_policies,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = ROAMNAT_CMD_GET_POLICY,
		.doit = roamnat_nl_get_policy,
		.start = roamnat_nl_policies_start,
		.dumpit = roamnat_nl_dump_policies,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = ROAMNAT_CMD_GET_CLIENT,
		.start = roamnat_nl_clients_start,
		.dumpit = roamnat_nl_dump_clients,
		.done = roamnat_nl_walk_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family roamnat_genl_family __ro_after_init = {
	.name = ROAMNAT_GENL_NAME,
	.version = ROAMNAT_GENL_VERSION,
	.maxattr = ROAMNAT_A_MAX,
	.policy = roamnat_policy,
	.netnsok = true,
	.parallel_ops = true,	/* writers take the namespace's mutex */
	.module = THIS_MODULE,
	.ops = roamnat_ops,
	.n_ops = ARRAY_SIZE(roamnat_ops),
	.mcgrps = roamnat_mcgrps,
	.n_mcgrps = ARRAY_SIZE(roamnat_mcgrps),
	.resv_start_op = ROAMNAT_CMD_GET_VERSION,	/* strict validation everywhere */
};

int roamnat_netlink_init(void)
{
	return genl_register_family(&roamnat_genl_family);
}

void roamnat_netlink_exit(void)
{
	genl_unregister_family(&roamnat_genl_family);
}
