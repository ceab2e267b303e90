/** Largest message either side accepts. The protocol's messages are tiny; this bounds a misbehaving peer. */
export const MAX_AGENT_MESSAGE_BYTES = 4 * 1024 * 1024;
