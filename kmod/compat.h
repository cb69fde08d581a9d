/* SPDX-License-Identifier: GPL-2.0 */
/* Everything that depends on the kernel version, in one place. */
#ifndef _ROAMNAT_COMPAT_H
#define _ROAMNAT_COMPAT_H

#include <net/genetlink.h>

/*
 * Multicast groups gained permission flags in 6.6 (and stable 6.1.y). Older
 * kernels let any local user join the events group, which names connections.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#define GENL_MCAST_CAP_NET_ADMIN	0
#endif

#endif /* _ROAMNAT_COMPAT_H */
