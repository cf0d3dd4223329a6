import net from 'node:net';

/**
 * Tries to listen on host:port for a moment; resolves to undefined when that works (the port
 * is free there), or to the error code that refused it (EADDRINUSE, EACCES, ...).
 */
function tryListen(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error) => resolve(error.code ?? error.message));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * What stops these services from listening where they are configured to: the same port given
 * to two of them, or a port something else already holds on the host they bind. Each service
 * is {name, what, port, variable}, variable being what moves it. Resolves to one sentence per
 * problem, naming the port, the service and the variable; empty when every port is free.
 */
export async function portProblems(services, host) {
  const problems = [];
  const byPort = new Map();
  for (const service of services) {
    const other = byPort.get(service.port);
    if (other)
      problems.push(`port ${service.port} is given to both ${other.name} (${other.variable}) and ${service.name} (${service.variable}); move one of them`);
    else byPort.set(service.port, service);
  }
  for (const service of byPort.values()) {
    const code = await tryListen(service.port, host);
    if (code === 'EADDRINUSE') {
      problems.push(
        `port ${service.port} on ${host} is already in use: ${service.name} (${service.what}) was going to listen there. ` +
          `Stop what uses it, or move ${service.name} with ${service.variable}=<another port>`,
      );
    } else if (code) {
      problems.push(`${service.name} (${service.what}) cannot listen on ${host}:${service.port} (${code}); move it with ${service.variable}=<another port>`);
    }
  }
  return problems;
}
