import { WebSocket } from 'ws';
import type { ChannelRecord, EmulatorContext, SocketRecord } from './context.ts';
import { HEARTBEAT_FRAME, PONG_FRAME } from './frames.ts';

/** Low-level socket operations shared by the channel lifecycle, the publisher and the fault injector. */

export function isOpen(sock: SocketRecord | undefined): sock is SocketRecord {
  return sock !== undefined && sock.ws.readyState === WebSocket.OPEN;
}

/** Sends a control or system frame unless the socket is closed or a zombie. */
export function sendFrame(sock: SocketRecord, data: string): boolean {
  if (sock.zombie || sock.ws.readyState !== WebSocket.OPEN) return false;
  sock.ws.send(data);
  return true;
}

/** Forgets the socket: stops its timers and unlinks it from its channel, so late events count as dropped. */
export function detachSocket(ctx: EmulatorContext, sock: SocketRecord): void {
  ctx.options.clock.clearTimeout(sock.heartbeatTimer);
  ctx.options.clock.clearTimeout(sock.closingTimer);
  for (const timer of sock.pongTimers) ctx.options.clock.clearTimeout(timer);
  sock.pongTimers.clear();
  sock.heartbeatTimer = undefined;
  sock.closingTimer = undefined;
  if (sock.channel.socket === sock) sock.channel.socket = undefined;
}

/** Closes with a close frame; `ws` falls back to destroying the TCP connection after its close timeout. */
export function closeSocket(ctx: EmulatorContext, sock: SocketRecord, code: number, reason: string): void {
  detachSocket(ctx, sock);
  if (sock.ws.readyState === WebSocket.OPEN || sock.ws.readyState === WebSocket.CONNECTING) {
    sock.ws.close(code, reason);
  }
}

/** Destroys the TCP connection without a close frame: the client sees 1006. */
export function dropSocket(ctx: EmulatorContext, sock: SocketRecord): void {
  detachSocket(ctx, sock);
  sock.ws.terminate();
}

export function armHeartbeat(ctx: EmulatorContext, sock: SocketRecord): void {
  const { clock, heartbeatMs } = ctx.options;
  sock.heartbeatTimer = clock.setTimeout(() => {
    if (sock.channel.socket !== sock) return;
    if (sendFrame(sock, HEARTBEAT_FRAME)) ctx.counters.heartbeats++;
    armHeartbeat(ctx, sock);
  }, heartbeatMs);
}

export function sendPong(ctx: EmulatorContext, sock: SocketRecord): void {
  if (sock.zombie) return;
  if (sock.pongDropRemaining > 0) {
    sock.pongDropRemaining--;
    return;
  }
  const send = (): void => {
    if (sendFrame(sock, PONG_FRAME)) ctx.counters.pongs++;
  };
  if (sock.pongDelayMs <= 0) {
    send();
    return;
  }
  const timer = ctx.options.clock.setTimeout(() => {
    sock.pongTimers.delete(timer);
    send();
  }, sock.pongDelayMs);
  sock.pongTimers.add(timer);
}

/** Channels a fault or broadcast targets: one by id, or every channel with a socket. */
export function targetChannels(ctx: EmulatorContext, channelId: string | undefined): ChannelRecord[] {
  if (channelId !== undefined) {
    const channel = ctx.channels.get(channelId);
    return channel ? [channel] : [];
  }
  return [...ctx.channels.values()].filter((channel) => channel.socket !== undefined);
}
