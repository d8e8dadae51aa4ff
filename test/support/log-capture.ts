/**
 * Captures everything written to stdout and stderr (Powertools' logger writes its JSON lines there)
 * and through `console`, until `stop()`; passed on too only if `passThrough`.
 */
export function captureOutput(options: { passThrough?: boolean } = {}): {
  text(): string;
  lines(): number;
  stop(): void;
} {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, index) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (!options.passThrough) return true;
      return (originals[index] as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const consoles = methods.map((method) => console[method]);
  methods.forEach((method, index) => {
    console[method] = (...args: unknown[]) => {
      chunks.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      if (options.passThrough) consoles[index]!(...args);
    };
  });
  return {
    text: () => chunks.join('\n'),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '').length,
    stop() {
      streams.forEach((stream, index) => {
        stream.write = originals[index] as typeof stream.write;
      });
      methods.forEach((method, index) => {
        console[method] = consoles[index]!;
      });
    },
  };
}
