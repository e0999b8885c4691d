import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Sends one line with util-linux `logger` to a remote syslog listener on 127.0.0.1. */
export async function sendWithLogger(
  port: number,
  options: { transport: 'tcp' | 'udp'; format: 'rfc5424' | 'rfc3164'; octetCount?: boolean; tag: string; pid?: number },
  message: string,
): Promise<void> {
  const args = [
    '--server',
    '127.0.0.1',
    '--port',
    String(port),
    options.transport === 'tcp' ? '--tcp' : '--udp',
    `--${options.format}`,
    '-t',
    options.tag,
    '-p',
    'authpriv.info',
  ];
  if (options.octetCount) args.push('--octet-count');
  if (options.pid !== undefined) args.push(`--id=${options.pid}`);
  await run('logger', [...args, '--', message]);
}

/** Writes raw bytes to the listener over TCP and closes the connection. */
export function sendRawTcp(port: number, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(data));
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}
