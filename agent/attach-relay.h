/*
 * attach-relay.h: the frames of an attach relayed between a head and the
 * agent of the node that holds the container (agent/container-attach.c,
 * dockerapi/node-attach.c).
 *
 * After the agent's 101 the TLS connection carries the monitor's own
 * frames (dockerapi/runtime/protocol.h) both ways.  The monitor's socket
 * is SOCK_SEQPACKET and needs no length; a byte stream does, so each
 * frame is a type byte, its payload's length (four bytes, big-endian)
 * and the payload, at most RT_FRAME_MAX bytes.  The agent passes on
 * from the head only what a client of the monitor may say: stdin, its
 * close, a resize, mute.
 */
#ifndef SDC_AGENT_ATTACH_RELAY_H
#define SDC_AGENT_ATTACH_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dockerapi/runtime/protocol.h"

#define ATTACH_RELAY_HDR 5
/* Output queued towards the other side before the reading stops. */
#define ATTACH_RELAY_BACKLOG (256 * 1024)
/* A start's attached answer carries the container's pid in this header. */
#define ATTACH_RELAY_PID_HEADER "X-Sdc-Pid"

static inline void
attach_relay_header(unsigned char hdr[ATTACH_RELAY_HDR], int type, size_t len)
{
	hdr[0] = (unsigned char)type;
	hdr[1] = (unsigned char)(len >> 24);
	hdr[2] = (unsigned char)(len >> 16);
	hdr[3] = (unsigned char)(len >> 8);
	hdr[4] = (unsigned char)len;
}

static inline size_t
attach_relay_length(const unsigned char hdr[ATTACH_RELAY_HDR])
{
	return (size_t)hdr[1] << 24 | (size_t)hdr[2] << 16 |
	    (size_t)hdr[3] << 8 | (size_t)hdr[4];
}

/* What the agent takes from a head towards the monitor. */
static inline bool
attach_relay_head_may_send(int type)
{
	return type == RT_FRAME_STDIN || type == RT_FRAME_CLOSE_STDIN ||
	    type == RT_FRAME_RESIZE || type == RT_FRAME_MUTE;
}

#endif
