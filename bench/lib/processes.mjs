import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** Every server process this benchmark started and has not stopped yet. */
const running = new Set();

/** Returns a free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server as a child process and resolves once `readyPath` on 127.0.0.1:port responds
 * with 200. The child's output is kept in memory and shown when it fails to start.
 * @param {{ name: string, command: string, args: string[], port: number, env?: Record<string, string>, readyPath?: string, timeoutMs?: number }} options
 */
export async function startServer(options) {
  const child = spawn(options.command, options.args, {
    env: { ...process.env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 100_000) output = output.slice(-50_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const server = {
    name: options.name,
    pid: child.pid,
    base: `http://127.0.0.1:${options.port}`,
    port: options.port,
    output: () => output,
    async stop() {
      running.delete(server);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  running.add(server);

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const readyUrl = `${server.base}${options.readyPath ?? '/'}`;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(server);
      throw new Error(`${options.name} exited before it responded:\n${output}`);
    }
    try {
      const response = await fetch(readyUrl);
      await response.arrayBuffer();
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${options.name} did not respond with 200 at ${readyUrl} within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
    }
    await delay(100);
  }
}

/** Stops every server that is still running. Used in finally blocks and signal handlers. */
export async function stopAllServers() {
  await Promise.allSettled([...running].map((server) => server.stop()));
}

/** Kills every running server at once, without waiting; for the process 'exit' event. */
export function killAllServersNow() {
  for (const server of running) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Reads a process's resident set size and its peak (VmRSS and VmHWM in /proc/PID/status), in
 * bytes.
 */
export function readMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? NaN : Number(match[1]) * 1024;
  };
  return { rss: field('VmRSS'), peakRss: field('VmHWM') };
}

/**
 * Resets a process's peak RSS to its current RSS by writing 5 to /proc/PID/clear_refs (Linux
 * 4.0 and later), so the next VmHWM reading covers one case only. Returns false when the
 * kernel refused, in which case peaks accumulate over the process's lifetime.
 */
export function resetPeakMemory(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a command to completion and returns its standard output. Rejects with its output when
 * it exits with another code than 0.
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, input?: string }} [options]
 */
export function runCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr}${stdout}`));
    });
    child.stdin.end(options.input ?? '');
  });
}
