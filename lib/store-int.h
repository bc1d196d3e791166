/*
 * store-int.h: what store.c shares with its two backends.
 *
 * store.c owns what does not depend on the engine (the statement cache,
 * the schema versions and migrations, the choice of backend from the
 * location); each backend fills in the table of operations below for
 * its engine (store-sqlite.c, store-postgres.c).  Backend data hangs
 * off the `impl` pointers, so neither backend sees the other's types.
 */
#ifndef SDC_STORE_INT_H
#define SDC_STORE_INT_H

#include "store.h"

#define STORE_CACHE_SIZE 64

struct store_stmt {
	struct store *st;
	void *impl;
	char *sql;              /* set when the statement lives in the cache */
	int in_use;
};

struct store_ops {
	const char *name;
	int (*open)(struct store *st, const char *where, sdc_error_t *err);
	void (*close)(struct store *st);
	int (*exec)(struct store *st, const char *sql, sdc_error_t *err);
	int (*begin)(struct store *st, sdc_error_t *err);
	int (*commit)(struct store *st, sdc_error_t *err);
	void (*rollback)(struct store *st);
	int (*prepare)(struct store_stmt *q, const char *sql, sdc_error_t *err);
	void (*finalize)(struct store_stmt *q);
	void (*reset)(struct store_stmt *q);
	int (*bind_text)(struct store_stmt *q, int idx, const char *v, sdc_error_t *err);
	int (*bind_blob)(struct store_stmt *q, int idx, const void *p, size_t len, sdc_error_t *err);
	int (*bind_int64)(struct store_stmt *q, int idx, int64_t v, sdc_error_t *err);
	int (*bind_null)(struct store_stmt *q, int idx, sdc_error_t *err);
	int (*step)(struct store_stmt *q, sdc_error_t *err);
	const char *(*col_text)(struct store_stmt *q, int col);
	const void *(*col_blob)(struct store_stmt *q, int col, size_t *len);
	int64_t (*col_int64)(struct store_stmt *q, int col);
	int (*col_is_null)(struct store_stmt *q, int col);
	int (*changes)(struct store *st);
	/* NULL: the engine has no notifications */
	int (*listen)(struct store *st, const char *channel, int *fd, sdc_error_t *err);
	/* each notification's channel and payload to fn, when not NULL */
	int (*notified)(struct store *st, store_notify_fn *fn, void *arg,
	    sdc_error_t *err);
	/* NULL: the engine never connects (store_connect_off_loop) */
	void (*off_loop)(struct store *st, struct event_base *base);
	/* store_begin_lazy: SQL run before BEGIN, just after it, and once
	 * the transaction ended (NULL: none) */
	const char *lazy_before, *lazy_begun, *lazy_after;
};

struct store {
	const struct store_ops *ops;
	void *impl;
	char *where;            /* for messages: a path, or a URI without its password */
	struct store_stmt *cache[STORE_CACHE_SIZE];
	int ncache;
	int lazy;               /* in a store_begin_lazy transaction */
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_postgres_ops;

#endif
