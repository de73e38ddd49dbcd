#!/usr/bin/env node
// Stand-in for Prisma's binary query engine, for machines that cannot download it.
//
// prisma-client-py (LiteLLM's database client) starts a `query-engine` executable and talks to
// it over HTTP. Prisma's engines cannot be downloaded here, but npm ships the same engine as a
// Node-API library; this script loads that library and serves the HTTP API the Python client
// uses: GET /status, POST / (GraphQL protocol queries and batches), interactive transactions,
// GET /metrics. Options come as the binary engine gets them: `-p PORT`, schema path in
// PRISMA_DML_PATH, datasource overrides in OVERWRITE_DATASOURCES.
//
// The library path is QUERY_ENGINE_LIBRARY (set by the launcher scripts/setup_db_offline writes).
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const LIBRARY = process.env.QUERY_ENGINE_LIBRARY;
const MAX_BODY_BYTES = 256 * 1024 * 1024;

function fail(message) {
  process.stderr.write(`query-engine (offline wrapper): ${message}\n`);
  process.exit(1);
}

function loadLibrary() {
  if (!LIBRARY || !fs.existsSync(LIBRARY)) fail(`QUERY_ENGINE_LIBRARY not found: ${LIBRARY}`);
  const mod = { exports: {} };
  process.dlopen(mod, LIBRARY);
  return mod.exports;
}

function parseArgs(argv) {
  const options = { port: 0, host: '127.0.0.1', version: false, metrics: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--version' || arg === '-V') options.version = true;
    else if (arg === '-p' || arg === '--port') options.port = Number(argv[(i += 1)]);
    else if (arg === '-H' || arg === '--host') options.host = argv[(i += 1)];
    else if (arg === '--enable-metrics') options.metrics = true;
    // --enable-raw-queries, --enable-playground: raw queries are always available here.
  }
  return options;
}

// OVERWRITE_DATASOURCES is a JSON list of {name, url}; the library wants {name: url}.
function datasourceOverrides() {
  const raw = process.env.OVERWRITE_DATASOURCES;
  if (!raw) return {};
  const overrides = {};
  for (const item of JSON.parse(raw)) overrides[item.name] = item.url;
  return overrides;
}

// The binary engine serves metrics when started with --enable-metrics (prisma-client-py always
// passes it); the library only collects them with the `metrics` preview feature, so add it.
function withMetrics(datamodel) {
  const block = /(generator\s+\w+\s*\{)([^}]*)\}/;
  const match = datamodel.match(block);
  if (!match) return datamodel;
  const features = match[2].match(/previewFeatures\s*=\s*\[([^\]]*)\]/);
  if (features && /"metrics"/.test(features[1])) return datamodel;
  const body = features
    ? match[2].replace(features[0], `previewFeatures = [${features[1].trim() ? `${features[1]}, ` : ''}"metrics"]`)
    : `${match[2]}  previewFeatures = ["metrics"]\n`;
  return datamodel.replace(block, `${match[1]}${body}}`);
}

function logLevel() {
  const level = String(process.env.RUST_LOG || 'error').toLowerCase();
  return ['error', 'warn', 'info', 'debug', 'trace'].includes(level) ? level : 'error';
}

let nextRequestId = 1n;
function requestId() {
  nextRequestId += 1n;
  return nextRequestId.toString();
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, contentType = 'application/json') {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

// Transaction calls answer a user-facing error object instead of throwing; the binary engine
// maps those to HTTP errors (P2028, a transaction API error, is a 400), so do the same.
function transactionStatus(result) {
  let parsed;
  try {
    parsed = JSON.parse(result);
  } catch {
    return 200;
  }
  if (parsed && typeof parsed === 'object' && parsed.error_code !== undefined) {
    return parsed.error_code === 'P2028' ? 400 : 500;
  }
  return 200;
}

function engineError(error) {
  let parsed;
  try {
    parsed = JSON.parse(error.message);
  } catch {
    parsed = null;
  }
  if (parsed && typeof parsed === 'object') return parsed;
  return { is_panic: false, message: String(error.message || error), error_code: null };
}

async function handle(engine, req, res) {
  const url = new URL(req.url, 'http://engine');
  const route = url.pathname;
  const trace = JSON.stringify({ traceparent: req.headers.traceparent });
  const body = await readBody(req);

  if (req.method === 'GET' && route === '/status') return send(res, 200, { status: 'ok' });
  if (req.method === 'POST' && route === '/') {
    const txId = req.headers['x-transaction-id'] || undefined;
    return send(res, 200, await engine.query(body, trace, txId, requestId()));
  }
  if (req.method === 'GET' && route === '/metrics') {
    const format = url.searchParams.get('format') === 'prometheus' ? 'prometheus' : 'json';
    const globalLabels = body ? JSON.parse(body) : {};
    const result = await engine.metrics(JSON.stringify({ format, globalLabels }));
    return send(res, 200, result, format === 'prometheus' ? 'text/plain' : 'application/json');
  }
  const tx = route.match(/^\/transaction\/(start|[^/]+\/(?:commit|rollback))$/);
  if (req.method === 'POST' && tx) {
    let result;
    if (tx[1] === 'start') {
      result = await engine.startTransaction(body || '{}', trace, requestId());
    } else {
      const [id, action] = tx[1].split('/');
      const call = action === 'commit' ? engine.commitTransaction : engine.rollbackTransaction;
      result = await call.call(engine, decodeURIComponent(id), trace, requestId());
    }
    return send(res, transactionStatus(result), result);
  }
  return send(res, 404, { is_panic: false, message: `no route ${req.method} ${route}`, error_code: null });
}

async function main() {
  // Named like the real engine, so process tools and LiteLLM's orphan reaper (which matches the
  // command name `query-engine*`) see it as one.
  process.title = 'query-engine';
  const options = parseArgs(process.argv.slice(2));
  const library = loadLibrary();
  if (options.version) {
    process.stdout.write(`query-engine ${library.version().commit}\n`);
    return;
  }
  const dmlPath = process.env.PRISMA_DML_PATH;
  if (!dmlPath) fail('PRISMA_DML_PATH is not set');
  const datamodel = fs.readFileSync(dmlPath, 'utf8');
  const engine = new library.QueryEngine(
    {
      datamodel: options.metrics ? withMetrics(datamodel) : datamodel,
      configDir: path.dirname(dmlPath),
      logQueries: Boolean(process.env.LOG_QUERIES),
      ignoreEnvVarErrors: false,
      datasourceOverrides: datasourceOverrides(),
      env: process.env,
      logLevel: logLevel(),
      engineProtocol: 'graphql',
      enableTracing: false,
    },
    (line) => {
      if (logLevel() !== 'error' || /"level":"(ERROR|WARN)"/i.test(line)) process.stderr.write(`${line}\n`);
    },
  );
  await engine.connect(JSON.stringify({}), requestId());

  const server = http.createServer((req, res) => {
    handle(engine, req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, engineError(error));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65000;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    try {
      await engine.disconnect(JSON.stringify({}), requestId());
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The Python client may die without signalling us: stop once we are re-parented, as nothing
  // else would stop us when no LiteLLM supervisor is there to reap orphans.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();

  server.listen(options.port, options.host, () => {
    const { port } = server.address();
    process.stdout.write(
      `${JSON.stringify({ level: 'INFO', message: `Started query engine http server on http://${options.host}:${port}` })}\n`,
    );
  });
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
