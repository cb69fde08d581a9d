/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * roamnat generic netlink API, version 1 (docs/netlink.md).
 * Commands and attributes are append-only.
 */
#ifndef _UAPI_LINUX_ROAMNAT_H
#define _UAPI_LINUX_ROAMNAT_H

#include <linux/types.h>

#define ROAMNAT_GENL_NAME	"roamnat"
#define ROAMNAT_GENL_VERSION	1
#define ROAMNAT_MCGRP_EVENTS	"events"
#define ROAMNAT_MCGRP_MISSES	"misses"

enum roamnat_cmd {
	ROAMNAT_CMD_UNSPEC,
	ROAMNAT_CMD_GET_VERSION,	/* -> VERSION */
	ROAMNAT_CMD_SET_CONFIG,		/* PORT_MIN, PORT_MAX, MISS_QUEUE, CLIENT_IFINDEX* */
	ROAMNAT_CMD_ADD_ENTRY,		/* TABLE, key, rewrite */
	ROAMNAT_CMD_DEL_ENTRY,		/* TABLE, key */
	ROAMNAT_CMD_GET_ENTRY,		/* TABLE, key; dump: TABLE */
	ROAMNAT_CMD_FLUSH,		/* TABLE, or every table without it */
	ROAMNAT_CMD_GET_COUNTERS,	/* -> COUNTERS */
	ROAMNAT_CMD_GET_CONFIG,		/* -> the SET_CONFIG attributes in force */
	ROAMNAT_CMD_EVENT,		/* multicast to "events" only: EVENT, TABLE, key */
	ROAMNAT_CMD_RESET,		/* unhook, forget the configuration, flush */
	ROAMNAT_CMD_SET_POLICY,		/* POLICY_ID, POLICY_DEFAULT, RULES */
	ROAMNAT_CMD_DEL_POLICY,		/* POLICY_ID */
	ROAMNAT_CMD_SET_CLIENT,		/* CLIENT, POLICY_ID */
	ROAMNAT_CMD_DEL_CLIENT,		/* CLIENT */
	ROAMNAT_CMD_FLUSH_POLICIES,	/* every policy and client */
	ROAMNAT_CMD_GET_POLICY,		/* POLICY_ID -> its SET_POLICY attributes; dump: all */
	ROAMNAT_CMD_GET_CLIENT,		/* dump: CLIENT, POLICY_ID of every client */
	__ROAMNAT_CMD_MAX,
};

#define ROAMNAT_CMD_MAX (__ROAMNAT_CMD_MAX - 1)

/*
 * Tables (spec Figs. 4 and 5). Keys are the packet's 5-tuple as it arrives;
 * for ICMP echo (RFC 5508) the identifier is the port of its side: a request
 * is SADDR:id -> DADDR:0, a reply SADDR:0 -> DADDR:id, and a rewrite of the
 * side without the identifier leaves it alone.
 * FAM_OUT: client -> server, rewrites the source (and the destination with
 *          outbound via the HAM);
 * FAM_IN:  server -> FAM endpoint, rewrites the destination to the client;
 * HAM:     server -> masquerade endpoint, rewrites the destination to the
 *          FAM; an entry without a new destination holds its packets for
 *          roamd (the FAM is not known yet);
 * HAM_REV: FAM endpoint -> masquerade endpoint (outbound via the HAM),
 *          rewrites both: masquerade -> server.
 * FAM_OUT entries may carry IFINDEX and HAM entries ORIG_ADDR/ORIG_PORT:
 * not used for matching, kept so a restarted roamd can rebuild its state.
 */
enum roamnat_table {
	ROAMNAT_TABLE_FAM_OUT,
	ROAMNAT_TABLE_FAM_IN,
	ROAMNAT_TABLE_HAM,
	ROAMNAT_TABLE_HAM_REV,
	__ROAMNAT_TABLE_MAX,
};

#define ROAMNAT_TABLE_MAX (__ROAMNAT_TABLE_MAX - 1)

enum roamnat_attr {
	ROAMNAT_A_UNSPEC,
	ROAMNAT_A_VERSION,		/* u32 */
	ROAMNAT_A_TABLE,		/* u8, enum roamnat_table */
	ROAMNAT_A_PROTO,		/* u8, IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP (echo) */
	ROAMNAT_A_SADDR,		/* be32 */
	ROAMNAT_A_SPORT,		/* be16 */
	ROAMNAT_A_DADDR,		/* be32 */
	ROAMNAT_A_DPORT,		/* be16 */
	ROAMNAT_A_NEW_SADDR,		/* be32 */
	ROAMNAT_A_NEW_SPORT,		/* be16 */
	ROAMNAT_A_NEW_DADDR,		/* be32 */
	ROAMNAT_A_NEW_DPORT,		/* be16 */
	ROAMNAT_A_PORT_MIN,		/* u16, host order */
	ROAMNAT_A_PORT_MAX,		/* u16 */
	ROAMNAT_A_MISS_QUEUE,		/* u16, NFQUEUE number for misses */
	ROAMNAT_A_CLIENT_IFINDEX,	/* binary: array of u32 ifindexes, at most 64 */
	ROAMNAT_A_COUNTERS,		/* nested, enum roamnat_counter */
	ROAMNAT_A_IDLE_MS,		/* u64, time since the entry last matched */
	ROAMNAT_A_ENTRIES,		/* u32, entries in a table */
	ROAMNAT_A_PAD,
	ROAMNAT_A_EVENT,		/* u8, enum roamnat_event */
	ROAMNAT_A_UDP_IDLE_S,		/* u32, idle events after this; 0: none */
	ROAMNAT_A_TCP_IDLE_S,		/* u32 */
	ROAMNAT_A_COOKIE,		/* u64, roamd's instance; kept for its restart */
	ROAMNAT_A_ORIG_ADDR,		/* be32, HAM: the connection's client */
	ROAMNAT_A_ORIG_PORT,		/* be16 */
	ROAMNAT_A_IFINDEX,		/* u32, FAM_OUT: the client's interface */
	ROAMNAT_A_HAM_MISS_QUEUE,	/* u16, NFQUEUE for HAM misses; default MISS_QUEUE */
	ROAMNAT_A_DROP_OTHER,		/* u8, 1: drop what clients send that is not translated */
	ROAMNAT_A_FILTERING,		/* u8, enum roamnat_filtering */
	ROAMNAT_A_POLICY_ID,		/* u32, 1 or more */
	ROAMNAT_A_POLICY_DEFAULT,	/* u8, enum roamnat_action: when no rule matches */
	ROAMNAT_A_RULES,		/* nested array of nests of enum roamnat_rule_attr */
	ROAMNAT_A_CLIENT,		/* be32, a client's address */
	ROAMNAT_A_POLICIES,		/* u32, policies installed (GET_CONFIG) */
	ROAMNAT_A_CLIENTS,		/* u32, clients with a policy (GET_CONFIG) */
	ROAMNAT_A_POLICY_QUEUE,		/* u16, FILTERING_HOLD queue; MISS_QUEUE + 4 */
	__ROAMNAT_A_MAX,
};

#define ROAMNAT_A_MAX (__ROAMNAT_A_MAX - 1)

/* Nested in ROAMNAT_A_COUNTERS, each a u64. */
enum roamnat_counter {
	ROAMNAT_C_UNSPEC,
	ROAMNAT_C_FAM_OUT_PACKETS,
	ROAMNAT_C_FAM_OUT_BYTES,
	ROAMNAT_C_FAM_IN_PACKETS,
	ROAMNAT_C_FAM_IN_BYTES,
	ROAMNAT_C_HAM_PACKETS,
	ROAMNAT_C_HAM_BYTES,
	ROAMNAT_C_MISSES,		/* queued to roamd */
	ROAMNAT_C_DROP_UNKNOWN,		/* to the port range, no entry */
	ROAMNAT_C_DROP_MALFORMED,	/* headers could not be read or written */
	ROAMNAT_C_PAD,
	ROAMNAT_C_EVENTS,		/* multicast to "events" */
	ROAMNAT_C_EVENTS_LOST,		/* listeners' buffers full or no memory */
	ROAMNAT_C_ICMP_PACKETS,		/* ICMP errors about a connection translated */
	ROAMNAT_C_ICMP_BYTES,
	ROAMNAT_C_HAM_REV_PACKETS,	/* outbound via the HAM, forwarded to the server */
	ROAMNAT_C_HAM_REV_BYTES,
	ROAMNAT_C_FAM_OUT_VIA_PACKETS,	/* FAM_OUT entries that send via the HAM */
	ROAMNAT_C_FAM_OUT_VIA_BYTES,
	ROAMNAT_C_DROP_NO_ROUTE,	/* a translated ICMP error found no route */
	ROAMNAT_C_DROP_OTHER,		/* from a client, not translatable, DROP_OTHER set */
	ROAMNAT_C_POLICY_DENIED,	/* dropped by a client's policy */
	ROAMNAT_C_POLICY_UNKNOWN,	/* to or from a client without a policy, FILTERING set */
	ROAMNAT_C_POLICY_HELD,		/* queued: no policy for its client yet */
	__ROAMNAT_C_MAX,
};

#define ROAMNAT_C_MAX (__ROAMNAT_C_MAX - 1)

/*
 * Events (ROAMNAT_CMD_EVENT on the "events" group), each with the entry's
 * TABLE and key (and ORIG_* or IFINDEX where the entry has them):
 * TCP_FIN/TCP_RST: a translated TCP segment carried the flag;
 * IDLE: no packet matched the entry for the protocol's idle time (sent once
 * until the entry matches again; the entry stays until roamd deletes it).
 * MISS, on the separate "misses" group (for monitoring; roamd gets the
 * packet itself on NFQUEUE): TABLE and the key of a packet queued.
 */
enum roamnat_event {
	ROAMNAT_EV_UNSPEC,
	ROAMNAT_EV_TCP_FIN,
	ROAMNAT_EV_TCP_RST,
	ROAMNAT_EV_IDLE,
	ROAMNAT_EV_MISS,	/* group "misses" only: a packet queued for roamd */
	__ROAMNAT_EV_MAX,
};

#define ROAMNAT_EV_MAX (__ROAMNAT_EV_MAX - 1)

/*
 * Per-user filtering (spec Fig. 14 1465, docs/policy.md). With FILTERING
 * DENY, whatever a client sends to a unicast address beyond this host, and
 * whatever is forwarded to a client interface (ICMP errors aside), passes
 * only as the policy of the client's address says; a client without one
 * passes nothing. A policy is its rules in order, the first that matches
 * deciding, then its default. Outbound a rule matches the destination,
 * inbound (to the client) the source: the client's peer either way.
 */
enum roamnat_filtering {
	ROAMNAT_FILTERING_OFF,
	ROAMNAT_FILTERING_DENY,		/* a client without a policy passes nothing */
	ROAMNAT_FILTERING_HOLD,		/* ... and its packets wait in POLICY_QUEUE for one */
	__ROAMNAT_FILTERING_MAX,
};

#define ROAMNAT_FILTERING_MAX (__ROAMNAT_FILTERING_MAX - 1)

enum roamnat_action {
	ROAMNAT_ACTION_UNSPEC,
	ROAMNAT_ACTION_PERMIT,
	ROAMNAT_ACTION_DENY,
	__ROAMNAT_ACTION_MAX,
};

#define ROAMNAT_ACTION_MAX (__ROAMNAT_ACTION_MAX - 1)

#define ROAMNAT_MAX_RULES	128	/* per policy */
#define ROAMNAT_MAX_RULE_PORTS	16	/* port ranges per rule */
#define ROAMNAT_MAX_POLICIES	4096	/* per namespace */

/* One port range of ROAMNAT_R_PORTS, host order, lo <= hi. */
struct roamnat_port_range {
	__u16 lo;
	__u16 hi;
};

/* Each element of ROAMNAT_A_RULES. */
enum roamnat_rule_attr {
	ROAMNAT_R_UNSPEC,
	ROAMNAT_R_ACTION,	/* u8, enum roamnat_action; required */
	ROAMNAT_R_PROTO,	/* u8, IPPROTO_*; absent: every protocol */
	ROAMNAT_R_ADDR,		/* be32, the peer's prefix; absent: any */
	ROAMNAT_R_PLEN,		/* u8, 0-32; ADDR's host bits must be zero */
	ROAMNAT_R_PORTS,	/* struct roamnat_port_range[], at most 16; TCP, UDP only */
	__ROAMNAT_R_MAX,
};

#define ROAMNAT_R_MAX (__ROAMNAT_R_MAX - 1)

#endif /* _UAPI_LINUX_ROAMNAT_H */
