/*
 * exec.c: docker exec.
 */
#include "containers.h"

int exec_create(struct http_request *req, void *arg) { return api_error(req, 501, "not yet"); }
int exec_start(struct http_request *req, void *arg) { return api_error(req, 501, "not yet"); }
int exec_inspect(struct http_request *req, void *arg) { return api_error(req, 501, "not yet"); }
int exec_resize(struct http_request *req, void *arg) { return api_error(req, 501, "not yet"); }
void exec_forget(struct containers *cs, const struct ctr *c) { }
void exec_free_all(struct containers *cs) { }
