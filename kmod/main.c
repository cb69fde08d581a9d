// SPDX-License-Identifier: GPL-2.0
/*
 * roamnat: location-independent routing by address translation (HAM and
 * FAM translation tables of the roamnat design), per network namespace.
 */
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>

#include "core.h"

unsigned int roamnat_net_id __read_mostly;

unsigned int roamnat_max_entries __read_mostly = 1 << 20;
module_param_named(max_entries, roamnat_max_entries, uint, 0644);
MODULE_PARM_DESC(max_entries, "entries per table and namespace (default 1048576)");

static int __net_init roamnat_net_init(struct net *net)
{
	struct roamnat_net *rn = roamnat_pernet(net);
	int err, cpu;

	mutex_init(&rn->lock);
	RCU_INIT_POINTER(rn->config, NULL);
	roamnat_expiry_init(rn, net);
	rn->stats = alloc_percpu(struct roamnat_pcpu_stats);
	if (!rn->stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(rn->stats, cpu)->syncp);
	err = roamnat_table_init(rn);
	if (err)
		goto free_stats;
	err = roamnat_policy_init(rn);
	if (err)
		goto destroy_tables;
	return 0;
destroy_tables:
	roamnat_table_destroy(rn);
free_stats:
	free_percpu(rn->stats);
	return err;
}

static void __net_exit roamnat_net_exit(struct net *net)
{
	struct roamnat_net *rn = roamnat_pernet(net);
	struct roamnat_config *cfg;

	roamnat_hooks_unregister(net);	/* waits for readers on the packet path */
	roamnat_expiry_exit(rn);
	cfg = rcu_dereference_protected(rn->config, true);
	RCU_INIT_POINTER(rn->config, NULL);
	synchronize_net();
	kfree(cfg);
	roamnat_table_destroy(rn);
	roamnat_policy_destroy(rn);
	free_percpu(rn->stats);
}

static struct pernet_operations roamnat_net_ops = {
	.init = roamnat_net_init,
	.exit = roamnat_net_exit,
	.id = &roamnat_net_id,
	.size = sizeof(struct roamnat_net),
};

static int __init roamnat_init(void)
{
	int err;

	err = register_pernet_subsys(&roamnat_net_ops);
	if (err)
		return err;
	err = roamnat_netlink_init();
	if (err)
		unregister_pernet_subsys(&roamnat_net_ops);
	return err;
}

static void __exit roamnat_exit(void)
{
	roamnat_netlink_exit();
	unregister_pernet_subsys(&roamnat_net_ops);
	rcu_barrier();	/* entries and configs freed with kfree_rcu() */
}

module_init(roamnat_init);
module_exit(roamnat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("roamnat: seamless roaming by HAM/FAM address translation");
MODULE_ALIAS_GENL_FAMILY(ROAMNAT_GENL_NAME);
