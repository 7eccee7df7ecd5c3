// Starts the real monkeyci-server binary for one test: a free loopback port, a
// fresh SQLite database in a new temporary folder (or E2E_DATABASE_URL), its
// output captured into artifacts/<test-name>-server.log.
//
//   const server = await startServer({ name: t.name });
//   ... use server.baseUrl ...
//   await server.stop();
//
// Every server started here is also killed when the test process exits, and,
// where util-linux `setpriv` exists, by the kernel if this process dies.

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const here = path.dirname(fileURLToPath(import.meta.url));
/** tests/e2e */
export const e2eDir = path.resolve(here, '..');
/** the repository root */
export const repoRoot = path.resolve(e2eDir, '..', '..');
/** where logs and screenshots go: artifacts/<database kind>/ (E2E_ARTIFACTS_SUFFIX, default sqlite) */
export const artifactsDir = path.join(e2eDir, 'artifacts', process.env.E2E_ARTIFACTS_SUFFIX || 'sqlite');

const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const SETPRIV = '/usr/bin/setpriv';

/** The server binary: MONKEYCI_SERVER_BIN (relative paths from the current folder) or target/debug. */
export function serverBinary() {
  const fromEnv = process.env.MONKEYCI_SERVER_BIN;
  return fromEnv
    ? path.resolve(fromEnv)
    : path.join(repoRoot, 'target', 'debug', 'monkeyci-server');
}

/** A file-name-safe form of a test name. */
export function slug(name) {
  const s = String(name)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return s || 'test';
}

/** A port nobody listens on right now: bind port 0 on loopback, read it, close. */
export async function freePort() {
  const srv = net.createServer();
  srv.unref();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// ---- every live server, so none outlives this process ----------------------

const live = new Set();
const tempDirs = new Set();

function killAllNow() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAllNow();
    // Re-raise so the process ends the way it would have without this handler.
    process.kill(process.pid, signal);
  });
}

// -----------------------------------------------------------------------------

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The environment for the server: ours, minus any MonkeyCI settings that would change its behaviour. */
function serverEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('MONKEYCI_') || key === 'DATABASE_URL') continue;
    env[key] = value;
  }
  // The app colours its log lines even into a pipe; plain text reads better in the log file.
  return { NO_COLOR: '1', ...env, ...extra };
}

/**
 * Starts a server for the test called `name`.
 * @param {object} [options]
 * @param {string} [options.name] the test's name; names the log file
 * @param {Record<string,string>} [options.env] extra environment variables for the server
 * @returns {Promise<{baseUrl: string, port: number, databaseUrl: string, logFile: string, stop: () => Promise<void>}>}
 */
export async function startServer({ name = 'server', env = {} } = {}) {
  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `server binary not found at ${bin}: run \`cargo build\` in ${repoRoot} or set MONKEYCI_SERVER_BIN`,
    );
  }
  await mkdir(artifactsDir, { recursive: true });
  const logFile = path.join(artifactsDir, `${slug(name)}-server.log`);
  const log = createWriteStream(logFile, { flags: 'w' });

  let tempDir = null;
  let databaseUrl = process.env.E2E_DATABASE_URL;
  if (!databaseUrl) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'monkeyci-e2e-'));
    tempDirs.add(tempDir);
    databaseUrl = `sqlite://${path.join(tempDir, 'monkeyci.db')}`;
  }

  const cleanup = async () => {
    if (!log.closed) await new Promise((resolve) => log.end(resolve));
    if (tempDir) {
      await rm(tempDir, { recursive: true, force: true });
      tempDirs.delete(tempDir);
    }
  };

  // The free port can be taken between our check and the server's bind: try a few.
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    try {
      const server = await launch({ bin, port, databaseUrl, env, log, cleanup });
      return { ...server, databaseUrl, logFile };
    } catch (error) {
      lastError = error;
      if (!error.addressInUse) break;
      log.write(`\n--- port ${port} was taken, trying another ---\n`);
    }
  }
  await cleanup();
  throw lastError;
}

async function launch({ bin, port, databaseUrl, env, log, cleanup }) {
  const listen = `127.0.0.1:${port}`;
  const baseUrl = `http://${listen}`;
  log.write(`--- ${new Date().toISOString()} starting ${bin} on ${listen} ---\n`);

  // With setpriv, the kernel kills the server if this process dies without running its exit handlers.
  const [command, args] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bin]]
    : [bin, []];
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: serverEnv({ MONKEYCI_LISTEN: listen, DATABASE_URL: databaseUrl, MONKEYCI_SHUTDOWN_DELAY: '0s', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);

  let stderr = '';
  child.stdout.on('data', (chunk) => log.write(chunk));
  child.stderr.on('data', (chunk) => {
    log.write(chunk);
    stderr += chunk;
    if (stderr.length > 64_000) stderr = stderr.slice(-64_000);
  });

  let exited = null; // {code, signal} once the process has ended
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      resolve(exited);
    });
  });
  const spawnError = new Promise((resolve) => child.once('error', resolve));

  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timedOut = await Promise.race([exit.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
        if (timedOut) {
          log.write(`\n--- no exit ${STOP_GRACE_MS} ms after SIGTERM: SIGKILL ---\n`);
          child.kill('SIGKILL');
          await exit;
        }
      }
      // Let the last output reach the log before closing it.
      await Promise.all([once(child.stdout, 'close'), once(child.stderr, 'close')].map((p) => Promise.race([p, sleep(1000)])));
      log.write(`--- exited: ${JSON.stringify(exited)} ---\n`);
      await cleanup();
    })();
    return stopping;
  };

  // Wait for GET /healthz to answer 200 "ok".
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    const failure = await Promise.race([
      exit.then(() => 'exited'),
      spawnError.then((e) => e),
      (async () => {
        try {
          const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
          const body = await res.text();
          return res.status === 200 && body.trim() === 'ok' ? 'ready' : null;
        } catch {
          return null; // not listening yet
        }
      })(),
    ]);
    if (failure === 'ready') break;
    if (failure === 'exited' || failure instanceof Error) {
      // Wait for the rest of stderr before reporting it.
      await Promise.race([once(child.stderr, 'close'), sleep(1000)]);
      const how = failure instanceof Error ? `could not start: ${failure.message}` : `exited early (${JSON.stringify(exited)})`;
      const error = new Error(`monkeyci-server ${how}; its stderr:\n${stderr.trim() || '(empty)'}`);
      error.addressInUse = /address already in use|AddrInUse|os error 98/i.test(stderr);
      if (!exited) child.kill('SIGKILL');
      live.delete(child);
      throw error;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `monkeyci-server did not answer ${baseUrl}/healthz within ${HEALTH_TIMEOUT_MS / 1000} s; its stderr:\n${stderr.trim() || '(empty)'}`,
      );
    }
    await sleep(100);
  }

  return { baseUrl, port, stop };
}
