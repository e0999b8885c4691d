import { createServer, type RequestListener, type Server } from 'node:http';

/** How long slow or idle clients may hold a connection, and how many may (HTTP_* settings). */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/**
 * Starts the HTTP server with limits against slow clients: headers and the
 * whole request must arrive in time (Node answers 408 otherwise), idle
 * keep-alive connections close, and connections beyond `maxConnections`
 * are dropped on accept. Resolves once it listens.
 */
export function listenHttp(handler: RequestListener, host: string, port: number, limits: HttpLimits): Promise<Server> {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Timeouts are enforced when connections are checked; by default every 30 s, far coarser than the timeouts.
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
