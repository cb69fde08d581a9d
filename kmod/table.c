// SPDX-License-Identifier: GPL-2.0
/*
 * Translation tables (spec Figs. 4 and 5): resizable hash tables with a
 * random seed, looked up under RCU on the packet path, written under the
 * per-namespace mutex, entries freed after a grace period.
 */
#include <linux/slab.h>

#include "core.h"

const struct rhashtable_params roamnat_rht_params = {
	.key_len = sizeof(struct roamnat_key),
	.key_offset = offsetof(struct roamnat_entry, key),
	.head_offset = offsetof(struct roamnat_entry, node),
	.automatic_shrinking = true,
};

int roamnat_table_init(struct roamnat_net *rn)
{
	int i, err;

	/* docs/netlink.md promises one cache line per entry. */
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) && sizeof(struct roamnat_entry) != 64);
	for (i = 0; i < __ROAMNAT_TABLE_MAX; i++) {
		err = rhashtable_init(&rn->tables[i], &roamnat_rht_params);
		if (err) {
			while (--i >= 0)
				rhashtable_destroy(&rn->tables[i]);
			return err;
		}
	}
	return 0;
}

/* rhashtable_free_and_destroy()'s callback for objects from kmalloc. */
void roamnat_kfree(void *ptr, void *arg)
{
	kfree(ptr);
}

/* Hooks are gone and a grace period has passed: no reader is left. */
void roamnat_table_destroy(struct roamnat_net *rn)
{
	int i;

	for (i = 0; i < __ROAMNAT_TABLE_MAX; i++)
		rhashtable_free_and_destroy(&rn->tables[i], roamnat_kfree, NULL);
}

/* Adds an entry, replacing one with the same key. */
int roamnat_table_add(struct roamnat_net *rn, int table, const struct roamnat_entry *tmpl)
{
	struct rhashtable *ht = &rn->tables[table];
	struct roamnat_entry *e, *old;
	int err;

	lockdep_assert_held(&rn->lock);
	e = kmemdup(tmpl, sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->last_seen = (u32)jiffies;
	e->idle_reported = 0;
	old = rhashtable_lookup_fast(ht, &e->key, roamnat_rht_params);
	if (old) {
		err = rhashtable_replace_fast(ht, &old->node, &e->node, roamnat_rht_params);
		if (!err)
			kfree_rcu(old, rcu);
	} else if (atomic_read(&ht->nelems) >= roamnat_max_entries) {
		err = -ENOSPC;
	} else {
		err = rhashtable_insert_fast(ht, &e->node, roamnat_rht_params);
	}
	if (err)
		kfree(e);
	return err;
}

int roamnat_table_del(struct roamnat_net *rn, int table, const struct roamnat_key *key)
{
	struct rhashtable *ht = &rn->tables[table];
	struct roamnat_entry *e;
	int err;

	lockdep_assert_held(&rn->lock);
	e = rhashtable_lookup_fast(ht, key, roamnat_rht_params);
	if (!e)
		return -ENOENT;
	err = rhashtable_remove_fast(ht, &e->node, roamnat_rht_params);
	if (!err)
		kfree_rcu(e, rcu);
	return err;
}

/*
 * Empties a table of the namespace (writers hold its lock); drop() frees an
 * object removed, after a grace period. For the translation tables and the
 * policy clients alike.
 */
void roamnat_rht_flush(struct rhashtable *ht, const struct rhashtable_params *params,
		       void (*drop)(void *obj))
{
	struct rhashtable_iter iter;
	struct rhash_head *node;
	void *obj;

	rhashtable_walk_enter(ht, &iter);
	rhashtable_walk_start(&iter);
	while ((obj = rhashtable_walk_next(&iter)) != NULL) {
		if (IS_ERR(obj))
			continue;	/* -EAGAIN: a resize; keep walking */
		node = (struct rhash_head *)((char *)obj + params->head_offset);
		if (!rhashtable_remove_fast(ht, node, *params))
			drop(obj);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

static void roamnat_entry_drop(void *obj)
{
	struct roamnat_entry *e = obj;

	kfree_rcu(e, rcu);
}

void roamnat_table_flush(struct roamnat_net *rn, int table)
{
	lockdep_assert_held(&rn->lock);
	roamnat_rht_flush(&rn->tables[table], &roamnat_rht_params, roamnat_entry_drop);
}
