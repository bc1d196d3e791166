/*
 * ids.h: the identifiers the system hands out.
 *
 * UUIDs (random, lower-case) name accounts, SAPI objects and containers;
 * Docker's 64-hex ids name containers and execs to Docker clients.  A
 * container's Docker id is its UUID's hex with 32 more random hex digits,
 * so either can be derived from the other's first 32 digits.
 */
#ifndef SDC_IDS_H
#define SDC_IDS_H

#include <stdbool.h>

#define UUID_LEN 36
#define DOCKER_ID_LEN 64

void uuid_make(char out[UUID_LEN + 1]);
bool uuid_valid(const char *s);
void docker_id_make(char out[DOCKER_ID_LEN + 1]);
bool docker_id_valid(const char *s);
/* True for 1..64 lower-case hex digits: a possibly short Docker id. */
bool docker_id_prefix_valid(const char *s);

#endif
