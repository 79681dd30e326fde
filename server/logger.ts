import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config';

export type { Logger };

/** JSON lines in production (for log shippers), readable lines in development. */
/** pino-pretty is a development dependency: an install without those (`--omit=dev`) logs JSON lines. */
function prettyInstalled(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger(config: Pick<Config, 'env' | 'logLevel'>, destination?: DestinationStream): Logger {
  const pretty = !destination && config.env === 'development' && process.stdout.isTTY && prettyInstalled();
  const options: LoggerOptions = {
    level: config.env === 'test' && config.logLevel === 'info' ? 'warn' : config.logLevel,
    // Secrets never reach a log line, wherever a caller puts them (request addresses are cleaned in app.ts).
    redact: [
      'req.headers.authorization',
      'req.headers.cookie',
      'password',
      '*.password',
      'token',
      '*.token',
      '_csrf',
      '*._csrf',
      'SAMLResponse',
      '*.SAMLResponse',
      'sid',
      '*.sid',
    ],
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
