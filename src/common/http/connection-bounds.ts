import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';

const logger = new Logger('HttpEdge');

/** How long a refusal is not logged again for the same reason (one line, not one per socket). */
const QUIET_MS = 60_000;

export interface ConnectionBounds {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  maxConnections: number;
  /** 0: no cap per address. */
  maxConnectionsPerAddress: number;
}

/**
 * Bounds on the server's sockets, set before it listens:
 * - the headers within HTTP_HEADERS_TIMEOUT_MS, the whole request within that plus
 *   HTTP_BODY_TIMEOUT_MS (bodyDeadline in app.setup.ts is the precise bound for the body). Node
 *   checks these deadlines every `connectionsCheckingInterval` (30 s by default, which let a
 *   trickling client hold a socket ~37 s against a 10 s deadline): checked here every tenth of the
 *   header deadline, at most every second, so a slow client is cut within ~10 % of it;
 * - at most HTTP_MAX_CONNECTIONS open connections (Node closes the ones over it as they come);
 * - at most HTTP_MAX_CONNECTIONS_PER_ADDRESS from one peer address, so that one client cannot take
 *   every connection: the ones over it are closed at once, before a byte is read.
 */
export function applyConnectionBounds(server: Server, bounds: ConnectionBounds): void {
  server.headersTimeout = bounds.headersTimeoutMs;
  server.requestTimeout = bounds.headersTimeoutMs + bounds.bodyTimeoutMs;
  // Read by Node when the server starts listening (an option of createServer, not in the types).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(1_000, Math.max(100, Math.floor(bounds.headersTimeoutMs / 10)));
  server.maxConnections = bounds.maxConnections;
  let dropLoggedAt = 0;
  server.on('drop', () => {
    const now = Date.now();
    if (now - dropLoggedAt < QUIET_MS) return;
    dropLoggedAt = now;
    logger.warn(
      { maxConnections: bounds.maxConnections },
      'connection refused: HTTP_MAX_CONNECTIONS are open (said once a minute)',
    );
  });
  if (bounds.maxConnectionsPerAddress > 0) capPerAddress(server, bounds.maxConnectionsPerAddress);
}

function capPerAddress(server: Server, cap: number): void {
  const open = new Map<string, number>();
  const loggedAt = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= cap) {
      socket.destroy();
      const now = Date.now();
      if (now - (loggedAt.get(address) ?? 0) >= QUIET_MS) {
        loggedAt.set(address, now);
        logger.warn(
          { address, open: count, cap },
          'connection refused: HTTP_MAX_CONNECTIONS_PER_ADDRESS are open from this address (said once a minute per address)',
        );
      }
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else {
        open.delete(address);
        loggedAt.delete(address);
      }
    });
  });
}
