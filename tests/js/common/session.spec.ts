/**
 * The graph session every host shares, against a transport in memory: what
 * it asks the kernel, how often, and the state it keeps from the answers.
 */
import { GraphSession, stepsOf } from '../../../labextension/src/common/session';
import {
  GraphRequest,
  IGraphTransport,
  IGraphUpdate
} from '../../../labextension/src/common/transport';
import { bundle, graph, offers, timingRow } from '../fixtures';

const CHOICE = { device: 'cpu', backend: null, size: null };

/** A transport that records requests; ``answer`` decides each request's outcome. */
class FakeTransport implements IGraphTransport {
  sent: GraphRequest[] = [];
  listeners = new Set<(update: IGraphUpdate) => void>();
  answer: (request: GraphRequest) => unknown = () => undefined;

  constructor(private _state: IGraphUpdate) {}

  snapshot(): IGraphUpdate {
    return this._state;
  }
  listen(listener: (update: IGraphUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  request(request: GraphRequest): Promise<never> {
    this.sent.push(request);
    try {
      return Promise.resolve(this.answer(request) as never);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  push(update: IGraphUpdate): void {
    this._state = { ...this._state, ...update };
    this.listeners.forEach(f => f(update));
  }
}

function session(state: IGraphUpdate = {}) {
  const transport = new FakeTransport({ bundle: bundle(), offers: offers(), ...state });
  return { transport, session: new GraphSession(transport) };
}

describe('GraphSession views and values', () => {
  it('asks for a pending view once and shows it pending since it asked', async () => {
    const { session: s, transport } = session({
      pending: { gradient: { task: 'differentiating', started: null } }
    });
    const before = Date.now() / 1000;
    await s.buildView('gradient');
    expect(s.buildView('gradient')).toBeNull();
    expect(transport.sent).toEqual([{ type: 'view', view: 'gradient' }]);
    expect(s.pendingOf('gradient')!.started).toBeGreaterThanOrEqual(before);
    expect(s.pendingOf('gradient')!.task).toBe('differentiating');
  });

  it('asks again for a view whose request failed', async () => {
    const { session: s, transport } = session();
    transport.answer = () => {
      throw new Error('kernel busy');
    };
    await expect(s.buildView('gradient')).rejects.toThrow('kernel busy');
    transport.answer = () => undefined;
    await s.buildView('gradient');
    expect(transport.sent).toHaveLength(2);
  });

  it('asks for values once, not when it has them, and again after a failure', async () => {
    const { session: s, transport } = session();
    transport.answer = () => {
      throw new Error('no');
    };
    await expect(s.askValues('original')).rejects.toThrow('no');
    expect(s.valuesAsked('original')).toBe(false);
    transport.answer = () => undefined;
    await s.askValues('original');
    await s.askValues('original');
    expect(transport.sent.filter(r => r.type === 'values')).toHaveLength(2);
    expect(s.valuesAsked('original')).toBe(true);
  });

  it('follows the transport while someone listens, and reports the keys that changed', () => {
    const { session: s, transport } = session();
    const seen: string[][] = [];
    const stop = s.onChange(keys => seen.push(Array.from(keys)));
    expect(transport.listeners.size).toBe(1);
    transport.push({ busy: true, timingError: 'x' });
    expect(seen).toEqual([['busy', 'timingError']]);
    expect(s.state.busy).toBe(true);
    stop();
    expect(transport.listeners.size).toBe(0);
    transport.push({ status: 'unheard' });
    expect(seen).toHaveLength(1);
    expect(s.state.status).toBe('unheard'); // with nobody listening, read from the transport
  });

  it('asks for a rewrite source once, and the Graphviz text of the view as shown', async () => {
    const { session: s, transport } = session({ expanded: { optimized: ['comp'] } });
    transport.answer = r => (r.type === 'dot' ? 'digraph {}' : { type: 'source', name: 'r' });
    await Promise.all([s.source('r'), s.source('r')]);
    expect(await s.dot('optimized')).toBe('digraph {}');
    expect(transport.sent).toEqual([
      { type: 'source', name: 'r' },
      { type: 'dot', view: 'optimized', expanded: ['comp'] }
    ]);
  });
});

describe('GraphSession rewrite stepper', () => {
  it('loads the snapshots of a view once into the bundle', async () => {
    const rewrites = bundle().rewrites.filter(r => r.view === 'optimized');
    const { session: s, transport } = session({ steps: { optimized: rewrites.length } });
    transport.answer = () => ({
      start: graph(),
      snapshots: Object.fromEntries(rewrites.map(r => [String(r.step), graph()]))
    });
    expect(s.stepView()).toBe('optimized');
    expect(stepsOf(s.state.bundle, 'optimized')).toEqual([]);
    await s.loadSteps('optimized');
    await s.loadSteps('optimized');
    expect(transport.sent).toEqual([{ type: 'steps', view: 'optimized' }]);
    expect(stepsOf(s.state.bundle, 'optimized').map(r => r.step)).toEqual(
      rewrites.map(r => r.step)
    );
  });
});

describe('GraphSession timing', () => {
  it('times by itself once, when autorun and the graph offers timing', () => {
    const { session: s, transport } = session({ autorun: true });
    expect(s.automaticDue).toBe(true);
    expect(s.automatic(CHOICE)).toBe(true);
    expect(s.automatic(CHOICE)).toBe(false);
    expect(s.automaticDue).toBe(false);
    expect(transport.sent).toEqual([{ type: 'time', ...CHOICE, automatic: true }]);
  });

  it('does not time by itself once declined, already timed, or without autorun', () => {
    const declined = session({ autorun: true }).session;
    declined.decline();
    expect(declined.automaticDue).toBe(false);
    expect(session({ autorun: true, timings: [timingRow()] }).session.automaticDue).toBe(false);
    expect(session({ autorun: false }).session.automaticDue).toBe(false);
  });

  it('lets a run by hand stand in for the automatic one, and asks devices once', () => {
    const { session: s, transport } = session({ autorun: true });
    s.askDevices();
    s.askDevices();
    s.time(CHOICE);
    s.profile(CHOICE);
    s.stop();
    expect(s.automaticWaiting).toBe(false);
    expect(s.devicesAsked).toBe(true);
    expect(transport.sent.map(r => r.type)).toEqual(['devices', 'time', 'profile', 'stop']);
    expect(transport.sent[1]).toEqual({ type: 'time', ...CHOICE }); // not marked automatic
  });
});
