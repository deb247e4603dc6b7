/** The inline widget's transport: requests as custom messages, answers as traits. */
import { GraphSession } from '../../../labextension/src/common/session';
import { IGraphUpdate } from '../../../labextension/src/common/transport';
import { WidgetTransport } from '../../../labextension/src/widget/transport';
import { IWidgetModel } from '../../../labextension/src/widget/widgetmodel';
import { bundle, offers } from '../fixtures';

/** anywidget's model in memory, with the events it fires. */
function memoryModel(values: Record<string, unknown> = {}) {
  const sent: unknown[] = [];
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const model: IWidgetModel = {
    get: name => values[name],
    set: (name, value) => {
      values[name] = value;
      listeners.get(`change:${name}`)?.forEach(f => f());
    },
    save_changes: () => sent.push('save'),
    on: (event, f) => (listeners.get(event) ?? listeners.set(event, new Set()).get(event)!).add(f),
    off: (event, f) => listeners.get(event)?.delete(f),
    send: content => sent.push(content)
  };
  const fire = (event: string, ...args: unknown[]) =>
    listeners.get(event)?.forEach(f => f(...args));
  return { model, sent, fire, listeners };
}

describe('WidgetTransport', () => {
  it('reads the traits as the session state, checked, with pictures from svg and layouts', () => {
    const { model } = memoryModel({
      bundle: bundle(),
      offers: offers(),
      svg: { original: '<svg/>' },
      layouts: { original: { engine: 'dot' } },
      pending: { gradient: { task: 'differentiating', started: null } },
      timings: [{ not: 'a row' }],
      status: 7
    });
    const state = new WidgetTransport(model).snapshot();
    expect(state.pictures).toEqual({ original: { svg: '<svg/>', meta: { engine: 'dot' } } });
    expect(Object.keys(state.pending ?? {})).toEqual(['gradient']);
    expect(state.timings).toEqual([]);
    expect(state.status).toBe('');
    expect(state.offers?.timing).toBe(true);
  });

  it('passes each trait change as an update until told to stop', () => {
    const { model, listeners } = memoryModel({ bundle: bundle() });
    const updates: IGraphUpdate[] = [];
    const stop = new WidgetTransport(model).listen(u => updates.push(u));
    model.set('busy', true);
    model.set('timing_error', 'no GPU');
    expect(updates).toEqual([{ busy: true }, { timingError: 'no GPU' }]);
    stop();
    expect(Array.from(listeners.values()).reduce((n, s) => n + s.size, 0)).toBe(0);
  });

  it('sends requests as custom messages and expands through the synced trait', async () => {
    const { model, sent } = memoryModel({ expanded: { original: ['a'] } });
    const transport = new WidgetTransport(model);
    await transport.request({ type: 'view', view: 'gradient' });
    await transport.request({ type: 'time', device: 'cpu', backend: null, size: 20 });
    expect(await transport.request({ type: 'layout', view: 'optimized', expanded: ['c'] })).toBe(
      null
    );
    expect(sent).toEqual([
      { type: 'view', view: 'gradient' },
      { type: 'time', device: 'cpu', backend: null, size: 20 },
      'save'
    ]);
    expect(model.get('expanded')).toEqual({ original: ['a'], optimized: ['c'] });
    await expect(transport.request({ type: 'steps', view: 'optimized' })).rejects.toThrow(
      'the inline widget does not offer steps'
    );
  });

  it('asks for a rewrite source once and answers from its custom message', async () => {
    const { model, sent, fire } = memoryModel();
    const session = new GraphSession(new WidgetTransport(model));
    const first = session.source('local_log1p');
    const again = session.source('local_log1p');
    expect(sent).toEqual([{ type: 'source', name: 'local_log1p' }]);
    const reply = {
      type: 'source',
      name: 'local_log1p',
      module: 'pytensor.tensor.rewriting.math',
      line: 2203,
      source: 'def local_log1p(fgraph, node):\n'
    };
    fire('msg:custom', { type: 'values', view: 'original' }); // not a source reply
    fire('msg:custom', reply);
    expect(await first).toEqual(reply);
    expect(await again).toEqual(reply);
  });
});
