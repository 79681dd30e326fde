import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/** JSON lines in production (for log shippers), readable lines in development. */
export function createLogger(config: Pick<Config, 'env' | 'logLevel'>): Logger {
  const pretty = config.env === 'development' && process.stdout.isTTY;
  return pino({
    level: config.env === 'test' && config.logLevel === 'info' ? 'warn' : config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password'],
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } } : {}),
  });
}
