/**
 * What `main.ts` prints when start-up fails for a reason other than the configuration: one line,
 * no stack, and for a port already taken, which variable moves it.
 */
export function describeStartupFailure(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === 'EADDRINUSE') {
    const where = e.port !== undefined ? `${e.address ?? 'HOST'}:${e.port}` : 'the port';
    return (
      `start-up failed: ${where} is already in use (EADDRINUSE), perhaps by another copy of ` +
      `this service. Stop that one, or choose another port with the PORT variable ` +
      `(e.g. PORT=${(e.port ?? 3000) + 1}) and, if the address is the problem, HOST.`
    );
  }
  return `start-up failed: ${error instanceof Error ? error.message : String(error)}`;
}
