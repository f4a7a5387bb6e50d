/**
 * A local MLflow tracking server for tests, implementing the REST API 2.0 endpoints the live logger
 * uses as MLflow documents them: experiments/get-by-name, experiments/create, runs/create,
 * runs/log-batch, runs/update, metrics/get-history. Field names and types are checked strictly
 * (where a real 2.7.1 server silently stores 0 for a bare NaN or a fractional step, this one answers
 * 400 so that tests catch it); batch limits and param changes answer 400 with MLflow's error body.
 * It can go away (connections refused) and come back on the same port, and can apply a request
 * while dropping the connection instead of answering.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
export interface FakeRun {
  info: { run_id: string; run_uuid: string; run_name: string; experiment_id: string; user_id: string; status: string; start_time: number; end_time?: number; artifact_uri: string; lifecycle_stage: string };
  metrics: FakeMetric[];
  params: Map<string, string>;
  tags: Map<string, string>;
}

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const KEY = /^[/\w.\- ]*$/u;
const STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

function int64(value: unknown, field: string, required = true): number | undefined {
  if (value === undefined && !required) return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied: expected an integer (int64)`);
  return n;
}

function double(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied: expected a double`);
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${field}'.`);
  return value;
}

function key(value: unknown, kind: string): string {
  const k = str(value, `${kind}.key`);
  if (!KEY.test(k) || k === '' || k.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid ${kind} name: '${k}'.`);
  return k;
}

export class FakeMlflowServer {
  readonly experiments = new Map<string, { experiment_id: string; name: string }>();
  readonly runs = new Map<string, FakeRun>();
  readonly requests: { endpoint: string; body: any }[] = [];
  /** Endpoints whose next request is applied but answered by dropping the connection. */
  readonly dropAfterApplying = new Set<string>();
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  private nextId = 1;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Goes away: stops listening and cuts open connections. The stored runs stay for up(). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async up(): Promise<void> {
    await this.start(this.port);
  }

  createExperiment(name: string): string {
    const id = String(this.nextId++ * 1000);
    this.experiments.set(id, { experiment_id: id, name });
    return id;
  }

  metricsOf(runId: string, metricKey: string): FakeMetric[] {
    return this.runs.get(runId)!.metrics.filter((m) => m.key === metricKey);
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const endpoint = url.pathname.replace(/^\/api\/2\.0\/mlflow\//, '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let status = 200;
    let answer: unknown;
    try {
      let body: any = {};
      if (req.method === 'POST') {
        try {
          body = JSON.parse(text);
        } catch {
          throw new ApiError(400, 'MALFORMED_REQUEST', 'Malformed request body: not JSON');
        }
      }
      this.requests.push({ endpoint, body: req.method === 'POST' ? body : Object.fromEntries(url.searchParams) });
      answer = this.route(req.method ?? 'GET', endpoint, body, url.searchParams);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      answer = { error_code: error.code, message: error.message };
    }
    if (this.dropAfterApplying.delete(endpoint)) {
      req.socket.destroy();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer));
  }

  private route(method: string, endpoint: string, body: any, query: URLSearchParams): unknown {
    const expect = (m: string) => {
      if (method !== m) throw new ApiError(405, 'ENDPOINT_NOT_FOUND', `${endpoint} expects ${m}`);
    };
    switch (endpoint) {
      case 'experiments/get-by-name': {
        expect('GET');
        const name = query.get('experiment_name');
        if (!name) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_name'.");
        const found = [...this.experiments.values()].find((e) => e.name === name);
        if (!found) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
        return { experiment: { ...found, lifecycle_stage: 'active', artifact_location: `mlflow-artifacts:/${found.experiment_id}` } };
      }
      case 'experiments/create': {
        expect('POST');
        const name = str(body.name, 'name');
        if ([...this.experiments.values()].some((e) => e.name === name)) throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
        return { experiment_id: this.createExperiment(name) };
      }
      case 'runs/create': {
        expect('POST');
        const experimentId = str(body.experiment_id, 'experiment_id');
        if (!this.experiments.has(experimentId)) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${experimentId} exists`);
        const runId = `run${String(this.nextId++).padStart(29, '0')}`;
        const run: FakeRun = {
          info: { run_id: runId, run_uuid: runId, run_name: str(body.run_name, 'run_name'), experiment_id: experimentId, user_id: str(body.user_id, 'user_id'), status: 'RUNNING', start_time: int64(body.start_time, 'start_time')!, artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`, lifecycle_stage: 'active' },
          metrics: [],
          params: new Map(),
          tags: new Map(),
        };
        for (const t of body.tags ?? []) run.tags.set(key(t.key, 'tag'), str(t.value, 'tag.value'));
        this.runs.set(runId, run);
        return { run: { info: run.info, data: {} } };
      }
      case 'runs/log-batch': {
        expect('POST');
        const run = this.run(body.run_id);
        const metrics = body.metrics ?? [];
        const params = body.params ?? [];
        const tags = body.tags ?? [];
        const limit = (what: string, max: number, n: number) => {
          if (n > max) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`);
        };
        limit('metrics', 1000, metrics.length);
        limit('params', 100, params.length);
        limit('tags', 100, tags.length);
        limit('metrics, params, and tags', 1000, metrics.length + params.length + tags.length);
        const parsedMetrics = metrics.map((m: any) => ({ key: key(m.key, 'metric'), value: double(m.value, 'value'), timestamp: int64(m.timestamp, 'timestamp')!, step: int64(m.step ?? 0, 'step')! }));
        const parsedParams = params.map((p: any) => ({ key: key(p.key, 'param'), value: str(p.value, 'param.value') }));
        for (const p of parsedParams) {
          const old = run.params.get(p.key);
          if (old !== undefined && old !== p.value) {
            throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${run.info.run_id}'. Attempted logging new value '${p.value}'.`);
          }
        }
        const parsedTags = tags.map((t: any) => ({ key: key(t.key, 'tag'), value: str(t.value, 'tag.value') }));
        for (const p of parsedParams) run.params.set(p.key, p.value);
        run.metrics.push(...parsedMetrics);
        for (const t of parsedTags) run.tags.set(t.key, t.value);
        return {};
      }
      case 'runs/update': {
        expect('POST');
        const run = this.run(body.run_id ?? body.run_uuid);
        if (body.status !== undefined) {
          if (!STATUSES.includes(body.status)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${JSON.stringify(body.status)} for parameter 'status'`);
          run.info.status = body.status;
        }
        const end = int64(body.end_time, 'end_time', false);
        if (end !== undefined) run.info.end_time = end;
        return { run_info: run.info };
      }
      case 'metrics/get-history': {
        expect('GET');
        const run = this.run(query.get('run_id') ?? undefined);
        const metricKey = query.get('metric_key');
        if (!metricKey) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metric_key'.");
        const nonFinite = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);
        return { metrics: run.metrics.filter((m) => m.key === metricKey).map((m) => ({ ...m, value: nonFinite(m.value) })) };
      }
      default:
        throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint ${endpoint}`);
    }
  }

  private run(id: unknown): FakeRun {
    const runId = str(id, 'run_id');
    const run = this.runs.get(runId);
    if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found.`);
    return run;
  }
}
