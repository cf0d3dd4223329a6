import { z } from 'zod';

const HOST_PORT = /^(?<host>\[[0-9A-Fa-f:.]+\]|[^\s:,[\]]+):(?<port>\d{1,5})$/;

/**
 * `host:port,host:port,…`: seeds of a Redis Cluster (a few are enough; the client learns the
 * rest from them). Parsed into `{host, port}`; IPv6 hosts are written in brackets.
 */
export const redisClusterNodesSchema = z.string().transform((text, ctx): { host: string; port: number }[] => {
  const nodes: { host: string; port: number }[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    const match = HOST_PORT.exec(item);
    const port = Number(match?.groups?.port);
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port (write a comma-separated list of host:port)` });
      return z.NEVER;
    }
    nodes.push({ host: match.groups!.host!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
});
