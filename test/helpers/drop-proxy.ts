/**
 * A TCP proxy in front of a service whose `cut()` destroys every open connection: a network drop
 * in the middle of an SSE stream, for the tests of the SDK's resuming event iterators.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DropProxy {
  url: string;
  /** Destroy every open connection, both sides. */
  cut(): void;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): void;
}

/** A proxy to `target` (`http://host:port`) on a free loopback port. */
export async function dropProxy(target: string): Promise<DropProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    cut: () => sockets.forEach((s) => s.destroy()),
    get connections() {
      return connections;
    },
    close: () => {
      sockets.forEach((s) => s.destroy());
      server.close();
    },
  };
}
