/*
 * protocol.h: what the monitor and its clients say to each other.
 *
 * Shared by sdc-docker-monitor and libsdcnode, and nothing else: the
 * monitor includes it without linking the library, so it holds constants
 * only.  The attach socket is SOCK_SEQPACKET, so each packet is one frame
 * and needs no length prefix: its first byte is the frame type, the rest
 * the payload.  The stream types are Docker's own stream numbers (stdin 0,
 * stdout 1, stderr 2), so a daemon builds the multiplexed header of a
 * Docker attach stream straight from the first byte.  See docs/runtime.md.
 */
#ifndef SDC_RT_PROTOCOL_H
#define SDC_RT_PROTOCOL_H

enum rt_frame_type {
	RT_FRAME_STDIN = 0,		/* client -> monitor: bytes for stdin */
	RT_FRAME_STDOUT = 1,		/* monitor -> client: output */
	RT_FRAME_STDERR = 2,		/* monitor -> client: output */
	RT_FRAME_EXIT = 3,		/* monitor -> client: state.json text, last frame */
	RT_FRAME_CLOSE_STDIN = 4,	/* client -> monitor: no more input */
	RT_FRAME_RESIZE = 5,		/* client -> monitor: "ROWS COLS" (tty only) */
	RT_FRAME_LOG_LIMITS = 6,	/* client -> monitor: "MAX_SIZE MAX_FILE BUDGET" */
	RT_FRAME_MUTE = 7,		/* client -> monitor: send me no output, only EXIT */
};

/* Largest payload of one frame; output is read and sent in pieces of it. */
#define RT_FRAME_MAX 16384

/* File names inside a container (or exec) folder. */
#include "dockerapi/runtime/container-layout.h"

#endif
